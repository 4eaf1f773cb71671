//! The listener: every identity event with its outbox message, the confirmation depth, reorgs
//! and restarts.

use std::{collections::BTreeSet, time::Duration};

use alloy_primitives::U256;
use alloy_provider::Provider;
use serde_json::Value;
use trex_persona_ingest::{OutboxEvent, Step};

use crate::harness::{World, catch_up};

/// Passport, wallet link, class, mint (with its points) and task points, one block each.
async fn emit_identity_events(world: &World) -> U256 {
    let passport_id = world.create_passport(1).await;
    world.link_wallet(1, passport_id, 2).await;
    let class_id = world.create_class().await;
    world.mint(class_id, passport_id, 1).await;
    world.credit_points(passport_id, 7).await;
    passport_id
}

#[tokio::test]
async fn ingests_identity_events_with_outbox_rows_behind_the_confirmation_depth() {
    let world = World::new("ingest_listener").await;
    emit_identity_events(&world).await;
    let head = world.head().await;
    let listener = world.listener(2, 1_000).await;

    // The two newest blocks (the task points) are held back.
    catch_up(&listener).await;
    let cursor = world.store.cursor(world.chain_id).await.unwrap().unwrap();
    assert_eq!(cursor.number, head - 2);
    let confirmed = world.chain_logs(head - 2).await;
    assert_eq!(world.stored().await, confirmed);
    assert!(confirmed.len() < world.chain_logs(head).await.len());

    world.mine(2).await;
    catch_up(&listener).await;
    let all = world.chain_logs(head).await;
    assert_eq!(world.stored().await, all);

    let events = world.store.events(world.chain_id, true).await.unwrap();
    let kinds: BTreeSet<&str> = events.iter().map(|e| e.event.event.kind()).collect();
    let expected =
        ["BadgeMinted", "ClassCreated", "PassportCreated", "PointsCredited", "WalletLinked"];
    assert_eq!(kinds, expected.into_iter().collect());

    // One chain.apply message per event, in chain order, with the block's time.
    let outbox = world.outbox().await;
    assert_eq!(outbox.len(), events.len());
    let provider = world.provider();
    for ((id, topic, payload), stored) in outbox.iter().zip(&events) {
        let position = stored.event.position;
        assert_eq!(topic, "chain.apply");
        assert_eq!(
            id,
            &format!(
                "chain.apply:{}:{}:{}",
                world.chain_id, position.block_hash, position.log_index
            )
        );
        let message: OutboxEvent = serde_json::from_value(payload.clone()).unwrap();
        assert_eq!(message.chain_id, world.chain_id);
        assert_eq!(message.position, position);
        assert_eq!(message.event, stored.event.event);
        let block = provider.get_block_by_hash(position.block_hash).await.unwrap().unwrap();
        assert_eq!(message.block_timestamp, block.header.timestamp);
        assert_eq!(payload["event"]["kind"], Value::from(stored.event.event.kind()));
    }
}

#[tokio::test]
async fn a_reorged_mint_is_retracted_and_the_replacement_chain_ingested() {
    let world = World::new("ingest_reorg").await;
    let passport_id = world.create_passport(1).await;
    let class_id = world.create_class().await;
    let listener = world.listener(0, 1_000).await;
    catch_up(&listener).await;

    let snapshot: Value = world.provider().raw_request("evm_snapshot".into(), ()).await.unwrap();
    world.mint(class_id, passport_id, 1).await;
    catch_up(&listener).await;
    let with_mint = world.stored().await;
    assert_eq!(with_mint.len(), 4, "passport, class, points and mint");
    let removed = &with_mint[2..];

    // The mint's block is replaced by one creating another passport, and the new chain grows
    // past the old head.
    let _: Value = world.provider().raw_request("evm_revert".into(), (snapshot,)).await.unwrap();
    world.create_passport(3).await;
    world.mine(2).await;

    let steps = catch_up(&listener).await;
    assert!(matches!(steps[0], Step::Reorg { retracted: 2, .. }), "{steps:?}");
    let head = world.head().await;
    assert_eq!(world.stored().await, world.chain_logs(head).await);
    let events = world.store.events(world.chain_id, true).await.unwrap();
    let retracted: Vec<_> = events
        .iter()
        .filter(|e| e.retracted)
        .map(|e| (e.event.position.block_hash, e.event.position.log_index))
        .collect();
    assert_eq!(retracted, removed);
    assert!(events.iter().any(|e| e.retracted && e.event.event.kind() == "BadgeMinted"));

    // The outbox: the applies, a retraction per removed event (newest first), then the
    // replacement chain's PassportCreated.
    let outbox = world.outbox().await;
    let topics: Vec<&str> = outbox.iter().map(|(_, topic, _)| topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "chain.apply",
            "chain.apply",
            "chain.apply",
            "chain.apply",
            "chain.retract",
            "chain.retract",
            "chain.apply"
        ]
    );
    for ((id, _, payload), (hash, index)) in outbox[4..6].iter().zip(removed.iter().rev()) {
        assert_eq!(id, &format!("chain.retract:{}:{hash}:{index}", world.chain_id));
        let message: OutboxEvent = serde_json::from_value(payload.clone()).unwrap();
        assert_eq!((message.position.block_hash, message.position.log_index), (*hash, *index));
    }
    let retracted_mint: OutboxEvent = serde_json::from_value(outbox[4].2.clone()).unwrap();
    assert_eq!(retracted_mint.event.kind(), "BadgeMinted");
    assert_eq!(outbox[6].2["event"]["kind"], "PassportCreated");
}

#[tokio::test]
async fn a_restarted_listener_continues_from_its_cursor_without_duplicates() {
    let world = World::new("ingest_restart").await;
    let passport_id = emit_identity_events(&world).await;

    // A first listener in small ranges, aborted at arbitrary moments (as a kill would) while
    // more events arrive; each abort rolls back the range in flight.
    for round in 0..4u64 {
        let listener = world.listener(0, 2).await;
        let task = tokio::spawn(async move { listener.run(std::future::pending()).await });
        world.credit_points(passport_id, round + 1).await;
        tokio::time::sleep(Duration::from_millis(30 + 40 * round)).await;
        task.abort();
        let _ = task.await;
    }

    let listener = world.listener(0, 2).await;
    catch_up(&listener).await;
    let head = world.head().await;
    let logs = world.chain_logs(head).await;
    assert_eq!(world.stored().await, logs);
    assert_eq!(world.rows("chain_events").await, logs.len() as i64);
    assert_eq!(world.rows("ingest_outbox").await, logs.len() as i64);
    let cursor = world.store.cursor(world.chain_id).await.unwrap().unwrap();
    assert_eq!(cursor.number, head);
}
