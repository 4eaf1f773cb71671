//! Faults on the posting side: the batcher and the DA bridge killed with SIGKILL, and the DA layer
//! down for longer than the batcher's fallback budget. The replica must still converge, and no
//! frame may reach L1 twice.

use alloy_primitives::{Address, Bytes, hex};
use serde_json::json;
use std::{collections::HashSet, time::Duration};
use trex_e2e::{
    devnet::{DEV_KEYS, Devnet, DevnetOptions},
    rpc::Rpc,
    tx::signed_call,
};

const L2_CHAIN_ID: u64 = 31628;

/// Sends `count` transfers from `key` starting at `nonce`, one every `gap`.
async fn send_transfers(l2: &Rpc, key: &str, nonce: u64, count: u64, gap: Duration) {
    for i in 0..count {
        let raw =
            signed_call(key, L2_CHAIN_ID, nonce + i, Address::with_last_byte(7), 1, Bytes::new());
        l2.call("eth_sendRawTransaction", json!([raw])).await;
        tokio::time::sleep(gap).await;
    }
}

/// The (channel id, frame number) of every frame posted to the inbox, resolving DA commitments
/// through the DA bridge.
async fn posted_frames(devnet: &Devnet) -> Vec<([u8; 16], u16)> {
    let http = reqwest::Client::new();
    let mut frames = Vec::new();
    for (_, input) in devnet.inbox_transactions().await {
        let calldata = hex::decode(&input).expect("hex calldata");
        let data = match calldata.first() {
            Some(0x00) => calldata,
            Some(0x01) => {
                let url = format!("{}/get/0x{}", devnet.da_url, hex::encode(&calldata[1..]));
                let response = http.get(url).send().await.expect("DA get");
                assert!(response.status().is_success(), "commitment on L1 unknown to DA");
                response.bytes().await.unwrap().to_vec()
            }
            other => panic!("unexpected batcher data version {other:?}"),
        };
        assert_eq!(data[0], 0x00, "derivation version 0");
        let mut rest = &data[1..];
        while rest.len() >= 23 {
            let id: [u8; 16] = rest[..16].try_into().unwrap();
            let number = u16::from_be_bytes([rest[16], rest[17]]);
            let len = u32::from_be_bytes(rest[18..22].try_into().unwrap()) as usize;
            frames.push((id, number));
            rest = &rest[22 + len + 1..];
        }
    }
    frames
}

fn assert_no_frame_twice(frames: &[([u8; 16], u16)]) {
    let unique: HashSet<_> = frames.iter().collect();
    assert_eq!(unique.len(), frames.len(), "a frame was posted twice: {frames:?}");
}

async fn converge(devnet: &Devnet, replica_name: &str) {
    let target = devnet.l2.number("eth_blockNumber", json!([])).await;
    Devnet::wait_safe(&devnet.l2, target, Duration::from_secs(180)).await;
    let (_replica, replica) = devnet.start_replica(replica_name).await;
    devnet.wait_converged(&replica, target, Duration::from_secs(240)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_and_da_bridge_killed_mid_channel_lose_and_repeat_nothing() {
    let mut devnet = Devnet::start(DevnetOptions::default()).await;
    let l2 = devnet.l2.clone();
    let load = tokio::spawn(async move {
        send_transfers(&l2, DEV_KEYS[3], 0, 120, Duration::from_millis(100)).await;
    });
    tokio::time::sleep(Duration::from_secs(4)).await;
    devnet.batcher.kill9();
    tokio::time::sleep(Duration::from_secs(2)).await;
    devnet.restart_batcher();
    tokio::time::sleep(Duration::from_secs(3)).await;
    devnet.da.kill9();
    tokio::time::sleep(Duration::from_secs(1)).await;
    devnet.da.restart();
    tokio::time::sleep(Duration::from_secs(2)).await;
    devnet.batcher.kill9();
    devnet.restart_batcher();
    load.await.unwrap();

    converge(&devnet, "replica").await;
    let frames = posted_frames(&devnet).await;
    assert!(!frames.is_empty());
    assert_no_frame_twice(&frames);
    trex_e2e::ledger::assert_ledger_matches_l1(&devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn da_outage_falls_back_to_calldata_and_returns_to_da() {
    let options = DevnetOptions {
        batcher_args: vec!["--da.fallback-after".into(), "3s".into()],
        ..DevnetOptions::default()
    };
    let mut devnet = Devnet::start(options).await;
    send_transfers(&devnet.l2, DEV_KEYS[4], 0, 10, Duration::from_millis(200)).await;
    let before = devnet.inbox_transactions().await.len();

    devnet.da.kill9();
    send_transfers(&devnet.l2, DEV_KEYS[4], 10, 40, Duration::from_millis(250)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let during = devnet.inbox_transactions().await;
    assert!(
        during[before..].iter().any(|(_, input)| input.starts_with("0x00")),
        "with DA down the batcher posts frames as calldata"
    );

    devnet.da.restart();
    let after_restart = devnet.inbox_transactions().await.len();
    send_transfers(&devnet.l2, DEV_KEYS[4], 50, 40, Duration::from_millis(250)).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = devnet.inbox_transactions().await;
    assert!(
        after[after_restart..].iter().any(|(_, input)| input.starts_with("0x01")),
        "the batcher returns to DA once it is back"
    );

    converge(&devnet, "replica").await;
    assert_no_frame_twice(&posted_frames(&devnet).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sequencer_keeps_producing_while_l1_is_unresponsive() {
    let devnet = Devnet::start(DevnetOptions::default()).await;
    send_transfers(&devnet.l2, DEV_KEYS[5], 0, 3, Duration::from_millis(200)).await;
    let before = devnet.l2.number("eth_blockNumber", json!([])).await;

    devnet.anvil.freeze(true);
    send_transfers(&devnet.l2, DEV_KEYS[5], 3, 5, Duration::from_millis(500)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = devnet.l2.number("eth_blockNumber", json!([])).await;
    devnet.anvil.freeze(false);
    assert!(during >= before + 4, "blocks kept coming with L1 frozen: {before} -> {during}");

    converge(&devnet, "replica").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sequencer_killed_in_rollup_mode_resumes_its_chain() {
    let mut devnet = Devnet::start(DevnetOptions::default()).await;
    send_transfers(&devnet.l2, DEV_KEYS[6], 0, 20, Duration::from_millis(100)).await;
    let head = devnet.l2.number("eth_blockNumber", json!([])).await;
    let block = devnet.l2.block(&trex_e2e::rpc::tag(head)).await;

    devnet.sequencer.kill9();
    devnet.sequencer.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while devnet.l2.try_call("eth_chainId", json!([])).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "sequencer did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What it acknowledged before the kill is still there, unchanged.
    assert_eq!(devnet.l2.block(&trex_e2e::rpc::tag(head)).await["hash"], block["hash"]);
    send_transfers(&devnet.l2, DEV_KEYS[6], 20, 10, Duration::from_millis(100)).await;
    converge(&devnet, "replica").await;
}
