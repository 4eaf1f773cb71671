//! The training job: features and labels from the graph, a deterministic held-out split, a fit,
//! an evaluation, and scores for every passport.

use linfa::{Dataset, traits::Fit};
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, Axis};
use sqlx::PgPool;

use crate::{Error, features::Features, metrics};

/// How a model is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// The interest category, e.g. `"gamefi"`: labels are `interest_labels` rows of it, scores go
    /// to `persona_interest` rows of it (what `interest("gamefi")` reads).
    pub category: String,
    /// Percentage of labelled passports held out for evaluation, 1..=90. Which ones is a function
    /// of the passport id alone, so a retrain on grown data keeps the old test passports.
    pub test_percent: u8,
    /// The k of precision@k on the held-out split (capped at its size).
    pub k: usize,
    /// L2 regularisation strength.
    pub alpha: f64,
    /// Optimiser (L-BFGS) iterations.
    pub max_iterations: u64,
}

impl TrainConfig {
    /// The defaults: 20 % held out, k = 100, alpha = 1, 100 iterations.
    pub fn new(category: impl Into<String>) -> Self {
        Self {
            category: category.into(),
            test_percent: 20,
            k: 100,
            alpha: 1.0,
            max_iterations: 100,
        }
    }
}

/// The outcome of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelReport {
    /// The category.
    pub category: String,
    /// `interest_models.id`, written as `persona_interest.model_version`.
    pub model_version: i64,
    /// ROC AUC on the held-out split.
    pub auc: f64,
    /// Share of converted passports among the k best-scored held-out passports.
    pub precision_at_k: f64,
    /// The k actually used.
    pub k: usize,
    /// Share of converted passports in the held-out split (the precision of a random pick).
    pub base_rate: f64,
    /// Labelled passports trained on.
    pub n_train: usize,
    /// Labelled passports evaluated on.
    pub n_test: usize,
    /// Passports scored (every passport with a features row).
    pub n_scored: usize,
}

/// Trains the `category` model with the default [`TrainConfig`]. See [`train_with`].
pub async fn train(pool: &PgPool, category: &str) -> Result<ModelReport, Error> {
    train_with(pool, &TrainConfig::new(category)).await
}

/// Trains a logistic regression on the labelled passports of `config.category`, evaluates it on
/// the held-out split, records it in `interest_models` and replaces that category's
/// `persona_interest` rows with a score for every passport, in one transaction.
///
/// Retraining is running this again: the new model replaces the old one's scores atomically.
pub async fn train_with(pool: &PgPool, config: &TrainConfig) -> Result<ModelReport, Error> {
    let category = config.category.as_str();
    if category.is_empty() || category.chars().count() > 64 {
        return Err(Error::InvalidCategory(category.to_string()));
    }
    if !(1..=90).contains(&config.test_percent) || config.k == 0 {
        return Err(Error::InvalidConfig(format!(
            "test_percent must be 1..=90 and k > 0, got {} and {}",
            config.test_percent, config.k
        )));
    }
    if !(config.alpha.is_finite() && config.alpha >= 0.0) || config.max_iterations == 0 {
        return Err(Error::InvalidConfig(format!(
            "alpha must be finite and >= 0 and max_iterations > 0, got {} and {}",
            config.alpha, config.max_iterations
        )));
    }

    let features = Features::load(pool).await?;
    let labels: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT passport_id, converted FROM interest_labels WHERE category = $1 \
         ORDER BY passport_id",
    )
    .bind(category)
    .fetch_all(pool)
    .await?;

    let (mut train_rows, mut train_y, mut test_rows, mut test_y) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, converted) in labels {
        // Labels of passports without features (not projected yet) cannot be used.
        let Ok(row) = features.passport_ids.binary_search(&id) else { continue };
        if held_out(id, config.test_percent) {
            test_rows.push(row);
            test_y.push(converted);
        } else {
            train_rows.push(row);
            train_y.push(converted);
        }
    }
    for (split, y) in [("training", &train_y), ("held-out", &test_y)] {
        if !(y.contains(&true) && y.contains(&false)) {
            return Err(Error::NotEnoughLabels {
                category: category.to_string(),
                reason: format!("the {split} split needs converted and unconverted passports"),
            });
        }
    }

    let x_train = features.matrix.select(Axis(0), &train_rows);
    let (mean, std) = standardisation(&x_train);
    let standardise = |x: Array2<f64>| (x - &mean) / &std;
    let dataset = Dataset::new(standardise(x_train), Array1::from(train_y));
    let fitted = LogisticRegression::default()
        .alpha(config.alpha)
        .max_iterations(config.max_iterations)
        .fit(&dataset)
        .map_err(|e| Error::Fit(e.to_string()))?;

    // linfa's "positive" class is the more frequent one, usually "not converted": orient the
    // probabilities and parameters towards "converted".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut scores = fitted.predict_probabilities(&standardise(features.matrix.clone()));
    if sign < 0.0 {
        scores.mapv_inplace(|p| 1.0 - p);
    }
    let test_scores: Vec<f64> = test_rows.iter().map(|&r| scores[r]).collect();
    let k = config.k.min(test_rows.len());
    let auc =
        metrics::auc(&test_scores, &test_y).ok_or_else(|| Error::Fit("scores are NaN".into()))?;
    let precision_at_k = metrics::precision_at_k(&test_scores, &test_y, k)
        .ok_or_else(|| Error::Fit("scores are NaN".into()))?;
    let base_rate = test_y.iter().filter(|&&y| y).count() as f64 / test_y.len() as f64;

    let parameters = serde_json::json!({
        "features": features.names,
        "mean": mean.to_vec(),
        "std": std.to_vec(),
        "coefficients": (fitted.params() * sign).to_vec(),
        "intercept": fitted.intercept() * sign,
        "alpha": config.alpha,
        "test_percent": config.test_percent,
    });
    let mut tx = pool.begin().await?;
    let model_version: i64 = sqlx::query_scalar(
        "INSERT INTO interest_models \
         (category, n_train, n_test, auc, precision_at_k, k, n_scored, parameters) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(category)
    .bind(train_rows.len() as i64)
    .bind(test_rows.len() as i64)
    .bind(auc)
    .bind(precision_at_k)
    .bind(k as i64)
    .bind(features.passport_ids.len() as i64)
    .bind(&parameters)
    .fetch_one(&mut *tx)
    .await?;
    write_scores(&mut tx, category, model_version, &features.passport_ids, &scores).await?;
    tx.commit().await?;
    tracing::info!(category, model_version, auc, precision_at_k, "interest model trained");

    Ok(ModelReport {
        category: category.to_string(),
        model_version,
        auc,
        precision_at_k,
        k,
        base_rate,
        n_train: train_rows.len(),
        n_test: test_rows.len(),
        n_scored: features.passport_ids.len(),
    })
}

/// Replaces the category's scores: COPY into a staging table, then one upsert and one delete of
/// passports that no longer have features.
async fn write_scores(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    category: &str,
    model_version: i64,
    passport_ids: &[i64],
    scores: &Array1<f64>,
) -> Result<(), Error> {
    use std::fmt::Write as _;
    sqlx::query(
        "CREATE TEMP TABLE interest_scores_stage (passport_id BIGINT, score REAL) ON COMMIT DROP",
    )
    .execute(&mut **tx)
    .await?;
    let mut sink = tx.copy_in_raw("COPY interest_scores_stage FROM STDIN").await?;
    let mut buffer = String::with_capacity(1 << 20);
    for (id, score) in passport_ids.iter().zip(scores) {
        let _ = writeln!(buffer, "{id}\t{}", score.clamp(0.0, 1.0) as f32);
        if buffer.len() >= 1 << 20 {
            sink.send(buffer.as_bytes()).await?;
            buffer.clear();
        }
    }
    sink.send(buffer.as_bytes()).await?;
    sink.finish().await?;
    let version = model_version.to_string();
    sqlx::query(
        "INSERT INTO persona_interest (passport_id, category, score, model_version, updated_at) \
         SELECT passport_id, $1, score, $2, now() FROM interest_scores_stage \
         ON CONFLICT (passport_id, category) DO UPDATE SET score = EXCLUDED.score, \
         model_version = EXCLUDED.model_version, updated_at = EXCLUDED.updated_at",
    )
    .bind(category)
    .bind(&version)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM persona_interest WHERE category = $1 AND model_version <> $2")
        .bind(category)
        .bind(&version)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether a passport belongs to the held-out split: a hash of its id, so the split does not
/// depend on row order or on which other passports exist.
pub(crate) fn held_out(passport_id: i64, test_percent: u8) -> bool {
    let mut z = (passport_id as u64) ^ 0x6A09_E667_F3BC_C909;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100 < u64::from(test_percent)
}

/// Column means and standard deviations; a constant column gets std 1 so it stays finite.
fn standardisation(x: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    let std = x.std_axis(Axis(0), 0.0).mapv(|s| if s > 1e-12 { s } else { 1.0 });
    (mean, std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_near_the_requested_share() {
        let held: Vec<i64> = (1..=100_000).filter(|&id| held_out(id, 20)).collect();
        let share = held.len() as f64 / 100_000.0;
        assert!((0.19..0.21).contains(&share), "held-out share {share}");
        assert_eq!(held, (1..=100_000).filter(|&id| held_out(id, 20)).collect::<Vec<_>>());
    }

    #[test]
    fn standardisation_centres_and_scales_and_keeps_constant_columns_finite() {
        let x = ndarray::array![[1.0, 5.0], [3.0, 5.0]];
        let (mean, std) = standardisation(&x);
        assert_eq!(mean.to_vec(), vec![2.0, 5.0]);
        assert_eq!(std.to_vec(), vec![1.0, 1.0]);
    }
}
