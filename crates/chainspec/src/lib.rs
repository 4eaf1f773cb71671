#![doc = include_str!("../README.md")]

mod error;
mod genesis;
mod identity;
mod spec;

pub use error::ChainSpecError;
pub use genesis::genesis_header;
pub use identity::{ERC1967_IMPLEMENTATION_SLOT, IdentityPredeploys};
pub use spec::{ChainSpec, DEVNET_CHAIN_ID, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID};
