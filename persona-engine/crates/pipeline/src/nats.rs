//! The scale-out backend: NATS JetStream.

use std::time::Duration;

use async_nats::{
    header::NATS_MESSAGE_ID,
    jetstream::{
        self, AckKind, Context,
        consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
        message::PublishMessage,
        stream::{self, RetentionPolicy, StorageType},
    },
};
use async_trait::async_trait;
use futures::{StreamExt, stream::SelectAll};

use crate::{
    Bus, Delivery, Message, PipelineError, Subscription,
    bus::{Receipt, validate_subscription},
};

/// Publishes awaiting acknowledgement at once: enough to pipeline a batch, well below the
/// client's 5,000 in-flight acks.
const PUBLISH_WINDOW: usize = 1_000;

/// How long [`Subscription::next`] waits for a further delivery once it has one.
const BATCH_LINGER: Duration = Duration::from_millis(5);

/// Settings of the JetStream bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// Server URL, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The stream holding every topic (created if missing).
    pub stream: String,
    /// Subject prefix: topic `t` is subject `<prefix>.t`; the stream captures `<prefix>.>`.
    pub subject_prefix: String,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish.
    pub duplicate_window: Duration,
    /// How long the stream keeps a message (the history a new group starts with); zero keeps
    /// it forever.
    pub max_age: Duration,
    /// How long a delivery may stay unacknowledged before it is redelivered.
    pub ack_wait: Duration,
    /// How many messages a member pulls ahead per topic.
    pub prefetch: usize,
}

impl NatsConfig {
    /// The defaults for a server at `url`: stream `TREX_PERSONA`, subjects `persona.>`, a
    /// 10-minute duplicate window, 7 days of history, a 30-second ack deadline, 256 prefetched.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: "TREX_PERSONA".to_owned(),
            subject_prefix: "persona".to_owned(),
            duplicate_window: Duration::from_secs(600),
            max_age: Duration::from_secs(7 * 24 * 3600),
            ack_wait: Duration::from_secs(30),
            prefetch: 256,
        }
    }
}

/// The [`Bus`] on NATS JetStream.
///
/// - One stream (file storage, limits retention) captures `<prefix>.>`; topic `t` is subject
///   `<prefix>.t`; `<topic>:<id>` travels as `Nats-Msg-Id`, so a duplicate within
///   [`NatsConfig::duplicate_window`] is dropped by the server. Publishing awaits every PubAck.
/// - A group is one durable pull consumer per topic, named `<group>-<topic with . as ->`
///   (filtered to the topic's subject, explicit acks, `ack_wait`, unlimited redeliveries,
///   starting from the oldest retained message). One consumer per topic rather than one with
///   several filter subjects, which needs NATS 2.10. An existing consumer keeps the settings
///   it was created with.
/// - Order: one member receives a topic's messages in stream order, except that a redelivery
///   comes after the messages delivered before it expired; topics interleave arbitrarily.
#[derive(Debug, Clone)]
pub struct NatsBus {
    jetstream: Context,
    stream: stream::Stream,
    config: NatsConfig,
}

impl NatsBus {
    /// Connects to the server and creates the stream if it does not exist yet.
    pub async fn connect(config: NatsConfig) -> Result<Self, PipelineError> {
        let client = async_nats::connect(config.url.as_str())
            .await
            .map_err(|e| PipelineError::nats("connect", e))?;
        let jetstream = jetstream::new(client);
        let stream = jetstream
            .get_or_create_stream(stream::Config {
                name: config.stream.clone(),
                subjects: vec![format!("{}.>", config.subject_prefix)],
                retention: RetentionPolicy::Limits,
                storage: StorageType::File,
                max_age: config.max_age,
                duplicate_window: config.duplicate_window,
                ..Default::default()
            })
            .await
            .map_err(|e| PipelineError::nats("create stream", e))?;
        Ok(Self { jetstream, stream, config })
    }

    /// Deletes the stream with all its messages and consumers (tests and resets).
    pub async fn delete_stream(&self) -> Result<(), PipelineError> {
        self.jetstream
            .delete_stream(&self.config.stream)
            .await
            .map_err(|e| PipelineError::nats("delete stream", e))?;
        Ok(())
    }

    fn subject(&self, topic: &str) -> String {
        format!("{}.{topic}", self.config.subject_prefix)
    }
}

#[async_trait]
impl Bus for NatsBus {
    async fn publish(&self, messages: &[Message]) -> Result<(), PipelineError> {
        messages.iter().try_for_each(Message::validate)?;
        for window in messages.chunks(PUBLISH_WINDOW) {
            let mut acks = Vec::with_capacity(window.len());
            for message in window {
                let payload = serde_json::to_vec(&message.payload)?;
                // Keyed by topic too, as on Postgres: JetStream dedupes per stream.
                let publish = PublishMessage::build()
                    .payload(payload.into())
                    .message_id(format!("{}:{}", message.topic, message.id));
                acks.push(
                    self.jetstream
                        .send_publish(self.subject(&message.topic), publish)
                        .await
                        .map_err(|e| PipelineError::nats("publish", e))?,
                );
            }
            for ack in acks {
                ack.await.map_err(|e| PipelineError::nats("publish ack", e))?;
            }
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        group: &str,
        topics: &[&str],
    ) -> Result<Box<dyn Subscription>, PipelineError> {
        validate_subscription(group, topics)?;
        let mut streams = SelectAll::new();
        for topic in topics {
            let name = format!("{group}-{}", topic.replace('.', "-"));
            let consumer: PullConsumer = self
                .stream
                .get_or_create_consumer(
                    &name,
                    pull::Config {
                        durable_name: Some(name.clone()),
                        filter_subject: self.subject(topic),
                        ack_policy: AckPolicy::Explicit,
                        ack_wait: self.config.ack_wait,
                        deliver_policy: DeliverPolicy::All,
                        max_deliver: -1,
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| PipelineError::nats("create consumer", e))?;
            let messages = consumer
                .stream()
                .max_messages_per_batch(self.config.prefetch)
                .messages()
                .await
                .map_err(|e| PipelineError::nats("pull", e))?;
            streams.push(messages);
        }
        Ok(Box::new(NatsSubscription { prefix_len: self.config.subject_prefix.len() + 1, streams }))
    }
}

/// A member of a consumer group of the [`NatsBus`]: the pull streams of its topics, merged.
struct NatsSubscription {
    prefix_len: usize,
    streams: SelectAll<pull::Stream>,
}

impl NatsSubscription {
    /// Turns a pulled message into a delivery; a message not published by a [`NatsBus`] (no
    /// id, not JSON) is terminated (never redelivered) and skipped.
    async fn delivery(
        &self,
        pulled: Result<jetstream::Message, pull::MessagesError>,
    ) -> Result<Option<Delivery>, PipelineError> {
        let message = pulled.map_err(|e| PipelineError::nats("pull", e))?;
        let attempt = message.info().map_err(|e| PipelineError::nats("message info", e))?.delivered;
        let topic = message.subject.get(self.prefix_len..).map(str::to_owned);
        // `<topic>:<id>`; topics have no `:`.
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get(NATS_MESSAGE_ID))
            .and_then(|v| Some(v.as_str().split_once(':')?.1.to_owned()));
        let payload = serde_json::from_slice(&message.payload);
        match (id, topic, payload) {
            (Some(id), Some(topic), Ok(payload)) => Ok(Some(Delivery {
                message: Message { id, topic, payload },
                attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                receipt: Receipt::Nats(Box::new(message)),
            })),
            _ => {
                tracing::warn!(subject = %message.subject, "dropping a message without id or JSON payload");
                message
                    .ack_with(AckKind::Term)
                    .await
                    .map_err(|e| PipelineError::nats("term", e))?;
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl Subscription for NatsSubscription {
    async fn next(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, PipelineError> {
        let mut deliveries = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while deliveries.len() < max {
            // The first delivery is awaited until the deadline, each further one for at most
            // BATCH_LINGER: the pull buffer runs dry between the server's batches, and a batch
            // cut there would be smaller than the consumer asked for.
            let until = if deliveries.is_empty() {
                deadline
            } else {
                deadline.min(tokio::time::Instant::now() + BATCH_LINGER)
            };
            let Ok(pulled) = tokio::time::timeout_at(until, self.streams.next()).await else {
                break;
            };
            let Some(pulled) = pulled else { break };
            deliveries.extend(self.delivery(pulled).await?);
        }
        Ok(deliveries)
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), PipelineError> {
        match &delivery.receipt {
            Receipt::Nats(message) => {
                message.ack().await.map_err(|e| PipelineError::nats("ack", e))
            }
            Receipt::Postgres(_) => Err(PipelineError::ForeignDelivery),
        }
    }
}
