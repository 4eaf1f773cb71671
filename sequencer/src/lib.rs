#![doc = include_str!("../README.md")]

mod error;
pub mod executor;
pub mod storage;
pub mod trie;

pub use error::{NodeError, StorageError};
pub mod pool;
