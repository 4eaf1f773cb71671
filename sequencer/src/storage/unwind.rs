//! Unwinding: removing the newest blocks and restoring the state they changed.
//!
//! Every block's [`ChangeSet`] names the state keys it touched. Their values before the block are
//! in the history tables (hashed key ‖ block → old value), so unwinding block `b` puts those old
//! values back into the plain state and deletes the history entries. Going from the head down to
//! the target, the last restore of each key is the one from the oldest removed block: its value
//! after the target block.

use super::{
    ACCOUNT_HISTORY, ACCOUNTS, BODIES, BYTECODES, CANONICAL, CHANGE_SETS, HASH_TO_NUMBER, HEAD_KEY,
    HEADERS, META, RECEIPTS, STORAGE, STORAGE_HISTORY, StoredBlock, TX_LOOKUP,
    codec::{history_key, slot_key},
    decode_body, decode_receipts,
};
use crate::error::StorageError;
use alloy_consensus::Header;
use alloy_primitives::B256;
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use redb::{ReadableTable, WriteTransaction};

/// The state keys one block changed: what unwinding it must restore.
#[derive(Debug, Default, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub(super) struct ChangeSet {
    /// Hashed addresses of changed (created, modified, deleted) accounts.
    pub(super) accounts: Vec<B256>,
    /// Changed or wiped storage slots.
    pub(super) slots: Vec<SlotRef>,
    /// Code hashes this block added to the bytecode table (not there before it).
    pub(super) bytecodes: Vec<B256>,
}

/// A storage slot by hashed address and hashed slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, RlpEncodable, RlpDecodable)]
pub(super) struct SlotRef {
    /// Hashed address of the account.
    pub(super) address: B256,
    /// Hashed slot.
    pub(super) slot: B256,
}

impl SlotRef {
    /// Splits a storage-table key.
    pub(super) fn from_key(key: &[u8; 64]) -> Self {
        Self { address: B256::from_slice(&key[..32]), slot: B256::from_slice(&key[32..]) }
    }

    fn key(&self) -> [u8; 64] {
        slot_key(&self.address, &self.slot)
    }
}

/// Stores block `number`'s change set.
pub(super) fn write_change_set(
    tx: &WriteTransaction,
    number: u64,
    change_set: &ChangeSet,
) -> Result<(), StorageError> {
    let mut buf = Vec::with_capacity(change_set.length());
    change_set.encode(&mut buf);
    tx.open_table(CHANGE_SETS)?.insert(number, buf.as_slice())?;
    Ok(())
}

/// Removes the blocks above `number` and restores the state after `number`, inside `tx`. Returns
/// the removed blocks, oldest first; none when `number` is the head.
pub(super) fn unwind(tx: &WriteTransaction, number: u64) -> Result<Vec<StoredBlock>, StorageError> {
    let head = head_number(tx)?;
    if number > head {
        return Err(StorageError::Database(format!(
            "cannot unwind to block {number}: the head is block {head}"
        )));
    }
    let mut removed = Vec::with_capacity((head - number) as usize);
    for block in (number + 1..=head).rev() {
        removed.push(remove_block(tx, block)?);
        restore_state(tx, block)?;
    }
    if head > number {
        tx.open_table(META)?.insert(HEAD_KEY, number.to_be_bytes().as_slice())?;
    }
    removed.reverse();
    Ok(removed)
}

fn head_number(tx: &WriteTransaction) -> Result<u64, StorageError> {
    let meta = tx.open_table(META)?;
    let head = meta.get(HEAD_KEY)?.ok_or_else(|| StorageError::Corrupt("no head".into()))?;
    let bytes: [u8; 8] =
        head.value().try_into().map_err(|_| StorageError::Corrupt("head".into()))?;
    Ok(u64::from_be_bytes(bytes))
}

/// Deletes block `number` from the chain tables and returns it.
fn remove_block(tx: &WriteTransaction, number: u64) -> Result<StoredBlock, StorageError> {
    let missing = |what: &str| StorageError::Corrupt(format!("no {what} for block {number}"));
    let header = match tx.open_table(HEADERS)?.remove(number)? {
        Some(raw) => Header::decode(&mut raw.value())?,
        None => return Err(missing("header")),
    };
    let hash = match tx.open_table(CANONICAL)?.remove(number)? {
        Some(hash) => B256::from(*hash.value()),
        None => return Err(missing("canonical hash")),
    };
    tx.open_table(HASH_TO_NUMBER)?.remove(&hash.0)?;
    let transactions = match tx.open_table(BODIES)?.remove(number)? {
        Some(raw) => decode_body(raw.value())?,
        None => return Err(missing("body")),
    };
    let receipts = match tx.open_table(RECEIPTS)?.remove(number)? {
        Some(raw) => decode_receipts(raw.value())?,
        None => return Err(missing("receipts")),
    };
    let mut lookup = tx.open_table(TX_LOOKUP)?;
    for transaction in &transactions {
        let hash = transaction.inner().tx_hash().0;
        let in_this_block = lookup.get(&hash)?.is_some_and(|loc| loc.value().0 == number);
        if in_this_block {
            lookup.remove(&hash)?;
        }
    }
    Ok(StoredBlock { header, hash, transactions, receipts })
}

/// Puts back the state block `number` changed to its value before the block, and drops the
/// block's history entries and change set.
fn restore_state(tx: &WriteTransaction, number: u64) -> Result<(), StorageError> {
    let change_set = match tx.open_table(CHANGE_SETS)?.remove(number)? {
        Some(raw) => ChangeSet::decode(&mut raw.value())?,
        None => scan_change_set(tx, number)?,
    };

    let mut accounts = tx.open_table(ACCOUNTS)?;
    let mut account_history = tx.open_table(ACCOUNT_HISTORY)?;
    for hashed in &change_set.accounts {
        let key = history_key::<40>(hashed.as_slice(), number);
        let before = account_history
            .remove(&key)?
            .map(|old| old.value().to_vec())
            .ok_or_else(|| StorageError::Corrupt(format!("no history of {hashed} at {number}")))?;
        if before.is_empty() {
            accounts.remove(&hashed.0)?;
        } else {
            accounts.insert(&hashed.0, before.as_slice())?;
        }
    }

    let mut storage = tx.open_table(STORAGE)?;
    let mut storage_history = tx.open_table(STORAGE_HISTORY)?;
    for slot in &change_set.slots {
        let key = slot.key();
        let before =
            storage_history.remove(&history_key::<72>(&key, number))?.map(|old| *old.value());
        let before = before.ok_or_else(|| {
            StorageError::Corrupt(format!(
                "no history of slot {} of {} at {number}",
                slot.slot, slot.address
            ))
        })?;
        if before == [0u8; 32] {
            storage.remove(&key)?;
        } else {
            storage.insert(&key, &before)?;
        }
    }

    let mut bytecodes = tx.open_table(BYTECODES)?;
    for code_hash in &change_set.bytecodes {
        bytecodes.remove(&code_hash.0)?;
    }
    Ok(())
}

/// The change set of a block written before change sets were recorded, recovered by scanning the
/// history tables (slow, and without the block's new bytecodes, which then stay behind: they are
/// content-addressed, so a leftover is unused but harmless).
fn scan_change_set(tx: &WriteTransaction, number: u64) -> Result<ChangeSet, StorageError> {
    tracing::warn!(number, "no change set for block: scanning the state history");
    let at = number.to_be_bytes();
    let mut change_set = ChangeSet::default();
    for entry in tx.open_table(ACCOUNT_HISTORY)?.iter()? {
        let (key, _) = entry?;
        let key = key.value();
        if key[32..] == at {
            change_set.accounts.push(B256::from_slice(&key[..32]));
        }
    }
    for entry in tx.open_table(STORAGE_HISTORY)?.iter()? {
        let (key, _) = entry?;
        let key = key.value();
        if key[64..] == at {
            change_set.slots.push(SlotRef::from_key(key[..64].try_into().expect("64 bytes")));
        }
    }
    Ok(change_set)
}
