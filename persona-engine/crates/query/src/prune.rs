//! Ranking without scoring every passport.
//!
//! A binary criterion whose rows are found through an index (an *access* criterion, see
//! `expr::indexed`) adds its weight to a passport's PMS only where it holds. So a passport that
//! meets a set S of the access criteria scores at most
//!
//! ```text
//! UB(S) = (base + g(S)) / Σw × 100,   g(S) = Σ_{i∈S} wᵢ,   base = Σ of the other weights
//! ```
//!
//! For a level L (one of the values g takes), the *candidates* C_L are the passports meeting a
//! minimal set S with g(S) ≥ L: a `UNION` of index-driven conjunctions. Every other passport meets
//! only sets with g < L, so g ≤ L′ (the next lower level, 0 below the lowest) and its PMS is at
//! most the level's `bound` UB = (base + L′) / Σw × 100.
//!
//! Let E be the passports the request admits (filter and cursor) and k = limit + 1. If the k-th
//! best of C_L ∩ E scores strictly above the bound, the k best of E are exactly the k best of
//! C_L ∩ E, in the same order: each of E's k best scores at least E's k-th score ≥ that of
//! C_L ∩ E > bound ≥ the score of any passport outside C_L, so none is outside (strictness makes
//! ties safe: an outsider at exactly the k-th score could win on passport id). The check does not
//! depend on how E is formed, so hard filters and cursors need no special case. Otherwise the
//! next level (a larger C) is tried, and after [`MAX_PROBES`] the whole table is ranked.

use std::fmt::Write as _;

/// The most access criteria used (the heaviest ones); the others count as always met, which is
/// only weaker. Bounds the 2ⁿ subsets enumerated.
const MAX_ACCESS: usize = 8;
/// A level needing more minimal conjunctions than this is skipped.
const MAX_BRANCHES: usize = 16;
/// The most candidate rankings tried before ranking the whole table.
pub(crate) const MAX_PROBES: usize = 3;
/// Slack for floating point: Postgres sums the score in another order than the bound is summed
/// here, which may differ by a few ulps (≈1e-14 on the 0–100 scale).
pub(crate) const EPSILON: f64 = 1e-9;

/// One candidate ranking.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    /// The candidate set: a query returning `passport_id`s.
    pub(crate) candidates: String,
    /// No passport outside the candidates scores above this PMS.
    pub(crate) bound: f64,
}

/// The candidate rankings of a request, most selective first.
///
/// `criteria` holds each criterion's weight and, for access criteria, its boolean SQL over
/// `persona_features f` and `joins`; `total` is Σw.
pub(crate) fn probes(criteria: &[(f64, Option<String>)], total: f64, joins: &str) -> Vec<Probe> {
    let mut access: Vec<(f64, &str)> =
        criteria.iter().filter_map(|(w, sql)| Some((*w, sql.as_deref()?))).collect();
    access.sort_by(|a, b| b.0.total_cmp(&a.0));
    access.truncate(MAX_ACCESS);
    if access.is_empty() {
        return Vec::new();
    }
    // Summed in criterion order, as in the statement, minus the access weights.
    let access_total: f64 = access.iter().map(|(w, _)| w).sum();
    let base = (total - access_total).max(0.0);
    let n = access.len();
    // g of every subset, by bitmask; with positive weights and monotone rounding, g only grows
    // when a set grows, so every set at or above a level contains a minimal one.
    let gain: Vec<f64> = (0..1usize << n)
        .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).map(|i| access[i].0).sum())
        .collect();
    let mut levels: Vec<f64> = gain[1..].to_vec();
    levels.sort_by(|a, b| b.total_cmp(a));
    levels.dedup();
    levels.push(0.0);
    levels
        .windows(2)
        .filter_map(|pair| {
            let (level, below) = (pair[0], pair[1]);
            let minimal: Vec<usize> = (1..1usize << n)
                .filter(|&mask| {
                    gain[mask] >= level
                        && (0..n).all(|i| mask & (1 << i) == 0 || gain[mask ^ (1 << i)] < level)
                })
                .collect();
            (minimal.len() <= MAX_BRANCHES).then(|| Probe {
                candidates: union(&minimal, &access, joins),
                bound: (base + below) / total * 100.0,
            })
        })
        .take(MAX_PROBES)
        .collect()
}

/// One index-driven `SELECT` per conjunction. The lookup joins an access criterion names become
/// inner joins (its test is strict), the others are removed by the planner (unique keys).
fn union(masks: &[usize], access: &[(f64, &str)], joins: &str) -> String {
    let mut sql = String::new();
    for (b, mask) in masks.iter().enumerate() {
        if b > 0 {
            sql.push_str(" UNION ");
        }
        let terms: Vec<String> = access
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, (_, test))| format!("({test})"))
            .collect();
        // Writing to a String cannot fail.
        let _ = write!(
            sql,
            "SELECT f.passport_id FROM persona_features f{joins} WHERE {}",
            terms.join(" AND ")
        );
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(weights: &[(f64, bool)]) -> Vec<(f64, Option<String>)> {
        weights.iter().enumerate().map(|(i, (w, a))| (*w, a.then(|| format!("p{i}")))).collect()
    }

    #[test]
    fn bench_shape_levels_and_bounds() {
        // defi (log, 3), vip (2), twitch (1), nft (linear, 1), badge (2): base 4 of 9.
        let criteria = access(&[(3.0, false), (2.0, true), (1.0, true), (1.0, false), (2.0, true)]);
        let probes = probes(&criteria, 9.0, "");
        let shown: Vec<(Vec<&str>, f64)> =
            probes.iter().map(|p| (p.candidates.split(" UNION ").collect(), p.bound)).collect();
        let branch =
            |terms: &str| format!("SELECT f.passport_id FROM persona_features f WHERE {terms}");
        assert_eq!(probes.len(), 3);
        // Level 5: all three; outsiders reach at most 4 + 4.
        assert_eq!(shown[0].0, [branch("(p1) AND (p4) AND (p2)")]);
        assert!((shown[0].1 - 800.0 / 9.0).abs() < 1e-12);
        // Level 4: vip and badge; outsiders at most 4 + 3.
        assert_eq!(shown[1].0, [branch("(p1) AND (p4)")]);
        assert!((shown[1].1 - 700.0 / 9.0).abs() < 1e-12);
        // Level 3: any two of them.
        assert_eq!(shown[2].0.len(), 3, "{:?}", shown[2]);
        assert!((shown[2].1 - 600.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn no_access_criteria_no_probes() {
        assert!(probes(&access(&[(1.0, false), (2.0, false)]), 3.0, "").is_empty());
    }

    #[test]
    fn lowest_level_bounds_by_the_base() {
        let probes = probes(&access(&[(1.0, true), (3.0, false)]), 4.0, "");
        assert_eq!(probes.len(), 1);
        assert_eq!(probes[0].bound, 75.0);
    }
}
