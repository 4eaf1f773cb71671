//! Chain events: the graph rows, the features, redelivery and retraction.

use alloy_primitives::{Address, B256, U256, keccak256};
use trex_persona_graph::{Outcome, apply, evm_caip10, solana_caip10};
use trex_persona_ingest::ChainEvent;
use trex_persona_pipeline::Message;

use crate::support::*;

const OWNER: Address = Address::repeat_byte(0x0a);
const WALLET: Address = Address::repeat_byte(0x0b);

fn class_created(class: u64, category: &str, points: u64) -> ChainEvent {
    ChainEvent::ClassCreated {
        class_id: U256::from(class),
        issuer: Address::repeat_byte(0x1c),
        validator_kind: keccak256("evm"),
        params_hash: B256::repeat_byte(0x77),
        points_category: keccak256(category),
        points: U256::from(points),
        supply_cap: 0,
        start_time: 0,
        end_time: 0,
        expiry: 0,
        uri: "ipfs://class".into(),
    }
}

/// Passport 1: created, a wallet, a Solana key, a Twitch account, a DeFi badge (100 points,
/// credited by the badge contract in the mint's transaction) and 25 task points.
fn story() -> Vec<(At, ChainEvent)> {
    vec![
        (at(1, 0), created(1, OWNER)),
        (at(2, 0), linked(1, WALLET)),
        (
            at(2, 1),
            ChainEvent::SolanaLinked {
                passport_id: U256::from(1),
                solana_address: B256::repeat_byte(0x50),
                validator: Address::repeat_byte(0xee),
                attestation_id: B256::repeat_byte(1),
            },
        ),
        (
            at(3, 0),
            ChainEvent::Web2Linked {
                passport_id: U256::from(1),
                platform: keccak256("twitch"),
                handle_hash: keccak256("somebody"),
                validator: Address::repeat_byte(0xee),
                attestation_id: B256::repeat_byte(2),
            },
        ),
        (at(3, 1), class_created(5, "defi", 100)),
        (at(4, 0), credited(1, "defi", 100)),
        (at(4, 1), minted(1, 5, 100)),
        (at(5, 0), credited(1, "general", 25)),
    ]
}

fn applies(events: &[(At, ChainEvent)]) -> Vec<Message> {
    events.iter().map(|(at, event)| applied(at, event.clone())).collect()
}

#[tokio::test]
async fn passport_wallets_class_mint_and_points_make_features_and_edges() {
    let (_db, pool) = database("graph_story").await;
    apply_one_by_one(&pool, &applies(&story())).await;

    let snap = snapshot(&pool, 1).await;
    assert_eq!(
        snap.features,
        Some((0, 0, None, None, None, None, None, None, 125, 1, 1_001)),
        "points over both categories, one badge, created at block 1's time"
    );
    assert_eq!(snap.badges, ["5"]);
    assert_eq!(snap.points, [("defi".to_owned(), 100), ("general".to_owned(), 25)]);
    let owner = evm_caip10(CHAIN, OWNER);
    let wallet = evm_caip10(CHAIN, WALLET);
    let solana = solana_caip10(B256::repeat_byte(0x50));
    assert!(owner.starts_with("eip155:7777:0x0A0A0a0a"), "checksummed: {owner}");
    assert!(solana.starts_with("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:"));
    let mut wallets = vec![
        (owner.clone(), "owner".to_owned(), 1_001),
        (wallet.clone(), "linked".to_owned(), 1_002),
        (solana.clone(), "linked".to_owned(), 1_002),
    ];
    wallets.sort();
    assert_eq!(snap.wallets, wallets);
    let web2 = format!("web2:{}:{}", hex(keccak256("twitch")), hex(keccak256("somebody")));
    let mut edges = vec![
        ("holds".to_owned(), "badge_class".to_owned(), "5".to_owned()),
        ("linked".to_owned(), "wallet".to_owned(), wallet),
        ("linked".to_owned(), "wallet".to_owned(), solana),
        ("linked".to_owned(), "web2_account".to_owned(), web2),
        ("owns".to_owned(), "wallet".to_owned(), owner),
    ];
    edges.sort();
    assert_eq!(snap.edges, edges);

    let (did, platform): (String, Option<String>) = sqlx::query_as(
        "SELECT p.did, w.platform FROM passports p JOIN web2_accounts w USING (passport_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((did.as_str(), platform.as_deref()), ("did:trex:7777:1", Some("twitch")));
    let (points, uri, category): (String, String, String) = sqlx::query_as(
        "SELECT b.points::text, b.uri, c.label FROM badge_classes b \
         JOIN points_categories c ON c.category = b.points_category WHERE b.class_id = 5",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((points.as_str(), uri.as_str(), category.as_str()), ("100", "ipfs://class", "defi"));
    // "Holders of X" and "everything about a passport" go through the edge indexes.
    let holders: Vec<String> = sqlx::query_scalar(
        "SELECT src_id FROM graph_edges WHERE dst_kind = 'badge_class' AND dst_id = '5' AND rel = 'holds'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(holders, ["did:trex:7777:1"]);
}

fn hex(hash: B256) -> String {
    alloy_primitives::hex::encode(hash)
}

#[tokio::test]
async fn a_redelivered_message_changes_nothing() {
    let (_db, pool) = database("graph_dup").await;
    let messages = applies(&story());
    apply_one_by_one(&pool, &messages).await;
    let updated = |pool| async move {
        sqlx::query_scalar::<_, String>("SELECT updated_at::text FROM persona_features")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = (snapshot(&pool, 1).await, updated(pool.clone()).await);
    for message in &messages {
        assert_eq!(apply(&pool, message).await.unwrap(), Outcome::Duplicate);
    }
    assert_eq!((snapshot(&pool, 1).await, updated(pool.clone()).await), before);
    let processed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_messages WHERE consumer = $1")
            .bind(trex_persona_graph::CONSUMER)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(processed, messages.len() as i64);
}

#[tokio::test]
async fn retracting_a_mint_removes_the_badge_and_its_points() {
    let (_db, pool) = database("graph_retract").await;
    let story = story();
    apply_one_by_one(&pool, &applies(&story)).await;
    // A reorg removes block 4: the mint and the points it credited.
    for (at, event) in story.iter().filter(|(at, _)| at.block == 4) {
        apply_one_by_one(&pool, &[retracted(at, event.clone())]).await;
    }
    let snap = snapshot(&pool, 1).await;
    assert_eq!(snap.features, Some((0, 0, None, None, None, None, None, None, 25, 0, 1_001)));
    assert!(snap.badges.is_empty());
    assert_eq!(
        snap.points,
        [("general".to_owned(), 25)],
        "the defi category is gone with its only credit"
    );
    assert!(!snap.edges.iter().any(|(rel, ..)| rel == "holds"));
    let held: i64 =
        sqlx::query_scalar("SELECT count(*) FROM badges_held").fetch_one(&pool).await.unwrap();
    assert_eq!(held, 0);

    // A reorg back to the first fork makes the log canonical again: a new incarnation
    // (`:1`), which counts again; the mint re-included in another fork's block counts too, once.
    let (mint_at, mint) = story.iter().find(|(at, _)| at.block == 4 && at.log == 1).unwrap();
    let mut again = applied(mint_at, mint.clone());
    again.id.push_str(":1");
    apply_one_by_one(&pool, &[again]).await;
    assert_eq!(snapshot(&pool, 1).await.badges, ["5"]);
    let fork = At { fork: 1, ..mint_at.clone() };
    apply_one_by_one(&pool, &[applied(&fork, mint.clone())]).await;
    assert_eq!(snapshot(&pool, 1).await.features.unwrap().9, 1, "one badge of the class");
}

#[tokio::test]
async fn a_retraction_delivered_before_its_apply_wins() {
    let (_db, pool) = database("graph_early_retract").await;
    let (created_at, created_event) = (at(1, 0), created(1, OWNER));
    let mint_at = at(2, 0);
    apply_one_by_one(
        &pool,
        &[
            applied(&created_at, created_event),
            retracted(&mint_at, minted(1, 5, 0)),
            applied(&mint_at, minted(1, 5, 0)),
        ],
    )
    .await;
    assert!(snapshot(&pool, 1).await.badges.is_empty());
}

#[tokio::test]
async fn retracting_an_unlink_brings_the_wallet_back_and_a_passport_retraction_drops_its_row() {
    let (_db, pool) = database("graph_unlink").await;
    let unlink = (at(6, 0), unlinked(1, WALLET));
    let mut messages = applies(&story());
    messages.push(applied(&unlink.0, unlink.1.clone()));
    apply_one_by_one(&pool, &messages).await;
    let wallet = evm_caip10(CHAIN, WALLET);
    let has_wallet = |snap: &Snapshot| snap.wallets.iter().any(|(id, ..)| *id == wallet);
    assert!(!has_wallet(&snapshot(&pool, 1).await));
    apply_one_by_one(&pool, &[retracted(&unlink.0, unlink.1)]).await;
    assert!(has_wallet(&snapshot(&pool, 1).await));

    // Without its PassportCreated the passport has no feature row, badge set or edges; the
    // rest of its graph is kept for when it comes back.
    let (created_at, created_event) = story().into_iter().next().unwrap();
    apply_one_by_one(&pool, &[retracted(&created_at, created_event)]).await;
    let snap = snapshot(&pool, 1).await;
    assert_eq!(
        (snap.features, snap.badges.len(), snap.points.len(), snap.edges.len()),
        (None, 0, 0, 0)
    );
    let passports: i64 =
        sqlx::query_scalar("SELECT count(*) FROM passports").fetch_one(&pool).await.unwrap();
    assert_eq!(passports, 0);
}

#[tokio::test]
async fn categories_are_labelled_once_registered_and_contracts_recorded() {
    let (_db, pool) = database("graph_labels").await;
    apply_one_by_one(
        &pool,
        &[applied(&at(1, 0), created(1, OWNER)), applied(&at(2, 0), credited(1, "quests", 9))],
    )
    .await;
    let hex_label = format!("0x{}", hex(keccak256("quests")));
    assert_eq!(snapshot(&pool, 1).await.points, [(hex_label, 9)]);
    trex_persona_graph::register_category(&pool, "quests").await.unwrap();
    assert_eq!(snapshot(&pool, 1).await.points, [("quests".to_owned(), 9)]);
    assert!(trex_persona_graph::register_category(&pool, "Bad Label").await.is_err());

    let uniswap = "eip155:1:0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af";
    trex_persona_graph::register_contract(&pool, uniswap, "defi", Some("Uniswap")).await.unwrap();
    assert!(trex_persona_graph::register_contract(&pool, "0xabc", "defi", None).await.is_err());
    let category: String = sqlx::query_scalar("SELECT category FROM contracts WHERE caip10 = $1")
        .bind(uniswap)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(category, "defi");
}
