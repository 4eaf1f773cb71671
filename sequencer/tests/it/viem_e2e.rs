//! The same deploy/transfer/read flow from JavaScript with viem (`sequencer/tests/e2e/`), over
//! HTTP and WebSocket. The first run installs the locked npm dependencies (`npm ci`), which needs
//! the npm registry: hence the `net_` prefix, so an offline run can filter it out.

use std::time::Duration;

use serde_json::Value;

use crate::{
    harness::{DEVNET_CHAIN_ID, TestNode},
    tools::{self, RepoLock, devtoken_artifact, forge_build, repo_root, run},
    tx::dev_key_hex,
};

/// Installs the e2e project's locked dependencies if they are not there yet.
fn npm_ci_once() {
    let dir = repo_root().join("sequencer/tests/e2e");
    let _lock = RepoLock::acquire("e2e-npm");
    if dir.join("node_modules/viem/package.json").is_file() {
        return;
    }
    let mut cmd = tools::system("npm");
    cmd.current_dir(&dir).args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]);
    run(&mut cmd, Duration::from_secs(600));
}

#[test]
fn net_viem_deploy_transfer_logs_and_ws_blocks() {
    let node = TestNode::start();
    forge_build();
    npm_ci_once();
    let dir = repo_root().join("sequencer/tests/e2e");
    let mut cmd = tools::system("node");
    cmd.current_dir(&dir)
        .arg("devtoken.mjs")
        .env("RPC_URL", node.http_url())
        .env("WS_URL", node.ws_url())
        .env("PRIVATE_KEY", dev_key_hex(7))
        .env("CHAIN_ID", DEVNET_CHAIN_ID.to_string())
        .env("ARTIFACT", devtoken_artifact());
    let out = run(&mut cmd, Duration::from_secs(180));
    eprintln!("{}", out.stdout);

    // Cross-check what the script reports against the node directly.
    let summary: Value = out
        .stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("devtoken.mjs printed no JSON summary:\n{}", out.stdout));
    assert_eq!(summary["ok"], true);
    let rpc = node.rpc();
    for key in ["deployTx", "transferTx", "ethTx"] {
        let hash =
            summary[key].as_str().unwrap_or_else(|| panic!("summary has no {key}: {summary}"));
        let receipt =
            rpc.receipt(hash).unwrap_or_else(|| panic!("node has no receipt for {key} {hash}"));
        assert_eq!(receipt["status"], "0x1", "{key}");
    }
    let token = summary["token"].as_str().expect("token");
    let code = rpc.ok("eth_getCode", serde_json::json!([token, "latest"]));
    assert!(code.as_str().is_some_and(|c| c.len() > 2), "no code at {token}");
    assert!(summary["wsBlocks"].as_array().is_some_and(|b| b.len() >= 3), "{summary}");
}
