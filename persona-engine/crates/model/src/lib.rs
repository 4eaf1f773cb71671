#![doc = include_str!("../README.md")]

mod error;
mod features;
mod metrics;
mod train;

pub use error::Error;
pub use features::{TOP_BADGE_CLASSES, TOP_POINT_CATEGORIES};
pub use metrics::{auc, precision_at_k};
pub use train::{ModelReport, TrainConfig, train, train_with};

use sqlx::PgPool;

/// The crate's migrations (versions 60001..): `interest_labels` and `interest_models`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the crate's migrations, leaving other crates' versions in `_sqlx_migrations` alone.
pub async fn migrate(pool: &PgPool) -> Result<(), Error> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
