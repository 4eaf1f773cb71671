//! L2 blocks as the batcher needs them, and where they come from.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes};
use alloy_rpc_types_eth::Block;
use async_trait::async_trait;
use kona_protocol::{L1BlockInfoTx, SyncStatus};
use op_alloy_consensus::OpTxEnvelope;
use std::time::Duration;

use crate::BatcherError;

/// One L2 block reduced to what goes into a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Block {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
    /// Number of the L1 origin (epoch).
    pub l1_origin_number: u64,
    /// Hash of the L1 origin (epoch).
    pub l1_origin_hash: B256,
    /// Position of the block within its epoch (0 = first block of the epoch).
    pub sequence_number: u64,
    /// EIP-2718 bytes of the non-deposit transactions, in block order.
    pub transactions: Vec<Bytes>,
}

impl L2Block {
    /// Builds an [`L2Block`] from an RPC block with full transactions: the L1 origin and
    /// sequence number come from the L1-attributes deposit, which must be the first transaction.
    pub fn from_rpc(block: Block<op_alloy_rpc_types::Transaction>) -> Result<Self, BatcherError> {
        let header = &block.header;
        let txs = block
            .transactions
            .into_transactions()
            .map(|tx| tx.inner.inner.into_inner())
            .collect::<Vec<OpTxEnvelope>>();
        let Some(OpTxEnvelope::Deposit(info)) = txs.first() else {
            return Err(BatcherError::L2(format!(
                "block {} does not start with the L1-attributes deposit",
                header.number
            )));
        };
        let info = L1BlockInfoTx::decode_calldata(info.inner().input.as_ref()).map_err(|err| {
            BatcherError::L2(format!("block {}: L1-attributes calldata: {err}", header.number))
        })?;
        let transactions = txs
            .iter()
            .filter(|tx| !matches!(tx, OpTxEnvelope::Deposit(_)))
            .map(|tx| Bytes::from(tx.encoded_2718()))
            .collect();
        Ok(Self {
            number: header.number,
            hash: header.hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            l1_origin_number: info.id().number,
            l1_origin_hash: info.block_hash(),
            sequence_number: info.sequence_number(),
            transactions,
        })
    }
}

/// A source of L2 blocks (the sequencer).
#[async_trait]
pub trait L2Source: Send + Sync {
    /// The block with `number`, `None` if the chain is not that long yet.
    async fn block(&self, number: u64) -> Result<Option<L2Block>, BatcherError>;

    /// Number and hash of the current safe L2 head.
    async fn safe_head(&self) -> Result<(u64, B256), BatcherError>;
}

/// [`L2Source`] over the sequencer's JSON-RPC (`eth_getBlockByNumber`, `optimism_syncStatus`).
#[derive(Debug, Clone)]
pub struct RpcL2Source {
    client: alloy_rpc_client::RpcClient,
}

impl RpcL2Source {
    /// A source reading from the node at `url`, with `timeout` on every request.
    pub fn new(url: url::Url, timeout: Duration) -> Result<Self, BatcherError> {
        let http = alloy_transport_http::reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| BatcherError::L2(format!("http client: {err}")))?;
        let transport = alloy_transport_http::Http::with_client(http, url);
        Ok(Self { client: alloy_rpc_client::RpcClient::new(transport, false) })
    }
}

#[async_trait]
impl L2Source for RpcL2Source {
    async fn block(&self, number: u64) -> Result<Option<L2Block>, BatcherError> {
        let block: Option<Block<op_alloy_rpc_types::Transaction>> = self
            .client
            .request("eth_getBlockByNumber", (format!("{number:#x}"), true))
            .await
            .map_err(|err| BatcherError::L2(format!("eth_getBlockByNumber({number}): {err}")))?;
        block.map(L2Block::from_rpc).transpose()
    }

    async fn safe_head(&self) -> Result<(u64, B256), BatcherError> {
        let status: SyncStatus = self
            .client
            .request_noparams("optimism_syncStatus")
            .await
            .map_err(|err| BatcherError::L2(format!("optimism_syncStatus: {err}")))?;
        Ok((status.safe_l2.block_info.number, status.safe_l2.block_info.hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Sealable, SignableTransaction, TxEip1559, transaction::Recovered};
    use alloy_primitives::{Address, Signature, TxKind, U256, address};
    use alloy_rpc_types_eth::{BlockTransactions, Header};
    use kona_protocol::L1BlockInfoIsthmus;
    use op_alloy_consensus::TxDeposit;

    fn rpc_tx(envelope: OpTxEnvelope, from: Address) -> op_alloy_rpc_types::Transaction {
        op_alloy_rpc_types::Transaction {
            inner: alloy_rpc_types_eth::Transaction {
                inner: Recovered::new_unchecked(envelope, from),
                block_hash: Some(B256::repeat_byte(3)),
                block_number: Some(9),
                transaction_index: Some(0),
                effective_gas_price: Some(1),
                block_timestamp: Some(1009),
            },
            deposit_nonce: None,
            deposit_receipt_version: None,
        }
    }

    /// A block as the sequencer serves it, through its JSON form.
    fn rpc_block(
        first: Option<OpTxEnvelope>,
        user: Vec<OpTxEnvelope>,
    ) -> Block<op_alloy_rpc_types::Transaction> {
        let depositor = address!("DeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001");
        let txs = first.into_iter().chain(user).map(|tx| rpc_tx(tx, depositor)).collect();
        let block = Block {
            header: Header {
                hash: B256::repeat_byte(3),
                inner: alloy_consensus::Header {
                    number: 9,
                    parent_hash: B256::repeat_byte(2),
                    timestamp: 1009,
                    ..Default::default()
                },
                total_difficulty: None,
                size: None,
            },
            uncles: vec![],
            transactions: BlockTransactions::Full(txs),
            withdrawals: None,
        };
        serde_json::from_value(serde_json::to_value(block).unwrap()).unwrap()
    }

    fn l1_info() -> OpTxEnvelope {
        let info = L1BlockInfoIsthmus {
            number: 77,
            time: 1000,
            block_hash: B256::repeat_byte(0x77),
            sequence_number: 4,
            ..Default::default()
        };
        let deposit = TxDeposit {
            source_hash: B256::repeat_byte(1),
            from: address!("DeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001"),
            to: TxKind::Call(address!("4200000000000000000000000000000000000015")),
            gas_limit: 1_000_000,
            input: info.encode_calldata(),
            ..Default::default()
        };
        OpTxEnvelope::Deposit(deposit.seal_slow())
    }

    fn user_tx(nonce: u64) -> OpTxEnvelope {
        let tx = TxEip1559 {
            chain_id: 31628,
            nonce,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(9)),
            ..Default::default()
        };
        OpTxEnvelope::Eip1559(tx.into_signed(Signature::new(U256::from(1), U256::from(2), false)))
    }

    #[test]
    fn reads_l1_origin_and_user_transactions() {
        let block =
            L2Block::from_rpc(rpc_block(Some(l1_info()), vec![user_tx(0), user_tx(1)])).unwrap();
        assert_eq!((block.number, block.timestamp), (9, 1009));
        assert_eq!((block.hash, block.parent_hash), (B256::repeat_byte(3), B256::repeat_byte(2)));
        assert_eq!((block.l1_origin_number, block.l1_origin_hash), (77, B256::repeat_byte(0x77)));
        assert_eq!(block.sequence_number, 4);
        let expected: Vec<Bytes> =
            [user_tx(0), user_tx(1)].iter().map(|tx| tx.encoded_2718().into()).collect();
        assert_eq!(block.transactions, expected);
    }

    #[test]
    fn requires_the_l1_info_deposit_first() {
        assert!(L2Block::from_rpc(rpc_block(None, vec![user_tx(0)])).is_err());
        assert!(L2Block::from_rpc(rpc_block(None, vec![])).is_err());
    }
}
