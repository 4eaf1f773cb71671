//! Integration tests of trex-persona: the HTTP API in-process against a real Postgres
//! (`http`), and the real binary against anvil end to end (`e2e`).

mod e2e;
mod harness;
mod http;
mod web;
