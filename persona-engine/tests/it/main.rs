//! Integration tests of trex-persona: the HTTP API in-process against a real Postgres
//! (`http`), the scheduled jobs (`jobs`), and the real binary against anvil end to end (`e2e`).

mod e2e;
mod harness;
mod http;
mod jobs;
mod web;
