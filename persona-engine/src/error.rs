//! The persona engine's error type.

use std::time::Duration;

/// Errors of `trex-persona`.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A flag or environment variable is wrong, or the chain does not match it.
    #[error("configuration: {0}")]
    Config(String),
    /// Listening or serving failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The request carries no usable credentials (missing, unknown, revoked or bad signature).
    #[error("{0}")]
    Unauthorized(String),
    /// The key used up its request budget.
    #[error("rate limit exceeded; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// When the next request will be accepted.
        retry_after: Duration,
    },
    /// The body is larger than the configured limit.
    #[error("request body larger than {0} bytes")]
    BodyTooLarge(usize),
    /// The request is malformed (not JSON, wrong shape, invalid values).
    #[error("{0}")]
    InvalidRequest(String),
    /// The match query does not compile.
    #[error("{message}")]
    InvalidQuery {
        /// What is wrong.
        message: String,
        /// Where in the expression (line, column), when known.
        position: Option<(u64, u64)>,
    },
    /// A validator result with this id exists with other content.
    #[error("{0}")]
    Conflict(String),
    /// No such API key (revoke).
    #[error("{0}")]
    NotFound(String),
    /// A background task ended with an error.
    #[error("{task}: {message}")]
    Task {
        /// The task's name.
        task: &'static str,
        /// Its error.
        message: String,
    },
}
