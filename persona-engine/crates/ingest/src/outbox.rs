//! The transactional outbox: the messages a change publishes, written in the change's own
//! transaction (schema in `migrations/10002_outbox.sql`).

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use trex_persona_pipeline::Message;

use super::{ChainEvent, IngestError, IngestedEvent, LogPosition};

/// Topic of an event that became canonical (payload: [`OutboxEvent`]).
pub const TOPIC_CHAIN_APPLY: &str = "chain.apply";
/// Topic of an event whose block a reorg removed (payload: [`OutboxEvent`]); consumers undo
/// the effect of the matching `chain.apply`.
pub const TOPIC_CHAIN_RETRACT: &str = "chain.retract";
/// Topic of a stored validator result (payload: a `trex_sdk::persona::ValidatorResult`).
pub const TOPIC_VALIDATOR_RESULT: &str = "validator.result";
/// The Postgres channel notified in every transaction that writes outbox rows.
pub const OUTBOX_CHANNEL: &str = "ingest_outbox";

/// The advisory lock every outbox writer holds from its first row to its commit ("trexoutb").
/// With it, rows commit in `seq` order: a relay that has read up to some `seq` will never see
/// a lower one appear later.
const OUTBOX_LOCK: i64 = 0x7472_6578_6f75_7462;

/// The payload of `chain.apply` and `chain.retract` messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEvent {
    /// The chain the event is on.
    pub chain_id: u64,
    /// Where its log is.
    pub position: LogPosition,
    /// The event.
    pub event: ChainEvent,
    /// Its block's timestamp (Unix seconds).
    pub block_timestamp: u64,
}

/// The message of `topic` (`chain.apply` or `chain.retract`) for `event`. Its id is
/// `<topic>:<chainId>:<blockHash>:<logIndex>`, suffixed with `:<incarnation>` when the event
/// became canonical again after a retraction, so each apply/retract pair has ids of its own.
pub(crate) fn chain_message(
    topic: &str,
    chain_id: u64,
    event: &IngestedEvent,
    incarnation: i32,
) -> Result<Message, IngestError> {
    let position = event.position;
    let mut id = format!("{topic}:{chain_id}:{}:{}", position.block_hash, position.log_index);
    if incarnation > 0 {
        id = format!("{id}:{incarnation}");
    }
    let payload = OutboxEvent {
        chain_id,
        position,
        event: event.event.clone(),
        block_timestamp: event.block_timestamp,
    };
    Ok(Message::new(id, topic, serde_json::to_value(payload)?))
}

/// Appends `messages` to the outbox within the caller's transaction (a message id already
/// there is skipped) and notifies [`OUTBOX_CHANNEL`] at its commit. Returns the rows added.
pub(crate) async fn append(
    tx: &mut PgConnection,
    messages: &[Message],
) -> Result<u64, IngestError> {
    if messages.is_empty() {
        return Ok(0);
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(OUTBOX_LOCK).execute(&mut *tx).await?;
    let mut added = 0;
    for message in messages {
        added += sqlx::query(
            "INSERT INTO ingest_outbox (message_id, topic, payload) VALUES ($1, $2, $3) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&message.id)
        .bind(&message.topic)
        .bind(sqlx::types::Json(&message.payload))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    if added > 0 {
        sqlx::query("SELECT pg_notify($1, '')").bind(OUTBOX_CHANNEL).execute(&mut *tx).await?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256, U256};

    use super::*;

    #[test]
    fn chain_message_ids_and_payload() {
        let event = IngestedEvent {
            contract: Address::repeat_byte(1),
            position: LogPosition {
                block_number: 5,
                block_hash: B256::repeat_byte(0xab),
                tx_hash: B256::repeat_byte(2),
                log_index: 3,
            },
            block_timestamp: 1_700_000_000,
            event: ChainEvent::PassportCreated {
                passport_id: U256::from(1),
                owner: Address::repeat_byte(4),
            },
        };
        let hash = format!("0x{}", "ab".repeat(32));
        let apply = chain_message(TOPIC_CHAIN_APPLY, 31337, &event, 0).unwrap();
        assert_eq!(apply.id, format!("chain.apply:31337:{hash}:3"));
        assert_eq!(apply.topic, "chain.apply");
        let again = chain_message(TOPIC_CHAIN_RETRACT, 31337, &event, 2).unwrap();
        assert_eq!(again.id, format!("chain.retract:31337:{hash}:3:2"));
        assert_eq!(apply.payload["chainId"], 31337);
        assert_eq!(apply.payload["blockTimestamp"], 1_700_000_000);
        assert_eq!(apply.payload["position"]["blockNumber"], 5);
        assert_eq!(apply.payload["position"]["logIndex"], 3);
        assert_eq!(apply.payload["event"]["kind"], "PassportCreated");
        let back: OutboxEvent = serde_json::from_value(apply.payload).unwrap();
        assert_eq!((back.position, back.event), (event.position, event.event));
    }
}
