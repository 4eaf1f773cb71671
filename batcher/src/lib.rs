#![doc = include_str!("../README.md")]

mod error;
pub use error::BatcherError;

mod block;
pub use block::{L2Block, L2Source, RpcL2Source};

pub mod channel;
pub use channel::{ChannelBuilder, SpanParams};
