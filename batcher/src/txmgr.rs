//! L1 transaction manager: nonces, EIP-1559 fees, confirmation, fee bumps and reconciliation.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::{BlockNumberOrTag, eip2718::Encodable2718};
use alloy_primitives::{Address, B256, Bytes, TxKind};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use std::time::Duration;
use tracing::{info, warn};

use crate::{BatcherError, ConfirmedTx, Ledger, Metrics, TxRecord};

/// How many L1 blocks back confirmed transactions are checked for reorgs.
const REORG_DEPTH: u64 = 64;

/// Tuning of the transaction manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxConfig {
    /// Blocks (including the inclusion block) after which a transaction counts as confirmed.
    pub num_confirmations: u64,
    /// How long a transaction may stay unmined before it is resent with bumped fees.
    pub resubmission_timeout: Duration,
}

/// The next fees of a replacement: at least +10 % (plus one wei) on both tip and fee cap, and
/// never below what the market asks now.
pub fn bumped_fees(
    old_fee: u128,
    old_tip: u128,
    market_fee: u128,
    market_tip: u128,
) -> (u128, u128) {
    let bump = |v: u128| v + v / 10 + 1;
    let tip = bump(old_tip).max(market_tip);
    let fee = bump(old_fee).max(market_fee).max(tip);
    (fee, tip)
}

/// Sends batcher transactions to the inbox and follows them until confirmed.
#[derive(Debug, Clone)]
pub struct TxManager {
    provider: RootProvider,
    signer: PrivateKeySigner,
    chain_id: u64,
    inbox: Address,
    config: TxConfig,
    metrics: Metrics,
}

fn l1_error(err: impl std::fmt::Display) -> BatcherError {
    BatcherError::L1(err.to_string())
}

impl TxManager {
    /// A manager sending from `signer` to `inbox` through the L1 node at `url`.
    pub async fn new(
        url: url::Url,
        signer: PrivateKeySigner,
        inbox: Address,
        config: TxConfig,
        metrics: Metrics,
    ) -> Result<Self, BatcherError> {
        let http = alloy_transport_http::reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(l1_error)?;
        let transport = alloy_transport_http::Http::with_client(http, url);
        let provider = RootProvider::new(alloy_rpc_client::RpcClient::new(transport, false));
        let chain_id = provider.get_chain_id().await.map_err(l1_error)?;
        Ok(Self { provider, signer, chain_id, inbox, config, metrics })
    }

    /// The L1 provider.
    pub const fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// The sender address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The current L1 head number.
    pub async fn l1_head(&self) -> Result<u64, BatcherError> {
        self.provider.get_block_number().await.map_err(l1_error)
    }

    /// Market fees: (fee cap, tip) = (2 × base fee + tip, node's suggested tip).
    async fn market_fees(&self) -> Result<(u128, u128), BatcherError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(l1_error)?
            .ok_or_else(|| BatcherError::L1("no latest block".into()))?;
        let base = u128::from(block.header.base_fee_per_gas.unwrap_or(1));
        let tip = self.provider.get_max_priority_fee_per_gas().await.map_err(l1_error)?.max(1);
        Ok((2 * base + tip, tip))
    }

    fn sign(
        &self,
        nonce: u64,
        calldata: &[u8],
        gas_limit: u64,
        fees: (u128, u128),
    ) -> Result<(Vec<u8>, B256), BatcherError> {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: fees.0,
            max_priority_fee_per_gas: fees.1,
            to: TxKind::Call(self.inbox),
            input: Bytes::copy_from_slice(calldata),
            ..Default::default()
        };
        let signature = self.signer.sign_hash_sync(&tx.signature_hash())?;
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        Ok((envelope.encoded_2718(), *envelope.tx_hash()))
    }

    async fn broadcast(&self, raw: &[u8]) {
        if let Err(err) = self.provider.send_raw_transaction(raw).await {
            // Already known / underpriced replacement etc.: reconciliation decides what next.
            warn!(target: "batcher::txmgr", %err, "broadcast failed");
        }
    }

    /// Signs a transaction carrying `calldata` for frame (`channel_seq`, `frame_number`),
    /// records it in the ledger and only then broadcasts it.
    pub async fn send(
        &self,
        ledger: &Ledger,
        channel_seq: i64,
        frame_number: i32,
        calldata: Vec<u8>,
    ) -> Result<TxRecord, BatcherError> {
        let chain_nonce =
            self.provider.get_transaction_count(self.address()).await.map_err(l1_error)?;
        let nonce = ledger.max_nonce().await?.map_or(chain_nonce, |n| chain_nonce.max(n + 1));
        let request = TransactionRequest::default()
            .from(self.address())
            .to(self.inbox)
            .input(Bytes::copy_from_slice(&calldata).into());
        let estimate = self.provider.estimate_gas(request).await.map_err(l1_error)?;
        let gas_limit = estimate + estimate / 5;
        let fees = self.market_fees().await?;
        let (raw_tx, tx_hash) = self.sign(nonce, &calldata, gas_limit, fees)?;
        let record = TxRecord {
            nonce,
            channel_seq,
            frame_number,
            calldata,
            raw_tx,
            tx_hash,
            hashes: vec![tx_hash],
            max_fee_per_gas: fees.0,
            max_priority_fee_per_gas: fees.1,
            gas_limit,
        };
        ledger.record_tx(&record).await?;
        self.broadcast(&record.raw_tx).await;
        self.metrics.l1_txs_sent.inc();
        self.metrics.bytes_posted.inc_by(record.calldata.len() as u64);
        info!(target: "batcher::txmgr", nonce, %tx_hash, channel_seq, frame_number, "sent");
        Ok(record)
    }

    /// Follows every unconfirmed transaction: confirms mined ones after enough blocks,
    /// re-broadcasts ones the node does not know (lost or never sent, which also fills nonce
    /// gaps) and fee-bumps ones pending for longer than the resubmission timeout.
    pub async fn poll(&self, ledger: &Ledger) -> Result<(), BatcherError> {
        let head = self.l1_head().await?;
        for (record, age) in ledger.unconfirmed_txs().await? {
            let mut known = false;
            let mut mined = None;
            for hash in record.hashes.iter().rev() {
                if let Some(receipt) =
                    self.provider.get_transaction_receipt(*hash).await.map_err(l1_error)?
                {
                    mined = Some(receipt);
                    break;
                }
                known |=
                    self.provider.get_transaction_by_hash(*hash).await.map_err(l1_error)?.is_some();
            }
            if let Some(receipt) = mined {
                let (Some(number), Some(block_hash)) = (receipt.block_number, receipt.block_hash)
                else {
                    continue;
                };
                if head + 1 >= number + self.config.num_confirmations {
                    ledger
                        .confirm_tx(ConfirmedTx {
                            nonce: record.nonce,
                            tx_hash: receipt.transaction_hash,
                            block_number: number,
                            block_hash,
                        })
                        .await?;
                    self.metrics.l1_txs_confirmed.inc();
                    info!(target: "batcher::txmgr", nonce = record.nonce, block = number, "confirmed");
                }
            } else if !known {
                warn!(target: "batcher::txmgr", nonce = record.nonce, hash = %record.tx_hash, "unknown to L1, re-broadcasting");
                self.broadcast(&record.raw_tx).await;
            } else if age >= self.config.resubmission_timeout.as_secs_f64() {
                self.bump(ledger, &record).await?;
            }
        }
        Ok(())
    }

    async fn bump(&self, ledger: &Ledger, record: &TxRecord) -> Result<(), BatcherError> {
        let market = self.market_fees().await?;
        let fees = bumped_fees(
            record.max_fee_per_gas,
            record.max_priority_fee_per_gas,
            market.0,
            market.1,
        );
        let (raw_tx, tx_hash) =
            self.sign(record.nonce, &record.calldata, record.gas_limit, fees)?;
        let bumped = TxRecord {
            raw_tx,
            tx_hash,
            max_fee_per_gas: fees.0,
            max_priority_fee_per_gas: fees.1,
            ..record.clone()
        };
        ledger.replace_tx(&bumped).await?;
        self.broadcast(&bumped.raw_tx).await;
        self.metrics.fee_bumps.inc();
        info!(target: "batcher::txmgr", nonce = record.nonce, %tx_hash, fee = fees.0, tip = fees.1, "fee bump");
        Ok(())
    }

    /// Checks recently confirmed transactions against the canonical L1 chain: one whose block
    /// was reorged out is moved to its new block, or back to sent when no longer included.
    pub async fn check_reorgs(&self, ledger: &Ledger) -> Result<(), BatcherError> {
        let head = self.l1_head().await?;
        for confirmed in ledger.confirmed_since(head.saturating_sub(REORG_DEPTH)).await? {
            let canonical = self
                .provider
                .get_block_by_number(BlockNumberOrTag::Number(confirmed.block_number))
                .await
                .map_err(l1_error)?
                .is_some_and(|block| block.header.hash == confirmed.block_hash);
            if canonical {
                continue;
            }
            let receipt =
                self.provider.get_transaction_receipt(confirmed.tx_hash).await.map_err(l1_error)?;
            ledger.unconfirm_tx(confirmed.nonce).await?;
            warn!(target: "batcher::txmgr", nonce = confirmed.nonce, block = confirmed.block_number, "L1 reorg dropped a confirmed batch tx");
            if receipt.is_none() {
                // Rebroadcast right away; `poll` confirms it again once it is re-included.
                let unconfirmed = ledger.unconfirmed_txs().await?;
                if let Some((record, _)) =
                    unconfirmed.iter().find(|(r, _)| r.nonce == confirmed.nonce)
                {
                    self.broadcast(&record.raw_tx).await;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_recoverably() {
        let signer: PrivateKeySigner =
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d".parse().unwrap();
        let tx = TxEip1559 { chain_id: 31337, gas_limit: 21000, ..Default::default() };
        let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        use alloy_consensus::transaction::SignerRecoverable;
        assert_eq!(
            signer.address(),
            alloy_primitives::address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(envelope.recover_signer().unwrap(), signer.address());
    }

    #[test]
    fn bumps_at_least_ten_percent() {
        let (fee, tip) = bumped_fees(1000, 100, 0, 0);
        assert!(fee * 10 >= 1000 * 11 && tip * 10 >= 100 * 11);
        assert_eq!(bumped_fees(1000, 100, 5000, 300), (5000, 300));
        let (fee, tip) = bumped_fees(10, 10, 0, 0);
        assert!(fee >= tip && tip >= 12);
    }
}
