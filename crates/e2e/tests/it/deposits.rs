//! Deposits under L1 trouble: an L1 reorg that removes a deposit's block, and a sequencer that
//! ignores deposits for longer than the sequencing window.

use alloy_primitives::Address;
use serde_json::json;
use std::time::{Duration, Instant};
use trex_e2e::{
    devnet::{DEV_KEYS, Devnet, DevnetOptions},
    rpc::{Rpc, quantity, tag},
};

async fn balance(node: &Rpc, address: Address) -> u64 {
    quantity(&node.call("eth_getBalance", json!([format!("{address}"), "latest"])).await)
}

async fn wait_balance(node: &Rpc, address: Address, want: u64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let got = balance(node, address).await;
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{address} on {} has {got}, want {want}", node.url);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_l1_reorg_removing_a_deposit_makes_the_sequencer_drop_it() {
    // Confirmation depth 0: the sequencer adopts L1 blocks (and deposits) at once, so a reorg
    // can take one back.
    let options = DevnetOptions { sequencer_l1_confs: 0, ..DevnetOptions::default() };
    let devnet = Devnet::start(options).await;
    let recipient = Address::repeat_byte(0xee);
    let receipt = devnet.deposit(DEV_KEYS[5], &format!("{recipient}"), 5_000, 100_000, "0x");
    let deposit_block = quantity(&receipt["blockNumber"]);
    wait_balance(&devnet.l2, recipient, 5_000, Duration::from_secs(30)).await;

    // Replace the L1 blocks from the deposit's on with empty ones.
    let head = devnet.l1.number("eth_blockNumber", json!([])).await;
    let depth = head - deposit_block + 1;
    devnet.l1.call("anvil_reorg", json!([depth, []])).await;
    let replaced = devnet.l1.block(&tag(deposit_block)).await;
    assert_ne!(replaced["hash"], receipt["blockHash"], "the deposit's block was reorged out");

    wait_balance(&devnet.l2, recipient, 0, Duration::from_secs(60)).await;
    // The chain goes on, and a replica derives the same one.
    let target = devnet.l2.number("eth_blockNumber", json!([])).await + 3;
    Devnet::wait_safe(&devnet.l2, target, Duration::from_secs(180)).await;
    let (_replica, replica) = devnet.start_replica("replica").await;
    devnet.wait_converged(&replica, target, Duration::from_secs(240)).await;
    assert_eq!(balance(&replica, recipient).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_the_sequencer_ignores_is_forced_in_after_the_sequencing_window() {
    // The sequencer never sees an L1 block as confirmed, so it never adopts a new L1 origin and
    // never includes a deposit; derivation must force it in once the window has passed.
    let options = DevnetOptions {
        sequencer_l1_confs: 1_000_000,
        seq_window_size: 12,
        ..DevnetOptions::default()
    };
    let devnet = Devnet::start(options).await;
    let recipient = Address::repeat_byte(0xfe);
    devnet.deposit(DEV_KEYS[6], &format!("{recipient}"), 7_000, 100_000, "0x");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(balance(&devnet.l2, recipient).await, 0, "the sequencer has not included it");

    wait_balance(&devnet.l2, recipient, 7_000, Duration::from_secs(120)).await;
    let target = devnet.l2.number("eth_blockNumber", json!([])).await;
    Devnet::wait_safe(&devnet.l2, target, Duration::from_secs(120)).await;
    let (_replica, replica) = devnet.start_replica("replica").await;
    devnet.wait_converged(&replica, target, Duration::from_secs(240)).await;
    assert_eq!(balance(&replica, recipient).await, 7_000);
}
