//! Integration tests of the `trex-sequencer` binary, driven the way a user drives a node: over
//! JSON-RPC, with the real `forge` and `cast` (from `.tools/bin`, installed by
//! `deploy/install-tools.sh`) and with viem under Node.js.
//!
//! Each test starts its own node ([`harness::TestNode`]): the binary built with these tests, on a
//! free port, with a temporary datadir and 200 ms blocks. `TREX_IT_NODE=anvil` points the same
//! tests at anvil instead, which is only for developing them.
//!
//! Naming: tests that need the internet (the npm registry) start with `net_`; run the rest with
//! `cargo nextest run -p trex-sequencer -E 'not test(/net_/)'` (or the `offline` nextest profile).

mod harness;
mod rpc;
mod tools;
mod tx;

mod bad_input;
mod cast_flow;
mod crash;
mod identity_predeploys;
mod rollup_config;
mod verify;
mod viem_e2e;
