//! Integration tests of trex-persona-bi against a real Postgres (one database per test, with
//! the graph's and the BI migrations).

mod campaigns;
mod cohorts;
mod experiments;
mod pages;
mod privacy;

use sqlx::PgPool;
use trex_test_support::TestDatabase;

/// A fresh database with the graph and BI tables.
pub(crate) async fn database(prefix: &str) -> (TestDatabase, PgPool) {
    let db = TestDatabase::create(prefix).await;
    let pool = PgPool::connect(db.url()).await.expect("connect");
    trex_persona_ingest::migrate(&pool).await.expect("ingest migrations");
    trex_persona_graph::migrate(&pool).await.expect("graph migrations");
    trex_persona_bi::migrate(&pool).await.expect("bi migrations");
    (db, pool)
}

/// Passports `ids` in `persona_features`, with `nft_count = id % 10` and 100 points in 'defi'
/// for even ids.
pub(crate) async fn seed_passports(pool: &PgPool, ids: std::ops::Range<i64>) {
    sqlx::query(
        "INSERT INTO persona_features (passport_id, nft_count, passport_created_at) \
         SELECT id, id % 10, now() FROM generate_series($1::bigint, $2::bigint - 1) id",
    )
    .bind(ids.start)
    .bind(ids.end)
    .execute(pool)
    .await
    .expect("seed features");
    sqlx::query(
        "INSERT INTO persona_feature_points (passport_id, category, points) \
         SELECT id, 'defi', 100 FROM generate_series($1::bigint, $2::bigint - 1) id WHERE id % 2 = 0",
    )
    .bind(ids.start)
    .bind(ids.end)
    .execute(pool)
    .await
    .expect("seed points");
}

/// A cohort definition: binary criterion `expr`, optional filter.
pub(crate) fn definition(expr: &str, filter: Option<&str>) -> trex_persona_query::MatchRequest {
    serde_json::from_value(serde_json::json!({
        "criteria": [{ "expr": expr, "weight": 1.0 }],
        "filter": filter,
    }))
    .expect("definition")
}
