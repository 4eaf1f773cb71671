//! Checks that read EVM chains over JSON-RPC: NFT holdings, token balances, contract
//! interactions.
//!
//! Every read of one check is pinned to the chain head seen when the check starts, so balances,
//! owners and logs describe the same state. Log queries are split into [`LOG_CHUNK_BLOCKS`]-block
//! `eth_getLogs` requests (the range limit of most public RPC providers) and never cover more than
//! the last [`MAX_LOG_SCAN_BLOCKS`] blocks, which bounds what one request to the service costs.

use std::ops::RangeInclusive;

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockId, Filter, Log, TransactionRequest};
use alloy_sol_types::SolCall;
use futures::{StreamExt, TryStreamExt, stream};

use crate::{error::ValidatorError, evaluate::CheckContext};

mod abi;
mod metadata;
pub(crate) mod nft;
mod replay;
pub(crate) mod token;
pub(crate) mod web3;

/// Blocks per `eth_getLogs` request.
pub(crate) const LOG_CHUNK_BLOCKS: u64 = 10_000;

/// The most blocks a check searches for logs: holding durations longer than this cannot be
/// checked, and transfer counts, token enumeration and event searches look no further back.
pub(crate) const MAX_LOG_SCAN_BLOCKS: u64 = 5_000_000;

/// RPC requests one check keeps in flight.
const CONCURRENCY: usize = 4;

/// One EVM chain as a check reads it: its provider and the head block every read is pinned to.
pub(crate) struct ChainReader<'a> {
    name: &'a str,
    provider: &'a DynProvider<Ethereum>,
    head: u64,
}

impl<'a> ChainReader<'a> {
    /// The configured chain `name`, at its current head.
    pub(crate) async fn open(
        ctx: &CheckContext<'a>,
        name: &'a str,
    ) -> Result<Self, ValidatorError> {
        let provider = ctx.env.chains.get(name)?;
        let head =
            provider.get_block_number().await.map_err(|err| ValidatorError::chain(name, err))?;
        Ok(Self { name, provider, head })
    }

    /// The block every read is pinned to.
    pub(crate) const fn head(&self) -> u64 {
        self.head
    }

    /// The provider, for reads this type does not wrap.
    pub(crate) const fn provider(&self) -> &'a DynProvider<Ethereum> {
        self.provider
    }

    /// Maps an RPC failure to this chain's error.
    pub(crate) fn error(&self, err: impl std::fmt::Display) -> ValidatorError {
        ValidatorError::chain(self.name, err)
    }

    /// `eth_call` of a view function of `to` at the head.
    pub(crate) async fn call<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, ValidatorError> {
        self.try_call(to, call)
            .await?
            .ok_or_else(|| self.error(format!("{} on {to} reverted", C::SIGNATURE)))
    }

    /// Like [`Self::call`], but `None` when the call reverts (`ownerOf` of a burned token): a
    /// revert is an answer, a transport failure is an error.
    pub(crate) async fn try_call<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<Option<C::Return>, ValidatorError> {
        let tx = TransactionRequest::default().to(to).input(call.abi_encode().into());
        match self.provider.call(tx).block(BlockId::number(self.head)).await {
            Ok(output) => C::abi_decode_returns(&output).map(Some).map_err(|err| {
                self.error(format!("{} on {to} returned undecodable data: {err}", C::SIGNATURE))
            }),
            Err(err) if is_revert(&err) => Ok(None),
            Err(err) => Err(self.error(err)),
        }
    }

    /// The last `blocks` blocks up to the head (fewer on a younger chain), as a block range.
    pub(crate) fn last_blocks(&self, blocks: u64) -> RangeInclusive<u64> {
        (self.head + 1).saturating_sub(blocks)..=self.head
    }

    /// `from..=head`, limited to the last [`MAX_LOG_SCAN_BLOCKS`] blocks; empty when `from` is
    /// past the head.
    pub(crate) fn searchable_from(&self, from: u64) -> RangeInclusive<u64> {
        let window = self.last_blocks(MAX_LOG_SCAN_BLOCKS);
        from.max(*window.start())..=self.head
    }

    /// The logs matching `filter` in `range` (which must lie within the last
    /// [`MAX_LOG_SCAN_BLOCKS`] blocks), oldest first, in [`LOG_CHUNK_BLOCKS`]-block requests.
    pub(crate) async fn logs(
        &self,
        filter: &Filter,
        range: RangeInclusive<u64>,
    ) -> Result<Vec<Log>, ValidatorError> {
        let chunks: Vec<Vec<Log>> = self.log_chunks(filter, range)?.try_collect().await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// The logs of each of `filters` in `range`, merged oldest first, each log once (a transfer
    /// between two of the user's wallets matches both the `from` and the `to` filter).
    pub(crate) async fn logs_of_any(
        &self,
        filters: &[Filter],
        range: RangeInclusive<u64>,
    ) -> Result<Vec<Log>, ValidatorError> {
        let mut all = Vec::new();
        for filter in filters {
            all.extend(self.logs(filter, range.clone()).await?);
        }
        all.sort_by_key(log_position);
        all.dedup_by_key(|log| log_position(log));
        Ok(all)
    }

    /// The logs matching `filter` in `range`, one item per [`LOG_CHUNK_BLOCKS`]-block request,
    /// oldest first; a consumer that stops early saves the remaining requests.
    pub(crate) fn log_chunks<'s>(
        &'s self,
        filter: &'s Filter,
        range: RangeInclusive<u64>,
    ) -> Result<impl futures::Stream<Item = Result<Vec<Log>, ValidatorError>> + 's, ValidatorError>
    {
        let (from, to) = (*range.start(), (*range.end()).min(self.head));
        if from <= to && to - from >= MAX_LOG_SCAN_BLOCKS {
            return Err(ValidatorError::InvalidRequest(format!(
                "a log search over blocks {from}..={to} exceeds the {MAX_LOG_SCAN_BLOCKS} blocks a \
                 check may search"
            )));
        }
        let chunks = chunk_ranges(from, to, LOG_CHUNK_BLOCKS);
        Ok(stream::iter(chunks)
            .map(move |(start, end)| {
                let filter = filter.clone().from_block(start).to_block(end);
                async move { self.provider.get_logs(&filter).await.map_err(|err| self.error(err)) }
            })
            .buffered(CONCURRENCY))
    }
}

/// `(block, index)` of a log, its position in the chain.
fn log_position(log: &Log) -> (u64, u64) {
    (log.block_number.unwrap_or_default(), log.log_index.unwrap_or_default())
}

/// `from..=to` cut into consecutive inclusive ranges of at most `size` blocks.
fn chunk_ranges(from: u64, to: u64, size: u64) -> Vec<(u64, u64)> {
    let mut chunks = Vec::new();
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(size - 1).min(to);
        chunks.push((start, end));
        if end == u64::MAX {
            break;
        }
        start = end + 1;
    }
    chunks
}

/// Whether an RPC error is the node reporting that the call reverted.
fn is_revert(err: &alloy_transport::TransportError) -> bool {
    // Geth-style nodes answer code 3 with the revert data; others only say so in the message.
    err.as_error_resp().is_some_and(|payload| {
        payload.code == 3 || payload.message.to_ascii_lowercase().contains("revert")
    })
}

/// An address as an indexed event topic (left-padded to 32 bytes).
pub(crate) fn address_topic(address: Address) -> B256 {
    address.into_word()
}

/// The wallets of the passport as topics.
pub(crate) fn wallet_topics(wallets: &[Address]) -> Vec<B256> {
    wallets.iter().copied().map(address_topic).collect()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    #[rstest::rstest]
    #[case(0, 0, 10, vec![(0, 0)])]
    #[case(0, 9, 10, vec![(0, 9)])]
    #[case(0, 10, 10, vec![(0, 9), (10, 10)])]
    #[case(5, 25, 10, vec![(5, 14), (15, 24), (25, 25)])]
    #[case(7, 6, 10, vec![])]
    #[case(u64::MAX - 1, u64::MAX, 10, vec![(u64::MAX - 1, u64::MAX)])]
    fn chunks_cover_the_range(
        #[case] from: u64,
        #[case] to: u64,
        #[case] size: u64,
        #[case] expected: Vec<(u64, u64)>,
    ) {
        assert_eq!(chunk_ranges(from, to, size), expected);
    }

    #[test]
    fn addresses_are_left_padded_topics() {
        let wallet = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let topic = address_topic(wallet);
        assert_eq!(&topic[..12], &[0; 12]);
        assert_eq!(&topic[12..], wallet.as_slice());
        assert_eq!(wallet_topics(&[wallet, Address::ZERO]), vec![topic, B256::ZERO]);
    }
}
