//! Reading L1 over JSON-RPC: block headers, the batcher's inbox transactions and the portal's
//! deposit logs.

use crate::{
    derive::{L1BlockRef, decode_user_deposit},
    executor::CandidateTx,
    rollup::RollupError,
};
use alloy_consensus::{Header, Transaction as _, transaction::Recovered};
use alloy_eips::{BlockNumberOrTag, Decodable2718};
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Block, Filter};
use op_alloy_consensus::OpTxEnvelope;
use std::time::Duration;

/// An L1 block header with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Header {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
}

impl L1Header {
    /// The reference derivation works with.
    pub const fn block_ref(&self) -> L1BlockRef {
        L1BlockRef {
            number: self.header.number,
            hash: self.hash,
            parent_hash: self.header.parent_hash,
            timestamp: self.header.timestamp,
        }
    }
}

/// A JSON-RPC client of the L1 node.
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: RootProvider,
}

impl L1Client {
    /// A client of the node at `url`, with `timeout` on every request.
    pub fn new(url: url::Url, timeout: Duration) -> Result<Self, RollupError> {
        let http = alloy_transport_http::reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| RollupError::L1(format!("http client: {err}")))?;
        let transport = alloy_transport_http::Http::with_client(http, url);
        let client = alloy_rpc_client::RpcClient::new(transport, false);
        Ok(Self { provider: RootProvider::new(client) })
    }

    /// The chain id the node reports.
    pub async fn chain_id(&self) -> Result<u64, RollupError> {
        self.provider.get_chain_id().await.map_err(l1_error)
    }

    /// The number of the block behind `tag` (`latest`, `safe`, `finalized`).
    pub async fn tag_number(&self, tag: BlockNumberOrTag) -> Result<u64, RollupError> {
        let block = self.provider.get_block_by_number(tag).await.map_err(l1_error)?;
        Ok(block.map_or(0, |block| block.header.number))
    }

    /// The canonical header at `number`, if the chain is that long.
    pub async fn header_by_number(&self, number: u64) -> Result<Option<L1Header>, RollupError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(l1_error)?;
        Ok(block.map(|block| L1Header { hash: block.header.hash, header: block.header.inner }))
    }

    /// The header with `hash`, canonical or not, if the node knows it.
    pub async fn header_by_hash(&self, hash: B256) -> Result<Option<L1Header>, RollupError> {
        let block = self.provider.get_block_by_hash(hash).await.map_err(l1_error)?;
        Ok(block.map(|block| L1Header { hash: block.header.hash, header: block.header.inner }))
    }

    /// Whether the block `(number, hash)` is on the node's canonical chain.
    pub async fn is_canonical(&self, number: u64, hash: B256) -> Result<bool, RollupError> {
        Ok(self.header_by_number(number).await?.is_some_and(|header| header.hash == hash))
    }

    /// The calldata of the transactions in block `hash` sent by `batcher` to `inbox`, in order.
    /// `None` if the block is no longer known.
    pub async fn inbox_calldata(
        &self,
        hash: B256,
        inbox: Address,
        batcher: Address,
    ) -> Result<Option<Vec<Bytes>>, RollupError> {
        let block: Option<Block> =
            self.provider.get_block_by_hash(hash).full().await.map_err(l1_error)?;
        let Some(block) = block else { return Ok(None) };
        let mut calldata = Vec::new();
        for tx in block.transactions.into_transactions() {
            let recovered: &Recovered<_> = &tx.inner;
            if recovered.to() == Some(inbox) && recovered.signer() == batcher {
                calldata.push(recovered.input().clone());
            }
        }
        Ok(Some(calldata))
    }

    /// The user deposits the portal emitted in block `hash`, as deposit transactions in log order.
    /// Undecodable deposit logs are skipped with a logged reason, as OP's derivation does.
    pub async fn deposits(
        &self,
        hash: B256,
        portal: Address,
    ) -> Result<Vec<CandidateTx>, RollupError> {
        let filter = Filter::new()
            .at_block_hash(hash)
            .address(portal)
            .event_signature(kona_protocol::DEPOSIT_EVENT_ABI_HASH);
        let logs = self.provider.get_logs(&filter).await.map_err(l1_error)?;
        let mut deposits = Vec::with_capacity(logs.len());
        for log in logs {
            let index = log.log_index.unwrap_or_default() as usize;
            let encoded = match decode_user_deposit(hash, index, &log.inner) {
                Ok(encoded) => encoded,
                Err(err) => {
                    tracing::warn!(block = %hash, log_index = index, %err, "skipping malformed deposit log");
                    continue;
                }
            };
            deposits.push(deposit_candidate(encoded)?);
        }
        Ok(deposits)
    }
}

impl L1Client {
    /// The `ConfigUpdate` logs `system_config` emitted in L1 blocks `from..=to`, as (block, log)
    /// in chain order.
    pub async fn config_updates(
        &self,
        system_config: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, alloy_primitives::Log)>, RollupError> {
        let filter = Filter::new()
            .address(system_config)
            .event_signature(kona_genesis::CONFIG_UPDATE_TOPIC)
            .from_block(from)
            .to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(l1_error)?;
        Ok(logs.into_iter().filter_map(|log| Some((log.block_number?, log.inner))).collect())
    }
}

/// A deposit transaction's EIP-2718 bytes as a block candidate (deposits carry their sender).
pub fn deposit_candidate(encoded: Bytes) -> Result<CandidateTx, RollupError> {
    let envelope = OpTxEnvelope::decode_2718(&mut encoded.as_ref())
        .map_err(|err| RollupError::Derivation(format!("undecodable deposit: {err}")))?;
    let OpTxEnvelope::Deposit(deposit) = &envelope else {
        return Err(RollupError::Derivation("not a deposit transaction".into()));
    };
    let from = deposit.from;
    Ok(CandidateTx { tx: Recovered::new_unchecked(envelope, from), encoded })
}

fn l1_error(err: impl std::fmt::Display) -> RollupError {
    RollupError::L1(err.to_string())
}
