//! The outbox relay: publishes `ingest_outbox` to the pipeline's bus in `seq` order.

use std::{future::Future, sync::Arc, time::Duration};

use sqlx::{PgPool, postgres::PgListener, types::Json};
use trex_persona_pipeline::{Bus, Message};

use super::{ErrorKind, IngestError, outbox::OUTBOX_CHANNEL};

/// How an [`OutboxRelay`] runs.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The relay's name, the key of its cursor in `outbox_relay_cursor`. One running relay per
    /// name.
    pub name: String,
    /// The most rows one publish carries.
    pub batch_size: u32,
    /// Pause between polls when there is nothing new and no notification came, and after a
    /// temporary error.
    pub poll_interval: Duration,
}

impl RelayConfig {
    /// Defaults for a relay named `name`: batches of 500 rows, 1 s polls.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), batch_size: 500, poll_interval: Duration::from_secs(1) }
    }
}

/// Publishes the outbox to a [`Bus`]: rows in `seq` order, in batches; the relay's cursor
/// (`outbox_relay_cursor`) moves past a batch only once the bus acknowledged it. A crash
/// between the two republishes the batch (same message ids; the bus and the consumers
/// deduplicate) and never skips a row: outbox writers commit in `seq` order.
#[derive(Clone)]
pub struct OutboxRelay {
    pool: PgPool,
    bus: Arc<dyn Bus>,
    config: RelayConfig,
}

impl std::fmt::Debug for OutboxRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRelay").field("config", &self.config).finish_non_exhaustive()
    }
}

impl OutboxRelay {
    /// A relay from the outbox of `pool` (migrated with [`migrate`](crate::migrate)) to `bus`.
    pub fn new(pool: PgPool, bus: Arc<dyn Bus>, config: RelayConfig) -> Self {
        Self { pool, bus, config }
    }

    /// The `seq` of the last row the bus acknowledged (0 before the first).
    pub async fn cursor(&self) -> Result<i64, IngestError> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM outbox_relay_cursor WHERE name = $1")
                .bind(&self.config.name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(seq.unwrap_or(0))
    }

    fn batch_size(&self) -> usize {
        self.config.batch_size.max(1) as usize
    }

    /// Publishes the next batch of rows after the cursor and advances the cursor past it.
    /// Returns how many rows were published (0: the outbox is drained).
    pub async fn step(&self) -> Result<usize, IngestError> {
        let after = self.cursor().await?;
        let rows: Vec<(i64, String, String, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT seq, message_id, topic, payload FROM ingest_outbox \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(self.batch_size() as i64)
        .fetch_all(&self.pool)
        .await?;
        let Some(&(last, ..)) = rows.last() else { return Ok(0) };
        let messages: Vec<Message> = rows
            .into_iter()
            .map(|(_, id, topic, payload)| Message::new(id, topic, payload.0))
            .collect();
        self.bus.publish(&messages).await?;
        // GREATEST: a relay that lagged behind another of the same name never moves it back.
        sqlx::query(
            "INSERT INTO outbox_relay_cursor (name, seq) VALUES ($1, $2) ON CONFLICT (name) \
             DO UPDATE SET seq = GREATEST(outbox_relay_cursor.seq, EXCLUDED.seq), \
             updated_at = now()",
        )
        .bind(&self.config.name)
        .bind(last)
        .execute(&self.pool)
        .await?;
        tracing::debug!(relay = %self.config.name, count = messages.len(), seq = last, "relayed");
        Ok(messages.len())
    }

    /// Relays until `shutdown` completes: drains the outbox, then waits for a notification on
    /// the `ingest_outbox` channel (sent by every writing transaction) or the poll interval.
    /// Temporary errors (database, bus) are logged and retried after the poll interval; others
    /// are returned.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), IngestError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut listener = self.listen().await;
        let poll = self.config.poll_interval;
        loop {
            let failed = match self.step().await {
                Ok(n) if n >= self.batch_size() => continue,
                Ok(_) => false,
                Err(e) if e.kind() == ErrorKind::Temporary => {
                    tracing::warn!(error = %e, relay = %self.config.name, "relay step failed");
                    true
                }
                Err(e) => return Err(e),
            };
            let wake = async {
                match listener.as_mut() {
                    Some(listener) if !failed => {
                        // A lost connection is re-established by a later `recv`; meanwhile
                        // the relay polls.
                        if let Ok(Err(e)) = tokio::time::timeout(poll, listener.recv()).await {
                            tracing::warn!(error = %e, "outbox notifications interrupted");
                            tokio::time::sleep(poll).await;
                        }
                    }
                    _ => tokio::time::sleep(poll).await,
                }
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = wake => {}
            }
        }
    }

    /// A listener on the outbox channel; `None` (the relay polls) if it cannot be set up.
    async fn listen(&self) -> Option<PgListener> {
        let listener = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(OUTBOX_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        listener
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "cannot LISTEN for outbox rows; polling"))
            .ok()
    }
}
