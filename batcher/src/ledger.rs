//! The Postgres ledger: channels, frames and L1 transactions, written ahead of every broadcast.

use alloy_primitives::B256;
use sqlx::{PgPool, Row, postgres::PgPoolOptions};
use std::time::Duration;

use crate::BatcherError;

/// A frame of a closed channel that has no confirmed L1 transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerFrame {
    /// Sequence number of the channel in the ledger.
    pub channel_seq: i64,
    /// Frame number within the channel.
    pub number: i32,
    /// The encoded frame.
    pub data: Vec<u8>,
    /// The DA commitment, once the frame was put to DA.
    pub da_commitment: Option<Vec<u8>>,
}

/// An L1 transaction carrying one frame, as recorded before its broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    /// Sender nonce.
    pub nonce: u64,
    /// Channel of the frame.
    pub channel_seq: i64,
    /// Frame number.
    pub frame_number: i32,
    /// Calldata (`0x00 ‖ frame` or `0x01 ‖ commitment`).
    pub calldata: Vec<u8>,
    /// The latest signed version, EIP-2718 encoded.
    pub raw_tx: Vec<u8>,
    /// Hash of the latest signed version.
    pub tx_hash: B256,
    /// Hashes of every signed version (fee bumps included).
    pub hashes: Vec<B256>,
    /// EIP-1559 fee cap of the latest version.
    pub max_fee_per_gas: u128,
    /// EIP-1559 tip of the latest version.
    pub max_priority_fee_per_gas: u128,
    /// Gas limit.
    pub gas_limit: u64,
}

/// A confirmed transaction and the L1 block it was included in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmedTx {
    /// Sender nonce.
    pub nonce: u64,
    /// Hash of the included version.
    pub tx_hash: B256,
    /// L1 block number.
    pub block_number: u64,
    /// L1 block hash.
    pub block_hash: B256,
}

/// The batcher's Postgres ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    pool: PgPool,
}

fn hash(bytes: &[u8]) -> Result<B256, BatcherError> {
    B256::try_from(bytes).map_err(|_| BatcherError::Ledger(sqlx::Error::Decode("hash".into())))
}

impl Ledger {
    /// Connects to `url` and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, BatcherError> {
        let pool = PgPoolOptions::new()
            .max_connections(4)
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

    /// The next L2 block to batch and the hash it must build on (`None` = not known).
    pub async fn cursor(&self) -> Result<Option<(u64, Option<B256>)>, BatcherError> {
        let row = sqlx::query("SELECT next_block, parent_hash FROM cursor WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let parent: Option<Vec<u8>> = row.get(1);
            Ok((row.get::<i64, _>(0) as u64, parent.as_deref().map(hash).transpose()?))
        })
        .transpose()
    }

    /// Moves the cursor (after an L2 reorg or at the first start).
    pub async fn set_cursor(&self, next: u64, parent: Option<B256>) -> Result<(), BatcherError> {
        set_cursor(&mut *self.pool.acquire().await?, next, parent).await
    }

    /// Records a closed channel of blocks `first..=last` with its frames, and moves the cursor
    /// past it, atomically. Returns the channel's sequence number.
    pub async fn close_channel(
        &self,
        id: &[u8],
        first: u64,
        last: u64,
        last_hash: B256,
        frames: &[Vec<u8>],
    ) -> Result<i64, BatcherError> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO channels (id, first_block, last_block, status) \
             VALUES ($1, $2, $3, 'posting') RETURNING seq",
        )
        .bind(id)
        .bind(first as i64)
        .bind(last as i64)
        .fetch_one(&mut *tx)
        .await?;
        for (number, data) in frames.iter().enumerate() {
            sqlx::query(
                "INSERT INTO frames (channel_seq, number, data, status) VALUES ($1, $2, $3, 'pending')",
            )
            .bind(seq)
            .bind(number as i32)
            .bind(data)
            .execute(&mut *tx)
            .await?;
        }
        set_cursor(&mut tx, last + 1, Some(last_hash)).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The oldest frame without an L1 transaction.
    pub async fn next_pending_frame(&self) -> Result<Option<LedgerFrame>, BatcherError> {
        let row = sqlx::query(
            "SELECT channel_seq, number, data, da_commitment FROM frames \
             WHERE status = 'pending' ORDER BY channel_seq, number LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| LedgerFrame {
            channel_seq: row.get(0),
            number: row.get(1),
            data: row.get(2),
            da_commitment: row.get(3),
        }))
    }

    /// Stores the DA commitment of a frame.
    pub async fn set_commitment(
        &self,
        channel_seq: i64,
        number: i32,
        commitment: &[u8],
    ) -> Result<(), BatcherError> {
        sqlx::query("UPDATE frames SET da_commitment = $3 WHERE channel_seq = $1 AND number = $2")
            .bind(channel_seq)
            .bind(number)
            .bind(commitment)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The highest nonce ever recorded.
    pub async fn max_nonce(&self) -> Result<Option<u64>, BatcherError> {
        let nonce: Option<i64> =
            sqlx::query_scalar("SELECT max(nonce) FROM l1_txs").fetch_one(&self.pool).await?;
        Ok(nonce.map(|n| n as u64))
    }

    /// Records a signed transaction for a frame and marks the frame sent, atomically.
    /// Fails (and records nothing) if the frame is no longer pending.
    pub async fn record_tx(&self, record: &TxRecord) -> Result<(), BatcherError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE frames SET status = 'sent', nonce = $3 \
             WHERE channel_seq = $1 AND number = $2 AND status = 'pending'",
        )
        .bind(record.channel_seq)
        .bind(record.frame_number)
        .bind(record.nonce as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(BatcherError::Ledger(sqlx::Error::RowNotFound));
        }
        sqlx::query(
            "INSERT INTO l1_txs (nonce, channel_seq, frame_number, calldata, raw_tx, tx_hash, hashes, \
             max_fee_per_gas, max_priority_fee_per_gas, gas_limit, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sent')",
        )
        .bind(record.nonce as i64)
        .bind(record.channel_seq)
        .bind(record.frame_number)
        .bind(&record.calldata)
        .bind(&record.raw_tx)
        .bind(record.tx_hash.as_slice())
        .bind(record.hashes.iter().map(|h| h.to_vec()).collect::<Vec<_>>())
        .bind(record.max_fee_per_gas as i64)
        .bind(record.max_priority_fee_per_gas as i64)
        .bind(record.gas_limit as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the signed version of the transaction with `record.nonce` (a fee bump), keeping
    /// the old hashes, and restarts its resubmission clock.
    pub async fn replace_tx(&self, record: &TxRecord) -> Result<(), BatcherError> {
        sqlx::query(
            "UPDATE l1_txs SET raw_tx = $2, tx_hash = $3, hashes = array_append(hashes, $3), \
             max_fee_per_gas = $4, max_priority_fee_per_gas = $5, sent_at = now() WHERE nonce = $1",
        )
        .bind(record.nonce as i64)
        .bind(&record.raw_tx)
        .bind(record.tx_hash.as_slice())
        .bind(record.max_fee_per_gas as i64)
        .bind(record.max_priority_fee_per_gas as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Transactions recorded but not confirmed, by nonce, with the seconds since their latest
    /// version was recorded.
    pub async fn unconfirmed_txs(&self) -> Result<Vec<(TxRecord, f64)>, BatcherError> {
        let rows = sqlx::query(
            "SELECT nonce, channel_seq, frame_number, calldata, raw_tx, tx_hash, hashes, \
             max_fee_per_gas, max_priority_fee_per_gas, gas_limit, \
             EXTRACT(EPOCH FROM now() - sent_at)::float8 \
             FROM l1_txs WHERE status = 'sent' ORDER BY nonce",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let hashes: Vec<Vec<u8>> = row.get(6);
                let record = TxRecord {
                    nonce: row.get::<i64, _>(0) as u64,
                    channel_seq: row.get(1),
                    frame_number: row.get(2),
                    calldata: row.get(3),
                    raw_tx: row.get(4),
                    tx_hash: hash(row.get(5))?,
                    hashes: hashes.iter().map(|h| hash(h)).collect::<Result<_, _>>()?,
                    max_fee_per_gas: row.get::<i64, _>(7) as u128,
                    max_priority_fee_per_gas: row.get::<i64, _>(8) as u128,
                    gas_limit: row.get::<i64, _>(9) as u64,
                };
                Ok((record, row.get(10)))
            })
            .collect()
    }

    /// Marks a transaction, its frame and (when it was the last one) its channel confirmed.
    pub async fn confirm_tx(&self, confirmed: ConfirmedTx) -> Result<(), BatcherError> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query_scalar(
            "UPDATE l1_txs SET status = 'confirmed', tx_hash = $2, l1_block_number = $3, \
             l1_block_hash = $4 WHERE nonce = $1 RETURNING channel_seq",
        )
        .bind(confirmed.nonce as i64)
        .bind(confirmed.tx_hash.as_slice())
        .bind(confirmed.block_number as i64)
        .bind(confirmed.block_hash.as_slice())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE frames SET status = 'confirmed' WHERE nonce = $1")
            .bind(confirmed.nonce as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE channels SET status = 'done' WHERE seq = $1 AND NOT EXISTS \
             (SELECT 1 FROM frames WHERE channel_seq = $1 AND status <> 'confirmed')",
        )
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirmed transactions included at or above L1 block `from`.
    pub async fn confirmed_since(&self, from: u64) -> Result<Vec<ConfirmedTx>, BatcherError> {
        let rows = sqlx::query(
            "SELECT nonce, tx_hash, l1_block_number, l1_block_hash FROM l1_txs \
             WHERE status = 'confirmed' AND l1_block_number >= $1 ORDER BY nonce",
        )
        .bind(from as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ConfirmedTx {
                    nonce: row.get::<i64, _>(0) as u64,
                    tx_hash: hash(row.get(1))?,
                    block_number: row.get::<i64, _>(2) as u64,
                    block_hash: hash(row.get(3))?,
                })
            })
            .collect()
    }

    /// Puts a confirmed transaction whose block was reorged out back to sent (its frame and
    /// channel no longer count as posted; the recorded transaction is broadcast again).
    pub async fn unconfirm_tx(&self, nonce: u64) -> Result<(), BatcherError> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query_scalar(
            "UPDATE l1_txs SET status = 'sent', l1_block_number = NULL, l1_block_hash = NULL, \
             sent_at = now() WHERE nonce = $1 RETURNING channel_seq",
        )
        .bind(nonce as i64)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE frames SET status = 'sent' WHERE nonce = $1")
            .bind(nonce as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE channels SET status = 'posting' WHERE seq = $1")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn set_cursor(
    conn: &mut sqlx::PgConnection,
    next: u64,
    parent: Option<B256>,
) -> Result<(), BatcherError> {
    sqlx::query(
        "INSERT INTO cursor (id, next_block, parent_hash) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET next_block = $1, parent_hash = $2",
    )
    .bind(next as i64)
    .bind(parent.map(|h| h.to_vec()))
    .execute(conn)
    .await?;
    Ok(())
}
