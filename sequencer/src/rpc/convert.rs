//! Stored blocks, transactions, receipts and logs into their JSON-RPC shapes (OP-stack flavour, as
//! op-geth and op-reth serve them).

use crate::{rollup::attributes::l1_fee_params, storage::StoredBlock};
use alloy_consensus::{
    Transaction as _, TxReceipt,
    transaction::{Recovered, TransactionInfo},
};
use alloy_eips::Encodable2718;
use alloy_primitives::{TxKind, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, TransactionReceipt};
use op_alloy_consensus::{
    OpDepositReceipt, OpReceipt, OpReceiptEnvelope, OpTxEnvelope, transaction::OpTransactionInfo,
};
use op_alloy_rpc_types::{L1BlockInfo, OpTransactionReceipt, Transaction};

/// The RPC block type.
pub type RpcBlock = Block<Transaction, Header>;

/// The RPC header of a stored block.
pub fn rpc_header(block: &StoredBlock) -> Header {
    let size = block_size(block);
    Header {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    }
}

fn block_size(block: &StoredBlock) -> usize {
    let txs_len: usize = block.transactions.iter().map(|tx| tx.inner().length()).sum();
    let list = alloy_rlp::Header { list: true, payload_length: txs_len }.length() + txs_len;
    let payload =
        block.header.length() + list + 1 + usize::from(block.header.withdrawals_root.is_some());
    alloy_rlp::Header { list: true, payload_length: payload }.length() + payload
}

/// The RPC block, with full transactions or only their hashes.
pub fn rpc_block(block: &StoredBlock, full: bool) -> RpcBlock {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len()).map(|i| rpc_transaction(block, i)).collect(),
        )
    } else {
        BlockTransactions::Hashes(
            block.transactions.iter().map(|tx| tx.inner().tx_hash()).collect(),
        )
    };
    Block {
        header: rpc_header(block),
        uncles: Vec::new(),
        transactions,
        withdrawals: block.header.withdrawals_root.map(|_| Default::default()),
    }
}

/// Transaction `index` of a mined block.
pub fn rpc_transaction(block: &StoredBlock, index: usize) -> Transaction {
    let tx = block.transactions[index].clone();
    let info = TransactionInfo {
        hash: Some(tx.inner().tx_hash()),
        index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        base_fee: block.header.base_fee_per_gas,
        block_timestamp: Some(block.header.timestamp),
    };
    let deposit_meta = match &block.receipts.get(index) {
        Some(OpReceiptEnvelope::Deposit(receipt)) => {
            op_alloy_consensus::transaction::OpDepositInfo {
                deposit_nonce: receipt.receipt.deposit_nonce,
                deposit_receipt_version: receipt.receipt.deposit_receipt_version,
            }
        }
        _ => Default::default(),
    };
    Transaction::from_transaction(tx, OpTransactionInfo::new(info, deposit_meta))
}

/// A pooled (not yet mined) transaction.
pub fn rpc_pending_transaction(
    tx: alloy_consensus::transaction::Recovered<op_alloy_consensus::OpTxEnvelope>,
) -> Transaction {
    let info = TransactionInfo { hash: Some(tx.inner().tx_hash()), ..Default::default() };
    Transaction::from_transaction(tx, OpTransactionInfo::new(info, Default::default()))
}

/// All logs of a block with their block, transaction and log indices.
pub fn rpc_logs(block: &StoredBlock) -> Vec<Log> {
    let mut log_index = 0u64;
    let mut out = Vec::new();
    for (tx_index, receipt) in block.receipts.iter().enumerate() {
        let tx_hash = block.transactions[tx_index].inner().tx_hash();
        for log in receipt.logs() {
            out.push(Log {
                inner: log.clone(),
                block_hash: Some(block.hash),
                block_number: Some(block.header.number),
                block_timestamp: Some(block.header.timestamp),
                transaction_hash: Some(tx_hash),
                transaction_index: Some(tx_index as u64),
                log_index: Some(log_index),
                removed: false,
            });
            log_index += 1;
        }
    }
    out
}

/// Receipt `index` of a mined block.
pub fn rpc_receipt(block: &StoredBlock, index: usize) -> OpTransactionReceipt {
    let tx = &block.transactions[index];
    let receipt = &block.receipts[index];
    let first_log_index: usize = block.receipts[..index].iter().map(|r| r.logs().len()).sum();
    let previous_cumulative =
        index.checked_sub(1).map_or(0, |prev| block.receipts[prev].cumulative_gas_used());
    let tx_hash = tx.inner().tx_hash();
    let logs: Vec<Log> = receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(index as u64),
            log_index: Some((first_log_index + i) as u64),
            removed: false,
        })
        .collect();
    let consensus = alloy_consensus::Receipt {
        status: receipt.status_or_post_state(),
        cumulative_gas_used: receipt.cumulative_gas_used(),
        logs,
    };
    let inner_receipt = match receipt {
        OpReceiptEnvelope::Legacy(_) => OpReceipt::Legacy(consensus),
        OpReceiptEnvelope::Eip2930(_) => OpReceipt::Eip2930(consensus),
        OpReceiptEnvelope::Eip1559(_) => OpReceipt::Eip1559(consensus),
        OpReceiptEnvelope::Eip7702(_) => OpReceipt::Eip7702(consensus),
        OpReceiptEnvelope::PostExec(_) => OpReceipt::PostExec(consensus),
        OpReceiptEnvelope::Deposit(deposit) => OpReceipt::Deposit(OpDepositReceipt {
            inner: consensus,
            deposit_nonce: deposit.receipt.deposit_nonce,
            deposit_receipt_version: deposit.receipt.deposit_receipt_version,
        }),
    };
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let effective_gas_price = if tx.inner().is_deposit() {
        0
    } else {
        tx.inner().effective_tip_per_gas(base_fee).unwrap_or_default() + u128::from(base_fee)
    };
    let contract_address = match tx.inner().kind() {
        TxKind::Create => Some(tx.signer().create(tx.inner().nonce())),
        TxKind::Call(_) => None,
    };
    OpTransactionReceipt {
        inner: TransactionReceipt {
            inner: alloy_consensus::ReceiptWithBloom {
                receipt: inner_receipt,
                logs_bloom: receipt.bloom(),
            },
            transaction_hash: tx_hash,
            transaction_index: Some(index as u64),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            gas_used: receipt.cumulative_gas_used() - previous_cumulative,
            effective_gas_price,
            blob_gas_used: None,
            blob_gas_price: None,
            from: tx.signer(),
            to: tx.inner().to(),
            contract_address,
        },
        l1_block_info: l1_fee_info(block, tx),
        op_gas_refund: None,
    }
}

/// The L1 data fee a transaction paid and what it was computed from: the L1 values its block's
/// L1-attributes deposit set (op-geth's receipt fields). Deposits pay none.
fn l1_fee_info(block: &StoredBlock, tx: &Recovered<OpTxEnvelope>) -> L1BlockInfo {
    let params = if tx.inner().is_deposit() { None } else { l1_fee_params(block) };
    let Some(mut params) = params else { return L1BlockInfo::default() };
    // Every T-Rex chain runs Isthmus rules from genesis (Fjord's L1 cost formula).
    let fee = params.calculate_tx_l1_cost(&tx.inner().encoded_2718(), op_revm::OpSpecId::ISTHMUS);
    let to_u128 = |value: U256| u128::try_from(value).ok();
    L1BlockInfo {
        l1_gas_price: to_u128(params.l1_base_fee),
        l1_fee: to_u128(fee),
        l1_base_fee_scalar: to_u128(params.l1_base_fee_scalar),
        l1_blob_base_fee: params.l1_blob_base_fee.and_then(to_u128),
        l1_blob_base_fee_scalar: params.l1_blob_base_fee_scalar.and_then(to_u128),
        ..Default::default()
    }
}

/// Every receipt of a block.
pub fn rpc_receipts(block: &StoredBlock) -> Vec<OpTransactionReceipt> {
    (0..block.transactions.len()).map(|i| rpc_receipt(block, i)).collect()
}
