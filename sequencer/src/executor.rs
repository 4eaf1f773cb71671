//! Builds a block on top of the committed head: runs transactions through the OP EVM
//! (alloy-op-evm's block executor over op-revm), then computes the Ethereum-compatible roots and
//! the header.

use crate::{
    error::{NodeError, StorageError},
    storage::{StateAt, StateChanges, StoreReader, StoredAccount, StoredBlock},
    trie,
};
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, TxReceipt, proofs::ordered_trie_root_with_encoder,
    transaction::Recovered,
};
use alloy_eips::{
    Encodable2718, eip1559::INITIAL_BASE_FEE, eip2718::WithEncoded, eip7685::EMPTY_REQUESTS_HASH,
};
use alloy_evm::{
    EvmFactory,
    block::{BlockExecutionError, BlockExecutor, BlockExecutorFactory, BlockValidationError},
    eth::NextEvmEnvAttributes,
};
use alloy_op_evm::{
    OpBlockExecutionCtx, OpBlockExecutorFactory, OpEvmFactory, block::OpAlloyReceiptBuilder,
    env::evm_env_for_op_next_block,
};
use alloy_op_hardforks::{EthereumHardforks, OpChainHardforks, OpHardforks};
use alloy_primitives::{Address, B64, B256, Bloom, Bytes, U256, address, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope, encode_holocene_extra_data};
use revm::database::{State, states::bundle_state::BundleRetention};
use std::{collections::BTreeMap, sync::Arc};
use trex_chainspec::ChainSpec;

/// The OP-stack `L2ToL1MessagePasser` predeploy: from Isthmus on, its storage root is the header's
/// `withdrawals_root`.
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");

/// A transaction offered to the block builder, with its EIP-2718 encoding (needed for the L1 fee).
#[derive(Debug, Clone)]
pub struct CandidateTx {
    /// The transaction and its recovered sender.
    pub tx: Recovered<OpTxEnvelope>,
    /// Its EIP-2718 bytes.
    pub encoded: Bytes,
}

/// Where the block builder takes transactions from, best first (the pool).
pub trait TransactionSource {
    /// The next transaction to try, or `None` when there are no more for this block.
    fn next_candidate(&mut self) -> Option<CandidateTx>;
    /// `sender`'s transaction could not be included: skip its later ones in this block.
    fn mark_invalid(&mut self, sender: Address);
}

impl TransactionSource for std::vec::IntoIter<CandidateTx> {
    fn next_candidate(&mut self) -> Option<CandidateTx> {
        self.next()
    }

    fn mark_invalid(&mut self, sender: Address) {
        let rest: Vec<_> = self.by_ref().filter(|tx| tx.tx.signer() != sender).collect();
        *self = rest.into_iter();
    }
}

/// What the sequencer decides for the next block; everything else follows from the parent.
#[derive(Debug, Clone)]
pub struct BlockAttributes {
    /// Block timestamp in seconds (at least the parent's).
    pub timestamp: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Receives priority fees.
    pub fee_recipient: Address,
    /// The `prevrandao` value.
    pub prev_randao: B256,
    /// The header's `parent_beacon_block_root` from Cancun on: the L1 origin's, in rollup mode
    /// (zero when unset).
    pub parent_beacon_block_root: Option<B256>,
}

/// A transaction the builder left out of a block.
#[derive(Debug, Clone)]
pub struct RejectedTx {
    /// Its hash.
    pub hash: B256,
    /// Why, as the EVM reported it.
    pub reason: String,
    /// Whether it can never be included on this state (invalid), as opposed to not fitting this
    /// block's remaining gas.
    pub invalid: bool,
}

/// A built (not yet committed) block.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The sealed block with its receipts.
    pub block: StoredBlock,
    /// Its state changes against the parent.
    pub changes: StateChanges,
    /// Transactions left out, with the reason.
    pub rejected: Vec<RejectedTx>,
}

/// Builds blocks for one chain.
#[derive(Debug)]
pub struct BlockBuilder {
    chain: Arc<ChainSpec>,
    factory: OpBlockExecutorFactory<OpAlloyReceiptBuilder, OpChainHardforks, OpEvmFactory>,
}

impl BlockBuilder {
    /// A builder for `chain`.
    pub fn new(chain: Arc<ChainSpec>) -> Self {
        let factory = OpBlockExecutorFactory::new(
            OpAlloyReceiptBuilder::default(),
            chain.hardforks.clone(),
            OpEvmFactory::default(),
        );
        Self { chain, factory }
    }

    /// The chain this builder builds for.
    pub const fn chain(&self) -> &Arc<ChainSpec> {
        &self.chain
    }

    /// Base fee of the block after `parent` (EIP-1559 with the chain's OP parameters).
    pub fn next_base_fee(&self, parent: &Header, timestamp: u64) -> u64 {
        parent
            .next_block_base_fee(self.chain.base_fee_params_at(timestamp))
            .unwrap_or(INITIAL_BASE_FEE)
    }

    /// Executes transactions from `source` on top of `parent` (the head `reader` sees) until the
    /// block is full or the source is empty, and seals the result.
    pub fn build(
        &self,
        reader: StoreReader,
        parent: &Header,
        parent_hash: B256,
        attributes: &BlockAttributes,
        source: &mut dyn TransactionSource,
    ) -> Result<BuiltBlock, NodeError> {
        let chain = &self.chain;
        let timestamp = attributes.timestamp;
        let base_fee = self.next_base_fee(parent, timestamp);
        let evm_env = evm_env_for_op_next_block(
            parent,
            NextEvmEnvAttributes {
                timestamp,
                suggested_fee_recipient: attributes.fee_recipient,
                prev_randao: attributes.prev_randao,
                gas_limit: attributes.gas_limit,
                slot_number: None,
            },
            base_fee,
            &chain.hardforks,
            chain.chain_id(),
        );
        let extra_data = if chain.is_holocene_active_at_timestamp(timestamp) {
            encode_holocene_extra_data(B64::ZERO, chain.base_fee_params_at(timestamp))
                .map_err(|err| NodeError::Execution(format!("holocene extra data: {err:?}")))?
        } else {
            Bytes::new()
        };
        let cancun = chain.is_cancun_active_at_timestamp(timestamp);
        let parent_beacon_block_root =
            cancun.then(|| attributes.parent_beacon_block_root.unwrap_or_default());

        let state = StateAt::latest(reader);
        let mut db = State::builder().with_database_ref(&state).with_bundle_update().build();
        let mut included = Vec::new();
        let mut rejected = Vec::new();
        let started = std::time::Instant::now();
        let (receipts, gas_used) = {
            let evm = self.factory.evm_factory().create_evm(&mut db, evm_env);
            let ctx = OpBlockExecutionCtx {
                parent_hash,
                parent_beacon_block_root,
                extra_data: extra_data.clone(),
            };
            let mut executor = self.factory.create_executor(evm, ctx);
            executor.apply_pre_execution_changes().map_err(execution_error)?;
            while let Some(candidate) = source.next_candidate() {
                let CandidateTx { tx, encoded } = candidate;
                match executor.execute_transaction(WithEncoded::new(encoded, &tx)) {
                    Ok(_) => included.push(tx),
                    Err(BlockExecutionError::Validation(
                        err @ (BlockValidationError::InvalidTx { .. }
                        | BlockValidationError::TransactionGasLimitMoreThanAvailableBlockGas {
                            ..
                        }),
                    )) => {
                        source.mark_invalid(tx.signer());
                        rejected.push(RejectedTx {
                            hash: tx.inner().tx_hash(),
                            invalid: matches!(err, BlockValidationError::InvalidTx { .. }),
                            reason: err.to_string(),
                        });
                    }
                    Err(err) => return Err(execution_error(err)),
                }
            }
            let (_evm, result) = executor.finish().map_err(execution_error)?;
            (result.receipts, result.gas_used)
        };
        let executed = started.elapsed();
        db.merge_transitions(BundleRetention::PlainState);
        let bundle = db.take_bundle();
        let reader = state.reader();
        let changes = state_changes(reader, bundle)?;
        let state_root = trie::state_root(reader, &changes.accounts)?;

        let withdrawals_root = if chain.is_isthmus_active_at_timestamp(timestamp) {
            let passer = keccak256(L2_TO_L1_MESSAGE_PASSER);
            let account = match changes.accounts.get(&passer) {
                Some(changed) => *changed,
                None => reader.account(&passer, None)?,
            };
            Some(account.map_or(EMPTY_ROOT_HASH, |account| account.storage_root))
        } else {
            chain.is_shanghai_active_at_timestamp(timestamp).then_some(EMPTY_ROOT_HASH)
        };
        let logs_bloom =
            receipts.iter().fold(Bloom::ZERO, |bloom, r: &OpReceiptEnvelope| bloom | r.bloom());
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: attributes.fee_recipient,
            state_root,
            transactions_root: ordered_trie_root_with_encoder(&included, |tx, buf| {
                tx.inner().encode_2718(buf)
            }),
            receipts_root: ordered_trie_root_with_encoder(&receipts, |r, buf| r.encode_2718(buf)),
            logs_bloom,
            difficulty: U256::ZERO,
            number: parent.number + 1,
            gas_limit: attributes.gas_limit,
            gas_used,
            timestamp,
            extra_data,
            mix_hash: attributes.prev_randao,
            nonce: B64::ZERO,
            base_fee_per_gas: Some(base_fee),
            withdrawals_root,
            blob_gas_used: cancun.then_some(0),
            excess_blob_gas: cancun.then_some(0),
            parent_beacon_block_root,
            requests_hash: chain
                .is_prague_active_at_timestamp(timestamp)
                .then_some(EMPTY_REQUESTS_HASH),
            block_access_list_hash: None,
            slot_number: None,
        };
        let hash = header.hash_slow();
        tracing::debug!(
            number = header.number,
            txs = included.len(),
            execute_ms = executed.as_millis() as u64,
            roots_ms = (started.elapsed() - executed).as_millis() as u64,
            "built block"
        );
        Ok(BuiltBlock {
            block: StoredBlock { header, hash, transactions: included, receipts },
            changes,
            rejected,
        })
    }
}

fn execution_error(err: BlockExecutionError) -> NodeError {
    NodeError::Execution(err.to_string())
}

/// Turns the EVM's bundle into hashed-key state changes, with new storage roots for accounts whose
/// storage changed.
fn state_changes(
    reader: &StoreReader,
    bundle: revm::database::BundleState,
) -> Result<StateChanges, StorageError> {
    let mut changes = StateChanges::default();
    for (address, account) in bundle.state {
        let hashed = keccak256(address);
        let wiped = account.was_destroyed();
        let slots: BTreeMap<B256, U256> = account
            .storage
            .iter()
            .filter(|(_, slot)| wiped || slot.is_changed())
            .map(|(key, slot)| (keccak256(B256::from(key.to_be_bytes::<32>())), slot.present_value))
            .collect();
        if wiped {
            changes.wiped.push(hashed);
        }
        let Some(info) = account.info else {
            changes.accounts.insert(hashed, None);
            continue;
        };
        let storage_root = if wiped || !slots.is_empty() {
            trie::storage_root(reader, &hashed, wiped, &slots)?
        } else {
            reader.account(&hashed, None)?.map_or(EMPTY_ROOT_HASH, |stored| stored.storage_root)
        };
        changes.accounts.insert(
            hashed,
            Some(StoredAccount {
                nonce: info.nonce,
                balance: info.balance,
                code_hash: info.code_hash,
                storage_root,
            }),
        );
        if !slots.is_empty() {
            changes.storage.insert(hashed, slots);
        }
    }
    changes.bytecodes =
        bundle.contracts.into_iter().map(|(hash, code)| (hash, code.original_bytes())).collect();
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_primitives::TxKind;
    use alloy_rlp::Encodable;
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use alloy_trie::proof::verify_proof;

    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn candidate(
        signer: &PrivateKeySigner,
        nonce: u64,
        to: TxKind,
        value: u64,
        input: &[u8],
    ) -> CandidateTx {
        let tx = TxEip1559 {
            chain_id: trex_chainspec::DEVNET_CHAIN_ID,
            nonce,
            gas_limit: 200_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value: U256::from(value),
            input: Bytes::copy_from_slice(input),
            access_list: Default::default(),
        };
        let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope = OpTxEnvelope::Eip1559(tx.into_signed(signature));
        let encoded = envelope.encoded_2718().into();
        CandidateTx { tx: Recovered::new_unchecked(envelope, signer.address()), encoded }
    }

    #[test]
    fn builds_commits_and_proves_a_block() {
        let dir = tempfile::tempdir().unwrap();
        let chain = ChainSpec::devnet();
        let store = Store::open(dir.path(), &chain).unwrap();
        let reader = store.reader().unwrap();
        assert_eq!(
            trie::state_root(&reader, &BTreeMap::new()).unwrap(),
            chain.genesis_header().state_root
        );

        let signer: PrivateKeySigner = DEV_KEY.parse().unwrap();
        let recipient = Address::repeat_byte(0x42);
        // Init code storing 42 in slot 0 and deploying runtime code that stores 7 in slot 1.
        let init_code = [
            0x60, 0x2a, 0x60, 0x00, 0x55, 0x60, 0x06, 0x60, 0x11, 0x60, 0x00, 0x39, 0x60, 0x06,
            0x60, 0x00, 0xf3, 0x60, 0x07, 0x60, 0x01, 0x55, 0x00,
        ];
        let txs = vec![
            candidate(&signer, 0, TxKind::Call(recipient), 1_000, &[]),
            candidate(&signer, 1, TxKind::Create, 0, &init_code),
            // A nonce gap: rejected, and the builder keeps going.
            candidate(&signer, 5, TxKind::Call(recipient), 1, &[]),
        ];
        let builder = BlockBuilder::new(chain.clone());
        let parent = chain.genesis_header().clone();
        let attributes = BlockAttributes {
            timestamp: parent.timestamp + 1,
            gas_limit: 30_000_000,
            fee_recipient: Address::repeat_byte(0x11),
            prev_randao: B256::repeat_byte(7),
            parent_beacon_block_root: None,
        };
        let built = builder
            .build(reader, &parent, chain.genesis_hash(), &attributes, &mut txs.into_iter())
            .unwrap();
        assert_eq!(built.block.transactions.len(), 2);
        assert_eq!(built.rejected.len(), 1);
        assert!(built.rejected[0].invalid, "a nonce gap is invalid on this state");
        assert!(built.block.receipts.iter().all(|r| r.status()));
        store.commit_block(&built.block, &built.changes).unwrap();

        let reader = store.reader().unwrap();
        assert_eq!(reader.head_number().unwrap(), 1);
        assert_eq!(reader.block(1).unwrap().unwrap(), built.block);
        assert_eq!(
            trie::state_root(&reader, &BTreeMap::new()).unwrap(),
            built.block.header.state_root
        );
        let state = StateAt::latest(reader);
        assert_eq!(state.account(recipient).unwrap().unwrap().balance, U256::from(1_000));
        let contract = signer.address().create(1);
        assert_eq!(state.storage(contract, U256::ZERO).unwrap(), U256::from(42));

        // EIP-1186 proofs verify against the header's state root, now and at genesis.
        // Two slots in one request: slot 0 holds 42, slot 1 is unset (an exclusion proof).
        let unset = B256::with_last_byte(1);
        let proof =
            trie::account_proof(state.reader(), None, contract, &[B256::ZERO, unset]).unwrap();
        assert_eq!(proof.state_root, built.block.header.state_root);
        let account = proof.account.unwrap();
        let mut leaf = Vec::new();
        account.to_trie_account().encode(&mut leaf);
        verify_proof(
            proof.state_root,
            alloy_trie::Nibbles::unpack(keccak256(contract)),
            Some(leaf),
            &proof.account_proof,
        )
        .unwrap();
        let (_, value, storage_proof) = &proof.storage_proofs[0];
        let mut slot_leaf = Vec::new();
        value.encode(&mut slot_leaf);
        verify_proof(
            account.storage_root,
            alloy_trie::Nibbles::unpack(keccak256(B256::ZERO)),
            Some(slot_leaf),
            storage_proof,
        )
        .unwrap();
        let (slot, value, storage_proof) = &proof.storage_proofs[1];
        assert_eq!((*slot, *value), (unset, U256::ZERO));
        verify_proof(
            account.storage_root,
            alloy_trie::Nibbles::unpack(keccak256(unset)),
            None,
            storage_proof,
        )
        .unwrap();

        let old = trie::account_proof(state.reader(), Some(0), contract, &[]).unwrap();
        assert_eq!(old.state_root, chain.genesis_header().state_root);
        assert!(old.account.is_none());
        verify_proof(
            old.state_root,
            alloy_trie::Nibbles::unpack(keccak256(contract)),
            None,
            &old.account_proof,
        )
        .unwrap();
        let sender_at_genesis = StateAt::at_block(store.reader().unwrap(), 0)
            .unwrap()
            .account(signer.address())
            .unwrap()
            .unwrap();
        assert_eq!(sender_at_genesis.nonce, 0);

        // A second block calls the deployed code, which must be loaded from the store.
        let parent = built.block.header.clone();
        let call = vec![candidate(&signer, 2, TxKind::Call(contract), 0, &[])];
        let second = builder
            .build(
                store.reader().unwrap(),
                &parent,
                built.block.hash,
                &attributes,
                &mut call.into_iter(),
            )
            .unwrap();
        assert!(second.block.receipts[0].status());
        store.commit_block(&second.block, &second.changes).unwrap();
        let state = StateAt::latest(store.reader().unwrap());
        assert_eq!(state.storage(contract, U256::from(1)).unwrap(), U256::from(7));
        let before = StateAt::at_block(store.reader().unwrap(), 1).unwrap();
        assert_eq!(before.storage(contract, U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(before.storage(contract, U256::ZERO).unwrap(), U256::from(42));
    }
}
