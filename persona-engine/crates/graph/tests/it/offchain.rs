//! Validator results: the off-chain features, supersession by observed_at, privacy deletion and
//! malformed messages.

use alloy_primitives::Address;
use trex_persona_graph::{ErrorKind, Outcome, apply, delete_offchain};
use trex_persona_pipeline::Message;
use trex_sdk::persona::PersonaFact;

use crate::support::*;

fn followers(platform: &str, count: u64) -> PersonaFact {
    PersonaFact::Followers { platform: platform.into(), count }
}

fn activity(chain: &str, category: &str, transactions: u64) -> PersonaFact {
    PersonaFact::ContractActivity { chain: chain.into(), category: category.into(), transactions }
}

fn nfts(chain: &str, count: u64) -> PersonaFact {
    PersonaFact::NftHoldings { chain: chain.into(), count }
}

fn vip(exchange: &str, level: u32) -> PersonaFact {
    PersonaFact::CexVipLevel { exchange: exchange.into(), level }
}

fn first_result() -> Message {
    result(
        "r1",
        1,
        100,
        vec![
            followers("twitch", 12_000),
            followers("x", 500),
            PersonaFact::YoutubeSubscribers { count: 30 },
            PersonaFact::SteamGames { count: 40 },
            vip("binance", 3),
            vip("okx", 5),
            activity("eip155:1", "defi", 10),
            activity("eip155:10", "defi", 5),
            activity("eip155:1", "gamefi", 7),
            nfts("eip155:1", 3),
            nfts("eip155:137", 4),
            PersonaFact::Student { domain: "mit.edu".into() },
        ],
    )
}

#[tokio::test]
async fn validator_results_set_features_and_the_latest_fact_wins() {
    let (_db, pool) = database("graph_offchain").await;
    // A result may arrive before its passport's creation: it counts once the passport exists.
    apply_one_by_one(&pool, &[first_result()]).await;
    assert_eq!(features(&pool, 1).await, None);
    apply_one_by_one(&pool, &[applied(&at(1, 0), created(1, Address::repeat_byte(1)))]).await;
    assert_eq!(
        features(&pool, 1).await,
        Some((
            15,
            7,
            Some(5),
            Some("okx".into()),
            Some(12_000),
            Some(500),
            Some(30),
            Some(40),
            0,
            0,
            1_001
        )),
        "DeFi summed over chains (not gamefi), NFTs summed, the highest VIP level with its exchange"
    );

    // Newer facts supersede per (kind, source, subject); the others stay.
    apply_one_by_one(
        &pool,
        &[result(
            "r2",
            1,
            200,
            vec![followers("twitch", 15_000), activity("eip155:1", "defi", 20), vip("okx", 1)],
        )],
    )
    .await;
    assert_eq!(
        features(&pool, 1).await,
        Some((
            25,
            7,
            Some(3),
            Some("binance".into()),
            Some(15_000),
            Some(500),
            Some(30),
            Some(40),
            0,
            0,
            1_001
        ))
    );
    // An older result delivered late changes no feature.
    let before = snapshot(&pool, 1).await;
    apply_one_by_one(
        &pool,
        &[result("r0", 1, 50, vec![followers("twitch", 1), vip("binance", 9)])],
    )
    .await;
    let after = snapshot(&pool, 1).await;
    assert_eq!(after.features, before.features);
    assert_eq!(after.edges.len(), before.edges.len() + 2, "its facts are still in the graph");

    // The same result id under another message id is stored once.
    let mut again = first_result();
    again.id.push_str(":again");
    assert_eq!(apply(&pool, &again).await.unwrap(), Outcome::Applied);
    let facts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM persona_data_points WHERE result_id = 'r1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(facts, 12);
}

#[tokio::test]
async fn delete_offchain_removes_the_facts_and_keeps_the_chain_data() {
    let (_db, pool) = database("graph_delete").await;
    let first = first_result();
    apply_one_by_one(
        &pool,
        &[
            applied(&at(1, 0), created(1, Address::repeat_byte(1))),
            applied(&at(2, 0), credited(1, "defi", 40)),
            applied(&at(2, 1), minted(1, 3, 40)),
            first.clone(),
            result("other", 2, 100, vec![followers("x", 9)]),
        ],
    )
    .await;
    assert_eq!(delete_offchain(&pool, 1).await.unwrap(), 12);
    let snap = snapshot(&pool, 1).await;
    assert_eq!(snap.features, Some((0, 0, None, None, None, None, None, None, 40, 1, 1_001)));
    assert_eq!(snap.badges, ["3"]);
    assert!(snap.edges.iter().all(|(rel, ..)| rel != "proved"));
    // Another passport's facts stay; a redelivery of the deleted result does not restore it.
    let left: Vec<String> = sqlx::query_scalar("SELECT result_id FROM persona_data_points")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["other"]);
    assert_eq!(apply(&pool, &first).await.unwrap(), Outcome::Duplicate);
    assert_eq!(snapshot(&pool, 1).await, snap);
    assert_eq!(delete_offchain(&pool, 1).await.unwrap(), 0);
}

#[tokio::test]
async fn malformed_messages_are_rejected_and_change_nothing() {
    let (_db, pool) = database("graph_bad").await;
    let bad = [
        Message::new("chain.apply:x", "chain.apply", serde_json::json!({"chainId": 1})),
        Message::new("validator.result:y", "validator.result", serde_json::json!({"id": "y"})),
        Message::new("z", "chain.unknown", serde_json::json!({})),
        // A well-formed event whose id does not pair an apply with its retraction.
        Message::new(
            "no-prefix",
            "chain.apply",
            applied(&at(1, 0), created(1, Address::ZERO)).payload,
        ),
        // A passport id beyond BIGINT.
        result("huge", u64::MAX, 1, vec![followers("x", 1)]),
    ];
    for message in &bad {
        let error = apply(&pool, message).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Rejected, "{error}");
    }
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM graph_chain_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((processed, events), (0, 0));
}

/// Chain events and facts of three passports: the facts differ per passport, so a statement
/// that mixed passports up would show.
fn three_passports(first: u64) -> Vec<Message> {
    let mut messages = Vec::new();
    for n in 0..3 {
        let passport = first + n;
        let at = |block| At { block, log: 0, fork: passport };
        messages.push(applied(&at(1), created(passport, Address::repeat_byte(0x0a))));
        messages.push(applied(&at(2), minted(passport, 40 + n, 0)));
        messages.push(applied(&at(3), credited(passport, "defi", 10 * (n + 1))));
        let facts = vec![vip("okx", 3 + n as u32), followers("twitch", 1_000 * (n + 1))];
        messages.push(result(&format!("multi{passport}"), passport, 100, facts));
    }
    messages
}

/// A passport's snapshot with its data points named by fact index only (result ids are unique).
async fn snapshot_by_fact(pool: &sqlx::PgPool, passport: u64) -> Snapshot {
    let mut snapshot = snapshot(pool, passport).await;
    for (_, kind, id) in &mut snapshot.edges {
        if kind == "data_point" {
            *id = id.split_once('#').map(|(_, fact)| fact.to_owned()).unwrap_or_default();
        }
    }
    snapshot
}

#[tokio::test]
async fn one_transaction_over_several_passports_derives_what_single_messages_do() {
    let (_db, pool) = database("graph_multi").await;
    apply_one_by_one(&pool, &three_passports(1)).await;
    let batched = three_passports(11);
    let outcomes = trex_persona_graph::apply_all(&pool, &batched).await.unwrap();
    assert!(outcomes.iter().all(|o| *o == Outcome::Applied));
    for n in 0..3 {
        assert_eq!(
            snapshot_by_fact(&pool, 1 + n).await,
            snapshot_by_fact(&pool, 11 + n).await,
            "passport {n}"
        );
    }
    assert_ne!(snapshot_by_fact(&pool, 11).await, snapshot_by_fact(&pool, 12).await);
    // The whole batch again: every message a duplicate, nothing changes.
    let again = trex_persona_graph::apply_all(&pool, &batched).await.unwrap();
    assert!(again.iter().all(|o| *o == Outcome::Duplicate));
    assert_eq!(snapshot_by_fact(&pool, 12).await, snapshot_by_fact(&pool, 2).await);
}
