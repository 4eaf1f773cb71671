//! Match benchmark: N synthetic users (1,000,000 by default) in a fresh database, the GameFi
//! interest model trained and evaluated, then a 5-criterion top-100 query timed in the same run
//! (a) through the HTTP API of a `trex-persona` server (`POST /v1/match`), (a') as the library
//! call behind it (`trex_persona_query::run`) and (b) as hand-written SQL.
//!
//! `cargo build --release -p trex-persona && cargo bench -p trex-persona-synthetic --bench match`
//! (env: `TREX_BENCH_USERS`, `TREX_BENCH_SEQUENTIAL`, `TREX_BENCH_CLIENTS`,
//! `TREX_BENCH_PER_CLIENT`; `TREX_BENCH_DATABASE_URL` reuses an already generated database and
//! skips generation and training; `TREX_PERSONA_BIN` names the server binary, else the release
//! one beside this bench, else the debug one). Prints markdown tables.

use std::{
    future::Future,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sqlx::{PgPool, postgres::PgPoolOptions};
use trex_persona_query::{MatchPage, MatchRequest, run};
use trex_persona_synthetic::{GAMEFI_BADGE_CLASS, LABEL_CATEGORY, Spec, generate};
use trex_test_support::{Anvil, TestDatabase};

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

/// Checks, at full scale, that the engine's page is the whole table's: the pruned ranking (first
/// page and the next one through the cursor) against the same statement scoring every passport.
async fn same_ranking(pool: &PgPool, request: &MatchRequest) {
    let first = run(pool, request).await.expect("engine query");
    let second = MatchRequest { cursor: first.next_cursor, ..request.clone() };
    for (request, page) in [(request, first.clone()), (&second, run(pool, &second).await.unwrap())]
    {
        let full =
            trex_persona_query::compile(request).unwrap().fetch_unpruned(pool).await.unwrap();
        assert_eq!(page, full, "pruned and full rankings differ");
    }
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

/// A `trex-persona` server on a free port with an API key, killed on drop.
struct Server {
    child: Child,
    url: String,
    key: String,
}

impl Server {
    async fn start(database_url: &str, anvil: &Anvil) -> Self {
        let bin = persona_bin();
        let created = Command::new(&bin)
            .args(["api-key", "create", "--project", "bench", "--database-url", database_url])
            .output()
            .expect("trex-persona api-key create");
        let out = String::from_utf8_lossy(&created.stdout);
        let key = out
            .split_whitespace()
            .find(|word| word.starts_with("trex_pk_"))
            .unwrap_or_else(|| {
                panic!("no key printed: {out} {}", String::from_utf8_lossy(&created.stderr))
            })
            .to_owned();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        // The rate limiter would otherwise be what is measured, and the bench trains the model
        // itself (before the timing, not during it).
        let child = Command::new(&bin)
            .args(["--database-url", database_url, "--l2-rpc", anvil.url.as_str()])
            .args(["--model.retrain-interval-secs", "0"])
            .args(["--passport", "0x0000000000000000000000000000000000000001"])
            .args(["--badge", "0x0000000000000000000000000000000000000002"])
            .args(["--listen", &listen, "--rate-limit", "1000000", "--rate-burst", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("trex-persona");
        let server = Self { child, url: format!("http://{listen}"), key };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if client.get(format!("{}/openapi.json", server.url)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("trex-persona did not start: {bin:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary: `TREX_PERSONA_BIN`, else the release build beside this bench
/// (`<target>/release/deps/match-…`), else the debug build.
fn persona_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("TREX_PERSONA_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("the bench's path");
    let target = exe.ancestors().nth(3).expect("<target>/<profile>/deps/<bench>");
    ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join("trex-persona"))
        .find(|bin| bin.exists())
        .expect("build it first: cargo build --release -p trex-persona")
}

#[tokio::main]
async fn main() {
    let users = env("TREX_BENCH_USERS", 1_000_000) as u64;
    let sequential = env("TREX_BENCH_SEQUENTIAL", 50);
    let clients = env("TREX_BENCH_CLIENTS", 4);
    let per_client = env("TREX_BENCH_PER_CLIENT", 25);

    let reuse = std::env::var("TREX_BENCH_DATABASE_URL").ok();
    let db = match reuse {
        Some(_) => None,
        None => Some(TestDatabase::create("persona_bench").await),
    };
    let database_url = reuse.as_deref().or(db.as_ref().map(TestDatabase::url)).unwrap().to_owned();
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(clients as u32 + 2)
        .connect(&database_url)
        .await
        .expect("connect");

    let prepared = match reuse {
        Some(_) => None,
        None => {
            let summary = generate(&pool, Spec { users, seed: 1 }).await.expect("generate");
            eprintln!("generated: {summary:?}");
            let trained = Instant::now();
            let report = trex_persona_model::train(&pool, LABEL_CATEGORY).await.expect("train");
            Some((summary, report, trained.elapsed().as_secs_f64()))
        }
    };
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM persona_features")
        .fetch_one(&pool)
        .await
        .expect("count users");

    let anvil = Anvil::start(&[]).await;
    let server = Server::start(&database_url, &anvil).await;
    let request = request();
    same_ranking(&pool, &request).await;
    let http = {
        let client = reqwest::Client::new();
        let (url, auth) = (format!("{}/v1/match", server.url), format!("Bearer {}", server.key));
        let request = request.clone();
        move || {
            let (client, url, auth, request) =
                (client.clone(), url.clone(), auth.clone(), request.clone());
            async move {
                let response = client
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&request)
                    .send()
                    .await
                    .expect("POST /v1/match");
                assert!(response.status().is_success(), "{}", response.status());
                response.json::<MatchPage>().await.expect("a match page").matches.len()
            }
        }
    };
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
    let h = time(http, sequential, clients, per_client).await;
    let a = time(engine, sequential, clients, per_client).await;
    let b = time(hand, sequential, clients, per_client).await;
    drop(server);

    if let Some((summary, _, _)) = &prepared {
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
    }
    println!("## 5-criterion top-100 match ({users} users)\n");
    println!(
        "| variant | p50 (ms) | p99 (ms) | p50 @{clients} clients (ms) | p99 @{clients} clients (ms) | queries/s @{clients} clients |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, t) in [
        ("(a) engine over HTTP: POST /v1/match", &h),
        ("(a') engine library: trex_persona_query::run", &a),
        ("(b) hand-written SQL", &b),
    ] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            t.p50, t.p99, t.concurrent_p50, t.concurrent_p99, t.qps
        );
    }
    println!(
        "| ratio (a')/(b) | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        a.p50 / b.p50,
        a.p99 / b.p99,
        a.concurrent_p50 / b.concurrent_p50,
        a.concurrent_p99 / b.concurrent_p99,
        a.qps / b.qps
    );
    println!(
        "| ratio (a)/(b) | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
        h.p50 / b.p50,
        h.p99 / b.p99,
        h.concurrent_p50 / b.concurrent_p50,
        h.concurrent_p99 / b.concurrent_p99,
        h.qps / b.qps
    );
    let Some((_, report, train_seconds)) = prepared else { return };
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
