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
        return Err(StorageError::UnwindBeyondHead { target: number, head });
    }
    let mut removed = Vec::with_capacity((head - number) as usize);
    for block in (number + 1..=head).rev() {
        removed.push(remove_block(tx, block)?);
        restore_state(tx, block)?;
    }
    tx.open_table(META)?.insert(HEAD_KEY, number.to_be_bytes().as_slice())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        executor::{BlockAttributes, BlockBuilder, CandidateTx},
        storage::{StateAt, StateChanges, Store, StoredAccount},
        trie,
    };
    use alloy_consensus::{SignableTransaction, TxEip1559, transaction::Recovered};
    use alloy_eips::Encodable2718;
    use alloy_primitives::{Address, Bytes, TxKind, U256, address, keccak256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use op_alloy_consensus::OpTxEnvelope;
    use proptest::prelude::*;
    use redb::{Key, ReadableDatabase, TableDefinition, Value};
    use std::{
        collections::{BTreeMap, HashMap},
        sync::Arc,
    };
    use trex_chainspec::ChainSpec;

    /// Anvil's first three dev keys (funded in the devnet genesis).
    const KEYS: [&str; 3] = [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    ];

    /// Runtime code `sstore(calldata[32..64], calldata[0..32])`.
    const STORE_RUNTIME: [u8; 8] = [0x60, 0x00, 0x35, 0x60, 0x20, 0x35, 0x55, 0x00];

    /// Init code that sets slot 0 to 1 and deploys `runtime` (at most 255 bytes).
    fn storing_init_code(runtime: &[u8]) -> Vec<u8> {
        let len = runtime.len() as u8;
        let mut code = vec![0x60, 0x01, 0x60, 0x00, 0x55];
        code.extend([0x60, len, 0x60, 17, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3]);
        code.extend_from_slice(runtime);
        code
    }

    /// Init code that self-destructs at once, sending the endowment to `beneficiary`.
    fn suicidal_init_code(beneficiary: Address) -> Vec<u8> {
        let mut code = vec![0x73];
        code.extend_from_slice(beneficiary.as_slice());
        code.push(0xff);
        code
    }

    /// Init code deploying runtime code that self-destructs to its caller.
    const SELFDESTRUCT_TO_CALLER_INIT: [u8; 14] =
        [0x60, 0x02, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x02, 0x60, 0x00, 0xf3, 0x33, 0xff];

    fn set_slot(slot: u64, value: u64) -> Vec<u8> {
        let mut data = U256::from(value).to_be_bytes::<32>().to_vec();
        data.extend(U256::from(slot).to_be_bytes::<32>());
        data
    }

    /// One transaction to put in a block: signer index, destination, value, input.
    #[derive(Debug, Clone)]
    struct Call(usize, TxKind, u64, Vec<u8>);

    fn transfer(from: usize, to: Address, value: u64) -> Call {
        Call(from, TxKind::Call(to), value, vec![])
    }

    type Dump = BTreeMap<&'static str, Vec<(Vec<u8>, Vec<u8>)>>;

    struct TestChain {
        dir: tempfile::TempDir,
        chain: Arc<ChainSpec>,
        store: Store,
        builder: BlockBuilder,
        signers: Vec<PrivateKeySigner>,
    }

    impl TestChain {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let chain = ChainSpec::devnet();
            let store = Store::open(dir.path(), &chain).unwrap();
            let signers = KEYS.iter().map(|key| key.parse().unwrap()).collect();
            Self { dir, builder: BlockBuilder::new(chain.clone()), chain, store, signers }
        }

        fn address(&self, signer: usize) -> Address {
            self.signers[signer].address()
        }

        fn head(&self) -> StoredBlock {
            let reader = self.store.reader().unwrap();
            reader.block(reader.head_number().unwrap()).unwrap().unwrap()
        }

        /// Builds a block on the head with `calls`; `salt` makes blocks with the same calls differ.
        fn build(&self, calls: &[Call], salt: u8) -> crate::executor::BuiltBlock {
            let parent = self.head();
            let state = StateAt::latest(self.store.reader().unwrap());
            let mut nonces: HashMap<usize, u64> = HashMap::new();
            let candidates: Vec<CandidateTx> = calls
                .iter()
                .map(|Call(from, to, value, input)| {
                    let signer = &self.signers[*from];
                    let nonce = nonces.entry(*from).or_insert_with(|| {
                        state.account(signer.address()).unwrap().map_or(0, |a| a.nonce)
                    });
                    let tx = TxEip1559 {
                        chain_id: trex_chainspec::DEVNET_CHAIN_ID,
                        nonce: *nonce,
                        gas_limit: 200_000,
                        max_fee_per_gas: 10_000_000_000,
                        max_priority_fee_per_gas: 1_000_000_000,
                        to: *to,
                        value: U256::from(*value),
                        input: Bytes::copy_from_slice(input),
                        access_list: Default::default(),
                    };
                    *nonce += 1;
                    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
                    let envelope = OpTxEnvelope::Eip1559(tx.into_signed(signature));
                    let encoded = envelope.encoded_2718().into();
                    CandidateTx {
                        tx: Recovered::new_unchecked(envelope, signer.address()),
                        encoded,
                    }
                })
                .collect();
            let attributes = BlockAttributes {
                timestamp: parent.header.timestamp + 1,
                gas_limit: 30_000_000,
                fee_recipient: Address::repeat_byte(0x11),
                prev_randao: B256::repeat_byte(salt),
                parent_beacon_block_root: None,
            };
            let built = self
                .builder
                .build(
                    self.store.reader().unwrap(),
                    &parent.header,
                    parent.hash,
                    &attributes,
                    &mut candidates.into_iter(),
                )
                .unwrap();
            assert!(built.rejected.is_empty(), "{:?}", built.rejected);
            assert!(built.block.receipts.iter().all(|receipt| receipt.status()));
            built
        }

        fn commit(&self, calls: &[Call], salt: u8) -> StoredBlock {
            let built = self.build(calls, salt);
            self.store.commit_block(&built.block, &built.changes).unwrap();
            self.assert_head_root();
            built.block
        }

        /// The state root recomputed from the tables matches the head header's.
        fn assert_head_root(&self) {
            let reader = self.store.reader().unwrap();
            assert_eq!(
                trie::state_root(&reader, &BTreeMap::new()).unwrap(),
                self.head().header.state_root
            );
        }

        fn reopen(self) -> Self {
            let Self { dir, chain, store, builder, signers } = self;
            drop(store);
            let store = Store::open(dir.path(), &chain).unwrap();
            Self { dir, chain, store, builder, signers }
        }
    }

    fn dump_table<K: Key + 'static, V: Value + 'static>(
        tx: &redb::ReadTransaction,
        table: TableDefinition<'static, K, V>,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        tx.open_table(table)
            .unwrap()
            .iter()
            .unwrap()
            .map(|entry| {
                let (key, value) = entry.unwrap();
                (
                    K::as_bytes(&key.value()).as_ref().to_vec(),
                    V::as_bytes(&value.value()).as_ref().to_vec(),
                )
            })
            .collect()
    }

    /// Every table, byte for byte.
    fn dump(store: &Store) -> Dump {
        let tx = store.db.begin_read().unwrap();
        BTreeMap::from([
            ("meta", dump_table(&tx, META)),
            ("headers", dump_table(&tx, HEADERS)),
            ("canonical", dump_table(&tx, CANONICAL)),
            ("hash_to_number", dump_table(&tx, HASH_TO_NUMBER)),
            ("bodies", dump_table(&tx, BODIES)),
            ("receipts", dump_table(&tx, RECEIPTS)),
            ("tx_lookup", dump_table(&tx, TX_LOOKUP)),
            ("accounts", dump_table(&tx, ACCOUNTS)),
            ("storage", dump_table(&tx, STORAGE)),
            ("bytecodes", dump_table(&tx, BYTECODES)),
            ("account_history", dump_table(&tx, ACCOUNT_HISTORY)),
            ("storage_history", dump_table(&tx, STORAGE_HISTORY)),
            ("change_sets", dump_table(&tx, CHANGE_SETS)),
        ])
    }

    /// Accounts and slots 0..8 of `addresses` as `state` sees them.
    fn snapshot(
        state: &StateAt,
        addresses: &[Address],
    ) -> Vec<(Address, Option<StoredAccount>, Vec<U256>)> {
        addresses
            .iter()
            .map(|address| {
                let slots = (0..8).map(|slot| state.storage(*address, U256::from(slot)).unwrap());
                (*address, state.account(*address).unwrap(), slots.collect())
            })
            .collect()
    }

    /// What must hold after unwinding `test` to block `k`, whose tables were `dump_k` and whose
    /// state (as seen through `StateAt::at_block(k)` before the unwind) was `state_k`.
    fn assert_unwound_to(
        test: &TestChain,
        k: u64,
        dump_k: &Dump,
        state_k: &[(Address, Option<StoredAccount>, Vec<U256>)],
        removed: &[StoredBlock],
    ) {
        let reader = test.store.reader().unwrap();
        assert_eq!(reader.head_number().unwrap(), k);
        assert_eq!(
            trie::state_root(&reader, &BTreeMap::new()).unwrap(),
            reader.header(k).unwrap().unwrap().state_root
        );
        let addresses: Vec<Address> = state_k.iter().map(|(address, ..)| *address).collect();
        assert_eq!(snapshot(&StateAt::latest(reader), &addresses), state_k);
        let reader = test.store.reader().unwrap();
        for block in removed {
            let number = block.header.number;
            assert!(reader.block(number).unwrap().is_none());
            assert!(reader.block_hash(number).unwrap().is_none());
            assert!(reader.block_number(&block.hash).unwrap().is_none());
            assert!(reader.receipts(number).unwrap().is_empty());
            for tx in &block.transactions {
                assert!(reader.transaction_location(&tx.inner().tx_hash()).unwrap().is_none());
            }
        }
        assert_eq!(&dump(&test.store), dump_k, "every table as it was after block {k}");
    }

    #[test]
    fn unwinds_contracts_storage_and_transfers_then_builds_another_fork() {
        let test = TestChain::new();
        let [r1, r2, r3, r4] = [1u8, 2, 3, 4].map(Address::repeat_byte);
        let (s0, s1) = (test.address(0), test.address(1));
        let mut dumps = vec![dump(&test.store)];
        let mut blocks = vec![test.head()];

        let store_contract = s0.create(1);
        let destructible = s0.create(2);
        blocks.push(test.commit(
            &[
                transfer(0, r1, 1_000),
                Call(0, TxKind::Create, 0, storing_init_code(&STORE_RUNTIME)),
                Call(0, TxKind::Create, 5_000, SELFDESTRUCT_TO_CALLER_INIT.to_vec()),
            ],
            1,
        ));
        dumps.push(dump(&test.store));

        let suicidal = s1.create(1);
        blocks.push(test.commit(
            &[
                Call(0, TxKind::Call(store_contract), 0, set_slot(5, 7)),
                Call(0, TxKind::Call(store_contract), 0, set_slot(0, 9)),
                transfer(1, r2, 2_000),
                Call(1, TxKind::Create, 3_000, suicidal_init_code(r3)),
            ],
            2,
        ));
        dumps.push(dump(&test.store));

        // Same runtime code again (its bytecode is already stored) and new runtime code.
        let twin = s0.create(7);
        let other = s0.create(8);
        let mut other_runtime = STORE_RUNTIME.to_vec();
        other_runtime.push(0x00);
        blocks.push(test.commit(
            &[
                Call(0, TxKind::Call(store_contract), 0, set_slot(0, 0)),
                Call(0, TxKind::Call(store_contract), 0, set_slot(5, 8)),
                Call(1, TxKind::Call(destructible), 0, vec![]),
                Call(0, TxKind::Create, 0, storing_init_code(&STORE_RUNTIME)),
                Call(0, TxKind::Create, 0, storing_init_code(&other_runtime)),
            ],
            3,
        ));
        dumps.push(dump(&test.store));
        blocks.push(
            test.commit(
                &[transfer(1, r1, 4_000), Call(0, TxKind::Call(twin), 0, set_slot(3, 4))],
                4,
            ),
        );
        let state = StateAt::latest(test.store.reader().unwrap());
        assert_eq!(state.storage(store_contract, U256::ZERO).unwrap(), U256::ZERO);
        assert_eq!(state.storage(store_contract, U256::from(5)).unwrap(), U256::from(8));
        assert!(state.account(suicidal).unwrap().is_none());
        assert_eq!(state.account(r3).unwrap().unwrap().balance, U256::from(3_000));
        assert_eq!(state.account(destructible).unwrap().unwrap().balance, U256::ZERO);
        let other_code = state.account(other).unwrap().unwrap().code_hash;
        assert!(state.reader().bytecode(&other_code).unwrap().is_some());

        let addresses = [
            s0,
            s1,
            test.address(2),
            r1,
            r2,
            r3,
            r4,
            store_contract,
            destructible,
            suicidal,
            twin,
            other,
            Address::repeat_byte(0x11),
            address!("0x4200000000000000000000000000000000000011"),
            address!("0x4200000000000000000000000000000000000019"),
            address!("0x420000000000000000000000000000000000001a"),
        ];
        let state_2 =
            snapshot(&StateAt::at_block(test.store.reader().unwrap(), 2).unwrap(), &addresses);
        let state_1 =
            snapshot(&StateAt::at_block(test.store.reader().unwrap(), 1).unwrap(), &addresses);
        let state_0 =
            snapshot(&StateAt::at_block(test.store.reader().unwrap(), 0).unwrap(), &addresses);
        let before_unwind = test.store.reader().unwrap();

        let removed = test.store.unwind_to(2).unwrap();
        assert_eq!(removed, blocks[3..]);
        assert_unwound_to(&test, 2, &dumps[2], &state_2, &removed);
        assert!(test.store.reader().unwrap().bytecode(&other_code).unwrap().is_none());
        // A reader opened before the unwind keeps its snapshot.
        assert_eq!(before_unwind.head_number().unwrap(), 4);
        drop(before_unwind);

        let test = test.reopen();
        assert_unwound_to(&test, 2, &dumps[2], &state_2, &removed);

        // A different block 3 on the unwound chain.
        let fork = test.commit(&[transfer(1, r4, 6_000), transfer(0, r4, 1)], 30);
        assert_eq!(fork.header.number, 3);
        assert_ne!(fork.hash, blocks[3].hash);
        let state = StateAt::latest(test.store.reader().unwrap());
        assert_eq!(state.account(r4).unwrap().unwrap().balance, U256::from(6_001));
        assert!(state.account(twin).unwrap().is_none());
        assert_eq!(state.storage(store_contract, U256::ZERO).unwrap(), U256::from(9));
        let test = test.reopen();
        test.assert_head_root();
        assert_eq!(test.head(), fork);

        // Unwinding twice in a row, and to the head.
        let removed = test.store.unwind_to(1).unwrap();
        assert_eq!(removed, vec![blocks[2].clone(), fork]);
        assert_unwound_to(&test, 1, &dumps[1], &state_1, &removed);
        assert!(test.store.unwind_to(1).unwrap().is_empty());
        assert_unwound_to(&test, 1, &dumps[1], &state_1, &[]);
        let removed = test.store.unwind_to(0).unwrap();
        assert_eq!(removed, vec![blocks[1].clone()]);
        assert_unwound_to(&test, 0, &dumps[0], &state_0, &removed);
        assert!(test.store.unwind_to(0).unwrap().is_empty());

        // The chain grows again from genesis.
        test.commit(&[transfer(2, r1, 1)], 40);
        assert_eq!(test.head().header.number, 1);
    }

    #[test]
    fn unwinding_above_the_head_fails_and_changes_nothing() {
        let test = TestChain::new();
        test.commit(&[transfer(0, Address::repeat_byte(1), 1)], 1);
        let before = dump(&test.store);
        for target in [2, 3, u64::MAX] {
            let err = test.store.unwind_to(target).unwrap_err();
            assert!(err.to_string().contains("the head is block 1"), "{err}");
        }
        assert_eq!(dump(&test.store), before);
    }

    fn bare_block(number: u64) -> StoredBlock {
        let header = Header { number, ..Default::default() };
        StoredBlock { hash: header.hash_slow(), header, transactions: vec![], receipts: vec![] }
    }

    /// Blocks with storage wipes (pre-Cancun self-destructs, which the EVM can no longer produce
    /// for existing contracts) and account deletions, committed directly.
    fn commit_wipes(store: &Store) -> (Vec<Dump>, B256) {
        let account = keccak256(Address::repeat_byte(0xaa));
        let slot = |n: u8| B256::repeat_byte(n);
        let stored = |nonce: u64| StoredAccount { nonce, ..Default::default() };
        let code = Bytes::from_static(&[0x60, 0x00, 0x00]);
        let code_hash = keccak256(&code);
        let mut dumps = vec![dump(store)];

        let mut changes = StateChanges::default();
        changes.accounts.insert(account, Some(stored(1)));
        changes
            .storage
            .insert(account, BTreeMap::from([(slot(1), U256::from(1)), (slot(2), U256::from(2))]));
        store.commit_block(&bare_block(1), &changes).unwrap();
        dumps.push(dump(store));

        // Wiped and re-populated: slot 1 again, slot 3 new, slot 2 gone.
        let mut changes = StateChanges::default();
        changes.accounts.insert(account, Some(stored(2)));
        changes.wiped.push(account);
        changes
            .storage
            .insert(account, BTreeMap::from([(slot(1), U256::from(10)), (slot(3), U256::from(3))]));
        changes.bytecodes.push((code_hash, code));
        store.commit_block(&bare_block(2), &changes).unwrap();
        dumps.push(dump(store));

        // Deleted with its storage.
        let mut changes = StateChanges::default();
        changes.accounts.insert(account, None);
        changes.wiped.push(account);
        store.commit_block(&bare_block(3), &changes).unwrap();
        assert!(store.reader().unwrap().account(&account, None).unwrap().is_none());
        assert!(store.reader().unwrap().storage_sorted(&account).unwrap().next().is_none());
        (dumps, code_hash)
    }

    #[test]
    fn unwinds_storage_wipes_and_deleted_accounts() {
        let test = TestChain::new();
        let (dumps, _) = commit_wipes(&test.store);
        assert_eq!(test.store.unwind_to(2).unwrap().len(), 1);
        assert_eq!(dump(&test.store), dumps[2]);
        assert_eq!(test.store.unwind_to(1).unwrap().len(), 1);
        assert_eq!(dump(&test.store), dumps[1]);
        let account = keccak256(Address::repeat_byte(0xaa));
        let slots: Vec<_> = test
            .store
            .reader()
            .unwrap()
            .storage_sorted(&account)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            slots,
            vec![(B256::repeat_byte(1), U256::from(1)), (B256::repeat_byte(2), U256::from(2))]
        );
    }

    #[test]
    fn unwinds_blocks_written_without_change_sets() {
        let test = TestChain::new();
        let (dumps, code_hash) = commit_wipes(&test.store);
        // As a database written before change sets existed.
        let tx = test.store.db.begin_write().unwrap();
        for number in [2, 3] {
            tx.open_table(CHANGE_SETS).unwrap().remove(number).unwrap().unwrap();
        }
        tx.commit().unwrap();

        test.store.unwind_to(1).unwrap();
        let mut unwound = dump(&test.store);
        let mut expected = dumps[1].clone();
        // The scan cannot tell which bytecodes were new: they stay, unused.
        let leftover = unwound.remove("bytecodes").unwrap();
        assert!(leftover.iter().any(|(key, _)| key == code_hash.as_slice()));
        expected.remove("bytecodes");
        assert_eq!(unwound, expected);
    }

    #[test]
    fn change_sets_roundtrip() {
        let change_set = ChangeSet {
            accounts: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            slots: vec![SlotRef { address: B256::repeat_byte(1), slot: B256::repeat_byte(3) }],
            bytecodes: vec![B256::repeat_byte(4)],
        };
        let mut buf = Vec::new();
        change_set.encode(&mut buf);
        assert_eq!(ChangeSet::decode(&mut buf.as_slice()).unwrap(), change_set);
        let key = slot_key(&B256::repeat_byte(5), &B256::repeat_byte(6));
        assert_eq!(SlotRef::from_key(&key).key(), key);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

        /// Unwinding to height `h` leaves exactly the database of a node that only ever committed
        /// the first `h` blocks.
        #[test]
        fn unwinding_equals_never_having_committed(
            blocks in prop::collection::vec(
                prop::collection::vec((0usize..3, 0usize..5, 1u64..1_000_000), 0..4),
                1..6,
            ),
            target in any::<prop::sample::Index>(),
        ) {
            let unwound = TestChain::new();
            let reference = TestChain::new();
            let target = target.index(blocks.len() + 1) as u64;
            let recipients = |to: usize| match to {
                0..3 => unwound.address(to),
                _ => Address::repeat_byte(to as u8),
            };
            for (index, transfers) in blocks.iter().enumerate() {
                let calls: Vec<Call> = transfers
                    .iter()
                    .map(|&(from, to, value)| transfer(from, recipients(to), value))
                    .collect();
                let built = unwound.build(&calls, index as u8);
                unwound.store.commit_block(&built.block, &built.changes).unwrap();
                if (index as u64) < target {
                    reference.store.commit_block(&built.block, &built.changes).unwrap();
                }
            }
            let removed = unwound.store.unwind_to(target).unwrap();
            prop_assert_eq!(removed.len() as u64, blocks.len() as u64 - target);
            unwound.assert_head_root();
            let reader = unwound.store.reader().unwrap();
            prop_assert_eq!(
                trie::state_root(&reader, &BTreeMap::new()).unwrap(),
                trie::state_root(&reference.store.reader().unwrap(), &BTreeMap::new()).unwrap()
            );
            let accounts = |store: &Store| -> Vec<(B256, StoredAccount)> {
                store.reader().unwrap().accounts_sorted().unwrap().map(Result::unwrap).collect()
            };
            prop_assert_eq!(accounts(&unwound.store), accounts(&reference.store));
            prop_assert_eq!(dump(&unwound.store), dump(&reference.store));
        }
    }
}
