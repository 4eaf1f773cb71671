//! A bus of each backend for one test: its own database, or its own JetStream stream.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::Arc,
    time::Duration,
};

use trex_persona_pipeline::{
    Bus, BusConfig, Delivery, Message, NatsConfig, PgBusConfig, Subscription, connect,
};
use trex_test_support::TestDatabase;

/// The JetStream server the tests use.
pub(crate) const NATS_URL: &str = "nats://127.0.0.1:4222";

/// A backend under test.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Postgres,
    Nats,
}

/// A bus with its own storage, removed on drop.
pub(crate) struct TestBus {
    pub(crate) bus: Arc<dyn Bus>,
    _db: TestDatabase,
    stream: Option<String>,
}

impl TestBus {
    /// A bus whose deliveries are redelivered `ack_wait` after they were handed out.
    pub(crate) async fn new(backend: Backend, ack_wait: Duration) -> Self {
        let db = TestDatabase::create("pipeline").await;
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        let tag = format!("{:012x}", RandomState::new().hash_one(std::time::Instant::now()));
        let (config, stream) = match backend {
            Backend::Postgres => (
                BusConfig::Postgres(PgBusConfig {
                    ack_wait,
                    poll_interval: Duration::from_millis(200),
                }),
                None,
            ),
            Backend::Nats => {
                let setting = format!("{NATS_URL}?stream=TEST_{tag}&prefix=test_{tag}");
                let BusConfig::Nats(nats) = setting.parse().unwrap() else { unreachable!() };
                let stream = nats.stream.clone();
                (BusConfig::Nats(NatsConfig { ack_wait, ..nats }), Some(stream))
            }
        };
        let bus = connect(&config, &pool).await.unwrap();
        Self { bus, _db: db, stream }
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else { return };
        // Own thread and runtime: a drop may run inside (or after) the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = async_nats::connect(NATS_URL).await.ok()?;
                async_nats::jetstream::new(client).delete_stream(&stream).await.ok()
            })
        })
        .join();
    }
}

/// `n` messages `<prefix>-<i>` on `topic`, each with a ~1 KiB payload naming its index.
pub(crate) fn messages(topic: &str, prefix: &str, n: usize) -> Vec<Message> {
    (0..n)
        .map(|i| {
            Message::new(
                format!("{prefix}-{i}"),
                topic,
                serde_json::json!({ "i": i, "pad": "x".repeat(1000) }),
            )
        })
        .collect()
}

/// Receives until `n` deliveries arrived (acknowledging them if `ack`), failing after 10 s.
pub(crate) async fn receive(sub: &mut dyn Subscription, n: usize, ack: bool) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n {
        assert!(tokio::time::Instant::now() < deadline, "only {} of {n} deliveries", got.len());
        let batch = sub.next(n - got.len(), Duration::from_millis(500)).await.unwrap();
        if ack {
            sub.ack_all(&batch).await.unwrap();
        }
        got.extend(batch);
    }
    got
}

/// Asserts nothing more is delivered within `wait`.
pub(crate) async fn assert_quiet(sub: &mut dyn Subscription, wait: Duration) {
    let extra = sub.next(10, wait).await.unwrap();
    assert!(extra.is_empty(), "unexpected deliveries: {:?}", ids(&extra));
}

/// The message ids of deliveries.
pub(crate) fn ids(deliveries: &[Delivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.message.id.as_str()).collect()
}

/// Message ids per topic, in delivery order.
pub(crate) fn by_topic(deliveries: &[Delivery]) -> HashMap<&str, Vec<&str>> {
    let mut topics: HashMap<&str, Vec<&str>> = HashMap::new();
    for d in deliveries {
        topics.entry(d.message.topic.as_str()).or_default().push(d.message.id.as_str());
    }
    topics
}
