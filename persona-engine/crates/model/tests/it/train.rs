//! Training on a small graph with a planted signal, a shuffled-label control, retraining and
//! bad input.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sqlx::PgPool;
use trex_persona_model::{Error, TrainConfig, train, train_with};
use trex_test_support::TestDatabase;

const USERS: i64 = 4_000;

/// A graph where conversion depends on NFTs, Steam games and a GameFi badge through a hidden
/// trait, plus noise features; returns the labels in passport order.
async fn planted_graph(pool: &PgPool) -> Vec<bool> {
    trex_persona_graph::migrate(pool).await.unwrap();
    trex_persona_model::migrate(pool).await.unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let mut labels = Vec::new();
    let mut tx = pool.begin().await.unwrap();
    for id in 1..=USERS {
        let hidden: f64 = rng.random_range(-2.0..2.0);
        let nfts = (rng.random_range(0.0..3.0) + 2.0 * hidden).max(0.0).exp().round() as i64 - 1;
        let steam = (rng.random_bool(0.5) || hidden > 1.0).then(|| (3.0 * hidden.max(0.0)) as i32);
        sqlx::query(
            "INSERT INTO persona_features (passport_id, passport_created_at, defi_tx_count, \
             nft_count, steam_games, badge_count) VALUES ($1, now(), $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(rng.random_range(0..1000_i64))
        .bind(nfts.max(0))
        .bind(steam)
        .bind(i32::from(hidden > 0.5))
        .execute(&mut *tx)
        .await
        .unwrap();
        if hidden > 0.5 {
            sqlx::query(
                "INSERT INTO persona_feature_badges (passport_id, class_id) VALUES ($1, 7)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        let converted = rng.random_bool(1.0 / (1.0 + (-(2.0 * hidden - 1.0)).exp()));
        labels.push(converted);
    }
    tx.commit().await.unwrap();
    store_labels(pool, &labels).await;
    labels
}

async fn store_labels(pool: &PgPool, labels: &[bool]) {
    sqlx::query("DELETE FROM interest_labels WHERE category = 'gamefi'")
        .execute(pool)
        .await
        .unwrap();
    let ids: Vec<i64> = (1..=labels.len() as i64).collect();
    sqlx::query(
        "INSERT INTO interest_labels (passport_id, category, converted) \
         SELECT * FROM unnest($1::bigint[], array_fill('gamefi'::text, ARRAY[$3::int]), $2::bool[])",
    )
    .bind(&ids)
    .bind(labels)
    .bind(labels.len() as i32)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn planted_signal_is_learned_and_shuffled_labels_are_not() {
    let db = TestDatabase::create("model_planted").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    let mut labels = planted_graph(&pool).await;

    let report = train(&pool, "gamefi").await.unwrap();
    assert!(report.auc > 0.75, "{report:?}");
    assert!(report.precision_at_k > report.base_rate, "{report:?}");
    assert_eq!(report.n_train + report.n_test, USERS as usize);
    assert_eq!(report.n_scored, USERS as usize);
    let (rows, bad): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE score < 0 OR score > 1 OR model_version <> $1) \
         FROM persona_interest WHERE category = 'gamefi'",
    )
    .bind(report.model_version.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((rows, bad), (USERS, 0));

    // Control: the same features with the labels shuffled carry no signal.
    labels.shuffle(&mut StdRng::seed_from_u64(5));
    store_labels(&pool, &labels).await;
    let control = train(&pool, "gamefi").await.unwrap();
    assert!((control.auc - 0.5).abs() < 0.08, "{control:?}");
    assert!(control.model_version > report.model_version);
}

#[tokio::test]
async fn retraining_is_deterministic_and_replaces_the_scores() {
    let db = TestDatabase::create("model_retrain").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    planted_graph(&pool).await;
    let first = train(&pool, "gamefi").await.unwrap();
    let second = train(&pool, "gamefi").await.unwrap();
    assert_eq!((first.auc, first.n_test), (second.auc, second.n_test));
    let versions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT model_version FROM persona_interest WHERE category = 'gamefi'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(versions, vec![second.model_version.to_string()]);
    let models: i64 =
        sqlx::query_scalar("SELECT count(*) FROM interest_models").fetch_one(&pool).await.unwrap();
    assert_eq!(models, 2);
}

#[tokio::test]
async fn bad_input_is_rejected_and_writes_nothing() {
    let db = TestDatabase::create("model_bad").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    planted_graph(&pool).await;

    assert!(matches!(train(&pool, "").await, Err(Error::InvalidCategory(_))));
    let no_labels = train(&pool, "defi").await;
    assert!(matches!(no_labels, Err(Error::NotEnoughLabels { .. })), "{no_labels:?}");
    let mut config = TrainConfig::new("gamefi");
    config.test_percent = 0;
    assert!(matches!(train_with(&pool, &config).await, Err(Error::InvalidConfig(_))));

    let written: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM persona_interest), (SELECT count(*) FROM interest_models)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(written, (0, 0));
}
