//! A whole rollup stack for one test.

use crate::{
    process::{Service, free_port, repo_root, tool, workspace_bin},
    rpc::{Rpc, quantity, tag},
};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};
use tempfile::TempDir;

/// Anvil's default mnemonic keys: the deployer (0), the batcher (1) and test users (3…).
pub use trex_test_support::DEV_KEYS;

/// The batcher's key (anvil account 1).
pub const BATCHER_KEY: &str = DEV_KEYS[1];

/// Knobs of a test stack.
#[derive(Debug, Clone)]
pub struct DevnetOptions {
    /// Sequencing window in L1 blocks.
    pub seq_window_size: u64,
    /// Channel timeout in L1 blocks.
    pub channel_timeout: u64,
    /// The sequencer's L1 confirmation depth.
    pub sequencer_l1_confs: u64,
    /// Whether the batcher posts through the DA bridge (else calldata only).
    pub use_da: bool,
    /// Extra batcher flags.
    pub batcher_args: Vec<String>,
    /// Extra sequencer flags.
    pub sequencer_args: Vec<String>,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        Self {
            seq_window_size: 30,
            channel_timeout: 10,
            sequencer_l1_confs: 1,
            use_da: true,
            batcher_args: Vec::new(),
            sequencer_args: Vec::new(),
        }
    }
}

/// The L1 contracts as deploy/deploy-l1.sh reports them.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The JSON file.
    pub path: PathBuf,
    /// Its content.
    pub json: Value,
}

impl Deployment {
    /// The portal's address.
    pub fn portal(&self) -> String {
        self.json["TRexPortal"].as_str().expect("TRexPortal").to_string()
    }

    /// The batch inbox address.
    pub fn inbox(&self) -> String {
        self.json["batchInbox"].as_str().expect("batchInbox").to_string()
    }
}

/// A running stack. Services are killed when it is dropped.
#[derive(Debug)]
pub struct Devnet {
    /// Where everything lives.
    pub dir: TempDir,
    /// L1.
    pub anvil: Service,
    /// L1 endpoint.
    pub l1: Rpc,
    /// The L1 deployment.
    pub deployment: Deployment,
    /// genesis.json and rollup.json.
    pub genesis: PathBuf,
    /// op-node style rollup config.
    pub rollup_config: PathBuf,
    /// The DA bridge.
    pub da: Service,
    /// DA bridge URL.
    pub da_url: String,
    /// The sequencer.
    pub sequencer: Service,
    /// Sequencer endpoint.
    pub l2: Rpc,
    /// The batcher.
    pub batcher: Service,
    /// The batcher's Postgres database URL.
    pub database_url: String,
    options: DevnetOptions,
}

impl Devnet {
    /// Starts L1, deploys the contracts, writes the rollup config and starts the DA bridge, the
    /// sequencer and the batcher.
    pub async fn start(options: DevnetOptions) -> Self {
        let dir = tempfile::Builder::new().prefix("trex-e2e-").tempdir().expect("temp dir");
        let path = dir.path().to_path_buf();
        let l1_port = free_port();
        let anvil = Service::start(
            "anvil",
            &tool("anvil"),
            &args(&[
                "--host",
                "127.0.0.1",
                "--port",
                &l1_port.to_string(),
                "--block-time",
                "1",
                "--slots-in-an-epoch",
                "1",
            ]),
            &path.join("anvil.log"),
        );
        let l1 = Rpc::new(format!("http://127.0.0.1:{l1_port}"));
        wait_for(&l1, "eth_chainId", Duration::from_secs(30)).await;

        let deployment_path = path.join("l1-deployment.json");
        let status = Command::new(repo_root().join("deploy/deploy-l1.sh"))
            .arg(&l1.url)
            .arg(&deployment_path)
            .status()
            .expect("run deploy/deploy-l1.sh");
        assert!(status.success(), "deploy/deploy-l1.sh failed");
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(&deployment_path).unwrap()).unwrap();
        let deployment = Deployment { path: deployment_path, json };

        let rollup_dir = path.join("rollup");
        let status = Command::new(workspace_bin("trex-sequencer"))
            .args(["init-rollup", "--chain", "devnet", "--l1-deployment"])
            .arg(&deployment.path)
            .arg("--out-dir")
            .arg(&rollup_dir)
            .args(["--seq-window-size", &options.seq_window_size.to_string()])
            .args(["--channel-timeout", &options.channel_timeout.to_string()])
            .status()
            .expect("run trex-sequencer init-rollup");
        assert!(status.success(), "init-rollup failed");
        let genesis = rollup_dir.join("genesis.json");
        let rollup_config = rollup_dir.join("rollup.json");

        let da_port = free_port();
        let da_url = format!("http://127.0.0.1:{da_port}");
        let da = Service::start(
            "trex-da-bridge",
            &workspace_bin("trex-da-bridge"),
            &[
                "--addr".into(),
                format!("127.0.0.1:{da_port}"),
                "--datadir".into(),
                path.join("da").display().to_string(),
            ],
            &path.join("da.log"),
        );
        wait_http(&format!("{da_url}/health"), Duration::from_secs(30)).await;

        let (sequencer, l2) = start_node(
            &path,
            "sequencer",
            &genesis,
            &rollup_config,
            &l1.url,
            &da_url,
            &[
                ["--l1.confs".into(), options.sequencer_l1_confs.to_string()].as_slice(),
                &options.sequencer_args,
            ]
            .concat(),
        )
        .await;

        let database_url = create_database().await;
        let batcher = start_batcher(
            &path,
            "trex-batcher",
            BATCHER_KEY,
            &options,
            &l1.url,
            &l2.url,
            &da_url,
            &rollup_config,
            &database_url,
        );
        Self {
            dir,
            anvil,
            l1,
            deployment,
            genesis,
            rollup_config,
            da,
            da_url,
            sequencer,
            l2,
            batcher,
            database_url,
            options,
        }
    }

    /// Starts a replica that reads only L1 and the DA bridge, with a fresh datadir.
    pub async fn start_replica(&self, name: &str) -> (Service, Rpc) {
        start_node(
            self.dir.path(),
            name,
            &self.genesis,
            &self.rollup_config,
            &self.l1.url,
            &self.da_url,
            &["--mode".into(), "replica".into()],
        )
        .await
    }

    /// Starts another batcher signing with `key`, with a ledger of its own.
    pub async fn start_batcher_with_key(&self, name: &str, key: &str) -> (Service, String) {
        let database_url = create_database().await;
        let service = start_batcher(
            self.dir.path(),
            name,
            key,
            &self.options,
            &self.l1.url,
            &self.l2.url,
            &self.da_url,
            &self.rollup_config,
            &database_url,
        );
        (service, database_url)
    }

    /// Sends an L1 transaction with `cast send` (`args` after the target: signature, arguments).
    pub fn l1_send(&self, key: &str, to: &str, args: &[&str]) -> Value {
        let output = Command::new(tool("cast"))
            .args(["send", "--json", "--rpc-url", &self.l1.url, "--private-key", key, to])
            .args(args)
            .output()
            .expect("cast send");
        assert!(
            output.status.success(),
            "cast send failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("cast receipt json")
    }

    /// The SystemConfig address.
    pub fn system_config(&self) -> String {
        self.deployment.json["SystemConfig"].as_str().expect("SystemConfig").to_string()
    }

    /// Restarts the batcher with the same settings (after a kill -9, say).
    pub fn restart_batcher(&mut self) {
        self.batcher.restart();
    }

    /// The options the stack was started with.
    pub const fn options(&self) -> &DevnetOptions {
        &self.options
    }

    /// Sends an L1 deposit through the portal with `cast send`, returning the L1 receipt.
    pub fn deposit(&self, key: &str, to: &str, value_wei: u128, gas: u64, data: &str) -> Value {
        let output = Command::new(tool("cast"))
            .args(["send", "--json", "--rpc-url", &self.l1.url, "--private-key", key])
            .arg(self.deployment.portal())
            .arg("depositTransaction(address,uint256,uint64,bool,bytes)")
            .args([to, &value_wei.to_string(), &gas.to_string(), "false", data])
            .args(["--value", &value_wei.to_string()])
            .output()
            .expect("cast send");
        assert!(
            output.status.success(),
            "deposit failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("cast receipt json")
    }

    /// Waits until `node` has the sequencer's block at `number` with the same hash and state root.
    pub async fn wait_converged(&self, node: &Rpc, number: u64, timeout: Duration) {
        let want = self.l2.block(&tag(number)).await;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(got) =
                node.try_call("eth_getBlockByNumber", json!([tag(number), false])).await
                && !got.is_null()
            {
                assert_eq!(got["hash"], want["hash"], "block {number} differs");
                assert_eq!(got["stateRoot"], want["stateRoot"]);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not reach block {number} in {timeout:?}",
                node.url
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The `optimism_syncStatus` of `node`.
    pub async fn sync_status(node: &Rpc) -> Value {
        node.call("optimism_syncStatus", json!([])).await
    }

    /// Waits until `node`'s safe head reaches `number`.
    pub async fn wait_safe(node: &Rpc, number: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let status = Self::sync_status(node).await;
            if status["safe_l2"]["number"].as_u64().unwrap_or(0) >= number {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "safe head of {} stuck at {} (want {number}): {status}",
                node.url,
                status["safe_l2"]["number"]
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until `node`'s finalized head reaches `number` (it follows L1's finalized block, so
    /// it trails the safe head by a few L1 blocks).
    pub async fn wait_finalized(node: &Rpc, number: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let status = Self::sync_status(node).await;
            if status["finalized_l2"]["number"].as_u64().unwrap_or(0) >= number {
                return;
            }
            assert!(Instant::now() < deadline, "finalized head of {} stuck: {status}", node.url);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// All batch-inbox transactions on L1 so far: (L1 block number, calldata hex).
    pub async fn inbox_transactions(&self) -> Vec<(u64, String)> {
        self.inbox_transactions_with_hashes()
            .await
            .into_iter()
            .map(|(n, _, input)| (n, input))
            .collect()
    }

    /// All batch-inbox transactions on L1 so far: (L1 block number, tx hash, calldata hex).
    pub async fn inbox_transactions_with_hashes(&self) -> Vec<(u64, String, String)> {
        let head = self.l1.number("eth_blockNumber", json!([])).await;
        let inbox = self.deployment.inbox().to_lowercase();
        let mut found = Vec::new();
        for number in 0..=head {
            let block = self.l1.call("eth_getBlockByNumber", json!([tag(number), true])).await;
            for tx in block["transactions"].as_array().into_iter().flatten() {
                if tx["to"].as_str().map(str::to_lowercase) == Some(inbox.clone()) {
                    found.push((
                        number,
                        tx["hash"].as_str().unwrap_or_default().to_lowercase(),
                        tx["input"].as_str().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
        found
    }
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

async fn start_node(
    dir: &Path,
    name: &str,
    genesis: &Path,
    rollup_config: &Path,
    l1_url: &str,
    da_url: &str,
    extra: &[String],
) -> (Service, Rpc) {
    let port = free_port();
    let mut node_args = vec![
        "node".to_string(),
        "--chain".into(),
        genesis.display().to_string(),
        "--datadir".into(),
        dir.join(name).display().to_string(),
        "--http.port".into(),
        port.to_string(),
        "--rollup.config".into(),
        rollup_config.display().to_string(),
        "--l1.rpc-url".into(),
        l1_url.into(),
        "--da.url".into(),
        da_url.into(),
        "--l1.poll-interval".into(),
        "200ms".into(),
    ];
    node_args.extend_from_slice(extra);
    let service = Service::start(
        name,
        &workspace_bin("trex-sequencer"),
        &node_args,
        &dir.join(format!("{name}.log")),
    );
    let rpc = Rpc::new(format!("http://127.0.0.1:{port}"));
    wait_for(&rpc, "eth_chainId", Duration::from_secs(60)).await;
    (service, rpc)
}

#[allow(clippy::too_many_arguments)]
fn start_batcher(
    dir: &Path,
    name: &str,
    key: &str,
    options: &DevnetOptions,
    l1_url: &str,
    l2_url: &str,
    da_url: &str,
    rollup_config: &Path,
    database_url: &str,
) -> Service {
    let mut batcher_args = vec![
        "--l1-rpc".to_string(),
        l1_url.into(),
        "--l2-rpc".into(),
        l2_url.into(),
        "--rollup-config".into(),
        rollup_config.display().to_string(),
        "--database-url".into(),
        database_url.into(),
        "--private-key".into(),
        key.into(),
        // Short channels: a test sees its blocks safe within seconds.
        "--max-channel-duration".into(),
        "2".into(),
        "--poll-interval".into(),
        "300ms".into(),
    ];
    if options.use_da {
        batcher_args.extend(["--da-url".into(), da_url.into()]);
    }
    batcher_args.extend(options.batcher_args.iter().cloned());
    Service::start(
        name,
        &workspace_bin("trex-batcher"),
        &batcher_args,
        &dir.join(format!("{name}.log")),
    )
}

/// A fresh Postgres database for one test's batcher.
pub async fn create_database() -> String {
    use sqlx::Connection;
    let name = format!("trex_e2e_{:016x}", rand_u64());
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .expect("Postgres at 127.0.0.1:5432 (deploy/test.sh starts it)");
    // The name is generated above from hex digits only.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create db");
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

async fn wait_for(rpc: &Rpc, method: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while rpc.try_call(method, json!([])).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "{} did not answer {method} within {timeout:?}",
            rpc.url
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until a GET of `url` answers with a success status.
pub async fn wait_http(url: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(Instant::now() < deadline, "{url} did not answer within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads a hex quantity field of a JSON object.
pub fn field_u64(value: &Value, key: &str) -> u64 {
    quantity(&value[key])
}
