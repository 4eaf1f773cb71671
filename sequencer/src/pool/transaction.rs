//! A transaction as the pool keeps it.

use std::{cmp::Reverse, time::Instant};

use alloy_consensus::{Transaction, transaction::Recovered};
use alloy_primitives::{Address, B256, Bytes, U256};
use op_alloy_consensus::OpTxEnvelope;

use super::ValidTransaction;

/// Size of one pool slot. Limits are counted in slots so that large transactions use up more of
/// the pool than small ones (geth's `txSlotSize`).
pub(super) const TX_SLOT_SIZE: usize = 32 * 1024;

/// A validated transaction held by the pool, shared as `Arc<PooledTransaction>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTransaction {
    hash: B256,
    sender: Address,
    nonce: u64,
    tx: Recovered<OpTxEnvelope>,
    encoded: Bytes,
    added_at: Instant,
    submission_id: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
    gas_limit: u64,
    cost: U256,
}

impl PooledTransaction {
    /// Wraps a validated transaction that arrived at `added_at` as the pool's
    /// `submission_id`-th transaction.
    pub(super) fn new(valid: ValidTransaction, submission_id: u64, added_at: Instant) -> Self {
        let l1_fee = valid.l1_fee();
        let (tx, encoded, hash) = valid.into_parts();
        let max_fee_per_gas = tx.max_fee_per_gas();
        let gas_limit = tx.gas_limit();
        let cost = U256::from(gas_limit)
            .saturating_mul(U256::from(max_fee_per_gas))
            .saturating_add(tx.value())
            .saturating_add(l1_fee);
        Self {
            hash,
            sender: tx.signer(),
            nonce: tx.nonce(),
            max_priority_fee_per_gas: tx.priority_fee_or_price(),
            max_fee_per_gas,
            gas_limit,
            cost,
            tx,
            encoded,
            added_at,
            submission_id,
        }
    }

    /// The transaction hash.
    pub const fn hash(&self) -> B256 {
        self.hash
    }

    /// The recovered sender.
    pub const fn sender(&self) -> Address {
        self.sender
    }

    /// The sender nonce the transaction uses.
    pub const fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The decoded transaction with its sender.
    pub const fn tx(&self) -> &Recovered<OpTxEnvelope> {
        &self.tx
    }

    /// The EIP-2718 encoding, as received.
    pub const fn encoded(&self) -> &Bytes {
        &self.encoded
    }

    /// When the pool accepted the transaction.
    pub const fn added_at(&self) -> Instant {
        self.added_at
    }

    /// Arrival order in the pool: earlier transactions have smaller ids.
    pub const fn submission_id(&self) -> u64 {
        self.submission_id
    }

    /// `max_fee_per_gas`, or the gas price of legacy and EIP-2930 transactions.
    pub const fn max_fee_per_gas(&self) -> u128 {
        self.max_fee_per_gas
    }

    /// `max_priority_fee_per_gas`, or the gas price of legacy and EIP-2930 transactions.
    pub const fn max_priority_fee_per_gas(&self) -> u128 {
        self.max_priority_fee_per_gas
    }

    /// The gas limit.
    pub const fn gas_limit(&self) -> u64 {
        self.gas_limit
    }

    /// Most the transaction can take from its sender: `gas_limit * max_fee_per_gas + value +
    /// L1 data fee` (saturating; the L1 fee at the parameters it was validated with).
    pub const fn cost(&self) -> U256 {
        self.cost
    }

    /// Length of the EIP-2718 encoding in bytes.
    pub fn size(&self) -> usize {
        self.encoded.len()
    }

    /// The tip per gas the block producer earns at `base_fee`, or `None` if the transaction
    /// cannot pay the base fee.
    pub fn effective_tip_per_gas(&self, base_fee: u64) -> Option<u128> {
        let above_base = self.max_fee_per_gas.checked_sub(u128::from(base_fee))?;
        Some(above_base.min(self.max_priority_fee_per_gas))
    }

    /// Pool slots the transaction takes.
    pub(super) fn slots(&self) -> usize {
        self.size().div_ceil(TX_SLOT_SIZE)
    }

    /// How much the transaction is worth to the block producer at `base_fee`, for eviction.
    pub(super) fn fee_rank(&self, base_fee: u64) -> FeeRank {
        match self.effective_tip_per_gas(base_fee) {
            Some(tip) => FeeRank::Payable { tip, max_fee: self.max_fee_per_gas },
            None => FeeRank::BelowBaseFee(Reverse(u128::from(base_fee) - self.max_fee_per_gas)),
        }
    }
}

/// Ordering of transactions by value at a base fee; greater is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FeeRank {
    /// Cannot pay the base fee; the further below it, the lower.
    BelowBaseFee(Reverse<u128>),
    /// Pays the base fee: ranked by effective tip, then by fee cap (headroom for base fee rises,
    /// as geth's priced list).
    Payable {
        /// Effective tip per gas at the base fee.
        tip: u128,
        /// `max_fee_per_gas`.
        max_fee: u128,
    },
}
