//! Everything a project's BI page shows, loaded in one call.

use sqlx::PgPool;

use crate::{
    BiError, Campaign, Cohort, CohortSize, ExperimentResults, Funnel, campaign_funnel,
    cohort_history, experiment_events, list_campaigns, list_cohorts, list_experiments, results,
};

/// A project's cohorts, experiments and campaigns with their numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectOverview {
    /// The project.
    pub project: String,
    /// Each cohort with its sizes over time.
    pub cohorts: Vec<(Cohort, Vec<CohortSize>)>,
    /// Each experiment's results, one entry per goal event (one with no conversions when it has
    /// no events yet, so exposures and the SRM check still show).
    pub experiments: Vec<ExperimentResults>,
    /// Each campaign with its funnel.
    pub campaigns: Vec<(Campaign, Funnel)>,
}

/// Loads the overview of `project`, with `level` confidence intervals (e.g. 0.95).
pub async fn project_overview(
    pool: &PgPool,
    project: &str,
    level: f64,
) -> Result<ProjectOverview, BiError> {
    let mut cohorts = Vec::new();
    for cohort in list_cohorts(pool, project).await? {
        let history = cohort_history(pool, cohort.id).await?;
        cohorts.push((cohort, history));
    }
    let mut experiments = Vec::new();
    for experiment in list_experiments(pool, project).await? {
        let mut events = experiment_events(pool, experiment.id).await?;
        if events.is_empty() {
            events.push("conversion".to_owned());
        }
        for event in events {
            experiments.push(results(pool, &experiment, &event, level).await?);
        }
    }
    let mut campaigns = Vec::new();
    for campaign in list_campaigns(pool, project).await? {
        let funnel = campaign_funnel(pool, project, campaign.id).await?;
        campaigns.push((campaign, funnel));
    }
    Ok(ProjectOverview { project: project.to_owned(), cohorts, experiments, campaigns })
}
