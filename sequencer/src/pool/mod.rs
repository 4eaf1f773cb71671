//! The sequencer's transaction pool.
//!
//! Raw transactions from `eth_sendRawTransaction` are checked statelessly by
//! [`validate_raw_transaction`], then [`TxPool::add`] checks them against the sender's account
//! and files them by nonce, following geth's legacypool:
//!
//! - **pending**: for each sender, the run of consecutive nonces starting at its account nonce.
//!   These are executable and the block producer takes them from
//!   [`TxPool::best_transactions`].
//! - **queued**: everything after a sender's first nonce gap. Queued transactions are promoted as
//!   soon as the gap is filled (by a new transaction or a block) and are dropped after
//!   [`PoolConfig::max_queued_lifetime`].
//!
//! A transaction with the nonce of a pooled one replaces it only if it raises both fee fields by
//! [`PoolConfig::price_bump_percent`]. When a sub-pool is over its limit, the cheapest
//! transaction at the current base fee among the senders' last ones in that sub-pool is evicted,
//! so eviction never opens a gap; a newcomer cheaper than all of those is refused.
//!
//! [`TxPool`] is shared as `Arc<TxPool>`: every method takes `&self` and locks internally.
//! Newly pending transactions are announced on a broadcast channel
//! ([`TxPool::subscribe_pending_transactions`]).

mod best;
mod error;
mod state;
mod transaction;
mod validate;

#[cfg(test)]
mod test_utils;
#[cfg(test)]
mod tests;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use parking_lot::RwLock;
use tokio::sync::broadcast;

pub use best::BestTransactions;
pub use error::PoolError;
pub use transaction::PooledTransaction;
pub use validate::{
    DEFAULT_MAX_TX_BYTES, ValidTransaction, ValidationRules, validate_raw_transaction,
};

use state::PoolState;

/// Limits and policy of a [`TxPool`].
///
/// The sub-pool limits count 32 KiB slots, as geth does: a transaction takes one slot per
/// started 32 KiB of its encoding, so ordinary transactions take one slot each and a pool full of
/// maximum-size (128 KiB) transactions holds a quarter as many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Slots for pending (executable) transactions. Default 20 000: about 14 full 30 M-gas
    /// blocks of plain transfers, four times geth's 5 120 because the sequencer is the only
    /// block producer and must absorb bursts.
    pub max_pending: usize,
    /// Slots for queued (nonce-gapped) transactions. Default 5 000: a quarter of the pending
    /// room (geth: 1 024 for 5 120), since queued transactions cannot be mined and are the cheap
    /// way to fill a pool.
    pub max_queued: usize,
    /// Most transactions, pending and queued, one sender may have pooled. Default 64 (geth's
    /// per-account queue). A sender at the limit may still add a nonce below its highest one,
    /// which then drops that farthest-future transaction.
    pub max_per_sender: usize,
    /// How much a replacement must raise both the fee cap and the priority fee, in percent.
    /// Default 10, as geth and reth.
    pub price_bump_percent: u64,
    /// How long a queued transaction may wait for its nonce gap to fill. Default 3 hours, as
    /// geth.
    pub max_queued_lifetime: Duration,
    /// Announcements a slow subscriber of new pending transactions may fall behind by before it
    /// misses some. Default 2 048.
    pub pending_subscription_capacity: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_pending: 20_000,
            max_queued: 5_000,
            max_per_sender: 64,
            price_bump_percent: 10,
            max_queued_lifetime: Duration::from_secs(3 * 60 * 60),
            pending_subscription_capacity: 2_048,
        }
    }
}

/// A sender's account at the latest block, as read by the caller.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// Next nonce the account may use.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
}

/// Which part of the pool a transaction is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubPool {
    /// Executable now: its nonce follows the account nonce or another pending transaction.
    Pending,
    /// Waiting for a lower nonce to arrive.
    Queued,
}

/// What [`TxPool::add`] did with an accepted transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddOutcome {
    /// Hash of the added transaction.
    pub hash: B256,
    /// Where it was filed.
    pub sub_pool: SubPool,
    /// Hash of the transaction with the same sender and nonce it replaced, if any.
    pub replaced: Option<B256>,
}

/// Transaction counts, for `txpool_status`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Pending transactions.
    pub pending: usize,
    /// Queued transactions.
    pub queued: usize,
}

/// Every pooled transaction by sender and nonce, for `txpool_content`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PoolContent {
    /// Pending transactions.
    pub pending: BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>,
    /// Queued transactions.
    pub queued: BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>,
}

/// The transaction pool; see the [module documentation](self).
#[derive(Debug)]
pub struct TxPool {
    config: PoolConfig,
    state: RwLock<PoolState>,
    pending_announcer: broadcast::Sender<B256>,
}

impl TxPool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        let (pending_announcer, _) =
            broadcast::channel(config.pending_subscription_capacity.max(1));
        Self { config, state: RwLock::new(PoolState::default()), pending_announcer }
    }

    /// The pool's limits and policy.
    pub const fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Adds a validated transaction.
    ///
    /// `account` is the sender's account at the latest block and `base_fee` the base fee of the
    /// next block (it ranks transactions for eviction). Rejects a nonce below the account's
    /// ("nonce too low"), a hash already pooled, a replacement without the price bump, a
    /// transaction the balance cannot pay for (alone, or with the sender's other pending ones),
    /// a sender at its limit and a transaction too cheap to make room in a full sub-pool. The
    /// transaction is pending if its nonce continues the sender's pending run, otherwise queued;
    /// a transaction filling a gap promotes the queued ones behind it. Should those promotions
    /// overfill the pending sub-pool and the newcomer end up the cheapest, it is evicted again
    /// and "txpool is full" returned. A `base_fee` different from the last one re-ranks the
    /// pool in `O(pooled)`.
    pub fn add(
        &self,
        tx: ValidTransaction,
        account: AccountState,
        base_fee: u64,
    ) -> Result<AddOutcome, PoolError> {
        self.update(|state| {
            state.set_base_fee(base_fee);
            state.add(tx, account, &self.config, Instant::now())
        })
    }

    /// The pending transactions for a block at `base_fee`, best first; see
    /// [`BestTransactions`]. Takes a snapshot in `O(pending)` under a read lock.
    pub fn best_transactions(&self, base_fee: u64) -> BestTransactions {
        self.state.read().best_transactions(base_fee)
    }

    /// Brings the pool up to a new canonical block.
    ///
    /// `base_fee` is the base fee of the block after it, `mined` the hashes of its transactions
    /// and `accounts` the new state of the accounts it touched (senders the pool does not know
    /// are ignored). Removes mined transactions and those made stale by the new nonces or
    /// unaffordable by the new balances, queues the transactions behind a removed one, promotes
    /// queued transactions whose gap closed, and evicts if promotions overfilled the pending
    /// sub-pool.
    pub fn on_canonical_block(
        &self,
        base_fee: u64,
        mined: &[B256],
        accounts: impl IntoIterator<Item = (Address, AccountState)>,
    ) {
        self.update(|state| state.on_canonical_block(base_fee, mined, accounts, &self.config));
    }

    /// Removes transactions the block producer found unusable, returning those that were pooled.
    /// Later transactions of their senders are queued until the freed nonces are filled again.
    pub fn remove_transactions(&self, hashes: &[B256]) -> Vec<Arc<PooledTransaction>> {
        self.update(|state| state.remove_transactions(hashes, &self.config))
    }

    /// Drops queued transactions older than [`PoolConfig::max_queued_lifetime`] at `now`;
    /// returns how many. Meant to run periodically (geth: every minute); costs `O(pooled)`.
    pub fn remove_expired(&self, now: Instant) -> usize {
        self.update(|state| state.remove_expired(now, self.config.max_queued_lifetime))
    }

    /// The pooled transaction with this hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTransaction>> {
        self.state.read().get(hash)
    }

    /// The nonce after `sender`'s highest pending transaction, for
    /// `eth_getTransactionCount(sender, "pending")`; `None` if the pool has none of its
    /// transactions (the caller then answers with the account nonce).
    pub fn pending_nonce(&self, sender: Address) -> Option<u64> {
        self.state.read().pending_nonce(&sender)
    }

    /// Pending and queued transaction counts.
    pub fn status(&self) -> PoolStatus {
        self.state.read().status()
    }

    /// Every pooled transaction, by sub-pool, sender and nonce.
    pub fn content(&self) -> PoolContent {
        self.state.read().content()
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.state.read().len()
    }

    /// Whether the pool holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hashes of transactions as they become pending (added, promoted or replacing a pending
    /// one), for `eth_subscribe("newPendingTransactions")`. A subscriber more than
    /// [`PoolConfig::pending_subscription_capacity`] behind misses the oldest ones.
    pub fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256> {
        self.pending_announcer.subscribe()
    }

    /// Runs `f` under the write lock, then announces newly pending transactions unlocked.
    fn update<R>(&self, f: impl FnOnce(&mut PoolState) -> R) -> R {
        let (result, announcements) = {
            let mut state = self.state.write();
            let result = f(&mut state);
            (result, state.take_announcements())
        };
        for hash in announcements {
            // An error only means nobody is subscribed right now.
            let _ = self.pending_announcer.send(hash);
        }
        result
    }
}
