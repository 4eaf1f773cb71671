//! The batch processor: parallel chunks, idempotent re-runs, overlap with the listener.

use trex_persona_ingest::{Backfill, BackfillConfig, BackfillReport};

use crate::harness::{World, catch_up};

async fn backfill(world: &World, chunk_size: u64) -> Backfill {
    let config = BackfillConfig { contracts: world.contracts, chunk_size, concurrency: 4 };
    Backfill::new(world.provider(), world.fresh_store().await, config).await.unwrap()
}

#[tokio::test]
async fn backfill_in_parallel_chunks_is_idempotent_and_overlaps_the_listener() {
    let world = World::new("ingest_backfill").await;
    let class_id = world.create_class().await;
    for key in 1..=4 {
        let passport_id = world.create_passport(key).await;
        world.mint(class_id, passport_id, key as u8).await;
    }
    let head = world.head().await;
    let logs = world.chain_logs(head).await;
    assert_eq!(logs.len(), 1 + 4 * 3, "the class, then per user a passport, points and a mint");
    let chunks = (head + 1).div_ceil(3);

    let first = backfill(&world, 3).await.run(0, head).await.unwrap();
    assert_eq!(
        first,
        BackfillReport {
            chunks_done: chunks,
            chunks_skipped: 0,
            events_inserted: logs.len() as u64
        }
    );
    assert_eq!(world.stored().await, logs);
    let outbox = world.outbox().await;
    assert_eq!(outbox.len(), logs.len());

    // Run again: every chunk is skipped, nothing changes.
    let again = backfill(&world, 3).await.run(0, head).await.unwrap();
    assert_eq!(
        again,
        BackfillReport { chunks_done: 0, chunks_skipped: chunks, events_inserted: 0 }
    );
    // Other chunks over the same range (one may coincide at the end): no event is new.
    let regrouped = backfill(&world, 5).await.run(0, head).await.unwrap();
    assert_eq!(regrouped.chunks_done + regrouped.chunks_skipped, (head + 1).div_ceil(5));
    assert_eq!(regrouped.events_inserted, 0);
    assert_eq!(world.stored().await, logs);
    assert_eq!(world.outbox().await, outbox);

    // The listener over the backfilled range and beyond adds only what is new.
    let passport_id = world.create_passport(5).await;
    world.credit_points(passport_id, 3).await;
    let listener = world.listener(0, 4).await;
    catch_up(&listener).await;
    let head = world.head().await;
    let logs = world.chain_logs(head).await;
    assert_eq!(world.stored().await, logs);
    assert_eq!(world.rows("chain_events").await, logs.len() as i64);
    let outbox_after = world.outbox().await;
    assert_eq!(outbox_after.len(), logs.len());
    assert_eq!(outbox_after[..outbox.len()], outbox[..]);
}
