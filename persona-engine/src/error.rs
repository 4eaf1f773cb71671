//! The persona engine's error type.

/// Errors of `trex-persona`.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
