//! The storage behind the API: one trait, an embedded store and Celestia.

mod celestia;
mod embedded;

pub use celestia::{CelestiaBackend, CelestiaConfig, parse_namespace};
pub use embedded::EmbeddedBackend;

use crate::{DaCommitment, DaError};
use bytes::Bytes;
use std::fmt::Debug;

/// A place to put blobs and read them back by commitment.
#[async_trait::async_trait]
pub trait DaBackend: Send + Sync + Debug {
    /// The backend's name, used in logs, metrics and errors.
    fn name(&self) -> &'static str;

    /// Stores `data`, returning its commitment once the data is durable (embedded) or included
    /// (Celestia). Putting the same data twice is harmless.
    async fn put(&self, data: Bytes) -> Result<DaCommitment, DaError>;

    /// Reads the data stored under `commitment`; [`DaError::NotFound`] if there is none.
    async fn get(&self, commitment: &DaCommitment) -> Result<Bytes, DaError>;

    /// Checks that the backend can serve; answers a short human-readable status.
    async fn health(&self) -> Result<String, DaError>;
}
