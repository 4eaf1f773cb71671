//! The whole pipeline: L2 transactions and L1 deposits go in at the sequencer, the batcher posts
//! them through the DA bridge, and a fresh replica that reads only L1 and the DA bridge reaches
//! the same chain.

use alloy_primitives::{Address, Bytes, TxKind, hex};
use serde_json::json;
use std::time::Duration;
use trex_e2e::{
    devnet::{DEV_KEYS, Devnet, DevnetOptions},
    rpc::{quantity, tag},
    tx::{address_of, signed_call, signed_tx},
};

const L2_CHAIN_ID: u64 = 31628;

/// Runtime code: `slot0 += 1` on every call.
const COUNTER_RUNTIME: &str = "600054600101600055";

fn counter_init_code() -> Bytes {
    // CODECOPY the runtime that follows this 12-byte prefix, then RETURN it.
    let runtime = hex::decode(COUNTER_RUNTIME.to_owned() + "00").unwrap();
    let mut code =
        hex::decode(format!("60{:02x}600c60003960{:02x}6000f3", runtime.len(), runtime.len()))
            .unwrap();
    code.extend(runtime);
    code.into()
}

async fn send_raw(devnet: &Devnet, raw: &Bytes) -> String {
    devnet.l2.call("eth_sendRawTransaction", json!([raw])).await.as_str().unwrap().to_string()
}

async fn wait_receipt(devnet: &Devnet, hash: &str) -> serde_json::Value {
    for _ in 0..120 {
        let receipt = devnet.l2.call("eth_getTransactionReceipt", json!([hash])).await;
        if !receipt.is_null() {
            return receipt;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no receipt for {hash}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fresh_replica_derives_the_sequencer_chain_from_l1_and_da() {
    let options = DevnetOptions {
        sequencer_args: vec!["--txpool.max-per-sender".into(), "500".into()],
        ..DevnetOptions::default()
    };
    let devnet = Devnet::start(options).await;

    // A contract on L2 that deposits will call.
    let deployer = DEV_KEYS[2];
    let create = signed_tx(deployer, L2_CHAIN_ID, 0, TxKind::Create, 0, counter_init_code());
    let receipt = wait_receipt(&devnet, &send_raw(&devnet, &create).await).await;
    let counter = receipt["contractAddress"].as_str().unwrap().to_string();

    // 1,000 L2 transfers from seven senders, sent while deposits land.
    let senders = &DEV_KEYS[3..10];
    let mut last = String::new();
    for i in 0..1_000u64 {
        let key = senders[(i % senders.len() as u64) as usize];
        let nonce = i / senders.len() as u64;
        let to = Address::with_last_byte((i % 200) as u8 + 1);
        let raw = signed_call(key, L2_CHAIN_ID, nonce, to, 1_000 + i, Bytes::new());
        last = send_raw(&devnet, &raw).await;
    }

    // 20 deposits: 10 of ETH to fresh accounts, 10 calls of the counter.
    let depositor = DEV_KEYS[0];
    for i in 0..10u8 {
        let to = format!("{}", Address::repeat_byte(0xd0 + i));
        devnet.deposit(depositor, &to, 1_000_000_000_000_000 + u128::from(i), 100_000, "0x");
        devnet.deposit(depositor, &counter, 0, 100_000, "0x");
    }
    let receipt = wait_receipt(&devnet, &last).await;
    // L2 transactions pay the L1 data fee, reported as op-geth does.
    assert!(quantity(&receipt["l1Fee"]) > 0, "l1Fee in {receipt}");
    let l1_fee_vault = devnet
        .l2
        .call("eth_getBalance", json!(["0x420000000000000000000000000000000000001a", "latest"]))
        .await;
    assert!(quantity(&l1_fee_vault) > 0, "the L1FeeVault collects L1 data fees");

    // All deposits are in once the counter reads 10 (the sequencer waits for L1 confirmations).
    let mut count = 0;
    for _ in 0..120 {
        count =
            quantity(&devnet.l2.call("eth_getStorageAt", json!([counter, "0x0", "latest"])).await);
        if count == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(count, 10, "all 10 contract-call deposits executed on L2");
    for i in 0..10u8 {
        let balance = devnet
            .l2
            .call(
                "eth_getBalance",
                json!([format!("{}", Address::repeat_byte(0xd0 + i)), "latest"]),
            )
            .await;
        assert_eq!(quantity(&balance), 1_000_000_000_000_000 + u64::from(i));
    }
    let target = devnet.l2.number("eth_blockNumber", json!([])).await;

    // The sequencer's own derivation confirms its blocks: safe, then finalized.
    Devnet::wait_safe(&devnet.l2, target, Duration::from_secs(180)).await;

    let (_replica, replica) = devnet.start_replica("replica").await;
    devnet.wait_converged(&replica, target, Duration::from_secs(240)).await;
    Devnet::wait_safe(&replica, target, Duration::from_secs(60)).await;
    // Finalized heads advance too, on both nodes.
    Devnet::wait_finalized(&replica, 1, Duration::from_secs(60)).await;
    Devnet::wait_finalized(&devnet.l2, 1, Duration::from_secs(60)).await;
    let sender = address_of(senders[0]);
    let nonce =
        replica.call("eth_getTransactionCount", json!([format!("{sender}"), tag(target)])).await;
    assert_eq!(quantity(&nonce), 1_000 / senders.len() as u64 + 1);

    // Everything came from the batcher's data: nothing was forced or replaced.
    let sequencer_log = std::fs::read_to_string(&devnet.sequencer.log).unwrap();
    assert!(!sequencer_log.contains("differs from the L1-derived one"), "no block replaced");
    assert!(!sequencer_log.contains("empty block forced"), "no block forced");

    // Output roots agree.
    let a = devnet.l2.call("optimism_outputAtBlock", json!([tag(target)])).await;
    let b = replica.call("optimism_outputAtBlock", json!([tag(target)])).await;
    assert_eq!(a["outputRoot"], b["outputRoot"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_batcher_set_on_l1_is_followed_by_derivation() {
    let mut devnet = Devnet::start(DevnetOptions::default()).await;
    let sender = DEV_KEYS[3];
    let mut nonce = 0;
    for _ in 0..5 {
        let raw =
            signed_call(sender, L2_CHAIN_ID, nonce, Address::with_last_byte(9), 1, Bytes::new());
        nonce += 1;
        send_raw(&devnet, &raw).await;
    }
    let first = devnet.l2.number("eth_blockNumber", json!([])).await;
    Devnet::wait_safe(&devnet.l2, first, Duration::from_secs(120)).await;

    // The owner hands batching to account 7; the old batcher stops, a new one takes over.
    devnet.batcher.kill9();
    let new_key = DEV_KEYS[7];
    let new_batcher = format!("{}", address_of(new_key));
    devnet.l1_send(DEV_KEYS[0], &devnet.system_config(), &["setBatcher(address)", &new_batcher]);
    let (_batcher, _db) = devnet.start_batcher_with_key("trex-batcher-2", new_key).await;
    for _ in 0..5 {
        let raw =
            signed_call(sender, L2_CHAIN_ID, nonce, Address::with_last_byte(9), 1, Bytes::new());
        nonce += 1;
        send_raw(&devnet, &raw).await;
    }
    let target = devnet.l2.number("eth_blockNumber", json!([])).await;
    Devnet::wait_safe(&devnet.l2, target, Duration::from_secs(120)).await;
    let (_replica, replica) = devnet.start_replica("replica").await;
    devnet.wait_converged(&replica, target, Duration::from_secs(180)).await;
    let sequencer_log = std::fs::read_to_string(&devnet.sequencer.log).unwrap();
    assert!(sequencer_log.contains("system config updated on L1"));
    assert!(!sequencer_log.contains("empty block forced"), "the new batcher's data was used");
}
