//! Rollup mode refuses a bad configuration at start-up with one clear line, before serving.

use std::{net::TcpListener, path::Path, process::Command};

/// Writes a rollup config for the devnet chain started at a made-up L1 block.
fn init_rollup(dir: &Path) {
    let deployment = dir.join("l1.json");
    std::fs::write(
        &deployment,
        r#"{"l1ChainId":31337,"TRexPortal":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "SystemConfig":"0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
            "batchInbox":"0xff00000000000000000000000000000000031628",
            "deployBlock":{"number":3,"hash":"0x0101010101010101010101010101010101010101010101010101010101010101","timestamp":1700000000}}"#,
    )
    .unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_trex-sequencer"))
        .args(["init-rollup", "--chain", "devnet", "--l1-deployment"])
        .arg(&deployment)
        .arg("--out-dir")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `trex-sequencer node` with `args` on a fresh datadir and returns its stderr, asserting it
/// failed.
fn fails(dir: &Path, args: &[&str]) -> String {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let datadir = tempfile::tempdir_in(dir).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trex-sequencer"))
        .args(["node", "--http.port", &port.to_string(), "--datadir"])
        .arg(datadir.path())
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success(), "started with {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_rollup_configs_fail_at_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    init_rollup(dir.path());
    let genesis = dir.path().join("genesis.json");
    let rollup = dir.path().join("rollup.json");
    let (genesis, rollup) = (genesis.to_str().unwrap(), rollup.to_str().unwrap());

    let missing =
        fails(dir.path(), &["--chain", genesis, "--rollup.config", "/nonexistent/rollup.json"]);
    assert!(missing.contains("cannot read /nonexistent/rollup.json"), "{missing}");

    std::fs::write(dir.path().join("broken.json"), "{\"genesis\": 1}").unwrap();
    let broken = dir.path().join("broken.json");
    let malformed =
        fails(dir.path(), &["--chain", genesis, "--rollup.config", broken.to_str().unwrap()]);
    assert!(malformed.contains("rollup config"), "{malformed}");

    // The built-in devnet genesis has another timestamp than the rollup's genesis.json.
    let other_genesis = fails(dir.path(), &["--chain", "devnet", "--rollup.config", rollup]);
    assert!(
        other_genesis.contains("use the genesis.json written by init-rollup"),
        "{other_genesis}"
    );

    let no_l1 = fails(dir.path(), &["--chain", genesis, "--rollup.config", rollup]);
    assert!(no_l1.contains("rollup mode needs --l1.rpc-url"), "{no_l1}");

    let dead_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = fails(
        dir.path(),
        &[
            "--chain",
            genesis,
            "--rollup.config",
            rollup,
            "--l1.rpc-url",
            &format!("http://127.0.0.1:{dead_port}"),
            "--l1.timeout",
            "2s",
        ],
    );
    assert!(unreachable.contains("cannot reach the L1 node"), "{unreachable}");
}
