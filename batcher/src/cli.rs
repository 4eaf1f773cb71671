//! Command line of `trex-batcher` and how it assembles the batcher.

use alloy_signer_local::PrivateKeySigner;
use clap::Parser;
use kona_genesis::RollupConfig;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use tokio::sync::watch;
use tracing::info;
use trex_da_client::DaClient;
use trex_service_support::redact_url;

use crate::{
    Batcher, BatcherError, ChannelConfig, DaPoster, Ledger, Metrics, RpcL2Source, SpanParams,
    TxConfig, TxManager,
};

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num.parse().map_err(|_| format!("bad duration {s:?} (e.g. 30s, 500ms, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("bad duration unit in {s:?} (ms, s or m)")),
    }
}

/// `trex-batcher`: posts L2 blocks as OP channels/frames to DA and commitments to L1.
#[derive(Debug, Clone, Parser)]
#[command(name = "trex-batcher", version, about)]
pub struct Args {
    /// L1 JSON-RPC URL.
    #[arg(long = "l1-rpc", env = "TREX_BATCHER_L1_RPC")]
    pub l1_rpc: url::Url,
    /// L2 (sequencer) JSON-RPC URL.
    #[arg(long = "l2-rpc", env = "TREX_BATCHER_L2_RPC")]
    pub l2_rpc: url::Url,
    /// DA server URL; without it frames are always posted as calldata.
    #[arg(long = "da-url", env = "TREX_BATCHER_DA_URL")]
    pub da_url: Option<String>,
    /// Path of the rollup config (op-node's rollup.json).
    #[arg(long = "rollup-config", env = "TREX_BATCHER_ROLLUP_CONFIG")]
    pub rollup_config: PathBuf,
    /// Batcher private key (hex).
    #[arg(long = "private-key", env = "TREX_BATCHER_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// Postgres URL of the ledger.
    #[arg(long = "database-url", env = "TREX_BATCHER_DATABASE_URL")]
    pub database_url: String,
    /// Maximum encoded frame size in bytes.
    #[arg(
        long = "target-frame-size",
        env = "TREX_BATCHER_TARGET_FRAME_SIZE",
        default_value_t = 120_000
    )]
    pub target_frame_size: usize,
    /// Frames a channel fills before it is closed.
    #[arg(long = "target-num-frames", env = "TREX_BATCHER_TARGET_NUM_FRAMES", default_value_t = 1)]
    pub target_num_frames: usize,
    /// L1 blocks after which an open channel is closed.
    #[arg(
        long = "max-channel-duration",
        env = "TREX_BATCHER_MAX_CHANNEL_DURATION",
        default_value_t = 10
    )]
    pub max_channel_duration: u64,
    /// How long DA puts may keep failing before frames are posted as calldata.
    #[arg(long = "da.fallback-after", env = "TREX_BATCHER_DA_FALLBACK_AFTER", default_value = "30s", value_parser = parse_duration)]
    pub da_fallback_after: Duration,
    /// L1 blocks (inclusion block counted) until a transaction is confirmed.
    #[arg(long = "num-confirmations", env = "TREX_BATCHER_NUM_CONFIRMATIONS", default_value_t = 1)]
    pub num_confirmations: u64,
    /// How long a transaction may stay unmined before it is resent with higher fees.
    #[arg(long = "resubmission-timeout", env = "TREX_BATCHER_RESUBMISSION_TIMEOUT", default_value = "48s", value_parser = parse_duration)]
    pub resubmission_timeout: Duration,
    /// Time between two rounds.
    #[arg(long = "poll-interval", env = "TREX_BATCHER_POLL_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Address of the Prometheus `/metrics` endpoint.
    #[arg(
        long = "metrics.addr",
        env = "TREX_BATCHER_METRICS_ADDR",
        default_value = "127.0.0.1:7301"
    )]
    pub metrics_addr: SocketAddr,
}

impl Args {
    /// Reads and checks the rollup config.
    pub fn rollup(&self) -> Result<RollupConfig, BatcherError> {
        let path = self.rollup_config.display();
        let text = std::fs::read_to_string(&self.rollup_config)
            .map_err(|err| BatcherError::Config(format!("rollup config {path}: {err}")))?;
        let rollup: RollupConfig = serde_json::from_str(&text)
            .map_err(|err| BatcherError::Config(format!("rollup config {path}: {err}")))?;
        if rollup.batch_inbox_address.is_zero() {
            return Err(BatcherError::Config(format!(
                "rollup config {path}: no batch_inbox_address"
            )));
        }
        let timeout = rollup
            .channel_timeout(rollup.genesis.l2_time)
            .min(rollup.channel_timeout(u64::MAX))
            .min(rollup.seq_window_size);
        if self.max_channel_duration.saturating_mul(2) > timeout {
            return Err(BatcherError::Config(format!(
                "--max-channel-duration {} is not well within the rollup's channel timeout and \
                 sequencing window ({timeout} L1 blocks): use at most {}",
                self.max_channel_duration,
                timeout / 2
            )));
        }
        Ok(rollup)
    }

    /// Checks the flags and the rollup config, then the private key.
    pub fn validate(&self) -> Result<(RollupConfig, PrivateKeySigner), BatcherError> {
        if self.target_frame_size <= crate::channel::FRAME_HEADER_LEN || self.target_num_frames == 0
        {
            return Err(BatcherError::Config(
                "--target-frame-size must be between 24 and 1000000 bytes and --target-num-frames > 0".into(),
            ));
        }
        if self.num_confirmations == 0 || self.max_channel_duration == 0 {
            return Err(BatcherError::Config(
                "--num-confirmations and --max-channel-duration must be > 0".into(),
            ));
        }
        let rollup = self.rollup()?;
        let signer: PrivateKeySigner = self
            .private_key
            .parse()
            .map_err(|_| BatcherError::Config("--private-key is not a hex secp256k1 key".into()))?;
        Ok((rollup, signer))
    }

    /// Builds the batcher and runs it until `shutdown` turns true.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), BatcherError> {
        let (rollup, signer) = self.validate()?;
        let ledger = Ledger::connect(&self.database_url).await.map_err(|err| {
            BatcherError::Config(format!("database {}: {err}", redact_url(&self.database_url)))
        })?;
        let metrics = Metrics::new();
        let bound = metrics.serve(self.metrics_addr).await?;
        info!(target: "batcher", %bound, "metrics");
        let da = self
            .da_url
            .as_deref()
            .map(|url| DaClient::new(url, Duration::from_secs(10)))
            .transpose()
            .map_err(|err| BatcherError::Config(format!("--da-url: {err}")))?;
        let poster = DaPoster::new(da, self.da_fallback_after, metrics.clone());
        let tx_config = TxConfig {
            num_confirmations: self.num_confirmations,
            resubmission_timeout: self.resubmission_timeout,
        };
        let txmgr = TxManager::new(
            self.l1_rpc.clone(),
            signer,
            rollup.batch_inbox_address,
            tx_config,
            metrics.clone(),
        )
        .await
        .map_err(|err| BatcherError::Config(format!("--l1-rpc {}: {err}", self.l1_rpc)))?;
        let source = RpcL2Source::new(self.l2_rpc.clone(), Duration::from_secs(10))?;
        let config = ChannelConfig {
            params: SpanParams {
                genesis_timestamp: rollup.genesis.l2_time,
                chain_id: rollup.l2_chain_id.id(),
            },
            target_frame_size: self.target_frame_size,
            target_num_frames: self.target_num_frames,
            max_channel_duration: self.max_channel_duration,
            max_blocks_per_step: 500,
        };
        let batcher = Batcher::new(source, ledger, txmgr, poster, config, metrics).await?;
        batcher.run(self.poll_interval, shutdown).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = [
            "trex-batcher",
            "--l1-rpc=http://127.0.0.1:8545",
            "--l2-rpc=http://127.0.0.1:9545",
            "--rollup-config=/nonexistent/rollup.json",
            "--private-key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "--database-url=postgres://postgres@127.0.0.1/x",
        ];
        Args::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn parses_flags_and_durations() {
        let a = args(&["--da.fallback-after=500ms", "--resubmission-timeout=2m"]).unwrap();
        assert_eq!(a.da_fallback_after, Duration::from_millis(500));
        assert_eq!(a.resubmission_timeout, Duration::from_secs(120));
        assert_eq!(a.poll_interval, Duration::from_secs(1));
        assert!(a.da_url.is_none());
        assert!(args(&["--da.fallback-after=5h"]).is_err());
        assert!(Args::try_parse_from(["trex-batcher"]).is_err());
    }

    #[test]
    fn bad_rollup_config_is_reported() {
        let err = args(&[]).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/rollup.json"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollup.json");
        std::fs::write(&path, "{\"nope\": 1}").unwrap();
        let mut a = args(&[]).unwrap();
        a.rollup_config = path;
        assert!(a.validate().unwrap_err().to_string().contains("rollup config"));
        let a = args(&["--target-frame-size=10"]).unwrap();
        assert!(a.validate().unwrap_err().to_string().contains("target-frame-size"));
    }

    #[test]
    fn channel_duration_must_fit_the_channel_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollup.json");
        let rollup = RollupConfig {
            batch_inbox_address: alloy_primitives::address!(
                "ff00000000000000000000000000000000031628"
            ),
            seq_window_size: 3600,
            channel_timeout: 300,
            granite_channel_timeout: 50,
            hardforks: kona_genesis::HardForkConfig { granite_time: Some(0), ..Default::default() },
            ..Default::default()
        };
        std::fs::write(&path, serde_json::to_string(&rollup).unwrap()).unwrap();
        let mut a = args(&[]).unwrap();
        a.rollup_config = path.clone();
        let (read, _) = a.validate().unwrap();
        assert_eq!(read.batch_inbox_address, rollup.batch_inbox_address);
        let mut a = args(&["--max-channel-duration=26"]).unwrap();
        a.rollup_config = path;
        let err = a.validate().unwrap_err().to_string();
        assert!(err.contains("at most 25"), "{err}");
    }
}
