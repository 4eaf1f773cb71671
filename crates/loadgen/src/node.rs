//! Starting and stopping local nodes (anvil, the T-Rex sequencer) for a benchmark.

use std::{
    fmt,
    fs::File,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde::Serialize;
use tracing::info;

use crate::{
    error::{LoadgenError, Result},
    rpc::RpcClient,
    signing::DEV_MNEMONIC,
};

/// How long a node may take to answer `eth_chainId` after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Dev accounts anvil funds from the mnemonic, as the T-Rex devnet genesis does.
const ANVIL_DEV_ACCOUNTS: u32 = 10;

/// Which node implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Foundry's anvil.
    Anvil,
    /// `trex-sequencer node --chain devnet`.
    Trex,
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Anvil => "anvil",
            Self::Trex => "T-Rex",
        })
    }
}

/// How to start a node.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// Implementation.
    pub kind: NodeKind,
    /// Path of its binary.
    pub binary: PathBuf,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Block time, whole seconds.
    pub block_time_secs: u64,
    /// Directory to keep the node's log in (as `<kind>.log`); a temporary one when `None`.
    pub log_dir: Option<PathBuf>,
}

impl NodeSpec {
    /// The command line for this node listening on `port`, keeping its data under `dir`.
    fn command(&self, port: u16, dir: &Path) -> Result<Command> {
        let mut command = Command::new(&self.binary);
        match self.kind {
            NodeKind::Anvil => {
                command.args([
                    "--host".to_owned(),
                    "127.0.0.1".to_owned(),
                    "--port".to_owned(),
                    port.to_string(),
                    "--block-time".to_owned(),
                    self.block_time_secs.to_string(),
                    "--gas-limit".to_owned(),
                    self.gas_limit.to_string(),
                    "--accounts".to_owned(),
                    ANVIL_DEV_ACCOUNTS.to_string(),
                    "--mnemonic".to_owned(),
                    DEV_MNEMONIC.to_owned(),
                ]);
            }
            NodeKind::Trex => {
                let metrics_port = free_port(&self.binary)?;
                command.arg("node").args([
                    "--chain".to_owned(),
                    "devnet".to_owned(),
                    "--datadir".to_owned(),
                    dir.join("data").display().to_string(),
                    "--http.addr".to_owned(),
                    "127.0.0.1".to_owned(),
                    "--http.port".to_owned(),
                    port.to_string(),
                    "--block-time".to_owned(),
                    format!("{}s", self.block_time_secs),
                    "--gas-limit".to_owned(),
                    self.gas_limit.to_string(),
                    "--metrics.addr".to_owned(),
                    format!("127.0.0.1:{metrics_port}"),
                ]);
            }
        }
        Ok(command)
    }
}

/// A node process started for a benchmark; killed when dropped.
#[derive(Debug)]
pub struct RunningNode {
    spec: NodeSpec,
    child: Child,
    url: String,
    log: PathBuf,
    // Holds the log file and datadir; removed on drop, after the process is gone.
    _dir: tempfile::TempDir,
}

impl RunningNode {
    /// Starts the node on a free loopback port and waits until it answers `eth_chainId`.
    pub async fn start(spec: NodeSpec) -> Result<Self> {
        let node_err = |detail: String| LoadgenError::Node { binary: spec.binary.clone(), detail };
        if !spec.binary.is_file() {
            return Err(node_err("no such file".into()));
        }
        let dir = tempfile::Builder::new()
            .prefix("trex-loadgen-")
            .tempdir()
            .map_err(|source| LoadgenError::Io { path: std::env::temp_dir(), source })?;
        let log = match &spec.log_dir {
            Some(log_dir) => {
                std::fs::create_dir_all(log_dir)
                    .map_err(|source| LoadgenError::Io { path: log_dir.clone(), source })?;
                log_dir.join(format!("{}.log", spec.kind.to_string().to_lowercase()))
            }
            None => dir.path().join("node.log"),
        };
        let log_file =
            File::create(&log).map_err(|source| LoadgenError::Io { path: log.clone(), source })?;
        let log_err = log_file
            .try_clone()
            .map_err(|source| LoadgenError::Io { path: log.clone(), source })?;
        let port = free_port(&spec.binary)?;
        let mut command = spec.command(port, dir.path())?;
        command.stdin(Stdio::null()).stdout(log_file).stderr(log_err);
        info!(node = %spec.kind, ?command, "starting node");
        let child = command.spawn().map_err(|e| node_err(format!("cannot start: {e}")))?;
        let mut node =
            Self { spec, child, url: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        node.wait_ready().await?;
        Ok(node)
    }

    /// HTTP JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = RpcClient::new(self.url.clone())?;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| self.error(&e.to_string()))? {
                return Err(self.error(&format!("exited with {status} during startup")));
            }
            if client.chain_id().await.is_ok() {
                info!(node = %self.spec.kind, url = %self.url, "node is up");
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(
                    self.error(&format!("did not answer eth_chainId within {STARTUP_TIMEOUT:?}"))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An error about this node with the tail of its log.
    fn error(&self, what: &str) -> LoadgenError {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        LoadgenError::Node {
            binary: self.spec.binary.clone(),
            detail: format!("{what}; last log lines:\n{}", tail.join("\n")),
        }
    }

    /// Fails if the process has exited (a crash under load).
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self.error(&format!("exited with {status}"))),
            Err(e) => Err(self.error(&e.to_string())),
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        // Already exited is fine; anything else has been logged by the process itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP port that was free a moment ago.
fn free_port(binary: &Path) -> Result<u16> {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).map_err(|e| {
        LoadgenError::Node { binary: binary.to_owned(), detail: format!("no free port: {e}") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(spec: &NodeSpec) -> Vec<String> {
        let command = spec.command(9999, Path::new("/tmp/x")).unwrap();
        command.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn anvil_gets_block_time_gas_limit_and_mnemonic() {
        let spec = NodeSpec {
            kind: NodeKind::Anvil,
            binary: "anvil".into(),
            gas_limit: 1_000_000_000,
            block_time_secs: 1,
            log_dir: None,
        };
        let args = args(&spec).join(" ");
        assert!(args.contains("--port 9999"));
        assert!(args.contains("--block-time 1"));
        assert!(args.contains("--gas-limit 1000000000"));
        assert!(args.contains("--accounts 10"));
        assert!(args.contains(&format!("--mnemonic {DEV_MNEMONIC}")));
    }

    #[test]
    fn trex_gets_the_sequencer_cli() {
        let spec = NodeSpec {
            kind: NodeKind::Trex,
            binary: "trex-sequencer".into(),
            gas_limit: 500_000_000,
            block_time_secs: 2,
            log_dir: None,
        };
        let args = args(&spec);
        assert_eq!(args[0], "node");
        let joined = args.join(" ");
        assert!(joined.contains("--chain devnet"));
        assert!(joined.contains("--datadir /tmp/x/data"));
        assert!(joined.contains("--http.addr 127.0.0.1 --http.port 9999"));
        assert!(joined.contains("--block-time 2s"));
        assert!(joined.contains("--gas-limit 500000000"));
        assert!(joined.contains("--metrics.addr 127.0.0.1:"));
    }
}
