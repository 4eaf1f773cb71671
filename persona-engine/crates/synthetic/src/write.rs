//! Writes a generated graph into Postgres with `COPY ... FROM STDIN`, in one transaction.

use std::{fmt::Write as _, time::Instant};

use sqlx::{PgPool, Postgres, Transaction};

use crate::{
    Error, Persona,
    persona::{CHAIN_ID, CREATION_WINDOW_SECS, EPOCH, LABEL_CATEGORY},
};

/// Flush a COPY buffer to the server at about this size.
const CHUNK_BYTES: usize = 1 << 20;
/// The most users one call writes: ids must stay within the graph's BIGINT and the run bounded.
pub const MAX_USERS: u64 = 100_000_000;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Number of users; passports get ids `1..=users`.
    pub users: u64,
    /// The seed; the same seed and size give the same graph.
    pub seed: u64,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Rows in `passports` and in `persona_features` (one each per user).
    pub users: u64,
    /// Rows in `persona_feature_badges`.
    pub badges: u64,
    /// Rows in `persona_feature_points`.
    pub points: u64,
    /// Rows in `interest_labels` (category [`LABEL_CATEGORY`]).
    pub labels: u64,
    /// Wall time, including `VACUUM ANALYZE`.
    pub seconds: f64,
}

/// Migrates the graph and model schemas, writes `spec.users` users (passports, features, badges,
/// points and labels) into an empty graph in one
/// transaction, then runs `VACUUM ANALYZE` on the written tables.
///
/// Fails, writing nothing, when `spec.users` is 0 or above [`MAX_USERS`] or when the graph
/// already holds a passport with one of the ids.
pub async fn generate(pool: &PgPool, spec: Spec) -> Result<Summary, Error> {
    if spec.users == 0 || spec.users > MAX_USERS {
        return Err(Error::InvalidSpec(format!(
            "users must be between 1 and {MAX_USERS}, got {}",
            spec.users
        )));
    }
    let started = Instant::now();
    trex_persona_graph::migrate(pool).await?;
    trex_persona_model::migrate(pool).await?;

    let mut tx = pool.begin().await?;
    copy(
        &mut tx,
        "COPY passports (passport_id, chain_id, did, owner, created_at, created_block) FROM STDIN",
        spec,
        passport_row,
    )
    .await?;
    let users = copy(
        &mut tx,
        "COPY persona_features (passport_id, passport_created_at, defi_tx_count, nft_count, \
         cex_vip_level, cex_exchange, twitch_followers, x_followers, youtube_subscribers, \
         steam_games, total_points, badge_count) FROM STDIN",
        spec,
        features_row,
    )
    .await?;
    let badges = copy(
        &mut tx,
        "COPY persona_feature_badges (passport_id, class_id) FROM STDIN",
        spec,
        |p, out| {
            for class in &p.badges {
                let _ = writeln!(out, "{}\t{class}", p.passport_id);
            }
        },
    )
    .await?;
    let points = copy(
        &mut tx,
        "COPY persona_feature_points (passport_id, category, points) FROM STDIN",
        spec,
        |p, out| {
            for (category, points) in &p.points {
                let _ = writeln!(out, "{}\t{category}\t{points}", p.passport_id);
            }
        },
    )
    .await?;
    let labels = copy(
        &mut tx,
        "COPY interest_labels (passport_id, category, converted) FROM STDIN",
        spec,
        |p, out| {
            let converted = if p.joined_gamefi_launch { 't' } else { 'f' };
            let _ = writeln!(out, "{}\t{LABEL_CATEGORY}\t{converted}", p.passport_id);
        },
    )
    .await?;
    tx.commit().await?;

    // Fresh statistics, so that the planner sees the skew the benchmark queries depend on, and a
    // visibility map, so that the match queries' index-only scans need not visit the rows (in
    // service, autovacuum keeps both).
    sqlx::query(
        "VACUUM ANALYZE passports, persona_features, persona_feature_badges, persona_feature_points, \
         interest_labels",
    )
    .execute(pool)
    .await?;
    Ok(Summary { users, badges, points, labels, seconds: started.elapsed().as_secs_f64() })
}

/// Streams the rows `row` writes for every user into one COPY, returning the rows written.
async fn copy(
    tx: &mut Transaction<'static, Postgres>,
    statement: &'static str,
    spec: Spec,
    row: impl Fn(&Persona, &mut String),
) -> Result<u64, Error> {
    let mut sink = tx.copy_in_raw(statement).await?;
    let mut buffer = String::with_capacity(CHUNK_BYTES + 4096);
    for id in 1..=spec.users as i64 {
        row(&Persona::generate(spec.seed, id), &mut buffer);
        if buffer.len() >= CHUNK_BYTES {
            sink.send(buffer.as_bytes()).await?;
            buffer.clear();
        }
    }
    if !buffer.is_empty() {
        sink.send(buffer.as_bytes()).await?;
    }
    Ok(sink.finish().await?)
}

fn passport_row(p: &Persona, out: &mut String) {
    let id = p.passport_id;
    let _ = writeln!(
        out,
        "{id}\t{CHAIN_ID}\tdid:trex:{CHAIN_ID}:{id}\t{}\t{}\t{}",
        p.owner(),
        utc_timestamp(p.created_at),
        // One block every two seconds since the start of the creation window.
        (p.created_at - (EPOCH - CREATION_WINDOW_SECS)) / 2,
    );
}

fn features_row(p: &Persona, out: &mut String) {
    let (vip, exchange) = match p.cex {
        Some((level, exchange)) => (Some(level), Some(exchange)),
        None => (None, None),
    };
    let _ = writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        p.passport_id,
        utc_timestamp(p.created_at),
        p.defi_tx_count,
        p.nft_count,
        Nullable(vip),
        Nullable(exchange),
        Nullable(p.twitch_followers),
        Nullable(p.x_followers),
        Nullable(p.youtube_subscribers),
        Nullable(p.steam_games),
        p.total_points(),
        p.badges.len(),
    );
}

/// A COPY text field: the value, or `\N` for NULL.
struct Nullable<T>(Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for Nullable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("\\N"),
        }
    }
}

/// Unix seconds as an ISO-8601 UTC timestamp that Postgres' `timestamptz` input accepts.
fn utc_timestamp(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}+00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00+00");
        assert_eq!(utc_timestamp(EPOCH), "2026-01-01 00:00:00+00");
        assert_eq!(utc_timestamp(951_825_600 + 3_661), "2000-02-29 13:01:01+00");
    }

    #[test]
    fn features_row_writes_nulls_for_missing_accounts() {
        let persona = (1..)
            .map(|id| Persona::generate(3, id))
            .find(|p| p.cex.is_none() && p.twitch_followers.is_none())
            .expect("most users have neither");
        let mut row = String::new();
        features_row(&persona, &mut row);
        let fields: Vec<&str> = row.trim_end().split('\t').collect();
        assert_eq!(fields.len(), 12);
        assert_eq!(fields[4..7], ["\\N", "\\N", "\\N"]);
    }
}
