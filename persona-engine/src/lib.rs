#![doc = include_str!("../README.md")]

pub mod api;
mod api_keys;
pub mod config;
mod error;
mod gateway;
pub mod jobs;
mod metrics;
mod openapi;
mod rate_limit;
pub mod service;
pub mod web;

pub use api::{ApiState, router};
pub use api_keys::{ApiKey, ApiKeys, KEY_PREFIX, MAX_PROJECT_LEN};
pub use config::{Action, Args, ChainConfig, Config, GatewayClient};
pub use error::PersonaError;
pub use gateway::MAX_CLOCK_SKEW;
pub use jobs::JobsConfig;
pub use metrics::Metrics;
pub use rate_limit::RateLimit;

/// Migrations of the engine's own tables (`api_keys`), versions 40001...
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the engine's own migrations; several crates share `_sqlx_migrations`, so versions of the
/// others are ignored.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), PersonaError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
