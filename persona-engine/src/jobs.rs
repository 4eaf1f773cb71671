//! The scheduled jobs `serve` runs beside the API: retraining the interest model of every
//! labelled category, and pruning the Postgres bus. A failed round is logged and counted, then
//! retried next period; it never stops the engine.

use std::{future::Future, time::Duration};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use trex_persona_model::ModelReport;
use trex_persona_pipeline::PgBus;

use crate::{Metrics, PersonaError};

/// Key of the session advisory lock a retraining round holds, so that of several engines on one
/// database only one trains at a time (the others skip the round).
pub const RETRAIN_LOCK: i64 = 0x7472_6578_6d6f_646c;

/// How often the Postgres bus is pruned.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// Settings of the scheduled jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsConfig {
    /// How often every category with labels gets a new interest model; `None` disables
    /// retraining, the one at start included.
    pub retrain_interval: Option<Duration>,
    /// How long the Postgres bus keeps messages every group acknowledged (its dedupe window).
    pub bus_retention: Duration,
}

/// What a retraining round did.
#[derive(Debug)]
pub enum Retrain {
    /// Another instance held [`RETRAIN_LOCK`]: nothing was trained.
    Busy,
    /// The categories that were due, by name, each with its new model or why training failed.
    Trained(Vec<(String, Result<ModelReport, PersonaError>)>),
}

/// Runs the jobs until `shutdown` (and only then returns): a retraining round at start and every
/// `config.retrain_interval`, and, when the bus is Postgres (`bus`), pruning at start and every
/// [`PRUNE_INTERVAL`].
///
/// A round retrains only the categories whose newest model is older than half the interval (or
/// that have none): a restarted engine, or a second one whose rounds fall elsewhere in the
/// period, does not retrain more often than the interval.
pub async fn run(
    pool: PgPool,
    bus: Option<PgBus>,
    config: JobsConfig,
    metrics: Metrics,
    shutdown: CancellationToken,
) {
    let retraining = async {
        let Some(interval) = config.retrain_interval else { return };
        every(interval, &shutdown, || async {
            if let Err(err) = retrain(&pool, &metrics, interval / 2).await {
                metrics.job_runs.with_label_values(&["retrain", "failed"]).inc();
                error!(target: "persona", %err, "retraining round failed; retrying next interval");
            }
        })
        .await;
    };
    let pruning = async {
        let Some(bus) = &bus else { return };
        every(PRUNE_INTERVAL, &shutdown, || async {
            if let Err(err) = prune_bus(bus, config.bus_retention, &metrics).await {
                error!(target: "persona", %err, "pruning the bus failed; retrying next interval");
            }
        })
        .await;
    };
    // One task: training runs on a blocking thread, so a long fit does not hold pruning back.
    tokio::join!(retraining, pruning);
    // With both jobs disabled the loops end at once; `serve` stops when any task ends.
    shutdown.cancelled().await;
}

/// Runs `round` now and then every `period` after the previous one ended, until `shutdown`
/// (which also abandons a round in progress).
async fn every<F: Future<Output = ()>>(
    period: Duration,
    shutdown: &CancellationToken,
    mut round: impl FnMut() -> F,
) {
    loop {
        tokio::select! {
            () = round() => {}
            () = shutdown.cancelled() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// One retraining round: unless another instance holds [`RETRAIN_LOCK`], trains a new model for
/// every category of `interest_labels` whose newest model is older than `stale_after` (or that
/// has none), logs and records each evaluation in `metrics`. A category that fails (e.g. not
/// enough labels) does not stop the others.
pub async fn retrain(
    pool: &PgPool,
    metrics: &Metrics,
    stale_after: Duration,
) -> Result<Retrain, PersonaError> {
    let mut lock = pool.acquire().await?;
    // A session lock lives as long as its connection: closing the connection instead of
    // returning it to the pool releases the lock however this round ends, even dropped midway.
    lock.close_on_drop();
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(RETRAIN_LOCK)
        .fetch_one(&mut *lock)
        .await?;
    if !locked {
        metrics.job_runs.with_label_values(&["retrain", "busy"]).inc();
        info!(target: "persona", "another instance is training the interest models; skipped");
        return Ok(Retrain::Busy);
    }
    // Read under the lock, so a round right after another instance's sees the models it wrote.
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT l.category FROM (SELECT DISTINCT category FROM interest_labels) l \
         WHERE NOT EXISTS (SELECT 1 FROM interest_models m WHERE m.category = l.category \
           AND m.trained_at > now() - make_interval(secs => $1)) \
         ORDER BY 1",
    )
    .bind(stale_after.as_secs_f64())
    .fetch_all(&mut *lock)
    .await?;

    let mut outcomes = Vec::with_capacity(due.len());
    for category in due {
        let started = std::time::Instant::now();
        let result = train_off_runtime(pool, &category).await;
        match &result {
            Ok(report) => {
                metrics.job_runs.with_label_values(&["retrain", "ok"]).inc();
                metrics.model.with_label_values(&[category.as_str(), "auc"]).set(report.auc);
                metrics
                    .model
                    .with_label_values(&[category.as_str(), "precision_at_k"])
                    .set(report.precision_at_k);
                info!(
                    target: "persona", %category, model_version = report.model_version,
                    auc = report.auc, precision_at_k = report.precision_at_k, k = report.k,
                    base_rate = report.base_rate, n_train = report.n_train,
                    n_test = report.n_test, n_scored = report.n_scored,
                    seconds = started.elapsed().as_secs_f64(), "interest model retrained"
                );
            }
            Err(err) => {
                metrics.job_runs.with_label_values(&["retrain", "failed"]).inc();
                warn!(
                    target: "persona", %category, %err,
                    "retraining the interest model failed; retrying next interval"
                );
            }
        }
        outcomes.push((category, result));
    }
    // Unlocked explicitly: closing the connection releases the lock only once the server has
    // ended the session, after this returns, and a round right after this one would find it
    // still held.
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(RETRAIN_LOCK).execute(&mut *lock).await?;
    lock.close().await?;
    Ok(Retrain::Trained(outcomes))
}

/// Trains `category` on a blocking thread: [`trex_persona_model::train`] fits the model inside
/// its future, which would otherwise hold a runtime worker, and every task queued on it, for the
/// whole fit.
async fn train_off_runtime(pool: &PgPool, category: &str) -> Result<ModelReport, PersonaError> {
    let failed = |err: &dyn std::fmt::Display| PersonaError::Task {
        task: "interest model training",
        message: err.to_string(),
    };
    let (runtime, pool, category) =
        (tokio::runtime::Handle::current(), pool.clone(), category.to_owned());
    tokio::task::spawn_blocking(move || {
        runtime.block_on(trex_persona_model::train(&pool, &category))
    })
    .await
    .map_err(|err| failed(&err))?
    .map_err(|err| failed(&err))
}

/// Deletes the Postgres bus's messages that every group acknowledged and that are older than
/// `retention`; returns how many, also added to [`Metrics::bus_pruned`].
pub async fn prune_bus(
    bus: &PgBus,
    retention: Duration,
    metrics: &Metrics,
) -> Result<u64, PersonaError> {
    match bus.prune(retention).await {
        Ok(deleted) => {
            metrics.job_runs.with_label_values(&["bus_prune", "ok"]).inc();
            metrics.bus_pruned.inc_by(deleted);
            if deleted > 0 {
                info!(target: "persona", deleted, "pruned delivered bus messages");
            } else {
                debug!(target: "persona", "no bus messages to prune");
            }
            Ok(deleted)
        }
        Err(err) => {
            metrics.job_runs.with_label_values(&["bus_prune", "failed"]).inc();
            Err(PersonaError::Task { task: "bus pruning", message: err.to_string() })
        }
    }
}
