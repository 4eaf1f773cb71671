//! The off-chain gateway's store: validator results, checked, stored once per id with their
//! outbox message (schema in `migrations/10003_validator_results.sql`).

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::PgPool;
use trex_persona_pipeline::Message;
use trex_sdk::persona::{PersonaFact, ValidatorResult, is_valid_result_id};

use super::{
    IngestError,
    outbox::{self, TOPIC_VALIDATOR_RESULT},
};

/// The most facts one result may carry.
pub const MAX_FACTS: usize = 32;
/// The longest string (in characters) a fact may carry.
pub const MAX_FACT_STRING: usize = 128;
/// How far (seconds) `observedAt` may lie ahead of this machine's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// The highest plausible count of anything a fact counts (followers, games, transactions,
/// NFTs, posts): above it the value is a bug or an attack, not a persona.
pub const MAX_COUNT: u64 = 1_000_000_000_000;
/// The highest plausible exchange VIP level.
pub const MAX_VIP_LEVEL: u32 = 100;

/// What [`ValidatorResultStore::insert`] did with a valid result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The result was new and is stored, with its outbox message.
    Stored,
    /// The same result (same id, same body) was stored before, or a result with this id was
    /// deleted at its passport holder's request ([`ValidatorResultStore::delete_passport`]);
    /// nothing was written.
    Duplicate,
}

/// The `validator_results` table of one database.
#[derive(Debug, Clone)]
pub struct ValidatorResultStore {
    pool: PgPool,
}

impl ValidatorResultStore {
    /// A store over `pool` (migrated with [`migrate`](crate::migrate)).
    pub const fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Checks `result` ([`validate_result`]) and stores it as posted by `client`, with its
    /// `validator.result` outbox message (id `validator.result:<id>`, payload the result) in
    /// the same transaction. A result whose id is stored already is a [`Accepted::Duplicate`]
    /// when its body is the same and [`IngestError::ConflictingResult`] when it differs; in
    /// both cases, and on any error, nothing is written.
    pub async fn insert(
        &self,
        client: &str,
        result: &ValidatorResult,
    ) -> Result<Accepted, IngestError> {
        validate_result(result)?;
        let body = serde_json::to_value(result)?;
        let observed_at = i64::try_from(result.observed_at)
            .map_err(|_| IngestError::Overflow(result.observed_at))?;
        let mut tx = self.pool.begin().await?;
        let deleted: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM deleted_validator_results WHERE id = $1)",
        )
        .bind(&result.id)
        .fetch_one(&mut *tx)
        .await?;
        if deleted {
            return Ok(Accepted::Duplicate);
        }
        // A concurrent insert of the same id waits here for the other transaction and then
        // sees its row, so the comparison below is with what was committed.
        let inserted = sqlx::query(
            "INSERT INTO validator_results \
             (id, passport_id, validator, observed_at, body, client) \
             VALUES ($1, $2::numeric, $3, to_timestamp($4), $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&result.id)
        .bind(result.passport_id.to_string())
        .bind(result.validator.as_slice())
        .bind(observed_at)
        .bind(sqlx::types::Json(&body))
        .bind(client)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let same: bool =
                sqlx::query_scalar("SELECT body = $2 FROM validator_results WHERE id = $1")
                    .bind(&result.id)
                    .bind(sqlx::types::Json(&body))
                    .fetch_one(&mut *tx)
                    .await?;
            return if same {
                Ok(Accepted::Duplicate)
            } else {
                Err(IngestError::ConflictingResult { id: result.id.clone() })
            };
        }
        let message = Message::new(
            format!("{TOPIC_VALIDATOR_RESULT}:{}", result.id),
            TOPIC_VALIDATOR_RESULT,
            body,
        );
        outbox::append(&mut tx, &[message]).await?;
        tx.commit().await?;
        Ok(Accepted::Stored)
    }

    /// Deletes the stored results about `passport_id` and their not yet relayed outbox messages,
    /// keeping only their ids so they are not accepted again; returns how many were deleted.
    pub async fn delete_passport(&self, passport_id: u64) -> Result<u64, IngestError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "DELETE FROM validator_results WHERE passport_id = $1::numeric RETURNING id",
        )
        .bind(passport_id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO deleted_validator_results (id) SELECT unnest($1::text[]) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        let message_ids: Vec<String> =
            ids.iter().map(|id| format!("{TOPIC_VALIDATOR_RESULT}:{id}")).collect();
        sqlx::query("DELETE FROM ingest_outbox WHERE message_id = ANY($1)")
            .bind(&message_ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// The stored result with `id`, if any.
    pub async fn get(&self, id: &str) -> Result<Option<ValidatorResult>, IngestError> {
        let body: Option<sqlx::types::Json<ValidatorResult>> =
            sqlx::query_scalar("SELECT body FROM validator_results WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(body.map(|b| b.0))
    }
}

/// Checks a validator result against the gateway's schema: the id's format
/// ([`is_valid_result_id`]), a non-zero passport and validator, 1..=[`MAX_FACTS`] facts, every
/// string 1..=[`MAX_FACT_STRING`] characters and lower case where the schema says so, counts at
/// most [`MAX_COUNT`], VIP levels at most [`MAX_VIP_LEVEL`], CAIP-2 chain ids, and `observedAt`
/// not more than [`MAX_CLOCK_SKEW_SECS`] ahead of now. The error names the first offending field.
pub fn validate_result(result: &ValidatorResult) -> Result<(), IngestError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    validate_at(result, now)
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> IngestError {
    IngestError::InvalidResult { field: field.into(), reason: reason.into() }
}

fn validate_at(result: &ValidatorResult, now: u64) -> Result<(), IngestError> {
    if !is_valid_result_id(&result.id) {
        return Err(invalid("id", "must be 1..=128 characters of [A-Za-z0-9._:-]"));
    }
    if result.passport_id.is_zero() {
        return Err(invalid("passportId", "must not be 0"));
    }
    if result.validator.is_zero() {
        return Err(invalid("validator", "must not be the zero address"));
    }
    if result.observed_at == 0 {
        return Err(invalid("observedAt", "must be set"));
    }
    if result.observed_at > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(invalid("observedAt", "lies in the future"));
    }
    if !(1..=MAX_FACTS).contains(&result.facts.len()) {
        return Err(invalid("facts", format!("must hold 1..={MAX_FACTS} facts")));
    }
    for (i, fact) in result.facts.iter().enumerate() {
        check_fact(fact)
            .map_err(|(field, reason)| invalid(format!("facts[{i}].{field}"), reason))?;
    }
    Ok(())
}

type FieldError = (&'static str, String);

/// A string of 1..=[`MAX_FACT_STRING`] characters, lower case if `lower`.
fn text(field: &'static str, value: &str, lower: bool) -> Result<(), FieldError> {
    let len = value.chars().count();
    if !(1..=MAX_FACT_STRING).contains(&len) {
        return Err((field, format!("must be 1..={MAX_FACT_STRING} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err((field, "must not contain control characters".into()));
    }
    if lower && value.chars().any(char::is_uppercase) {
        return Err((field, "must be lower case".into()));
    }
    Ok(())
}

fn count(field: &'static str, value: u64) -> Result<(), FieldError> {
    if value > MAX_COUNT {
        return Err((field, format!("must be at most {MAX_COUNT}")));
    }
    Ok(())
}

/// A CAIP-2 chain id: `namespace:reference`, `[-a-z0-9]{3,8}` and `[-_a-zA-Z0-9]{1,32}`.
fn chain(field: &'static str, value: &str) -> Result<(), FieldError> {
    let ok = value.split_once(':').is_some_and(|(namespace, reference)| {
        (3..=8).contains(&namespace.len())
            && namespace.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && (1..=32).contains(&reference.len())
            && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if ok { Ok(()) } else { Err((field, "must be a CAIP-2 chain id (e.g. eip155:1)".into())) }
}

fn check_fact(fact: &PersonaFact) -> Result<(), FieldError> {
    match fact {
        PersonaFact::CexTotalAssets { exchange, .. } => text("exchange", exchange, true),
        PersonaFact::CexVipLevel { exchange, level } => {
            text("exchange", exchange, true)?;
            if *level > MAX_VIP_LEVEL {
                return Err(("level", format!("must be at most {MAX_VIP_LEVEL}")));
            }
            Ok(())
        }
        PersonaFact::Followers { platform, count: n } => {
            text("platform", platform, true)?;
            count("count", *n)
        }
        PersonaFact::YoutubeSubscribers { count: n } | PersonaFact::SteamGames { count: n } => {
            count("count", *n)
        }
        PersonaFact::Subscription { platform, plan } => {
            text("platform", platform, true)?;
            text("plan", plan, true)
        }
        PersonaFact::Student { domain } => text("domain", domain, true),
        PersonaFact::SocialFollow { platform, target } => {
            text("platform", platform, true)?;
            text("target", target, false)
        }
        PersonaFact::ContractActivity { chain: c, category, transactions } => {
            chain("chain", c)?;
            text("category", category, true)?;
            count("transactions", *transactions)
        }
        PersonaFact::NftHoldings { chain: c, count: n } => {
            chain("chain", c)?;
            count("count", *n)
        }
        PersonaFact::SocialPosts { platform, query, matching_posts } => {
            text("platform", platform, true)?;
            text("query", query, true)?;
            count("matchingPosts", *matching_posts)
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};

    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn result(facts: Vec<PersonaFact>) -> ValidatorResult {
        ValidatorResult {
            id: "0xabc:1".into(),
            passport_id: U256::from(7),
            validator: Address::repeat_byte(9),
            observed_at: NOW,
            facts,
        }
    }

    fn field(result: &ValidatorResult) -> String {
        match validate_at(result, NOW) {
            Err(IngestError::InvalidResult { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    fn followers(platform: &str, count: u64) -> PersonaFact {
        PersonaFact::Followers { platform: platform.into(), count }
    }

    #[test]
    fn accepts_every_fact_kind() {
        let facts = vec![
            PersonaFact::CexTotalAssets { exchange: "binance".into(), usd_cents: u128::MAX },
            PersonaFact::CexVipLevel { exchange: "okx".into(), level: 4 },
            followers("twitch", 12_000),
            PersonaFact::YoutubeSubscribers { count: 5 },
            PersonaFact::Subscription { platform: "spotify".into(), plan: "premium".into() },
            PersonaFact::SteamGames { count: 300 },
            PersonaFact::Student { domain: "mit.edu".into() },
            PersonaFact::SocialFollow { platform: "x".into(), target: "TRexChain".into() },
            PersonaFact::ContractActivity {
                chain: "eip155:1".into(),
                category: "defi".into(),
                transactions: 42,
            },
            PersonaFact::NftHoldings { chain: "eip155:31628".into(), count: 3 },
            PersonaFact::SocialPosts {
                platform: "x".into(),
                query: "trex".into(),
                matching_posts: 2,
            },
        ];
        validate_at(&result(facts), NOW).unwrap();
        // Up to the allowed clock skew ahead.
        let mut r = result(vec![followers("x", 1)]);
        r.observed_at = NOW + MAX_CLOCK_SKEW_SECS;
        validate_at(&r, NOW).unwrap();
    }

    #[test]
    fn names_the_offending_field() {
        let mut r = result(vec![followers("x", 1)]);
        r.id = "a b".into();
        assert_eq!(field(&r), "id");

        let mut r = result(vec![followers("x", 1)]);
        r.passport_id = U256::ZERO;
        assert_eq!(field(&r), "passportId");

        let mut r = result(vec![followers("x", 1)]);
        r.validator = Address::ZERO;
        assert_eq!(field(&r), "validator");

        let mut r = result(vec![followers("x", 1)]);
        r.observed_at = NOW + MAX_CLOCK_SKEW_SECS + 1;
        assert_eq!(field(&r), "observedAt");

        assert_eq!(field(&result(vec![])), "facts");
        assert_eq!(field(&result(vec![followers("x", 1); MAX_FACTS + 1])), "facts");

        let cases = [
            (followers("Twitch", 1), "facts[1].platform"),
            (followers("", 1), "facts[1].platform"),
            (followers(&"x".repeat(MAX_FACT_STRING + 1), 1), "facts[1].platform"),
            (followers("x", MAX_COUNT + 1), "facts[1].count"),
            (PersonaFact::CexVipLevel { exchange: "okx".into(), level: 101 }, "facts[1].level"),
            (PersonaFact::Student { domain: "MIT.edu".into() }, "facts[1].domain"),
            (PersonaFact::NftHoldings { chain: "ethereum".into(), count: 1 }, "facts[1].chain"),
            (
                PersonaFact::SocialPosts {
                    platform: "x".into(),
                    query: "a\nb".into(),
                    matching_posts: 1,
                },
                "facts[1].query",
            ),
        ];
        for (fact, expected) in cases {
            let r = result(vec![followers("x", 1), fact]);
            assert_eq!(field(&r), expected);
        }
        // A string is measured in characters, not bytes.
        validate_at(&result(vec![followers(&"é".repeat(MAX_FACT_STRING), 1)]), NOW).unwrap();
    }
}
