#![doc = include_str!("../README.md")]

mod error;
pub mod executor;
pub mod storage;
pub mod trie;

pub use error::{NodeError, StorageError};
pub mod cli;
pub mod derive;
pub mod metrics;
pub mod node;
pub mod pool;
pub mod rpc;

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Runs the node until Ctrl-C / SIGTERM or a fatal error: opens the datadir, starts the JSON-RPC
/// server, the metrics endpoint and the block producer, and stops them together.
pub async fn run(args: cli::NodeArgs) -> eyre::Result<()> {
    let chain = trex_chainspec::ChainSpec::parse(&args.chain)?;
    let datadir = args.datadir();
    let node = node::Node::open(chain.clone(), datadir.clone(), args.producer(), args.pool())?;
    let (addr, rpc_handle) =
        rpc::start_server(rpc::RpcContext { node: node.clone(), config: args.rpc() }).await?;
    tracing::info!(chain = %chain.name, chain_id = chain.chain_id(), datadir = %datadir.display(), rpc = %addr, "T-Rex sequencer started");

    let cancel = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(metrics_addr) = args.metrics_addr {
        let metrics = Arc::new(node.metrics.clone());
        tasks.spawn(metrics.serve(metrics_addr, cancel.clone()));
    }
    tasks.spawn(node.clone().run_producer(cancel.clone()));

    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    };
    let outcome = tokio::select! {
        signal = shutdown => { signal?; tracing::info!("shutting down"); Ok(()) }
        Some(done) = tasks.join_next() => match done {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(eyre::Report::new(err)),
            Err(err) => Err(eyre::eyre!("task failed: {err}")),
        },
    };
    cancel.cancel();
    let _ = rpc_handle.stop();
    while tasks.join_next().await.is_some() {}
    outcome
}
