//! How long a wallet has held something, worked out from its transfer logs.
//!
//! Only the last blocks of a chain are searched, so every answer is relative to the first block
//! searched: a holding that no log in the searched range started is reported as held since
//! before that block, which is all a check needs to know that it is long enough.

use alloy_primitives::U256;

/// A change of one wallet's balance made by one transfer log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    /// The block of the log.
    pub(crate) block: u64,
    /// What the wallet received.
    pub(crate) received: U256,
    /// What the wallet sent.
    pub(crate) sent: U256,
}

/// How long a wallet has held a balance (at or above some threshold) without interruption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holding {
    /// It does not hold it now.
    No,
    /// It has held it since the transfer in this block.
    Since(u64),
    /// It has held it since before this block, the first one searched.
    Before(u64),
}

impl Holding {
    /// Blocks held as of `head` (for [`Holding::Before`], at least this many); `None` when not
    /// held. A holding since genesis (before block 0) counts from block 0.
    pub(crate) fn blocks(self, head: u64) -> Option<u64> {
        match self {
            Self::No => None,
            Self::Since(block) => Some(head.saturating_sub(block)),
            Self::Before(first) => Some(head.saturating_sub(first.saturating_sub(1))),
        }
    }

    /// "held 12 blocks", "held ≥ 100 blocks" or "holds none", for reasons.
    pub(crate) fn describe(self, head: u64) -> String {
        match (self, self.blocks(head)) {
            (Self::Before(_), Some(blocks)) => format!("held ≥ {blocks} blocks"),
            (_, Some(blocks)) => format!("held {blocks} blocks"),
            (_, None) => "holds none".to_owned(),
        }
    }

    /// The longer of two holdings.
    pub(crate) fn longest(self, other: Self) -> Self {
        // `blocks` is monotonic in the same way at any head, so compare at the largest one.
        if other.blocks(u64::MAX) > self.blocks(u64::MAX) { other } else { self }
    }
}

/// When a balance of `balance_now` last rose to `threshold` or above: `changes` (every change of
/// the wallet's balance in the searched range, oldest first) are undone newest first until the
/// balance before one falls below `threshold`. `first_searched` is the first block searched.
///
/// Logs that do not add up (a token that changes balances without events) are read as the
/// balance having been zero before the inconsistent change, which errs towards "not held".
pub(crate) fn balance_holding(
    balance_now: U256,
    threshold: U256,
    changes: &[Change],
    first_searched: u64,
) -> Holding {
    if balance_now < threshold {
        return Holding::No;
    }
    let mut balance = balance_now;
    for change in changes.iter().rev() {
        balance = (balance + change.sent).checked_sub(change.received).unwrap_or_default();
        if balance < threshold {
            return Holding::Since(change.block);
        }
    }
    Holding::Before(first_searched)
}

/// How long an ERC-721 holder of `balance` tokens has held its longest-held one. `acquired` has,
/// for each token it holds now that was transferred to it in the searched range, the block of the
/// most recent such transfer; a held token with no transfer in the range was received before it.
pub(crate) fn token_holding(balance: U256, acquired: &[u64], first_searched: u64) -> Holding {
    if balance.is_zero() {
        return Holding::No;
    }
    if balance > U256::from(acquired.len()) {
        return Holding::Before(first_searched);
    }
    acquired.iter().min().map_or(Holding::Before(first_searched), |block| Holding::Since(*block))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(block: u64, received: u64, sent: u64) -> Change {
        Change { block, received: U256::from(received), sent: U256::from(sent) }
    }

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn untouched_balance_is_held_before_the_range() {
        assert_eq!(balance_holding(u(5), u(5), &[], 100), Holding::Before(100));
        assert_eq!(Holding::Before(100).blocks(150), Some(51));
        assert_eq!(Holding::Before(0).blocks(150), Some(150));
    }

    #[test]
    fn balance_below_threshold_is_not_held() {
        assert_eq!(balance_holding(u(4), u(5), &[], 0), Holding::No);
        // Nothing is needed, so nothing can be missing.
        assert_eq!(balance_holding(U256::ZERO, U256::ZERO, &[], 7), Holding::Before(7));
        assert_eq!(Holding::No.blocks(10), None);
    }

    #[test]
    fn holding_starts_at_the_change_that_reached_the_threshold() {
        // 0 → 3 at block 10, → 8 at block 20, → 6 at block 30: at least 5 since block 20.
        let changes = [change(10, 3, 0), change(20, 5, 0), change(30, 0, 2)];
        assert_eq!(balance_holding(u(6), u(5), &changes, 0), Holding::Since(20));
        assert_eq!(balance_holding(u(6), u(1), &changes, 0), Holding::Since(10));
        assert_eq!(Holding::Since(20).blocks(45), Some(25));
    }

    #[test]
    fn a_dip_below_the_threshold_restarts_the_holding() {
        // 10 before the range; sent 8 at block 12 (→ 2), received 8 back at block 14 (→ 10).
        let changes = [change(12, 0, 8), change(14, 8, 0)];
        assert_eq!(balance_holding(u(10), u(5), &changes, 10), Holding::Since(14));
        // A dip that stays at or above the threshold does not.
        let changes = [change(12, 0, 4), change(14, 4, 0)];
        assert_eq!(balance_holding(u(10), u(5), &changes, 10), Holding::Before(10));
    }

    #[test]
    fn self_transfers_and_inconsistent_logs() {
        assert_eq!(balance_holding(u(5), u(5), &[change(12, 5, 5)], 10), Holding::Before(10));
        // Received more than the balance now explains: read as empty before.
        assert_eq!(balance_holding(u(5), u(1), &[change(12, 9, 0)], 10), Holding::Since(12));
    }

    #[test]
    fn tokens_held_longest_count() {
        assert_eq!(token_holding(U256::ZERO, &[], 0), Holding::No);
        // Two tokens, both received in the range: the earlier one counts.
        assert_eq!(token_holding(u(2), &[30, 20], 10), Holding::Since(20));
        // Three tokens, two received in the range: the third was received before it.
        assert_eq!(token_holding(u(3), &[30, 20], 10), Holding::Before(10));
        assert_eq!(token_holding(u(1), &[], 10), Holding::Before(10));
    }

    #[test]
    fn longest_and_descriptions() {
        assert_eq!(Holding::No.longest(Holding::Since(5)), Holding::Since(5));
        assert_eq!(Holding::Since(5).longest(Holding::Since(3)), Holding::Since(3));
        assert_eq!(Holding::Since(5).longest(Holding::Before(5)), Holding::Before(5));
        assert_eq!(Holding::Since(5).longest(Holding::No), Holding::Since(5));
        assert_eq!(Holding::Since(5).describe(17), "held 12 blocks");
        assert_eq!(Holding::Before(8).describe(17), "held ≥ 10 blocks");
        assert_eq!(Holding::No.describe(17), "holds none");
    }
}
