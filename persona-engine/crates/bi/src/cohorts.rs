//! Saved cohorts: a match request's filter and criteria with a minimum PMS, snapshotted over time.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use trex_persona_query::{MAX_LIMIT, MatchRequest};

use crate::error::{BiError, invalid, not_found};

/// A saved cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// Its id.
    pub id: i64,
    /// The owning project.
    pub project: String,
    /// Unique within the project.
    pub name: String,
    /// The filter and weighted criteria (no limit, no cursor).
    pub definition: MatchRequest,
    /// Members have a PMS of at least this, 0–100.
    pub min_pms: f64,
}

/// A cohort's size at one snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortSize {
    /// When the snapshot was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    /// How many passports were members.
    pub size: i64,
}

/// Saves a cohort after checking that its definition compiles.
pub async fn create_cohort(
    pool: &PgPool,
    project: &str,
    name: &str,
    definition: &MatchRequest,
    min_pms: f64,
) -> Result<Cohort, BiError> {
    if definition.limit.is_some() || definition.cursor.is_some() {
        return Err(invalid("definition", "a cohort has no limit or cursor"));
    }
    if !(0.0..=100.0).contains(&min_pms) {
        return Err(invalid("min_pms", format!("{min_pms} is not in 0..=100")));
    }
    trex_persona_query::compile(definition).map_err(|e| BiError::Query(e.to_string()))?;
    let json =
        serde_json::to_value(definition).map_err(|e| invalid("definition", e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bi_cohorts (project, name, definition, min_pms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project, name) DO NOTHING RETURNING id",
    )
    .bind(project)
    .bind(name)
    .bind(&json)
    .bind(min_pms)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| BiError::Conflict(format!("project {project} already has a cohort `{name}`")))?;
    Ok(Cohort {
        id,
        project: project.to_owned(),
        name: name.to_owned(),
        definition: definition.clone(),
        min_pms,
    })
}

type CohortRow = (i64, String, String, serde_json::Value, f64);

fn cohort_from_row((id, project, name, definition, min_pms): CohortRow) -> Result<Cohort, BiError> {
    let definition = serde_json::from_value(definition)
        .map_err(|e| invalid("stored cohort definition", e.to_string()))?;
    Ok(Cohort { id, project, name, definition, min_pms })
}

const COHORT_COLUMNS: &str = "SELECT id, project, name, definition, min_pms FROM bi_cohorts";

/// A project's cohorts, by name.
pub async fn list_cohorts(pool: &PgPool, project: &str) -> Result<Vec<Cohort>, BiError> {
    let rows: Vec<CohortRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COHORT_COLUMNS} WHERE project = $1 ORDER BY name"
    )))
    .bind(project)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(cohort_from_row).collect()
}

/// One of a project's cohorts.
pub async fn get_cohort(pool: &PgPool, project: &str, id: i64) -> Result<Cohort, BiError> {
    let row: Option<CohortRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COHORT_COLUMNS} WHERE project = $1 AND id = $2"
    )))
    .bind(project)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    cohort_from_row(row.ok_or_else(|| not_found("cohort", id))?)
}

/// The passports of `cohort` now: every passport passing the filter with PMS ≥ `min_pms`.
///
/// Walks the ranking page by page (best first) and stops at the first PMS below the minimum,
/// so it reads only as far as the cohort reaches.
pub async fn cohort_members(pool: &PgPool, cohort: &Cohort) -> Result<Vec<i64>, BiError> {
    let mut request = cohort.definition.clone();
    request.limit = Some(MAX_LIMIT);
    let mut members = Vec::new();
    loop {
        let page = trex_persona_query::run(pool, &request)
            .await
            .map_err(|e| BiError::Query(e.to_string()))?;
        let full = page.next_cursor.is_some();
        for m in page.matches {
            if m.pms < cohort.min_pms {
                return Ok(members);
            }
            members.push(m.passport_id);
        }
        if !full {
            return Ok(members);
        }
        request.cursor = page.next_cursor;
    }
}

/// The snapshot job: records every cohort's size at `taken_at` and replaces its member list
/// (each cohort in one transaction). Returns `(cohort id, size)` per cohort.
///
/// Running it twice with the same `taken_at` keeps the first snapshot.
pub async fn snapshot_cohorts(
    pool: &PgPool,
    taken_at: OffsetDateTime,
) -> Result<Vec<(i64, i64)>, BiError> {
    let rows: Vec<CohortRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{COHORT_COLUMNS} ORDER BY id")))
            .fetch_all(pool)
            .await?;
    let mut sizes = Vec::with_capacity(rows.len());
    for row in rows {
        let cohort = cohort_from_row(row)?;
        let members = cohort_members(pool, &cohort).await?;
        let size = members.len() as i64;
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM bi_cohort_members WHERE cohort_id = $1")
            .bind(cohort.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO bi_cohort_members (cohort_id, passport_id) \
             SELECT $1, unnest($2::bigint[])",
        )
        .bind(cohort.id)
        .bind(&members)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO bi_cohort_snapshots (cohort_id, taken_at, size) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(cohort.id)
        .bind(taken_at)
        .bind(size)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        sizes.push((cohort.id, size));
    }
    Ok(sizes)
}

/// A cohort's sizes over time, oldest first.
pub async fn cohort_history(pool: &PgPool, cohort_id: i64) -> Result<Vec<CohortSize>, BiError> {
    let rows: Vec<(OffsetDateTime, i64)> = sqlx::query_as(
        "SELECT taken_at, size FROM bi_cohort_snapshots WHERE cohort_id = $1 ORDER BY taken_at",
    )
    .bind(cohort_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(taken_at, size)| CohortSize { taken_at, size }).collect())
}
