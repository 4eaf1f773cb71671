//! Errors of the persona graph, each with an [`ErrorKind`] that tells the consumer loop whether
//! to retry the message or set it aside.

/// What the consumer does about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Retry later: the database or the bus is unavailable.
    Temporary,
    /// The message can never be applied (malformed or out of range): it is recorded in
    /// `graph_rejected_messages` and acknowledged, so it does not block the ones behind it.
    Rejected,
}

/// Errors of the persona graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The bus failed.
    #[error("bus error: {0}")]
    Bus(#[from] trex_persona_pipeline::PipelineError),
    /// A message's topic is not one the projector consumes.
    #[error("message {message_id}: unknown topic {topic:?}")]
    UnknownTopic {
        /// The message.
        message_id: String,
        /// Its topic.
        topic: String,
    },
    /// A message's payload is not the JSON its topic carries.
    #[error("message {message_id} ({topic}): malformed payload: {source}")]
    Payload {
        /// The message.
        message_id: String,
        /// Its topic.
        topic: String,
        /// Why it did not decode.
        source: serde_json::Error,
    },
    /// A value in a message or an argument does not fit the graph (a number out of range, a
    /// malformed id).
    #[error("invalid {what}: {value}")]
    Invalid {
        /// What the value is (e.g. "passport id").
        what: &'static str,
        /// The value.
        value: String,
    },
}

impl GraphError {
    /// Whether retrying can help.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Database(_) | Self::Migrate(_) | Self::Bus(_) => ErrorKind::Temporary,
            Self::UnknownTopic { .. } | Self::Payload { .. } | Self::Invalid { .. } => {
                ErrorKind::Rejected
            }
        }
    }

    pub(crate) fn invalid(what: &'static str, value: impl ToString) -> Self {
        Self::Invalid { what, value: value.to_string() }
    }
}
