//! Persona engine ingestion: the identity events of TRexPassport and TRexBadge, read from any
//! EVM JSON-RPC, and the validator results posted to the off-chain gateway, stored in Postgres
//! exactly once each, with an outbox feeding the pipeline.
//!
//! - [`IdentityContracts::decode`] turns a log into an [`IngestedEvent`] (a typed
//!   [`ChainEvent`] with its [`LogPosition`] and block time).
//! - [`Listener`] follows the chain `confirmations` blocks behind the head. Each block range's
//!   events, their outbox messages and the cursor (last block number and hash) are written in
//!   one transaction, so a crash at any point neither loses nor doubles an event. Before each
//!   range it checks the cursor's hash against the chain; on a reorg it walks back to the common
//!   ancestor over the recent block hashes it keeps, marks the events of the removed blocks
//!   retracted (rows are kept with `retracted_at` set) with a `chain.retract` message each, and
//!   re-ingests from there.
//! - [`Backfill`] ingests a historical range in chunks with bounded concurrency; each chunk's
//!   events and its completion record share a transaction, so a re-run skips finished chunks
//!   and re-inserting a log is a no-op. It is meant for ranges already below the confirmation
//!   depth: it does not track reorgs (the listener does, for what it ingests).
//! - [`ValidatorResultStore`] stores [`validate_result`]-checked validator results, idempotent
//!   by id, each with its `validator.result` message.
//! - [`OutboxRelay`] publishes the outbox (`ingest_outbox`) to a
//!   [`Bus`](trex_persona_pipeline::Bus) in `seq` order, advancing its durable cursor only after
//!   the bus acknowledged (at least once, never skipping).

mod backfill;
mod error;
mod event;
mod listener;
mod outbox;
mod relay;
mod results;
mod source;
mod store;

pub use backfill::{Backfill, BackfillConfig, BackfillReport};
pub use error::{ErrorKind, IngestError};
pub use event::{ChainEvent, IdentityContracts, IngestedEvent, LogPosition};
pub use listener::{Listener, ListenerConfig, Step};
pub use outbox::{
    OUTBOX_CHANNEL, OutboxEvent, TOPIC_CHAIN_APPLY, TOPIC_CHAIN_RETRACT, TOPIC_VALIDATOR_RESULT,
};
pub use relay::{OutboxRelay, RelayConfig};
pub use results::{
    Accepted, MAX_CLOCK_SKEW_SECS, MAX_COUNT, MAX_FACT_STRING, MAX_FACTS, MAX_VIP_LEVEL,
    ValidatorResultStore, validate_result,
};
pub use store::{Cursor, IngestStore, StoredEvent};

use sqlx::{PgPool, migrate::Migrator};

/// The crate's migrations (versions 10001..). They share `_sqlx_migrations` with the other
/// persona crates, so versions it does not know are ignored.
pub static MIGRATOR: Migrator = Migrator { ignore_missing: true, ..sqlx::migrate!("./migrations") };

/// Applies [`MIGRATOR`] to `pool`.
pub async fn migrate(pool: &PgPool) -> Result<(), IngestError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}
