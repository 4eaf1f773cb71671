//! Ranking metrics for a binary label: AUC and precision@k.

/// The area under the ROC curve, computed as the Mann–Whitney U statistic:
/// AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊·n₋), where R₊ is the sum of the positives' ranks among all
/// scores (ascending, ties given their average rank). It is the probability that a random positive
/// scores above a random negative (ties count one half).
///
/// `None` when the lengths differ, a score is NaN, or either class is empty.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start + 1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| labels[i]).count();
        positive_rank_sum += rank * tied_positives as f64;
        start = end;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// The share of positives among the `k` highest scores (ties broken by position, earlier first).
///
/// `None` when the lengths differ, a score is NaN, `k` is 0 or `k` exceeds the number of scores.
pub fn precision_at_k(scores: &[f64], labels: &[bool], k: usize) -> Option<f64> {
    if scores.len() != labels.len()
        || k == 0
        || k > scores.len()
        || scores.iter().any(|s| s.is_nan())
    {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let hits = order[..k].iter().filter(|&&i| labels[i]).count();
    Some(hits as f64 / k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_the_pairwise_definition() {
        // Textbook case: positives {0.9, 0.8, 0.4}, negatives {0.7, 0.3, 0.2, 0.1}. Of the 12
        // positive–negative pairs the positive wins 11 (only 0.4 < 0.7 loses): AUC = 11/12.
        let scores = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1];
        let labels = [true, true, false, true, false, false, false];
        assert!((auc(&scores, &labels).unwrap() - 11.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
        assert_eq!(auc(&[0.5, 0.5, 0.1], &[true, false, false]), Some(0.75));
    }

    #[test]
    fn auc_extremes_and_undefined_cases() {
        assert_eq!(auc(&[3.0, 2.0, 1.0], &[true, false, false]), Some(1.0));
        assert_eq!(auc(&[1.0, 2.0, 3.0], &[true, false, false]), Some(0.0));
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(auc(&[1.0], &[true, false]), None);
        assert_eq!(auc(&[f64::NAN, 1.0], &[true, false]), None);
    }

    #[test]
    fn precision_at_k_counts_positives_in_the_top_k() {
        let scores = [0.9, 0.8, 0.7, 0.4, 0.3];
        let labels = [true, false, true, true, false];
        assert_eq!(precision_at_k(&scores, &labels, 1), Some(1.0));
        assert_eq!(precision_at_k(&scores, &labels, 2), Some(0.5));
        assert_eq!(precision_at_k(&scores, &labels, 4), Some(0.75));
        assert_eq!(precision_at_k(&scores, &labels, 0), None);
        assert_eq!(precision_at_k(&scores, &labels, 6), None);
    }
}
