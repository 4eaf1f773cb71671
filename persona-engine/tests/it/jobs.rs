//! The scheduled jobs against a real Postgres: retraining the interest model on a synthetic
//! graph (at start, skipping fresh models), the advisory lock between instances, and pruning the
//! Postgres bus.

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use trex_persona::{
    JobsConfig, Metrics,
    jobs::{self, RETRAIN_LOCK, Retrain},
    service,
};
use trex_persona_pipeline::{Bus, Message, PgBus, PgBusConfig};
use trex_persona_synthetic::{LABEL_CATEGORY, Spec};
use trex_test_support::TestDatabase;

const USERS: u64 = 3_000;

/// A migrated database holding a synthetic graph of [`USERS`] labelled users.
async fn synthetic_graph(prefix: &str) -> (TestDatabase, PgPool) {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let database = TestDatabase::create(prefix).await;
    let pool = service::connect(database.url()).await.unwrap();
    service::migrate_all(&pool).await.unwrap();
    trex_persona_synthetic::generate(&pool, Spec { users: USERS, seed: 3 }).await.unwrap();
    (database, pool)
}

async fn models(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM interest_models").fetch_one(pool).await.unwrap()
}

/// The categories a round trained, failing the test on any training error.
fn trained(round: Retrain) -> Vec<String> {
    match round {
        Retrain::Busy => panic!("the lock was free"),
        Retrain::Trained(outcomes) => outcomes
            .into_iter()
            .map(|(category, result)| {
                result.unwrap_or_else(|err| panic!("{category}: {err}"));
                category
            })
            .collect(),
    }
}

/// The runner trains a category that has labels but no model right at start: a model row and a
/// score for every passport; the next round leaves the fresh model alone.
#[tokio::test]
async fn retraining_at_start_scores_every_passport() {
    let (_database, pool) = synthetic_graph("persona_jobs_retrain").await;
    let metrics = Metrics::new();
    let config = JobsConfig {
        retrain_interval: Some(Duration::from_secs(86_400)),
        bus_retention: Duration::from_secs(7 * 86_400),
    };
    let stop = CancellationToken::new();
    let runner = tokio::spawn(jobs::run(pool.clone(), None, config, metrics.clone(), stop.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while models(&pool).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no model trained at start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.cancel();
    runner.await.unwrap();

    let (version, category, auc): (i64, String, f64) =
        sqlx::query_as("SELECT id, category, auc FROM interest_models")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(category, LABEL_CATEGORY);
    assert!((0.0..=1.0).contains(&auc), "{auc}");
    let (scores, other_versions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE model_version <> $1 OR score NOT BETWEEN 0 AND 1) \
         FROM persona_interest WHERE category = $2",
    )
    .bind(version.to_string())
    .bind(LABEL_CATEGORY)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((scores, other_versions), (USERS as i64, 0));
    let text = metrics.render();
    assert!(
        text.contains(r#"trex_persona_job_runs_total{job="retrain",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"trex_persona_model{category="gamefi",what="auc"}"#), "{text}");

    // A model younger than the staleness bound is not retrained; an older one is.
    let fresh = jobs::retrain(&pool, &metrics, Duration::from_secs(3_600)).await.unwrap();
    assert!(trained(fresh).is_empty());
    assert_eq!(models(&pool).await, 1);
    let stale = jobs::retrain(&pool, &metrics, Duration::ZERO).await.unwrap();
    assert_eq!(trained(stale), vec![LABEL_CATEGORY.to_owned()]);
    let versions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT model_version FROM persona_interest WHERE category = $1",
    )
    .bind(LABEL_CATEGORY)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(versions.len(), 1);
    assert_ne!(versions[0], version.to_string(), "the new model's scores replaced the old");
}

/// While another instance holds the advisory lock nothing is trained; of two concurrent rounds
/// exactly one trains.
#[tokio::test]
async fn the_advisory_lock_lets_one_instance_train() {
    let (_database, pool) = synthetic_graph("persona_jobs_lock").await;
    let metrics = Metrics::new();

    let mut other_instance = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(RETRAIN_LOCK)
        .execute(&mut *other_instance)
        .await
        .unwrap();
    let round = jobs::retrain(&pool, &metrics, Duration::ZERO).await.unwrap();
    assert!(matches!(round, Retrain::Busy), "{round:?}");
    assert_eq!(models(&pool).await, 0);
    let unlocked: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
        .bind(RETRAIN_LOCK)
        .fetch_one(&mut *other_instance)
        .await
        .unwrap();
    assert!(unlocked);

    let (first, second) = tokio::join!(
        jobs::retrain(&pool, &metrics, Duration::ZERO),
        jobs::retrain(&pool, &metrics, Duration::ZERO),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let busy = [&first, &second].iter().filter(|r| matches!(r, Retrain::Busy)).count();
    assert_eq!(busy, 1, "{first:?} {second:?}");
    assert_eq!(models(&pool).await, 1);
    let text = metrics.render();
    assert!(
        text.contains(r#"trex_persona_job_runs_total{job="retrain",outcome="busy"} 2"#),
        "{text}"
    );

    // The lock was released with the round: the next one trains.
    let round = jobs::retrain(&pool, &metrics, Duration::ZERO).await.unwrap();
    assert_eq!(trained(round), vec![LABEL_CATEGORY.to_owned()]);
}

/// Pruning deletes acknowledged messages older than the retention and keeps messages a group
/// has not acknowledged (claimed or not) and recent acknowledged ones.
#[tokio::test]
async fn pruning_removes_old_delivered_messages_only() {
    let database = TestDatabase::create("persona_jobs_prune").await;
    let pool = service::connect(database.url()).await.unwrap();
    let bus = PgBus::open(pool.clone(), PgBusConfig::default()).await.unwrap();
    let metrics = Metrics::new();
    let publish = |topic: &'static str, ids: std::ops::RangeInclusive<u32>| {
        let messages: Vec<Message> =
            ids.map(|i| Message::new(format!("m-{i}"), topic, json!({ "i": i }))).collect();
        let bus = bus.clone();
        async move { bus.publish(&messages).await.unwrap() }
    };

    let mut group = bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    publish("chain.apply", 1..=4).await;
    let mut claimed = Vec::new();
    while claimed.len() < 3 {
        claimed.extend(group.next(3 - claimed.len(), Duration::from_secs(5)).await.unwrap());
    }
    // m-1 and m-2 acknowledged, m-3 claimed but not acknowledged, m-4 never delivered.
    group.ack_all(&claimed[..2]).await.unwrap();
    sqlx::query("UPDATE pipeline_messages SET published_at = now() - interval '8 days'")
        .execute(&pool)
        .await
        .unwrap();
    // m-5 acknowledged but recent.
    let mut other = bus.subscribe("audit", &["chain.retract"]).await.unwrap();
    publish("chain.retract", 5..=5).await;
    let recent = other.next(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(recent.len(), 1);
    other.ack(&recent[0]).await.unwrap();

    let retention = Duration::from_secs(7 * 86_400);
    assert_eq!(jobs::prune_bus(&bus, retention, &metrics).await.unwrap(), 2);
    let kept: Vec<String> = sqlx::query_scalar("SELECT id FROM pipeline_messages ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(kept, ["m-3", "m-4", "m-5"]);
    assert_eq!(jobs::prune_bus(&bus, retention, &metrics).await.unwrap(), 0);
    assert_eq!(metrics.bus_pruned.get(), 2);
}

/// With every job disabled the runner still runs until shutdown: `serve` stops when a task ends.
#[tokio::test]
async fn a_runner_without_jobs_waits_for_shutdown() {
    let pool = PgPool::connect_lazy(trex_test_support::postgres::ADMIN_URL).unwrap();
    let config = JobsConfig { retrain_interval: None, bus_retention: Duration::from_secs(1) };
    let stop = CancellationToken::new();
    let runner = tokio::spawn(jobs::run(pool, None, config, Metrics::new(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!runner.is_finished());
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), runner).await.unwrap().unwrap();
}
