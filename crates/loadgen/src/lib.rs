#![doc = include_str!("../README.md")]

mod compare;
mod error;
mod load;
mod machine;
mod measure;
mod node;
mod report;
mod rpc;
mod setup;
mod signing;
mod stats;

pub use compare::{
    CompareConfig, CompareReport, GOAL_ERC20_MGAS, GOAL_P99_SLACK_MS, GOAL_TPS_RATIO, Goal,
    GoalStatus, NodeResults, run_compare, section_markers, splice_section, write_docs,
};
pub use error::{LoadgenError, Result};
pub use load::{LoadConfig, Scenario, run_load};
pub use machine::Machine;
pub use node::{NodeKind, NodeSpec, RunningNode};
pub use report::{BlockReport, LoadReport};
pub use rpc::RpcClient;
pub use setup::{ETH_TRANSFER_WEI, TOKEN_TRANSFER_UNITS};
pub use signing::{
    DEV_MNEMONIC, Fees, Payload, PresignedTx, SigningPlan, TxRequest, derive_signer,
    derive_signers, presign, sign_request,
};
pub use stats::{LatencySummary, percentile, rate};
