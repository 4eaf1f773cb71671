//! Integration tests of trex-validator.

mod evm;
mod offchain;
mod service;
