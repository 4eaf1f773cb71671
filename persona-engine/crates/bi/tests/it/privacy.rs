use time::OffsetDateTime;
use trex_persona_bi::{
    Arm, ExperimentStatus, create_campaign, create_cohort, create_experiment, delete_passport_data,
    export_offchain, expose, freeze_audiences, record_conversion, set_status, snapshot_cohorts,
};

use crate::{database, definition, seed_passports};

async fn fact(pool: &sqlx::PgPool, passport: i64, result: &str) {
    sqlx::query(
        "INSERT INTO persona_data_points (result_id, fact_index, passport_id, kind, source, value, \
         observed_at, validator) VALUES ($1, 0, $2, 'cex_vip', 'binance', 4, now(), '0xv')",
    )
    .bind(result)
    .bind(passport)
    .execute(pool)
    .await
    .unwrap();
}

async fn count(pool: &sqlx::PgPool, table: &str, passport: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {table} WHERE passport_id = $1"
    )))
    .bind(passport)
    .fetch_one(pool)
    .await
    .unwrap()
}

const TABLES: [&str; 5] = [
    "persona_data_points",
    "bi_assignments",
    "bi_conversions",
    "bi_cohort_members",
    "bi_campaign_audience",
];

#[tokio::test]
async fn export_then_delete_offchain_data() {
    let (_db, pool) = database("bi_privacy").await;
    seed_passports(&pool, 1..11).await;
    fact(&pool, 7, "result-a").await;
    fact(&pool, 8, "result-b").await;
    let cohort = create_cohort(&pool, "acme", "sevens", &definition("nft_count >= 7", None), 100.0)
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    snapshot_cohorts(&pool, now).await.unwrap();
    create_campaign(
        &pool,
        "acme",
        "drop",
        cohort.id,
        &["5".to_owned()],
        now,
        now + time::Duration::days(1),
    )
    .await
    .unwrap();
    freeze_audiences(&pool, now).await.unwrap();
    let arms = [Arm { name: "a".into(), weight: 1.0 }, Arm { name: "b".into(), weight: 1.0 }];
    let exp = create_experiment(&pool, "acme", "e", &arms).await.unwrap();
    set_status(&pool, &exp, ExperimentStatus::Running).await.unwrap();
    for p in [7, 8] {
        expose(&pool, &exp, p).await.unwrap();
        record_conversion(&pool, &exp, p, "signup").await.unwrap();
    }

    let export = export_offchain(&pool, 7).await.unwrap();
    assert_eq!(export.passport_id, 7);
    assert_eq!(export.data_points.len(), 1);
    assert_eq!(export.data_points[0]["result_id"], "result-a");
    assert_eq!(export.data_points[0]["source"], "binance");
    assert!(export.data_points[0].get("passport_id").is_none());
    assert_eq!(export.experiments.len(), 1);
    assert_eq!(export.experiments[0]["experiment"], "e");
    assert_eq!(export.experiments[0]["conversions"][0]["event"], "signup");
    assert_eq!(export.cohorts, vec![serde_json::json!({"project": "acme", "cohort": "sevens"})]);
    assert_eq!(export.campaigns, vec![serde_json::json!({"project": "acme", "campaign": "drop"})]);
    // It serialises as the JSON the user downloads.
    let json = serde_json::to_value(&export).unwrap();
    assert!(json["exportedAt"].is_string() || json["exported_at"].is_string(), "{json}");

    for table in TABLES {
        assert_eq!(count(&pool, table, 7).await, 1, "{table}");
    }
    let deleted = delete_passport_data(&pool, 7).await.unwrap();
    assert_eq!(deleted, 5);
    for table in TABLES {
        assert_eq!(count(&pool, table, 7).await, 0, "{table}");
        // Another passport's rows are untouched.
        assert_eq!(count(&pool, table, 8).await, 1, "{table}");
    }
    // Idempotent.
    assert_eq!(delete_passport_data(&pool, 7).await.unwrap(), 0);
    let export = export_offchain(&pool, 7).await.unwrap();
    assert!(export.data_points.is_empty() && export.experiments.is_empty());
}
