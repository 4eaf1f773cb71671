//! The pipeline consumer that keeps the graph and the feature rows current.

use std::{
    collections::BTreeSet,
    future::Future,
    hash::{DefaultHasher, Hash as _, Hasher as _},
    time::Duration,
};

use sqlx::PgPool;
use trex_persona_ingest::{
    OutboxEvent, TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT, TOPIC_VALIDATOR_RESULT,
};
use trex_persona_pipeline::{Bus, Delivery, Message, mark_processed, mark_processed_all};
use trex_sdk::persona::ValidatorResult;

use crate::{
    ErrorKind, GraphError,
    ids::passport_key,
    store::{self, ChainRecord, Lock},
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
    /// The passport or class whose rows the message re-derives.
    fn lock(&self) -> Result<Lock, GraphError> {
        match self {
            Self::Chain { event, .. } => Lock::of_event(&event.event),
            Self::Result(result) => Ok(Lock::Passport(passport_key(result.passport_id)?)),
        }
    }

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
    let outcomes = apply_all(pool, std::slice::from_ref(message)).await?;
    Ok(outcomes[0])
}

/// Applies `messages` as [`apply`] does, all in one transaction, and returns their outcomes in
/// order. Each passport or badge class they touch is re-derived once, after all of them are
/// recorded, so a batch costs one commit and one re-derivation per subject instead of one per
/// message. Since every message re-derives from all the committed events of its subject, the
/// result is the same whatever the grouping and order. One malformed message fails the whole
/// call and nothing is written.
pub async fn apply_all(pool: &PgPool, messages: &[Message]) -> Result<Vec<Outcome>, GraphError> {
    let inputs = messages.iter().map(Input::decode).collect::<Result<Vec<_>, _>>()?;
    let subjects = inputs.iter().map(Input::lock).collect::<Result<Vec<_>, _>>()?;
    let mut tx = pool.begin().await?;
    store::lock(&mut tx, &subjects.iter().copied().collect::<BTreeSet<_>>()).await?;
    let ids: Vec<&str> = messages.iter().map(|message| message.id.as_str()).collect();
    let new = mark_processed_all(&mut tx, CONSUMER, &ids).await?;
    let (mut records, mut rebuilt, mut refreshed, mut classes) =
        (Vec::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (((message, input), subject), new) in messages.iter().zip(&inputs).zip(subjects).zip(&new) {
        if !new {
            continue;
        }
        match input {
            Input::Chain { retract, event, incarnation } => {
                records.push(ChainRecord {
                    message,
                    incarnation,
                    retract: *retract,
                    outbox: event,
                    subject,
                });
                match subject {
                    Lock::Passport(passport) => {
                        rebuilt.insert(passport);
                        refreshed.insert(passport);
                    }
                    Lock::Class(id) => {
                        classes.insert(id);
                    }
                }
            }
            Input::Result(result) => {
                refreshed.insert(store::insert_result(&mut tx, result, &message.id).await?);
            }
        }
    }
    if !records.is_empty() {
        store::record_chain_events(&mut tx, &records).await?;
    }
    store::rebuild_passports(&mut tx, &rebuilt.into_iter().collect::<Vec<_>>()).await?;
    for class_id in classes {
        store::rebuild_class(&mut tx, class_id).await?;
    }
    store::refresh(&mut tx, &refreshed.into_iter().collect::<Vec<_>>()).await?;
    tx.commit().await?;
    Ok(new.into_iter().map(|new| if new { Outcome::Applied } else { Outcome::Duplicate }).collect())
}

/// Deletes a passport's off-chain data (its validator facts) and re-derives its edges and
/// features; what the chain recorded stays (it is public). Returns how many facts were
/// deleted. A redelivered `validator.result` that was processed before does not bring its facts
/// back (its id is in `processed_messages`).
pub async fn delete_offchain(pool: &PgPool, passport_id: u64) -> Result<u64, GraphError> {
    let passport = store::int("passport id", passport_id)?;
    let mut tx = pool.begin().await?;
    store::lock(&mut tx, &[Lock::Passport(passport)]).await?;
    let deleted = store::delete_results(&mut tx, passport).await?;
    store::refresh(&mut tx, &[passport]).await?;
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
    /// to 256 deliveries at a time and applies them in up to 8 transactions at once.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            batch: 256,
            concurrency: 8,
            wait: Duration::from_secs(1),
            retry: Duration::from_secs(1),
        }
    }

    /// Sets how many transactions apply a fetched batch at once (at least 1), each on its own
    /// connection. The batch's deliveries are split by passport or badge class: each subject's
    /// deliveries go to one transaction ([`apply_all`]), so the transactions never wait for
    /// each other's locks, and concurrency only overlaps the commits' waits for the disk.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets how many deliveries are fetched at a time (at least 1).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Splits deliveries into at most `concurrency` groups; the deliveries of one subject are
    /// in one group, in their order. A delivery that does not decode is a group of its own (it
    /// is rejected on its own).
    fn partition(&self, deliveries: Vec<Delivery>) -> Vec<Vec<Delivery>> {
        let mut groups: Vec<Vec<Delivery>> = (0..self.concurrency).map(|_| Vec::new()).collect();
        let mut undecodable = Vec::new();
        for delivery in deliveries {
            match Input::decode(&delivery.message).and_then(|input| input.lock()) {
                Ok(lock) => {
                    let mut hasher = DefaultHasher::new();
                    lock.hash(&mut hasher);
                    // The remainder is below `concurrency`, a usize.
                    let slot = (hasher.finish() % self.concurrency as u64) as usize;
                    groups[slot].push(delivery);
                }
                Err(_) => undecodable.push(vec![delivery]),
            }
        }
        groups.retain(|group| !group.is_empty());
        groups.extend(undecodable);
        groups
    }

    /// Applies a group of deliveries in one transaction; returns, per delivery, whether it may
    /// be acknowledged. When the group fails because one of its messages can never be applied,
    /// its deliveries are applied one by one, so that only that one is set aside.
    async fn handle_group(&self, group: &[Delivery]) -> Vec<bool> {
        let messages: Vec<Message> = group.iter().map(|d| d.message.clone()).collect();
        let error = match apply_all(&self.pool, &messages).await {
            Ok(_) => return vec![true; group.len()],
            Err(error) => error,
        };
        if error.kind() == ErrorKind::Temporary {
            // Left unacknowledged: the bus delivers them again after its ack deadline.
            tracing::warn!(deliveries = group.len(), %error, "batch failed");
            return vec![false; group.len()];
        }
        let mut handled = Vec::with_capacity(group.len());
        for delivery in group {
            handled.push(self.handle(delivery).await);
        }
        handled
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
            let handled: Vec<(Vec<bool>, Vec<Delivery>)> = futures::future::join_all(
                self.partition(deliveries)
                    .into_iter()
                    .map(|group| async move { (self.handle_group(&group).await, group) }),
            )
            .await;
            let mut failed = false;
            let mut done = Vec::new();
            for (oks, group) in handled {
                for (ok, delivery) in oks.into_iter().zip(group) {
                    failed |= !ok;
                    if ok {
                        done.push(delivery);
                    }
                }
            }
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
