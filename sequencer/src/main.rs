//! `trex-sequencer`: parses the command line, runs the node, reports a fatal error once.

use clap::Parser;
use trex_sequencer::cli::{Cli, Command};

#[tokio::main]
async fn main() {
    let Cli { command } = Cli::parse();
    tracing_subscriber::fmt()
        // Colours only on a terminal: logs redirected to files stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,jsonrpsee=warn".into()),
        )
        .init();
    let outcome = match command {
        Command::Node(args) => trex_sequencer::run(*args).await,
        Command::InitRollup(args) => trex_sequencer::init_rollup(&args),
    };
    if let Err(err) = outcome {
        eprintln!("trex-sequencer: {err}");
        std::process::exit(1);
    }
}
