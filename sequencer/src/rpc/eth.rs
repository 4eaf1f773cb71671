//! `eth_`, `net_`, `web3_` and `txpool_` method implementations.

use super::{
    RpcContext,
    api::{EthApiServer, NetApiServer, TxPoolApiServer, Web3ApiServer},
    convert::{
        RpcBlock, rpc_block, rpc_logs, rpc_pending_transaction, rpc_receipt, rpc_receipts,
        rpc_transaction,
    },
    error::{internal_error, invalid_params},
};
use crate::rollup::RollupMode;
use crate::{
    pool::{AccountState, PooledTransaction, validate_raw_transaction},
    storage::{StateAt, StoreReader},
    trie::account_proof,
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_rpc_types_eth::{
    BlockOverrides, EIP1186AccountProofResponse, EIP1186StorageProof, Filter, Log,
    TransactionRequest, state::StateOverride,
};
use jsonrpsee::core::{RpcResult, async_trait};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use revm::primitives::KECCAK_EMPTY;
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc};

/// Most blocks one `eth_getLogs` may scan, as geth's default.
pub(crate) const MAX_LOG_RANGE: u64 = 10_000;
/// Priority fee suggested to wallets (op-geth's minimum suggestion, 0.001 gwei).
pub(crate) const SUGGESTED_PRIORITY_FEE: u64 = 1_000_000;

impl RpcContext {
    /// The block holding a mined transaction, and the transaction's index in it.
    pub(crate) fn mined_transaction(
        &self,
        hash: &B256,
    ) -> RpcResult<Option<(crate::storage::StoredBlock, usize)>> {
        let reader = self.reader()?;
        let Some((number, index)) = reader.transaction_location(hash).map_err(internal_error)?
        else {
            return Ok(None);
        };
        let block = reader
            .block(number)
            .map_err(internal_error)?
            .ok_or_else(|| internal_error(format!("indexed block {number} missing")))?;
        Ok(Some((block, index)))
    }

    fn state_at(&self, block: Option<BlockId>) -> RpcResult<StateAt> {
        let reader = self.reader()?;
        let number = self.resolve_id(&reader, block.unwrap_or_default())?;
        StateAt::at_block(reader, number).map_err(internal_error)
    }

    fn block_by_id(&self, id: BlockId) -> RpcResult<Option<crate::storage::StoredBlock>> {
        match id {
            BlockId::Hash(hash) => {
                let reader = self.reader()?;
                match reader.block_number(&hash.block_hash).map_err(internal_error)? {
                    Some(number) => reader.block(number).map_err(internal_error),
                    None => Ok(None),
                }
            }
            BlockId::Number(tag) => self.block_by_tag(tag),
        }
    }

    /// The base fee a transaction priced now must cover: the head's (calls and estimates run on
    /// it) or the next block's, whichever is higher.
    fn quoted_base_fee(&self, reader: &StoreReader) -> RpcResult<u64> {
        let head = reader.head_number().map_err(internal_error)?;
        let header = reader
            .header(head)
            .map_err(internal_error)?
            .ok_or_else(|| internal_error("no head header"))?;
        Ok(self.node.next_base_fee(&header).max(header.base_fee_per_gas.unwrap_or_default()))
    }
}

/// Logs of blocks `from..=to` matching `filter`, bloom-checked per block first.
pub(crate) fn logs_matching(
    reader: &StoreReader,
    filter: &Filter,
    from: u64,
    to: u64,
) -> RpcResult<Vec<Log>> {
    if to.saturating_sub(from) >= MAX_LOG_RANGE {
        return Err(invalid_params(format!("query exceeds max block range {MAX_LOG_RANGE}")));
    }
    let mut logs = Vec::new();
    for number in from..=to {
        let Some(header) = reader.header(number).map_err(internal_error)? else { break };
        if !filter.matches_bloom(header.logs_bloom) {
            continue;
        }
        let Some(block) = reader.block(number).map_err(internal_error)? else { break };
        logs.extend(rpc_logs(&block).into_iter().filter(|log| filter.rpc_matches(log)));
    }
    Ok(logs)
}

#[async_trait]
impl EthApiServer for RpcContext {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.node.chain.chain_id()))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.reader()?.head_number().map_err(internal_error)?))
    }

    fn syncing(&self) -> RpcResult<bool> {
        Ok(false)
    }

    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<RpcBlock>> {
        Ok(self.block_by_tag(number)?.map(|block| rpc_block(&block, full)))
    }

    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>> {
        Ok(self.block_by_id(BlockId::from(hash))?.map(|block| rpc_block(&block, full)))
    }

    fn block_transaction_count_by_number(
        &self,
        number: BlockNumberOrTag,
    ) -> RpcResult<Option<U64>> {
        Ok(self.block_by_tag(number)?.map(|block| U64::from(block.transactions.len())))
    }

    fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        Ok(self.block_by_id(BlockId::from(hash))?.map(|block| U64::from(block.transactions.len())))
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        if let Some((block, index)) = self.mined_transaction(&hash)? {
            return Ok(Some(rpc_transaction(&block, index)));
        }
        Ok(self
            .node
            .pool
            .get(&hash)
            .map(|pooled: Arc<PooledTransaction>| rpc_pending_transaction(pooled.tx().clone())))
    }

    fn transaction_by_block_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: U64,
    ) -> RpcResult<Option<Transaction>> {
        let index = index.to::<usize>();
        Ok(self
            .block_by_tag(number)?
            .filter(|b| index < b.transactions.len())
            .map(|b| rpc_transaction(&b, index)))
    }

    fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: U64,
    ) -> RpcResult<Option<Transaction>> {
        let index = index.to::<usize>();
        Ok(self
            .block_by_id(BlockId::from(hash))?
            .filter(|b| index < b.transactions.len())
            .map(|b| rpc_transaction(&b, index)))
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<OpTransactionReceipt>> {
        Ok(self.mined_transaction(&hash)?.map(|(block, index)| rpc_receipt(&block, index)))
    }

    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<OpTransactionReceipt>>> {
        Ok(self.block_by_id(block)?.map(|block| rpc_receipts(&block)))
    }

    fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256> {
        if self.node.rollup.get().is_some_and(|rollup| rollup.mode == RollupMode::Replica) {
            return Err(invalid_params(
                "this node is a replica: it derives blocks from L1 only; send transactions to the sequencer",
            ));
        }
        let reader = self.reader()?;
        let head = reader.head_number().map_err(internal_error)?;
        let header = reader
            .header(head)
            .map_err(internal_error)?
            .ok_or_else(|| internal_error("no head header"))?;
        let valid = validate_raw_transaction(&bytes, &self.node.validation_rules(&header))?;
        let base_fee = self.node.next_base_fee(&header);
        let account = StateAt::latest(reader)
            .account(valid.tx().signer())
            .map_err(internal_error)?
            .unwrap_or_default();
        let outcome = self.node.pool.add(
            valid,
            AccountState { nonce: account.nonce, balance: account.balance },
            base_fee,
        )?;
        Ok(outcome.hash)
    }

    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
        block_overrides: Option<Box<BlockOverrides>>,
    ) -> RpcResult<Bytes> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            super::call::call(&ctx, request, block, state, block_overrides.map(|b| *b))
        })
        .await
        .map_err(internal_error)?
    }

    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || super::call::estimate_gas(&ctx, request, block, state))
            .await
            .map_err(internal_error)?
            .map(U64::from)
    }

    fn gas_price(&self) -> RpcResult<U256> {
        let base_fee = self.quoted_base_fee(&self.reader()?)?;
        Ok(U256::from(base_fee) + U256::from(SUGGESTED_PRIORITY_FEE))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(SUGGESTED_PRIORITY_FEE))
    }

    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        Ok(self
            .state_at(block)?
            .account(address)
            .map_err(internal_error)?
            .map_or(U256::ZERO, |a| a.balance))
    }

    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        let state = self.state_at(block)?;
        let Some(account) = state.account(address).map_err(internal_error)? else {
            return Ok(Bytes::new());
        };
        Ok(state.reader().bytecode(&account.code_hash).map_err(internal_error)?.unwrap_or_default())
    }

    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256> {
        Ok(B256::from(self.state_at(block)?.storage(address, slot).map_err(internal_error)?))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        let nonce =
            self.state_at(block)?.account(address).map_err(internal_error)?.map_or(0, |a| a.nonce);
        if block == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
            let pooled = self.node.pool.pending_nonce(address).unwrap_or(0);
            return Ok(U64::from(nonce.max(pooled)));
        }
        Ok(U64::from(nonce))
    }

    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        let reader = self.reader()?;
        if let Some(hash) = filter.get_block_hash() {
            let number = reader
                .block_number(&hash)
                .map_err(internal_error)?
                .ok_or_else(|| invalid_params("unknown block"))?;
            return logs_matching(&reader, &filter, number, number);
        }
        let head = reader.head_number().map_err(internal_error)?;
        let resolve = |tag: Option<BlockNumberOrTag>| -> RpcResult<u64> {
            match tag {
                None => Ok(head),
                Some(BlockNumberOrTag::Number(n)) => Ok(n.min(head)),
                Some(tag) => self.resolve_number(&reader, tag),
            }
        };
        let from = resolve(filter.block_option.get_from_block().copied())?;
        let to = resolve(filter.block_option.get_to_block().copied())?;
        if from > to {
            return Err(invalid_params("invalid block range params"));
        }
        logs_matching(&reader, &filter, from, to)
    }

    fn proof(
        &self,
        address: Address,
        keys: Vec<B256>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        let state = self.state_at(block)?;
        let proof = account_proof(state.reader(), state.pinned_block(), address, &keys)
            .map_err(internal_error)?;
        let account = proof.account.unwrap_or_default();
        Ok(EIP1186AccountProofResponse {
            address,
            balance: account.balance,
            code_hash: if proof.account.is_some() { account.code_hash } else { KECCAK_EMPTY },
            nonce: account.nonce,
            storage_hash: if proof.account.is_some() {
                account.storage_root
            } else {
                alloy_trie::EMPTY_ROOT_HASH
            },
            account_proof: proof.account_proof,
            storage_proof: proof
                .storage_proofs
                .into_iter()
                .map(|(key, value, proof)| EIP1186StorageProof { key: key.into(), value, proof })
                .collect(),
        })
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(Vec::new())
    }
}

impl NetApiServer for RpcContext {
    fn version(&self) -> RpcResult<String> {
        Ok(self.node.chain.chain_id().to_string())
    }

    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }

    fn peer_count(&self) -> RpcResult<U64> {
        Ok(U64::ZERO)
    }
}

impl Web3ApiServer for RpcContext {
    fn client_version(&self) -> RpcResult<String> {
        Ok(format!("trex-sequencer/v{}", env!("CARGO_PKG_VERSION")))
    }

    fn sha3(&self, input: Bytes) -> RpcResult<B256> {
        Ok(keccak256(input))
    }
}

impl TxPoolApiServer for RpcContext {
    fn status(&self) -> RpcResult<Value> {
        let status = self.node.pool.status();
        Ok(json!({ "pending": U64::from(status.pending), "queued": U64::from(status.queued) }))
    }

    fn content(&self) -> RpcResult<Value> {
        let content = self.node.pool.content();
        let group = |txs: BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>| -> Value {
            txs.into_iter()
                .map(|(sender, by_nonce)| {
                    let inner: serde_json::Map<String, Value> = by_nonce
                        .into_iter()
                        .map(|(nonce, tx)| {
                            (nonce.to_string(), json!(rpc_pending_transaction(tx.tx().clone())))
                        })
                        .collect();
                    (sender.to_checksum(None), Value::Object(inner))
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        Ok(json!({ "pending": group(content.pending), "queued": group(content.queued) }))
    }
}
