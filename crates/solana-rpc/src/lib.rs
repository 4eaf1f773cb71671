#![doc = include_str!("../README.md")]

mod address;
mod error;
mod ownership;
mod rpc;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use address::SolanaAddress;
pub use error::SolanaRpcError;
pub use ownership::{link_message, verify_signature};
pub use rpc::{Commitment, SolanaRpc};
