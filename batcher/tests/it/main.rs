//! Integration tests of the batcher against real Postgres and a throwaway anvil.

mod harness;
mod rpc;

use alloy_primitives::{B256, keccak256};
use alloy_provider::Provider;
use harness::*;
use kona_protocol::Frame;
use std::time::Duration;
use trex_batcher::{CALLDATA_VERSION, DA_COMMITMENT_VERSION};

#[tokio::test(flavor = "multi_thread")]
async fn posts_frames_to_the_inbox_as_calldata() {
    let ctx = Ctx::new(&[]).await;
    ctx.l2.push_blocks(30);
    let mut batcher = ctx.batcher(None, Options::default()).await;
    ctx.run_until_settled(&mut batcher, 30).await;

    let inbox = ctx.inbox_calldata().await;
    let ledger = ctx.ledger_calldata().await;
    assert!(inbox.len() > 2, "small frames: several txs ({})", inbox.len());
    assert_eq!(inbox, ledger, "every recorded tx landed exactly once, in nonce order");
    let mut frames = Vec::new();
    for calldata in &inbox {
        assert_eq!(calldata[0], CALLDATA_VERSION);
        frames.extend(Frame::parse_frames(calldata).expect("kona parses inbox calldata"));
    }
    assert_eq!(decode_blocks(&frames), ctx.l2.blocks(), "the inbox holds exactly the L2 blocks");
    assert_eq!(ctx.count("SELECT count(*) FROM frames WHERE status <> 'confirmed'").await, 0);
    assert_eq!(ctx.count("SELECT count(*) FROM channels WHERE status <> 'done'").await, 0);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn da_down_falls_back_to_calldata_and_back() {
    let ctx = Ctx::new(&[]).await;
    let da = FakeDa::start().await;
    let opts = Options { fallback_after: Duration::from_millis(300), ..Options::default() };
    ctx.l2.push_blocks(6);
    let mut batcher = ctx.batcher(Some(&da), opts).await;
    ctx.run_until_settled(&mut batcher, 6).await;
    let first = ctx.inbox_calldata().await;
    assert!(first.iter().all(|c| c[0] == DA_COMMITMENT_VERSION));
    for calldata in &first {
        let stored = da.get(&calldata[1..]).expect("commitment known to DA");
        assert_eq!(calldata[1..], [&[0u8][..], keccak256(&stored).as_slice()].concat());
        assert_eq!(stored[0], CALLDATA_VERSION);
    }

    da.set_up(false);
    ctx.l2.push_blocks(6);
    ctx.run_until_settled(&mut batcher, 12).await;
    let second = ctx.inbox_calldata().await;
    let fallback = &second[first.len()..];
    assert!(!fallback.is_empty() && fallback.iter().all(|c| c[0] == CALLDATA_VERSION));

    da.set_up(true);
    tokio::time::sleep(Duration::from_millis(1100)).await; // DA health is probed once a second
    ctx.l2.push_blocks(6);
    ctx.run_until_settled(&mut batcher, 18).await;
    let third = ctx.inbox_calldata().await;
    let recovered = &third[second.len()..];
    assert!(!recovered.is_empty() && recovered.iter().all(|c| c[0] == DA_COMMITMENT_VERSION));
    assert_eq!(third, ctx.ledger_calldata().await);
    assert!(ctx.metrics.render().contains("trex_batcher_da_switches_total 2"));
    ctx.cleanup().await;
}

/// Killing the batcher at arbitrary points (the task is aborted mid-step, as a kill -9 would
/// stop the process) and restarting it from the ledger never posts a frame twice.
#[tokio::test(flavor = "multi_thread")]
async fn restarts_never_post_a_frame_twice() {
    let ctx = Ctx::new(&[]).await;
    ctx.l2.push_blocks(40);
    for round in 0..12u64 {
        let mut batcher = ctx.batcher(None, Options::default()).await;
        let task = tokio::spawn(async move {
            loop {
                let _ = batcher.step().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(40 + round * 17)).await;
        task.abort();
        let _ = task.await;
        ctx.l2.push_blocks(2);
    }
    let mut batcher = ctx.batcher(None, Options::default()).await;
    ctx.run_until_settled(&mut batcher, 64).await;
    let inbox = ctx.inbox_calldata().await;
    assert_eq!(inbox, ctx.ledger_calldata().await);
    let mut frames = Vec::new();
    for calldata in &inbox {
        frames.extend(Frame::parse_frames(calldata).unwrap());
    }
    let unique: std::collections::HashSet<_> = frames.iter().map(|f| (f.id, f.number)).collect();
    assert_eq!(unique.len(), frames.len(), "no frame posted twice");
    assert_eq!(decode_blocks(&frames), ctx.l2.blocks());
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stuck_tx_is_fee_bumped() {
    let ctx = Ctx::new(&["--no-mining"]).await;
    ctx.l2.push_blocks(3);
    let opts = Options {
        resubmission_timeout: Duration::from_secs(1),
        frame_size: 100_000,
        ..Options::default()
    };
    let mut batcher = ctx.batcher(None, opts).await;
    // The channel opens, times out after one L1 block, and its single frame is sent.
    batcher.step().await.unwrap();
    ctx.mine().await;
    batcher.step().await.unwrap();
    let (fee_before, hashes_before) = ctx.tx_fees(0).await;
    assert_eq!(hashes_before, 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    batcher.step().await.unwrap();
    let (fee_after, hashes_after) = ctx.tx_fees(0).await;
    assert_eq!(hashes_after, 2, "replacement recorded");
    assert!(fee_after * 10 >= fee_before * 11, "fee cap +10 %: {fee_before} -> {fee_after}");
    ctx.mine().await;
    batcher.step().await.unwrap();
    let inbox = ctx.inbox_txs().await;
    assert_eq!(inbox.len(), 1);
    let recorded: Vec<u8> = sqlx::query_scalar("SELECT tx_hash FROM l1_txs WHERE nonce = 0")
        .fetch_one(ctx.pool())
        .await
        .unwrap();
    assert_eq!(inbox[0].0, B256::from_slice(&recorded), "the bumped version was mined");
    assert_eq!(ctx.count("SELECT count(*) FROM l1_txs WHERE status = 'confirmed'").await, 1);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nonce_gap_is_repaired() {
    let ctx = Ctx::new(&["--no-mining"]).await;
    ctx.l2.push_blocks(20);
    let opts = Options { max_channel_duration: 1000, ..Options::default() };
    let mut batcher = ctx.batcher(None, opts).await;
    batcher.step().await.unwrap();
    let sent = ctx.count("SELECT count(*) FROM l1_txs").await;
    assert!(sent >= 3, "{sent} txs");
    // The node loses nonce 1: nonce 0 gets mined, the rest waits behind the gap.
    let hash: Vec<u8> = sqlx::query_scalar("SELECT tx_hash FROM l1_txs WHERE nonce = 1")
        .fetch_one(ctx.pool())
        .await
        .unwrap();
    let _: serde_json::Value = ctx
        .l1
        .raw_request("anvil_dropTransaction".into(), (B256::from_slice(&hash),))
        .await
        .unwrap();
    ctx.mine().await;
    let pending: u64 = ctx.l1.get_transaction_count(ctx.batcher_address()).await.unwrap();
    assert_eq!(pending, 1, "only nonce 0 mined");
    batcher.step().await.unwrap(); // re-broadcasts nonce 1
    ctx.mine().await;
    batcher.step().await.unwrap();
    let inbox = ctx.inbox_calldata().await;
    assert_eq!(inbox.len() as i64, sent);
    assert_eq!(inbox, ctx.ledger_calldata().await);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l1_reorg_of_a_confirmed_tx_reposts_it() {
    let ctx = Ctx::new(&["--no-mining"]).await;
    ctx.l2.push_blocks(3);
    let mut batcher =
        ctx.batcher(None, Options { frame_size: 100_000, ..Options::default() }).await;
    batcher.step().await.unwrap();
    ctx.mine().await;
    let snapshot: serde_json::Value = ctx.l1.raw_request("evm_snapshot".into(), ()).await.unwrap();
    batcher.step().await.unwrap(); // channel timed out: frame sent
    ctx.mine().await;
    batcher.step().await.unwrap();
    let (first_block, first_hash) = ctx.inclusion(0).await;
    assert_eq!(ctx.count("SELECT count(*) FROM l1_txs WHERE status = 'confirmed'").await, 1);
    let _: serde_json::Value = ctx.l1.raw_request("evm_revert".into(), (snapshot,)).await.unwrap();
    ctx.mine().await;
    ctx.mine().await;
    batcher.step().await.unwrap(); // sees the reorg, re-broadcasts
    ctx.mine().await;
    batcher.step().await.unwrap();
    ctx.mine().await;
    batcher.step().await.unwrap();
    assert_eq!(ctx.count("SELECT count(*) FROM frames WHERE status = 'confirmed'").await, 1);
    let (block, hash) = ctx.inclusion(0).await;
    assert_ne!((block, hash), (first_block, first_hash), "moved to the new chain");
    let canonical = ctx.l1.get_block_by_number(block.into()).await.unwrap().unwrap();
    assert_eq!(canonical.header.hash, hash);
    assert_eq!(ctx.inbox_calldata().await, ctx.ledger_calldata().await);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l2_reorg_rebuilds_the_open_channel() {
    let ctx = Ctx::new(&[]).await;
    ctx.l2.push_blocks(5);
    let opts = Options { max_channel_duration: 1000, frame_size: 100_000, ..Options::default() };
    let mut batcher = ctx.batcher(None, opts).await;
    batcher.step().await.unwrap();
    assert_eq!(batcher.next_block(), 6);
    ctx.l2.reorg_from(4, 3); // blocks 4.. replaced; safe head = 3
    ctx.l2.push_blocks(1);
    batcher.step().await.unwrap();
    assert_eq!(batcher.next_block(), 1, "nothing was closed: the open channel is rebuilt");
    batcher.step().await.unwrap();
    assert_eq!(batcher.next_block(), 7);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l2_reorg_below_closed_channels_restarts_from_the_safe_head() {
    let ctx = Ctx::new(&[]).await;
    ctx.l2.push_blocks(6);
    let mut batcher =
        ctx.batcher(None, Options { frame_size: 100_000, ..Options::default() }).await;
    ctx.run_until_settled(&mut batcher, 6).await;
    let posted = ctx.inbox_calldata().await.len();
    ctx.l2.reorg_from(5, 2); // closed blocks 5 and 6 replaced; safe head = 2
    ctx.l2.push_blocks(1);
    batcher.step().await.unwrap();
    assert_eq!(batcher.next_block(), 3, "restarted after the safe head");
    ctx.run_until_settled(&mut batcher, 7).await;
    let mut frames = Vec::new();
    for calldata in &ctx.inbox_calldata().await[posted..] {
        frames.extend(Frame::parse_frames(calldata).unwrap());
    }
    assert_eq!(decode_blocks(&frames), ctx.l2.blocks()[2..].to_vec(), "blocks 3..=7 re-posted");
    ctx.cleanup().await;
}

#[tokio::test]
async fn unreachable_database_fails_clearly() {
    let err = trex_batcher::Ledger::connect("postgres://postgres@127.0.0.1:1/none")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("ledger"), "{err}");
}

/// The real binary over JSON-RPC, killed with SIGKILL at arbitrary points while posting and
/// restarted: the inbox ends up holding every block exactly once and matches the ledger.
#[tokio::test(flavor = "multi_thread")]
async fn binary_survives_kill_9_without_double_posting() {
    let ctx = Ctx::new(&["--block-time", "1"]).await;
    let dir = tempfile::tempdir().unwrap();
    let rollup = ctx.write_rollup_config(dir.path());
    let l2_url = rpc::serve(ctx.l2.clone()).await;
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_trex-batcher"))
            .args(["--l1-rpc", ctx.l1_url().as_str(), "--l2-rpc", l2_url.as_str()])
            .arg("--rollup-config")
            .arg(&rollup)
            .args([
                "--private-key",
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
                "--database-url",
                ctx.db_url(),
                "--target-frame-size=400",
                "--max-channel-duration=1",
                "--poll-interval=50ms",
                "--metrics.addr=127.0.0.1:0",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    ctx.l2.push_blocks(30);
    for round in 0..6u64 {
        let mut child = spawn();
        tokio::time::sleep(Duration::from_millis(400 + round * 230)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        ctx.l2.push_blocks(3);
    }
    let posted_before = ctx.count("SELECT count(*) FROM l1_txs").await;
    assert!(posted_before > 0, "the killed instances were posting");
    let mut child = spawn();
    let last = 48;
    let mut settled = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let open = ctx.count("SELECT count(*) FROM l1_txs WHERE status <> 'confirmed'").await
            + ctx.count("SELECT count(*) FROM frames WHERE status = 'pending'").await;
        let closed = ctx.count("SELECT coalesce(max(last_block), 0) FROM channels").await;
        if open == 0 && closed >= last {
            settled = true;
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(settled, "the restarted batcher posted everything");
    let inbox = ctx.inbox_calldata().await;
    assert_eq!(inbox, ctx.ledger_calldata().await, "L1 inbox = ledger, no tx twice");
    let mut frames = Vec::new();
    for calldata in &inbox {
        frames.extend(Frame::parse_frames(calldata).unwrap());
    }
    let unique: std::collections::HashSet<_> = frames.iter().map(|f| (f.id, f.number)).collect();
    assert_eq!(unique.len(), frames.len(), "no frame posted twice");
    assert_eq!(decode_blocks(&frames), ctx.l2.blocks());
    ctx.cleanup().await;
}

#[test]
fn binary_rejects_a_bad_rollup_config() {
    let dir = tempfile::tempdir().unwrap();
    let rollup = dir.path().join("rollup.json");
    std::fs::write(&rollup, "not json").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trex-batcher"))
        .args(["--l1-rpc=http://127.0.0.1:1", "--l2-rpc=http://127.0.0.1:1"])
        .arg("--rollup-config")
        .arg(&rollup)
        .args(["--private-key=0x01", "--database-url=postgres://postgres@127.0.0.1:1/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rollup config") && stderr.contains("rollup.json"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_reports_an_unreachable_database() {
    let ctx = Ctx::new(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let rollup = ctx.write_rollup_config(dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trex-batcher"))
        .args(["--l1-rpc", ctx.l1_url().as_str(), "--l2-rpc=http://127.0.0.1:1"])
        .arg("--rollup-config")
        .arg(&rollup)
        .args([
            "--private-key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "--database-url=postgres://postgres:secret@127.0.0.1:1/nothing",
            "--metrics.addr=127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database postgres://postgres:***@127.0.0.1:1/nothing"), "{stderr}");
    assert!(!stderr.contains("secret"));
    ctx.cleanup().await;
}
