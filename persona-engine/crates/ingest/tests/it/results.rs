//! The validator-result store: once per id, duplicates acknowledged, conflicts and invalid
//! results refused with nothing written.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, U256};
use sqlx::PgPool;
use trex_persona_ingest::{Accepted, IngestError, ValidatorResultStore, migrate};
use trex_sdk::persona::{PersonaFact, ValidatorResult};
use trex_test_support::TestDatabase;

pub(crate) fn result(id: &str, followers: u64) -> ValidatorResult {
    ValidatorResult {
        id: id.into(),
        passport_id: U256::from(7),
        validator: Address::repeat_byte(9),
        observed_at: SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
        facts: vec![
            PersonaFact::Followers { platform: "twitch".into(), count: followers },
            PersonaFact::CexVipLevel { exchange: "binance".into(), level: 4 },
        ],
    }
}

pub(crate) async fn database(prefix: &str) -> (TestDatabase, PgPool) {
    let database = TestDatabase::create(prefix).await;
    let pool = PgPool::connect(database.url()).await.unwrap();
    migrate(&pool).await.unwrap();
    (database, pool)
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn stored_once_duplicates_acknowledged_conflicts_refused() {
    let (_db, pool) = database("ingest_results").await;
    let store = ValidatorResultStore::new(pool.clone());
    let first = result("0xabc:1", 12_000);

    assert_eq!(store.insert("validator-a", &first).await.unwrap(), Accepted::Stored);
    assert_eq!(store.get("0xabc:1").await.unwrap(), Some(first.clone()));
    let (client, passport, body): (String, String, sqlx::types::Json<serde_json::Value>) =
        sqlx::query_as("SELECT client, passport_id::text, body FROM validator_results")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((client.as_str(), passport.as_str()), ("validator-a", "7"));
    assert_eq!(body.0, serde_json::to_value(&first).unwrap());
    let (id, topic, payload): (String, String, sqlx::types::Json<ValidatorResult>) =
        sqlx::query_as("SELECT message_id, topic, payload FROM ingest_outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((id.as_str(), topic.as_str()), ("validator.result:0xabc:1", "validator.result"));
    assert_eq!(payload.0, first);

    // The same result again (from any client): acknowledged, nothing written.
    assert_eq!(store.insert("validator-b", &first).await.unwrap(), Accepted::Duplicate);
    // The same id with another body: refused, nothing written.
    let conflicting = result("0xabc:1", 13_000);
    let err = store.insert("validator-a", &conflicting).await.unwrap_err();
    assert!(matches!(&err, IngestError::ConflictingResult { id } if id == "0xabc:1"), "{err}");
    assert_eq!(
        (count(&pool, "validator_results").await, count(&pool, "ingest_outbox").await),
        (1, 1)
    );
    assert_eq!(store.get("0xabc:1").await.unwrap(), Some(first));

    // Racing posts of one new id: exactly one stores it.
    let racing = result("0xabc:2", 1);
    let outcomes = futures::future::join_all((0..8).map(|_| {
        let store = store.clone();
        let racing = racing.clone();
        async move { store.insert("validator-a", &racing).await.unwrap() }
    }))
    .await;
    assert_eq!(outcomes.iter().filter(|o| **o == Accepted::Stored).count(), 1);
    assert_eq!(
        (count(&pool, "validator_results").await, count(&pool, "ingest_outbox").await),
        (2, 2)
    );
}

#[tokio::test]
async fn invalid_results_name_the_field_and_write_nothing() {
    let (_db, pool) = database("ingest_results_invalid").await;
    let store = ValidatorResultStore::new(pool.clone());
    let bad_id = result("not valid", 1);
    let mut future = result("0x1", 1);
    future.observed_at += 3_600;
    let mut upper = result("0x2", 1);
    upper.facts[0] = PersonaFact::Followers { platform: "Twitch".into(), count: 1 };
    let mut empty = result("0x3", 1);
    empty.facts.clear();
    let mut huge = result("0x4", 1);
    huge.facts[1] = PersonaFact::CexVipLevel { exchange: "binance".into(), level: 1_000 };
    for (result, field) in [
        (bad_id, "id"),
        (future, "observedAt"),
        (upper, "facts[0].platform"),
        (empty, "facts"),
        (huge, "facts[1].level"),
    ] {
        match store.insert("validator-a", &result).await {
            Err(IngestError::InvalidResult { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: expected an invalid-result error, got {other:?}"),
        }
    }
    assert_eq!(
        (count(&pool, "validator_results").await, count(&pool, "ingest_outbox").await),
        (0, 0)
    );
}

#[tokio::test]
async fn deleting_a_passports_results_keeps_them_from_coming_back() {
    let (_db, pool) = database("ingest_results_delete").await;
    let store = ValidatorResultStore::new(pool.clone());
    let mine = result("0xabc:1", 12_000);
    let mut other = result("0xabc:2", 50);
    other.passport_id = U256::from(8);
    for r in [&mine, &other] {
        assert_eq!(store.insert("validator-a", r).await.unwrap(), Accepted::Stored);
    }

    assert_eq!(store.delete_passport(7).await.unwrap(), 1);
    assert_eq!(store.get("0xabc:1").await.unwrap(), None);
    assert_eq!(store.get("0xabc:2").await.unwrap(), Some(other));
    let outbox: Vec<String> =
        sqlx::query_scalar("SELECT message_id FROM ingest_outbox").fetch_all(&pool).await.unwrap();
    assert_eq!(outbox, ["validator.result:0xabc:2"]);
    // A validator retrying the deleted result is acknowledged; nothing comes back.
    assert_eq!(store.insert("validator-a", &mine).await.unwrap(), Accepted::Duplicate);
    assert_eq!(count(&pool, "validator_results").await, 1);
    assert_eq!(store.delete_passport(7).await.unwrap(), 0);
}
