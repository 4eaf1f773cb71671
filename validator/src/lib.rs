#![doc = include_str!("../README.md")]

pub mod api;
pub mod attest;
pub mod chain;
pub mod conditions;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod metrics;
pub mod persona;
pub mod service;
pub mod store;

mod ecosystem;
mod evm;
mod proofs;
mod social;
mod solana;
mod zktls;

pub use api::{router, serve};
pub use config::{Args, Config};
pub use error::ValidatorError;
pub use service::Validator;
pub use store::Store;

/// Connects the service described by `config` and serves its API until `shutdown` turns true.
pub async fn run(
    config: Config,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), ValidatorError> {
    let validator = Validator::connect(&config).await?;
    if let Some(sink) = config.persona.clone() {
        let forwarder = persona::Forwarder::new(validator.store().clone(), sink);
        tokio::spawn(forwarder.run(std::time::Duration::from_secs(1), shutdown.clone()));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|err| ValidatorError::Config(format!("--listen {}: {err}", config.listen)))?;
    serve(validator, config.body_limit, listener, shutdown).await
}
