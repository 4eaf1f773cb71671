#![doc = include_str!("../README.md")]

mod error;
pub use error::BatcherError;

mod block;
pub use block::{L2Block, L2Source, RpcL2Source};

pub mod channel;
pub use channel::{ChannelBuilder, SpanParams};

mod ledger;
pub use ledger::{ConfirmedTx, Ledger, LedgerFrame, TxRecord};

mod txmgr;
pub use txmgr::{TxConfig, TxManager, bumped_fees};

mod da;
pub use da::{CALLDATA_VERSION, DA_COMMITMENT_VERSION, DaPoster};

mod metrics;
pub use metrics::Metrics;

mod driver;
pub use driver::{Batcher, ChannelConfig};

pub mod cli;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
