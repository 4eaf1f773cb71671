#![doc = include_str!("../README.md")]

pub mod devnet;
pub mod ledger;
pub mod process;
pub mod rpc;
pub mod tx;
