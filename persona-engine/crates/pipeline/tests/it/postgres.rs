//! What only the embedded backend has: NOTIFY wake-ups, pruning, the processed-ids table.

use std::time::Duration;

use trex_persona_pipeline::{Bus, PgBus, PgBusConfig, mark_processed, mark_processed_all};
use trex_test_support::TestDatabase;

use crate::harness::{messages, receive};

async fn bus(config: PgBusConfig) -> (TestDatabase, PgBus) {
    let db = TestDatabase::create("pipeline_pg").await;
    let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
    let bus = PgBus::open(pool, config).await.unwrap();
    (db, bus)
}

/// A waiting member wakes on the publisher's NOTIFY, long before its poll interval.
#[tokio::test]
async fn notify_wakes_a_waiting_member() {
    let config = PgBusConfig { poll_interval: Duration::from_secs(20), ..Default::default() };
    let (_db, bus) = bus(config).await;
    let mut sub = bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    let publisher = bus.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        publisher.publish(&messages("chain.apply", "m", 1)).await.unwrap();
    });
    let started = std::time::Instant::now();
    let got = sub.next(10, Duration::from_secs(15)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(3), "woke after {:?}", started.elapsed());
}

/// Pruning removes messages every group acknowledged, keeps those still pending, and forgets
/// their ids (the retention is the dedupe window).
#[tokio::test]
async fn prune_keeps_pending_messages() {
    let (_db, bus) = bus(PgBusConfig::default()).await;
    let mut acked = bus.subscribe("acked", &["chain.apply"]).await.unwrap();
    bus.publish(&messages("chain.apply", "m", 4)).await.unwrap();
    receive(&mut *acked, 4, true).await;
    let mut pending = bus.subscribe("pending", &["chain.retract"]).await.unwrap();
    bus.publish(&messages("chain.retract", "r", 2)).await.unwrap();

    assert_eq!(bus.prune(Duration::from_secs(3600)).await.unwrap(), 0, "retention respected");
    assert_eq!(bus.prune(Duration::ZERO).await.unwrap(), 4);
    let got = receive(&mut *pending, 2, true).await;
    assert_eq!(got.len(), 2);
    assert_eq!(bus.prune(Duration::ZERO).await.unwrap(), 2);
}

/// `mark_processed` is true once per (consumer, id), and only if its transaction commits.
#[tokio::test]
async fn mark_processed_once_per_consumer() {
    let (db, _bus) = bus(PgBusConfig::default()).await;
    let pool = sqlx::PgPool::connect(db.url()).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert!(mark_processed(&mut tx, "graph", "m-1").await.unwrap());
    tx.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert!(mark_processed(&mut tx, "graph", "m-1").await.unwrap(), "rolled back, so new");
    assert!(!mark_processed(&mut tx, "graph", "m-1").await.unwrap());
    assert!(mark_processed(&mut tx, "audit", "m-1").await.unwrap(), "per consumer");
    tx.commit().await.unwrap();

    let mut conn = pool.acquire().await.unwrap();
    assert!(!mark_processed(&mut conn, "graph", "m-1").await.unwrap());
    // Several at once: an id seen before, and the repeat of an id in the list, are not new.
    let ids = ["m-2", "m-1", "m-3", "m-2"];
    let new = mark_processed_all(&mut conn, "graph", &ids).await.unwrap();
    assert_eq!(new, [true, false, true, false]);
    assert_eq!(mark_processed_all(&mut conn, "graph", &ids).await.unwrap(), [false; 4]);
}
