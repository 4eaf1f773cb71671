//! Crash safety: `kill -9` the node while it is taking transfers, restart it on the same datadir,
//! and check that nothing it reported before the kill was lost or changed. Done twice, so the
//! second crash hits a node that has itself recovered from a crash.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256, keccak256};
use serde_json::Value;

use crate::{
    harness::{DEVNET_CHAIN_ID, NodeKind, TestNode},
    rpc::{Rpc, hex_u64, hex_u128},
    tx::{Fees, dev_signer, send_raw, sign, transfer},
};

/// Dev accounts that send the load (each from its own thread).
const SENDERS: [u32; 3] = [4, 5, 6];
/// How many times the node is killed and restarted.
const CRASHES: u32 = 2;
/// Pause between two sends of one sender.
const SEND_INTERVAL: Duration = Duration::from_millis(15);
/// At most this many transfers per sender and round, so the load is bounded whatever happens.
const MAX_TX_PER_SENDER: u64 = 3_000;
/// Kill once receipts from at least this many blocks and this many transactions were read.
const KILL_AFTER_BLOCKS: usize = 8;
const KILL_AFTER_RECEIPTS: usize = 80;
/// How long the load may run before the test gives up waiting for enough mined transfers.
const LOAD_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct Sent {
    sender: Address,
    nonce: u64,
    to: Address,
    value: U256,
    hash: String,
}

/// A unique, fresh recipient per transfer (a nonce lost in one round's crash is reused in the
/// next), so its balance says exactly whether that transfer is in the chain.
fn recipient(round: u32, sender: u32, nonce: u64) -> Address {
    Address::from_slice(&keccak256(format!("trex-crash-recipient/{round}/{sender}/{nonce}"))[12..])
}

/// Sends transfers from dev account `index`, starting at `first_nonce`, until `stop` is set.
fn spawn_sender(
    rpc: Rpc,
    round: u32,
    index: u32,
    first_nonce: u64,
    fees: Fees,
    stop: Arc<AtomicBool>,
    sent: Arc<Mutex<Vec<Sent>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let signer = dev_signer(index);
        for nonce in first_nonce..first_nonce + MAX_TX_PER_SENDER {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let to = recipient(round, index, nonce);
            let value = U256::from(1_000_000_000u64 + nonce);
            let (raw, hash) = sign(&signer, transfer(DEVNET_CHAIN_ID, nonce, to, value, fees));
            let hash = format!("{hash:#x}");
            // Record before sending: a transfer the node may have taken counts as sent.
            sent.lock().unwrap().push(Sent {
                sender: signer.address(),
                nonce,
                to,
                value,
                hash: hash.clone(),
            });
            match send_raw(&rpc, &raw) {
                Ok(h) => assert_eq!(h, hash, "node answered a different hash"),
                // The node was killed under us: that is the point of the test.
                Err(_) if stop.load(Ordering::Relaxed) => return,
                Err(e) => {
                    panic!("transfer {nonce} of dev account {index} rejected under load: {e}")
                }
            }
            thread::sleep(SEND_INTERVAL);
        }
    })
}

/// Everything the node reported before it was killed.
#[derive(Default)]
struct Observed {
    /// Block number -> block (header fields, tx hashes) as returned.
    blocks: BTreeMap<u64, Value>,
    /// Tx hash -> receipt as returned.
    receipts: HashMap<String, Value>,
}

/// Reads blocks `from..=upto` not read yet, and the receipt of each of their transactions.
fn observe(rpc: &Rpc, from: u64, upto: u64, seen: &mut Observed) {
    for n in from..=upto {
        if seen.blocks.contains_key(&n) {
            continue;
        }
        let Some(block) = rpc.block(n) else { return };
        for tx in block["transactions"].as_array().expect("transactions array") {
            let hash = tx.as_str().expect("tx hash").to_owned();
            let receipt = rpc
                .receipt(&hash)
                .unwrap_or_else(|| panic!("block {n} has {hash} but no receipt for it"));
            assert_eq!(
                receipt["blockHash"], block["hash"],
                "receipt of {hash} names another block"
            );
            seen.receipts.insert(hash, receipt);
        }
        seen.blocks.insert(n, block);
    }
}

fn fee_paid(receipt: &Value) -> u128 {
    let gas = hex_u128(&receipt["gasUsed"]) * hex_u128(&receipt["effectiveGasPrice"]);
    // An OP-stack receipt also reports the L1 data fee charged to the sender.
    let l1 = receipt.get("l1Fee").filter(|v| !v.is_null()).map_or(0, hex_u128);
    gas + l1
}

/// Runs the load until enough of it is mined, reads the head, and `kill -9`s the node while the
/// senders are still sending. Returns the head read last before the kill.
fn load_then_kill(
    node: &mut TestNode,
    round: u32,
    seen: &mut Observed,
    sent_all: &mut Vec<Sent>,
) -> u64 {
    let rpc = node.rpc();
    let fees = Fees::from_node(&rpc);
    let start_block = rpc.block_number();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = SENDERS
        .iter()
        .map(|&i| {
            let first_nonce = rpc.nonce(&dev_signer(i).address().to_string(), "pending");
            spawn_sender(rpc.clone(), round, i, first_nonce, fees, stop.clone(), sent.clone())
        })
        .collect();

    let receipts_before = seen.receipts.len();
    let deadline = Instant::now() + LOAD_TIMEOUT;
    loop {
        if handles.iter().any(|h| h.is_finished()) {
            stop.store(true, Ordering::Relaxed);
            for h in handles {
                h.join().expect("a sender failed before the kill (see its panic above)");
            }
            panic!("round {round}: a sender stopped before the kill");
        }
        observe(&rpc, start_block + 1, rpc.block_number(), seen);
        let blocks_with_txs = seen
            .blocks
            .range(start_block + 1..)
            .filter(|(_, b)| !b["transactions"].as_array().unwrap().is_empty())
            .count();
        let receipts = seen.receipts.len() - receipts_before;
        if blocks_with_txs >= KILL_AFTER_BLOCKS && receipts >= KILL_AFTER_RECEIPTS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "round {round}: only {receipts} receipts in {blocks_with_txs} blocks after {LOAD_TIMEOUT:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
    // The last thing read before the kill: the head as the node reported it, and its block.
    let head = rpc.block_number();
    observe(&rpc, start_block + 1, head, seen);

    stop.store(true, Ordering::Relaxed);
    node.kill9();
    for h in handles {
        h.join().expect("sender thread");
    }
    let sent = std::mem::take(&mut *sent.lock().unwrap());
    eprintln!(
        "round {round}: killed at head {head} after {} receipts from this round; {} transfers sent",
        seen.receipts.len() - receipts_before,
        sent.len(),
    );
    sent_all.extend(sent);
    head
}

/// After a restart: the chain, receipts, balances and nonces agree with everything seen before.
fn verify_after_restart(
    rpc: &Rpc,
    round: u32,
    head_before: u64,
    seen: &Observed,
    sent: &[Sent],
    initial: &HashMap<Address, u128>,
) {
    // 1. The chain resumes at or after the head read before the kill, on the same blocks.
    let head_after = rpc.block_number();
    assert!(
        head_after >= head_before,
        "round {round}: node resumed at {head_after}, below the head {head_before} it had reported"
    );
    for (n, block) in &seen.blocks {
        let now = rpc.block(*n).unwrap_or_else(|| panic!("block {n} is gone after the restart"));
        assert_eq!(now, *block, "round {round}: block {n} changed across the crash");
    }
    for n in head_before + 1..=head_after {
        let (parent, child) = (rpc.block(n - 1).unwrap(), rpc.block(n).unwrap());
        assert_eq!(
            child["parentHash"],
            parent["hash"],
            "block {n} does not extend block {}",
            n - 1
        );
    }

    // 2. Every receipt returned before the kill is returned identically.
    for (hash, receipt) in &seen.receipts {
        let now = rpc.receipt(hash).unwrap_or_else(|| {
            panic!("round {round}: receipt of {hash} is gone after the restart")
        });
        assert_eq!(now, *receipt, "round {round}: receipt of {hash} changed across the crash");
    }

    // 3. Balances and nonces agree with the receipts that exist now. Wait until the pool is
    //    drained (a node that keeps its pool across restarts mines the rest; one that does not
    //    has nothing pending), so that "latest" is stable while we read it.
    let drain_deadline = Instant::now() + Duration::from_secs(30);
    while SENDERS.iter().any(|&i| {
        let a = dev_signer(i).address().to_string();
        rpc.nonce(&a, "pending") != rpc.nonce(&a, "latest")
    }) {
        assert!(
            Instant::now() < drain_deadline,
            "pending transfers not mined within 30 s of the restart"
        );
        thread::sleep(Duration::from_millis(200));
    }
    let mut mined_per_sender: HashMap<Address, Vec<(&Sent, Value)>> = HashMap::new();
    for s in sent {
        let balance = rpc.balance(&s.to.to_string());
        match rpc.receipt(&s.hash) {
            Some(r) => {
                assert_eq!(r["status"], "0x1", "transfer {} failed", s.hash);
                assert_eq!(
                    U256::from(balance),
                    s.value,
                    "recipient of mined {} has the wrong balance",
                    s.hash
                );
                mined_per_sender.entry(s.sender).or_default().push((s, r));
            }
            None => {
                assert!(!seen.receipts.contains_key(&s.hash), "receipt of {} vanished", s.hash);
                assert_eq!(balance, 0, "recipient of unmined {} has a balance", s.hash);
            }
        }
    }
    for &i in &SENDERS {
        let addr = dev_signer(i).address();
        let mined = mined_per_sender.remove(&addr).unwrap_or_default();
        let mut nonces: Vec<u64> = mined.iter().map(|(s, _)| s.nonce).collect();
        nonces.sort_unstable();
        let expected: Vec<u64> = (0..nonces.len() as u64).collect();
        assert_eq!(nonces, expected, "dev account {i}: mined nonces are not 0..n");
        assert_eq!(
            rpc.nonce(&addr.to_string(), "latest"),
            nonces.len() as u64,
            "dev account {i}: nonce"
        );
        let spent: u128 =
            mined.iter().map(|(s, r)| u128::try_from(s.value).unwrap() + fee_paid(r)).sum();
        assert_eq!(
            rpc.balance(&addr.to_string()),
            initial[&addr] - spent,
            "dev account {i}: balance"
        );
    }
}

#[test]
fn crash_kill9_under_load_loses_nothing_reported() {
    let mut node = TestNode::start();
    if node.kind() == NodeKind::Anvil {
        eprintln!("note: anvil keeps its state in memory, so it is expected to fail this test");
    }
    let initial: HashMap<Address, u128> = SENDERS
        .iter()
        .map(|&i| {
            (dev_signer(i).address(), node.rpc().balance(&dev_signer(i).address().to_string()))
        })
        .collect();

    let mut seen = Observed::default();
    let mut sent = Vec::new();
    for round in 1..=CRASHES {
        let head_before = load_then_kill(&mut node, round, &mut seen, &mut sent);
        node.restart();
        verify_after_restart(&node.rpc(), round, head_before, &seen, &sent, &initial);
    }

    // The twice-restarted node keeps producing blocks and accepts new transfers.
    let rpc = node.rpc();
    let signer = dev_signer(SENDERS[0]);
    let nonce = rpc.nonce(&signer.address().to_string(), "latest");
    let tx = transfer(
        DEVNET_CHAIN_ID,
        nonce,
        Address::repeat_byte(0x77),
        U256::from(7),
        Fees::from_node(&rpc),
    );
    let (raw, _) = sign(&signer, tx);
    let hash = send_raw(&rpc, &raw).expect("transfer after the restarts");
    let receipt = rpc.wait_receipt(&hash, Duration::from_secs(20));
    assert_eq!(receipt["status"], "0x1");
    assert!(hex_u64(&receipt["blockNumber"]) > *seen.blocks.keys().last().unwrap());
}
