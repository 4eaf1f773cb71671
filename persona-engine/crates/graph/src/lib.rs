#![doc = include_str!("../README.md")]

mod error;
mod facts;
mod fold;
mod ids;
mod projector;
mod reference;
mod store;

pub use error::{ErrorKind, GraphError};
pub use ids::{SOLANA_MAINNET, evm_caip10, passport_did, solana_caip10};
pub use projector::{CONSUMER, Outcome, Projector, TOPICS, apply, apply_all, delete_offchain};
pub use reference::{register_category, register_contract};

use sqlx::PgPool;

/// Runs the pipeline's migrations (the projector records processed messages in its
/// `processed_messages`) and the graph's (versions 30001..; other crates' versions in the shared
/// `_sqlx_migrations` table are ignored).
pub async fn migrate(pool: &PgPool) -> Result<(), GraphError> {
    trex_persona_pipeline::migrate(pool).await?;
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
