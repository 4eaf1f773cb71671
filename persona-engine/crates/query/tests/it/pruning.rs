//! The pruned ranking (`run`, which first ranks index-found candidates) returns exactly what
//! scoring every passport returns, on random data full of ties, with hard filters and through
//! every page.

use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use trex_persona_query::{Criterion, MatchRequest, Scoring, compile};

use crate::harness::{Persona, database, insert_all};

/// Few distinct values, so scores tie often and page boundaries fall inside ties.
fn persona() -> impl Strategy<Value = Persona> {
    (
        0..4i64,
        0..5i64,
        proptest::option::of(0..6i32),
        proptest::option::of(prop_oneof![Just(5i64), Just(20_000)]),
        proptest::collection::vec((1..4u64, any::<bool>()), 0..3),
    )
        .prop_map(|(defi, nfts, vip, twitch, mut badges)| {
            badges.sort();
            badges.dedup_by_key(|(class, _)| *class);
            Persona { defi, nfts, vip, twitch, badges, ..Persona::default() }
        })
}

fn criterion() -> impl Strategy<Value = Criterion> {
    let weight = prop_oneof![Just(1.0), Just(2.0), Just(0.5), Just(3.0)];
    let binary = prop_oneof![
        Just("cex_vip_level > 3"),
        Just("twitch_followers > 10000"),
        Just("has_badge(1)"),
        Just("has_badge(2) AND nft_count >= 2"),
        Just("nft_count BETWEEN 1 AND 3"),
        Just("defi_activity IN (1, 3)"),
        // Not index-driven: never an access criterion.
        Just("nft_count + defi_activity > 3"),
    ]
    .prop_map(|e| (e, Scoring::Binary));
    let numeric = prop_oneof![
        Just(("defi_activity", Scoring::Log { max: 3.0 })),
        Just(("nft_count", Scoring::Linear { min: 0.0, max: 4.0 })),
    ];
    (prop_oneof![3 => binary, 1 => numeric], weight)
        .prop_map(|((expr, scoring), weight)| Criterion { expr: expr.into(), weight, scoring })
}

fn request() -> impl Strategy<Value = MatchRequest> {
    let filter = proptest::option::of(prop_oneof![
        Just("nft_count >= 1"),
        Just("has_badge(3)"),
        Just("cex_vip_level IS NOT NULL OR defi_activity > 1"),
    ]);
    (proptest::collection::vec(criterion(), 1..6), filter, 1..12u32).prop_map(
        |(criteria, filter, limit)| MatchRequest {
            criteria,
            filter: filter.map(Into::into),
            limit: Some(limit),
            cursor: None,
        },
    )
}

#[tokio::test]
async fn pruned_pages_equal_full_ranking() {
    let (_db, pool) = database().await;
    let mut runner = TestRunner::deterministic();
    let people =
        proptest::collection::vec(persona(), 150..250).new_tree(&mut runner).unwrap().current();
    let people: Vec<Persona> =
        people.into_iter().enumerate().map(|(i, p)| Persona { id: i as i64 + 1, ..p }).collect();
    insert_all(&pool, &people).await;

    let mut pruned_pages = 0;
    for _ in 0..60 {
        let mut request = request().new_tree(&mut runner).unwrap().current();
        // Every page, following the cursors, must match the unpruned statement's.
        for _ in 0..40 {
            let compiled = compile(&request).unwrap();
            if compiled.levels().next().is_some() {
                pruned_pages += 1;
            }
            let page = compiled.fetch(&pool).await.unwrap();
            let full = compiled.fetch_unpruned(&pool).await.unwrap();
            assert_eq!(page, full, "{request:?}");
            match page.next_cursor {
                Some(cursor) => request.cursor = Some(cursor),
                None => break,
            }
        }
    }
    assert!(pruned_pages > 100, "the pruning was exercised on {pruned_pages} pages only");
}
