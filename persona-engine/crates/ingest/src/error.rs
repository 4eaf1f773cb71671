//! Ingestion errors, each with an [`ErrorKind`] that tells a loop whether to retry.

/// What a loop (listener, relay) does about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Retry after a pause (the RPC or the database is unavailable, the chain moved while a
    /// range was read).
    Temporary,
    /// Stop: retrying cannot help (undecodable data, a reorg deeper than the kept hashes).
    Critical,
    /// The input is refused (a malformed or conflicting validator result): tell the caller.
    Rejected,
}

/// Errors of the ingestion crate.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The JSON-RPC call failed.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy_transport::TransportError),
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A log of an ingested event did not decode.
    #[error("cannot decode {event}: {source}")]
    Decode {
        /// The event's signature.
        event: &'static str,
        /// Why.
        source: alloy_sol_types::Error,
    },
    /// A log came without block number, block hash, transaction hash or log index (a pending
    /// log; ranges are only read up to a mined block).
    #[error("log without a position")]
    MissingPosition,
    /// A stored payload is not a [`ChainEvent`](super::ChainEvent) (written by another version).
    #[error("stored event payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// The node does not have a block the ingestion needs.
    #[error("block {0} not found")]
    MissingBlock(u64),
    /// The chain changed while a range was read; the range is read again.
    #[error("the chain changed while blocks {from}..={to} were read")]
    ChainMoved {
        /// First block of the range.
        from: u64,
        /// Last block of the range.
        to: u64,
    },
    /// No kept block hash matches the chain: the reorg is deeper than the retained history.
    #[error("reorg deeper than the retained block hashes (down to block {0})")]
    ReorgTooDeep(u64),
    /// A number does not fit Postgres' BIGINT.
    #[error("{0} does not fit a BIGINT")]
    Overflow(u64),
    /// Publishing to the pipeline's bus failed.
    #[error("bus: {0}")]
    Bus(#[from] trex_persona_pipeline::PipelineError),
    /// A validator result is malformed; nothing was stored.
    #[error("invalid validator result: {field}: {reason}")]
    InvalidResult {
        /// The offending field, as a JSON path (e.g. `facts[1].platform`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A validator result reuses the id of a stored result with a different body; nothing was
    /// stored.
    #[error("validator result {id} was already stored with a different body")]
    ConflictingResult {
        /// The result id.
        id: String,
    },
}

impl IngestError {
    /// Whether retrying can help.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Rpc(_) | Self::Database(_) | Self::MissingBlock(_) | Self::ChainMoved { .. } => {
                ErrorKind::Temporary
            }
            Self::Bus(e) if e.is_temporary() => ErrorKind::Temporary,
            Self::InvalidResult { .. } | Self::ConflictingResult { .. } => ErrorKind::Rejected,
            Self::Migrate(_)
            | Self::Decode { .. }
            | Self::MissingPosition
            | Self::Payload(_)
            | Self::ReorgTooDeep(_)
            | Self::Overflow(_)
            | Self::Bus(_) => ErrorKind::Critical,
        }
    }
}
