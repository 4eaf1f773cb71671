use time::{Duration, OffsetDateTime};
use trex_persona_bi::{
    BiError, cohort_history, create_cohort, dashboard, list_cohorts, snapshot_cohorts,
};

use crate::{database, definition, seed_passports};

#[tokio::test]
async fn snapshots_track_size_over_time() {
    let (_db, pool) = database("bi_cohorts").await;
    seed_passports(&pool, 1..101).await;
    // nft_count >= 7 holds for ids ending in 7, 8, 9: 30 of 100.
    let collectors =
        create_cohort(&pool, "acme", "collectors", &definition("nft_count >= 7", None), 100.0)
            .await
            .unwrap();
    // PMS ≥ 50 of two criteria: at least one holds.
    let two = serde_json::from_value(serde_json::json!({
        "criteria": [{ "expr": "nft_count >= 9", "weight": 1.0 },
                     { "expr": "nft_count = 0", "weight": 1.0 }],
        "filter": "nft_count <> 5",
    }))
    .unwrap();
    let either = create_cohort(&pool, "acme", "either", &two, 50.0).await.unwrap();

    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let sizes = snapshot_cohorts(&pool, t0).await.unwrap();
    assert_eq!(sizes, vec![(collectors.id, 30), (either.id, 20)]);

    // The graph changes: 30 more passports, 9 of them collectors (ids 107..=129 ending 7-9).
    seed_passports(&pool, 101..131).await;
    let t1 = t0 + Duration::hours(1);
    let sizes = snapshot_cohorts(&pool, t1).await.unwrap();
    assert_eq!(sizes, vec![(collectors.id, 39), (either.id, 26)]);

    let history = cohort_history(&pool, collectors.id).await.unwrap();
    assert_eq!(
        history.iter().map(|s| (s.taken_at, s.size)).collect::<Vec<_>>(),
        vec![(t0, 30), (t1, 39)]
    );
    // Repeating a snapshot time keeps the first row.
    snapshot_cohorts(&pool, t1).await.unwrap();
    assert_eq!(cohort_history(&pool, collectors.id).await.unwrap().len(), 2);

    // Membership at the latest snapshot shows on the member's dashboard.
    let d = dashboard(&pool, 128).await.unwrap();
    assert_eq!(d.cohorts, vec![("acme".to_owned(), "collectors".to_owned())]);
    assert_eq!(
        dashboard(&pool, 120).await.unwrap().cohorts,
        vec![("acme".to_owned(), "either".to_owned())]
    );
    assert_eq!(d.features.iter().find(|f| f.0 == "NFTs").unwrap().1, Some(8));
    assert!(matches!(dashboard(&pool, 9_999).await, Err(BiError::NotFound { .. })));

    assert_eq!(list_cohorts(&pool, "acme").await.unwrap().len(), 2);
    assert!(list_cohorts(&pool, "other").await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_definitions_are_refused() {
    let (_db, pool) = database("bi_cohorts_bad").await;
    let bad =
        create_cohort(&pool, "acme", "x", &definition("no_such_feature > 1", None), 0.0).await;
    assert!(matches!(bad, Err(BiError::Query(ref m)) if m.contains("no_such_feature")), "{bad:?}");
    let mut paged = definition("nft_count > 1", None);
    paged.limit = Some(5);
    assert!(matches!(
        create_cohort(&pool, "acme", "x", &paged, 0.0).await,
        Err(BiError::Invalid { field: "definition", .. })
    ));
    assert!(matches!(
        create_cohort(&pool, "acme", "x", &definition("nft_count > 1", None), 101.0).await,
        Err(BiError::Invalid { field: "min_pms", .. })
    ));
    create_cohort(&pool, "acme", "x", &definition("nft_count > 1", None), 0.0).await.unwrap();
    assert!(matches!(
        create_cohort(&pool, "acme", "x", &definition("nft_count > 2", None), 0.0).await,
        Err(BiError::Conflict(_))
    ));
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bi_cohorts").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1);
}
