//! The backend-neutral pub/sub contract.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::PipelineError;

/// One published event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The idempotency key: publishing the same `(topic, id)` again is a no-op within the
    /// backend's dedupe window, and consumers record it to skip redeliveries.
    pub id: String,
    /// Dot-separated tokens of `[a-z0-9_]`, e.g. `chain.apply`.
    pub topic: String,
    /// The event itself.
    pub payload: serde_json::Value,
}

impl Message {
    /// A message; [`Bus::publish`] validates the topic and id.
    pub fn new(
        id: impl Into<String>,
        topic: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self { id: id.into(), topic: topic.into(), payload }
    }

    pub(crate) fn validate(&self) -> Result<(), PipelineError> {
        validate_topic(&self.topic)?;
        let ok =
            !self.id.is_empty() && self.id.len() <= 512 && !self.id.chars().any(char::is_control);
        if ok { Ok(()) } else { Err(PipelineError::InvalidMessageId(self.id.clone())) }
    }
}

/// A message handed to a consumer, to be acknowledged with [`Subscription::ack`] once its
/// effect is durable.
#[derive(Debug)]
pub struct Delivery {
    /// The message.
    pub message: Message,
    /// 1 on the first delivery, higher on redeliveries.
    pub attempt: u32,
    pub(crate) receipt: Receipt,
}

/// What a backend needs to acknowledge a delivery.
#[derive(Debug)]
pub(crate) enum Receipt {
    /// The message's `pipeline_messages.seq`.
    Postgres(i64),
    /// The JetStream message (its reply subject is the ack handle).
    Nats(Box<async_nats::jetstream::Message>),
}

/// A durable pub/sub bus with at-least-once delivery.
///
/// Every consumer group receives every message of its topics; the members of one group share
/// them. A delivery not acknowledged within the backend's ack deadline (a crashed or slow
/// consumer) is delivered again, so consumers must be idempotent by [`Message::id`] (see
/// [`mark_processed`](crate::mark_processed)).
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Publishes `messages` in order; returns once the backend has stored them durably. A message
    /// whose `(topic, id)` was already published (within the backend's dedupe window) is
    /// dropped. Nothing is published when one of them is invalid.
    async fn publish(&self, messages: &[Message]) -> Result<(), PipelineError>;

    /// Joins (creating it if new) the durable consumer group `group` over `topics`. A new group
    /// starts with every message the backend still retains on those topics, so a consumer
    /// added late misses no history. All members of a group must subscribe to the same topics.
    async fn subscribe(
        &self,
        group: &str,
        topics: &[&str],
    ) -> Result<Box<dyn Subscription>, PipelineError>;
}

/// One member of a consumer group.
///
/// Dropping it without acknowledging (a crash) loses nothing: its unacknowledged deliveries
/// are redelivered after the ack deadline.
#[async_trait]
pub trait Subscription: Send {
    /// Up to `max` deliveries, waiting up to `wait` for the first; empty when none arrived.
    async fn next(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, PipelineError>;

    /// Acknowledges a delivery: it is not delivered to this group again.
    async fn ack(&mut self, delivery: &Delivery) -> Result<(), PipelineError>;

    /// Acknowledges several deliveries (one round trip where the backend allows it).
    async fn ack_all(&mut self, deliveries: &[Delivery]) -> Result<(), PipelineError> {
        for delivery in deliveries {
            self.ack(delivery).await?;
        }
        Ok(())
    }
}

/// Checks a topic: dot-separated, non-empty tokens of `[a-z0-9_]` (valid NATS subject tokens
/// and unambiguous in JetStream consumer names, where `.` becomes `-`).
pub(crate) fn validate_topic(topic: &str) -> Result<(), PipelineError> {
    let ok = topic.len() <= 200
        && topic.split('.').all(|token| {
            !token.is_empty()
                && token.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if ok { Ok(()) } else { Err(PipelineError::InvalidTopic(topic.to_owned())) }
}

/// Checks a consumer group name: `[A-Za-z0-9_]+` (valid as a JetStream durable name prefix).
pub(crate) fn validate_group(group: &str) -> Result<(), PipelineError> {
    let ok = !group.is_empty()
        && group.len() <= 100
        && group.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok { Ok(()) } else { Err(PipelineError::InvalidGroup(group.to_owned())) }
}

/// Checks a subscription's group and topics.
pub(crate) fn validate_subscription(group: &str, topics: &[&str]) -> Result<(), PipelineError> {
    validate_group(group)?;
    if topics.is_empty() {
        return Err(PipelineError::NoTopics);
    }
    topics.iter().try_for_each(|topic| validate_topic(topic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        for good in ["chain.apply", "validator.result", "a", "a_1.b2"] {
            validate_topic(good).unwrap();
        }
        for bad in ["", ".a", "a.", "a..b", "Chain.apply", "a.*", "a.>", "a b", "a-b"] {
            assert!(matches!(validate_topic(bad), Err(PipelineError::InvalidTopic(_))), "{bad}");
        }
    }

    #[test]
    fn groups() {
        validate_group("graph_projector").unwrap();
        for bad in ["", "a.b", "a-b", "a b", &"x".repeat(101)] {
            assert!(matches!(validate_group(bad), Err(PipelineError::InvalidGroup(_))), "{bad}");
        }
        assert!(matches!(validate_subscription("g", &[]), Err(PipelineError::NoTopics)));
    }

    #[test]
    fn message_ids() {
        let message = |id: &str| Message::new(id, "t", serde_json::Value::Null);
        message("0xabc:1:2").validate().unwrap();
        for bad in [String::new(), "a\nb".to_owned(), "x".repeat(513)] {
            assert!(matches!(message(&bad).validate(), Err(PipelineError::InvalidMessageId(_))));
        }
    }
}
