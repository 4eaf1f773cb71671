//! `trex-persona` binary.

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    // Logs go to stderr: stdout carries command output (`api-key create` prints the key).
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        stop.cancel();
    });
    let result = match trex_persona::Args::parse().into_action() {
        Ok(action) => trex_persona::service::execute(action, shutdown).await,
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        eprintln!("trex-persona: {err}");
        std::process::exit(1);
    }
}
