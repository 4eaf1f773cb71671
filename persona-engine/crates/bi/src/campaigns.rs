//! Campaigns and their funnel: audience → badge claims → on-chain conversions.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::error::{BiError, invalid, not_found};

/// A campaign: a cohort is offered badges of some classes between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Its id.
    pub id: i64,
    /// The owning project.
    pub project: String,
    /// Unique within the project.
    pub name: String,
    /// The cohort whose members form the audience.
    pub audience_cohort: i64,
    /// The badge classes (decimal uint256) whose mints count as claims.
    pub badge_class_ids: Vec<String>,
    /// Start of the campaign.
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// End of the campaign.
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
}

/// The funnel's counts. See [`campaign_funnel`] for the definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    /// Passports in the frozen audience.
    pub audience: i64,
    /// Of those, passports that claimed a campaign badge during the campaign.
    pub claimed: i64,
    /// Of those, passports credited points on chain after their claim, before the end.
    pub converted: i64,
    /// Whether the audience has been frozen yet (before that, every count is 0).
    pub audience_frozen: bool,
}

fn check_class_id(id: &str) -> Result<(), BiError> {
    let canonical = !id.is_empty()
        && id.len() <= 78
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    if canonical {
        Ok(())
    } else {
        Err(invalid("badge_class_ids", format!("`{id}` is not a decimal uint256")))
    }
}

/// Creates a campaign of `project` targeting its cohort `audience_cohort`.
pub async fn create_campaign(
    pool: &PgPool,
    project: &str,
    name: &str,
    audience_cohort: i64,
    badge_class_ids: &[String],
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
) -> Result<Campaign, BiError> {
    if badge_class_ids.is_empty() {
        return Err(invalid("badge_class_ids", "at least one badge class is required"));
    }
    for id in badge_class_ids {
        check_class_id(id)?;
    }
    if ends_at <= starts_at {
        return Err(invalid("ends_at", "the campaign must end after it starts"));
    }
    let cohort_ok: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM bi_cohorts WHERE id = $1 AND project = $2)",
    )
    .bind(audience_cohort)
    .bind(project)
    .fetch_one(pool)
    .await?;
    if !cohort_ok {
        return Err(not_found("cohort", audience_cohort));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bi_campaigns (project, name, audience_cohort, badge_class_ids, starts_at, \
         ends_at) VALUES ($1, $2, $3, $4::numeric[], $5, $6) \
         ON CONFLICT (project, name) DO NOTHING RETURNING id",
    )
    .bind(project)
    .bind(name)
    .bind(audience_cohort)
    .bind(badge_class_ids)
    .bind(starts_at)
    .bind(ends_at)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| BiError::Conflict(format!("project {project} already has campaign `{name}`")))?;
    Ok(Campaign {
        id,
        project: project.to_owned(),
        name: name.to_owned(),
        audience_cohort,
        badge_class_ids: badge_class_ids.to_vec(),
        starts_at,
        ends_at,
    })
}

type CampaignRow = (i64, String, String, i64, Vec<String>, OffsetDateTime, OffsetDateTime);

const CAMPAIGN_COLUMNS: &str = "SELECT id, project, name, audience_cohort, \
     badge_class_ids::text[], starts_at, ends_at FROM bi_campaigns";

fn campaign_from_row(
    (id, project, name, audience_cohort, badge_class_ids, starts_at, ends_at): CampaignRow,
) -> Campaign {
    Campaign { id, project, name, audience_cohort, badge_class_ids, starts_at, ends_at }
}

/// A project's campaigns, by start.
pub async fn list_campaigns(pool: &PgPool, project: &str) -> Result<Vec<Campaign>, BiError> {
    let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CAMPAIGN_COLUMNS} WHERE project = $1 ORDER BY starts_at, id"
    )))
    .bind(project)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(campaign_from_row).collect())
}

/// The audience job: every campaign that has started by `now` and has no audience yet gets the
/// members of its cohort's latest snapshot as its audience. Returns the campaigns frozen.
///
/// Freezing keeps the funnel's first stage fixed: a claim may move a passport into or out of the
/// cohort, and the funnel must still count it against the audience it was shown to.
pub async fn freeze_audiences(pool: &PgPool, now: OffsetDateTime) -> Result<Vec<i64>, BiError> {
    let frozen: Vec<i64> = sqlx::query_scalar(
        "WITH due AS (UPDATE bi_campaigns SET audience_frozen_at = $1 \
                      WHERE audience_frozen_at IS NULL AND starts_at <= $1 \
                      RETURNING id, audience_cohort), \
         ins AS (INSERT INTO bi_campaign_audience (campaign_id, passport_id) \
                 SELECT d.id, m.passport_id FROM due d \
                 JOIN bi_cohort_members m ON m.cohort_id = d.audience_cohort) \
         SELECT id FROM due ORDER BY id",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(frozen)
}

/// The funnel of one of a project's campaigns:
/// 1. **audience**: the passports of the audience cohort frozen at the start
///    ([`freeze_audiences`]);
/// 2. **claimed**: audience passports holding (in the graph's `badges_held`, so revoked or
///    reorged-out mints do not count) a badge of a campaign class minted between start and end;
/// 3. **converted**: claimed passports with a live `PointsCredited` event (`graph_chain_events`)
///    in a block later than their first claim's block time and before the end. A credit in the
///    claim's own block — e.g. the badge's own points — is not a conversion.
pub async fn campaign_funnel(
    pool: &PgPool,
    project: &str,
    campaign_id: i64,
) -> Result<Funnel, BiError> {
    let row: Option<(i64, i64, i64, bool)> = sqlx::query_as(
        "WITH c AS (SELECT * FROM bi_campaigns WHERE id = $1 AND project = $2), \
         audience AS (SELECT a.passport_id FROM bi_campaign_audience a JOIN c \
                      ON a.campaign_id = c.id), \
         claims AS (SELECT h.passport_id, min(h.since) AS first_claim FROM badges_held h \
                    JOIN audience a ON a.passport_id = h.passport_id CROSS JOIN c \
                    WHERE h.class_id = ANY (c.badge_class_ids) \
                      AND h.since >= c.starts_at AND h.since <= c.ends_at \
                    GROUP BY h.passport_id), \
         converted AS (SELECT k.passport_id FROM claims k CROSS JOIN c \
                       WHERE EXISTS (SELECT 1 FROM graph_chain_events e \
                                     WHERE e.passport_id = k.passport_id \
                                       AND e.kind = 'PointsCredited' AND e.applied AND NOT e.retracted \
                                       AND e.block_time > k.first_claim \
                                       AND e.block_time <= c.ends_at)) \
         SELECT (SELECT count(*) FROM audience), (SELECT count(*) FROM claims), \
                (SELECT count(*) FROM converted), c.audience_frozen_at IS NOT NULL FROM c",
    )
    .bind(campaign_id)
    .bind(project)
    .fetch_optional(pool)
    .await?;
    let (audience, claimed, converted, audience_frozen) =
        row.ok_or_else(|| not_found("campaign", campaign_id))?;
    Ok(Funnel { audience, claimed, converted, audience_frozen })
}
