//! Web sessions of the BI pages and the nonces of DID logins, both in Postgres so a restart
//! keeps them.
//!
//! The cookie carries a random 256-bit token; the table holds only its keccak256. Each session
//! has its own CSRF token, sent back in every form and compared with [`Session::csrf_ok`].

use alloy_primitives::{B256, hex, keccak256};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::error::BiError;

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A project, after it entered one of its API keys.
    Project(String),
    /// A passport, after a DID login by its owner or a linked wallet.
    Passport(i64),
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who it belongs to.
    pub principal: Principal,
    /// The token every state-changing form must carry.
    pub csrf_token: String,
}

impl Session {
    /// Whether `submitted` is this session's CSRF token. Compares hashes so the time taken does
    /// not reveal how long a prefix matched.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        keccak256(submitted.as_bytes()) == keccak256(self.csrf_token.as_bytes())
    }
}

fn random_token() -> String {
    hex::encode(B256::random())
}

fn token_hash(token: &str) -> Vec<u8> {
    keccak256(token.as_bytes()).to_vec()
}

/// Starts a session for `principal` lasting `ttl`; returns the cookie value and the session.
pub async fn create_session(
    pool: &PgPool,
    principal: Principal,
    ttl: Duration,
) -> Result<(String, Session), BiError> {
    let token = random_token();
    let csrf_token = random_token();
    let (project, passport) = match &principal {
        Principal::Project(p) => (Some(p.as_str()), None),
        Principal::Passport(id) => (None, Some(*id)),
    };
    sqlx::query(
        "INSERT INTO bi_sessions (token_hash, project, passport_id, csrf_token, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(project)
    .bind(passport)
    .bind(&csrf_token)
    .bind(OffsetDateTime::now_utc() + ttl)
    .execute(pool)
    .await?;
    Ok((token, Session { principal, csrf_token }))
}

/// The unexpired session of a cookie value, if any.
pub async fn find_session(pool: &PgPool, token: &str) -> Result<Option<Session>, BiError> {
    let row: Option<(Option<String>, Option<i64>, String)> = sqlx::query_as(
        "SELECT project, passport_id, csrf_token FROM bi_sessions \
         WHERE token_hash = $1 AND expires_at > now()",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|(project, passport, csrf_token)| {
        let principal = match (project, passport) {
            (Some(p), None) => Principal::Project(p),
            (None, Some(id)) => Principal::Passport(id),
            // Excluded by the table's CHECK.
            _ => return None,
        };
        Some(Session { principal, csrf_token })
    }))
}

/// Ends the session of a cookie value (logout); unknown tokens are ignored.
pub async fn end_session(pool: &PgPool, token: &str) -> Result<(), BiError> {
    sqlx::query("DELETE FROM bi_sessions WHERE token_hash = $1 OR expires_at <= now()")
        .bind(token_hash(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a DID-login nonce valid for `ttl`.
pub async fn store_nonce(pool: &PgPool, nonce: &str, ttl: Duration) -> Result<(), BiError> {
    sqlx::query("DELETE FROM bi_login_nonces WHERE expires_at <= now()").execute(pool).await?;
    sqlx::query("INSERT INTO bi_login_nonces (nonce, expires_at) VALUES ($1, $2)")
        .bind(nonce)
        .bind(OffsetDateTime::now_utc() + ttl)
        .execute(pool)
        .await?;
    Ok(())
}

/// Takes a nonce: true exactly once per stored, unexpired nonce, so a signed login message
/// cannot be replayed.
pub async fn consume_nonce(pool: &PgPool, nonce: &str) -> Result<bool, BiError> {
    Ok(sqlx::query("DELETE FROM bi_login_nonces WHERE nonce = $1 AND expires_at > now()")
        .bind(nonce)
        .execute(pool)
        .await?
        .rows_affected()
        == 1)
}
