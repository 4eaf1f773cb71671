//! Publish + consume throughput of both bus backends, printed as a markdown table.
//!
//! `cargo bench -p trex-persona-pipeline --bench throughput` (Postgres at 127.0.0.1:5432,
//! NATS JetStream at 127.0.0.1:4222). `BENCH_MESSAGES` (default 20000) messages of a ~1 KiB
//! JSON payload are published in batches of `BENCH_BATCH` (default 500) while one consumer
//! receives and acknowledges them in batches of the same size.

use std::{
    hash::{BuildHasher, RandomState},
    sync::Arc,
    time::{Duration, Instant},
};

use trex_persona_pipeline::{Bus, Message, NatsBus, NatsConfig, PgBus, PgBusConfig};
use trex_test_support::TestDatabase;

/// One backend's result.
struct Run {
    backend: &'static str,
    publish: Duration,
    total: Duration,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn payload(i: usize) -> serde_json::Value {
    serde_json::json!({ "chainId": 7777, "i": i, "pad": "x".repeat(990) })
}

/// Publishes `n` messages in batches on one task while one consumer drains them on another.
async fn run(backend: &'static str, bus: Arc<dyn Bus>, n: usize, batch: usize) -> Run {
    let mut sub = bus.subscribe("bench", &["chain.apply"]).await.expect("subscribe");
    let messages: Vec<Message> =
        (0..n).map(|i| Message::new(format!("m-{i}"), "chain.apply", payload(i))).collect();
    let started = Instant::now();
    let publisher = tokio::spawn(async move {
        for chunk in messages.chunks(batch) {
            bus.publish(chunk).await.expect("publish");
        }
        started.elapsed()
    });
    let mut received = 0;
    while received < n {
        let deliveries = sub.next(batch, Duration::from_secs(10)).await.expect("next");
        assert!(!deliveries.is_empty(), "{backend}: stalled at {received} of {n}");
        sub.ack_all(&deliveries).await.expect("ack");
        received += deliveries.len();
    }
    let total = started.elapsed();
    Run { backend, publish: publisher.await.expect("publisher"), total }
}

#[tokio::main]
async fn main() {
    let (n, batch) = (env("BENCH_MESSAGES", 20_000), env("BENCH_BATCH", 500));
    let size = serde_json::to_vec(&payload(0)).expect("json").len();

    let db = TestDatabase::create("pipeline_bench").await;
    let pool = sqlx::PgPool::connect(db.url()).await.expect("postgres");
    let pg = PgBus::open(pool, PgBusConfig::default()).await.expect("pg bus");
    let postgres = run("Postgres (`PgBus`)", Arc::new(pg), n, batch).await;

    let tag = format!("{:012x}", RandomState::new().hash_one(Instant::now()));
    let config = NatsConfig {
        stream: format!("BENCH_{tag}"),
        subject_prefix: format!("bench_{tag}"),
        ..NatsConfig::new("nats://127.0.0.1:4222")
    };
    let nats = NatsBus::connect(config).await.expect("nats bus");
    let jetstream = run("NATS JetStream (`NatsBus`)", Arc::new(nats.clone()), n, batch).await;
    nats.delete_stream().await.expect("delete stream");

    println!(
        "{n} messages of {size} B JSON, publish batches of {batch}, one consumer (batches of {batch}, acked per batch)\n"
    );
    println!("| backend | publish msg/s | publish + consume msg/s | total time |");
    println!("|---|---:|---:|---:|");
    for r in [postgres, jetstream] {
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        println!(
            "| {} | {:.0} | {:.0} | {:.2} s |",
            r.backend,
            rate(r.publish),
            rate(r.total),
            r.total.as_secs_f64()
        );
    }
}
