use time::{Duration, OffsetDateTime};
use trex_persona_bi::{
    BiError, campaign_funnel, create_campaign, create_cohort, freeze_audiences, snapshot_cohorts,
};

use crate::{database, definition, seed_passports};

/// Holds badge `class` since `since` (the graph's `badges_held` row a mint leaves).
async fn hold(pool: &sqlx::PgPool, passport: i64, class: i64, since: OffsetDateTime) {
    sqlx::query(
        "INSERT INTO badges_held (passport_id, class_id, since, validator, attestation_id) \
         VALUES ($1, $2, $3, '0x00', '\\x00')",
    )
    .bind(passport)
    .bind(class)
    .bind(since)
    .execute(pool)
    .await
    .unwrap();
}

/// A `PointsCredited` event of `passport` in a block at `at`.
async fn credit(pool: &sqlx::PgPool, passport: i64, at: OffsetDateTime, retracted: bool) {
    sqlx::query(
        "INSERT INTO graph_chain_events (chain_id, block_hash, log_index, incarnation, block_number, \
         block_time, passport_id, kind, event, applied, retracted) \
         VALUES (1, decode(md5(random()::text), 'hex'), 0, 'i', 1, $2, $1, 'PointsCredited', '{}', \
         true, $3)",
    )
    .bind(passport)
    .bind(at)
    .bind(retracted)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn funnel_counts_audience_claims_and_conversions() {
    let (_db, pool) = database("bi_campaigns").await;
    seed_passports(&pool, 1..101).await;
    let cohort =
        create_cohort(&pool, "acme", "collectors", &definition("nft_count >= 7", None), 100.0)
            .await
            .unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let start = now - Duration::days(1);
    let end = now + Duration::days(1);
    let campaign =
        create_campaign(&pool, "acme", "launch", cohort.id, &["42".to_owned()], start, end)
            .await
            .unwrap();
    snapshot_cohorts(&pool, now).await.unwrap();

    // Before freezing every stage is 0.
    let f = campaign_funnel(&pool, "acme", campaign.id).await.unwrap();
    assert_eq!((f.audience, f.audience_frozen), (0, false));
    assert_eq!(freeze_audiences(&pool, now).await.unwrap(), vec![campaign.id]);
    // Frozen once: a second run and later snapshots do not change the audience.
    assert!(freeze_audiences(&pool, now).await.unwrap().is_empty());
    seed_passports(&pool, 101..131).await;
    snapshot_cohorts(&pool, now + Duration::minutes(1)).await.unwrap();

    let claim = start + Duration::hours(1);
    for p in [7, 8, 9, 17, 18, 19, 27, 28] {
        hold(&pool, p, 42, claim).await;
    }
    hold(&pool, 37, 42, start - Duration::hours(1)).await; // before the start
    hold(&pool, 1, 42, claim).await; // not in the audience
    hold(&pool, 38, 99, claim).await; // another class
    hold(&pool, 107, 42, claim).await; // joined the cohort after the freeze

    credit(&pool, 7, start + Duration::hours(2), false).await; // converted
    credit(&pool, 8, claim, false).await; // the claim's own block: not a conversion
    credit(&pool, 9, start + Duration::hours(3), true).await; // reorged out
    credit(&pool, 17, end + Duration::hours(1), false).await; // after the end
    credit(&pool, 18, start + Duration::hours(5), false).await; // converted
    credit(&pool, 1, start + Duration::hours(5), false).await; // not in the audience

    let f = campaign_funnel(&pool, "acme", campaign.id).await.unwrap();
    assert_eq!((f.audience, f.claimed, f.converted, f.audience_frozen), (30, 8, 2, true));

    assert!(matches!(
        campaign_funnel(&pool, "other", campaign.id).await,
        Err(BiError::NotFound { .. })
    ));
}

#[tokio::test]
async fn bad_campaigns_are_refused() {
    let (_db, pool) = database("bi_campaigns_bad").await;
    let cohort =
        create_cohort(&pool, "acme", "c", &definition("nft_count >= 7", None), 0.0).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let later = now + Duration::days(1);
    let ids = ["1".to_owned()];
    for bad in ["", "01", "0x10", "-1", "1e3"] {
        let r = create_campaign(&pool, "acme", "x", cohort.id, &[bad.to_owned()], now, later).await;
        assert!(
            matches!(r, Err(BiError::Invalid { field: "badge_class_ids", .. })),
            "{bad}: {r:?}"
        );
    }
    assert!(matches!(
        create_campaign(&pool, "acme", "x", cohort.id, &ids, later, now).await,
        Err(BiError::Invalid { field: "ends_at", .. })
    ));
    assert!(matches!(
        create_campaign(&pool, "other", "x", cohort.id, &ids, now, later).await,
        Err(BiError::NotFound { .. })
    ));
    create_campaign(&pool, "acme", "x", cohort.id, &ids, now, later).await.unwrap();
    assert!(matches!(
        create_campaign(&pool, "acme", "x", cohort.id, &ids, now, later).await,
        Err(BiError::Conflict(_))
    ));
}
