//! The projector's SQL: the event log, re-deriving a passport's or class's rows, the edges and
//! the feature rows. Every function runs inside the caller's transaction.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use sqlx::PgConnection;
use trex_persona_ingest::{ChainEvent, OutboxEvent};
use trex_persona_pipeline::Message;
use trex_sdk::persona::ValidatorResult;

use crate::{
    GraphError,
    facts::DataPoint,
    fold::{LoggedEvent, PassportState},
    ids::{ascii_label, passport_did, passport_key, web2_platform},
};

/// Latest Unix second Postgres' `to_timestamp` and the feature columns are given: the end of
/// year 9999. Larger expiries are clamped to it (they mean "never" in practice).
const MAX_TIME: u64 = 253_402_300_799;

/// Advisory-lock namespaces (first key), so a passport and a class with the same number do not
/// contend and other crates' advisory locks are not hit.
const LOCK_PASSPORT: i32 = 0x7472_6770; // "trgp"
const LOCK_CLASS: i32 = 0x7472_6763; // "trgc"

pub(crate) fn int(what: &'static str, n: u64) -> Result<i64, GraphError> {
    i64::try_from(n).map_err(|_| GraphError::invalid(what, n))
}

fn time(what: &'static str, secs: u64) -> Result<i64, GraphError> {
    if secs > MAX_TIME { Err(GraphError::invalid(what, secs)) } else { int(what, secs) }
}

fn checksummed(address: Address) -> String {
    address.to_checksum(None)
}

/// What a message's transaction locks: the passport or badge class whose rows it re-derives.
/// Each message re-derives them from what is committed, so two transactions writing one subject
/// must not interleave (read committed sees the first one's commit once the lock is granted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Lock {
    /// A passport, by its graph key.
    Passport(i64),
    /// A badge class.
    Class(U256),
}

impl Lock {
    /// The lock of the passport or class an event is about.
    pub(crate) fn of_event(event: &ChainEvent) -> Result<Self, GraphError> {
        Ok(match crate::fold::subject(event) {
            crate::fold::Subject::Passport(id) => Self::Passport(passport_key(id)?),
            crate::fold::Subject::Class(id) => Self::Class(id),
        })
    }

    /// The advisory lock's namespace and the text its second key is hashed from.
    fn key(&self) -> (i32, String) {
        match self {
            Self::Passport(passport) => (LOCK_PASSPORT, passport.to_string()),
            Self::Class(class_id) => (LOCK_CLASS, class_id.to_string()),
        }
    }
}

/// Takes the transaction-scoped advisory locks of `locks`, all in one statement and in the
/// order of their keys, so that transactions locking several subjects never wait on each other
/// in a cycle.
pub(crate) async fn lock<'a>(
    conn: &mut PgConnection,
    locks: impl IntoIterator<Item = &'a Lock>,
) -> Result<(), GraphError> {
    let (namespaces, ids): (Vec<i32>, Vec<String>) = locks.into_iter().map(Lock::key).unzip();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(ns, key) FROM ( \
         SELECT DISTINCT ns, hashtext(id) AS key FROM unnest($1::int4[], $2::text[]) AS l(ns, id) \
         ORDER BY ns, key) locks",
    )
    .bind(namespaces)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A chain message to record: an applied (`retract == false`) or retracted incarnation of an
/// event; `incarnation` is the message id without its topic prefix, the same for an apply and
/// its retraction.
pub(crate) struct ChainRecord<'a> {
    pub(crate) message: &'a Message,
    pub(crate) incarnation: &'a str,
    pub(crate) retract: bool,
    pub(crate) outbox: &'a OutboxEvent,
    /// The passport or class the event is about ([`Lock::of_event`]).
    pub(crate) subject: Lock,
}

/// One `graph_chain_events` row being written, keyed by (chain id, block hash, log index,
/// incarnation).
struct ChainEventRow {
    block_number: i64,
    block_time: i64,
    passport: Option<i64>,
    class: Option<String>,
    kind: &'static str,
    event: String,
    applied: bool,
    retracted: bool,
    apply_message: Option<String>,
}

/// Records chain messages in `graph_chain_events`, in one statement. An incarnation's apply and
/// retraction set its `applied` and `retracted` flags, in whichever order and batch they come.
pub(crate) async fn record_chain_events(
    conn: &mut PgConnection,
    records: &[ChainRecord<'_>],
) -> Result<(), GraphError> {
    // Merged per key first: one statement may not update a row twice.
    let mut rows: BTreeMap<(i64, Vec<u8>, i64, &str), ChainEventRow> = BTreeMap::new();
    for record in records {
        let (outbox, position) = (record.outbox, &record.outbox.position);
        let key = (
            int("chain id", outbox.chain_id)?,
            position.block_hash.to_vec(),
            int("log index", position.log_index)?,
            record.incarnation,
        );
        let (passport, class) = match record.subject {
            Lock::Passport(passport) => (Some(passport), None),
            Lock::Class(id) => (None, Some(id.to_string())),
        };
        let event = serde_json::to_string(&outbox.event).map_err(|source| GraphError::Payload {
            message_id: record.message.id.clone(),
            topic: record.message.topic.clone(),
            source,
        })?;
        let row = ChainEventRow {
            block_number: int("block number", position.block_number)?,
            block_time: time("block timestamp", outbox.block_timestamp)?,
            passport,
            class,
            kind: outbox.event.kind(),
            event,
            applied: false,
            retracted: false,
            apply_message: None,
        };
        let row = rows.entry(key).or_insert(row);
        if record.retract {
            row.retracted = true;
        } else {
            row.applied = true;
            row.apply_message.get_or_insert_with(|| record.message.id.clone());
        }
    }
    let mut columns = ChainEventColumns::default();
    for ((chain_id, block_hash, log_index, incarnation), row) in rows {
        columns.chain_id.push(chain_id);
        columns.block_hash.push(block_hash);
        columns.log_index.push(log_index);
        columns.incarnation.push(incarnation);
        columns.block_number.push(row.block_number);
        columns.block_time.push(row.block_time);
        columns.passport.push(row.passport);
        columns.class.push(row.class);
        columns.kind.push(row.kind);
        columns.event.push(row.event);
        columns.applied.push(row.applied);
        columns.retracted.push(row.retracted);
        columns.apply_message.push(row.apply_message);
    }
    sqlx::query(
        "INSERT INTO graph_chain_events (chain_id, block_hash, log_index, incarnation, \
         block_number, block_time, passport_id, class_id, kind, event, applied, retracted, \
         apply_message) \
         SELECT c, h, l, i, n, to_timestamp(t), p, k::numeric, d, e::jsonb, a, r, m \
         FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::text[], $5::bigint[], \
         $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bool[], \
         $12::bool[], $13::text[]) AS u(c, h, l, i, n, t, p, k, d, e, a, r, m) \
         ON CONFLICT (chain_id, block_hash, log_index, incarnation) DO UPDATE SET \
         applied = graph_chain_events.applied OR EXCLUDED.applied, \
         retracted = graph_chain_events.retracted OR EXCLUDED.retracted, \
         apply_message = COALESCE(graph_chain_events.apply_message, EXCLUDED.apply_message)",
    )
    .bind(&columns.chain_id)
    .bind(&columns.block_hash)
    .bind(&columns.log_index)
    .bind(&columns.incarnation)
    .bind(&columns.block_number)
    .bind(&columns.block_time)
    .bind(&columns.passport)
    .bind(&columns.class)
    .bind(&columns.kind)
    .bind(&columns.event)
    .bind(&columns.applied)
    .bind(&columns.retracted)
    .bind(&columns.apply_message)
    .execute(conn)
    .await?;
    Ok(())
}

/// The rows of [`record_chain_events`], column by column, for `unnest`.
#[derive(Default)]
struct ChainEventColumns<'a> {
    chain_id: Vec<i64>,
    block_hash: Vec<Vec<u8>>,
    log_index: Vec<i64>,
    incarnation: Vec<&'a str>,
    block_number: Vec<i64>,
    block_time: Vec<i64>,
    passport: Vec<Option<i64>>,
    class: Vec<Option<String>>,
    kind: Vec<&'static str>,
    event: Vec<String>,
    applied: Vec<bool>,
    retracted: Vec<bool>,
    apply_message: Vec<Option<String>>,
}

/// Re-derives the chain rows (passport, wallets, web2 accounts, badges held, points) of
/// `passports` from their live events, a few statements for all of them.
pub(crate) async fn rebuild_passports(
    conn: &mut PgConnection,
    passports: &[i64],
) -> Result<(), GraphError> {
    if passports.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, i64, i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (passport_id, chain_id, block_number, log_index, block_hash) \
         passport_id, chain_id, block_number, extract(epoch FROM block_time)::bigint, \
         apply_message, event::text \
         FROM graph_chain_events \
         WHERE passport_id = ANY($1::bigint[]) AND applied AND NOT retracted \
         ORDER BY passport_id, chain_id, block_number, log_index, block_hash, incarnation",
    )
    .bind(passports)
    .fetch_all(&mut *conn)
    .await?;
    let mut events: BTreeMap<i64, Vec<LoggedEvent>> =
        passports.iter().map(|passport| (*passport, Vec::new())).collect();
    for (passport, chain_id, block_number, block_time, message, event) in rows {
        let event = serde_json::from_str(&event).map_err(|source| GraphError::Payload {
            message_id: message.clone().unwrap_or_default(),
            topic: "graph_chain_events".to_owned(),
            source,
        })?;
        events.entry(passport).or_default().push(LoggedEvent {
            chain_id: chain_id.unsigned_abs(),
            block_number: block_number.unsigned_abs(),
            block_time,
            event,
            message,
        });
    }
    let states: Vec<(i64, PassportState)> = events
        .into_iter()
        .map(|(passport, events)| (passport, PassportState::fold(events)))
        .collect();
    write_passports(conn, passports, &states).await
}

/// The rows of [`write_passports`], column by column, for `unnest`.
#[derive(Default)]
struct PassportColumns {
    passport: Vec<i64>,
    chain_id: Vec<i64>,
    did: Vec<String>,
    owner: Vec<String>,
    created_at: Vec<i64>,
    created_block: Vec<i64>,
    message: Vec<Option<String>>,
}

#[derive(Default)]
struct WalletColumns {
    passport: Vec<i64>,
    caip10: Vec<String>,
    namespace: Vec<&'static str>,
    relation: Vec<&'static str>,
    since: Vec<i64>,
    message: Vec<Option<String>>,
}

#[derive(Default)]
struct Web2Columns {
    passport: Vec<i64>,
    platform_hash: Vec<Vec<u8>>,
    platform: Vec<Option<&'static str>>,
    handle_hash: Vec<Vec<u8>>,
    since: Vec<i64>,
    message: Vec<Option<String>>,
}

#[derive(Default)]
struct BadgeColumns {
    passport: Vec<i64>,
    class_id: Vec<String>,
    since: Vec<i64>,
    expires_at: Vec<Option<i64>>,
    validator: Vec<String>,
    attestation_id: Vec<Vec<u8>>,
    message: Vec<Option<String>>,
}

#[derive(Default)]
struct PointsColumns {
    passport: Vec<i64>,
    category: Vec<Vec<u8>>,
    points: Vec<String>,
    labelled: Vec<Vec<u8>>,
    label: Vec<String>,
}

/// Replaces the chain rows of `passports` with `states` (a passport without a state, or whose
/// state has no `PassportCreated`, keeps no passport row).
async fn write_passports(
    conn: &mut PgConnection,
    passports: &[i64],
    states: &[(i64, PassportState)],
) -> Result<(), GraphError> {
    for table in ["passports", "wallets", "web2_accounts", "badges_held", "passport_points"] {
        // The table names are the constants above.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE passport_id = ANY($1::bigint[])"
        )))
        .bind(passports)
        .execute(&mut *conn)
        .await?;
    }
    let (mut created, mut wallets, mut web2, mut badges, mut points) = (
        PassportColumns::default(),
        WalletColumns::default(),
        Web2Columns::default(),
        BadgeColumns::default(),
        PointsColumns::default(),
    );
    for (passport, state) in states {
        let passport = *passport;
        if let Some(c) = &state.created {
            created.passport.push(passport);
            created.chain_id.push(int("chain id", c.chain_id)?);
            created.did.push(passport_did(c.chain_id, passport.unsigned_abs()));
            created.owner.push(checksummed(c.owner));
            created.created_at.push(c.origin.at);
            created.created_block.push(int("block number", c.block_number)?);
            created.message.push(c.origin.message.clone());
        }
        for (caip10, wallet) in &state.wallets {
            wallets.passport.push(passport);
            wallets.caip10.push(caip10.clone());
            wallets.namespace.push(wallet.namespace);
            wallets.relation.push(wallet.relation);
            wallets.since.push(wallet.origin.at);
            wallets.message.push(wallet.origin.message.clone());
        }
        for (platform, account) in &state.web2 {
            web2.passport.push(passport);
            web2.platform_hash.push(platform.to_vec());
            web2.platform.push(web2_platform(*platform));
            web2.handle_hash.push(account.handle_hash.to_vec());
            web2.since.push(account.origin.at);
            web2.message.push(account.origin.message.clone());
        }
        for (class_id, badge) in &state.badges {
            badges.passport.push(passport);
            badges.class_id.push(class_id.to_string());
            badges.since.push(badge.origin.at);
            badges.expires_at.push(badge.expires_at.map(|secs| secs.min(MAX_TIME).cast_signed()));
            badges.validator.push(checksummed(badge.validator));
            badges.attestation_id.push(badge.attestation_id.to_vec());
            badges.message.push(badge.origin.message.clone());
        }
        for (category, amount) in &state.points {
            if let Some(label) = ascii_label(*category) {
                points.labelled.push(category.to_vec());
                points.label.push(label);
            }
            points.passport.push(passport);
            points.category.push(category.to_vec());
            points.points.push(amount.to_string());
        }
    }
    sqlx::query(
        "INSERT INTO passports (passport_id, chain_id, did, owner, created_at, created_block, \
         source_message) \
         SELECT p, c, d, o, to_timestamp(t), b, m FROM unnest($1::bigint[], $2::bigint[], \
         $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[]) AS u(p, c, d, o, t, b, m)",
    )
    .bind(&created.passport)
    .bind(&created.chain_id)
    .bind(&created.did)
    .bind(&created.owner)
    .bind(&created.created_at)
    .bind(&created.created_block)
    .bind(&created.message)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO wallets (passport_id, caip10, namespace, relation, since, source_message) \
         SELECT p, w, n, r, to_timestamp(t), m FROM unnest($1::bigint[], $2::text[], $3::text[], \
         $4::text[], $5::bigint[], $6::text[]) AS u(p, w, n, r, t, m)",
    )
    .bind(&wallets.passport)
    .bind(&wallets.caip10)
    .bind(&wallets.namespace)
    .bind(&wallets.relation)
    .bind(&wallets.since)
    .bind(&wallets.message)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO web2_accounts (passport_id, platform_hash, platform, handle_hash, since, \
         source_message) \
         SELECT p, ph, pl, h, to_timestamp(t), m FROM unnest($1::bigint[], $2::bytea[], \
         $3::text[], $4::bytea[], $5::bigint[], $6::text[]) AS u(p, ph, pl, h, t, m)",
    )
    .bind(&web2.passport)
    .bind(&web2.platform_hash)
    .bind(&web2.platform)
    .bind(&web2.handle_hash)
    .bind(&web2.since)
    .bind(&web2.message)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO badges_held (passport_id, class_id, since, expires_at, validator, \
         attestation_id, source_message) \
         SELECT p, c::numeric, to_timestamp(t), to_timestamp(e), v, a, m FROM unnest( \
         $1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bytea[], \
         $7::text[]) AS u(p, c, t, e, v, a, m)",
    )
    .bind(&badges.passport)
    .bind(&badges.class_id)
    .bind(&badges.since)
    .bind(&badges.expires_at)
    .bind(&badges.validator)
    .bind(&badges.attestation_id)
    .bind(&badges.message)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO points_categories (category, label) \
         SELECT c, l FROM unnest($1::bytea[], $2::text[]) AS u(c, l) ON CONFLICT DO NOTHING",
    )
    .bind(&points.labelled)
    .bind(&points.label)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO passport_points (passport_id, category, points) \
         SELECT p, c, n::numeric FROM unnest($1::bigint[], $2::bytea[], $3::text[]) AS u(p, c, n)",
    )
    .bind(&points.passport)
    .bind(&points.category)
    .bind(&points.points)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Re-derives a badge class's row from its live `ClassCreated` event.
pub(crate) async fn rebuild_class(
    conn: &mut PgConnection,
    class_id: U256,
) -> Result<(), GraphError> {
    let class = class_id.to_string();
    sqlx::query("DELETE FROM badge_classes WHERE class_id = $1::numeric")
        .bind(&class)
        .execute(&mut *conn)
        .await?;
    let row: Option<(i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT chain_id, extract(epoch FROM block_time)::bigint, apply_message, event::text \
         FROM graph_chain_events WHERE class_id = $1::numeric AND applied AND NOT retracted \
         ORDER BY chain_id, block_number, log_index, block_hash, incarnation LIMIT 1",
    )
    .bind(&class)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((chain_id, at, message, event)) = row else { return Ok(()) };
    let event: ChainEvent = serde_json::from_str(&event).map_err(|source| GraphError::Payload {
        message_id: message.clone().unwrap_or_default(),
        topic: "graph_chain_events".to_owned(),
        source,
    })?;
    let ChainEvent::ClassCreated {
        issuer,
        validator_kind,
        params_hash,
        points_category,
        points,
        supply_cap,
        start_time,
        end_time,
        expiry,
        uri,
        ..
    } = event
    else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO badge_classes (class_id, chain_id, issuer, validator_kind, params_hash, \
         points_category, points, supply_cap, start_time, end_time, expiry, uri, created_at, \
         source_message) VALUES ($1::numeric, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, $11, \
         $12, to_timestamp($13), $14)",
    )
    .bind(&class)
    .bind(chain_id)
    .bind(checksummed(issuer))
    .bind(validator_kind.as_slice())
    .bind(params_hash.as_slice())
    .bind(points_category.as_slice())
    .bind(points.to_string())
    .bind(int("supply cap", supply_cap)?)
    .bind(int("start time", start_time)?)
    .bind(int("end time", end_time)?)
    .bind(int("expiry", expiry)?)
    .bind(uri)
    .bind(at)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a validator result's facts. A result id is stored once, whatever message carries it.
pub(crate) async fn insert_result(
    conn: &mut PgConnection,
    result: &ValidatorResult,
    message_id: &str,
) -> Result<i64, GraphError> {
    let passport = passport_key(result.passport_id)?;
    let observed_at = time("observed_at", result.observed_at)?;
    for (index, fact) in result.facts.iter().enumerate() {
        let point = DataPoint::of(fact);
        sqlx::query(
            "INSERT INTO persona_data_points (result_id, fact_index, passport_id, kind, source, \
             subject, value, observed_at, validator, source_message) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, to_timestamp($8), $9, $10) \
             ON CONFLICT (result_id, fact_index) DO NOTHING",
        )
        .bind(&result.id)
        .bind(i32::try_from(index).map_err(|_| GraphError::invalid("fact index", index))?)
        .bind(passport)
        .bind(point.kind)
        .bind(&point.source)
        .bind(&point.subject)
        .bind(point.value.map(|v| v.to_string()))
        .bind(observed_at)
        .bind(checksummed(result.validator))
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(passport)
}

/// Deletes a passport's off-chain facts; returns how many there were.
pub(crate) async fn delete_results(
    conn: &mut PgConnection,
    passport: i64,
) -> Result<u64, GraphError> {
    Ok(sqlx::query("DELETE FROM persona_data_points WHERE passport_id = $1")
        .bind(passport)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Rewrites the edges and feature rows of `passports` from their graph rows.
pub(crate) async fn refresh(conn: &mut PgConnection, passports: &[i64]) -> Result<(), GraphError> {
    if passports.is_empty() {
        return Ok(());
    }
    for statement in
        [REFRESH_EDGES_DELETE, REFRESH_EDGES, REFRESH_FEATURES_DELETE, REFRESH_FEATURES]
            .into_iter()
            .chain(REFRESH_FEATURE_SETS)
    {
        sqlx::query(statement).bind(passports).execute(&mut *conn).await?;
    }
    Ok(())
}

const REFRESH_EDGES_DELETE: &str = "DELETE FROM graph_edges WHERE passport_id = ANY($1::bigint[])";

/// Edges hang off the passport's DID, so none exist before `PassportCreated` is applied.
const REFRESH_EDGES: &str = "
INSERT INTO graph_edges (passport_id, src_kind, src_id, rel, dst_kind, dst_id, source_message)
SELECT p.passport_id, 'passport', p.did, e.rel, e.dst_kind, e.dst_id, e.source_message
FROM passports p
CROSS JOIN LATERAL (
    SELECT CASE w.relation WHEN 'owner' THEN 'owns' ELSE 'linked' END AS rel,
           'wallet' AS dst_kind, w.caip10 AS dst_id, w.source_message
      FROM wallets w WHERE w.passport_id = p.passport_id
    UNION ALL
    SELECT 'linked', 'web2_account',
           'web2:' || encode(a.platform_hash, 'hex') || ':' || encode(a.handle_hash, 'hex'),
           a.source_message
      FROM web2_accounts a WHERE a.passport_id = p.passport_id
    UNION ALL
    SELECT 'holds', 'badge_class', b.class_id::text, b.source_message
      FROM badges_held b WHERE b.passport_id = p.passport_id
    UNION ALL
    SELECT 'proved', 'data_point', d.result_id || '#' || d.fact_index, d.source_message
      FROM persona_data_points d WHERE d.passport_id = p.passport_id
) e
WHERE p.passport_id = ANY($1::bigint[])";

/// A feature row exists exactly while its passport does (the badge and points rows cascade).
const REFRESH_FEATURES_DELETE: &str = "
DELETE FROM persona_features f
WHERE f.passport_id = ANY($1::bigint[])
  AND NOT EXISTS (SELECT 1 FROM passports p WHERE p.passport_id = f.passport_id)";

/// Off-chain features take the latest fact per (kind, source, subject) by observed_at (then
/// result id, so ties are deterministic); counts beyond the column types saturate (LEAST sits
/// inside the subqueries because it skips NULLs: "no fact" must stay NULL).
const REFRESH_FEATURES: &str = "
WITH latest AS (
    SELECT DISTINCT ON (passport_id, kind, source, subject) passport_id, kind, source, subject,
           value
      FROM persona_data_points WHERE passport_id = ANY($1::bigint[])
     ORDER BY passport_id, kind, source, subject, observed_at DESC, result_id DESC
), vip AS (
    SELECT DISTINCT ON (passport_id) passport_id, source, value FROM latest
     WHERE kind = 'cexVipLevel'
     ORDER BY passport_id, value DESC, source
)
INSERT INTO persona_features (passport_id, defi_tx_count, nft_count, cex_vip_level, cex_exchange,
    twitch_followers, x_followers, youtube_subscribers, steam_games, total_points, badge_count,
    passport_created_at, updated_at)
SELECT p.passport_id,
    LEAST(COALESCE((SELECT sum(value) FROM latest l WHERE l.passport_id = p.passport_id
                       AND kind = 'contractActivity' AND subject = 'defi'), 0),
          9223372036854775807)::bigint,
    LEAST(COALESCE((SELECT sum(value) FROM latest l WHERE l.passport_id = p.passport_id
                       AND kind = 'nftHoldings'), 0),
          9223372036854775807)::bigint,
    (SELECT LEAST(value, 2147483647) FROM vip v WHERE v.passport_id = p.passport_id)::integer,
    (SELECT source FROM vip v WHERE v.passport_id = p.passport_id),
    (SELECT LEAST(value, 9223372036854775807) FROM latest l WHERE l.passport_id = p.passport_id
        AND kind = 'followers' AND source = 'twitch')::bigint,
    (SELECT LEAST(value, 9223372036854775807) FROM latest l WHERE l.passport_id = p.passport_id
        AND kind = 'followers' AND source = 'x')::bigint,
    (SELECT LEAST(value, 9223372036854775807) FROM latest l WHERE l.passport_id = p.passport_id
        AND kind = 'youtubeSubscribers')::bigint,
    (SELECT LEAST(value, 2147483647) FROM latest l WHERE l.passport_id = p.passport_id
        AND kind = 'steamGames')::integer,
    GREATEST(LEAST(COALESCE((SELECT sum(points) FROM passport_points pp
                              WHERE pp.passport_id = p.passport_id), 0),
                   9223372036854775807), -9223372036854775808)::bigint,
    (SELECT count(*) FROM badges_held b WHERE b.passport_id = p.passport_id)::integer,
    p.created_at,
    now()
FROM passports p WHERE p.passport_id = ANY($1::bigint[])
ON CONFLICT (passport_id) DO UPDATE SET
    defi_tx_count = EXCLUDED.defi_tx_count, nft_count = EXCLUDED.nft_count,
    cex_vip_level = EXCLUDED.cex_vip_level, cex_exchange = EXCLUDED.cex_exchange,
    twitch_followers = EXCLUDED.twitch_followers, x_followers = EXCLUDED.x_followers,
    youtube_subscribers = EXCLUDED.youtube_subscribers, steam_games = EXCLUDED.steam_games,
    total_points = EXCLUDED.total_points, badge_count = EXCLUDED.badge_count,
    passport_created_at = EXCLUDED.passport_created_at, updated_at = EXCLUDED.updated_at";

/// The badge set and the points by category label, rewritten under the feature row.
const REFRESH_FEATURE_SETS: [&str; 4] = [
    "DELETE FROM persona_feature_badges WHERE passport_id = ANY($1::bigint[])",
    "INSERT INTO persona_feature_badges (passport_id, class_id, expires_at)
     SELECT b.passport_id, b.class_id, b.expires_at FROM badges_held b
       JOIN persona_features f ON f.passport_id = b.passport_id
      WHERE b.passport_id = ANY($1::bigint[])",
    "DELETE FROM persona_feature_points WHERE passport_id = ANY($1::bigint[])",
    "INSERT INTO persona_feature_points (passport_id, category, points)
     SELECT pp.passport_id, COALESCE(c.label, '0x' || encode(pp.category, 'hex')),
            GREATEST(LEAST(pp.points, 9223372036854775807), -9223372036854775808)::bigint
       FROM passport_points pp
       JOIN persona_features f ON f.passport_id = pp.passport_id
       LEFT JOIN points_categories c ON c.category = pp.category
      WHERE pp.passport_id = ANY($1::bigint[])",
];
