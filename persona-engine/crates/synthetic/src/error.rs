//! The crate's error type.

/// Why generating a synthetic graph failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The requested graph cannot be generated.
    #[error("invalid synthetic graph spec: {0}")]
    InvalidSpec(String),
    /// A database statement failed (e.g. the graph already holds one of the passport ids).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The graph schema could not be migrated.
    #[error("graph schema: {0}")]
    Graph(#[from] trex_persona_graph::GraphError),
    /// The interest-model schema could not be migrated.
    #[error("model schema: {0}")]
    Model(#[from] trex_persona_model::Error),
}
