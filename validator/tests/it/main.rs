//! Integration tests of trex-validator.

mod evm;
mod service;
