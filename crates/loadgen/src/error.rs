//! The crate's one error type.

use std::{path::PathBuf, time::Duration};

/// Everything that can go wrong while setting up, running or reporting a load.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// The HTTP transport failed (connection refused, timeout, bad status).
    #[error("http request to {url} failed: {source}")]
    Http {
        /// Endpoint that was called.
        url: String,
        /// Underlying transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("{method}: json-rpc error {code}: {message}")]
    Rpc {
        /// Method that failed.
        method: String,
        /// JSON-RPC error code.
        code: i64,
        /// JSON-RPC error message.
        message: String,
    },
    /// The node's answer did not have the shape the method promises.
    #[error("{method}: unexpected response: {detail}")]
    BadResponse {
        /// Method whose answer was malformed.
        method: String,
        /// What was wrong with it.
        detail: String,
    },
    /// A key could not be derived from the mnemonic.
    #[error("deriving key {index} from the mnemonic: {source}")]
    KeyDerivation {
        /// BIP-44 account index.
        index: u32,
        /// Underlying error.
        #[source]
        source: alloy_signer_local::LocalSignerError,
    },
    /// Signing a transaction failed.
    #[error("signing a transaction: {0}")]
    Signing(#[from] alloy_signer::Error),
    /// The funder cannot pay for the setup.
    #[error("funder {funder} holds {balance} wei but setup needs {needed} wei")]
    InsufficientFunds {
        /// Funder address.
        funder: String,
        /// Current balance in wei.
        balance: String,
        /// Required balance in wei.
        needed: String,
    },
    /// A setup transaction was mined but reverted.
    #[error("setup transaction {hash} reverted")]
    SetupReverted {
        /// Hash of the reverted transaction.
        hash: String,
    },
    /// Waiting for something on chain took too long.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A node process could not be started or died.
    #[error("node process {binary}: {detail}")]
    Node {
        /// Path of the node binary.
        binary: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = LoadgenError> = std::result::Result<T, E>;
