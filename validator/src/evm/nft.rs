//! NFT checks: ERC-721 and ERC-1155 holdings, metadata attributes, holding duration and transfer
//! counts.

use std::{
    collections::{BTreeMap, HashMap},
    ops::RangeInclusive,
};

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::SolEvent;
use futures::{StreamExt, TryStreamExt, stream};

use super::{
    CONCURRENCY, ChainReader, MAX_LOG_SCAN_BLOCKS,
    abi::{IERC721, IERC1155},
    address_topic,
    metadata::{MetadataClient, erc1155_uri, has_attribute},
    replay::{Change, Holding, balance_holding, token_holding},
    wallet_topics,
};
use crate::{
    conditions::{Condition, NftStandard, check_name},
    error::ValidatorError,
    evaluate::{CheckContext, Outcome, not_mine},
};

/// Distinct tokens whose current owner one check may ask for (`ownerOf`/`balanceOf` calls).
const MAX_TOKENS_CHECKED: usize = 1_000;

/// Held tokens whose metadata one `nft_metadata` check reads, the most recently received first.
const MAX_METADATA_TOKENS: usize = 50;

/// Evaluates one NFT check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    let wallets = &ctx.subject.wallets;
    let name = check_name(condition);
    match condition {
        Condition::NftBalance { chain, contract, standard, token_id, min } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let held = balance(&chain, *contract, *standard, *token_id, wallets).await?;
            let of = token_id.map(|id| format!(" of token {id}")).unwrap_or_default();
            Ok(Outcome::when(
                held >= *min,
                format!("{name} {contract}: holds {held}{of}, needs ≥ {min}"),
            ))
        }
        Condition::NftMetadata { chain, contract, standard, trait_type, value } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let nft = Nft { chain: &chain, contract: *contract };
            let found = nft
                .token_with_attribute(
                    *standard,
                    wallets,
                    trait_type,
                    value,
                    ctx.env.metadata_allow_private_hosts,
                )
                .await?;
            Ok(match found {
                Search::Found(id) => Outcome::met(format!(
                    "{name} {contract}: token {id} has {trait_type} = {value}"
                )),
                Search::NotFound(0) => Outcome::unmet(format!(
                    "{name} {contract}: holds no token, needs one with {trait_type} = {value}"
                )),
                Search::NotFound(read) => Outcome::unmet(format!(
                    "{name} {contract}: none of the {read} tokens held has {trait_type} = {value}"
                )),
            })
        }
        Condition::NftHoldingDuration { chain, contract, standard, token_id, min_blocks } => {
            if *min_blocks > MAX_LOG_SCAN_BLOCKS {
                return Err(ValidatorError::InvalidConditions(format!(
                    "{name}: minBlocks {min_blocks} exceeds the {MAX_LOG_SCAN_BLOCKS} blocks this \
                     validator searches"
                )));
            }
            let chain = ChainReader::open(&ctx, chain).await?;
            let nft = Nft { chain: &chain, contract: *contract };
            let range = chain.last_blocks(*min_blocks);
            let mut longest = Holding::No;
            for wallet in wallets {
                let holding = match (standard, token_id) {
                    (NftStandard::Erc721, _) => {
                        nft.erc721_holding(*wallet, *token_id, &range).await?
                    }
                    (NftStandard::Erc1155, Some(id)) => {
                        nft.erc1155_holding(*wallet, *id, &range).await?
                    }
                    (NftStandard::Erc1155, None) => return Err(needs_token_id(&name)),
                };
                longest = longest.longest(holding);
                if long_enough(longest, chain.head(), *min_blocks) {
                    break;
                }
            }
            Ok(Outcome::when(
                long_enough(longest, chain.head(), *min_blocks),
                format!(
                    "{name} {contract}: {}, needs ≥ {min_blocks} blocks",
                    longest.describe(chain.head())
                ),
            ))
        }
        Condition::NftTransferCount { chain, contract, standard, min, max } => {
            let chain = ChainReader::open(&ctx, chain).await?;
            let nft = Nft { chain: &chain, contract: *contract };
            let count = nft.transfer_count(*standard, wallets).await?;
            let within = count >= *min && max.is_none_or(|max| count <= max);
            let bound = match max {
                Some(max) => format!("between {min} and {max}"),
                None => format!("≥ {min}"),
            };
            Ok(Outcome::when(
                within,
                format!("{name} {contract}: {count} transfers, needs {bound}"),
            ))
        }
        _ => Err(not_mine("nft", condition)),
    }
}

fn long_enough(holding: Holding, head: u64, min_blocks: u64) -> bool {
    holding.blocks(head).is_some_and(|blocks| blocks >= min_blocks)
}

fn needs_token_id(name: &str) -> ValidatorError {
    ValidatorError::InvalidConditions(format!("`{name}` on an ERC-1155 contract needs `tokenId`"))
}

/// Tokens of `contract` held by `wallets` together.
async fn balance(
    chain: &ChainReader<'_>,
    contract: Address,
    standard: NftStandard,
    token_id: Option<U256>,
    wallets: &[Address],
) -> Result<U256, ValidatorError> {
    let nft = Nft { chain, contract };
    if let (NftStandard::Erc721, Some(id)) = (standard, token_id) {
        let owner = nft.owner_of(id).await?;
        return Ok(U256::from(owner.is_some_and(|owner| wallets.contains(&owner))));
    }
    let mut held = U256::ZERO;
    for wallet in wallets {
        let balance = match (standard, token_id) {
            (NftStandard::Erc721, _) => {
                chain.call(contract, IERC721::balanceOfCall { owner: *wallet }).await?
            }
            (NftStandard::Erc1155, Some(id)) => nft.erc1155_balance(*wallet, id).await?,
            (NftStandard::Erc1155, None) => return Err(needs_token_id("nft_balance")),
        };
        held = held.saturating_add(balance);
    }
    Ok(held)
}

/// The outcome of a metadata search.
enum Search {
    /// This held token has the attribute.
    Found(U256),
    /// None of this many held tokens has it.
    NotFound(usize),
}

/// One token contract on one chain.
struct Nft<'a> {
    chain: &'a ChainReader<'a>,
    contract: Address,
}

impl Nft<'_> {
    /// `ownerOf(id)`; `None` for a token that does not exist (never minted or burned).
    async fn owner_of(&self, id: U256) -> Result<Option<Address>, ValidatorError> {
        self.chain.try_call(self.contract, IERC721::ownerOfCall { tokenId: id }).await
    }

    async fn erc1155_balance(&self, wallet: Address, id: U256) -> Result<U256, ValidatorError> {
        self.chain.call(self.contract, IERC1155::balanceOfCall { account: wallet, id }).await
    }

    /// Filter on ERC-721 `Transfer` (or ERC-1155 `TransferSingle`/`TransferBatch`) logs of the
    /// contract.
    fn transfers(&self, standard: NftStandard) -> Filter {
        let filter = Filter::new().address(self.contract);
        match standard {
            NftStandard::Erc721 => filter.event_signature(IERC721::Transfer::SIGNATURE_HASH),
            NftStandard::Erc1155 => filter.event_signature(vec![
                IERC1155::TransferSingle::SIGNATURE_HASH,
                IERC1155::TransferBatch::SIGNATURE_HASH,
            ]),
        }
    }

    /// Filters on the transfers from and to any of `wallets` (the address topics differ by
    /// standard: ERC-1155 puts the operator first).
    fn transfers_of(&self, standard: NftStandard, wallets: &[Address]) -> [Filter; 2] {
        let topics = wallet_topics(wallets);
        let base = self.transfers(standard);
        match standard {
            NftStandard::Erc721 => [base.clone().topic1(topics.clone()), base.topic2(topics)],
            NftStandard::Erc1155 => [base.clone().topic2(topics.clone()), base.topic3(topics)],
        }
    }

    /// How long `wallet` has held a token (token `token_id`, when set), as far as `range` shows.
    async fn erc721_holding(
        &self,
        wallet: Address,
        token_id: Option<U256>,
        range: &RangeInclusive<u64>,
    ) -> Result<Holding, ValidatorError> {
        let balance = match token_id {
            Some(id) => U256::from(self.owner_of(id).await? == Some(wallet)),
            None => {
                self.chain.call(self.contract, IERC721::balanceOfCall { owner: wallet }).await?
            }
        };
        if balance.is_zero() {
            return Ok(Holding::No);
        }
        let mut incoming = self.transfers(NftStandard::Erc721).topic2(address_topic(wallet));
        if let Some(id) = token_id {
            incoming = incoming.topic3(B256::from(id));
        }
        let received = latest_receipts(&self.chain.logs(&incoming, range.clone()).await?);
        if U256::from(received.len()) < balance {
            // Fewer tokens came in during the range than are held: one came in before it.
            return Ok(Holding::Before(*range.start()));
        }
        let owned = self.owned_by(&received, &[wallet]).await?;
        let acquired: Vec<u64> = owned.iter().map(|id| received[id]).collect();
        Ok(token_holding(balance, &acquired, *range.start()))
    }

    /// How long `wallet` has held some of token `id`, as far as `range` shows.
    async fn erc1155_holding(
        &self,
        wallet: Address,
        id: U256,
        range: &RangeInclusive<u64>,
    ) -> Result<Holding, ValidatorError> {
        let balance = self.erc1155_balance(wallet, id).await?;
        if balance.is_zero() {
            return Ok(Holding::No);
        }
        let filters = self.transfers_of(NftStandard::Erc1155, &[wallet]);
        let logs = self.chain.logs_of_any(&filters, range.clone()).await?;
        let changes = erc1155_changes(&logs, wallet, id).map_err(|err| self.chain.error(err))?;
        Ok(balance_holding(balance, U256::from(1), &changes, *range.start()))
    }

    /// Transfers of the contract's tokens from or to any of `wallets` in the searchable blocks,
    /// each log once (an ERC-1155 batch is one transfer).
    async fn transfer_count(
        &self,
        standard: NftStandard,
        wallets: &[Address],
    ) -> Result<u64, ValidatorError> {
        let range = self.chain.searchable_from(0);
        let logs = self.chain.logs_of_any(&self.transfers_of(standard, wallets), range).await?;
        // ERC-20 `Transfer` has the same signature with one topic fewer.
        let count = logs
            .iter()
            .filter(|log| standard == NftStandard::Erc1155 || log.topics().len() == 4)
            .count();
        Ok(count as u64)
    }

    /// The ids among `candidates` whose owner now is one of `wallets` (`ownerOf`, in parallel).
    async fn owned_by(
        &self,
        candidates: &BTreeMap<U256, u64>,
        wallets: &[Address],
    ) -> Result<Vec<U256>, ValidatorError> {
        if candidates.len() > MAX_TOKENS_CHECKED {
            return Err(too_many_tokens(self.contract, candidates.len()));
        }
        let owners: Vec<(U256, Option<Address>)> = stream::iter(candidates.keys().copied())
            .map(|id| async move { Ok::<_, ValidatorError>((id, self.owner_of(id).await?)) })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        Ok(owners
            .into_iter()
            .filter(|(_, owner)| owner.is_some_and(|owner| wallets.contains(&owner)))
            .map(|(id, _)| id)
            .collect())
    }

    /// Held tokens that `wallets` received in the searchable blocks, the most recently received
    /// first.
    async fn held_tokens(
        &self,
        standard: NftStandard,
        wallets: &[Address],
    ) -> Result<Vec<U256>, ValidatorError> {
        let range = self.chain.searchable_from(0);
        let topics = wallet_topics(wallets);
        let mut held: Vec<(u64, U256)> = match standard {
            NftStandard::Erc721 => {
                let incoming = self.transfers(standard).topic2(topics);
                let received = latest_receipts(&self.chain.logs(&incoming, range).await?);
                let owned = self.owned_by(&received, wallets).await?;
                owned.into_iter().map(|id| (received[&id], id)).collect()
            }
            NftStandard::Erc1155 => {
                let incoming = self.transfers(standard).topic3(topics);
                let logs = self.chain.logs(&incoming, range).await?;
                let received = erc1155_receipts(&logs).map_err(|err| self.chain.error(err))?;
                if received.len() > MAX_TOKENS_CHECKED {
                    return Err(too_many_tokens(self.contract, received.len()));
                }
                let balances: Vec<(u64, U256, U256)> = stream::iter(received)
                    .map(|((wallet, id), block)| async move {
                        Ok::<_, ValidatorError>((
                            block,
                            id,
                            self.erc1155_balance(wallet, id).await?,
                        ))
                    })
                    .buffered(CONCURRENCY)
                    .try_collect()
                    .await?;
                let mut latest: BTreeMap<U256, u64> = BTreeMap::new();
                for (block, id, balance) in balances {
                    if !balance.is_zero() {
                        let entry = latest.entry(id).or_default();
                        *entry = (*entry).max(block);
                    }
                }
                latest.into_iter().map(|(id, block)| (block, id)).collect()
            }
        };
        held.sort_unstable_by(|a, b| b.cmp(a));
        Ok(held.into_iter().map(|(_, id)| id).collect())
    }

    /// The first held token (most recently received first, at most [`MAX_METADATA_TOKENS`]) whose
    /// metadata has `trait_type` = `value`. Metadata that cannot be fetched is an error unless
    /// another token matches. `allow_private_hosts` lets metadata come from private networks.
    async fn token_with_attribute(
        &self,
        standard: NftStandard,
        wallets: &[Address],
        trait_type: &str,
        value: &str,
        allow_private_hosts: bool,
    ) -> Result<Search, ValidatorError> {
        let held = self.held_tokens(standard, wallets).await?;
        let client = MetadataClient::new(allow_private_hosts)?;
        // ERC-1155 contracts often serve every id from one URI; fetch each document once.
        let mut documents: HashMap<String, Result<bool, String>> = HashMap::new();
        let mut unavailable = None;
        let read = held.len().min(MAX_METADATA_TOKENS);
        for id in held.into_iter().take(MAX_METADATA_TOKENS) {
            let uri = match standard {
                NftStandard::Erc721 => {
                    self.chain.call(self.contract, IERC721::tokenURICall { tokenId: id }).await?
                }
                NftStandard::Erc1155 => erc1155_uri(
                    &self.chain.call(self.contract, IERC1155::uriCall { id }).await?,
                    id,
                ),
            };
            if !documents.contains_key(&uri) {
                let matched = client
                    .fetch(&uri)
                    .await
                    .map(|metadata| has_attribute(&metadata, trait_type, value))
                    .map_err(|err| format!("token {id}: {err}"));
                documents.insert(uri.clone(), matched);
            }
            match &documents[&uri] {
                Ok(true) => return Ok(Search::Found(id)),
                Ok(false) => {}
                Err(err) => unavailable = unavailable.or_else(|| Some(err.clone())),
            }
        }
        match unavailable {
            Some(err) => Err(ValidatorError::Metadata(err)),
            None => Ok(Search::NotFound(read)),
        }
    }
}

fn too_many_tokens(contract: Address, count: usize) -> ValidatorError {
    ValidatorError::InvalidRequest(format!(
        "the passport's wallets received {count} distinct tokens of {contract}; at most \
         {MAX_TOKENS_CHECKED} can be checked"
    ))
}

/// For each token id in ERC-721 `Transfer` logs (oldest first), the block of its latest one.
/// Logs without four topics (ERC-20 transfers of the same contract) are skipped.
fn latest_receipts(logs: &[Log]) -> BTreeMap<U256, u64> {
    logs.iter()
        .filter(|log| log.topics().len() == 4)
        .map(|log| (U256::from_be_bytes(log.topics()[3].0), log.block_number.unwrap_or_default()))
        .collect()
}

/// For each `(recipient, id)` in ERC-1155 transfer logs, the block of its latest one.
fn erc1155_receipts(logs: &[Log]) -> Result<BTreeMap<(Address, U256), u64>, String> {
    let mut received = BTreeMap::new();
    for log in logs {
        let block = log.block_number.unwrap_or_default();
        for (_, to, id, _) in erc1155_transfers(log)? {
            received.insert((to, id), block);
        }
    }
    Ok(received)
}

/// The `(from, to, id, value)` moves of an ERC-1155 `TransferSingle` or `TransferBatch` log.
fn erc1155_transfers(log: &Log) -> Result<Vec<(Address, Address, U256, U256)>, String> {
    let undecodable = |err: alloy_sol_types::Error| {
        format!("undecodable ERC-1155 transfer log in {:?}: {err}", log.transaction_hash)
    };
    match log.topic0() {
        Some(&IERC1155::TransferSingle::SIGNATURE_HASH) => {
            let event =
                IERC1155::TransferSingle::decode_log_data(log.data()).map_err(undecodable)?;
            Ok(vec![(event.from, event.to, event.id, event.value)])
        }
        Some(&IERC1155::TransferBatch::SIGNATURE_HASH) => {
            let event =
                IERC1155::TransferBatch::decode_log_data(log.data()).map_err(undecodable)?;
            if event.ids.len() != event.values.len() {
                return Err(format!(
                    "ERC-1155 TransferBatch in {:?} has {} ids but {} values",
                    log.transaction_hash,
                    event.ids.len(),
                    event.values.len()
                ));
            }
            Ok(event
                .ids
                .iter()
                .zip(&event.values)
                .map(|(id, value)| (event.from, event.to, *id, *value))
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// The changes of `wallet`'s balance of token `id` made by ERC-1155 transfer logs.
fn erc1155_changes(logs: &[Log], wallet: Address, id: U256) -> Result<Vec<Change>, String> {
    let mut changes = Vec::new();
    for log in logs {
        let mut change = Change {
            block: log.block_number.unwrap_or_default(),
            received: U256::ZERO,
            sent: U256::ZERO,
        };
        for (from, to, moved, value) in erc1155_transfers(log)? {
            if moved != id {
                continue;
            }
            if to == wallet {
                change.received = change.received.saturating_add(value);
            }
            if from == wallet {
                change.sent = change.sent.saturating_add(value);
            }
        }
        if !change.received.is_zero() || !change.sent.is_zero() {
            changes.push(change);
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{LogData, address};

    use super::*;

    const ALICE: Address = address!("0x00000000000000000000000000000000000a11ce");
    const BOB: Address = address!("0x0000000000000000000000000000000000000b0b");

    fn rpc_log(block: u64, data: LogData) -> Log {
        Log {
            inner: alloy_primitives::Log { address: Address::ZERO, data },
            block_number: Some(block),
            ..Log::default()
        }
    }

    fn single(block: u64, from: Address, to: Address, id: u64, value: u64) -> Log {
        let event = IERC1155::TransferSingle {
            operator: from,
            from,
            to,
            id: U256::from(id),
            value: U256::from(value),
        };
        rpc_log(block, event.encode_log_data())
    }

    fn batch(block: u64, from: Address, to: Address, moves: &[(u64, u64)]) -> Log {
        let event = IERC1155::TransferBatch {
            operator: from,
            from,
            to,
            ids: moves.iter().map(|(id, _)| U256::from(*id)).collect(),
            values: moves.iter().map(|(_, v)| U256::from(*v)).collect(),
        };
        rpc_log(block, event.encode_log_data())
    }

    #[test]
    fn erc1155_changes_follow_single_and_batch_transfers() {
        let logs = [
            single(10, Address::ZERO, ALICE, 7, 5),
            batch(11, ALICE, BOB, &[(7, 2), (8, 1)]),
            single(12, BOB, ALICE, 8, 1),
            single(13, ALICE, ALICE, 7, 1),
        ];
        let changes = erc1155_changes(&logs, ALICE, U256::from(7)).unwrap();
        let u = U256::from;
        assert_eq!(
            changes,
            vec![
                Change { block: 10, received: u(5), sent: u(0) },
                Change { block: 11, received: u(0), sent: u(2) },
                Change { block: 13, received: u(1), sent: u(1) },
            ]
        );
        // Alice holds 3 of id 7 now; holding at least one started at block 10.
        assert_eq!(balance_holding(u(3), u(1), &changes, 0), Holding::Since(10));
    }

    #[test]
    fn erc1155_receipts_keep_the_latest_block_per_recipient_and_id() {
        let logs = [
            single(10, Address::ZERO, ALICE, 7, 5),
            batch(11, Address::ZERO, BOB, &[(7, 2), (8, 1)]),
            single(12, BOB, ALICE, 7, 1),
        ];
        let received = erc1155_receipts(&logs).unwrap();
        let u = U256::from;
        assert_eq!(
            received.into_iter().collect::<Vec<_>>(),
            vec![((BOB, u(7)), 11), ((BOB, u(8)), 11), ((ALICE, u(7)), 12)]
        );
    }

    #[test]
    fn malformed_erc1155_logs_are_errors() {
        let mut log = single(1, ALICE, BOB, 1, 1);
        log.inner.data = LogData::new_unchecked(log.topics().to_vec(), vec![1, 2, 3].into());
        assert!(erc1155_changes(&[log], ALICE, U256::from(1)).is_err());
    }

    #[test]
    fn erc721_receipts_skip_erc20_shaped_logs() {
        let transfer = |id: u64| {
            IERC721::Transfer { from: Address::ZERO, to: ALICE, tokenId: U256::from(id) }
                .encode_log_data()
        };
        let erc20 =
            crate::evm::abi::IERC20::Transfer { from: BOB, to: ALICE, value: U256::from(9) };
        let logs = [
            rpc_log(3, transfer(1)),
            rpc_log(4, erc20.encode_log_data()),
            rpc_log(5, transfer(2)),
            rpc_log(8, transfer(1)),
        ];
        let received = latest_receipts(&logs);
        assert_eq!(
            received.into_iter().collect::<Vec<_>>(),
            vec![(U256::from(1), 8), (U256::from(2), 5)]
        );
    }
}
