//! The embedded backend: the bus in the engine's own Postgres.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgPool, postgres::PgListener};
use tokio::time::Instant;

use crate::{
    Bus, Delivery, Message, PipelineError, Subscription,
    bus::{Receipt, validate_subscription},
};

/// The channel publishers NOTIFY (in the publishing transaction, so waiters wake on commit).
const CHANNEL: &str = "trex_pipeline";

/// Advisory lock key serialising group registration against publishing: a publish holds it
/// shared, registering a new (group, topic) exclusively, so every message is either copied to
/// the new group by the registration or fanned out to it by the publish, never neither.
const REGISTRATION_LOCK: i64 = 0x7472_6578_7069_7065;

/// Rows deleted per statement by [`PgBus::prune`], to keep its transactions short.
const PRUNE_BATCH: i64 = 10_000;

/// Settings of the embedded bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBusConfig {
    /// How long a claimed delivery stays invisible to the group before it is redelivered.
    pub ack_wait: Duration,
    /// How often a waiting member looks for expired leases (which nobody NOTIFYs) and recovers
    /// from notifications lost while its listening connection was down.
    pub poll_interval: Duration,
}

impl Default for PgBusConfig {
    fn default() -> Self {
        Self { ack_wait: Duration::from_secs(30), poll_interval: Duration::from_secs(1) }
    }
}

/// The embedded [`Bus`] on Postgres.
///
/// - Publishing inserts into `pipeline_messages` (unique `(topic, id)`: a duplicate is
///   dropped while the first copy is retained) and one `pipeline_deliveries` row per group of
///   the topic, and NOTIFYs waiting members, all in one transaction.
/// - A member claims its group's due rows in `seq` order with `FOR UPDATE SKIP LOCKED`
///   (members never receive the same claim) and leases them for `ack_wait`; the ack deletes
///   the row; an expired lease makes it due again.
/// - A new (group, topic) pair starts with every retained message of the topic.
/// - Order: one member of a group receives a topic's messages in `seq` order, except that a
///   redelivery comes after the messages claimed before it expired. `seq` is taken at insert,
///   so the order of publishers racing each other is the order of their inserts; the outbox
///   relay publishes sequentially.
/// - Retention: [`PgBus::prune`] deletes messages every group acknowledged once they are
///   older than the retention, which is also the dedupe window.
#[derive(Debug, Clone)]
pub struct PgBus {
    pool: PgPool,
    config: PgBusConfig,
}

impl PgBus {
    /// Migrates the pipeline tables and opens the bus on `pool`.
    pub async fn open(pool: PgPool, config: PgBusConfig) -> Result<Self, PipelineError> {
        crate::migrate(&pool).await?;
        Ok(Self { pool, config })
    }

    /// Deletes the messages older than `retention` that every group has acknowledged; returns
    /// how many. A message pruned is forgotten by deduplication too, and a group created later
    /// does not get it.
    pub async fn prune(&self, retention: Duration) -> Result<u64, PipelineError> {
        let mut total = 0;
        loop {
            let deleted = sqlx::query(
                "DELETE FROM pipeline_messages WHERE seq IN ( \
                     SELECT m.seq FROM pipeline_messages m \
                     WHERE m.published_at < now() - make_interval(secs => $1) \
                       AND NOT EXISTS (SELECT 1 FROM pipeline_deliveries d WHERE d.seq = m.seq) \
                     LIMIT $2)",
            )
            .bind(retention.as_secs_f64())
            .bind(PRUNE_BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            total += deleted;
            if deleted < PRUNE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Adds the (group, topic) pairs not registered yet, each with the topic's retained
    /// messages.
    async fn register(&self, group: &str, topics: &[&str]) -> Result<(), PipelineError> {
        let registered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pipeline_groups WHERE group_name = $1 AND topic = ANY($2)",
        )
        .bind(group)
        .bind(topics)
        .fetch_one(&self.pool)
        .await?;
        if usize::try_from(registered).is_ok_and(|n| n == topics.len()) {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(REGISTRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        // Under the exclusive lock no publish is in flight, and each statement sees every
        // committed message.
        let new_topics: Vec<String> = sqlx::query_scalar(
            "INSERT INTO pipeline_groups (group_name, topic) SELECT $1, unnest($2::text[]) \
             ON CONFLICT DO NOTHING RETURNING topic",
        )
        .bind(group)
        .bind(topics)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO pipeline_deliveries (group_name, seq) \
             SELECT $1, seq FROM pipeline_messages WHERE topic = ANY($2) ORDER BY seq \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(&new_topics)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Bus for PgBus {
    async fn publish(&self, messages: &[Message]) -> Result<(), PipelineError> {
        messages.iter().try_for_each(Message::validate)?;
        if messages.is_empty() {
            return Ok(());
        }
        let topics: Vec<&str> = messages.iter().map(|m| m.topic.as_str()).collect();
        let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
        let payloads: Vec<&serde_json::Value> = messages.iter().map(|m| &m.payload).collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(REGISTRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        let inserted: i64 = sqlx::query_scalar(
            "WITH input AS ( \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[]) \
                     WITH ORDINALITY AS t(topic, id, payload, ord)), \
             inserted AS ( \
                 INSERT INTO pipeline_messages (topic, id, payload) \
                 SELECT topic, id, payload FROM input ORDER BY ord \
                 ON CONFLICT (topic, id) DO NOTHING \
                 RETURNING seq, topic), \
             fanned AS ( \
                 INSERT INTO pipeline_deliveries (group_name, seq) \
                 SELECT g.group_name, i.seq FROM inserted i \
                 JOIN pipeline_groups g ON g.topic = i.topic) \
             SELECT count(*) FROM inserted",
        )
        .bind(&topics)
        .bind(&ids)
        .bind(&payloads)
        .fetch_one(&mut *tx)
        .await?;
        if inserted > 0 {
            sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[&str],
    ) -> Result<Box<dyn Subscription>, PipelineError> {
        validate_subscription(group, topics)?;
        // Listen before the first claim, so a message committed after that claim's snapshot
        // always wakes the member.
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        self.register(group, topics).await?;
        Ok(Box::new(PgSubscription {
            pool: self.pool.clone(),
            config: self.config.clone(),
            group: group.to_owned(),
            listener,
        }))
    }
}

/// A member of a consumer group of the [`PgBus`].
struct PgSubscription {
    pool: PgPool,
    config: PgBusConfig,
    group: String,
    listener: PgListener,
}

impl PgSubscription {
    /// Claims up to `max` due deliveries of the group, in `seq` order.
    async fn claim(&self, max: usize) -> Result<Vec<Delivery>, PipelineError> {
        let rows: Vec<(i64, i32, String, String, sqlx::types::Json<serde_json::Value>)> =
            sqlx::query_as(
                "WITH due AS ( \
                     SELECT seq FROM pipeline_deliveries \
                     WHERE group_name = $1 AND visible_at <= now() \
                     ORDER BY seq LIMIT $2 \
                     FOR UPDATE SKIP LOCKED) \
                 UPDATE pipeline_deliveries d \
                 SET attempts = d.attempts + 1, visible_at = now() + make_interval(secs => $3) \
                 FROM due JOIN pipeline_messages m ON m.seq = due.seq \
                 WHERE d.group_name = $1 AND d.seq = due.seq \
                 RETURNING d.seq, d.attempts, m.id, m.topic, m.payload",
            )
            .bind(&self.group)
            .bind(i64::try_from(max).unwrap_or(i64::MAX))
            .bind(self.config.ack_wait.as_secs_f64())
            .fetch_all(&self.pool)
            .await?;
        let mut deliveries: Vec<Delivery> = rows
            .into_iter()
            .map(|(seq, attempts, id, topic, payload)| Delivery {
                message: Message { id, topic, payload: payload.0 },
                attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                receipt: Receipt::Postgres(seq),
            })
            .collect();
        // UPDATE .. RETURNING does not keep the claim's order.
        deliveries.sort_by_key(|d| match d.receipt {
            Receipt::Postgres(seq) => seq,
            Receipt::Nats(_) => i64::MAX,
        });
        Ok(deliveries)
    }

    fn seq(delivery: &Delivery) -> Result<i64, PipelineError> {
        match delivery.receipt {
            Receipt::Postgres(seq) => Ok(seq),
            Receipt::Nats(_) => Err(PipelineError::ForeignDelivery),
        }
    }
}

#[async_trait]
impl Subscription for PgSubscription {
    async fn next(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, PipelineError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = Instant::now() + wait;
        loop {
            // Notifications already received are covered by the claim below.
            while self.listener.next_buffered().is_some() {}
            let deliveries = self.claim(max).await?;
            let now = Instant::now();
            if !deliveries.is_empty() || now >= deadline {
                return Ok(deliveries);
            }
            let nap = (deadline - now).min(self.config.poll_interval);
            // A timeout is the poll for expired leases; an error of the listening connection
            // is retried by the next recv (it reconnects), the poll covering the gap.
            match tokio::time::timeout(nap, self.listener.recv()).await {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, group = %self.group, "pipeline listener failed");
                    tokio::time::sleep(nap).await;
                }
            }
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), PipelineError> {
        self.ack_all(std::slice::from_ref(delivery)).await
    }

    async fn ack_all(&mut self, deliveries: &[Delivery]) -> Result<(), PipelineError> {
        let seqs = deliveries.iter().map(Self::seq).collect::<Result<Vec<_>, _>>()?;
        sqlx::query("DELETE FROM pipeline_deliveries WHERE group_name = $1 AND seq = ANY($2)")
            .bind(&self.group)
            .bind(&seqs)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
