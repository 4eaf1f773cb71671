//! Token checks on EVM chains: native and ERC-20 balances, transaction counts and ERC-20 holding
//! duration. (The Solana token checks live in `crate::solana`.)

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockId, Filter, Log};
use alloy_sol_types::SolEvent;

use super::{
    ChainReader, MAX_LOG_SCAN_BLOCKS,
    abi::IERC20,
    address_topic,
    replay::{Change, Holding, balance_holding},
};
use crate::{
    conditions::{Condition, check_name},
    error::ValidatorError,
    evaluate::{CheckContext, Outcome, not_mine},
};

/// Evaluates one EVM token check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    let wallets = &ctx.subject.wallets;
    let name = check_name(condition);
    match condition {
        Condition::NativeBalance { chain, min } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let mut held = U256::ZERO;
            for wallet in wallets {
                let balance = chain
                    .provider()
                    .get_balance(*wallet)
                    .block_id(BlockId::number(chain.head()))
                    .await
                    .map_err(|err| chain.error(err))?;
                held = held.saturating_add(balance);
            }
            Ok(Outcome::when(held >= *min, format!("{name}: holds {held} wei, needs ≥ {min}")))
        }
        Condition::Erc20Balance { chain, token, min } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let mut held = U256::ZERO;
            for wallet in wallets {
                held = held.saturating_add(erc20_balance(&chain, *token, *wallet).await?);
            }
            Ok(Outcome::when(held >= *min, format!("{name} {token}: holds {held}, needs ≥ {min}")))
        }
        Condition::TxCount { chain, min } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let mut sent = 0_u64;
            for wallet in wallets {
                let nonce = chain
                    .provider()
                    .get_transaction_count(*wallet)
                    .block_id(BlockId::number(chain.head()))
                    .await
                    .map_err(|err| chain.error(err))?;
                sent = sent.saturating_add(nonce);
            }
            Ok(Outcome::when(
                sent >= *min,
                format!("{name}: sent {sent} transactions, needs ≥ {min}"),
            ))
        }
        Condition::Erc20HoldingDuration { chain, token, min, min_blocks } => {
            if *min_blocks > MAX_LOG_SCAN_BLOCKS {
                return Err(ValidatorError::InvalidConditions(format!(
                    "{name}: minBlocks {min_blocks} exceeds the {MAX_LOG_SCAN_BLOCKS} blocks this \
                     validator searches"
                )));
            }
            let chain = ChainReader::open(&ctx, chain).await?;
            let mut longest = Holding::No;
            for wallet in wallets {
                longest = longest
                    .longest(erc20_holding(&chain, *token, *min, *wallet, *min_blocks).await?);
                if long_enough(longest, chain.head(), *min_blocks) {
                    break;
                }
            }
            let observed = match longest {
                Holding::No => format!("no wallet holds ≥ {min}"),
                holding => format!("≥ {min} {}", holding.describe(chain.head())),
            };
            Ok(Outcome::when(
                long_enough(longest, chain.head(), *min_blocks),
                format!("{name} {token}: {observed}, needs ≥ {min} held ≥ {min_blocks} blocks"),
            ))
        }
        _ => Err(not_mine("token", condition)),
    }
}

fn long_enough(holding: Holding, head: u64, min_blocks: u64) -> bool {
    holding.blocks(head).is_some_and(|blocks| blocks >= min_blocks)
}

async fn erc20_balance(
    chain: &ChainReader<'_>,
    token: Address,
    wallet: Address,
) -> Result<U256, ValidatorError> {
    chain.call(token, IERC20::balanceOfCall { owner: wallet }).await
}

/// How long `wallet`'s balance of `token` has stayed at or above `min`, replaying its `Transfer`
/// logs over the last `min_blocks` blocks backwards from the balance now. (A token whose balances
/// change without `Transfer` events, such as a rebasing one, cannot be checked this way.)
async fn erc20_holding(
    chain: &ChainReader<'_>,
    token: Address,
    min: U256,
    wallet: Address,
    min_blocks: u64,
) -> Result<Holding, ValidatorError> {
    let balance = erc20_balance(chain, token, wallet).await?;
    if balance < min {
        return Ok(Holding::No);
    }
    let range = chain.last_blocks(min_blocks);
    let transfers = Filter::new().address(token).event_signature(IERC20::Transfer::SIGNATURE_HASH);
    let topic = address_topic(wallet);
    let filters = [transfers.clone().topic1(topic), transfers.topic2(topic)];
    let logs = chain.logs_of_any(&filters, range.clone()).await?;
    let changes = erc20_changes(&logs, wallet).map_err(|err| chain.error(err))?;
    Ok(balance_holding(balance, min, &changes, *range.start()))
}

/// The changes of `wallet`'s balance made by ERC-20 `Transfer` logs (oldest first). Logs with four
/// topics are ERC-721 transfers of the same contract and are skipped.
fn erc20_changes(logs: &[Log], wallet: Address) -> Result<Vec<Change>, String> {
    let mut changes = Vec::new();
    for log in logs.iter().filter(|log| log.topics().len() == 3) {
        let event = IERC20::Transfer::decode_log_data(log.data()).map_err(|err| {
            format!("undecodable ERC-20 Transfer log in {:?}: {err}", log.transaction_hash)
        })?;
        let received = if event.to == wallet { event.value } else { U256::ZERO };
        let sent = if event.from == wallet { event.value } else { U256::ZERO };
        changes.push(Change { block: log.block_number.unwrap_or_default(), received, sent });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    const ALICE: Address = address!("0x00000000000000000000000000000000000a11ce");
    const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");

    fn transfer(block: u64, from: Address, to: Address, value: u64) -> Log {
        let data = IERC20::Transfer { from, to, value: U256::from(value) }.encode_log_data();
        Log {
            inner: alloy_primitives::Log { address: Address::ZERO, data },
            block_number: Some(block),
            ..Log::default()
        }
    }

    #[test]
    fn erc20_changes_and_replay() {
        let logs = [
            transfer(100, Address::ZERO, ALICE, 1_000),
            transfer(110, ALICE, BOB, 900),
            transfer(120, BOB, ALICE, 900),
            transfer(130, ALICE, ALICE, 50),
        ];
        let changes = erc20_changes(&logs, ALICE).unwrap();
        let u = U256::from;
        assert_eq!(changes[1], Change { block: 110, received: u(0), sent: u(900) });
        assert_eq!(changes[3], Change { block: 130, received: u(50), sent: u(50) });
        // Holding ≥ 500: broken at block 110 (down to 100), restored at block 120.
        assert_eq!(balance_holding(u(1_000), u(500), &changes, 100), Holding::Since(120));
        // Holding ≥ 100 was never broken.
        assert_eq!(balance_holding(u(1_000), u(100), &changes, 100), Holding::Since(100));
        assert_eq!(balance_holding(u(1_000), u(100), &changes[1..], 105), Holding::Before(105));
    }

    #[test]
    fn erc721_shaped_logs_are_not_erc20_transfers() {
        let nft =
            crate::evm::abi::IERC721::Transfer { from: BOB, to: ALICE, tokenId: U256::from(1) };
        let log = Log {
            inner: alloy_primitives::Log { address: Address::ZERO, data: nft.encode_log_data() },
            block_number: Some(1),
            ..Log::default()
        };
        assert!(erc20_changes(&[log], ALICE).unwrap().is_empty());
    }
}
