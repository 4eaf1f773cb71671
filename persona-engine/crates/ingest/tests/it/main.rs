//! Integration tests of trex-persona-ingest: a throwaway anvil with the identity contracts and a
//! fresh database per test.

mod backfill;
mod harness;
mod listener;
mod relay;
mod results;
