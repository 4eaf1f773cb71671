//! Postgres storage of ingested events, the listener's cursor, recent block hashes and
//! backfill chunks (schema in `migrations/10001_ingest.sql`). Every event stored or retracted
//! writes its outbox message in the same transaction.

use alloy_primitives::{Address, B256};
use sqlx::{PgConnection, PgPool, postgres::PgPoolOptions};

use super::{
    ChainEvent, IngestError, IngestedEvent, LogPosition,
    outbox::{self, TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT},
};

/// The last block whose events are all stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

/// An event as stored, with its retraction time if a reorg removed its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event and where it was.
    pub event: IngestedEvent,
    /// Whether a reorg removed its block (`retracted_at` is set).
    pub retracted: bool,
}

/// The ingestion tables of one Postgres database.
#[derive(Debug, Clone)]
pub struct IngestStore {
    pool: PgPool,
}

fn int(n: u64) -> Result<i64, IngestError> {
    i64::try_from(n).map_err(|_| IngestError::Overflow(n))
}

fn uint(n: i64) -> u64 {
    // Every stored number was written from a u64 through `int`, so it is non-negative.
    n.unsigned_abs()
}

fn hash(bytes: &[u8]) -> B256 {
    // Shorter or longer values are never written; a wrong length reads as zero-padded.
    let mut out = B256::ZERO;
    let n = bytes.len().min(32);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

impl IngestStore {
    /// Connects to `url` and applies the crate's migrations.
    pub async fn connect(url: &str) -> Result<Self, IngestError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        Self::new(pool).await
    }

    /// Uses `pool`, applying the crate's migrations.
    pub async fn new(pool: PgPool) -> Result<Self, IngestError> {
        super::migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The listener's cursor for `chain_id`, `None` before the first range.
    pub async fn cursor(&self, chain_id: u64) -> Result<Option<Cursor>, IngestError> {
        let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT block_number, block_hash FROM ingest_cursor WHERE chain_id = $1",
        )
        .bind(int(chain_id)?)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(n, h)| Cursor { number: uint(n), hash: hash(&h) }))
    }

    /// The kept block hashes of `chain_id` at or below `at`, newest first, at most `limit`.
    pub async fn recent_blocks(
        &self,
        chain_id: u64,
        at: u64,
        limit: u64,
    ) -> Result<Vec<Cursor>, IngestError> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT block_number, block_hash FROM ingest_blocks \
             WHERE chain_id = $1 AND block_number <= $2 ORDER BY block_number DESC LIMIT $3",
        )
        .bind(int(chain_id)?)
        .bind(int(at)?)
        .bind(int(limit)?)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(n, h)| Cursor { number: uint(n), hash: hash(&h) }).collect())
    }

    /// Stores a range's `events`, the hashes of `blocks` and the new `cursor` in one
    /// transaction, and prunes kept hashes older than `retain` blocks below the cursor.
    /// Returns how many events became canonical (new, or back after a reorg back).
    pub async fn commit_range(
        &self,
        chain_id: u64,
        cursor: Cursor,
        blocks: &[Cursor],
        events: &[IngestedEvent],
        retain: u64,
    ) -> Result<u64, IngestError> {
        let chain = int(chain_id)?;
        let mut tx = self.pool.begin().await?;
        let inserted = insert_events(&mut tx, chain_id, events).await?;
        for block in blocks.iter().chain(std::iter::once(&cursor)) {
            sqlx::query(
                "INSERT INTO ingest_blocks (chain_id, block_number, block_hash) VALUES ($1, $2, $3) \
                 ON CONFLICT (chain_id, block_number) DO UPDATE SET block_hash = EXCLUDED.block_hash",
            )
            .bind(chain)
            .bind(int(block.number)?)
            .bind(block.hash.as_slice())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO ingest_cursor (chain_id, block_number, block_hash) VALUES ($1, $2, $3) \
             ON CONFLICT (chain_id) DO UPDATE SET block_number = EXCLUDED.block_number, \
             block_hash = EXCLUDED.block_hash, updated_at = now()",
        )
        .bind(chain)
        .bind(int(cursor.number)?)
        .bind(cursor.hash.as_slice())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM ingest_blocks WHERE chain_id = $1 AND block_number < $2")
            .bind(chain)
            .bind(int(cursor.number.saturating_sub(retain))?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Rewinds `chain_id` to `ancestor` (`None`: before the first ingested block) in one
    /// transaction: events above it are marked retracted, kept hashes above it dropped, the
    /// cursor set to it. Returns how many events were retracted.
    pub async fn rewind(
        &self,
        chain_id: u64,
        ancestor: Option<Cursor>,
    ) -> Result<u64, IngestError> {
        let chain = int(chain_id)?;
        // Block numbers are < 2^63 (checked by `int`), so -1 is below every stored block.
        let above = match ancestor {
            Some(a) => int(a.number)?,
            None => -1,
        };
        let mut tx = self.pool.begin().await?;
        let rows: Vec<EventRow> = sqlx::query_as(
            "UPDATE chain_events SET retracted_at = now() \
             WHERE chain_id = $1 AND block_number > $2 AND retracted_at IS NULL \
             RETURNING block_number, block_hash, log_index, tx_hash, contract, payload::text, \
             block_timestamp, incarnation, true AS retracted",
        )
        .bind(chain)
        .bind(above)
        .fetch_all(&mut *tx)
        .await?;
        let mut retractions = Vec::with_capacity(rows.len());
        for row in rows {
            let (event, incarnation) = row.decode()?;
            retractions.push((event, incarnation));
        }
        // Retract in reverse chain order: consumers undo the newest effect first.
        retractions.sort_by_key(|(e, _)| {
            std::cmp::Reverse((e.position.block_number, e.position.log_index))
        });
        let messages = retractions
            .iter()
            .map(|(e, incarnation)| {
                outbox::chain_message(TOPIC_CHAIN_RETRACT, chain_id, e, *incarnation)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let retracted = messages.len() as u64;
        sqlx::query("DELETE FROM ingest_blocks WHERE chain_id = $1 AND block_number > $2")
            .bind(chain)
            .bind(above)
            .execute(&mut *tx)
            .await?;
        match ancestor {
            Some(a) => {
                sqlx::query(
                    "UPDATE ingest_cursor SET block_number = $2, block_hash = $3, updated_at = now() \
                     WHERE chain_id = $1",
                )
                .bind(chain)
                .bind(int(a.number)?)
                .bind(a.hash.as_slice())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM ingest_cursor WHERE chain_id = $1")
                    .bind(chain)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        outbox::append(&mut tx, &messages).await?;
        tx.commit().await?;
        Ok(retracted)
    }

    /// The completed backfill chunks of `chain_id` as `(from, to)`.
    pub async fn completed_chunks(&self, chain_id: u64) -> Result<Vec<(u64, u64)>, IngestError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT from_block, to_block FROM backfill_chunks WHERE chain_id = $1 \
             ORDER BY from_block",
        )
        .bind(int(chain_id)?)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(f, t)| (uint(f), uint(t))).collect())
    }

    /// Stores a backfill chunk's `events` and records the chunk done, in one transaction.
    /// Returns how many events became canonical (new, or back after a reorg back).
    pub async fn commit_chunk(
        &self,
        chain_id: u64,
        from: u64,
        to: u64,
        events: &[IngestedEvent],
    ) -> Result<u64, IngestError> {
        let mut tx = self.pool.begin().await?;
        let inserted = insert_events(&mut tx, chain_id, events).await?;
        sqlx::query(
            "INSERT INTO backfill_chunks (chain_id, from_block, to_block, events) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(int(chain_id)?)
        .bind(int(from)?)
        .bind(int(to)?)
        .bind(int(events.len() as u64)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// All stored events of `chain_id` in chain order, retracted ones too if
    /// `include_retracted`.
    pub async fn events(
        &self,
        chain_id: u64,
        include_retracted: bool,
    ) -> Result<Vec<StoredEvent>, IngestError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT block_number, block_hash, log_index, tx_hash, contract, payload::text, \
             block_timestamp, incarnation, retracted_at IS NOT NULL AS retracted \
             FROM chain_events WHERE chain_id = $1 AND ($2 OR retracted_at IS NULL) \
             ORDER BY block_number, log_index, retracted_at NULLS LAST",
        )
        .bind(int(chain_id)?)
        .bind(include_retracted)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let retracted = row.retracted;
                Ok(StoredEvent { event: row.decode()?.0, retracted })
            })
            .collect()
    }
}

/// A `chain_events` row as read back.
#[derive(sqlx::FromRow)]
struct EventRow {
    block_number: i64,
    block_hash: Vec<u8>,
    log_index: i64,
    tx_hash: Vec<u8>,
    contract: Vec<u8>,
    payload: String,
    block_timestamp: i64,
    incarnation: i32,
    retracted: bool,
}

impl EventRow {
    /// The event and its incarnation.
    fn decode(self) -> Result<(IngestedEvent, i32), IngestError> {
        let event = IngestedEvent {
            contract: Address::from_slice(&self.contract),
            position: LogPosition {
                block_number: uint(self.block_number),
                block_hash: hash(&self.block_hash),
                tx_hash: hash(&self.tx_hash),
                log_index: uint(self.log_index),
            },
            block_timestamp: uint(self.block_timestamp),
            event: serde_json::from_str::<ChainEvent>(&self.payload)?,
        };
        Ok((event, self.incarnation))
    }
}

/// Inserts `events` with a `chain.apply` outbox message for each one that became canonical: a
/// new log, or a retracted one whose block came back after a reorg back (its incarnation goes
/// up). A log already canonical is left as it is. Returns how many became canonical.
async fn insert_events(
    tx: &mut PgConnection,
    chain_id: u64,
    events: &[IngestedEvent],
) -> Result<u64, IngestError> {
    let mut messages = Vec::new();
    for e in events {
        let incarnation: Option<i32> = sqlx::query_scalar(
            "INSERT INTO chain_events (chain_id, block_hash, log_index, block_number, tx_hash, \
             contract, kind, payload, block_timestamp) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (block_hash, log_index) DO UPDATE \
             SET retracted_at = NULL, incarnation = chain_events.incarnation + 1 \
             WHERE chain_events.retracted_at IS NOT NULL \
             RETURNING incarnation",
        )
        .bind(int(chain_id)?)
        .bind(e.position.block_hash.as_slice())
        .bind(int(e.position.log_index)?)
        .bind(int(e.position.block_number)?)
        .bind(e.position.tx_hash.as_slice())
        .bind(e.contract.as_slice())
        .bind(e.event.kind())
        .bind(sqlx::types::Json(&e.event))
        .bind(int(e.block_timestamp)?)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(incarnation) = incarnation {
            messages.push(outbox::chain_message(TOPIC_CHAIN_APPLY, chain_id, e, incarnation)?);
        }
    }
    outbox::append(tx, &messages).await?;
    Ok(messages.len() as u64)
}
