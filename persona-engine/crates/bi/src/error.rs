//! The BI crate's error type.

use crate::stats::StatsError;

/// Errors of `trex-persona-bi`.
#[derive(Debug, thiserror::Error)]
pub enum BiError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The statistics refused their input.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// The graph refused or failed (deleting a passport's off-chain facts).
    #[error("persona graph: {0}")]
    Graph(#[from] trex_persona_graph::GraphError),
    /// The raw validator results could not be deleted.
    #[error("validator results: {0}")]
    Ingest(#[from] trex_persona_ingest::IngestError),
    /// A cohort definition did not compile or its query failed.
    #[error("cohort query: {0}")]
    Query(String),
    /// Bad input; nothing was changed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The named row does not exist (or belongs to another project).
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked up.
        what: &'static str,
        /// Its id or key.
        id: String,
    },
    /// The operation does not fit the row's current state.
    #[error("{0}")]
    Conflict(String),
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> BiError {
    BiError::Invalid { field, reason: reason.into() }
}

pub(crate) fn not_found(what: &'static str, id: impl ToString) -> BiError {
    BiError::NotFound { what, id: id.to_string() }
}
