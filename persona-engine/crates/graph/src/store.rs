//! The projector's SQL: the event log, re-deriving a passport's or class's rows, the edges and
//! the feature rows. Every function runs inside the caller's transaction.

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

/// Records an applied (`retract == false`) or retracted incarnation of an event in
/// `graph_chain_events`; `incarnation` is the message id without its topic prefix, the same for
/// an apply and its retraction.
pub(crate) async fn record_chain_event(
    conn: &mut PgConnection,
    message: &Message,
    incarnation: &str,
    retract: bool,
    outbox: &OutboxEvent,
) -> Result<(), GraphError> {
    let position = &outbox.position;
    let (passport, class) = match crate::fold::subject(&outbox.event) {
        crate::fold::Subject::Passport(id) => (Some(passport_key(id)?), None),
        crate::fold::Subject::Class(id) => (None, Some(id.to_string())),
    };
    let payload = serde_json::to_string(&outbox.event).map_err(|source| GraphError::Payload {
        message_id: message.id.clone(),
        topic: message.topic.clone(),
        source,
    })?;
    sqlx::query(
        "INSERT INTO graph_chain_events (chain_id, block_hash, log_index, incarnation, \
         block_number, block_time, passport_id, class_id, kind, event, applied, retracted, \
         apply_message) \
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6), $7, $8::numeric, $9, $10::jsonb, NOT $11, \
         $11, $12) \
         ON CONFLICT (chain_id, block_hash, log_index, incarnation) DO UPDATE SET \
         applied = graph_chain_events.applied OR EXCLUDED.applied, \
         retracted = graph_chain_events.retracted OR EXCLUDED.retracted, \
         apply_message = COALESCE(graph_chain_events.apply_message, EXCLUDED.apply_message)",
    )
    .bind(int("chain id", outbox.chain_id)?)
    .bind(position.block_hash.as_slice())
    .bind(int("log index", position.log_index)?)
    .bind(incarnation)
    .bind(int("block number", position.block_number)?)
    .bind(time("block timestamp", outbox.block_timestamp)?)
    .bind(passport)
    .bind(class)
    .bind(outbox.event.kind())
    .bind(payload)
    .bind(retract)
    .bind((!retract).then_some(&message.id))
    .execute(conn)
    .await?;
    Ok(())
}

/// Re-derives a passport's chain rows (passport, wallets, web2 accounts, badges held, points)
/// from its live events.
pub(crate) async fn rebuild_passport(
    conn: &mut PgConnection,
    passport: i64,
) -> Result<(), GraphError> {
    let rows: Vec<(i64, i64, i64, Option<String>, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (chain_id, block_number, log_index, block_hash) chain_id, \
         block_number, extract(epoch FROM block_time)::bigint, apply_message, event::text \
         FROM graph_chain_events WHERE passport_id = $1 AND applied AND NOT retracted \
         ORDER BY chain_id, block_number, log_index, block_hash, incarnation",
    )
    .bind(passport)
    .fetch_all(&mut *conn)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for (chain_id, block_number, block_time, message, event) in rows {
        events.push(LoggedEvent {
            chain_id: chain_id.unsigned_abs(),
            block_number: block_number.unsigned_abs(),
            block_time,
            event: serde_json::from_str(&event).map_err(|source| GraphError::Payload {
                message_id: message.clone().unwrap_or_default(),
                topic: "graph_chain_events".to_owned(),
                source,
            })?,
            message,
        });
    }
    write_passport(conn, passport, &PassportState::fold(events)).await
}

async fn write_passport(
    conn: &mut PgConnection,
    passport: i64,
    state: &PassportState,
) -> Result<(), GraphError> {
    for table in ["passports", "wallets", "web2_accounts", "badges_held", "passport_points"] {
        // The table names are the constants above.
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE passport_id = $1")))
            .bind(passport)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(created) = &state.created {
        sqlx::query(
            "INSERT INTO passports (passport_id, chain_id, did, owner, created_at, created_block, \
             source_message) VALUES ($1, $2, $3, $4, to_timestamp($5), $6, $7)",
        )
        .bind(passport)
        .bind(int("chain id", created.chain_id)?)
        .bind(passport_did(created.chain_id, passport.unsigned_abs()))
        .bind(checksummed(created.owner))
        .bind(created.origin.at)
        .bind(int("block number", created.block_number)?)
        .bind(&created.origin.message)
        .execute(&mut *conn)
        .await?;
    }
    for (caip10, wallet) in &state.wallets {
        sqlx::query(
            "INSERT INTO wallets (passport_id, caip10, namespace, relation, since, source_message) \
             VALUES ($1, $2, $3, $4, to_timestamp($5), $6)",
        )
        .bind(passport)
        .bind(caip10)
        .bind(wallet.namespace)
        .bind(wallet.relation)
        .bind(wallet.origin.at)
        .bind(&wallet.origin.message)
        .execute(&mut *conn)
        .await?;
    }
    for (platform, account) in &state.web2 {
        sqlx::query(
            "INSERT INTO web2_accounts (passport_id, platform_hash, platform, handle_hash, since, \
             source_message) VALUES ($1, $2, $3, $4, to_timestamp($5), $6)",
        )
        .bind(passport)
        .bind(platform.as_slice())
        .bind(web2_platform(*platform))
        .bind(account.handle_hash.as_slice())
        .bind(account.origin.at)
        .bind(&account.origin.message)
        .execute(&mut *conn)
        .await?;
    }
    for (class_id, badge) in &state.badges {
        let expires_at = badge.expires_at.map(|secs| secs.min(MAX_TIME).cast_signed());
        sqlx::query(
            "INSERT INTO badges_held (passport_id, class_id, since, expires_at, validator, \
             attestation_id, source_message) \
             VALUES ($1, $2::numeric, to_timestamp($3), to_timestamp($4), $5, $6, $7)",
        )
        .bind(passport)
        .bind(class_id.to_string())
        .bind(badge.origin.at)
        .bind(expires_at)
        .bind(checksummed(badge.validator))
        .bind(badge.attestation_id.as_slice())
        .bind(&badge.origin.message)
        .execute(&mut *conn)
        .await?;
    }
    for (category, points) in &state.points {
        if let Some(label) = ascii_label(*category) {
            sqlx::query(
                "INSERT INTO points_categories (category, label) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(category.as_slice())
            .bind(label)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "INSERT INTO passport_points (passport_id, category, points) VALUES ($1, $2, $3::numeric)",
        )
        .bind(passport)
        .bind(category.as_slice())
        .bind(points.to_string())
        .execute(&mut *conn)
        .await?;
    }
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
