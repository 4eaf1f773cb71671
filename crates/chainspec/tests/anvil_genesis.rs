//! The genesis state root we compute equals anvil's for the same `alloc` (anvil from
//! `deploy/install-tools.sh`).
//!
//! anvil reports the empty-trie root in its block 0 header when started with `--init` (it does not
//! hash the genesis state), so anvil's root is read from its `eth_getProof` at block 0: the hash of
//! the proof's first node is the root of the trie it holds. anvil adds the EIP-2935 history
//! contract and the CREATE2 deployer to every genesis; our genesis files carry both, so the allocs
//! are the same.

use alloy_genesis::Genesis;
use alloy_primitives::{B256, keccak256};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use trex_chainspec::ChainSpec;

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("TREX_TOOLS_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(path.exists(), "{} missing: run deploy/install-tools.sh first", path.display());
    path
}

struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn cast(url: &str, args: &[&str]) -> String {
    let out = Command::new(tool("cast")).args(args).args(["--rpc-url", url]).output().unwrap();
    assert!(out.status.success(), "cast {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn start_anvil(genesis: &Genesis) -> (Anvil, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    std::fs::write(&path, serde_json::to_string(genesis).unwrap()).unwrap();
    let port = free_port();
    let child = Command::new(tool("anvil"))
        .args(["--init", path.to_str().unwrap(), "--accounts", "0", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Command::new(tool("cast"))
        .args(["chain-id", "--rpc-url", &anvil.url])
        .output()
        .map_or(true, |out| !out.status.success())
    {
        assert!(Instant::now() < deadline, "anvil did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (anvil, dir)
}

fn anvil_state_root(genesis: &Genesis, probe: &str) -> B256 {
    let (anvil, _dir) = start_anvil(genesis);
    let proof: serde_json::Value =
        serde_json::from_str(&cast(&anvil.url, &["proof", probe, "--block", "0"])).unwrap();
    let root_node: alloy_primitives::Bytes =
        serde_json::from_value(proof["accountProof"][0].clone()).unwrap();
    keccak256(&root_node)
}

#[test]
fn devnet_genesis_state_root_matches_anvil() {
    let spec = ChainSpec::devnet();
    let root = anvil_state_root(&spec.genesis, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert_eq!(spec.genesis_header().state_root, root);
}

#[test]
fn genesis_with_code_storage_and_nonces_matches_anvil() {
    let mut genesis = ChainSpec::devnet().genesis.clone();
    let alloc: serde_json::Value = serde_json::json!({
        "0x1000000000000000000000000000000000000001": {
            "balance": "0x1", "nonce": "0x5", "code": "0x6001600055",
            "storage": {
                "0x0000000000000000000000000000000000000000000000000000000000000001":
                    "0x0000000000000000000000000000000000000000000000000000000000000007",
                "0x00000000000000000000000000000000000000000000000000000000000000ff":
                    "0x00000000000000000000000000000000000000000000000000000000deadbeef"
            }
        },
        "0x2000000000000000000000000000000000000002": { "balance": "0xde0b6b3a7640000" }
    });
    let system_contracts = genesis.alloc.clone().into_iter().filter(|(_, a)| a.code.is_some());
    genesis.alloc = serde_json::from_value(alloc).unwrap();
    genesis.alloc.extend(system_contracts);
    let spec = ChainSpec::from_genesis("custom", genesis.clone()).unwrap();
    let root = anvil_state_root(&genesis, "0x2000000000000000000000000000000000000002");
    assert_eq!(spec.genesis_header().state_root, root);
}
