//! The pool's bookkeeping, kept behind [`TxPool`](super::TxPool)'s lock.
//!
//! Every sender's transactions sit in one nonce-ordered map. The pending ones are the run of
//! consecutive nonces starting at the sender's account nonce; everything after the first gap is
//! queued. After any change to a sender, [`PoolState::refresh`] drops what the account can no
//! longer use, recomputes that split, the global counters and the sender's eviction candidates,
//! so the invariants live in one place.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    ops::Range,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};

use super::{
    AccountState, AddOutcome, PoolConfig, PoolContent, PoolError, PoolStatus, SubPool,
    ValidTransaction,
    best::BestTransactions,
    transaction::{FeeRank, PooledTransaction},
};

/// Transactions and slots counted in a sub-pool.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    txs: usize,
    slots: usize,
}

impl Usage {
    fn add(&mut self, other: Self) {
        self.txs += other.txs;
        self.slots += other.slots;
    }

    fn sub(&mut self, other: Self) {
        self.txs -= other.txs;
        self.slots -= other.slots;
    }

    fn of(tx: &PooledTransaction) -> Self {
        Self { txs: 1, slots: tx.slots() }
    }
}

/// An eviction candidate: the last transaction of a sender in a sub-pool, so that evicting it
/// never opens a nonce gap. It is ranked by the lowest fee rank among the sender's transactions
/// in that sub-pool, since it can only be mined after all of them: a well-paying transaction
/// cannot shield cheap ones queued before it. The smallest key is evicted first; among equal
/// ranks the latest arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TailKey {
    rank: FeeRank,
    newest_first: Reverse<u64>,
    sender: Address,
    nonce: u64,
}

impl TailKey {
    /// The key of the last of `txs` (in nonce order), if any.
    fn of<'a>(
        txs: impl IntoIterator<Item = &'a Arc<PooledTransaction>>,
        base_fee: u64,
    ) -> Option<Self> {
        txs.into_iter().fold(None, |key: Option<Self>, tx| {
            let rank = tx.fee_rank(base_fee);
            Some(Self {
                rank: key.map_or(rank, |key| key.rank.min(rank)),
                newest_first: Reverse(tx.submission_id()),
                sender: tx.sender(),
                nonce: tx.nonce(),
            })
        })
    }
}

/// One sender's transactions and what they contribute to the pool-wide counters.
#[derive(Debug)]
struct SenderTxs {
    /// The sender's account at the latest block the pool has seen.
    account: AccountState,
    /// Every pooled transaction of the sender, by nonce.
    txs: BTreeMap<u64, Arc<PooledTransaction>>,
    /// Nonces of the pending transactions as last counted: `account.nonce..first gap`.
    pending: Range<u64>,
    /// Contribution to the pending counters as last counted.
    pending_usage: Usage,
    /// Contribution to the queued counters as last counted.
    queued_usage: Usage,
    /// Eviction key of the highest pending transaction, if any.
    pending_tail: Option<TailKey>,
    /// Eviction key of the highest queued transaction, if any.
    queued_tail: Option<TailKey>,
}

impl SenderTxs {
    fn new(account: AccountState) -> Self {
        Self {
            account,
            txs: BTreeMap::new(),
            pending: account.nonce..account.nonce,
            pending_usage: Usage::default(),
            queued_usage: Usage::default(),
            pending_tail: None,
            queued_tail: None,
        }
    }

    fn pending_txs(&self) -> impl Iterator<Item = &Arc<PooledTransaction>> {
        self.txs.range(self.pending.clone()).map(|(_, tx)| tx)
    }

    fn queued_txs(&self) -> impl Iterator<Item = &Arc<PooledTransaction>> {
        self.txs.range(self.pending.end..).map(|(_, tx)| tx)
    }
}

/// Whether `new` pays enough more than `old` to take its nonce: both fee fields strictly higher
/// and at least `bump_percent` higher (geth's `list.Add`).
fn outbids(old: &PooledTransaction, new: &PooledTransaction, bump_percent: u64) -> bool {
    let threshold =
        |fee: u128| U256::from(fee) * U256::from(100 + u128::from(bump_percent)) / U256::from(100);
    new.max_fee_per_gas() > old.max_fee_per_gas()
        && new.max_priority_fee_per_gas() > old.max_priority_fee_per_gas()
        && U256::from(new.max_fee_per_gas()) >= threshold(old.max_fee_per_gas())
        && U256::from(new.max_priority_fee_per_gas()) >= threshold(old.max_priority_fee_per_gas())
}

/// Everything the pool knows, mutated only under the write lock.
#[derive(Debug, Default)]
pub(super) struct PoolState {
    /// Base fee the eviction keys are ranked at.
    base_fee: u64,
    /// Submission id of the next transaction.
    next_submission_id: u64,
    by_hash: HashMap<B256, Arc<PooledTransaction>>,
    senders: HashMap<Address, SenderTxs>,
    pending: Usage,
    queued: Usage,
    pending_tails: BTreeSet<TailKey>,
    queued_tails: BTreeSet<TailKey>,
    /// Hashes that became pending during the current operation, to announce after unlocking.
    announcements: Vec<B256>,
}

impl PoolState {
    /// Adds a transaction; see [`TxPool::add`](super::TxPool::add).
    pub(super) fn add(
        &mut self,
        valid: ValidTransaction,
        account: AccountState,
        config: &PoolConfig,
        now: Instant,
    ) -> Result<AddOutcome, PoolError> {
        let hash = valid.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let tx = PooledTransaction::new(valid, self.next_submission_id, now);
        let (sender, nonce) = (tx.sender(), tx.nonce());

        // The caller read the account at the latest block; take it unless the pool has already
        // seen a later nonce (a block imported between the caller's read and this call).
        if let Some(entry) = self.senders.get_mut(&sender)
            && account.nonce >= entry.account.nonce
            && account != entry.account
        {
            entry.account = account;
            self.refresh(sender);
            // Lower balances can queue transactions, overfilling the queued sub-pool.
            self.enforce_limits(config);
        }
        let entry = self.senders.get(&sender);
        let account = entry.map_or(account, |entry| entry.account);

        if nonce < account.nonce {
            return Err(PoolError::NonceTooLow { next: account.nonce, nonce });
        }
        if tx.cost() > account.balance {
            return Err(PoolError::InsufficientFunds { balance: account.balance, cost: tx.cost() });
        }
        let replaced = entry.and_then(|entry| entry.txs.get(&nonce)).cloned();
        if let Some(old) = &replaced
            && !outbids(old, &tx, config.price_bump_percent)
        {
            return Err(PoolError::ReplacementUnderpriced);
        }
        // Like geth, the sender's pending transactions together must stay affordable.
        let pending_cost = entry.map_or(U256::ZERO, |entry| {
            entry
                .pending_txs()
                .filter(|pending| pending.nonce() != nonce)
                .fold(U256::ZERO, |sum, pending| sum.saturating_add(pending.cost()))
        });
        if pending_cost.saturating_add(tx.cost()) > account.balance {
            return Err(PoolError::InsufficientFundsForQueued {
                balance: account.balance,
                queued: pending_cost,
                cost: tx.cost(),
            });
        }
        // A sender at its limit may still fill a gap: its farthest-future transaction makes room.
        let pooled = entry.map_or(0, |entry| entry.txs.len());
        let mut farthest = None;
        if replaced.is_none() && pooled >= config.max_per_sender {
            match entry.and_then(|entry| entry.txs.last_key_value()) {
                Some((&last, _)) if last > nonce => farthest = Some(last),
                _ => return Err(PoolError::AccountLimitExceeded(pooled)),
            }
        }
        // Refuse up front, changing nothing, when the target sub-pool is full and holds nothing
        // cheaper to evict.
        let to_pending = nonce <= entry.map_or(account.nonce, |entry| entry.pending.end);
        let (usage, limit, tails, chain) = if to_pending {
            (
                self.pending,
                config.max_pending,
                &self.pending_tails,
                entry.and_then(|e| e.pending_tail),
            )
        } else {
            (self.queued, config.max_queued, &self.queued_tails, entry.and_then(|e| e.queued_tail))
        };
        // Ranked like the tail it becomes: no better than the sender's cheapest before it.
        let rank = tx.fee_rank(self.base_fee);
        let rank = chain.map_or(rank, |tail| tail.rank.min(rank));
        let freed = replaced.as_ref().map_or(0, |old| old.slots());
        if usage.slots + tx.slots() - freed > limit
            && tails.first().is_none_or(|cheapest| cheapest.rank >= rank)
        {
            return Err(PoolError::PoolFull);
        }

        self.next_submission_id += 1;
        if let Some(last) = farthest {
            self.remove_tx(sender, last);
        }
        if let Some(old) = &replaced {
            self.by_hash.remove(&old.hash());
        }
        let tx = Arc::new(tx);
        self.by_hash.insert(hash, Arc::clone(&tx));
        let entry = self.senders.entry(sender).or_insert_with(|| SenderTxs::new(account));
        entry.txs.insert(nonce, tx);
        let was_pending = entry.pending.contains(&nonce);
        self.refresh(sender);
        if replaced.is_some() && was_pending {
            // `refresh` announces nonces that were not pending before; a replacement keeps its
            // nonce's place but is a new transaction.
            self.announcements.push(hash);
        }
        self.enforce_limits(config);

        let entry = self.senders.get(&sender).filter(|_| self.by_hash.contains_key(&hash));
        let Some(entry) = entry else {
            return Err(PoolError::PoolFull);
        };
        let sub_pool =
            if entry.pending.contains(&nonce) { SubPool::Pending } else { SubPool::Queued };
        Ok(AddOutcome { hash, sub_pool, replaced: replaced.map(|old| old.hash()) })
    }

    /// Applies a new block; see [`TxPool::on_canonical_block`](super::TxPool::on_canonical_block).
    pub(super) fn on_canonical_block(
        &mut self,
        base_fee: u64,
        mined: &[B256],
        accounts: impl IntoIterator<Item = (Address, AccountState)>,
        config: &PoolConfig,
    ) {
        self.set_base_fee(base_fee);
        let mut touched = HashSet::new();
        for hash in mined {
            let Some(tx) = self.by_hash.get(hash) else {
                continue;
            };
            let (sender, next_nonce) = (tx.sender(), tx.nonce() + 1);
            if let Some(entry) = self.senders.get_mut(&sender) {
                // Its own nonce is used now, even if the caller does not report the account.
                entry.account.nonce = entry.account.nonce.max(next_nonce);
                touched.insert(sender);
            }
        }
        for (address, account) in accounts {
            if let Some(entry) = self.senders.get_mut(&address) {
                entry.account = account;
                touched.insert(address);
            }
        }
        for sender in touched {
            self.refresh(sender);
        }
        self.enforce_limits(config);
    }

    /// Removes the given transactions; later transactions of their senders are queued until the
    /// freed nonces are filled again.
    pub(super) fn remove_transactions(
        &mut self,
        hashes: &[B256],
        config: &PoolConfig,
    ) -> Vec<Arc<PooledTransaction>> {
        let mut removed = Vec::new();
        for hash in hashes {
            let Some(tx) = self.by_hash.get(hash) else {
                continue;
            };
            let (sender, nonce) = (tx.sender(), tx.nonce());
            removed.extend(self.remove_tx(sender, nonce));
            self.refresh(sender);
        }
        // The queued followers may overfill the queued sub-pool.
        self.enforce_limits(config);
        removed
    }

    /// Drops queued transactions that entered the pool `lifetime` or longer before `now`.
    pub(super) fn remove_expired(&mut self, now: Instant, lifetime: Duration) -> usize {
        let expired: Vec<(Address, u64)> = self
            .senders
            .iter()
            .filter(|(_, entry)| entry.queued_tail.is_some())
            .flat_map(|(&sender, entry)| {
                entry
                    .queued_txs()
                    .filter(|tx| now.saturating_duration_since(tx.added_at()) >= lifetime)
                    .map(move |tx| (sender, tx.nonce()))
            })
            .collect();
        for &(sender, nonce) in &expired {
            self.remove_tx(sender, nonce);
        }
        for sender in expired.iter().map(|(sender, _)| *sender).collect::<HashSet<_>>() {
            self.refresh(sender);
        }
        expired.len()
    }

    /// Snapshot of the pending transactions for a block at `base_fee`.
    pub(super) fn best_transactions(&self, base_fee: u64) -> BestTransactions {
        BestTransactions::new(
            base_fee,
            self.senders.values().map(|entry| entry.pending_txs().cloned().collect()),
        )
    }

    /// The pooled transaction with this hash.
    pub(super) fn get(&self, hash: &B256) -> Option<Arc<PooledTransaction>> {
        self.by_hash.get(hash).cloned()
    }

    /// The nonce after the sender's last pending transaction, if the pool has any of its
    /// transactions.
    pub(super) fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        self.senders.get(sender).map(|entry| entry.pending.end)
    }

    /// Pending and queued transaction counts.
    pub(super) const fn status(&self) -> PoolStatus {
        PoolStatus { pending: self.pending.txs, queued: self.queued.txs }
    }

    /// Every pooled transaction, grouped by sub-pool, sender and nonce.
    pub(super) fn content(&self) -> PoolContent {
        let mut content = PoolContent::default();
        for (&sender, entry) in &self.senders {
            let pending: BTreeMap<_, _> =
                entry.pending_txs().map(|tx| (tx.nonce(), Arc::clone(tx))).collect();
            let queued: BTreeMap<_, _> =
                entry.queued_txs().map(|tx| (tx.nonce(), Arc::clone(tx))).collect();
            if !pending.is_empty() {
                content.pending.insert(sender, pending);
            }
            if !queued.is_empty() {
                content.queued.insert(sender, queued);
            }
        }
        content
    }

    /// Number of pooled transactions.
    pub(super) fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Takes the hashes that became pending since the last call and are still pooled.
    pub(super) fn take_announcements(&mut self) -> Vec<B256> {
        let mut announcements = std::mem::take(&mut self.announcements);
        announcements.retain(|hash| self.by_hash.contains_key(hash));
        announcements
    }

    /// Re-ranks the eviction candidates when the base fee changes.
    pub(super) fn set_base_fee(&mut self, base_fee: u64) {
        if base_fee == self.base_fee {
            return;
        }
        self.base_fee = base_fee;
        self.pending_tails.clear();
        self.queued_tails.clear();
        for entry in self.senders.values_mut() {
            entry.pending_tail = TailKey::of(entry.pending_txs(), base_fee);
            entry.queued_tail = TailKey::of(entry.queued_txs(), base_fee);
            self.pending_tails.extend(entry.pending_tail);
            self.queued_tails.extend(entry.queued_tail);
        }
    }

    /// Evicts the cheapest sub-pool tails until both sub-pools are within their slot limits.
    fn enforce_limits(&mut self, config: &PoolConfig) {
        while self.pending.slots > config.max_pending
            && let Some(key) = self.pending_tails.first().copied()
        {
            self.evict(key);
        }
        while self.queued.slots > config.max_queued
            && let Some(key) = self.queued_tails.first().copied()
        {
            self.evict(key);
        }
    }

    /// Removes the eviction candidate `key` names.
    fn evict(&mut self, key: TailKey) {
        if let Some(tx) = self.remove_tx(key.sender, key.nonce) {
            tracing::debug!(
                hash = %tx.hash(),
                sender = %key.sender,
                nonce = key.nonce,
                "evicted from full txpool"
            );
        }
        self.refresh(key.sender);
    }

    /// Takes a transaction out of the maps without recounting; callers [`Self::refresh`] after.
    fn remove_tx(&mut self, sender: Address, nonce: u64) -> Option<Arc<PooledTransaction>> {
        let tx = self.senders.get_mut(&sender)?.txs.remove(&nonce)?;
        self.by_hash.remove(&tx.hash());
        Some(tx)
    }

    /// Brings one sender back in line with the invariants after its account or transactions
    /// changed: drops transactions below the account nonce or costing more than the balance,
    /// recomputes the pending run, the counters and the eviction keys, records newly pending
    /// hashes and forgets the sender once it has no transactions left.
    fn refresh(&mut self, sender: Address) {
        let Self {
            base_fee,
            by_hash,
            senders,
            pending,
            queued,
            pending_tails,
            queued_tails,
            announcements,
            ..
        } = self;
        let Some(entry) = senders.get_mut(&sender) else {
            return;
        };
        pending.sub(entry.pending_usage);
        queued.sub(entry.queued_usage);
        if let Some(key) = entry.pending_tail.take() {
            pending_tails.remove(&key);
        }
        if let Some(key) = entry.queued_tail.take() {
            queued_tails.remove(&key);
        }

        let account = entry.account;
        entry.txs.retain(|&nonce, tx| {
            let keep = nonce >= account.nonce && tx.cost() <= account.balance;
            if !keep {
                by_hash.remove(&tx.hash());
            }
            keep
        });
        if entry.txs.is_empty() {
            senders.remove(&sender);
            return;
        }

        let was_pending = std::mem::replace(&mut entry.pending, account.nonce..account.nonce);
        entry.pending_usage = Usage::default();
        entry.queued_usage = Usage::default();
        for (&nonce, tx) in &entry.txs {
            if nonce == entry.pending.end {
                entry.pending.end = nonce + 1;
                entry.pending_usage.add(Usage::of(tx));
                if !was_pending.contains(&nonce) {
                    announcements.push(tx.hash());
                }
            } else {
                entry.queued_usage.add(Usage::of(tx));
            }
        }
        pending.add(entry.pending_usage);
        queued.add(entry.queued_usage);

        entry.pending_tail = TailKey::of(entry.pending_txs(), *base_fee);
        entry.queued_tail = TailKey::of(entry.queued_txs(), *base_fee);
        pending_tails.extend(entry.pending_tail);
        queued_tails.extend(entry.queued_tail);
    }

    /// Checks every invariant of the bookkeeping; panics with the first one broken.
    #[cfg(test)]
    pub(super) fn assert_invariants(&self, config: &PoolConfig) {
        let (mut pending, mut queued, mut pooled) = (Usage::default(), Usage::default(), 0);
        let (mut pending_tails, mut queued_tails) = (BTreeSet::new(), BTreeSet::new());
        for (&sender, entry) in &self.senders {
            assert!(!entry.txs.is_empty(), "{sender} kept without transactions");
            assert!(entry.txs.len() <= config.max_per_sender, "{sender} over the sender limit");
            assert_eq!(entry.pending.start, entry.account.nonce, "{sender} pending start");
            let mut expected_end = entry.account.nonce;
            while entry.txs.contains_key(&expected_end) {
                expected_end += 1;
            }
            assert_eq!(entry.pending.end, expected_end, "{sender} pending not contiguous");
            for (&nonce, tx) in &entry.txs {
                assert_eq!((tx.sender(), tx.nonce()), (sender, nonce), "{sender} misfiled");
                assert!(nonce >= entry.account.nonce, "{sender} keeps a stale nonce");
                assert!(tx.cost() <= entry.account.balance, "{sender} keeps an unaffordable tx");
                assert!(
                    self.by_hash.get(&tx.hash()).is_some_and(|indexed| Arc::ptr_eq(indexed, tx)),
                    "{sender} nonce {nonce} missing from the hash index"
                );
                let usage = if entry.pending.contains(&nonce) { &mut pending } else { &mut queued };
                usage.add(Usage::of(tx));
                pooled += 1;
            }
            let pending_tail = TailKey::of(entry.pending_txs(), self.base_fee);
            let queued_tail = TailKey::of(entry.queued_txs(), self.base_fee);
            assert_eq!(entry.pending_tail, pending_tail, "{sender} pending tail");
            assert_eq!(entry.queued_tail, queued_tail, "{sender} queued tail");
            pending_tails.extend(entry.pending_tail);
            queued_tails.extend(entry.queued_tail);
        }
        assert_eq!(pooled, self.by_hash.len(), "hash index holds unknown transactions");
        assert_eq!(self.pending, pending, "pending counters");
        assert_eq!(self.queued, queued, "queued counters");
        assert_eq!(self.pending_tails, pending_tails, "pending eviction index");
        assert_eq!(self.queued_tails, queued_tails, "queued eviction index");
        assert!(self.pending.slots <= config.max_pending, "pending over its limit");
        assert!(self.queued.slots <= config.max_queued, "queued over its limit");
    }
}
