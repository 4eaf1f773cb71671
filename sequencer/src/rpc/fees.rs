//! `eth_feeHistory`, computed as geth's gas price oracle does: per block the base fee, the gas
//! used ratio and, when asked, the priority fees paid at given percentiles of the block's gas,
//! plus the base fee of the block after the newest one.
//!
//! The chain carries no blobs, so the blob fields are zero (as op-reth serves them).

use super::{
    RpcContext,
    error::{internal_error, invalid_params, server_error},
};
use crate::storage::StoreReader;
use alloy_consensus::Transaction as _;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U64;
use alloy_rpc_types_eth::FeeHistory;
use jsonrpsee::{
    core::{RpcResult, async_trait},
    proc_macros::rpc,
};

/// Most blocks one request covers; larger counts are clamped, as geth's default
/// `FeeHistoryMaxHeaders` and `FeeHistoryMaxBlocks`.
const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;
/// Most reward percentiles one request may ask for (geth's `maxQueryLimit`).
const MAX_REWARD_PERCENTILES: usize = 100;

/// The fee history method of the `eth_` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait FeeApi {
    /// Base fees, gas used ratios and priority fee percentiles of up to 1024 blocks ending at
    /// `newest_block`.
    #[method(name = "feeHistory")]
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
}

#[async_trait]
impl FeeApiServer for RpcContext {
    async fn fee_history(
        &self,
        block_count: U64,
        newest_block: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let percentiles = reward_percentiles.unwrap_or_default();
        validate_percentiles(&percentiles).map_err(invalid_params)?;
        let ctx = self.clone();
        // Up to 1024 blocks with their receipts: read them off the async workers.
        tokio::task::spawn_blocking(move || {
            fee_history(&ctx, block_count.to::<u64>(), newest_block, &percentiles)
        })
        .await
        .map_err(internal_error)?
    }
}

fn fee_history(
    ctx: &RpcContext,
    block_count: u64,
    newest_block: BlockNumberOrTag,
    percentiles: &[f64],
) -> RpcResult<FeeHistory> {
    if block_count == 0 {
        return Ok(FeeHistory::default());
    }
    let reader = ctx.reader()?;
    let head = reader.head_number().map_err(internal_error)?;
    if let BlockNumberOrTag::Number(requested) = newest_block
        && requested > head
    {
        return Err(server_error(format!(
            "request beyond head block: requested {requested}, head {head}"
        )));
    }
    let newest = ctx.resolve_number(&reader, newest_block)?;
    let count = block_count.min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
    let oldest = newest + 1 - count;

    let len = count as usize;
    let mut history = FeeHistory {
        base_fee_per_gas: Vec::with_capacity(len + 1),
        gas_used_ratio: Vec::with_capacity(len),
        base_fee_per_blob_gas: vec![0; len + 1],
        blob_gas_used_ratio: vec![0.0; len],
        oldest_block: oldest,
        reward: (!percentiles.is_empty()).then(|| Vec::with_capacity(len)),
    };
    let mut last_header = None;
    for number in oldest..=newest {
        let header = header(&reader, number)?;
        history.base_fee_per_gas.push(header.base_fee_per_gas.unwrap_or_default().into());
        history.gas_used_ratio.push(gas_used_ratio(header.gas_used, header.gas_limit));
        if let Some(rewards) = history.reward.as_mut() {
            rewards.push(block_rewards(&reader, number, percentiles)?);
        }
        last_header = Some(header);
    }
    let newest_header = last_header.expect("count is at least one");
    // The base fee after the newest block: the next block's if it exists, else the one the
    // producer will use.
    let next_base_fee = match reader.header(newest + 1).map_err(internal_error)? {
        Some(next) => next.base_fee_per_gas.unwrap_or_default(),
        None => ctx.node.next_base_fee(&newest_header),
    };
    history.base_fee_per_gas.push(next_base_fee.into());
    Ok(history)
}

fn header(reader: &StoreReader, number: u64) -> RpcResult<alloy_consensus::Header> {
    reader
        .header(number)
        .map_err(internal_error)?
        .ok_or_else(|| internal_error(format!("canonical header {number} missing")))
}

/// `gas_used / gas_limit`, zero for a zero limit.
fn gas_used_ratio(gas_used: u64, gas_limit: u64) -> f64 {
    if gas_limit == 0 { 0.0 } else { gas_used as f64 / gas_limit as f64 }
}

/// The reward row of block `number`: each transaction's effective priority fee, weighted by the
/// gas it used.
fn block_rewards(reader: &StoreReader, number: u64, percentiles: &[f64]) -> RpcResult<Vec<u128>> {
    let block = reader
        .block(number)
        .map_err(internal_error)?
        .ok_or_else(|| internal_error(format!("canonical block {number} missing")))?;
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous_cumulative = 0;
    let txs: Vec<TxGasAndReward> = block
        .transactions
        .iter()
        .zip(&block.receipts)
        .map(|(tx, receipt)| {
            let cumulative = receipt.cumulative_gas_used();
            let gas_used = cumulative.saturating_sub(previous_cumulative);
            previous_cumulative = cumulative;
            // Deposits pay no fee; an included transaction never pays less than the base fee.
            let reward = tx.inner().effective_tip_per_gas(base_fee).unwrap_or_default();
            TxGasAndReward { gas_used, reward }
        })
        .collect();
    Ok(rewards_at_percentiles(block.header.gas_used, txs, percentiles))
}

/// Gas used by a transaction and the priority fee per gas it paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TxGasAndReward {
    gas_used: u64,
    reward: u128,
}

/// geth's reward percentiles: transactions sorted by reward (stable), and for each percentile
/// the reward of the first transaction at which the cumulative gas used reaches that share of
/// the block's gas used. A block without transactions has an all-zero row.
fn rewards_at_percentiles(
    block_gas_used: u64,
    mut txs: Vec<TxGasAndReward>,
    percentiles: &[f64],
) -> Vec<u128> {
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    txs.sort_by_key(|tx| tx.reward);
    let mut index = 0;
    let mut sum_gas_used = txs[0].gas_used;
    percentiles
        .iter()
        .map(|percentile| {
            let threshold = (block_gas_used as f64 * percentile / 100.0) as u64;
            while sum_gas_used < threshold && index < txs.len() - 1 {
                index += 1;
                sum_gas_used += txs[index].gas_used;
            }
            txs[index].reward
        })
        .collect()
}

/// geth's checks: at most 100 percentiles, each in `[0, 100]`, strictly increasing.
fn validate_percentiles(percentiles: &[f64]) -> Result<(), String> {
    if percentiles.len() > MAX_REWARD_PERCENTILES {
        return Err(format!(
            "invalid reward percentile: over the query limit {MAX_REWARD_PERCENTILES}"
        ));
    }
    for (i, &percentile) in percentiles.iter().enumerate() {
        if !(0.0..=100.0).contains(&percentile) {
            return Err(format!("invalid reward percentile: {percentile:.6}"));
        }
        if i > 0 && percentile <= percentiles[i - 1] {
            return Err(format!(
                "invalid reward percentile: #{}:{:.6} >= #{i}:{percentile:.6}",
                i - 1,
                percentiles[i - 1],
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn tx(gas_used: u64, reward: u128) -> TxGasAndReward {
        TxGasAndReward { gas_used, reward }
    }

    #[test]
    fn empty_block_has_zero_rewards() {
        assert_eq!(rewards_at_percentiles(0, Vec::new(), &[10.0, 50.0, 90.0]), vec![0, 0, 0]);
    }

    #[test]
    fn rewards_are_weighted_by_gas_used() {
        // Sorted by reward: 1 (21k gas), 5 (100k gas), 10 (21k gas); 142k gas in total.
        let txs = vec![tx(100_000, 5), tx(21_000, 10), tx(21_000, 1)];
        let rewards =
            rewards_at_percentiles(142_000, txs, &[0.0, 10.0, 15.0, 50.0, 85.0, 86.0, 100.0]);
        // 10% of 142k = 14.2k <= 21k: still the cheapest; 15% = 21.3k needs the second; 85% =
        // 120.7k <= 121k: the second; 86% = 122.1k: the third.
        assert_eq!(rewards, vec![1, 1, 5, 5, 5, 10, 10]);
    }

    #[test]
    fn ties_and_unsorted_input() {
        let txs = vec![tx(30_000, 7), tx(10_000, 7), tx(60_000, 2)];
        assert_eq!(rewards_at_percentiles(100_000, txs, &[50.0, 70.0, 100.0]), vec![2, 7, 7]);
    }

    #[rstest]
    #[case::empty(&[], None)]
    #[case::valid(&[0.0, 25.5, 100.0], None)]
    #[case::negative(&[-1.0], Some("invalid reward percentile: -1.000000"))]
    #[case::over_hundred(&[10.0, 100.5], Some("invalid reward percentile: 100.500000"))]
    #[case::not_increasing(
        &[10.0, 50.0, 50.0],
        Some("invalid reward percentile: #1:50.000000 >= #2:50.000000")
    )]
    #[case::decreasing(&[20.0, 10.0], Some("invalid reward percentile: #0:20.000000 >= #1:10.000000"))]
    fn percentiles_are_checked_as_geth(#[case] percentiles: &[f64], #[case] error: Option<&str>) {
        assert_eq!(validate_percentiles(percentiles).err().as_deref(), error);
    }

    #[test]
    fn too_many_percentiles_are_refused() {
        let percentiles: Vec<f64> = (0..101).map(|i| f64::from(i) * 0.5).collect();
        assert_eq!(
            validate_percentiles(&percentiles).unwrap_err(),
            "invalid reward percentile: over the query limit 100"
        );
    }

    #[tokio::test]
    async fn fee_history_reports_base_fees_ratios_and_gas_weighted_rewards() {
        use crate::rpc::pubsub::test_node::{TestNode, Wallet};
        use alloy_primitives::{Address, TxKind, U256};
        use alloy_sol_types::SolCall;
        use serde_json::{Value, json};
        use trex_bindings::DevToken;

        const GWEI: u128 = 1_000_000_000;
        let test = TestNode::start().await;
        let mut client = test.client().await;
        let mut wallet = Wallet::dev();
        let (deploy, token) = wallet.deploy_token();
        client.send_raw(&deploy).await;
        let first = test.produce_block().await;
        for (recipient, tip) in [(0x42, 2 * GWEI), (0x43, 3 * GWEI)] {
            let transfer = DevToken::transferCall {
                to: Address::repeat_byte(recipient),
                value: U256::from(1),
            };
            client
                .send_raw(&wallet.sign(
                    TxKind::Call(token),
                    transfer.abi_encode().into(),
                    100_000,
                    tip,
                ))
                .await;
        }
        let second = test.produce_block().await;
        assert_eq!(second.transactions.len(), 2);
        let third = test.produce_block().await;

        let quantity = |value: u128| json!(format!("{value:#x}"));
        let history = client.call("eth_feeHistory", json!(["0x10", "latest", [25.0, 75.0]])).await;
        assert_eq!(history["oldestBlock"], "0x0");
        let base_fee = |block: &crate::storage::StoredBlock| {
            quantity(block.header.base_fee_per_gas.unwrap().into())
        };
        let genesis_base_fee =
            quantity(test.node.chain.genesis_header().base_fee_per_gas.unwrap().into());
        let next = quantity(test.node.next_base_fee(&third.header).into());
        assert_eq!(
            history["baseFeePerGas"],
            json!([genesis_base_fee, base_fee(&first), base_fee(&second), base_fee(&third), next])
        );
        let ratio = |block: &crate::storage::StoredBlock| {
            json!(block.header.gas_used as f64 / 30_000_000.0)
        };
        assert_eq!(history["gasUsedRatio"], json!([0.0, ratio(&first), ratio(&second), 0.0]));
        assert_eq!(
            history["reward"],
            json!([
                [quantity(0), quantity(0)],
                [quantity(GWEI), quantity(GWEI)],
                [quantity(2 * GWEI), quantity(3 * GWEI)],
                [quantity(0), quantity(0)]
            ])
        );
        assert_eq!(history["baseFeePerBlobGas"], json!(["0x0", "0x0", "0x0", "0x0", "0x0"]));
        assert_eq!(history["blobGasUsedRatio"], json!([0.0, 0.0, 0.0, 0.0]));

        // A decimal count, an older newest block, no percentiles: no reward field.
        let older = client.call("eth_feeHistory", json!([2, "0x2"])).await;
        assert_eq!(older["oldestBlock"], "0x1");
        assert_eq!(
            older["baseFeePerGas"],
            json!([base_fee(&first), base_fee(&second), base_fee(&third)])
        );
        assert!(older.get("reward").is_none(), "{older}");

        let empty = client.call("eth_feeHistory", json!(["0x0", "latest", []])).await;
        assert_eq!(empty["oldestBlock"], "0x0");
        let error = |result: Result<Value, Value>| result.expect_err("refused");
        let unordered =
            error(client.request("eth_feeHistory", json!(["0x2", "latest", [50.0, 10.0]])).await);
        assert_eq!(
            unordered,
            json!({ "code": -32602, "message": "invalid reward percentile: #0:50.000000 >= #1:10.000000" })
        );
        let beyond = error(client.request("eth_feeHistory", json!(["0x2", "0x10"])).await);
        assert_eq!(
            beyond,
            json!({ "code": -32000, "message": "request beyond head block: requested 16, head 3" })
        );
    }

    #[test]
    fn gas_used_ratio_handles_zero_limit() {
        assert_eq!(gas_used_ratio(15_000_000, 30_000_000), 0.5);
        assert_eq!(gas_used_ratio(0, 0), 0.0);
    }
}
