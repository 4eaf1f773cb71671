//! Integration tests of trex-validator.

mod anvil;
mod evm;
mod offchain;
mod service;
