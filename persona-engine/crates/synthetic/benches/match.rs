//! Match benchmark: N synthetic users (1,000,000 by default) in a fresh database, the GameFi
//! interest model trained and evaluated, then a 5-criterion top-100 query timed as the engine
//! compiles it (`trex_persona_query::run`) and as hand-written SQL, in the same run.
//!
//! `cargo bench -p trex-persona-synthetic` (env: `TREX_BENCH_USERS`, `TREX_BENCH_SEQUENTIAL`,
//! `TREX_BENCH_CLIENTS`, `TREX_BENCH_PER_CLIENT`). Prints markdown tables.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use sqlx::{PgPool, postgres::PgPoolOptions};
use trex_persona_query::{MatchRequest, run};
use trex_persona_synthetic::{GAMEFI_BADGE_CLASS, LABEL_CATEGORY, Spec, generate};
use trex_test_support::TestDatabase;

/// The hand-written twin of [`request`]: the same PMS, written directly over the tables.
const HAND_SQL: &str = "\
SELECT f.passport_id, (\
  3 * COALESCE(LEAST(ln(1 + GREATEST(f.defi_tx_count, 0)) / ln(1001.0), 1), 0) \
  + 2 * (f.cex_vip_level > 3 IS TRUE)::int \
  + 1 * (f.twitch_followers > 10000 IS TRUE)::int \
  + 1 * LEAST(GREATEST(f.nft_count / 100.0, 0), 1) \
  + 2 * (b.passport_id IS NOT NULL)::int \
  ) / 9.0 * 100 AS pms \
FROM persona_features f \
LEFT JOIN persona_feature_badges b ON b.passport_id = f.passport_id AND b.class_id = $1::int8 \
ORDER BY pms DESC, f.passport_id LIMIT 100";

fn request() -> MatchRequest {
    serde_json::from_value(serde_json::json!({
        "criteria": [
            { "expr": "defi_activity", "weight": 3, "scoring": { "mode": "log", "max": 1000 } },
            { "expr": "cex_vip_level > 3", "weight": 2 },
            { "expr": "twitch_followers > 10000", "weight": 1 },
            { "expr": "nft_count", "weight": 1, "scoring": { "mode": "linear", "min": 0, "max": 100 } },
            { "expr": format!("has_badge({GAMEFI_BADGE_CLASS})"), "weight": 2 }
        ],
        "limit": 100
    }))
    .expect("a valid request")
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Latency percentiles (ms) of sequential runs and throughput of concurrent clients.
struct Timing {
    p50: f64,
    p99: f64,
    concurrent_p50: f64,
    concurrent_p99: f64,
    qps: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time<F, Fut>(query: F, sequential: usize, clients: usize, per_client: usize) -> Timing
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = usize> + Send,
{
    // Warm the cache and the plan.
    for _ in 0..2 {
        assert_eq!(query().await, 100);
    }
    let mut latencies = Vec::with_capacity(sequential);
    for _ in 0..sequential {
        let start = Instant::now();
        assert_eq!(query().await, 100);
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let query = query.clone();
            tokio::spawn(async move {
                let mut own = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let start = Instant::now();
                    assert_eq!(query().await, 100);
                    own.push(start.elapsed());
                }
                own
            })
        })
        .collect();
    let mut concurrent = Vec::new();
    for task in tasks {
        concurrent.extend(task.await.expect("client task"));
    }
    let wall = started.elapsed().as_secs_f64();
    concurrent.sort();
    Timing {
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        concurrent_p50: percentile(&concurrent, 0.5),
        concurrent_p99: percentile(&concurrent, 0.99),
        qps: concurrent.len() as f64 / wall,
    }
}

#[tokio::main]
async fn main() {
    let users = env("TREX_BENCH_USERS", 1_000_000) as u64;
    let sequential = env("TREX_BENCH_SEQUENTIAL", 50);
    let clients = env("TREX_BENCH_CLIENTS", 4);
    let per_client = env("TREX_BENCH_PER_CLIENT", 25);

    let db = TestDatabase::create("persona_bench").await;
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(clients as u32 + 2)
        .connect(db.url())
        .await
        .expect("connect");

    let summary = generate(&pool, Spec { users, seed: 1 }).await.expect("generate");
    eprintln!("generated: {summary:?}");
    let trained = Instant::now();
    let report = trex_persona_model::train(&pool, LABEL_CATEGORY).await.expect("train");
    let train_seconds = trained.elapsed().as_secs_f64();

    let request = request();
    let engine = {
        let pool = pool.clone();
        move || {
            let (pool, request) = (pool.clone(), request.clone());
            async move { run(&pool, &request).await.expect("engine query").matches.len() }
        }
    };
    let hand = {
        let pool = pool.clone();
        move || {
            let pool = pool.clone();
            async move {
                // The statement is a constant.
                sqlx::query(HAND_SQL)
                    .bind(i64::from(GAMEFI_BADGE_CLASS))
                    .fetch_all(&pool)
                    .await
                    .expect("hand-written query")
                    .len()
            }
        }
    };
    let a = time(engine, sequential, clients, per_client).await;
    let b = time(hand, sequential, clients, per_client).await;

    println!("## Synthetic graph\n");
    println!("| users | badges | points rows | labels | generate + ANALYZE (s) | users/s |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {:.1} | {:.0} |\n",
        summary.users,
        summary.badges,
        summary.points,
        summary.labels,
        summary.seconds,
        summary.users as f64 / summary.seconds
    );
    println!("## 5-criterion top-100 match ({users} users)\n");
    println!(
        "| variant | p50 (ms) | p99 (ms) | p50 @{clients} clients (ms) | p99 @{clients} clients (ms) | queries/s @{clients} clients |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, t) in [("(a') engine: trex_persona_query::run", &a), ("(b) hand-written SQL", &b)] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            t.p50, t.p99, t.concurrent_p50, t.concurrent_p99, t.qps
        );
    }
    println!(
        "| ratio (a')/(b) | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
        a.p50 / b.p50,
        a.p99 / b.p99,
        a.concurrent_p50 / b.concurrent_p50,
        a.concurrent_p99 / b.concurrent_p99,
        a.qps / b.qps
    );
    println!("## Interest model ({LABEL_CATEGORY}, held-out split)\n");
    println!("| n_train | n_test | AUC | precision@{} | base rate | train + score (s) |", report.k);
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {:.3} | {:.2} | {:.3} | {:.1} |",
        report.n_train,
        report.n_test,
        report.auc,
        report.precision_at_k,
        report.base_rate,
        train_seconds
    );
}
