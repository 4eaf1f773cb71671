//! Rollup pipeline benchmark: 10,000 ERC-20 transfers through sequencer → batcher → DA bridge →
//! L1, then a fresh replica derives the chain from L1 and DA alone.
//!
//! Reports bytes posted per transaction (to DA and to L1), the channel compression ratio
//! (transaction bytes in the batches vs frame bytes posted), and the replica's derivation speed
//! (blocks/s and transactions/s re-executed), and writes them into docs/benchmarks.md.
//!
//! Run (release binaries first; the benchmark takes them from target/release):
//!   cargo build --release -p trex-sequencer -p trex-batcher -p trex-da-bridge
//!   cargo bench -p trex-e2e --bench pipeline

use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
use alloy_sol_types::{SolCall, SolConstructor};
use serde_json::json;
use std::time::{Duration, Instant};
use trex_bindings::DevToken;
use trex_e2e::{
    devnet::{DEV_KEYS, Devnet, DevnetOptions},
    process::repo_root,
    rpc::{Rpc, quantity, tag},
    tx::{address_of, signed_call, signed_tx},
};

const L2_CHAIN_ID: u64 = 31628;
const TRANSFERS: u64 = 10_000;

async fn wait_receipt(l2: &Rpc, hash: &serde_json::Value) -> serde_json::Value {
    loop {
        let receipt = l2.call("eth_getTransactionReceipt", json!([hash])).await;
        if !receipt.is_null() {
            return receipt;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn nonce(l2: &Rpc, key: &str) -> u64 {
    quantity(
        &l2.call("eth_getTransactionCount", json!([format!("{}", address_of(key)), "pending"]))
            .await,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let options = DevnetOptions {
        sequencer_args: vec!["--txpool.max-per-sender".into(), "5000".into()],
        ..DevnetOptions::default()
    };
    let devnet = Devnet::start(options).await;
    let l2 = devnet.l2.clone();

    // The token, and token balances for eight senders.
    let deployer = DEV_KEYS[0];
    let mut init = DevToken::BYTECODE.to_vec();
    init.extend(
        DevToken::constructorCall {
            name_: "Bench".into(),
            symbol_: "BEN".into(),
            initialSupply: U256::from(10u64).pow(U256::from(30)),
        }
        .abi_encode(),
    );
    let mut deployer_nonce = nonce(&l2, deployer).await;
    let raw = signed_tx(deployer, L2_CHAIN_ID, deployer_nonce, TxKind::Create, 0, init.into());
    deployer_nonce += 1;
    let hash = l2.call("eth_sendRawTransaction", json!([raw])).await;
    let token: Address =
        wait_receipt(&l2, &hash).await["contractAddress"].as_str().unwrap().parse().unwrap();
    let senders = &DEV_KEYS[2..10];
    let mut last = json!(null);
    for key in senders {
        let call = DevToken::transferCall {
            to: address_of(key),
            value: U256::from(10u64).pow(U256::from(24)),
        };
        let raw =
            signed_call(deployer, L2_CHAIN_ID, deployer_nonce, token, 0, call.abi_encode().into());
        deployer_nonce += 1;
        last = l2.call("eth_sendRawTransaction", json!([raw])).await;
    }
    wait_receipt(&l2, &last).await;

    // Everything the batcher posts from here on is the load.
    let l1_start = devnet.l1.number("eth_blockNumber", json!([])).await;
    let l2_start = l2.number("eth_blockNumber", json!([])).await;
    let mut nonces = Vec::new();
    for key in senders {
        nonces.push(nonce(&l2, key).await);
    }
    let mut raw_bytes = 0usize;
    let started = Instant::now();
    for i in 0..TRANSFERS {
        let s = (i % senders.len() as u64) as usize;
        let call = DevToken::transferCall {
            to: Address::with_last_byte((i % 250) as u8 + 1),
            value: U256::from(1_000 + i),
        };
        let raw: Bytes =
            signed_call(senders[s], L2_CHAIN_ID, nonces[s], token, 0, call.abi_encode().into());
        nonces[s] += 1;
        raw_bytes += raw.len();
        last = l2.call("eth_sendRawTransaction", json!([raw])).await;
    }
    let last_block = quantity(&wait_receipt(&l2, &last).await["blockNumber"]);
    let send_seconds = started.elapsed().as_secs_f64();

    // Wait until the sequencer has verified every block against what the batcher posted.
    let started = Instant::now();
    Devnet::wait_safe(&l2, last_block, Duration::from_secs(600)).await;
    let post_seconds = started.elapsed().as_secs_f64();

    // Posted bytes: L1 inbox calldata, and the DA payloads behind the commitments.
    let http = reqwest::Client::new();
    let (mut l1_bytes, mut da_bytes, mut frames_data, mut l1_txs) =
        (0usize, 0usize, 0usize, 0usize);
    for (number, input) in devnet.inbox_transactions().await {
        if number <= l1_start {
            continue;
        }
        let calldata = hex::decode(&input).unwrap();
        l1_txs += 1;
        l1_bytes += calldata.len();
        let payload = if calldata[0] == 0x01 {
            let url = format!("{}/get/0x{}", devnet.da_url, hex::encode(&calldata[1..]));
            http.get(url).send().await.unwrap().bytes().await.unwrap().to_vec()
        } else {
            calldata
        };
        da_bytes += payload.len();
        let mut rest = &payload[1..];
        while rest.len() >= 23 {
            let len = u32::from_be_bytes(rest[18..22].try_into().unwrap()) as usize;
            frames_data += len;
            rest = &rest[22 + len + 1..];
        }
    }
    let mut batched_txs = 0usize;
    for number in l2_start + 1..=last_block {
        let block = l2.call("eth_getBlockByNumber", json!([tag(number), false])).await;
        batched_txs += block["transactions"].as_array().unwrap().len().saturating_sub(1);
    }

    // A fresh replica derives the same chain.
    let started = Instant::now();
    let (_replica, replica) = devnet.start_replica("bench-replica").await;
    devnet.wait_converged(&replica, last_block, Duration::from_secs(900)).await;
    let derive_seconds = started.elapsed().as_secs_f64();
    let total_txs: usize = {
        let mut n = 0;
        for number in 1..=last_block {
            let block = replica.call("eth_getBlockByNumber", json!([tag(number), false])).await;
            n += block["transactions"].as_array().unwrap().len();
        }
        n
    };

    let per_tx = |bytes: usize| bytes as f64 / TRANSFERS as f64;
    let section = format!(
        "### Rollup pipeline: 10,000 ERC-20 transfers (`cargo bench -p trex-e2e --bench pipeline`)\n\n\
         Measured {date} on this 2-core machine: sequencer, batcher (brotli channels, one frame per L1 \
         transaction), embedded DA bridge, anvil L1 with 1 s blocks, all release builds.\n\n\
         | measure | value |\n| --- | --- |\n\
         | transfers sent / included in L2 blocks {l2_first}–{last_block} | {TRANSFERS} / {batched_txs} user txs |\n\
         | signed transaction bytes (EIP-2718) | {raw_bytes} ({raw_per_tx:.1} B/tx) |\n\
         | frame data posted (compressed channels) | {frames_data} ({frames_per_tx:.1} B/tx) |\n\
         | **compression ratio** (tx bytes / frame data) | **{ratio:.2}×** |\n\
         | bytes put to DA (`0x00` ‖ frames) | {da_bytes} ({da_per_tx:.1} B/tx) |\n\
         | **L1 calldata posted** ({l1_txs} inbox txs with DA commitments) | **{l1_bytes} ({l1_per_tx:.2} B/tx)** |\n\
         | send time / time until every block was safe | {send_seconds:.1} s / {post_seconds:.1} s |\n\
         | **replica derivation** (from L1 + DA, {last_block} blocks, {total_txs} txs incl. deposits) | {derive_seconds:.1} s: **{bps:.1} blocks/s, {tps:.0} tx/s** |\n\n\
         No peer is named for this benchmark; for orientation, OP's own batcher also uses brotli span-batch \
         channels, and uncompressed calldata would cost the signed-transaction bytes above.\n",
        date = "2026-11-25",
        l2_first = l2_start + 1,
        raw_per_tx = per_tx(raw_bytes),
        frames_per_tx = per_tx(frames_data),
        ratio = raw_bytes as f64 / frames_data.max(1) as f64,
        da_per_tx = per_tx(da_bytes),
        l1_per_tx = per_tx(l1_bytes),
        bps = last_block as f64 / derive_seconds,
        tps = total_txs as f64 / derive_seconds,
    );
    println!("{section}");
    trex_loadgen::write_docs(&repo_root().join("docs/benchmarks.md"), "pipeline", &section)
        .expect("write docs/benchmarks.md");
}
