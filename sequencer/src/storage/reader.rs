//! Consistent read snapshots: chain data, latest state and state at any past block.

use super::{
    ACCOUNT_HISTORY, ACCOUNTS, BODIES, BYTECODES, CANONICAL, GENESIS_KEY, HASH_TO_NUMBER, HEAD_KEY,
    HEADERS, META, RECEIPTS, STORAGE, STORAGE_HISTORY, StoredAccount, StoredBlock, TX_LOOKUP,
    codec::{history_key, slot_key},
    decode_body, decode_receipts,
};
use crate::error::StorageError;
use alloy_consensus::{Header, transaction::Recovered};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};
use revm::{
    bytecode::Bytecode,
    database_interface::DatabaseRef,
    primitives::{KECCAK_EMPTY, StorageKey, StorageValue},
    state::AccountInfo,
};

/// A read-only snapshot of the store: every read through one reader sees the same committed
/// block, whatever the producer commits meanwhile.
#[derive(Debug)]
pub struct StoreReader {
    _tx: ReadTransaction,
    meta: ReadOnlyTable<&'static str, &'static [u8]>,
    headers: ReadOnlyTable<u64, &'static [u8]>,
    canonical: ReadOnlyTable<u64, &'static [u8; 32]>,
    hash_to_number: ReadOnlyTable<&'static [u8; 32], u64>,
    bodies: ReadOnlyTable<u64, &'static [u8]>,
    receipts: ReadOnlyTable<u64, &'static [u8]>,
    tx_lookup: ReadOnlyTable<&'static [u8; 32], (u64, u32)>,
    accounts: ReadOnlyTable<&'static [u8; 32], &'static [u8]>,
    storage: ReadOnlyTable<&'static [u8; 64], &'static [u8; 32]>,
    bytecodes: ReadOnlyTable<&'static [u8; 32], &'static [u8]>,
    account_history: ReadOnlyTable<&'static [u8; 40], &'static [u8]>,
    storage_history: ReadOnlyTable<&'static [u8; 72], &'static [u8; 32]>,
}

impl StoreReader {
    pub(super) fn new(tx: ReadTransaction) -> Result<Self, StorageError> {
        let reader = Self {
            meta: tx.open_table(META)?,
            headers: tx.open_table(HEADERS)?,
            canonical: tx.open_table(CANONICAL)?,
            hash_to_number: tx.open_table(HASH_TO_NUMBER)?,
            bodies: tx.open_table(BODIES)?,
            receipts: tx.open_table(RECEIPTS)?,
            tx_lookup: tx.open_table(TX_LOOKUP)?,
            accounts: tx.open_table(ACCOUNTS)?,
            storage: tx.open_table(STORAGE)?,
            bytecodes: tx.open_table(BYTECODES)?,
            account_history: tx.open_table(ACCOUNT_HISTORY)?,
            storage_history: tx.open_table(STORAGE_HISTORY)?,
            _tx: tx,
        };
        Ok(reader)
    }

    /// Hash of the genesis block this database was created for, if any.
    pub fn genesis_hash(&self) -> Result<Option<B256>, StorageError> {
        Ok(self.meta.get(GENESIS_KEY)?.map(|hash| B256::from_slice(hash.value())))
    }

    /// Number of the newest committed block.
    pub fn head_number(&self) -> Result<u64, StorageError> {
        let head = self.meta.get(HEAD_KEY)?.ok_or(StorageError::Corrupt("no head".into()))?;
        let bytes: [u8; 8] =
            head.value().try_into().map_err(|_| StorageError::Corrupt("head".into()))?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// Header of canonical block `number`.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StorageError> {
        self.headers
            .get(number)?
            .map(|raw| Header::decode(&mut raw.value()).map_err(StorageError::from))
            .transpose()
    }

    /// Hash of canonical block `number`.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StorageError> {
        Ok(self.canonical.get(number)?.map(|hash| B256::from(*hash.value())))
    }

    /// Number of the canonical block with this hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        Ok(self.hash_to_number.get(&hash.0)?.map(|number| number.value()))
    }

    /// Transactions of block `number` with their senders.
    pub fn transactions(&self, number: u64) -> Result<Vec<Recovered<OpTxEnvelope>>, StorageError> {
        self.bodies.get(number)?.map_or(Ok(Vec::new()), |raw| decode_body(raw.value()))
    }

    /// Receipts of block `number`.
    pub fn receipts(&self, number: u64) -> Result<Vec<OpReceiptEnvelope>, StorageError> {
        self.receipts.get(number)?.map_or(Ok(Vec::new()), |raw| decode_receipts(raw.value()))
    }

    /// The whole canonical block `number`.
    pub fn block(&self, number: u64) -> Result<Option<StoredBlock>, StorageError> {
        let Some(header) = self.header(number)? else { return Ok(None) };
        let hash = self.block_hash(number)?.unwrap_or_else(|| header.hash_slow());
        Ok(Some(StoredBlock {
            header,
            hash,
            transactions: self.transactions(number)?,
            receipts: self.receipts(number)?,
        }))
    }

    /// Block number and index of a mined transaction.
    pub fn transaction_location(&self, hash: &B256) -> Result<Option<(u64, usize)>, StorageError> {
        Ok(self.tx_lookup.get(&hash.0)?.map(|loc| {
            let (block, index) = loc.value();
            (block, index as usize)
        }))
    }

    /// The account at `hashed_address` after block `at` (`None`: latest).
    pub fn account(
        &self,
        hashed_address: &B256,
        at: Option<u64>,
    ) -> Result<Option<StoredAccount>, StorageError> {
        if let Some(block) = at {
            let start = history_key::<40>(hashed_address.as_slice(), block + 1);
            let end = history_key::<40>(hashed_address.as_slice(), u64::MAX);
            if let Some(entry) = self.account_history.range::<&[u8; 40]>(&start..=&end)?.next() {
                let (_, before) = entry?;
                return decode_optional_account(before.value());
            }
        }
        self.accounts
            .get(&hashed_address.0)?
            .map_or(Ok(None), |raw| decode_optional_account(raw.value()))
    }

    /// A storage slot of `hashed_address` after block `at` (`None`: latest).
    pub fn storage(
        &self,
        hashed_address: &B256,
        hashed_slot: &B256,
        at: Option<u64>,
    ) -> Result<U256, StorageError> {
        let key = slot_key(hashed_address, hashed_slot);
        if let Some(block) = at {
            let start = history_key::<72>(&key, block + 1);
            let end = history_key::<72>(&key, u64::MAX);
            if let Some(entry) = self.storage_history.range::<&[u8; 72]>(&start..=&end)?.next() {
                let (_, before) = entry?;
                return Ok(U256::from_be_bytes(*before.value()));
            }
        }
        Ok(self.storage.get(&key)?.map_or(U256::ZERO, |value| U256::from_be_bytes(*value.value())))
    }

    /// Contract code by hash.
    pub fn bytecode(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        if *code_hash == KECCAK_EMPTY {
            return Ok(Some(Bytes::new()));
        }
        Ok(self.bytecodes.get(&code_hash.0)?.map(|code| Bytes::copy_from_slice(code.value())))
    }

    /// Every account of the latest state in hashed-address order (the state trie's leaf order).
    pub fn accounts_sorted(
        &self,
    ) -> Result<impl Iterator<Item = Result<(B256, StoredAccount), StorageError>> + '_, StorageError>
    {
        Ok(self.accounts.iter()?.map(|entry| {
            let (key, value) = entry?;
            let account = StoredAccount::decode(value.value())
                .ok_or_else(|| StorageError::Corrupt("account".into()))?;
            Ok((B256::from(*key.value()), account))
        }))
    }

    /// Every non-zero storage slot of `hashed_address` in the latest state, in hashed-slot order.
    pub fn storage_sorted(
        &self,
        hashed_address: &B256,
    ) -> Result<impl Iterator<Item = Result<(B256, U256), StorageError>> + '_, StorageError> {
        let start = slot_key(hashed_address, &B256::ZERO);
        let end = slot_key(hashed_address, &B256::repeat_byte(0xff));
        Ok(self.storage.range::<&[u8; 64]>(&start..=&end)?.map(|entry| {
            let (key, value) = entry?;
            Ok((B256::from_slice(&key.value()[32..]), U256::from_be_bytes(*value.value())))
        }))
    }

    /// Hashed addresses changed in blocks after `block`, with their value after `block`.
    pub fn accounts_changed_after(
        &self,
        block: u64,
    ) -> Result<std::collections::BTreeMap<B256, Option<StoredAccount>>, StorageError> {
        let mut out = std::collections::BTreeMap::new();
        for entry in self.account_history.iter()? {
            let (key, _) = entry?;
            let key = key.value();
            let changed_at = u64::from_be_bytes(key[32..].try_into().expect("8 bytes"));
            if changed_at > block {
                let hashed = B256::from_slice(&key[..32]);
                if let std::collections::btree_map::Entry::Vacant(entry) = out.entry(hashed) {
                    entry.insert(self.account(&hashed, Some(block))?);
                }
            }
        }
        Ok(out)
    }

    /// Storage slots of `hashed_address` changed after `block`, with their value after `block`.
    pub fn storage_changed_after(
        &self,
        hashed_address: &B256,
        block: u64,
    ) -> Result<std::collections::BTreeMap<B256, U256>, StorageError> {
        let start = history_key::<72>(&slot_key(hashed_address, &B256::ZERO), 0);
        let end = history_key::<72>(&slot_key(hashed_address, &B256::repeat_byte(0xff)), u64::MAX);
        let mut out = std::collections::BTreeMap::new();
        for entry in self.storage_history.range::<&[u8; 72]>(&start..=&end)? {
            let (key, _) = entry?;
            let key = key.value();
            let changed_at = u64::from_be_bytes(key[64..].try_into().expect("8 bytes"));
            let slot = B256::from_slice(&key[32..64]);
            if changed_at > block && !out.contains_key(&slot) {
                out.insert(slot, self.storage(hashed_address, &slot, Some(block))?);
            }
        }
        Ok(out)
    }
}

fn decode_optional_account(bytes: &[u8]) -> Result<Option<StoredAccount>, StorageError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    StoredAccount::decode(bytes).map(Some).ok_or_else(|| StorageError::Corrupt("account".into()))
}

/// The EVM's view of state after block `at` (or the latest block), served from a [`StoreReader`].
#[derive(Debug)]
pub struct StateAt {
    reader: StoreReader,
    at: Option<u64>,
}

impl StateAt {
    /// State after the latest committed block.
    pub const fn latest(reader: StoreReader) -> Self {
        Self { reader, at: None }
    }

    /// State after block `number`; the latest state when `number` is the head.
    pub fn at_block(reader: StoreReader, number: u64) -> Result<Self, StorageError> {
        let at = (number < reader.head_number()?).then_some(number);
        Ok(Self { reader, at })
    }

    /// The snapshot this view reads from.
    pub const fn reader(&self) -> &StoreReader {
        &self.reader
    }

    /// The block this view is pinned to, `None` for the latest.
    pub const fn pinned_block(&self) -> Option<u64> {
        self.at
    }

    /// The account at `address`.
    pub fn account(&self, address: Address) -> Result<Option<StoredAccount>, StorageError> {
        self.reader.account(&keccak256(address), self.at)
    }

    /// A storage slot of `address`.
    pub fn storage(&self, address: Address, slot: U256) -> Result<U256, StorageError> {
        let slot = B256::from(slot.to_be_bytes::<32>());
        self.reader.storage(&keccak256(address), &keccak256(slot), self.at)
    }
}

impl DatabaseRef for StateAt {
    type Error = StorageError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(address)?.map(StoredAccount::to_account_info))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        let code = self
            .reader
            .bytecode(&code_hash)?
            .ok_or_else(|| StorageError::Corrupt(format!("missing bytecode {code_hash}")))?;
        Ok(Bytecode::new_raw(code))
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.storage(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.reader.block_hash(number)?.unwrap_or_default())
    }
}
