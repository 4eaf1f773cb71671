//! A/B test statistics: deterministic assignment, the two-proportion z-test with a confidence
//! interval for the difference, relative lift, and the sample-ratio-mismatch (SRM) check.
//!
//! Pure math, no I/O. Distribution functions come from `statrs` (normal CDF and quantile, χ²
//! survival function) rather than hand-written approximations.

use alloy_primitives::keccak256;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// Errors of the A/B statistics.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A split needs at least two arms.
    #[error("an experiment needs at least two arms, got {0}")]
    TooFewArms(usize),
    /// Arm weights must be finite and positive.
    #[error("arm {arm} has weight {weight}; weights must be finite and > 0")]
    InvalidWeight {
        /// Index of the arm.
        arm: usize,
        /// The rejected weight.
        weight: f64,
    },
    /// An arm has no trials, so its conversion rate is undefined.
    #[error("arm `{0}` has no trials")]
    EmptyArm(&'static str),
    /// More conversions than trials.
    #[error("arm `{arm}` has {conversions} conversions out of {trials} trials")]
    ConversionsExceedTrials {
        /// Which arm.
        arm: &'static str,
        /// Its conversions.
        conversions: u64,
        /// Its trials.
        trials: u64,
    },
    /// The confidence level must lie strictly between 0 and 1.
    #[error("confidence level {0} is not in (0, 1)")]
    InvalidLevel(f64),
    /// Observed arm counts and expected weights differ in length.
    #[error("{observed} observed arm counts but {expected} expected weights")]
    ArmCountMismatch {
        /// Number of observed counts.
        observed: usize,
        /// Number of weights.
        expected: usize,
    },
    /// No unit was observed in any arm.
    #[error("no units were observed in any arm")]
    NoObservations,
}

/// The position of a unit in `[0, 1)` for an experiment: the first 53 bits of
/// `keccak256(len(experiment) ‖ experiment ‖ unit)` scaled to `[0, 1)`.
///
/// Keccak is used rather than `std`'s hasher because the assignment must stay the same across
/// processes, machines and Rust versions; the length prefix keeps `("ab", "c")` and `("a", "bc")`
/// apart. Salting by experiment id makes assignments of different experiments independent.
pub fn bucket(experiment: &str, unit: &[u8]) -> f64 {
    let mut input = Vec::with_capacity(8 + experiment.len() + unit.len());
    input.extend_from_slice(&(experiment.len() as u64).to_be_bytes());
    input.extend_from_slice(experiment.as_bytes());
    input.extend_from_slice(unit);
    let hash = keccak256(&input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    // 53 bits: exactly representable in an f64, so every bucket value is distinct and < 1.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

/// How an experiment's units are split between its arms, by relative weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Each arm's share of `[0, 1)`, summing to 1.
    shares: Vec<f64>,
    /// Upper bound of each arm's interval; the last is 1.
    bounds: Vec<f64>,
}

impl Split {
    /// A split with the given relative weights (e.g. `[1.0, 1.0]` for 50/50, `[9.0, 1.0]` for
    /// 90/10). Arm `i` receives the units whose [`bucket`] falls in its interval.
    pub fn new(weights: &[f64]) -> Result<Self, StatsError> {
        let shares = normalise(weights)?;
        let mut bounds = Vec::with_capacity(shares.len());
        let mut acc = 0.0;
        for share in &shares {
            acc += share;
            bounds.push(acc);
        }
        // Rounding must never leave a gap at the top of [0, 1).
        if let Some(last) = bounds.last_mut() {
            *last = 1.0;
        }
        Ok(Self { shares, bounds })
    }

    /// The arm (index into the weights) of `unit` in `experiment`; stable for a given input.
    pub fn assign(&self, experiment: &str, unit: &[u8]) -> usize {
        let b = bucket(experiment, unit);
        self.bounds.iter().position(|&upper| b < upper).unwrap_or(self.bounds.len() - 1)
    }

    /// Each arm's expected share of units, summing to 1.
    pub fn shares(&self) -> &[f64] {
        &self.shares
    }
}

fn normalise(weights: &[f64]) -> Result<Vec<f64>, StatsError> {
    if weights.len() < 2 {
        return Err(StatsError::TooFewArms(weights.len()));
    }
    if let Some((arm, &weight)) =
        weights.iter().enumerate().find(|(_, w)| !w.is_finite() || **w <= 0.0)
    {
        return Err(StatsError::InvalidWeight { arm, weight });
    }
    let total: f64 = weights.iter().sum();
    Ok(weights.iter().map(|w| w / total).collect())
}

/// Conversions out of trials in one arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proportion {
    /// Units that converted.
    pub conversions: u64,
    /// Units exposed.
    pub trials: u64,
}

impl Proportion {
    /// `conversions` out of `trials`.
    pub const fn new(conversions: u64, trials: u64) -> Self {
        Self { conversions, trials }
    }

    fn rate(self) -> f64 {
        self.conversions as f64 / self.trials as f64
    }

    fn check(self, arm: &'static str) -> Result<(), StatsError> {
        if self.trials == 0 {
            return Err(StatsError::EmptyArm(arm));
        }
        if self.conversions > self.trials {
            return Err(StatsError::ConversionsExceedTrials {
                arm,
                conversions: self.conversions,
                trials: self.trials,
            });
        }
        Ok(())
    }
}

/// The result of a two-sided two-proportion z-test of treatment against control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZTest {
    /// Control conversion rate p̂_c.
    pub control_rate: f64,
    /// Treatment conversion rate p̂_t.
    pub treatment_rate: f64,
    /// p̂_t − p̂_c.
    pub difference: f64,
    /// Pooled standard error √(p̂(1−p̂)(1/n_c + 1/n_t)), used for the test statistic.
    pub pooled_se: f64,
    /// The test statistic (p̂_t − p̂_c) / pooled SE.
    pub z: f64,
    /// Two-sided p-value 2·(1 − Φ(|z|)).
    pub p_value: f64,
    /// Unpooled standard error √(p̂_c(1−p̂_c)/n_c + p̂_t(1−p̂_t)/n_t), used for the interval.
    pub unpooled_se: f64,
    /// Confidence level of [`Self::ci`], e.g. 0.95.
    pub level: f64,
    /// Wald interval for p_t − p_c: difference ± z_{(1+level)/2} · unpooled SE.
    pub ci: (f64, f64),
    /// Relative lift (p̂_t − p̂_c) / p̂_c; `None` when the control rate is 0.
    pub relative_lift: Option<f64>,
    /// Whether the normal approximation is trustworthy by the usual rule of thumb: in each arm
    /// n·p̂ ≥ 5 and n·(1 − p̂) ≥ 5 with the pooled p̂. When false the numbers are still
    /// computed but should be read with care (an exact test would be preferable).
    pub normal_approximation_ok: bool,
}

/// Minimum expected successes and failures per arm for the normal approximation.
const MIN_EXPECTED: f64 = 5.0;

/// Two-sided two-proportion z-test of `treatment` against `control`, with a `level` confidence
/// interval (e.g. 0.95) for the difference p_t − p_c.
///
/// Documented edge cases:
/// - an arm with no trials, or with more conversions than trials, is an error;
/// - when the pooled rate is 0 or 1 (no arm converted, or every unit converted) the arms are
///   identical and the standard error is 0: the result is `z = 0`, `p = 1`, CI `(0, 0)`;
/// - tiny samples are not rejected; [`ZTest::normal_approximation_ok`] says whether to trust them.
pub fn two_proportion_z_test(
    control: Proportion,
    treatment: Proportion,
    level: f64,
) -> Result<ZTest, StatsError> {
    control.check("control")?;
    treatment.check("treatment")?;
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidLevel(level));
    }
    let (n_c, n_t) = (control.trials as f64, treatment.trials as f64);
    let (p_c, p_t) = (control.rate(), treatment.rate());
    let difference = p_t - p_c;
    let pooled = (control.conversions + treatment.conversions) as f64 / (n_c + n_t);
    let pooled_se = (pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t)).sqrt();
    let normal = Normal::standard();
    let (z, p_value) = if pooled_se > 0.0 {
        let z = difference / pooled_se;
        // sf(|z|) rather than 1 − cdf(|z|): keeps precision for tiny p-values.
        (z, (2.0 * normal.sf(z.abs())).min(1.0))
    } else {
        (0.0, 1.0)
    };
    let unpooled_se = (p_c * (1.0 - p_c) / n_c + p_t * (1.0 - p_t) / n_t).sqrt();
    let critical = normal.inverse_cdf(0.5 + level / 2.0);
    let half = critical * unpooled_se;
    let ci = (difference - half, difference + half);
    let relative_lift = (p_c > 0.0).then(|| difference / p_c);
    let normal_approximation_ok =
        [n_c, n_t].iter().all(|n| n * pooled >= MIN_EXPECTED && n * (1.0 - pooled) >= MIN_EXPECTED);
    Ok(ZTest {
        control_rate: p_c,
        treatment_rate: p_t,
        difference,
        pooled_se,
        z,
        p_value,
        unpooled_se,
        level,
        ci,
        relative_lift,
        normal_approximation_ok,
    })
}

/// Result of the sample-ratio-mismatch check: a χ² goodness-of-fit test of observed arm sizes
/// against the configured split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrmCheck {
    /// Σ (observed − expected)² / expected.
    pub chi_square: f64,
    /// Arms − 1.
    pub degrees_of_freedom: usize,
    /// P(χ²_df ≥ chi_square).
    pub p_value: f64,
}

/// Conventional SRM alarm threshold: a p-value this small means assignment or logging is broken.
pub const SRM_ALPHA: f64 = 0.001;

impl SrmCheck {
    /// Whether the observed split is a mismatch at significance `alpha` (see [`SRM_ALPHA`]).
    pub fn is_mismatch(&self, alpha: f64) -> bool {
        self.p_value < alpha
    }
}

/// χ² goodness-of-fit of `observed` arm sizes against the split given by relative `weights`.
pub fn sample_ratio_mismatch(observed: &[u64], weights: &[f64]) -> Result<SrmCheck, StatsError> {
    if observed.len() != weights.len() {
        return Err(StatsError::ArmCountMismatch {
            observed: observed.len(),
            expected: weights.len(),
        });
    }
    let shares = normalise(weights)?;
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return Err(StatsError::NoObservations);
    }
    let total = total as f64;
    let chi_square: f64 = observed
        .iter()
        .zip(&shares)
        .map(|(&o, share)| {
            let expected = total * share;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let degrees_of_freedom = observed.len() - 1;
    let p_value = ChiSquared::new(degrees_of_freedom as f64)
        .map(|dist| dist.sf(chi_square))
        // Unreachable: df ≥ 1 is finite and positive, which is all `ChiSquared::new` checks.
        .unwrap_or(f64::NAN);
    Ok(SrmCheck { chi_square, degrees_of_freedom, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tol: f64) {
        assert!((actual - expected).abs() <= tol, "{actual} is not within {tol} of {expected}");
    }

    /// Textbook case: the Physicians' Health Study (aspirin and myocardial infarction), as worked in
    /// A. Agresti, *An Introduction to Categorical Data Analysis*, 2nd ed. (Wiley, 2007), §2.2.3
    /// (Table 2.3): placebo 189 MIs of 11,034 physicians, aspirin 104 of 11,037. Agresti gives
    /// p̂₁ = 0.0171, p̂₂ = 0.0094, difference 0.0077 with SE 0.0015 and the 95% interval
    /// 0.0077 ± 1.96 × 0.0015 = (0.005, 0.011).
    ///
    /// By hand (treatment = placebo, control = aspirin):
    /// - p̂_t = 189/11034 = 0.017129, p̂_c = 104/11037 = 0.009423, d = 0.007706;
    /// - pooled p̂ = 293/22071 = 0.013275; SE₀ = √(0.013275 × 0.986725 × (1/11034 + 1/11037))
    ///   = √(0.013099 × 1.81226e-4) = 0.0015408; z = 0.007706 / 0.0015408 = 5.0014;
    /// - p = 2(1 − Φ(5.0014)) = erfc(5.0014/√2) = 5.692e-7;
    /// - unpooled SE = √(0.017129 × 0.982871 / 11034 + 0.009423 × 0.990577 / 11037)
    ///   = √(1.52577e-6 + 8.4571e-7) = 0.0015400; 95% CI = 0.007706 ± 1.959964 × 0.0015400
    ///   = (0.0047, 0.0107), which rounds to Agresti's (0.005, 0.011);
    /// - relative lift 0.007706 / 0.009423 = 0.8178.
    ///
    /// Cross-checked with Python's `statistics.NormalDist` and `math.erfc`.
    #[test]
    fn textbook_aspirin_study() {
        // Treatment = placebo here so the difference is positive, as Agresti states it.
        let r =
            two_proportion_z_test(Proportion::new(104, 11_037), Proportion::new(189, 11_034), 0.95)
                .unwrap();
        close(r.control_rate, 0.0094, 5e-5);
        close(r.treatment_rate, 0.0171, 5e-5);
        close(r.difference, 0.0077, 5e-5);
        close(r.pooled_se, 0.0015, 5e-5);
        close(r.z, 5.0014, 5e-5);
        close(r.p_value, 5.692e-7, 5e-10);
        close(r.unpooled_se, 0.0015, 5e-5);
        close(r.ci.0, 0.0047, 5e-5);
        close(r.ci.1, 0.0107, 5e-5);
        // Agresti's rounded interval (0.005, 0.011) contains ours after rounding to 3 decimals.
        close(r.ci.0, 0.005, 5e-4);
        close(r.ci.1, 0.011, 5e-4);
        close(r.relative_lift.unwrap(), 0.8178, 5e-5);
        assert!(r.normal_approximation_ok);
    }

    /// A second case worked by hand, not significant: control 140/200 = 0.70, treatment
    /// 255/340 = 0.75, d = 0.05; pooled p̂ = 395/540 = 0.731481, SE₀ = √(0.731481 × 0.268519 ×
    /// (1/200 + 1/340)) = 0.039494, z = 1.2660, p = erfc(1.2660/√2) = 0.2055; unpooled SE =
    /// √(0.21/200 + 0.1875/340) = 0.040018, 95% CI 0.05 ± 1.959964 × 0.040018 = (−0.0284, 0.1284),
    /// 99% CI 0.05 ± 2.575829 × 0.040018 = (−0.0531, 0.1531); relative lift 0.05/0.70 = 0.0714.
    #[test]
    fn worked_case_not_significant() {
        let r = two_proportion_z_test(Proportion::new(140, 200), Proportion::new(255, 340), 0.95)
            .unwrap();
        close(r.pooled_se, 0.0395, 5e-5);
        close(r.z, 1.2660, 5e-5);
        close(r.p_value, 0.2055, 5e-5);
        close(r.ci.0, -0.0284, 5e-5);
        close(r.ci.1, 0.1284, 5e-5);
        close(r.relative_lift.unwrap(), 0.0714, 5e-5);
        let r99 = two_proportion_z_test(Proportion::new(140, 200), Proportion::new(255, 340), 0.99)
            .unwrap();
        close(r99.ci.0, -0.0531, 5e-5);
        close(r99.ci.1, 0.1531, 5e-5);
        // Swapping the arms mirrors the statistic and the interval.
        let swapped =
            two_proportion_z_test(Proportion::new(255, 340), Proportion::new(140, 200), 0.95)
                .unwrap();
        close(swapped.z, -r.z, 1e-12);
        close(swapped.p_value, r.p_value, 1e-12);
        close(swapped.ci.0, -r.ci.1, 1e-12);
    }

    #[test]
    fn normal_cdf_accuracy() {
        // Reference values of Φ from standard tables (Abramowitz & Stegun, table 26.1). statrs's
        // erf is accurate to about 1e-11 here, far below the 4 decimals results are read at.
        let n = Normal::standard();
        close(n.cdf(0.0), 0.5, 1e-15);
        close(n.cdf(1.0), 0.841_344_746_068_543, 1e-10);
        close(n.cdf(1.959_963_984_540_054), 0.975, 1e-10);
        close(n.sf(5.0), 2.866_515_718_791_939e-7, 1e-15);
        close(n.inverse_cdf(0.975), 1.959_963_984_540_054, 1e-9);
    }

    #[test]
    fn identical_arms() {
        let r = two_proportion_z_test(Proportion::new(50, 1000), Proportion::new(50, 1000), 0.95)
            .unwrap();
        assert_eq!(r.z, 0.0);
        close(r.p_value, 1.0, 1e-12);
        close(r.ci.0, -r.ci.1, 1e-15);
        assert_eq!(r.relative_lift, Some(0.0));
    }

    #[test]
    fn zero_conversions() {
        // Nothing converted anywhere: identical arms with zero variance.
        let r = two_proportion_z_test(Proportion::new(0, 1000), Proportion::new(0, 1000), 0.95)
            .unwrap();
        assert_eq!((r.z, r.p_value, r.ci), (0.0, 1.0, (0.0, 0.0)));
        assert_eq!(r.relative_lift, None);
        assert!(!r.normal_approximation_ok);
        // Everything converted: same.
        let r =
            two_proportion_z_test(Proportion::new(10, 10), Proportion::new(20, 20), 0.95).unwrap();
        assert_eq!((r.z, r.p_value), (0.0, 1.0));
        // Control with none, treatment with some: a finite positive z, lift undefined.
        let r = two_proportion_z_test(Proportion::new(0, 1000), Proportion::new(12, 1000), 0.95)
            .unwrap();
        assert!(r.z > 3.0 && r.p_value < 0.001, "{r:?}");
        assert_eq!(r.relative_lift, None);
    }

    #[test]
    fn tiny_and_invalid_samples() {
        let r = two_proportion_z_test(Proportion::new(1, 3), Proportion::new(2, 3), 0.95).unwrap();
        assert!(!r.normal_approximation_ok);
        assert_eq!(
            two_proportion_z_test(Proportion::new(0, 0), Proportion::new(1, 3), 0.95),
            Err(StatsError::EmptyArm("control"))
        );
        assert!(matches!(
            two_proportion_z_test(Proportion::new(1, 3), Proportion::new(4, 3), 0.95),
            Err(StatsError::ConversionsExceedTrials { arm: "treatment", .. })
        ));
        for level in [0.0, 1.0, f64::NAN, -0.5] {
            assert!(matches!(
                two_proportion_z_test(Proportion::new(1, 3), Proportion::new(2, 3), level),
                Err(StatsError::InvalidLevel(_))
            ));
        }
    }

    #[test]
    fn assignment_is_stable_and_salted() {
        // Computed once from this implementation; it pins the hash input layout.
        const PINNED: f64 = 0.750_558_408_930_397_7;
        let split = Split::new(&[1.0, 1.0]).unwrap();
        let a = split.assign("exp-1", b"passport-42");
        for _ in 0..10 {
            assert_eq!(split.assign("exp-1", b"passport-42"), a);
        }
        // Pinned value: the assignment must never change across releases.
        assert_eq!(bucket("exp-1", b"passport-42"), PINNED);
        assert_ne!(bucket("ab", b"c"), bucket("a", b"bc"));
        // Different experiments disagree on about half the units.
        let differ = (0u32..10_000)
            .filter(|i| {
                split.assign("exp-1", &i.to_be_bytes()) != split.assign("exp-2", &i.to_be_bytes())
            })
            .count();
        assert!((4_700..5_300).contains(&differ), "{differ}");
    }

    #[test]
    fn buckets_are_uniform() {
        // 100k ids into 20 equal bins: χ² with 19 df stays below its 0.999 quantile (43.820).
        const BINS: usize = 20;
        let mut counts = [0u64; BINS];
        for id in 0u64..100_000 {
            let b = bucket("uniformity", &id.to_be_bytes());
            assert!((0.0..1.0).contains(&b));
            counts[(b * BINS as f64) as usize] += 1;
        }
        let srm = sample_ratio_mismatch(&counts, &[1.0; BINS]).unwrap();
        assert!(srm.chi_square < 43.820, "{srm:?}");
    }

    #[test]
    fn weighted_split_matches_weights() {
        let weights = [7.0, 2.0, 1.0];
        let split = Split::new(&weights).unwrap();
        close(split.shares().iter().sum(), 1.0, 1e-12);
        let mut counts = [0u64; 3];
        for id in 0u64..100_000 {
            counts[split.assign("weighted", &id.to_le_bytes())] += 1;
        }
        let srm = sample_ratio_mismatch(&counts, &weights).unwrap();
        assert!(!srm.is_mismatch(SRM_ALPHA), "{counts:?} {srm:?}");
        assert!(Split::new(&[1.0]).is_err());
        assert!(matches!(Split::new(&[1.0, 0.0]), Err(StatsError::InvalidWeight { arm: 1, .. })));
        assert!(Split::new(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn srm_reference_values() {
        // 5,000 vs 5,200 under a 50/50 split: expected 5,100 each, χ² = 2·100²/5100 = 3.9216,
        // 1 df, p = erfc(√(χ²/2)) = 0.0477 — suspicious but not an SRM at 0.001.
        let srm = sample_ratio_mismatch(&[5_000, 5_200], &[1.0, 1.0]).unwrap();
        close(srm.chi_square, 3.9216, 5e-5);
        assert_eq!(srm.degrees_of_freedom, 1);
        close(srm.p_value, 0.0477, 5e-5);
        assert!(!srm.is_mismatch(SRM_ALPHA));
        // 50,000 vs 51,500: χ² = 22.1675, p = 2.499e-6 → mismatch.
        let srm = sample_ratio_mismatch(&[50_000, 51_500], &[1.0, 1.0]).unwrap();
        close(srm.chi_square, 22.1675, 5e-5);
        close(srm.p_value, 2.499e-6, 5e-10);
        assert!(srm.is_mismatch(SRM_ALPHA), "{srm:?}");
        assert_eq!(
            sample_ratio_mismatch(&[1, 2], &[1.0]),
            Err(StatsError::ArmCountMismatch { observed: 2, expected: 1 })
        );
        assert_eq!(sample_ratio_mismatch(&[0, 0], &[1.0, 1.0]), Err(StatsError::NoObservations));
    }
}
