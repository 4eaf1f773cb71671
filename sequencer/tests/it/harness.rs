//! Starts a node for a test: the real `trex-sequencer` binary on a free port with a temporary
//! datadir and 200 ms blocks, waits until it answers `eth_chainId`, and kills it on drop.
//!
//! `TREX_IT_NODE=anvil` runs the same tests against anvil from `.tools/bin` instead (same
//! JSON-RPC, same dev accounts, chain id set to the devnet's). That is for developing the tests
//! only: anvil does not implement the sequencer's crash safety or request limits, so those tests
//! fail against it by design.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use serde_json::json;
use tempfile::TempDir;

use crate::{rpc::Rpc, tools};

/// The devnet chain id (`--chain devnet`).
pub(crate) const DEVNET_CHAIN_ID: u64 = 31628;

/// How long a node may take to answer `eth_chainId` after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Which binary serves the JSON-RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// `trex-sequencer node --chain devnet`, the binary built with these tests.
    Sequencer,
    /// anvil from `.tools/bin`, for developing the tests before the sequencer exists.
    Anvil,
}

impl NodeKind {
    /// `TREX_IT_NODE`: `sequencer` (default) or `anvil`.
    pub(crate) fn from_env() -> Self {
        match std::env::var("TREX_IT_NODE").as_deref() {
            Err(_) | Ok("") | Ok("sequencer") => Self::Sequencer,
            Ok("anvil") => Self::Anvil,
            Ok(other) => panic!("TREX_IT_NODE={other:?}: expected `sequencer` or `anvil`"),
        }
    }
}

/// A running node owned by one test.
pub(crate) struct TestNode {
    kind: NodeKind,
    child: Option<Child>,
    dir: Option<TempDir>,
    addr: SocketAddr,
    log: PathBuf,
}

impl TestNode {
    /// Starts a node of the kind chosen by `TREX_IT_NODE` and waits until it is healthy.
    pub(crate) fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("trex-it-").tempdir().expect("create temp dir");
        let log = dir.path().join("node.log");
        let mut node = Self {
            kind: NodeKind::from_env(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir: Some(dir),
            log,
        };
        node.spawn();
        node
    }

    pub(crate) fn kind(&self) -> NodeKind {
        self.kind
    }

    /// A JSON-RPC client for the node.
    pub(crate) fn rpc(&self) -> Rpc {
        Rpc::new(self.addr)
    }

    /// `http://127.0.0.1:<port>`
    pub(crate) fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:<port>` (WebSocket is served on the HTTP port).
    pub(crate) fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// The node's state directory, reused across [`TestNode::restart`].
    pub(crate) fn datadir(&self) -> PathBuf {
        self.dir.as_ref().expect("temp dir").path().join("data")
    }

    /// Sends SIGKILL (no chance to flush or clean up) and waits for the process to be gone.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the node");
            child.wait().expect("reap the node");
        }
    }

    /// Starts the node again with the same datadir (on a fresh port) and waits until it is healthy.
    pub(crate) fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    fn spawn(&mut self) {
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            let port = free_port();
            self.addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .unwrap_or_else(|e| panic!("open {}: {e}", self.log.display()));
            let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
            let mut cmd = self.command(port);
            cmd.env("NO_COLOR", "1") // the log is a file: no terminal colour codes
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone log handle"))
                .stderr(log);
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools::describe(&cmd)));
            self.child = Some(child);
            match self.wait_healthy() {
                Ok(()) => return,
                Err(why) => {
                    self.kill9();
                    let since = read_from(&self.log, log_start);
                    let port_taken = since.contains("in use") || since.contains("AddrInUse");
                    if port_taken && attempt < ATTEMPTS {
                        continue; // another process took the free port between probe and bind
                    }
                    panic!(
                        "{:?} node did not become healthy: {why}\ncommand: {}\n--- last log lines ({}) ---\n{}",
                        self.kind,
                        tools::describe(&cmd),
                        self.log.display(),
                        tail(&self.log, 40)
                    );
                }
            }
        }
    }

    fn command(&self, port: u16) -> Command {
        let datadir = self.datadir();
        std::fs::create_dir_all(&datadir).expect("create datadir");
        match self.kind {
            NodeKind::Sequencer => {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_trex-sequencer"));
                cmd.args(["node", "--chain", "devnet", "--datadir"])
                    .arg(&datadir)
                    .args(["--http.addr", "127.0.0.1", "--http.port", &port.to_string()])
                    .args(["--block-time", "200ms", "--gas-limit", "30000000"])
                    .args(["--metrics.addr", &format!("127.0.0.1:{}", free_port())]);
                cmd
            }
            NodeKind::Anvil => {
                let mut cmd = tools::tool("anvil");
                cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                    .args(["--chain-id", &DEVNET_CHAIN_ID.to_string(), "--block-time", "0.2"])
                    .args(["--gas-limit", "30000000", "--state-interval", "1", "--state"])
                    .arg(datadir.join("anvil-state.json"));
                cmd
            }
        }
    }

    fn wait_healthy(&mut self) -> Result<(), String> {
        let rpc = self.rpc();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("the process exited with {status}"));
            }
            match rpc.call("eth_chainId", json!([])) {
                Ok(id) => {
                    let id = crate::rpc::hex_u64(&id);
                    return if id == DEVNET_CHAIN_ID {
                        Ok(())
                    } else {
                        Err(format!("eth_chainId answered {id}, expected {DEVNET_CHAIN_ID}"))
                    };
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!(
                        "no answer to eth_chainId within {STARTUP_TIMEOUT:?}: {e}"
                    ));
                }
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill9();
        if thread::panicking() {
            eprintln!(
                "--- last node log lines ({}) ---\n{}",
                self.log.display(),
                tail(&self.log, 60)
            );
            if let Some(dir) = self.dir.take() {
                eprintln!("kept the node's directory for inspection: {}", dir.keep().display());
            }
        }
    }
}

/// A port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.seek(SeekFrom::Start(offset));
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn tail(path: &Path, n: usize) -> String {
    let s = read_from(path, 0);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
