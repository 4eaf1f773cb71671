//! `trex-da-bridge`: parses the command line, runs the service, reports a fatal error once.

use clap::Parser;
use tokio_util::sync::CancellationToken;
use trex_da_bridge::cli::Cli;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cancel = CancellationToken::new();
    tokio::spawn(trex_da_bridge::shutdown_on_signal(cancel.clone()));
    let outcome = match Cli::parse().into_config() {
        Ok(config) => trex_da_bridge::run(config, cancel).await,
        Err(err) => Err(err),
    };
    if let Err(err) = outcome {
        eprintln!("trex-da-bridge: {err}");
        std::process::exit(1);
    }
}
