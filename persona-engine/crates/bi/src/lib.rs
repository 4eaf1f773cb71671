#![doc = include_str!("../README.md")]

mod campaigns;
mod cohorts;
mod dashboard;
mod error;
mod experiments;
mod overview;
pub mod pages;
mod sessions;
pub mod stats;

pub use campaigns::{
    Campaign, Funnel, campaign_funnel, create_campaign, freeze_audiences, list_campaigns,
};
pub use cohorts::{
    Cohort, CohortSize, cohort_history, cohort_members, create_cohort, get_cohort, list_cohorts,
    snapshot_cohorts,
};
pub use dashboard::{
    Dashboard, OffchainExport, dashboard, delete_bi_rows, delete_passport_data, export_offchain,
};
pub use error::BiError;
pub use experiments::{
    Arm, ArmResult, Experiment, ExperimentResults, ExperimentStatus, assigned_arm,
    create_experiment, experiment_events, expose, get_experiment, list_experiments,
    record_conversion, results, set_status,
};
pub use overview::{ProjectOverview, project_overview};
pub use sessions::{
    Principal, Session, consume_nonce, create_session, end_session, find_session, store_nonce,
};

/// The BI tables (`bi_*`), versions 50001...
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the BI migrations; several crates share `_sqlx_migrations`, so versions of the others
/// are ignored. The graph's migrations must have run first: the funnel and the dashboard read
/// its tables.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), BiError> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}
