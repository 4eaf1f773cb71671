//! The crate's error type.

use std::time::Duration;

/// Everything that can go wrong in the DA bridge.
#[derive(Debug, thiserror::Error)]
pub enum DaError {
    /// A commitment that is not valid hex or not a known commitment format.
    #[error("invalid commitment: {0}")]
    InvalidCommitment(String),
    /// A request body the API does not accept (for example an empty blob).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request body is larger than the configured maximum.
    #[error("request body larger than the maximum of {max} bytes")]
    TooLarge {
        /// The configured maximum body size in bytes.
        max: usize,
    },
    /// The commitment is well formed but belongs to another backend than the one serving.
    #[error("{commitment} commitments are not served by the {backend} backend")]
    WrongBackend {
        /// The commitment's kind.
        commitment: &'static str,
        /// The serving backend's name.
        backend: &'static str,
    },
    /// No data is stored under the commitment.
    #[error("no data stored under commitment 0x{0}")]
    NotFound(String),
    /// A Celestia submission timed out: the blob may or may not be included later.
    #[error(
        "celestia blob.Submit did not answer within {0:?}: outcome unknown, the blob may still be \
         included; retry the put (Celestia accepts the same blob again)"
    )]
    UnknownOutcome(Duration),
    /// The backend is unreachable or kept failing with transient errors.
    #[error("DA backend unavailable: {0}")]
    Unavailable(String),
    /// The backend rejected the request for a reason retrying will not fix.
    #[error("DA backend rejected the request: {0}")]
    Rejected(String),
    /// Data read back does not match its commitment.
    #[error("data read back does not match its commitment: {0}")]
    Corrupt(String),
    /// The embedded store failed.
    #[error("embedded store: {0}")]
    Storage(#[from] redb::Error),
    /// An invalid configuration, reported at start-up.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An I/O error (binding the listener, creating the data directory, serving).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl DaError {
    /// A short, stable label for metrics.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::InvalidCommitment(_) => "invalid_commitment",
            Self::InvalidRequest(_) => "invalid_request",
            Self::TooLarge { .. } => "too_large",
            Self::WrongBackend { .. } => "wrong_backend",
            Self::NotFound(_) => "not_found",
            Self::UnknownOutcome(_) => "unknown_outcome",
            Self::Unavailable(_) => "unavailable",
            Self::Rejected(_) => "rejected",
            Self::Corrupt(_) => "corrupt",
            Self::Storage(_) => "storage",
            Self::Config(_) => "config",
            Self::Io { .. } => "io",
        }
    }
}
