//! The block producer's view of the pool: pending transactions, best first.

use std::{
    cmp::{Ordering, Reverse},
    collections::{BinaryHeap, HashMap, HashSet, VecDeque},
    sync::Arc,
};

use alloy_primitives::Address;

use super::PooledTransaction;

/// A sender's next transaction, ranked by effective tip and then by arrival.
#[derive(Debug)]
struct Candidate {
    tip: u128,
    tx: Arc<PooledTransaction>,
}

impl Candidate {
    fn key(&self) -> (u128, Reverse<u64>) {
        (self.tip, Reverse(self.tx.submission_id()))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Pending transactions for one block, highest effective tip at the block's base fee first
/// (earlier arrival first among equal tips), each sender's in nonce order.
///
/// Made by [`TxPool::best_transactions`](super::TxPool::best_transactions) from a snapshot taken
/// under the pool's lock, so iterating holds no lock and the pool keeps accepting transactions.
/// A sender's transactions stop at the first one whose fee cap is below the base fee. When the
/// producer cannot include a transaction, [`BestTransactions::mark_invalid`] skips the rest of
/// that sender's transactions, which depend on it by nonce. Each step costs `O(log senders)`.
#[derive(Debug)]
pub struct BestTransactions {
    base_fee: u64,
    /// Each sender's remaining transactions, after the one in `heap`.
    queues: HashMap<Address, VecDeque<Arc<PooledTransaction>>>,
    /// One candidate per sender: its lowest remaining nonce.
    heap: BinaryHeap<Candidate>,
    invalid: HashSet<Address>,
}

impl BestTransactions {
    /// Orders `senders`' pending transactions (each list in nonce order) for a block at
    /// `base_fee`.
    pub(super) fn new(
        base_fee: u64,
        senders: impl IntoIterator<Item = Vec<Arc<PooledTransaction>>>,
    ) -> Self {
        let mut best = Self {
            base_fee,
            queues: HashMap::new(),
            heap: BinaryHeap::new(),
            invalid: HashSet::new(),
        };
        for txs in senders {
            let mut txs = VecDeque::from(txs);
            let Some(first) = txs.pop_front() else {
                continue;
            };
            let sender = first.sender();
            if best.push(first) && !txs.is_empty() {
                best.queues.insert(sender, txs);
            }
        }
        best
    }

    /// Skips every later transaction of `sender` in this iteration, because one of its
    /// transactions could not be included.
    pub fn mark_invalid(&mut self, sender: Address) {
        self.invalid.insert(sender);
        self.queues.remove(&sender);
    }

    /// Queues `tx` as its sender's candidate if it can pay the base fee.
    fn push(&mut self, tx: Arc<PooledTransaction>) -> bool {
        let Some(tip) = tx.effective_tip_per_gas(self.base_fee) else {
            return false;
        };
        self.heap.push(Candidate { tip, tx });
        true
    }
}

impl Iterator for BestTransactions {
    type Item = Arc<PooledTransaction>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Candidate { tx, .. } = self.heap.pop()?;
            let sender = tx.sender();
            if self.invalid.contains(&sender) {
                continue;
            }
            if let Some(next) = self.queues.get_mut(&sender).and_then(VecDeque::pop_front)
                && !self.push(next)
            {
                self.queues.remove(&sender);
            }
            return Some(tx);
        }
    }
}
