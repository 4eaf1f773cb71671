//! The client's error type.

use std::time::Duration;

/// Why a DA-server request failed.
#[derive(Debug, thiserror::Error)]
pub enum DaClientError {
    /// The base URL could not be parsed or cannot be a base.
    #[error("invalid DA server URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The server does not know the commitment (HTTP 404).
    #[error("commitment 0x{} not found on the DA server", hex::encode(.0))]
    NotFound(Vec<u8>),
    /// The request did not complete within the client's timeout.
    #[error("DA server request timed out after {0:?}")]
    Timeout(Duration),
    /// The server could not be reached or the connection broke.
    #[error("DA server unreachable: {0}")]
    Connection(#[source] reqwest::Error),
    /// The server answered with a non-success status.
    #[error("DA server answered {status}: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The response body (the server's error message), truncated.
        body: String,
    },
    /// The server answered success with an empty commitment.
    #[error("DA server answered an empty commitment")]
    EmptyCommitment,
}

impl DaClientError {
    /// Whether retrying the same request later may succeed (timeouts, connection failures, 5xx).
    ///
    /// A timed-out `put` may still have been stored; putting the same data again is safe for
    /// content-addressed backends and at worst posts the data twice for Celestia.
    pub const fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Connection(_) => true,
            Self::Status { status, .. } => *status >= 500,
            Self::InvalidUrl { .. } | Self::NotFound(_) | Self::EmptyCommitment => false,
        }
    }
}
