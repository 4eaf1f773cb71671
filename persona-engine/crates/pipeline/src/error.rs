//! The pipeline's one error type.

/// Errors of the pipeline and its backends.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Postgres failed (the embedded backend, or [`mark_processed`](crate::mark_processed)).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The pipeline's migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A NATS or JetStream operation failed.
    #[error("nats {op} failed: {source}")]
    Nats {
        /// What was being done.
        op: &'static str,
        /// Why it failed.
        source: async_nats::Error,
    },
    /// A topic is not dot-separated tokens of `[a-z0-9_]`.
    #[error("invalid topic {0:?}: expected dot-separated tokens of [a-z0-9_], at most 200 bytes")]
    InvalidTopic(String),
    /// A consumer group name is not `[A-Za-z0-9_]+`.
    #[error("invalid consumer group {0:?}: expected [A-Za-z0-9_], at most 100 bytes")]
    InvalidGroup(String),
    /// A message id is empty, too long or contains control characters.
    #[error("invalid message id {0:?}: expected 1 to 512 bytes without control characters")]
    InvalidMessageId(String),
    /// A subscription was asked for no topics.
    #[error("a subscription needs at least one topic")]
    NoTopics,
    /// A delivered payload is not JSON (written by something other than this crate).
    #[error("message payload is not JSON: {0}")]
    Payload(#[from] serde_json::Error),
    /// The bus setting is neither `postgres` nor a `nats://` URL with valid options.
    #[error("invalid bus setting {setting:?}: {reason}")]
    Config {
        /// The setting as given.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A delivery was acknowledged through a subscription of another backend.
    #[error("the delivery belongs to another backend's subscription")]
    ForeignDelivery,
}

impl PipelineError {
    /// Whether retrying the same call later can succeed (the database or the NATS server is
    /// unavailable), as opposed to an error of the input or of the setup.
    pub const fn is_temporary(&self) -> bool {
        matches!(self, Self::Database(_) | Self::Nats { .. })
    }

    pub(crate) fn nats(op: &'static str, source: impl Into<async_nats::Error>) -> Self {
        Self::Nats { op, source: source.into() }
    }
}
