//! A/B experiments: deterministic assignment recorded on first exposure, conversions, results.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::{
    error::{BiError, invalid, not_found},
    stats::{
        Proportion, SRM_ALPHA, Split, SrmCheck, ZTest, sample_ratio_mismatch, two_proportion_z_test,
    },
};

/// An experiment's lifecycle: units are exposed and convert only while it is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentStatus {
    /// Created, not yet exposing units.
    Draft,
    /// Exposing units and recording conversions.
    Running,
    /// Finished; results are final.
    Stopped,
}

impl ExperimentStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Running => "running",
            Self::Stopped => "stopped",
        }
    }

    fn parse(s: &str) -> Result<Self, BiError> {
        match s {
            "draft" => Ok(Self::Draft),
            "running" => Ok(Self::Running),
            "stopped" => Ok(Self::Stopped),
            other => Err(invalid("status", format!("unknown status `{other}`"))),
        }
    }
}

/// One arm of an experiment; the first arm is the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// Its name, unique within the experiment.
    pub name: String,
    /// Its relative weight, finite and > 0.
    pub weight: f64,
}

/// An A/B experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Its id.
    pub id: i64,
    /// The owning project.
    pub project: String,
    /// Unique within the project; also the assignment salt.
    pub key: String,
    /// The arms, control first.
    pub arms: Vec<Arm>,
    /// Its lifecycle state.
    pub status: ExperimentStatus,
}

impl Experiment {
    fn split(&self) -> Result<Split, BiError> {
        Ok(Split::new(&self.weights())?)
    }

    fn weights(&self) -> Vec<f64> {
        self.arms.iter().map(|a| a.weight).collect()
    }

    /// The salt of the assignment hash: project and key, so equal keys of two projects split
    /// their units independently.
    fn salt(&self) -> String {
        format!("{}/{}", self.project, self.key)
    }
}

/// The arm `passport_id` gets in `experiment`: [`Split::assign`] of the decimal passport id,
/// salted with `project/key`. Pure, so any service computes the same arm.
pub fn assigned_arm(experiment: &Experiment, passport_id: i64) -> Result<usize, BiError> {
    Ok(experiment.split()?.assign(&experiment.salt(), passport_id.to_string().as_bytes()))
}

/// Creates an experiment in [`ExperimentStatus::Draft`].
pub async fn create_experiment(
    pool: &PgPool,
    project: &str,
    key: &str,
    arms: &[Arm],
) -> Result<Experiment, BiError> {
    let names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(invalid("arms", "an arm name is empty"));
    }
    if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        return Err(invalid("arms", "arm names must be unique"));
    }
    let weights: Vec<f64> = arms.iter().map(|a| a.weight).collect();
    Split::new(&weights)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bi_experiments (project, key, arm_names, arm_weights) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project, key) DO NOTHING RETURNING id",
    )
    .bind(project)
    .bind(key)
    .bind(&names)
    .bind(&weights)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| {
        BiError::Conflict(format!("project {project} already has experiment `{key}`"))
    })?;
    Ok(Experiment {
        id,
        project: project.to_owned(),
        key: key.to_owned(),
        arms: arms.to_vec(),
        status: ExperimentStatus::Draft,
    })
}

type ExperimentRow = (i64, String, String, Vec<String>, Vec<f64>, String);

const EXPERIMENT_COLUMNS: &str =
    "SELECT id, project, key, arm_names, arm_weights, status FROM bi_experiments";

fn experiment_from_row(
    (id, project, key, names, weights, status): ExperimentRow,
) -> Result<Experiment, BiError> {
    let arms = names.into_iter().zip(weights).map(|(name, weight)| Arm { name, weight }).collect();
    Ok(Experiment { id, project, key, arms, status: ExperimentStatus::parse(&status)? })
}

/// One of a project's experiments.
pub async fn get_experiment(pool: &PgPool, project: &str, id: i64) -> Result<Experiment, BiError> {
    let row: Option<ExperimentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{EXPERIMENT_COLUMNS} WHERE project = $1 AND id = $2"
    )))
    .bind(project)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    experiment_from_row(row.ok_or_else(|| not_found("experiment", id))?)
}

/// A project's experiments, by key.
pub async fn list_experiments(pool: &PgPool, project: &str) -> Result<Vec<Experiment>, BiError> {
    let rows: Vec<ExperimentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{EXPERIMENT_COLUMNS} WHERE project = $1 ORDER BY key"
    )))
    .bind(project)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(experiment_from_row).collect()
}

/// Moves an experiment forward: draft → running → stopped (never back, so results stay final).
pub async fn set_status(
    pool: &PgPool,
    experiment: &Experiment,
    status: ExperimentStatus,
) -> Result<(), BiError> {
    let from = match status {
        ExperimentStatus::Draft => {
            return Err(invalid("status", "an experiment cannot go back to draft"));
        }
        ExperimentStatus::Running => ExperimentStatus::Draft,
        ExperimentStatus::Stopped => ExperimentStatus::Running,
    };
    let updated =
        sqlx::query("UPDATE bi_experiments SET status = $1 WHERE id = $2 AND status = $3")
            .bind(status.as_str())
            .bind(experiment.id)
            .bind(from.as_str())
            .execute(pool)
            .await?
            .rows_affected();
    if updated == 1 {
        Ok(())
    } else {
        Err(BiError::Conflict(format!(
            "experiment `{}` is not {}; it cannot become {}",
            experiment.key,
            from.as_str(),
            status.as_str()
        )))
    }
}

/// Exposes `passport_id` to a running experiment and returns its arm index. The first exposure
/// records the assignment; later ones return the recorded arm.
pub async fn expose(
    pool: &PgPool,
    experiment: &Experiment,
    passport_id: i64,
) -> Result<usize, BiError> {
    let arm = assigned_arm(experiment, passport_id)?;
    // The status is checked in the statement so an exposure never lands after a stop; the no-op
    // update makes a repeated (or concurrent) first exposure return the recorded arm.
    let recorded: Option<i32> = sqlx::query_scalar(
        "INSERT INTO bi_assignments (experiment_id, passport_id, arm) \
         SELECT id, $2, $3 FROM bi_experiments WHERE id = $1 AND status = 'running' \
         ON CONFLICT (experiment_id, passport_id) DO UPDATE SET arm = bi_assignments.arm \
         RETURNING arm",
    )
    .bind(experiment.id)
    .bind(passport_id)
    .bind(arm as i32)
    .fetch_optional(pool)
    .await?;
    let recorded = recorded.ok_or_else(|| {
        BiError::Conflict(format!("experiment `{}` is not running", experiment.key))
    })?;
    Ok(recorded as usize)
}

/// Records that an exposed passport reached `event`. Returns false when it had already
/// converted on that event (only the first conversion counts).
pub async fn record_conversion(
    pool: &PgPool,
    experiment: &Experiment,
    passport_id: i64,
    event: &str,
) -> Result<bool, BiError> {
    if event.is_empty() {
        return Err(invalid("event", "empty event name"));
    }
    let outcome: Option<bool> = sqlx::query_scalar(
        "WITH unit AS (SELECT a.experiment_id, a.passport_id FROM bi_assignments a \
                       JOIN bi_experiments e ON e.id = a.experiment_id \
                       WHERE a.experiment_id = $1 AND a.passport_id = $2 AND e.status = 'running'), \
         ins AS (INSERT INTO bi_conversions (experiment_id, passport_id, event) \
                 SELECT experiment_id, passport_id, $3 FROM unit ON CONFLICT DO NOTHING RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM ins) FROM unit",
    )
    .bind(experiment.id)
    .bind(passport_id)
    .bind(event)
    .fetch_optional(pool)
    .await?;
    outcome.ok_or_else(|| {
        BiError::Conflict(format!(
            "passport {passport_id} was not exposed to running experiment `{}`",
            experiment.key
        ))
    })
}

/// One arm's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmResult {
    /// The arm.
    pub arm: Arm,
    /// Passports exposed.
    pub units: u64,
    /// Of those, passports that converted on the event.
    pub conversions: u64,
    /// The z-test of this arm against the control (arm 0); `None` for the control itself or
    /// when either arm has no units yet.
    #[serde(skip)]
    pub vs_control: Option<ZTest>,
}

/// An experiment's results for one goal event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentResults {
    /// The experiment.
    pub experiment: Experiment,
    /// The goal event.
    pub event: String,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Per arm, control first.
    pub arms: Vec<ArmResult>,
    /// The sample-ratio-mismatch check of the exposed counts; `None` before any exposure.
    #[serde(skip)]
    pub srm: Option<SrmCheck>,
    /// Whether the SRM check fails at [`SRM_ALPHA`]: the split is broken and the test results
    /// must not be trusted.
    pub srm_mismatch: bool,
}

/// Per-arm conversion rates for `event`, each treatment's z-test against the control with a
/// `level` interval, and the SRM check.
pub async fn results(
    pool: &PgPool,
    experiment: &Experiment,
    event: &str,
    level: f64,
) -> Result<ExperimentResults, BiError> {
    let rows: Vec<(i32, i64, i64)> = sqlx::query_as(
        "SELECT a.arm, count(*), count(c.passport_id) FROM bi_assignments a \
         LEFT JOIN bi_conversions c ON c.experiment_id = a.experiment_id \
           AND c.passport_id = a.passport_id AND c.event = $2 \
         WHERE a.experiment_id = $1 GROUP BY a.arm",
    )
    .bind(experiment.id)
    .bind(event)
    .fetch_all(pool)
    .await?;
    let mut counts = vec![(0u64, 0u64); experiment.arms.len()];
    for (arm, units, conversions) in rows {
        let slot = counts
            .get_mut(arm as usize)
            .ok_or_else(|| invalid("stored assignment", format!("arm {arm} does not exist")))?;
        *slot = (units as u64, conversions as u64);
    }
    let control = Proportion::new(counts[0].1, counts[0].0);
    let mut arms = Vec::with_capacity(counts.len());
    for (i, (arm, &(units, conversions))) in experiment.arms.iter().zip(&counts).enumerate() {
        let vs_control = if i == 0 || units == 0 || control.trials == 0 {
            None
        } else {
            Some(two_proportion_z_test(control, Proportion::new(conversions, units), level)?)
        };
        arms.push(ArmResult { arm: arm.clone(), units, conversions, vs_control });
    }
    let observed: Vec<u64> = counts.iter().map(|c| c.0).collect();
    let srm = if observed.iter().any(|&n| n > 0) {
        Some(sample_ratio_mismatch(&observed, &experiment.weights())?)
    } else {
        None
    };
    Ok(ExperimentResults {
        experiment: experiment.clone(),
        event: event.to_owned(),
        level,
        arms,
        srm_mismatch: srm.is_some_and(|s| s.is_mismatch(SRM_ALPHA)),
        srm,
    })
}

/// The goal events recorded for an experiment, by name.
pub async fn experiment_events(pool: &PgPool, experiment_id: i64) -> Result<Vec<String>, BiError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT event FROM bi_conversions WHERE experiment_id = $1 ORDER BY event",
    )
    .bind(experiment_id)
    .fetch_all(pool)
    .await?)
}
