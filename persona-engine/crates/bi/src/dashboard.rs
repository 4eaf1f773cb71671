//! A passport's own view of its data, and its export and deletion of off-chain data.

use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;

use crate::error::{BiError, not_found};

/// What a user sees about their own passport.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// The passport.
    pub passport_id: i64,
    /// Held badge classes (decimal uint256), ascending.
    pub badges: Vec<String>,
    /// Points by category label, largest first.
    pub points: Vec<(String, i64)>,
    /// The persona features (name → value; `null` when no such account is proven).
    pub features: Vec<(&'static str, Option<i64>)>,
    /// Predicted interest per category, 0–1, largest first.
    pub interests: Vec<(String, f32)>,
    /// The saved cohorts it was a member of at their latest snapshot: (project, cohort name).
    pub cohorts: Vec<(String, String)>,
}

/// Feature columns of `persona_features` shown on the dashboard, with their labels.
const FEATURES: &[(&str, &str)] = &[
    ("DeFi transactions", "defi_tx_count"),
    ("NFTs", "nft_count"),
    ("CEX VIP level", "cex_vip_level::bigint"),
    ("Twitch followers", "twitch_followers"),
    ("X followers", "x_followers"),
    ("YouTube subscribers", "youtube_subscribers"),
    ("Steam games", "steam_games::bigint"),
    ("Total points", "total_points"),
    ("Badges", "badge_count::bigint"),
];

/// The dashboard of `passport_id`; [`BiError::NotFound`] when the graph has no such passport.
pub async fn dashboard(pool: &PgPool, passport_id: i64) -> Result<Dashboard, BiError> {
    let columns: Vec<&str> = FEATURES.iter().map(|(_, sql)| *sql).collect();
    // The column list is the constant above; only the id is bound.
    let sql = format!(
        "SELECT ARRAY[{}] FROM persona_features WHERE passport_id = $1",
        columns.join(", ")
    );
    let values: Option<Vec<Option<i64>>> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(passport_id).fetch_optional(pool).await?;
    let values = values.ok_or_else(|| not_found("passport", passport_id))?;
    let features = FEATURES.iter().map(|(label, _)| *label).zip(values).collect();
    let badges: Vec<String> = sqlx::query_scalar(
        "SELECT class_id::text FROM persona_feature_badges WHERE passport_id = $1 ORDER BY class_id",
    )
    .bind(passport_id)
    .fetch_all(pool)
    .await?;
    let points: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, points FROM persona_feature_points WHERE passport_id = $1 \
         ORDER BY points DESC, category",
    )
    .bind(passport_id)
    .fetch_all(pool)
    .await?;
    let interests: Vec<(String, f32)> = sqlx::query_as(
        "SELECT category, score FROM persona_interest WHERE passport_id = $1 \
         ORDER BY score DESC, category",
    )
    .bind(passport_id)
    .fetch_all(pool)
    .await?;
    let cohorts: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.project, c.name FROM bi_cohort_members m JOIN bi_cohorts c ON c.id = m.cohort_id \
         WHERE m.passport_id = $1 ORDER BY c.project, c.name",
    )
    .bind(passport_id)
    .fetch_all(pool)
    .await?;
    Ok(Dashboard { passport_id, badges, points, features, interests, cohorts })
}

/// Everything off-chain the engine holds about a passport, as handed to its owner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffchainExport {
    /// The passport.
    pub passport_id: i64,
    /// When the export was made.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    /// The validator facts (`persona_data_points`), one JSON object per fact.
    pub data_points: Vec<serde_json::Value>,
    /// Experiment exposures and conversions.
    pub experiments: Vec<serde_json::Value>,
    /// Cohort memberships at the latest snapshots.
    pub cohorts: Vec<serde_json::Value>,
    /// Campaign audiences it was part of.
    pub campaigns: Vec<serde_json::Value>,
}

/// Exports the passport's off-chain data: the validator facts of the graph and every BI row.
/// On-chain data (badges, points, links) is public on chain and not part of it.
pub async fn export_offchain(pool: &PgPool, passport_id: i64) -> Result<OffchainExport, BiError> {
    let rows = |sql: &'static str| async move {
        sqlx::query_scalar::<_, serde_json::Value>(sql).bind(passport_id).fetch_all(pool).await
    };
    let data_points = rows(
        "SELECT to_jsonb(d) - 'passport_id' FROM persona_data_points d WHERE passport_id = $1 \
         ORDER BY observed_at, result_id, fact_index",
    )
    .await?;
    let experiments = rows(
        "SELECT jsonb_build_object('project', e.project, 'experiment', e.key, \
                'arm', e.arm_names[a.arm + 1], 'exposedAt', a.exposed_at, \
                'conversions', COALESCE((SELECT jsonb_agg(jsonb_build_object('event', c.event, \
                    'at', c.at) ORDER BY c.at) FROM bi_conversions c \
                    WHERE c.experiment_id = a.experiment_id AND c.passport_id = a.passport_id), \
                    '[]'::jsonb)) \
         FROM bi_assignments a JOIN bi_experiments e ON e.id = a.experiment_id \
         WHERE a.passport_id = $1 ORDER BY e.project, e.key",
    )
    .await?;
    let cohorts = rows(
        "SELECT jsonb_build_object('project', c.project, 'cohort', c.name) \
         FROM bi_cohort_members m JOIN bi_cohorts c ON c.id = m.cohort_id \
         WHERE m.passport_id = $1 ORDER BY c.project, c.name",
    )
    .await?;
    let campaigns = rows(
        "SELECT jsonb_build_object('project', c.project, 'campaign', c.name) \
         FROM bi_campaign_audience a JOIN bi_campaigns c ON c.id = a.campaign_id \
         WHERE a.passport_id = $1 ORDER BY c.project, c.name",
    )
    .await?;
    Ok(OffchainExport {
        passport_id,
        exported_at: OffsetDateTime::now_utc(),
        data_points,
        experiments,
        cohorts,
        campaigns,
    })
}

/// Deletes the BI rows naming `passport_id` (exposures, conversions, cohort memberships,
/// campaign audiences) inside `tx`; returns how many rows went.
///
/// The next cohort snapshot recomputes memberships from what remains in the graph, so deleting
/// derived rows is not a promise that the passport never matches again — only that what was
/// recorded about it off-chain is gone.
pub async fn delete_bi_rows(
    tx: &mut Transaction<'_, Postgres>,
    passport_id: i64,
) -> Result<u64, BiError> {
    let mut deleted = 0;
    // Conversions first: they reference assignments.
    for table in ["bi_conversions", "bi_assignments", "bi_cohort_members", "bi_campaign_audience"] {
        deleted +=
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE passport_id = $1")))
                .bind(passport_id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
    }
    Ok(deleted)
}

/// Deletes a passport's off-chain data: its BI rows ([`delete_bi_rows`], one transaction), the
/// raw validator results the gateway stored (ids kept so a re-post is not stored again), then
/// its validator facts in the graph (`trex_persona_graph::delete_offchain`, which re-derives its
/// features). Returns the rows deleted. Idempotent: after a crash between the two steps, calling
/// it again finishes the job.
pub async fn delete_passport_data(pool: &PgPool, passport_id: i64) -> Result<u64, BiError> {
    let graph_id = u64::try_from(passport_id)
        .map_err(|_| crate::error::invalid("passport_id", format!("{passport_id} is negative")))?;
    let mut tx = pool.begin().await?;
    let bi = delete_bi_rows(&mut tx, passport_id).await?;
    tx.commit().await?;
    let raw = trex_persona_ingest::ValidatorResultStore::new(pool.clone())
        .delete_passport(graph_id)
        .await?;
    let facts = trex_persona_graph::delete_offchain(pool, graph_id).await?;
    Ok(bi + raw + facts)
}
