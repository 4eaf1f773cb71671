//! Integration tests: a small load against a real anvil started by the test.
//!
//! The anvil binary comes from `TREX_ANVIL_BIN` or the repository's `.tools/bin/anvil`, which
//! `deploy/install-tools.sh` installs. Without it these tests fail; they never pass silently.

use std::{path::PathBuf, time::Duration};

use trex_loadgen::{
    DEV_MNEMONIC, LoadConfig, LoadReport, NodeKind, NodeSpec, RunningNode, Scenario, run_load,
};

/// Transactions per scenario: enough to span several requests per worker, small enough for CI.
const TXS: usize = 300;
/// Sending accounts.
const SENDERS: u32 = 20;

fn anvil_bin() -> PathBuf {
    let path = std::env::var_os("TREX_ANVIL_BIN").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/anvil")
    });
    assert!(
        path.is_file(),
        "anvil not found at {}: run deploy/install-tools.sh (or set TREX_ANVIL_BIN)",
        path.display()
    );
    path
}

async fn start_anvil() -> RunningNode {
    RunningNode::start(NodeSpec {
        kind: NodeKind::Anvil,
        binary: anvil_bin(),
        gas_limit: 100_000_000,
        block_time_secs: 1,
        log_dir: None,
    })
    .await
    .expect("anvil starts")
}

fn config(url: &str, scenario: Scenario, batch: usize) -> LoadConfig {
    LoadConfig {
        rpc_url: url.to_owned(),
        scenario,
        txs: TXS,
        accounts: SENDERS,
        concurrency: 8,
        batch,
        rate: None,
        mnemonic: DEV_MNEMONIC.to_owned(),
        funder_index: 0,
        first_sender_index: 1000,
        max_in_flight_per_sender: 16,
        fee_multiplier: 3,
        inclusion_timeout: Duration::from_secs(60),
        poll_interval: Duration::from_millis(10),
        verify_sample: 50,
        seed: Some(1),
    }
}

fn assert_complete(report: &LoadReport) {
    assert_eq!(report.txs, TXS);
    assert_eq!(report.rejected, 0, "rejections: {:?}", report.first_errors);
    assert_eq!(report.accepted, TXS);
    assert_eq!(report.included, TXS);
    assert_eq!(report.not_included, 0);
    assert!(!report.timed_out);
    assert_eq!(report.receipts_checked, 50);
    assert_eq!(report.receipts_ok, 50, "failures: {:?}", report.receipt_failures);
    assert!(report.accepted_tps > 0.0 && report.included_tps > 0.0);
    let latency = report.latency.expect("latencies of included transactions");
    assert_eq!(latency.samples, TXS);
    assert!(latency.p50_ms <= latency.p99_ms && latency.p99_ms <= latency.max_ms);
    assert!(report.blocks_used >= 1);
    assert!(report.mgas_per_s > 0.0);
    let ours: usize = report.blocks.iter().map(|b| b.ours).sum();
    assert_eq!(ours, TXS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_and_erc20_loads_against_anvil() {
    let anvil = start_anvil().await;

    let eth = run_load(&config(anvil.url(), Scenario::Eth, 1)).await.expect("eth load");
    assert_complete(&eth);
    assert_eq!(eth.chain_id, 31_337);
    assert_eq!(eth.gas_limit_per_tx, 21_000);
    assert_eq!(eth.setup_txs, SENDERS as usize, "one funding transfer per sender");
    // Every block holding our transfers holds only them: 21,000 gas each.
    let ours: usize = eth.blocks.iter().map(|b| b.ours).sum();
    assert_eq!(eth.gas_used, 21_000 * ours as u64);

    // Same senders again, now with JSON-RPC batches at an offered 1,000 tx/s: their nonces
    // continue from the first run.
    let erc20 =
        run_load(&LoadConfig { rate: Some(1_000.0), ..config(anvil.url(), Scenario::Erc20, 10) })
            .await
            .expect("erc20 load");
    assert_complete(&erc20);
    assert_eq!(erc20.batch, 10);
    // The last batch starts with transaction 290, due 290 ms after the first.
    assert!(erc20.send_window_s >= 0.29, "send window {} s", erc20.send_window_s);
    assert_eq!(erc20.offered_rate, Some(1_000.0));
    assert!(erc20.gas_limit_per_tx > 21_000);
    // Deployment, one token transfer per sender, and ETH top-ups where the costlier calls need
    // more than the first run left.
    assert!(erc20.setup_txs > SENDERS as usize, "setup sent {} txs", erc20.setup_txs);
}
