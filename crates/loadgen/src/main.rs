//! `trex-loadgen`: benchmark load generator for T-Rex Chain.

mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let command_line = cli::shell_command(std::env::args());
    cli::Cli::parse().run(command_line).await
}
