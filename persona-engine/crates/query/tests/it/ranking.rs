//! The seed example and the functions, ranked on hand-built rows.

use trex_persona_query::{Criterion, MatchRequest, QueryError, Scoring, run};

use crate::harness::{Persona, binary, database, ids, insert_all, request};

/// The seed's example: high DeFi activity AND CEX VIP level > 3 AND Twitch followers > 10,000,
/// as JSON the way a project sends it.
fn seed_example() -> MatchRequest {
    serde_json::from_value(serde_json::json!({
        "criteria": [
            { "expr": "defi_activity", "weight": 2, "scoring": { "mode": "log", "max": 1000 } },
            { "expr": "cex_vip_level > 3", "weight": 1 },
            { "expr": "twitch_followers > 10000", "weight": 1 }
        ]
    }))
    .unwrap()
}

fn seed_personas() -> Vec<Persona> {
    vec![
        Persona { defi: 1000, vip: Some(5), twitch: Some(20_000), ..Persona::new(1) },
        Persona { defi: 5000, vip: Some(2), twitch: Some(50_000), ..Persona::new(2) },
        Persona { defi: 0, vip: Some(4), twitch: Some(10_001), ..Persona::new(3) },
        Persona { defi: 31, ..Persona::new(4) },
        Persona::new(5),
        Persona { defi: 10, vip: Some(4), twitch: Some(10_000), ..Persona::new(6) },
    ]
}

fn log_value(x: f64, max: f64) -> f64 {
    ((1.0 + x).ln() / (1.0 + max).ln()).min(1.0)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn seed_example_ranks_by_pms_with_breakdowns() {
    let (_db, pool) = database().await;
    insert_all(&pool, &seed_personas()).await;

    let page = run(&pool, &seed_example()).await.unwrap();
    assert_eq!(ids(&page), [1, 2, 3, 6, 4, 5]);
    assert_eq!(page.next_cursor, None);

    // (defi V, vip V, twitch V) per passport, in result order.
    let expected = [
        (1.0, 1.0, 1.0),
        (1.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (log_value(10.0, 1000.0), 1.0, 0.0),
        (log_value(31.0, 1000.0), 0.0, 0.0),
        (0.0, 0.0, 0.0),
    ];
    for (found, (defi, vip, twitch)) in page.matches.iter().zip(expected) {
        let values: Vec<f64> = found.breakdown.iter().map(|c| c.value).collect();
        assert!(close(values[0], defi) && values[1] == vip && values[2] == twitch, "{found:?}");
        let pms = (2.0 * defi + vip + twitch) / 4.0 * 100.0;
        assert!(close(found.pms, pms), "{found:?} != {pms}");
        let points: f64 = found.breakdown.iter().map(|c| c.points).sum();
        assert!(close(points, found.pms), "{found:?}");
        assert!(close(found.breakdown[0].points, 2.0 * defi / 4.0 * 100.0), "{found:?}");
    }
    assert_eq!(page.matches[0].pms, 100.0);
}

#[tokio::test]
async fn seed_example_with_a_twitch_badge_and_hard_filters() {
    let (_db, pool) = database().await;
    const TWITCH_10K: u64 = 77;
    let mut personas = seed_personas();
    personas[0].badges = vec![(TWITCH_10K, false)];
    personas[2].badges = vec![(TWITCH_10K, false), (5, false)];
    // An expired badge does not count.
    personas[5].badges = vec![(TWITCH_10K, true)];
    insert_all(&pool, &personas).await;

    let mut badge_form = seed_example();
    badge_form.criteria[2] = binary(&format!("has_badge({TWITCH_10K})"), 1.0);
    let page = run(&pool, &badge_form).await.unwrap();
    // Passport 2 (DeFi, no badge) and 3 (VIP and badge, no DeFi) tie at 50: id breaks it.
    assert_eq!(ids(&page), [1, 2, 3, 6, 4, 5]);
    assert_eq!(page.matches[1].pms, 50.0);
    assert_eq!(page.matches[2].pms, 50.0);
    assert_eq!(page.matches[3].breakdown[2].value, 0.0, "expired badge: {:?}", page.matches[3]);

    // The two thresholds as a hard filter: only passports meeting both are returned, ranked by
    // DeFi activity alone.
    let mut filtered = seed_example();
    filtered.criteria.truncate(1);
    filtered.filter = Some("cex_vip_level > 3 AND twitch_followers > 10000".into());
    let page = run(&pool, &filtered).await.unwrap();
    assert_eq!(ids(&page), [1, 3]);

    filtered.filter = Some(format!("has_badge('0x{TWITCH_10K:x}') AND NOT has_badge(5)"));
    let page = run(&pool, &filtered).await.unwrap();
    assert_eq!(ids(&page), [1]);

    // Passports 1 and 2 both reach the log scale's max: a tie, broken by id.
    filtered.filter = Some("cex_exchange IS NULL OR cex_exchange IN ('okx')".into());
    let page = run(&pool, &filtered).await.unwrap();
    assert_eq!(ids(&page), [1, 2, 4, 6, 3, 5]);
}

#[tokio::test]
async fn points_and_interest_read_their_tables_and_default_to_zero() {
    let (_db, pool) = database().await;
    insert_all(
        &pool,
        &[
            Persona {
                points: vec![("defi", 300), ("gaming", 50)],
                interest: vec![("gamefi", 0.9)],
                ..Persona::new(10)
            },
            Persona {
                points: vec![("gaming", 400)],
                interest: vec![("gamefi", 0.25)],
                ..Persona::new(11)
            },
            Persona { interest: vec![("defi", 1.0)], ..Persona::new(12) },
        ],
    )
    .await;

    let interest = Criterion {
        expr: "interest('gamefi')".into(),
        weight: 1.0,
        scoring: Scoring::Linear { min: 0.0, max: 1.0 },
    };
    let page = run(&pool, &request(vec![interest.clone()], None)).await.unwrap();
    assert_eq!(ids(&page), [10, 11, 12]);
    let values: Vec<f64> = page.matches.iter().map(|m| m.breakdown[0].value).collect();
    assert!((values[0] - 0.9).abs() < 1e-6 && values[1] == 0.25 && values[2] == 0.0, "{values:?}");

    let page =
        run(&pool, &request(vec![interest], Some("interest('gamefi') > 0.5"))).await.unwrap();
    assert_eq!(ids(&page), [10]);

    let points = Criterion {
        expr: "points('defi') + points('gaming')".into(),
        weight: 1.0,
        scoring: Scoring::Linear { min: 0.0, max: 400.0 },
    };
    let page = run(&pool, &request(vec![points], Some("points('defi') < 100"))).await.unwrap();
    assert_eq!(ids(&page), [11, 12]);
    assert_eq!(page.matches[0].breakdown[0].value, 1.0);
    assert_eq!(page.matches[1].breakdown[0].value, 0.0);
}

#[tokio::test]
async fn user_text_is_never_sql() {
    let (_db, pool) = database().await;
    insert_all(
        &pool,
        &[Persona { exchange: Some("x'; DROP TABLE persona_features; --"), ..Persona::new(1) }],
    )
    .await;
    let hostile = request(
        vec![binary("cex_exchange = 'x''; DROP TABLE persona_features; --'", 1.0)],
        Some("points('''); DELETE FROM persona_features; --') = 0"),
    );
    let page = run(&pool, &hostile).await.unwrap();
    assert_eq!(ids(&page), [1]);
    assert_eq!(page.matches[0].breakdown[0].value, 1.0);
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM persona_features").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1);

    let invalid = run(&pool, &request(vec![binary("1; DROP TABLE x", 1.0)], None)).await;
    assert!(
        matches!(invalid, Err(QueryError::InvalidQuery { position: Some((1, 2)), .. })),
        "{invalid:?}"
    );
}
