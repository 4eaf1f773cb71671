//! The compiled statement lets Postgres use the feature indexes for selective filters.

use trex_persona_query::{Criterion, Scoring, compile};

use crate::harness::{binary, database, request};

#[tokio::test]
async fn selective_filters_use_indexes() {
    let (_db, pool) = database().await;
    // 20,000 passports; VIP level 9 and badge class 4242 are rare.
    sqlx::query(
        "INSERT INTO persona_features (passport_id, defi_tx_count, nft_count, cex_vip_level, \
         passport_created_at) \
         SELECT i, i % 997, i % 13, CASE WHEN i % 1000 = 0 THEN 9 WHEN i % 3 = 0 THEN i % 5 END, \
         now() FROM generate_series(1, 20000) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO persona_feature_badges (passport_id, class_id) \
         SELECT i, CASE WHEN i % 2000 = 0 THEN 4242 ELSE i % 7 END FROM generate_series(1, 20000) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();

    let defi = Criterion {
        expr: "defi_activity".into(),
        weight: 2.0,
        scoring: Scoring::Log { max: 1000.0 },
    };
    let vip = compile(&request(
        vec![defi.clone(), binary("nft_count > 3", 1.0)],
        Some("cex_vip_level >= 9"),
    ))
    .unwrap();
    let plan = vip.explain(&pool, false).await.unwrap().join("\n");
    assert!(plan.contains("persona_features_cex_vip_level"), "{plan}");

    let badge = compile(&request(vec![defi], Some("has_badge(4242)"))).unwrap();
    let plan = badge.explain(&pool, true).await.unwrap().join("\n");
    assert!(plan.contains("persona_feature_badges_by_class"), "{plan}");
    assert!(!plan.contains("Seq Scan on persona_feature_badges"), "{plan}");
}
