//! The outbox relay: everything published in `seq` order, a crash between publish and cursor
//! update republishes and never skips, notifications wake it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use parking_lot::Mutex;
use sqlx::PgPool;
use trex_persona_ingest::{IngestError, OutboxRelay, RelayConfig, ValidatorResultStore};
use trex_persona_pipeline::{Bus, Message, PgBus, PgBusConfig, PipelineError, Subscription};

use crate::results::{database, result};

/// Records what is published; the publishes numbered in `fail_at` (1-based) are recorded and
/// then fail, as a bus that stored a batch but whose acknowledgement was lost.
#[derive(Default)]
struct RecordingBus {
    published: Mutex<Vec<Message>>,
    publishes: AtomicUsize,
    fail_at: Vec<usize>,
}

#[async_trait]
impl Bus for RecordingBus {
    async fn publish(&self, messages: &[Message]) -> Result<(), PipelineError> {
        self.published.lock().extend_from_slice(messages);
        let n = self.publishes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_at.contains(&n) {
            return Err(PipelineError::Database(sqlx::Error::PoolTimedOut));
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        _group: &str,
        _topics: &[&str],
    ) -> Result<Box<dyn Subscription>, PipelineError> {
        unimplemented!("the relay only publishes")
    }
}

impl RecordingBus {
    fn ids(&self) -> Vec<String> {
        self.published.lock().iter().map(|m| m.id.clone()).collect()
    }
}

async fn outbox_ids(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT message_id FROM ingest_outbox ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap()
}

fn relay(pool: &PgPool, bus: &Arc<RecordingBus>, batch_size: u32) -> OutboxRelay {
    let config = RelayConfig { batch_size, ..RelayConfig::new("test") };
    OutboxRelay::new(pool.clone(), bus.clone(), config)
}

async fn store_results(pool: &PgPool, ids: std::ops::Range<u32>) {
    let store = ValidatorResultStore::new(pool.clone());
    for i in ids {
        store.insert("validator-a", &result(&format!("0x{i}"), u64::from(i))).await.unwrap();
    }
}

async fn drain(relay: &OutboxRelay) -> Result<(), IngestError> {
    while relay.step().await? > 0 {}
    Ok(())
}

#[tokio::test]
async fn publishes_in_order_and_a_restart_after_a_lost_ack_repeats_but_never_skips() {
    let (_db, pool) = database("ingest_relay").await;
    store_results(&pool, 0..7).await;
    let outbox = outbox_ids(&pool).await;

    // The second batch reaches the bus but its acknowledgement is lost: the relay stops there
    // with its cursor after the first batch.
    let bus = Arc::new(RecordingBus { fail_at: vec![2], ..Default::default() });
    let crashed = relay(&pool, &bus, 3);
    let err = drain(&crashed).await.unwrap_err();
    assert!(matches!(err, IngestError::Bus(_)), "{err}");
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM ingest_outbox ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(crashed.cursor().await.unwrap(), seqs[2]);
    assert_eq!(bus.ids(), outbox[..6]);

    // A new relay of the same name republishes the unacknowledged batch and goes on.
    let restarted = relay(&pool, &bus, 3);
    drain(&restarted).await.unwrap();
    let expected: Vec<String> = outbox[..6].iter().chain(&outbox[3..]).cloned().collect();
    assert_eq!(bus.ids(), expected);
    assert_eq!(restarted.cursor().await.unwrap(), *seqs.last().unwrap());

    // Later rows follow, nothing earlier again.
    store_results(&pool, 7..9).await;
    drain(&restarted).await.unwrap();
    let outbox = outbox_ids(&pool).await;
    assert_eq!(bus.ids()[expected.len()..], outbox[7..]);
    // Payloads are the rows' payloads.
    let first = bus.published.lock()[0].clone();
    assert_eq!(first.topic, "validator.result");
    assert_eq!(first.payload["id"], "0x0");
}

#[tokio::test]
async fn run_is_woken_by_the_writing_transaction() {
    let (_db, pool) = database("ingest_relay_run").await;
    let bus = Arc::new(RecordingBus::default());
    // A poll interval far beyond the test's patience: only the notification can wake it.
    let config = RelayConfig { poll_interval: Duration::from_secs(60), ..RelayConfig::new("test") };
    let relay = OutboxRelay::new(pool.clone(), bus.clone(), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    store_results(&pool, 0..2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while bus.ids().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "not relayed: {:?}", bus.ids());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bus.ids(), outbox_ids(&pool).await);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn relays_to_the_postgres_bus_which_drops_republished_duplicates() {
    let (_db, pool) = database("ingest_relay_pgbus").await;
    let bus: Arc<dyn Bus> =
        Arc::new(PgBus::open(pool.clone(), PgBusConfig::default()).await.unwrap());
    let mut subscription = bus
        .subscribe("graph", &["chain.apply", "chain.retract", "validator.result"])
        .await
        .unwrap();
    store_results(&pool, 0..5).await;
    let relay = OutboxRelay::new(pool.clone(), bus.clone(), RelayConfig::new("pg"));
    drain(&relay).await.unwrap();
    // A relay that lost its cursor publishes everything again: the bus drops the duplicates.
    sqlx::query("DELETE FROM outbox_relay_cursor").execute(&pool).await.unwrap();
    drain(&relay).await.unwrap();

    let mut received = Vec::new();
    loop {
        let deliveries = subscription.next(100, Duration::from_millis(200)).await.unwrap();
        if deliveries.is_empty() {
            break;
        }
        subscription.ack_all(&deliveries).await.unwrap();
        received.extend(deliveries.into_iter().map(|d| d.message));
    }
    let ids: Vec<String> = received.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, outbox_ids(&pool).await);
    assert!(received.iter().all(|m| m.topic == "validator.result"));
}

#[tokio::test]
async fn concurrent_writers_never_make_a_running_relay_skip() {
    let (_db, pool) = database("ingest_relay_race").await;
    let bus = Arc::new(RecordingBus::default());
    let config = RelayConfig {
        batch_size: 4,
        poll_interval: Duration::from_millis(5),
        ..RelayConfig::new("race")
    };
    let relay = OutboxRelay::new(pool.clone(), bus.clone(), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    // Eight writers racing the relay: a row with a lower seq committing after one with a
    // higher seq was relayed would be skipped for good.
    let writers: Vec<_> = (0..8u32)
        .map(|w| {
            let pool = pool.clone();
            tokio::spawn(async move { store_results(&pool, w * 100..w * 100 + 10).await })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let outbox = outbox_ids(&pool).await;
    assert_eq!(outbox.len(), 80);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while bus.ids().len() < outbox.len() {
        assert!(tokio::time::Instant::now() < deadline, "relayed {} rows", bus.ids().len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(bus.ids(), outbox);
}
