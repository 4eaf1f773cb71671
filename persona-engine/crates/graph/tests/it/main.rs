//! Integration tests of trex-persona-graph against a real Postgres, one database per test.
//! Messages are built by hand, as the ingest outbox and the gateway would publish them.

mod chain;
mod offchain;
mod properties;
mod run;
mod support;
