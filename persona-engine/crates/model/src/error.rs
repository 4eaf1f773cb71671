//! The crate's error type.

/// Why training or scoring failed. Nothing is written when training fails.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The category name is empty or too long.
    #[error("invalid category {0:?}: expected 1 to 64 characters")]
    InvalidCategory(String),
    /// The training configuration is unusable.
    #[error("invalid training config: {0}")]
    InvalidConfig(String),
    /// There is not enough labelled data to train and evaluate.
    #[error("not enough labels for category {category:?}: {reason}")]
    NotEnoughLabels {
        /// The category.
        category: String,
        /// What is missing.
        reason: String,
    },
    /// The optimiser failed.
    #[error("fitting the model failed: {0}")]
    Fit(String),
    /// A database statement failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be migrated.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
