//! The batcher's error type.

/// Everything that can go wrong in the batcher.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The configuration is unusable (bad flag, unreadable rollup config, ...).
    #[error("configuration: {0}")]
    Config(String),
    /// The L2 node failed or answered something unexpected.
    #[error("L2 source: {0}")]
    L2(String),
    /// The L1 node failed or answered something unexpected.
    #[error("L1: {0}")]
    L1(String),
    /// Encoding blocks into batches, channels or frames failed.
    #[error("encoding: {0}")]
    Encoding(String),
    /// The DA server failed.
    #[error("DA: {0}")]
    Da(#[from] trex_da_client::DaClientError),
    /// The Postgres ledger failed.
    #[error("ledger: {0}")]
    Ledger(#[from] sqlx::Error),
    /// Applying the ledger's migrations failed.
    #[error("ledger migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Signing an L1 transaction failed.
    #[error("signing: {0}")]
    Signing(#[from] alloy_signer::Error),
}
