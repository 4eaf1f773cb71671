//! The service's Postgres store: registered conditions, issued attestations and the evidence
//! they used up.
//!
//! Issuing is one transaction: the attestation row and every consumption are inserted together,
//! and the primary keys of `used_proofs` and `redeemed_event_codes` make the second of two
//! concurrent requests with one proof fail as a whole.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256};
use sqlx::{PgPool, Postgres, Row, Transaction, postgres::PgPoolOptions};

use trex_sdk::persona::ValidatorResult;

use crate::{
    conditions::{ClassConditions, ValidatorKind},
    error::ValidatorError,
    evaluate::{Consumption, UsedEvidence},
    persona::DeliveryOutcome,
};

/// A conditions document registered for a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredConditions {
    /// The class.
    pub class_id: U256,
    /// `keccak256` of the document's canonical JSON (the class's on-chain `paramsHash`).
    pub params_hash: B256,
    /// The document as the issuer wrote it (what `paramsHash` hashes).
    pub document: serde_json::Value,
    /// The document, parsed.
    pub conditions: ClassConditions,
}

/// What an attestation attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationKind {
    /// A badge mint of `class_id` to `recipient`.
    Mint {
        /// The badge class.
        class_id: U256,
        /// The passport's owner.
        recipient: Address,
    },
    /// A Solana address linked to the passport.
    LinkSolana {
        /// The 32-byte ed25519 public key.
        solana_address: B256,
    },
    /// A Web2 account linked to the passport.
    LinkWeb2 {
        /// `keccak256` of the lower-case platform name.
        platform: B256,
        /// `keccak256` of the handle.
        handle_hash: B256,
    },
}

impl AttestationKind {
    /// The `type` column, also the metrics label.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Mint { .. } => "mint",
            Self::LinkSolana { .. } => "link_solana",
            Self::LinkWeb2 { .. } => "link_web2",
        }
    }
}

/// A signed attestation as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAttestation {
    /// The attestation id (random; single use on chain).
    pub id: B256,
    /// The passport.
    pub passport_id: U256,
    /// What it attests.
    pub kind: AttestationKind,
    /// Unix second after which the contracts refuse it.
    pub deadline: u64,
    /// The 65-byte EIP-712 signature.
    pub signature: Bytes,
}

/// The Postgres store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
}

fn word(column: &str, bytes: &[u8]) -> Result<B256, ValidatorError> {
    B256::try_from(bytes).map_err(|_| {
        ValidatorError::Database(sqlx::Error::Decode(format!("{column}: not 32 bytes").into()))
    })
}

fn uint(column: &str, text: &str) -> Result<U256, ValidatorError> {
    text.parse().map_err(|_| {
        ValidatorError::Database(sqlx::Error::Decode(format!("{column}: {text}").into()))
    })
}

fn decode_error(column: &str, err: impl std::fmt::Display) -> ValidatorError {
    ValidatorError::Database(sqlx::Error::Decode(format!("{column}: {err}").into()))
}

impl Store {
    /// Connects to `url` and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, ValidatorError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool (for inspection).
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), ValidatorError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Registers (or replaces) the document of `class_id`. Replacing only happens when the chain
    /// says the class's hash is now another one (a redeployed devnet), since the caller checks
    /// the document against the chain first.
    pub async fn register(
        &self,
        class_id: U256,
        params_hash: B256,
        kind: ValidatorKind,
        document: &serde_json::Value,
    ) -> Result<(), ValidatorError> {
        sqlx::query(
            "INSERT INTO class_conditions (class_id, params_hash, kind, document) \
             VALUES ($1::numeric, $2, $3, $4::jsonb) \
             ON CONFLICT (class_id) DO UPDATE SET params_hash = EXCLUDED.params_hash, \
             kind = EXCLUDED.kind, document = EXCLUDED.document, registered_at = now() \
             WHERE class_conditions.params_hash <> EXCLUDED.params_hash",
        )
        .bind(class_id.to_string())
        .bind(params_hash.as_slice())
        .bind(kind.name())
        .bind(document.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The document registered for `class_id`, if any.
    pub async fn conditions(
        &self,
        class_id: U256,
    ) -> Result<Option<RegisteredConditions>, ValidatorError> {
        let row = sqlx::query(
            "SELECT params_hash, document::text FROM class_conditions WHERE class_id = $1::numeric",
        )
        .bind(class_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let hash: Vec<u8> = row.try_get(0)?;
            let document: String = row.try_get(1)?;
            let document: serde_json::Value =
                serde_json::from_str(&document).map_err(|err| decode_error("document", err))?;
            let conditions = ClassConditions::from_value(&document)
                .map_err(|err| decode_error("document", err))?;
            Ok(RegisteredConditions {
                class_id,
                params_hash: word("params_hash", &hash)?,
                document,
                conditions,
            })
        })
        .transpose()
    }

    /// Records `attestation` and what it uses up, atomically. A proof already used or a code
    /// already redeemed (also by a concurrent request) fails the whole issue with
    /// [`ValidatorError::ProofReplayed`] or [`ValidatorError::EventCodeRedeemed`]; then nothing
    /// is written.
    ///
    /// `forward`, when given, is queued in `persona_outbox` in the same transaction, for
    /// [`crate::persona::Forwarder`] to deliver.
    pub async fn issue(
        &self,
        attestation: &IssuedAttestation,
        consumed: &[Consumption],
        forward: Option<&ValidatorResult>,
    ) -> Result<(), ValidatorError> {
        // One proof may satisfy several checks of a document; it is still used once. A fixed
        // order keeps two transactions over the same keys from deadlocking each other.
        let mut consumed = consumed.to_vec();
        consumed.sort_unstable_by_key(|c| match c {
            Consumption::ZkTlsProof(id) => (0, *id),
            Consumption::EventCode(hash) => (1, *hash),
        });
        consumed.dedup();
        let mut tx = self.pool.begin().await?;
        insert_attestation(&mut tx, attestation).await?;
        for consumption in consumed {
            let (sql, key) = match consumption {
                Consumption::ZkTlsProof(id) => {
                    ("INSERT INTO used_proofs (identifier, attestation_id) VALUES ($1, $2)", id)
                }
                Consumption::EventCode(hash) => (
                    "INSERT INTO redeemed_event_codes (code_hash, attestation_id) VALUES ($1, $2)",
                    hash,
                ),
            };
            let inserted = sqlx::query(sql)
                .bind(key.as_slice())
                .bind(attestation.id.as_slice())
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                    return Err(match consumption {
                        Consumption::ZkTlsProof(id) => ValidatorError::ProofReplayed(id),
                        Consumption::EventCode(hash) => ValidatorError::EventCodeRedeemed(hash),
                    });
                }
                Err(err) => return Err(err.into()),
            }
        }
        if let Some(result) = forward {
            let body = serde_json::to_value(result).map_err(|err| decode_error("body", err))?;
            sqlx::query("INSERT INTO persona_outbox (id, body) VALUES ($1, $2)")
                .bind(&result.id)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` queued persona results due for a delivery attempt, oldest first.
    pub async fn due_persona_results(
        &self,
        limit: i64,
    ) -> Result<Vec<ValidatorResult>, ValidatorError> {
        let bodies: Vec<serde_json::Value> = sqlx::query_scalar(
            "SELECT body FROM persona_outbox \
             WHERE delivered_at IS NULL AND rejected_reason IS NULL AND next_attempt_at <= now() \
             ORDER BY created_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        bodies
            .into_iter()
            .map(|body| serde_json::from_value(body).map_err(|err| decode_error("body", err)))
            .collect()
    }

    /// Records the outcome of a delivery attempt of persona result `id`.
    pub async fn persona_delivery(
        &self,
        id: &str,
        outcome: &DeliveryOutcome,
    ) -> Result<(), ValidatorError> {
        let query = match outcome {
            DeliveryOutcome::Delivered => {
                sqlx::query("UPDATE persona_outbox SET delivered_at = now() WHERE id = $1").bind(id)
            }
            DeliveryOutcome::Rejected(reason) => sqlx::query(
                "UPDATE persona_outbox SET rejected_reason = $2, attempts = attempts + 1 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(reason),
            // Exponential backoff from 1 s, capped at 5 minutes.
            DeliveryOutcome::Retry => sqlx::query(
                "UPDATE persona_outbox SET attempts = attempts + 1, \
                 next_attempt_at = now() + make_interval(secs => least(300, power(2, attempts))) \
                 WHERE id = $1",
            )
            .bind(id),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// The attestation with this id, if this service issued it.
    pub async fn attestation(&self, id: B256) -> Result<Option<IssuedAttestation>, ValidatorError> {
        let row = sqlx::query(
            "SELECT type, class_id::text, passport_id::text, subject, platform, deadline, signature \
             FROM attestations WHERE id = $1",
        )
        .bind(id.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let kind: String = row.try_get(0)?;
        let class_id: Option<String> = row.try_get(1)?;
        let passport_id: String = row.try_get(2)?;
        let subject: Vec<u8> = row.try_get(3)?;
        let platform: Option<Vec<u8>> = row.try_get(4)?;
        let deadline: i64 = row.try_get(5)?;
        let signature: Vec<u8> = row.try_get(6)?;
        let kind = match (kind.as_str(), class_id, platform) {
            ("mint", Some(class_id), None) => AttestationKind::Mint {
                class_id: uint("class_id", &class_id)?,
                recipient: Address::try_from(subject.as_slice())
                    .map_err(|err| decode_error("subject", err))?,
            },
            ("link_solana", None, None) => {
                AttestationKind::LinkSolana { solana_address: word("subject", &subject)? }
            }
            ("link_web2", None, Some(platform)) => AttestationKind::LinkWeb2 {
                platform: word("platform", &platform)?,
                handle_hash: word("subject", &subject)?,
            },
            (other, ..) => return Err(decode_error("type", other)),
        };
        Ok(Some(IssuedAttestation {
            id,
            passport_id: uint("passport_id", &passport_id)?,
            kind,
            deadline: u64::try_from(deadline).map_err(|err| decode_error("deadline", err))?,
            signature: signature.into(),
        }))
    }
}

async fn insert_attestation(
    tx: &mut Transaction<'_, Postgres>,
    attestation: &IssuedAttestation,
) -> Result<(), ValidatorError> {
    let (class_id, subject, platform): (Option<String>, Vec<u8>, Option<Vec<u8>>) =
        match attestation.kind {
            AttestationKind::Mint { class_id, recipient } => {
                (Some(class_id.to_string()), recipient.to_vec(), None)
            }
            AttestationKind::LinkSolana { solana_address } => (None, solana_address.to_vec(), None),
            AttestationKind::LinkWeb2 { platform, handle_hash } => {
                (None, handle_hash.to_vec(), Some(platform.to_vec()))
            }
        };
    let deadline = i64::try_from(attestation.deadline).map_err(|_| {
        ValidatorError::InvalidRequest(format!("deadline {} too far", attestation.deadline))
    })?;
    sqlx::query(
        "INSERT INTO attestations \
         (id, type, class_id, passport_id, subject, platform, deadline, signature) \
         VALUES ($1, $2, $3::numeric, $4::numeric, $5, $6, $7, $8)",
    )
    .bind(attestation.id.as_slice())
    .bind(attestation.kind.name())
    .bind(class_id)
    .bind(attestation.passport_id.to_string())
    .bind(subject)
    .bind(platform)
    .bind(deadline)
    .bind(attestation.signature.as_ref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl UsedEvidence for Store {
    async fn proof_used(&self, identifier: B256) -> Result<bool, ValidatorError> {
        let used: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM used_proofs WHERE identifier = $1)")
                .bind(identifier.as_slice())
                .fetch_one(&self.pool)
                .await?;
        Ok(used)
    }

    async fn event_code_redeemed(&self, code_hash: B256) -> Result<bool, ValidatorError> {
        let redeemed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM redeemed_event_codes WHERE code_hash = $1)",
        )
        .bind(code_hash.as_slice())
        .fetch_one(&self.pool)
        .await?;
        Ok(redeemed)
    }
}
