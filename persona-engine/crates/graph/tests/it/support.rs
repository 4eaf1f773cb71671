//! Databases, hand-built messages and snapshots of the graph.

use alloy_primitives::{Address, B256, U256, keccak256};
use sqlx::{PgPool, postgres::PgPoolOptions};
use trex_persona_graph::Outcome;
use trex_persona_ingest::{
    ChainEvent, LogPosition, OutboxEvent, TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT,
    TOPIC_VALIDATOR_RESULT,
};
use trex_persona_pipeline::Message;
use trex_sdk::persona::{PersonaFact, ValidatorResult};
use trex_test_support::TestDatabase;

pub(crate) const CHAIN: u64 = 7777;

/// A migrated database of its own.
pub(crate) async fn database(prefix: &str) -> (TestDatabase, PgPool) {
    let db = TestDatabase::create(prefix).await;
    let pool = PgPoolOptions::new().max_connections(4).connect(db.url()).await.unwrap();
    trex_persona_graph::migrate(&pool).await.unwrap();
    (db, pool)
}

/// A chain event at `block`/`log`, with a block hash derived from `fork` and the block (a
/// different fork is a different block at the same height) and block time 1_000 + block.
#[derive(Debug, Clone)]
pub(crate) struct At {
    pub(crate) block: u64,
    pub(crate) log: u64,
    pub(crate) fork: u64,
}

pub(crate) const fn at(block: u64, log: u64) -> At {
    At { block, log, fork: 0 }
}

fn outbox(at: &At, event: ChainEvent) -> OutboxEvent {
    let mut seed = [0u8; 16];
    seed[..8].copy_from_slice(&at.fork.to_be_bytes());
    seed[8..].copy_from_slice(&at.block.to_be_bytes());
    OutboxEvent {
        chain_id: CHAIN,
        position: LogPosition {
            block_number: at.block,
            block_hash: keccak256(seed),
            tx_hash: B256::repeat_byte(1),
            log_index: at.log,
        },
        event,
        block_timestamp: 1_000 + at.block,
    }
}

fn chain_message(topic: &str, at: &At, event: ChainEvent) -> Message {
    let payload = outbox(at, event);
    let id =
        format!("{topic}:{CHAIN}:{}:{}", payload.position.block_hash, payload.position.log_index);
    Message::new(id, topic, serde_json::to_value(payload).unwrap())
}

/// The `chain.apply` message of an event.
pub(crate) fn applied(at: &At, event: ChainEvent) -> Message {
    chain_message(TOPIC_CHAIN_APPLY, at, event)
}

/// The `chain.retract` message of an event.
pub(crate) fn retracted(at: &At, event: ChainEvent) -> Message {
    chain_message(TOPIC_CHAIN_RETRACT, at, event)
}

/// The `validator.result` message of a result.
pub(crate) fn result(
    id: &str,
    passport: u64,
    observed_at: u64,
    facts: Vec<PersonaFact>,
) -> Message {
    let result = ValidatorResult {
        id: id.to_owned(),
        passport_id: U256::from(passport),
        validator: Address::repeat_byte(0xee),
        observed_at,
        facts,
    };
    Message::new(
        format!("validator.result:{id}"),
        TOPIC_VALIDATOR_RESULT,
        serde_json::to_value(result).unwrap(),
    )
}

/// Applies every message, asserting each was new.
pub(crate) async fn apply_one_by_one(pool: &PgPool, messages: &[Message]) {
    for message in messages {
        assert_eq!(
            trex_persona_graph::apply(pool, message).await.unwrap(),
            Outcome::Applied,
            "{message:?}"
        );
    }
}

pub(crate) fn created(passport: u64, owner: Address) -> ChainEvent {
    ChainEvent::PassportCreated { passport_id: U256::from(passport), owner }
}

pub(crate) fn credited(passport: u64, category: &str, amount: u64) -> ChainEvent {
    ChainEvent::PointsCredited {
        passport_id: U256::from(passport),
        category: keccak256(category),
        by: Address::repeat_byte(0xbb),
        amount: U256::from(amount),
        balance: U256::from(amount),
    }
}

pub(crate) fn debited(passport: u64, category: &str, amount: u64) -> ChainEvent {
    ChainEvent::PointsDebited {
        passport_id: U256::from(passport),
        category: keccak256(category),
        by: Address::repeat_byte(0xbb),
        amount: U256::from(amount),
        balance: U256::ZERO,
    }
}

pub(crate) fn minted(passport: u64, class: u64, points: u64) -> ChainEvent {
    ChainEvent::BadgeMinted {
        class_id: U256::from(class),
        passport_id: U256::from(passport),
        recipient: Address::repeat_byte(1),
        validator: Address::repeat_byte(0xee),
        attestation_id: keccak256(class.to_be_bytes()),
        points: U256::from(points),
        expires_at: 0,
    }
}

pub(crate) fn revoked(passport: u64, class: u64, points: u64) -> ChainEvent {
    ChainEvent::BadgeRevoked {
        class_id: U256::from(class),
        passport_id: U256::from(passport),
        holder: Address::repeat_byte(1),
        points: U256::from(points),
    }
}

pub(crate) fn linked(passport: u64, wallet: Address) -> ChainEvent {
    ChainEvent::WalletLinked { passport_id: U256::from(passport), wallet, nonce: U256::ZERO }
}

pub(crate) fn unlinked(passport: u64, wallet: Address) -> ChainEvent {
    ChainEvent::WalletUnlinked { passport_id: U256::from(passport), wallet }
}

/// A passport's feature row without its id and update time: (defi_tx_count, nft_count,
/// cex_vip_level, cex_exchange, twitch, x, youtube, steam, total_points, badge_count,
/// created_at as Unix seconds).
pub(crate) type FeatureRow = (
    i64,
    i64,
    Option<i32>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i32>,
    i64,
    i32,
    i64,
);

pub(crate) async fn features(pool: &PgPool, passport: u64) -> Option<FeatureRow> {
    sqlx::query_as(
        "SELECT defi_tx_count, nft_count, cex_vip_level, cex_exchange, twitch_followers, \
         x_followers, youtube_subscribers, steam_games, total_points, badge_count, \
         extract(epoch FROM passport_created_at)::bigint FROM persona_features WHERE passport_id = $1",
    )
    .bind(passport as i64)
    .fetch_optional(pool)
    .await
    .unwrap()
}

/// Everything derived about a passport, without its id: features, badge set, points by
/// category, wallets and edges (by relation and destination).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) features: Option<FeatureRow>,
    pub(crate) badges: Vec<String>,
    pub(crate) points: Vec<(String, i64)>,
    pub(crate) wallets: Vec<(String, String, i64)>,
    pub(crate) edges: Vec<(String, String, String)>,
}

pub(crate) async fn snapshot(pool: &PgPool, passport: u64) -> Snapshot {
    let id = passport as i64;
    Snapshot {
        features: features(pool, passport).await,
        badges: sqlx::query_scalar(
            "SELECT class_id::text FROM persona_feature_badges WHERE passport_id = $1 ORDER BY 1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap(),
        points: sqlx::query_as(
            "SELECT category, points FROM persona_feature_points WHERE passport_id = $1 ORDER BY 1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap(),
        wallets: sqlx::query_as(
            "SELECT caip10, relation, extract(epoch FROM since)::bigint FROM wallets \
             WHERE passport_id = $1 ORDER BY 1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap(),
        edges: sqlx::query_as(
            "SELECT rel, dst_kind, dst_id FROM graph_edges WHERE passport_id = $1 ORDER BY 1, 2, 3",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}
