//! Client of the OP alt-DA DA-server HTTP API (`PUT /put`, `GET /get/0x<commitment>`, `GET /health`),
//! as served by `trex-da-bridge` (and by `op-alt-da` servers).
//!
//! The client is deliberately thin: it moves bytes and maps HTTP answers to [`DaClientError`]. It does
//! not interpret commitments; the commitment bytes are returned exactly as the server answered them.

mod client;
mod error;

pub use client::DaClient;
pub use error::DaClientError;
