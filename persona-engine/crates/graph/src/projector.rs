//! The pipeline consumer that keeps the graph and the feature rows current.

use std::{future::Future, time::Duration};

use futures::StreamExt as _;
use sqlx::PgPool;
use trex_persona_ingest::{
    OutboxEvent, TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT, TOPIC_VALIDATOR_RESULT,
};
use trex_persona_pipeline::{Bus, Delivery, Message, mark_processed};
use trex_sdk::persona::ValidatorResult;

use crate::{
    ErrorKind, GraphError,
    fold::Subject,
    ids::passport_key,
    store::{self, lock_passport},
};

/// The consumer name under which processed message ids are recorded (`processed_messages`).
pub const CONSUMER: &str = "graph_projector";
/// The topics the projector consumes (defined by `trex_persona_ingest`, whose outbox publishes
/// them).
pub const TOPICS: [&str; 3] = [TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT, TOPIC_VALIDATOR_RESULT];

/// What [`apply`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its effect was written.
    Applied,
    /// It had been processed before (a redelivery): nothing changed.
    Duplicate,
}

/// A decoded message.
enum Input {
    Chain { retract: bool, event: Box<OutboxEvent>, incarnation: String },
    Result(ValidatorResult),
}

impl Input {
    fn decode(message: &Message) -> Result<Self, GraphError> {
        let payload = |source| GraphError::Payload {
            message_id: message.id.clone(),
            topic: message.topic.clone(),
            source,
        };
        let json = || message.payload.clone();
        Ok(match message.topic.as_str() {
            TOPIC_CHAIN_APPLY | TOPIC_CHAIN_RETRACT => Self::Chain {
                retract: message.topic == TOPIC_CHAIN_RETRACT,
                event: serde_json::from_value(json()).map_err(payload)?,
                incarnation: incarnation(message)?.to_owned(),
            },
            TOPIC_VALIDATOR_RESULT => {
                Self::Result(serde_json::from_value(json()).map_err(payload)?)
            }
            _ => {
                return Err(GraphError::UnknownTopic {
                    message_id: message.id.clone(),
                    topic: message.topic.clone(),
                });
            }
        })
    }
}

/// The part of a chain message's id an apply shares with its retraction: the id without its
/// `<topic>:` prefix (`<chainId>:<blockHash>:<logIndex>[:<n>]`, see `trex_persona_ingest`).
fn incarnation(message: &Message) -> Result<&str, GraphError> {
    message
        .id
        .strip_prefix(message.topic.as_str())
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| {
            GraphError::invalid("chain message id (expected <topic>:<incarnation>)", &message.id)
        })
}

/// Applies one message in one transaction with its `processed_messages` record: a redelivery
/// changes nothing ([`Outcome::Duplicate`]), a crash before the commit leaves nothing.
///
/// - `chain.apply` / `chain.retract`: records the event's incarnation (its log plus the id
///   without the topic prefix, which an apply shares with its retraction; a retraction that
///   arrives first makes the later apply of that incarnation a no-op, a re-inclusion after a
///   reorg back is a new incarnation), then re-derives the passport's (or badge class's) rows
///   from its live events in chain order.
/// - `validator.result`: stores the facts (once per result id).
///
/// Then the passport's edges and feature rows are re-derived from the graph. A malformed
/// message is an error of kind [`ErrorKind::Rejected`] and changes nothing.
pub async fn apply(pool: &PgPool, message: &Message) -> Result<Outcome, GraphError> {
    let input = Input::decode(message)?;
    let mut tx = pool.begin().await?;
    match &input {
        Input::Chain { event, .. } => store::lock_event(&mut tx, &event.event).await?,
        Input::Result(result) => lock_passport(&mut tx, passport_key(result.passport_id)?).await?,
    }
    if !mark_processed(&mut tx, CONSUMER, &message.id).await? {
        return Ok(Outcome::Duplicate);
    }
    match input {
        Input::Chain { retract, event, incarnation } => {
            store::record_chain_event(&mut tx, message, &incarnation, retract, &event).await?;
            match crate::fold::subject(&event.event) {
                Subject::Passport(id) => {
                    let passport = passport_key(id)?;
                    store::rebuild_passport(&mut tx, passport).await?;
                    store::refresh(&mut tx, passport).await?;
                }
                Subject::Class(id) => store::rebuild_class(&mut tx, id).await?,
            }
        }
        Input::Result(result) => {
            let passport = store::insert_result(&mut tx, &result, &message.id).await?;
            store::refresh(&mut tx, passport).await?;
        }
    }
    tx.commit().await?;
    Ok(Outcome::Applied)
}

/// Deletes a passport's off-chain data (its validator facts) and re-derives its edges and
/// features; what the chain recorded stays (it is public). Returns how many facts were
/// deleted. A redelivered `validator.result` that was processed before does not bring its facts
/// back (its id is in `processed_messages`).
pub async fn delete_offchain(pool: &PgPool, passport_id: u64) -> Result<u64, GraphError> {
    let passport = store::int("passport id", passport_id)?;
    let mut tx = pool.begin().await?;
    lock_passport(&mut tx, passport).await?;
    let deleted = store::delete_results(&mut tx, passport).await?;
    store::refresh(&mut tx, passport).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Records a message that can never be applied, with the reason, as processed: it is kept in
/// `graph_rejected_messages` and does not block the messages behind it.
async fn reject(pool: &PgPool, message: &Message, error: &GraphError) -> Result<(), GraphError> {
    let mut tx = pool.begin().await?;
    if mark_processed(&mut tx, CONSUMER, &message.id).await? {
        sqlx::query(
            "INSERT INTO graph_rejected_messages (message_id, topic, payload, error) \
             VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&message.id)
        .bind(&message.topic)
        .bind(message.payload.to_string())
        .bind(error.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The long-running consumer: [`apply`] over the deliveries of a consumer group.
#[derive(Debug, Clone)]
pub struct Projector {
    pool: PgPool,
    batch: usize,
    concurrency: usize,
    wait: Duration,
    retry: Duration,
}

impl Projector {
    /// A projector writing to `pool` (migrated with [`migrate`](crate::migrate)); it takes up
    /// to 64 deliveries at a time and applies up to 8 of them at once.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            batch: 64,
            concurrency: 8,
            wait: Duration::from_secs(1),
            retry: Duration::from_secs(1),
        }
    }

    /// Sets how many deliveries of a batch are applied at once (at least 1), each in its own
    /// transaction on its own connection. [`apply`] serialises the messages of one passport or
    /// badge class and re-derives from committed rows, so the order they commit in does not
    /// matter (as with several members of one consumer group); concurrency only overlaps the
    /// commits' waits for the disk.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets how many deliveries are fetched at a time (at least 1).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Applies one delivered message; a rejected one is recorded and counts as handled.
    /// Returns whether it may be acknowledged.
    async fn handle(&self, delivery: &Delivery) -> bool {
        let message = &delivery.message;
        let error = match apply(&self.pool, message).await {
            Ok(_) => return true,
            Err(error) => error,
        };
        if error.kind() == ErrorKind::Rejected {
            tracing::warn!(id = %message.id, topic = %message.topic, %error, "message rejected");
            match reject(&self.pool, message, &error).await {
                Ok(()) => return true,
                Err(error) => tracing::warn!(id = %message.id, %error, "cannot record rejection"),
            }
        } else {
            // Left unacknowledged: the bus delivers it again after its ack deadline.
            tracing::warn!(id = %message.id, attempt = delivery.attempt, %error, "message failed");
        }
        false
    }

    /// Consumes [`TOPICS`] as member of consumer group `group` until `shutdown` completes.
    /// Each delivery is acknowledged after its transaction commits; a temporary failure (the
    /// database or the bus unavailable) is retried after a pause, so the loop only returns on
    /// shutdown or an error retrying cannot fix (e.g. an invalid group name).
    pub async fn run(
        &self,
        bus: &dyn Bus,
        group: &str,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), GraphError> {
        tokio::pin!(shutdown);
        let mut subscription = tokio::select! {
            () = &mut shutdown => return Ok(()),
            subscription = bus.subscribe(group, &TOPICS) => subscription?,
        };
        loop {
            let fetched = tokio::select! {
                () = &mut shutdown => return Ok(()),
                fetched = subscription.next(self.batch, self.wait) => fetched,
            };
            let deliveries = match fetched {
                Ok(deliveries) => deliveries,
                Err(error) if error.is_temporary() => {
                    tracing::warn!(%error, "bus unavailable, retrying");
                    tokio::time::sleep(self.retry).await;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let handled: Vec<(bool, Delivery)> = futures::stream::iter(deliveries)
                .map(|delivery| async move { (self.handle(&delivery).await, delivery) })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut failed = handled.iter().any(|(ok, _)| !ok);
            let done: Vec<Delivery> =
                handled.into_iter().filter_map(|(ok, delivery)| ok.then_some(delivery)).collect();
            if let Err(error) = subscription.ack_all(&done).await {
                // Unacknowledged deliveries come again and are skipped as duplicates.
                if !error.is_temporary() {
                    return Err(error.into());
                }
                tracing::warn!(%error, "cannot acknowledge, they will be redelivered");
                failed = true;
            }
            if failed {
                tokio::time::sleep(self.retry).await;
            }
        }
    }
}
