//! API keys of the projects calling the match API. A key is shown once when created; the table
//! `api_keys` holds only its SHA-256, so a database leak does not leak usable keys.

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::PersonaError;

/// Every key starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "trex_pk_";
/// The longest project name.
pub const MAX_PROJECT_LEN: usize = 128;

/// The project a valid key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's row id (the rate limiter's bucket).
    pub id: i64,
    /// The project it was created for.
    pub project: String,
}

/// The `api_keys` table.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    pool: PgPool,
}

fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

impl ApiKeys {
    /// The keys in `pool` (migrated by [`crate::migrate`]).
    pub const fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Creates a key for `project` and returns it; only its hash is stored.
    pub async fn create(&self, project: &str) -> Result<String, PersonaError> {
        let project = project.trim();
        if project.is_empty() || project.len() > MAX_PROJECT_LEN {
            return Err(PersonaError::InvalidRequest(format!(
                "project name must be 1..={MAX_PROJECT_LEN} bytes"
            )));
        }
        let key = format!("{KEY_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        sqlx::query("INSERT INTO api_keys (project, key_hash) VALUES ($1, $2)")
            .bind(project)
            .bind(key_hash(&key))
            .execute(&self.pool)
            .await?;
        Ok(key)
    }

    /// Revokes `key`; an unknown or already revoked key is [`PersonaError::NotFound`].
    pub async fn revoke(&self, key: &str) -> Result<(), PersonaError> {
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash(key.trim()))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if revoked == 0 {
            return Err(PersonaError::NotFound("no active API key matches".into()));
        }
        Ok(())
    }

    /// Revokes every active key of `project`; returns how many.
    pub async fn revoke_project(&self, project: &str) -> Result<u64, PersonaError> {
        Ok(sqlx::query(
            "UPDATE api_keys SET revoked_at = now() WHERE project = $1 AND revoked_at IS NULL",
        )
        .bind(project.trim())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// The project of an active `key`; [`PersonaError::Unauthorized`] for an unknown or revoked
    /// one.
    pub async fn authenticate(&self, key: &str) -> Result<ApiKey, PersonaError> {
        let row: Option<(i64, String, bool)> = sqlx::query_as(
            "SELECT id, project, revoked_at IS NOT NULL FROM api_keys WHERE key_hash = $1",
        )
        .bind(key_hash(key))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((id, project, false)) => Ok(ApiKey { id, project }),
            Some((_, _, true)) => Err(PersonaError::Unauthorized("the API key is revoked".into())),
            None => Err(PersonaError::Unauthorized("unknown API key".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            hex::encode(key_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
