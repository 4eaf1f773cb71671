//! JSON-RPC method signatures (jsonrpsee traits); implementations live beside.

use crate::rpc::convert::RpcBlock;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{
    BlockOverrides, EIP1186AccountProofResponse, Filter, Log, TransactionRequest,
    state::StateOverride,
};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde_json::Value;

/// The `eth_` namespace (core methods).
#[rpc(server, namespace = "eth")]
pub trait EthApi {
    /// Chain id (EIP-155).
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;
    /// Latest block number.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;
    /// Always false: the sequencer is the chain's head.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<bool>;
    /// A block by number or tag.
    #[method(name = "getBlockByNumber")]
    fn block_by_number(&self, number: BlockNumberOrTag, full: bool) -> RpcResult<Option<RpcBlock>>;
    /// A block by hash.
    #[method(name = "getBlockByHash")]
    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<RpcBlock>>;
    /// Transaction count of a block by number.
    #[method(name = "getBlockTransactionCountByNumber")]
    fn block_transaction_count_by_number(&self, number: BlockNumberOrTag)
    -> RpcResult<Option<U64>>;
    /// Transaction count of a block by hash.
    #[method(name = "getBlockTransactionCountByHash")]
    fn block_transaction_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;
    /// A mined or pooled transaction.
    #[method(name = "getTransactionByHash")]
    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;
    /// A transaction by block number and index.
    #[method(name = "getTransactionByBlockNumberAndIndex")]
    fn transaction_by_block_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: U64,
    ) -> RpcResult<Option<Transaction>>;
    /// A transaction by block hash and index.
    #[method(name = "getTransactionByBlockHashAndIndex")]
    fn transaction_by_block_hash_and_index(
        &self,
        hash: B256,
        index: U64,
    ) -> RpcResult<Option<Transaction>>;
    /// The receipt of a mined transaction.
    #[method(name = "getTransactionReceipt")]
    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<OpTransactionReceipt>>;
    /// All receipts of a block.
    #[method(name = "getBlockReceipts")]
    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<OpTransactionReceipt>>>;
    /// Submits a signed transaction; returns its hash.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, bytes: Bytes) -> RpcResult<B256>;
    /// Executes a call without creating a transaction.
    #[method(name = "call")]
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
        block_overrides: Option<Box<BlockOverrides>>,
    ) -> RpcResult<Bytes>;
    /// Gas a transaction would use.
    #[method(name = "estimateGas")]
    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state: Option<StateOverride>,
    ) -> RpcResult<U64>;
    /// Suggested legacy gas price: next base fee plus the suggested tip.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;
    /// Suggested priority fee.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;
    /// Balance at a block.
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;
    /// Code at a block.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;
    /// A storage slot at a block.
    #[method(name = "getStorageAt")]
    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256>;
    /// Nonce at a block (`pending` includes pooled transactions).
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;
    /// Logs matching a filter.
    #[method(name = "getLogs")]
    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
    /// EIP-1186 account and storage proof.
    #[method(name = "getProof")]
    fn proof(
        &self,
        address: Address,
        keys: Vec<B256>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse>;
    /// The node holds no keys.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;
}

/// The `net_` namespace.
#[rpc(server, namespace = "net")]
pub trait NetApi {
    /// The chain id as a decimal string.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;
    /// Always true.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;
    /// No devp2p peers: the sequencer is reached over RPC.
    #[method(name = "peerCount")]
    fn peer_count(&self) -> RpcResult<U64>;
}

/// The `web3_` namespace.
#[rpc(server, namespace = "web3")]
pub trait Web3Api {
    /// `trex-sequencer/v<version>`.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;
    /// Keccak-256 of the input.
    #[method(name = "sha3")]
    fn sha3(&self, input: Bytes) -> RpcResult<B256>;
}

/// The `txpool_` namespace (geth's).
#[rpc(server, namespace = "txpool")]
pub trait TxPoolApi {
    /// Pending and queued counts.
    #[method(name = "status")]
    fn status(&self) -> RpcResult<Value>;
    /// Every pooled transaction by sender and nonce.
    #[method(name = "content")]
    fn content(&self) -> RpcResult<Value>;
}
