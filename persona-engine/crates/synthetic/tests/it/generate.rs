//! Generating small graphs into fresh databases.

use sqlx::PgPool;
use trex_persona_synthetic::{Error, LABEL_CATEGORY, Persona, Spec, generate};
use trex_test_support::TestDatabase;

/// A digest of every written table, to compare two graphs.
async fn digest(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT md5(string_agg(p::text, ',' ORDER BY passport_id)) FROM passports p",
        "SELECT md5(string_agg((f.passport_id, f.defi_tx_count, f.nft_count, f.cex_vip_level, \
         f.cex_exchange, f.twitch_followers, f.x_followers, f.youtube_subscribers, f.steam_games, \
         f.total_points, f.badge_count, f.passport_created_at)::text, ',' ORDER BY passport_id)) \
         FROM persona_features f",
        "SELECT md5(string_agg((passport_id, class_id)::text, ',' ORDER BY passport_id, class_id)) \
         FROM persona_feature_badges",
        "SELECT md5(string_agg((passport_id, category, points)::text, ',' \
         ORDER BY passport_id, category)) FROM persona_feature_points",
        "SELECT md5(string_agg((passport_id, category, converted)::text, ',' \
         ORDER BY passport_id)) FROM interest_labels",
    ] {
        out.push(sqlx::query_scalar(sql).fetch_one(pool).await.unwrap());
    }
    out
}

#[tokio::test]
async fn small_graph_end_to_end_matches_the_generator() {
    let db = TestDatabase::create("synthetic_e2e").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    let spec = Spec { users: 2_000, seed: 17 };
    let summary = generate(&pool, spec).await.unwrap();

    let people: Vec<Persona> = (1..=2_000).map(|id| Persona::generate(17, id)).collect();
    let badges: usize = people.iter().map(|p| p.badges.len()).sum();
    let points: usize = people.iter().map(|p| p.points.len()).sum();
    assert_eq!(
        (summary.users, summary.badges, summary.points, summary.labels),
        (2_000, badges as u64, points as u64, 2_000)
    );

    let p = &people[41];
    let row: (i64, i64, Option<i32>, Option<i64>, Option<i32>, i64, i32) = sqlx::query_as(
        "SELECT defi_tx_count, nft_count, cex_vip_level, twitch_followers, steam_games, \
         total_points, badge_count FROM persona_features WHERE passport_id = 42",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            p.defi_tx_count,
            p.nft_count,
            p.cex.map(|(level, _)| level),
            p.twitch_followers,
            p.steam_games,
            p.total_points(),
            p.badges.len() as i32
        )
    );
    let (did, positives): (String, i64) = sqlx::query_as(
        "SELECT (SELECT did FROM passports WHERE passport_id = 42), \
         (SELECT count(*) FROM interest_labels WHERE category = $1 AND converted)",
    )
    .bind(LABEL_CATEGORY)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(did, format!("did:trex:{}:42", trex_persona_synthetic::CHAIN_ID));
    assert_eq!(positives, people.iter().filter(|p| p.joined_gamefi_launch).count() as i64);

    // The engine's compiled queries run on the generated graph.
    let request: trex_persona_query::MatchRequest = serde_json::from_value(serde_json::json!({
        "criteria": [
            { "expr": "defi_activity", "weight": 2, "scoring": { "mode": "log", "max": 1000 } },
            { "expr": "cex_vip_level > 3", "weight": 1 },
            { "expr": "has_badge(1)", "weight": 1 }
        ],
        "limit": 10
    }))
    .unwrap();
    let page = trex_persona_query::run(&pool, &request).await.unwrap();
    assert_eq!(page.matches.len(), 10);
    assert!(page.matches.windows(2).all(|w| w[0].pms >= w[1].pms));
}

#[tokio::test]
async fn same_seed_same_graph_other_seed_other_graph() {
    let (a, b, c) = (
        TestDatabase::create("synthetic_seed_a").await,
        TestDatabase::create("synthetic_seed_b").await,
        TestDatabase::create("synthetic_seed_c").await,
    );
    let mut digests = Vec::new();
    for (db, seed) in [(&a, 5), (&b, 5), (&c, 6)] {
        let pool = PgPool::connect(db.url()).await.unwrap();
        generate(&pool, Spec { users: 500, seed }).await.unwrap();
        digests.push(digest(&pool).await);
    }
    assert_eq!(digests[0], digests[1]);
    for (x, y) in digests[0].iter().zip(&digests[2]) {
        assert_ne!(x, y);
    }
}

#[tokio::test]
async fn bad_spec_or_occupied_graph_writes_nothing() {
    let db = TestDatabase::create("synthetic_bad").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    assert!(matches!(
        generate(&pool, Spec { users: 0, seed: 1 }).await,
        Err(Error::InvalidSpec(_))
    ));
    generate(&pool, Spec { users: 100, seed: 1 }).await.unwrap();
    let before = digest(&pool).await;
    // Ids 1..=200 overlap the existing 1..=100: the whole second run is rolled back.
    assert!(matches!(generate(&pool, Spec { users: 200, seed: 2 }).await, Err(Error::Database(_))));
    assert_eq!(digest(&pool).await, before);
}

#[tokio::test]
async fn interest_model_recovers_the_planted_gamefi_signal() {
    let db = TestDatabase::create("synthetic_model").await;
    let pool = PgPool::connect(db.url()).await.unwrap();
    generate(&pool, Spec { users: 20_000, seed: 3 }).await.unwrap();
    let report = trex_persona_model::train(&pool, LABEL_CATEGORY).await.unwrap();
    assert!(report.auc > 0.75, "{report:?}");
    assert!(report.precision_at_k > 2.0 * report.base_rate, "{report:?}");

    // Control: shuffled labels (a permutation by a hash of the id) carry no signal.
    sqlx::query(
        "WITH shuffled AS (SELECT passport_id, \
           lag(converted) OVER (ORDER BY md5(passport_id::text)) AS converted \
         FROM interest_labels WHERE category = $1) \
         UPDATE interest_labels l SET converted = COALESCE(s.converted, false) \
         FROM shuffled s WHERE l.passport_id = s.passport_id AND l.category = $1",
    )
    .bind(LABEL_CATEGORY)
    .execute(&pool)
    .await
    .unwrap();
    let control = trex_persona_model::train(&pool, LABEL_CATEGORY).await.unwrap();
    assert!((control.auc - 0.5).abs() < 0.05, "{control:?}");
}
