//! Persistent chain and state storage in an embedded, crash-safe key-value store (redb).
//!
//! Every block is written in one redb write transaction — header, body, receipts, transaction
//! index, state changes and the history needed to read state at older blocks — and redb commits are
//! durable and atomic, so after a crash the node reopens at the last committed block, never in
//! between. State is keyed by hashed address and hashed slot: the order the state trie needs.
//!
//! Each block also records which state keys it changed, so the newest blocks can be unwound (an L1
//! reorg, a derived block replacing a sequenced one) in one write transaction too.

mod codec;
mod reader;
mod unwind;

pub use codec::StoredAccount;
pub use reader::{StateAt, StoreReader};

use crate::error::{NodeError, StorageError};
use alloy_consensus::{Header, transaction::Recovered};
use alloy_eips::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use codec::{history_key, slot_key};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};
use trex_chainspec::ChainSpec;
use unwind::{ChangeSet, SlotRef};

pub(crate) const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
pub(crate) const HEADERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("headers");
pub(crate) const CANONICAL: TableDefinition<'_, u64, &[u8; 32]> = TableDefinition::new("canonical");
pub(crate) const HASH_TO_NUMBER: TableDefinition<'_, &[u8; 32], u64> =
    TableDefinition::new("hash_to_number");
pub(crate) const BODIES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("bodies");
pub(crate) const RECEIPTS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("receipts");
pub(crate) const TX_LOOKUP: TableDefinition<'_, &[u8; 32], (u64, u32)> =
    TableDefinition::new("tx_lookup");
pub(crate) const ACCOUNTS: TableDefinition<'_, &[u8; 32], &[u8]> = TableDefinition::new("accounts");
pub(crate) const STORAGE: TableDefinition<'_, &[u8; 64], &[u8; 32]> =
    TableDefinition::new("storage");
pub(crate) const BYTECODES: TableDefinition<'_, &[u8; 32], &[u8]> =
    TableDefinition::new("bytecodes");
/// Hashed address ‖ block → the account before that block (empty: did not exist).
pub(crate) const ACCOUNT_HISTORY: TableDefinition<'_, &[u8; 40], &[u8]> =
    TableDefinition::new("account_history");
/// Hashed address ‖ hashed slot ‖ block → the slot value before that block.
pub(crate) const STORAGE_HISTORY: TableDefinition<'_, &[u8; 72], &[u8; 32]> =
    TableDefinition::new("storage_history");
/// Block → the state keys it changed (RLP [`ChangeSet`]), to find its history entries when the
/// block is unwound.
pub(crate) const CHANGE_SETS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("change_sets");

const HEAD_KEY: &str = "head";
const GENESIS_KEY: &str = "genesis";

/// A block as it is stored and served: the sealed header, its transactions with recovered senders
/// and their receipts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlock {
    /// The header.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Transactions in block order, with their senders.
    pub transactions: Vec<Recovered<OpTxEnvelope>>,
    /// One receipt per transaction.
    pub receipts: Vec<OpReceiptEnvelope>,
}

/// The state a block leaves behind, relative to its parent, already keyed by hashed address.
#[derive(Debug, Default, Clone)]
pub struct StateChanges {
    /// Changed accounts: the new value, or `None` when the account was deleted.
    pub accounts: BTreeMap<B256, Option<StoredAccount>>,
    /// Accounts whose whole storage was cleared before `storage` is applied (self-destruct).
    pub wiped: Vec<B256>,
    /// Changed storage slots per account (zero means deleted).
    pub storage: BTreeMap<B256, BTreeMap<B256, U256>>,
    /// New contract code by hash.
    pub bytecodes: Vec<(B256, Bytes)>,
}

#[derive(RlpEncodable, RlpDecodable)]
struct BodyRecord {
    transactions: Vec<Bytes>,
    senders: Vec<Address>,
}

/// Handle to the node's database. Cheap to share behind an `Arc`; readers take consistent
/// snapshots while the single block producer writes.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database in `datadir` and writes the genesis block if it is new.
    /// Fails if the datadir holds another chain.
    pub fn open(datadir: &Path, chain: &ChainSpec) -> Result<Self, NodeError> {
        std::fs::create_dir_all(datadir)
            .map_err(|source| NodeError::Datadir { path: datadir.to_path_buf(), source })?;
        let db = Database::create(datadir.join("chain.redb")).map_err(StorageError::from)?;
        let store = Self { db };
        store.create_tables()?;
        match store.reader()?.genesis_hash()? {
            Some(hash) if hash == chain.genesis_hash() => {}
            Some(hash) => {
                return Err(NodeError::GenesisMismatch {
                    stored: hash,
                    expected: chain.genesis_hash(),
                });
            }
            None => store.write_genesis(chain)?,
        }
        Ok(store)
    }

    fn create_tables(&self) -> Result<(), StorageError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?;
        tx.open_table(HEADERS)?;
        tx.open_table(CANONICAL)?;
        tx.open_table(HASH_TO_NUMBER)?;
        tx.open_table(BODIES)?;
        tx.open_table(RECEIPTS)?;
        tx.open_table(TX_LOOKUP)?;
        tx.open_table(ACCOUNTS)?;
        tx.open_table(STORAGE)?;
        tx.open_table(BYTECODES)?;
        tx.open_table(ACCOUNT_HISTORY)?;
        tx.open_table(STORAGE_HISTORY)?;
        tx.open_table(CHANGE_SETS)?;
        tx.commit()?;
        Ok(())
    }

    /// A consistent read-only snapshot of the latest committed state.
    pub fn reader(&self) -> Result<StoreReader, StorageError> {
        StoreReader::new(self.db.begin_read()?)
    }

    fn write_genesis(&self, chain: &ChainSpec) -> Result<(), StorageError> {
        let mut changes = StateChanges::default();
        for (address, account) in &chain.genesis.alloc {
            let hashed = keccak256(address);
            let trie = account.clone().into_trie_account();
            changes.accounts.insert(
                hashed,
                Some(StoredAccount {
                    nonce: trie.nonce,
                    balance: trie.balance,
                    code_hash: trie.code_hash,
                    storage_root: trie.storage_root,
                }),
            );
            let slots = changes.storage.entry(hashed).or_default();
            for (slot, value) in account.storage_slots() {
                slots.insert(keccak256(slot), value);
            }
            if let Some(code) = account.non_empty_code() {
                changes.bytecodes.push((trie.code_hash, code.clone()));
            }
        }
        let header = chain.genesis_header().clone();
        let block = StoredBlock {
            hash: chain.genesis_hash(),
            header,
            transactions: vec![],
            receipts: vec![],
        };
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(GENESIS_KEY, chain.genesis_hash().as_slice())?;
        write_block(&tx, &block, &changes)?;
        tx.commit()?;
        Ok(())
    }

    /// Appends `block` and its state changes atomically and durably; it becomes the new head.
    pub fn commit_block(
        &self,
        block: &StoredBlock,
        changes: &StateChanges,
    ) -> Result<(), StorageError> {
        let started = std::time::Instant::now();
        let tx = self.db.begin_write()?;
        write_block(&tx, block, changes)?;
        let written = started.elapsed();
        tx.commit()?;
        tracing::debug!(
            number = block.header.number,
            write_ms = written.as_millis() as u64,
            sync_ms = (started.elapsed() - written).as_millis() as u64,
            "committed block"
        );
        Ok(())
    }

    /// Removes every block above `number` and restores the state after block `number`, atomically
    /// and durably in one write transaction; `number` becomes the head. Returns the removed
    /// blocks, oldest first (empty when `number` is already the head). Fails when `number` is
    /// above the head.
    ///
    /// The store caches nothing in memory; readers opened before the unwind keep seeing their
    /// snapshot, later ones see the shorter chain.
    pub fn unwind_to(&self, number: u64) -> Result<Vec<StoredBlock>, StorageError> {
        let started = std::time::Instant::now();
        let tx = self.db.begin_write()?;
        let removed = unwind::unwind(&tx, number)?;
        if removed.is_empty() {
            tx.abort()?;
            return Ok(removed);
        }
        tx.commit()?;
        tracing::debug!(
            to = number,
            blocks = removed.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "unwound blocks"
        );
        Ok(removed)
    }
}

fn write_block(
    tx: &redb::WriteTransaction,
    block: &StoredBlock,
    changes: &StateChanges,
) -> Result<(), StorageError> {
    let number = block.header.number;
    let hash: [u8; 32] = block.hash.0;
    {
        let mut buf = Vec::with_capacity(600);
        block.header.encode(&mut buf);
        tx.open_table(HEADERS)?.insert(number, buf.as_slice())?;
        tx.open_table(CANONICAL)?.insert(number, &hash)?;
        tx.open_table(HASH_TO_NUMBER)?.insert(&hash, number)?;

        let body = BodyRecord {
            transactions: block
                .transactions
                .iter()
                .map(|tx| tx.inner().encoded_2718().into())
                .collect(),
            senders: block.transactions.iter().map(|tx| tx.signer()).collect(),
        };
        buf.clear();
        body.encode(&mut buf);
        tx.open_table(BODIES)?.insert(number, buf.as_slice())?;

        let receipts: Vec<Bytes> =
            block.receipts.iter().map(|receipt| receipt.encoded_2718().into()).collect();
        buf.clear();
        receipts.encode(&mut buf);
        tx.open_table(RECEIPTS)?.insert(number, buf.as_slice())?;

        let mut lookup = tx.open_table(TX_LOOKUP)?;
        for (index, transaction) in block.transactions.iter().enumerate() {
            lookup.insert(&transaction.inner().tx_hash().0, (number, index as u32))?;
        }
        tx.open_table(META)?.insert(HEAD_KEY, number.to_be_bytes().as_slice())?;
    }
    write_state(tx, number, changes)
}

fn write_state(
    tx: &redb::WriteTransaction,
    number: u64,
    changes: &StateChanges,
) -> Result<(), StorageError> {
    let mut accounts = tx.open_table(ACCOUNTS)?;
    let mut account_history = tx.open_table(ACCOUNT_HISTORY)?;
    let mut storage = tx.open_table(STORAGE)?;
    let mut storage_history = tx.open_table(STORAGE_HISTORY)?;
    let mut changed_slots = BTreeSet::new();

    for hashed in &changes.wiped {
        let start = slot_key(hashed, &B256::ZERO);
        let end = slot_key(hashed, &B256::repeat_byte(0xff));
        let slots: Vec<([u8; 64], [u8; 32])> = storage
            .range::<&[u8; 64]>(&start..=&end)?
            .map(|entry| entry.map(|(key, value)| (*key.value(), *value.value())))
            .collect::<Result<_, _>>()?;
        for (key, old) in slots {
            storage_history.insert(&history_key::<72>(&key, number), &old)?;
            storage.remove(&key)?;
            changed_slots.insert(SlotRef::from_key(&key));
        }
    }
    for (hashed, slots) in &changes.storage {
        for (hashed_slot, value) in slots {
            let key = slot_key(hashed, hashed_slot);
            changed_slots.insert(SlotRef { address: *hashed, slot: *hashed_slot });
            let history = history_key::<72>(&key, number);
            let old = storage.get(&key)?.map(|old| *old.value()).unwrap_or([0u8; 32]);
            if storage_history.get(&history)?.is_none() {
                storage_history.insert(&history, &old)?;
            }
            if value.is_zero() {
                storage.remove(&key)?;
            } else {
                storage.insert(&key, &value.to_be_bytes::<32>())?;
            }
        }
    }
    for (hashed, account) in &changes.accounts {
        let old = accounts.get(&hashed.0)?.map(|old| old.value().to_vec()).unwrap_or_default();
        account_history.insert(&history_key::<40>(hashed.as_slice(), number), old.as_slice())?;
        match account {
            Some(account) => accounts.insert(&hashed.0, account.encode().as_slice())?,
            None => accounts.remove(&hashed.0)?,
        };
    }
    let mut bytecodes = tx.open_table(BYTECODES)?;
    let mut new_bytecodes = Vec::new();
    for (hash, code) in &changes.bytecodes {
        if bytecodes.insert(&hash.0, code.as_ref())?.is_none() {
            new_bytecodes.push(*hash);
        }
    }
    let change_set = ChangeSet {
        accounts: changes.accounts.keys().copied().collect(),
        slots: changed_slots.into_iter().collect(),
        bytecodes: new_bytecodes,
    };
    unwind::write_change_set(tx, number, &change_set)
}

fn decode_body(bytes: &[u8]) -> Result<Vec<Recovered<OpTxEnvelope>>, StorageError> {
    let body = BodyRecord::decode(&mut &bytes[..])?;
    body.transactions
        .iter()
        .zip(body.senders)
        .map(|(raw, sender)| {
            let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|err| StorageError::Corrupt(format!("stored transaction: {err}")))?;
            Ok(Recovered::new_unchecked(tx, sender))
        })
        .collect()
}

fn decode_receipts(bytes: &[u8]) -> Result<Vec<OpReceiptEnvelope>, StorageError> {
    Vec::<Bytes>::decode(&mut &bytes[..])?
        .iter()
        .map(|raw| {
            OpReceiptEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|err| StorageError::Corrupt(format!("stored receipt: {err}")))
        })
        .collect()
}
