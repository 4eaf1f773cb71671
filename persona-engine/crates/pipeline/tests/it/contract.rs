//! The [`Bus`](trex_persona_pipeline::Bus) contract, checked on both backends.

use std::{collections::HashSet, time::Duration};

use trex_persona_pipeline::{Message, PipelineError};

use crate::harness::{Backend, TestBus, assert_quiet, by_topic, ids, messages, receive};

const LONG: Duration = Duration::from_secs(30);
const QUIET: Duration = Duration::from_millis(700);

/// Runs each contract test on both backends, as `<name>::postgres` and `<name>::nats`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn postgres() { super::$name(Backend::Postgres).await }
            #[tokio::test]
            async fn nats() { super::$name(Backend::Nats).await }
        }
    )*};
}

on_both_backends!(
    round_trip,
    duplicate_publish_is_delivered_once,
    unacked_delivery_is_redelivered,
    every_group_gets_every_message,
    members_of_a_group_share_messages,
    order_per_topic,
    invalid_input_changes_nothing,
);

/// Messages published before a group exists (history) and after it subscribed both arrive,
/// intact, once; acked ones do not come back.
async fn round_trip(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let before = messages("chain.apply", "a", 3);
    t.bus.publish(&before).await.unwrap();
    let mut sub = t.bus.subscribe("projector", &["chain.apply", "validator.result"]).await.unwrap();
    let after = messages("validator.result", "v", 2);
    t.bus.publish(&after).await.unwrap();

    let got = receive(&mut *sub, 5, true).await;
    let mut sent: Vec<_> = before.iter().chain(&after).collect();
    let mut received: Vec<_> = got.iter().map(|d| &d.message).collect();
    sent.sort_by_key(|m| &m.id);
    received.sort_by_key(|m| &m.id);
    assert_eq!(received, sent);
    assert!(got.iter().all(|d| d.attempt == 1));
    assert_quiet(&mut *sub, QUIET).await;
}

/// Publishing an id again on its topic (alone, or in a batch with new ones) delivers it once.
async fn duplicate_publish_is_delivered_once(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let mut sub = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    let batch = messages("chain.apply", "m", 2);
    t.bus.publish(&batch[..1]).await.unwrap();
    t.bus.publish(&batch[..1]).await.unwrap();
    t.bus.publish(&batch).await.unwrap();
    let got = receive(&mut *sub, 2, true).await;
    assert_eq!(ids(&got), ["m-0", "m-1"]);
    assert_quiet(&mut *sub, QUIET).await;

    // The key is (topic, id): the same id on another topic is another message.
    let mut other = t.bus.subscribe("other", &["chain.retract"]).await.unwrap();
    t.bus.publish(&messages("chain.retract", "m", 1)).await.unwrap();
    assert_eq!(ids(&receive(&mut *other, 1, true).await), ["m-0"]);
}

/// At-least-once: a delivery not acked within the deadline comes again (attempt 2), also to
/// another member after the first one dropped its subscription (a crash), until acked.
async fn unacked_delivery_is_redelivered(backend: Backend) {
    let t = TestBus::new(backend, Duration::from_secs(1)).await;
    let mut sub = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    t.bus.publish(&messages("chain.apply", "m", 1)).await.unwrap();

    let first = receive(&mut *sub, 1, false).await;
    assert_eq!((first[0].message.id.as_str(), first[0].attempt), ("m-0", 1));
    let again = receive(&mut *sub, 1, false).await;
    assert_eq!((again[0].message.id.as_str(), again[0].attempt), ("m-0", 2));

    drop(sub);
    let mut restarted = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    let after_crash = receive(&mut *restarted, 1, true).await;
    assert_eq!(after_crash[0].message.id, "m-0");
    // JetStream may first hand it to the dropped member's still-open pull request (attempt 3,
    // lost with the member), then to the new one.
    assert!(after_crash[0].attempt >= 3, "attempt {}", after_crash[0].attempt);
    assert_quiet(&mut *restarted, Duration::from_millis(1500)).await;
}

/// Each group receives every message: one subscribed before publishing, one created after.
async fn every_group_gets_every_message(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let mut graph = t.bus.subscribe("graph", &["chain.apply"]).await.unwrap();
    t.bus.publish(&messages("chain.apply", "m", 20)).await.unwrap();
    let mut audit = t.bus.subscribe("audit", &["chain.apply"]).await.unwrap();
    for sub in [&mut graph, &mut audit] {
        let got = receive(&mut **sub, 20, true).await;
        assert_eq!(ids(&got).into_iter().collect::<HashSet<_>>().len(), 20);
        assert_quiet(&mut **sub, QUIET).await;
    }
}

/// Two members of one group together receive every message, and no message reaches both.
async fn members_of_a_group_share_messages(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let a = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    let b = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    t.bus.publish(&messages("chain.apply", "m", 200)).await.unwrap();

    let member = |mut sub: Box<dyn trex_persona_pipeline::Subscription>| async move {
        let mut got = Vec::new();
        loop {
            let batch = sub.next(7, QUIET).await.unwrap();
            if batch.is_empty() {
                return got;
            }
            sub.ack_all(&batch).await.unwrap();
            got.extend(batch.into_iter().map(|d| d.message.id));
        }
    };
    let (got_a, got_b) = tokio::join!(member(a), member(b));
    let set_a: HashSet<_> = got_a.iter().collect();
    let set_b: HashSet<_> = got_b.iter().collect();
    assert_eq!(set_a.len() + set_b.len(), 200, "a: {}, b: {}", got_a.len(), got_b.len());
    assert!(set_a.is_disjoint(&set_b));
    assert_eq!(set_a.union(&set_b).count(), 200);
    assert_eq!(got_a.len() + got_b.len(), 200, "a message was delivered twice");
}

/// One member receives each topic's messages in publish order (batches and single
/// publishes, two topics interleaved).
async fn order_per_topic(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let mut sub = t.bus.subscribe("projector", &["chain.apply", "chain.retract"]).await.unwrap();
    let apply = messages("chain.apply", "a", 60);
    let retract = messages("chain.retract", "r", 60);
    let (apply_batches, retract_batches) = (apply.chunks(7), retract.chunks(5));
    let pairs = apply_batches.len();
    for (a, r) in apply_batches.zip(retract_batches) {
        t.bus.publish(a).await.unwrap();
        t.bus.publish(r).await.unwrap();
    }
    t.bus.publish(&retract[pairs * 5..]).await.unwrap();
    let got = receive(&mut *sub, 120, true).await;
    let topics = by_topic(&got);
    let expect = |m: &[Message]| m.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(topics["chain.apply"], expect(&apply));
    assert_eq!(topics["chain.retract"], expect(&retract));
}

/// A batch with one invalid message publishes nothing; bad subscriptions are refused.
async fn invalid_input_changes_nothing(backend: Backend) {
    let t = TestBus::new(backend, LONG).await;
    let mut sub = t.bus.subscribe("projector", &["chain.apply"]).await.unwrap();
    let mut batch = messages("chain.apply", "m", 3);
    batch[2].topic = "chain.>".to_owned();
    assert!(matches!(t.bus.publish(&batch).await, Err(PipelineError::InvalidTopic(_))));
    batch[2] = Message::new("", "chain.apply", serde_json::Value::Null);
    assert!(matches!(t.bus.publish(&batch).await, Err(PipelineError::InvalidMessageId(_))));
    assert_quiet(&mut *sub, QUIET).await;

    let refused = |r: Result<Box<dyn trex_persona_pipeline::Subscription>, PipelineError>| {
        r.err().map(|e| e.to_string())
    };
    assert!(refused(t.bus.subscribe("a.b", &["chain.apply"]).await).unwrap().contains("group"));
    assert!(refused(t.bus.subscribe("g", &[]).await).unwrap().contains("topic"));
    assert!(refused(t.bus.subscribe("g", &["Chain"]).await).unwrap().contains("topic"));
}
