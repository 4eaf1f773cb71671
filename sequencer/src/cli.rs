//! Command-line configuration of the `trex-sequencer` binary.

use crate::{
    node::{ProducerConfig, SEQUENCER_FEE_VAULT},
    pool::PoolConfig,
    rollup::{RollupMode, init::RollupParams},
    rpc::RpcConfig,
};
use alloy_primitives::Address;
use clap::{Args, Parser, Subcommand};
use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// The T-Rex L2 execution node.
#[derive(Debug, Parser)]
#[command(name = "trex-sequencer", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node: produce (or, as a replica, derive) blocks and serve JSON-RPC.
    Node(Box<NodeArgs>),
    /// Write the L2 genesis.json and rollup.json for a chain deployed to L1.
    InitRollup(InitRollupArgs),
}

/// `trex-sequencer init-rollup` flags.
#[derive(Debug, Args)]
pub struct InitRollupArgs {
    /// Chain: mainnet, testnet, devnet, or a path to a geth-style genesis.json.
    #[arg(long, env = "TREX_CHAIN", default_value = "devnet")]
    pub chain: String,
    /// The L1 deployment written by deploy/deploy-l1.sh.
    #[arg(long, env = "TREX_L1_DEPLOYMENT")]
    pub l1_deployment: PathBuf,
    /// Directory to write genesis.json and rollup.json into.
    #[arg(long, env = "TREX_ROLLUP_OUT_DIR")]
    pub out_dir: PathBuf,
    /// L2 block time in whole seconds.
    #[arg(long, default_value_t = 1)]
    pub block_time: u64,
    /// Sequencing window in L1 blocks.
    #[arg(long, default_value_t = 3600)]
    pub seq_window_size: u64,
    /// Channel timeout in L1 blocks.
    #[arg(long, default_value_t = 50)]
    pub channel_timeout: u64,
    /// Most seconds an L2 block may run ahead of its L1 origin.
    #[arg(long, default_value_t = 1800)]
    pub max_sequencer_drift: u64,
    /// L2 block gas limit.
    #[arg(long, default_value_t = 30_000_000)]
    pub gas_limit: u64,
    /// The batcher's address (default: anvil's account 1, the devnet batcher).
    #[arg(long, default_value = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")]
    pub batcher: Address,
    /// Ecotone L1 base fee scalar.
    #[arg(long, default_value_t = 1368)]
    pub base_fee_scalar: u32,
    /// Ecotone L1 blob base fee scalar.
    #[arg(long, default_value_t = 810_949)]
    pub blob_base_fee_scalar: u32,
}

impl InitRollupArgs {
    /// The rollup parameters.
    pub const fn params(&self) -> RollupParams {
        RollupParams {
            block_time: self.block_time,
            seq_window_size: self.seq_window_size,
            channel_timeout: self.channel_timeout,
            max_sequencer_drift: self.max_sequencer_drift,
            gas_limit: self.gas_limit,
            batcher: self.batcher,
            base_fee_scalar: self.base_fee_scalar,
            blob_base_fee_scalar: self.blob_base_fee_scalar,
        }
    }
}

/// Rollup-mode flags: without `--rollup.config` the node runs standalone (no L1).
#[derive(Debug, Args)]
pub struct RollupArgs {
    /// op-node style rollup.json; turns on rollup mode.
    #[arg(long = "rollup.config", env = "TREX_ROLLUP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Sequencer (produces blocks) or replica (derives every block from L1 and DA).
    #[arg(long = "mode", env = "TREX_MODE", value_enum, default_value = "sequencer")]
    pub mode: RollupMode,
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc-url", env = "TREX_L1_RPC_URL")]
    pub l1_rpc_url: Option<url::Url>,
    /// L1 blocks the sequencer waits before taking an L1 block (and its deposits) as origin.
    #[arg(long = "l1.confs", env = "TREX_L1_CONFS", default_value_t = 4)]
    pub l1_confirmations: u64,
    /// How often L1 is polled when idle.
    #[arg(long = "l1.poll-interval", env = "TREX_L1_POLL_INTERVAL", default_value = "500ms", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
    /// Timeout of each L1 request.
    #[arg(long = "l1.timeout", env = "TREX_L1_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub l1_timeout: Duration,
    /// The DA bridge (alt-DA server) to resolve commitments the batcher posted.
    #[arg(long = "da.url", env = "TREX_DA_URL")]
    pub da_url: Option<url::Url>,
}

/// `trex-sequencer node` flags.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Chain to run: mainnet, testnet, devnet, or a path to a geth-style genesis.json.
    #[arg(long, env = "TREX_CHAIN", default_value = "devnet")]
    pub chain: String,
    /// Directory for the chain database (default: `~/.trex/<chain>`).
    #[arg(long, env = "TREX_DATADIR")]
    pub datadir: Option<PathBuf>,
    /// Interval between blocks, e.g. `1s` or `200ms`.
    #[arg(long, env = "TREX_BLOCK_TIME", default_value = "1s", value_parser = humantime::parse_duration)]
    pub block_time: Duration,
    /// Gas limit of produced blocks.
    #[arg(long, env = "TREX_GAS_LIMIT", default_value_t = 30_000_000)]
    pub gas_limit: u64,
    /// Receives priority fees (default: the SequencerFeeVault predeploy).
    #[arg(long, env = "TREX_FEE_RECIPIENT", default_value_t = SEQUENCER_FEE_VAULT)]
    pub fee_recipient: Address,
    /// JSON-RPC server flags.
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// Transaction pool flags.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// Address for the Prometheus `/metrics` endpoint; off if unset.
    #[arg(long = "metrics.addr", env = "TREX_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Rollup-mode flags.
    #[command(flatten)]
    pub rollup: RollupArgs,
}

/// JSON-RPC server flags.
#[derive(Debug, Args)]
pub struct RpcArgs {
    /// Listen address for HTTP and WebSocket JSON-RPC.
    #[arg(long = "http.addr", env = "TREX_HTTP_ADDR", default_value = "127.0.0.1")]
    pub addr: IpAddr,
    /// Listen port for HTTP and WebSocket JSON-RPC (0 picks a free port).
    #[arg(long = "http.port", env = "TREX_HTTP_PORT", default_value_t = 9545)]
    pub port: u16,
    /// Largest accepted request body in bytes.
    #[arg(long = "rpc.max-request-size", env = "TREX_RPC_MAX_REQUEST_SIZE", default_value_t = 5 * 1024 * 1024)]
    pub max_request_bytes: u32,
    /// Most calls in one batch request.
    #[arg(long = "rpc.max-batch", env = "TREX_RPC_MAX_BATCH", default_value_t = 1000)]
    pub max_batch_len: u32,
    /// Gas cap of eth_call and eth_estimateGas.
    #[arg(long = "rpc.gascap", env = "TREX_RPC_GASCAP", default_value_t = 50_000_000)]
    pub gas_cap: u64,
}

/// Transaction pool flags.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Pending (executable) transaction slots (32 KiB each; most transactions take one).
    #[arg(long = "txpool.max-pending", env = "TREX_TXPOOL_MAX_PENDING")]
    pub max_pending: Option<usize>,
    /// Queued (future-nonce) transaction slots (32 KiB each).
    #[arg(long = "txpool.max-queued", env = "TREX_TXPOOL_MAX_QUEUED")]
    pub max_queued: Option<usize>,
    /// Most transactions per sender.
    #[arg(long = "txpool.max-per-sender", env = "TREX_TXPOOL_MAX_PER_SENDER")]
    pub max_per_sender: Option<usize>,
}

impl NodeArgs {
    /// The datadir, defaulting to `~/.trex/<chain>`.
    pub fn datadir(&self) -> PathBuf {
        self.datadir.clone().unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
            home.join(".trex").join(&self.chain)
        })
    }

    /// Block production settings.
    pub const fn producer(&self) -> ProducerConfig {
        ProducerConfig {
            block_time: self.block_time,
            gas_limit: self.gas_limit,
            fee_recipient: self.fee_recipient,
        }
    }

    /// Server settings.
    pub fn rpc(&self) -> RpcConfig {
        RpcConfig {
            addr: SocketAddr::new(self.rpc.addr, self.rpc.port),
            max_request_bytes: self.rpc.max_request_bytes,
            max_batch_len: self.rpc.max_batch_len,
            gas_cap: self.rpc.gas_cap,
            ..RpcConfig::default()
        }
    }

    /// Pool limits.
    pub fn pool(&self) -> PoolConfig {
        let mut config = PoolConfig::default();
        if let Some(n) = self.pool.max_pending {
            config.max_pending = n;
        }
        if let Some(n) = self.pool.max_queued {
            config.max_queued = n;
        }
        if let Some(n) = self.pool.max_per_sender {
            config.max_per_sender = n;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_devnet_command_line() {
        let cli = Cli::try_parse_from([
            "trex-sequencer",
            "node",
            "--chain",
            "devnet",
            "--datadir",
            "/tmp/x",
            "--http.port",
            "0",
            "--block-time",
            "200ms",
            "--gas-limit",
            "1000000000",
            "--metrics.addr",
            "127.0.0.1:9001",
        ])
        .unwrap();
        let Command::Node(args) = cli.command else { panic!("node") };
        assert_eq!(args.block_time, Duration::from_millis(200));
        assert_eq!(args.gas_limit, 1_000_000_000);
        assert_eq!(args.rpc().addr.port(), 0);
        assert_eq!(args.metrics_addr, Some("127.0.0.1:9001".parse().unwrap()));
        assert_eq!(args.datadir(), PathBuf::from("/tmp/x"));
    }

    #[test]
    fn rejects_a_bad_block_time() {
        assert!(Cli::try_parse_from(["trex-sequencer", "node", "--block-time", "soon"]).is_err());
    }
}
