//! Integration tests of trex-persona-query against a real Postgres with the graph crate's schema.

mod harness;
mod paging;
mod plan;
mod pruning;
mod ranking;
