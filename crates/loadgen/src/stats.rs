//! Percentiles and rates.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile (0 < p ≤ 100) of `sorted` by the nearest-rank method: the smallest
/// value such that at least `p` % of the samples are less than or equal to it. `None` when there
/// are no samples.
///
/// # Panics
///
/// Panics if `p` is not in `(0, 100]`; `sorted` must be sorted ascending.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    assert!(p > 0.0 && p <= 100.0, "percentile {p} is outside (0, 100]");
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Events per second: `count` over `window`, or 0 for an empty window.
pub fn rate(count: u64, window: Duration) -> f64 {
    let secs = window.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// Summary of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub samples: usize,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

impl LatencySummary {
    /// Summarizes `samples` (any order); `None` when empty.
    pub fn from_samples(mut samples: Vec<Duration>) -> Option<Self> {
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let total: Duration = samples.iter().sum();
        Some(Self {
            samples: samples.len(),
            p50_ms: ms(percentile(&samples, 50.0)?),
            p99_ms: ms(percentile(&samples, 99.0)?),
            max_ms: ms(*samples.last()?),
            mean_ms: ms(total) / samples.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[rstest]
    #[case::median_of_odd(&[1, 2, 3, 4, 5], 50.0, 3)]
    #[case::median_of_even(&[1, 2, 3, 4], 50.0, 2)]
    #[case::p99_of_hundred(&(1..=100).collect::<Vec<_>>(), 99.0, 99)]
    #[case::p99_of_thousand(&(1..=1000).collect::<Vec<_>>(), 99.0, 990)]
    #[case::p99_small_set_is_max(&[10, 20, 30], 99.0, 30)]
    #[case::p100_is_max(&[1, 7, 9], 100.0, 9)]
    #[case::tiny_p_is_min(&[4, 5, 6], 0.001, 4)]
    #[case::single(&[42], 50.0, 42)]
    fn nearest_rank_percentiles(#[case] values: &[u64], #[case] p: f64, #[case] expected: u64) {
        let sorted: Vec<_> = values.iter().copied().map(ms).collect();
        assert_eq!(percentile(&sorted, p), Some(ms(expected)));
    }

    #[test]
    fn percentile_of_nothing_is_none() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(LatencySummary::from_samples(Vec::new()), None);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn percentile_rejects_zero() {
        percentile(&[ms(1)], 0.0);
    }

    #[rstest]
    #[case(20_000, ms(4_000), 5_000.0)]
    #[case(3, ms(1_500), 2.0)]
    #[case(10, Duration::ZERO, 0.0)]
    #[case(0, ms(1_000), 0.0)]
    fn rates(#[case] count: u64, #[case] window: Duration, #[case] expected: f64) {
        assert!((rate(count, window) - expected).abs() < 1e-9);
    }

    #[test]
    fn summary_sorts_and_averages() {
        let summary = LatencySummary::from_samples(vec![ms(30), ms(10), ms(20), ms(40)]).unwrap();
        assert_eq!(summary.samples, 4);
        assert_eq!(summary.p50_ms, 20.0);
        assert_eq!(summary.p99_ms, 40.0);
        assert_eq!(summary.max_ms, 40.0);
        assert_eq!(summary.mean_ms, 25.0);
    }
}
