#![doc = include_str!("../README.md")]

mod bus;
mod config;
mod error;
mod nats;
mod pg;
mod processed;

pub use bus::{Bus, Delivery, Message, Subscription};
pub use config::{BusConfig, connect};
pub use error::PipelineError;
pub use nats::{NatsBus, NatsConfig};
pub use pg::{PgBus, PgBusConfig};
pub use processed::{mark_processed, mark_processed_all};

use sqlx::PgPool;

/// Runs the pipeline's migrations (versions 20001..; other crates' versions in the shared
/// `_sqlx_migrations` table are ignored).
pub async fn migrate(pool: &PgPool) -> Result<(), PipelineError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
