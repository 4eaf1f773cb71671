//! Integration tests of trex-persona-pipeline, against the real Postgres and NATS JetStream.

mod contract;
mod harness;
mod postgres;
