//! Errors of the execution node.

use alloy_primitives::B256;
use std::path::PathBuf;

/// Failures of the embedded database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database engine reported an error.
    #[error("database: {0}")]
    Database(String),
    /// A stored value could not be decoded.
    #[error("corrupt database entry: {0}")]
    Corrupt(String),
    /// An unwind was asked to go forward.
    #[error("cannot unwind to block {target}: the head is block {head}")]
    UnwindBeyondHead {
        /// The block asked for.
        target: u64,
        /// The head.
        head: u64,
    },
}

impl revm::database_interface::DBErrorMarker for StorageError {}

macro_rules! from_redb {
    ($($ty:ty),+) => {$(
        impl From<$ty> for StorageError {
            fn from(err: $ty) -> Self {
                Self::Database(err.to_string())
            }
        }
    )+};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<alloy_rlp::Error> for StorageError {
    fn from(err: alloy_rlp::Error) -> Self {
        Self::Corrupt(err.to_string())
    }
}

/// Errors that stop the node or a request.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The embedded database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The datadir could not be created.
    #[error("cannot create datadir {path}: {source}")]
    Datadir {
        /// The datadir.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The datadir was initialised for a different genesis.
    #[error(
        "datadir holds chain with genesis {stored}, but the chain spec's genesis is {expected}"
    )]
    GenesisMismatch {
        /// Genesis hash found in the datadir.
        stored: B256,
        /// Genesis hash of the configured chain.
        expected: B256,
    },
    /// Block execution failed for a reason that is not the transaction's fault.
    #[error("block execution failed: {0}")]
    Execution(String),
    /// A server could not start.
    #[error("cannot start {what} on {addr}: {source}")]
    Bind {
        /// Which server.
        what: &'static str,
        /// The address.
        addr: std::net::SocketAddr,
        /// Underlying error.
        source: std::io::Error,
    },
}
