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
//! minimal set S with g(S) ≥ L: the union of index-driven conjunctions, the level's *branches*.
//! Every other passport meets only sets with g < L, so g ≤ L′ (the next lower level, 0 below the
//! lowest) and its PMS is at most the level's `bound` UB = (base + L′) / Σw × 100.
//!
//! Let E be the passports the request admits (filter and cursor) and k = limit + 1. If the k-th
//! best of C_L ∩ E scores strictly above the bound, the k best of E are exactly the k best of
//! C_L ∩ E, in the same order: each of E's k best scores at least E's k-th score ≥ that of
//! C_L ∩ E > bound ≥ the score of any passport outside C_L, so none is outside (strictness makes
//! ties safe: an outsider at exactly the k-th score could win on passport id). The check does not
//! depend on how E is formed, so hard filters and cursors need no special case.
//!
//! Levels are tried highest first, and each branch is ranked once: the k best of a union are the
//! k best of the branches' k best, and every branch ranked for a higher level lies inside the
//! candidates of every lower one (C grows as L falls), so after ranking a level's branches not
//! yet ranked, the merged rows are exactly the k best of C_L ∩ E. A level is skipped when it has
//! too many branches, and after [`MAX_BRANCH_QUERIES`] branches the whole table is ranked.

use std::fmt::Write as _;

/// The most access criteria used (the heaviest ones); the others count as always met, which is
/// only weaker. Bounds the 2ⁿ subsets enumerated.
const MAX_ACCESS: usize = 8;
/// A level needing more branches than this is skipped.
const MAX_LEVEL_BRANCHES: usize = 16;
/// The most branches ranked before ranking the whole table instead.
const MAX_BRANCH_QUERIES: usize = 24;
/// Slack for floating point: Postgres sums the score in another order than the bound is summed
/// here, which may differ by a few ulps (≈1e-14 on the 0–100 scale).
pub(crate) const EPSILON: f64 = 1e-9;

/// The candidate rankings of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    /// Each branch's conjunction: a boolean SQL over `persona_features f` and the lookup joins.
    pub(crate) branches: Vec<String>,
    /// The levels, highest (most selective) first.
    pub(crate) levels: Vec<Level>,
}

/// One level of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Level {
    /// The indexes into [`Plan::branches`] whose union is the level's candidates.
    pub(crate) branches: Vec<usize>,
    /// No passport outside the candidates scores above this PMS.
    pub(crate) bound: f64,
}

/// The candidate rankings of a request.
///
/// `criteria` holds each criterion's weight and, for access criteria, its boolean SQL; `total`
/// is Σw.
pub(crate) fn plan(criteria: &[(f64, Option<String>)], total: f64) -> Plan {
    let mut access: Vec<(f64, &str)> =
        criteria.iter().filter_map(|(w, sql)| Some((*w, sql.as_deref()?))).collect();
    access.sort_by(|a, b| b.0.total_cmp(&a.0));
    access.truncate(MAX_ACCESS);
    if access.is_empty() {
        return Plan::default();
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

    let mut plan = Plan::default();
    let mut masks: Vec<usize> = Vec::new();
    for pair in levels.windows(2) {
        let (level, below) = (pair[0], pair[1]);
        let minimal: Vec<usize> = (1..1usize << n)
            .filter(|&mask| {
                gain[mask] >= level
                    && (0..n).all(|i| mask & (1 << i) == 0 || gain[mask ^ (1 << i)] < level)
            })
            .collect();
        if minimal.len() > MAX_LEVEL_BRANCHES {
            continue;
        }
        let fresh = minimal.iter().filter(|mask| !masks.contains(mask)).count();
        if masks.len() + fresh > MAX_BRANCH_QUERIES {
            break;
        }
        let branches = minimal
            .into_iter()
            .map(|mask| {
                masks.iter().position(|&m| m == mask).unwrap_or_else(|| {
                    masks.push(mask);
                    plan.branches.push(conjunction(mask, &access));
                    masks.len() - 1
                })
            })
            .collect();
        plan.levels.push(Level { branches, bound: (base + below) / total * 100.0 });
    }
    plan
}

/// The tests of the access criteria in `mask`, joined by `AND`.
fn conjunction(mask: usize, access: &[(f64, &str)]) -> String {
    let mut sql = String::new();
    for (_, test) in access.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, a)| a)
    {
        if !sql.is_empty() {
            sql.push_str(" AND ");
        }
        // Writing to a String cannot fail.
        let _ = write!(sql, "({test})");
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(weights: &[(f64, bool)]) -> Vec<(f64, Option<String>)> {
        weights.iter().enumerate().map(|(i, (w, a))| (*w, a.then(|| format!("p{i}")))).collect()
    }

    /// Each level's branches as SQL, and its bound.
    fn shown(plan: &Plan) -> Vec<(Vec<&str>, f64)> {
        plan.levels
            .iter()
            .map(|l| (l.branches.iter().map(|&b| plan.branches[b].as_str()).collect(), l.bound))
            .collect()
    }

    #[test]
    fn bench_shape_levels_and_bounds() {
        // defi (log, 3), vip (2), twitch (1), nft (linear, 1), badge (2): base 4 of 9.
        let criteria = access(&[(3.0, false), (2.0, true), (1.0, true), (1.0, false), (2.0, true)]);
        let plan = plan(&criteria, 9.0);
        let levels = shown(&plan);
        // Gains 5, 4, 3, 2, 1 over {vip, badge, twitch}.
        assert_eq!(levels.len(), 5);
        // Level 5: all three; outsiders reach at most 4 + 4.
        assert_eq!(levels[0].0, ["(p1) AND (p4) AND (p2)"]);
        assert!((levels[0].1 - 800.0 / 9.0).abs() < 1e-12);
        // Level 4: vip and badge; outsiders at most 4 + 3.
        assert_eq!(levels[1].0, ["(p1) AND (p4)"]);
        assert!((levels[1].1 - 700.0 / 9.0).abs() < 1e-12);
        // Level 3: any two of them; vip and badge is not ranked again.
        assert_eq!(levels[2].0, ["(p1) AND (p4)", "(p1) AND (p2)", "(p4) AND (p2)"]);
        assert!((levels[2].1 - 600.0 / 9.0).abs() < 1e-12);
        assert_eq!(plan.levels[2].branches[0], plan.levels[1].branches[0]);
        // Level 1: any one; the bound is the base.
        assert_eq!(levels[4].0, ["(p1)", "(p4)", "(p2)"]);
        assert!((levels[4].1 - 400.0 / 9.0).abs() < 1e-12);
        // Every distinct conjunction once.
        assert_eq!(plan.branches.len(), 1 + 1 + 2 + 2 + 1);
    }

    #[test]
    fn no_access_criteria_no_levels() {
        assert_eq!(plan(&access(&[(1.0, false), (2.0, false)]), 3.0), Plan::default());
    }

    #[test]
    fn lowest_level_bounds_by_the_base() {
        let plan = plan(&access(&[(1.0, true), (3.0, false)]), 4.0);
        assert_eq!(plan.levels.len(), 1);
        assert_eq!(plan.levels[0].bound, 75.0);
    }

    #[test]
    fn the_branch_budget_ends_the_plan() {
        // Eight equal weights: the middle levels have C(8, 4) = 70 branches and are skipped; the
        // budget stops the plan before the total would pass it.
        let plan = plan(&access(&[(1.0, true); 8]), 8.0);
        assert!(plan.branches.len() <= MAX_BRANCH_QUERIES);
        assert!(plan.levels.iter().all(|l| l.branches.len() <= MAX_LEVEL_BRANCHES));
        assert_eq!(shown(&plan)[0].0.len(), 1);
    }
}
