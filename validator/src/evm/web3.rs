//! Web3 checks: interactions with designated contracts, seen as transactions sent to them or as
//! events naming the user in an indexed topic.

use std::ops::RangeInclusive;

use alloy_network::TransactionResponse;
use alloy_primitives::{Address, keccak256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, TransactionTrait};
use futures::{StreamExt, TryStreamExt, stream};

use super::{CONCURRENCY, ChainReader, wallet_topics};
use crate::{
    conditions::{Condition, check_name},
    error::ValidatorError,
    evaluate::{CheckContext, Outcome, not_mine},
};

/// The most blocks a `contract_transactions` check reads (every transaction of every block).
pub(crate) const MAX_TX_SCAN_BLOCKS: u64 = 10_000;

/// Evaluates one Web3 check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    let wallets = &ctx.subject.wallets;
    let name = check_name(condition);
    match condition {
        Condition::ContractTransactions { chain, contracts, min, from_block, to_block } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let range = transaction_scan(*from_block, *to_block, chain.head())
                .map_err(|err| ValidatorError::InvalidRequest(format!("{name}: {err}")))?;
            let to = *range.end();
            let count = successful_transactions(&chain, wallets, contracts, range, *min).await?;
            Ok(Outcome::when(
                count >= *min,
                format!(
                    "{name}: {count} successful transactions to the contracts in blocks \
                     {from_block}..={to}, needs ≥ {min}"
                ),
            ))
        }
        Condition::ContractEvents { chain, contract, event, topic_index, min, from_block } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let signature: String = event.chars().filter(|c| !c.is_whitespace()).collect();
            let filter = Filter::new().address(*contract).event_signature(keccak256(&signature));
            let topics = wallet_topics(wallets);
            let filter = match topic_index {
                1 => filter.topic1(topics),
                2 => filter.topic2(topics),
                3 => filter.topic3(topics),
                other => {
                    return Err(ValidatorError::InvalidConditions(format!(
                        "{name}: topicIndex {other} is not 1, 2 or 3"
                    )));
                }
            };
            let range = chain.searchable_from(*from_block);
            let mut count = 0_u64;
            if count < *min {
                let mut chunks = std::pin::pin!(chain.log_chunks(&filter, range.clone())?);
                while let Some(logs) = chunks.try_next().await? {
                    count += logs.len() as u64;
                    // Enough is enough: the remaining chunks are never requested.
                    if count >= *min {
                        break;
                    }
                }
            }
            Ok(Outcome::when(
                count >= *min,
                format!(
                    "{name} {contract} {signature}: {count} logs naming the wallets from block {}, \
                     needs ≥ {min}",
                    range.start()
                ),
            ))
        }
        _ => Err(not_mine("web3", condition)),
    }
}

/// The blocks a `contract_transactions` check reads: `from..=to`, the head when `to` is absent or
/// past it (empty when `from` is past the head), at most [`MAX_TX_SCAN_BLOCKS`] blocks.
fn transaction_scan(from: u64, to: Option<u64>, head: u64) -> Result<RangeInclusive<u64>, String> {
    let to = to.map_or(head, |to| to.min(head));
    let blocks = (to + 1).saturating_sub(from);
    if blocks > MAX_TX_SCAN_BLOCKS {
        return Err(format!(
            "blocks {from}..={to} are {blocks} blocks; at most {MAX_TX_SCAN_BLOCKS} can be scanned"
        ));
    }
    Ok(from..=to)
}

/// Transactions in `blocks` sent by one of `wallets` to one of `contracts` that
/// succeeded, counted until `enough`. Receipts are fetched only for matching transactions.
async fn successful_transactions(
    chain: &ChainReader<'_>,
    wallets: &[Address],
    contracts: &[Address],
    blocks: RangeInclusive<u64>,
    enough: u64,
) -> Result<u64, ValidatorError> {
    let provider = chain.provider();
    let mut blocks = std::pin::pin!(
        stream::iter(blocks)
            .map(|number| async move {
                provider
                    .get_block_by_number(BlockNumberOrTag::Number(number))
                    .full()
                    .await
                    .map_err(|err| chain.error(err))?
                    .ok_or_else(|| chain.error(format!("block {number} is missing")))
            })
            .buffered(CONCURRENCY)
    );
    let mut count = 0;
    while count < enough {
        let Some(block) = blocks.try_next().await? else { break };
        let matching: Vec<_> = block
            .transactions
            .txns()
            .filter(|tx| {
                wallets.contains(&tx.from())
                    && TransactionTrait::to(*tx).is_some_and(|to| contracts.contains(&to))
            })
            .map(TransactionResponse::tx_hash)
            .collect();
        for hash in matching {
            let receipt = provider
                .get_transaction_receipt(hash)
                .await
                .map_err(|err| chain.error(err))?
                .ok_or_else(|| chain.error(format!("receipt of {hash} is missing")))?;
            if receipt.status() {
                count += 1;
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::to_head(5, None, 100, Ok(5..=100))]
    #[case::bounded(5, Some(50), 100, Ok(5..=50))]
    #[case::past_head(5, Some(500), 100, Ok(5..=100))]
    #[case::largest(0, Some(9_999), 20_000, Ok(0..=9_999))]
    #[case::too_many(0, Some(10_000), 20_000, Err(()))]
    #[case::too_many_to_head(0, None, 10_000, Err(()))]
    fn transaction_scans_are_bounded(
        #[case] from: u64,
        #[case] to: Option<u64>,
        #[case] head: u64,
        #[case] expected: Result<RangeInclusive<u64>, ()>,
    ) {
        assert_eq!(transaction_scan(from, to, head).map_err(|_| ()), expected);
        assert!(transaction_scan(0, None, 10_000).unwrap_err().contains("10001 blocks"));
        // A range that starts after the head scans nothing.
        assert!(transaction_scan(200, None, 100).unwrap().is_empty());
    }
}
