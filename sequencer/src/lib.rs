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
pub mod rollup;
pub mod rpc;

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Runs the node until Ctrl-C / SIGTERM or a fatal error: opens the datadir, starts the JSON-RPC
/// server, the metrics endpoint and the block producer, and stops them together.
pub async fn run(args: cli::NodeArgs) -> eyre::Result<()> {
    let chain = trex_chainspec::ChainSpec::parse(&args.chain)?;
    let datadir = args.datadir();
    let rollup_config = args.rollup.config.as_deref().map(rollup::load_config).transpose()?;
    let mut producer = args.producer();
    if let Some(system) = rollup_config.as_ref().and_then(|config| config.genesis.system_config) {
        // In rollup mode the block gas limit is the system config's, as derivation sees it.
        producer.gas_limit = system.gas_limit;
    }
    let node = node::Node::open(chain.clone(), datadir.clone(), producer, args.pool())?;
    let driver = match rollup_config {
        Some(config) => Some(rollup_driver(&args, config, &chain, &node, &datadir).await?),
        None => None,
    };
    let (addr, rpc_handle) =
        rpc::start_server(rpc::RpcContext { node: node.clone(), config: args.rpc() }).await?;
    tracing::info!(chain = %chain.name, chain_id = chain.chain_id(), datadir = %datadir.display(), rpc = %addr, "T-Rex sequencer started");

    let cancel = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(metrics_addr) = args.metrics_addr {
        let metrics = Arc::new(node.metrics.clone());
        tasks.spawn(metrics.serve(metrics_addr, cancel.clone()));
    }
    match driver {
        Some(driver) => tasks.spawn(driver.run(cancel.clone())),
        None => tasks.spawn(node.clone().run_producer(cancel.clone())),
    };

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

/// Checks the rollup config against the chain and the L1 node, and sets up the driver.
async fn rollup_driver(
    args: &cli::NodeArgs,
    config: kona_genesis::RollupConfig,
    chain: &trex_chainspec::ChainSpec,
    node: &Arc<node::Node>,
    datadir: &std::path::Path,
) -> eyre::Result<rollup::driver::RollupDriver> {
    let path = args.rollup.config.as_deref().unwrap_or(std::path::Path::new("rollup.json"));
    let config = Arc::new(config);
    if config.l2_chain_id.id() != chain.chain_id() {
        eyre::bail!(
            "{} is for L2 chain {}, but --chain is chain {}",
            path.display(),
            config.l2_chain_id.id(),
            chain.chain_id()
        );
    }
    if config.genesis.l2.hash != chain.genesis_hash() {
        eyre::bail!(
            "{} starts from L2 genesis {}, but --chain has genesis {} (use the genesis.json written by init-rollup)",
            path.display(),
            config.genesis.l2.hash,
            chain.genesis_hash()
        );
    }
    let url = args
        .rollup
        .l1_rpc_url
        .clone()
        .ok_or_else(|| eyre::eyre!("rollup mode needs --l1.rpc-url"))?;
    let l1 = rollup::l1::L1Client::new(url.clone(), args.rollup.l1_timeout)?;
    let l1_chain_id = l1
        .chain_id()
        .await
        .map_err(|err| eyre::eyre!("cannot reach the L1 node at {url}: {err}"))?;
    if l1_chain_id != config.l1_chain_id {
        eyre::bail!(
            "L1 node at {url} is chain {l1_chain_id}, the rollup config expects {}",
            config.l1_chain_id
        );
    }
    let da = args
        .rollup
        .da_url
        .clone()
        .map(|url| trex_da_client::DaClient::new(url.as_str(), args.rollup.l1_timeout))
        .transpose()?;
    let genesis = node
        .store
        .reader()?
        .block(config.genesis.l2.number)?
        .ok_or_else(|| eyre::eyre!("genesis block missing from the datadir"))?;
    let genesis = derive::l2_block_info(&rollup::block_ref(&config, &genesis)?);
    let ctx = Arc::new(rollup::RollupContext::new(config, args.rollup.mode, genesis));
    node.rollup.set(ctx.clone()).expect("set once");
    let settings = rollup::driver::DriverConfig {
        mode: args.rollup.mode,
        l1_confirmations: args.rollup.l1_confirmations,
        poll_interval: args.rollup.poll_interval,
        checkpoint_path: datadir.join("rollup-checkpoint.json"),
    };
    Ok(rollup::driver::RollupDriver::new(node.clone(), ctx, settings, l1, da).await?)
}

/// `trex-sequencer init-rollup`: writes genesis.json and rollup.json.
pub fn init_rollup(args: &cli::InitRollupArgs) -> eyre::Result<()> {
    let chain = trex_chainspec::ChainSpec::parse(&args.chain)?;
    let text = std::fs::read_to_string(&args.l1_deployment)
        .map_err(|err| eyre::eyre!("cannot read {}: {err}", args.l1_deployment.display()))?;
    let deployment: rollup::init::L1Deployment = serde_json::from_str(&text)
        .map_err(|err| eyre::eyre!("{}: {err}", args.l1_deployment.display()))?;
    let files = rollup::init::init_rollup(&chain, &deployment, &args.params(), &args.out_dir)?;
    println!(
        "wrote {} and {} (L2 genesis {})",
        files.genesis.display(),
        files.rollup.display(),
        files.genesis_hash
    );
    Ok(())
}
