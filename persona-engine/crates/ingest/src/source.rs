//! Reading a block range's identity events, with their blocks' timestamps, from the JSON-RPC.

use std::collections::HashMap;

use alloy_network::Ethereum;
use alloy_primitives::B256;
use alloy_provider::{DynProvider, Provider};
use futures::{StreamExt, TryStreamExt, stream};

use super::{IdentityContracts, IngestError, IngestedEvent};

/// Block headers asked for at once when the node leaves out the logs' block timestamps.
const HEADER_CONCURRENCY: usize = 8;

/// The decoded events of `from..=to`. Each log's block time comes from the log when the node
/// fills `blockTimestamp`, else from one header per block that has events, asked for by hash:
/// a block that left the chain meanwhile is [`IngestError::ChainMoved`].
pub(crate) async fn read_events(
    provider: &DynProvider<Ethereum>,
    contracts: &IdentityContracts,
    from: u64,
    to: u64,
) -> Result<Vec<IngestedEvent>, IngestError> {
    let logs = provider.get_logs(&contracts.filter(from, to)).await?;
    let logs: Vec<_> = logs.into_iter().filter(|log| !log.removed).collect();
    let mut times: HashMap<B256, u64> =
        logs.iter().filter_map(|log| Some((log.block_hash?, log.block_timestamp?))).collect();
    let mut missing: Vec<B256> =
        logs.iter().filter_map(|log| log.block_hash).filter(|h| !times.contains_key(h)).collect();
    missing.sort_unstable();
    missing.dedup();
    let fetched: Vec<(B256, u64)> = stream::iter(missing)
        .map(|hash| async move {
            let block = provider.get_block_by_hash(hash).await?;
            let block = block.ok_or(IngestError::ChainMoved { from, to })?;
            Ok::<_, IngestError>((hash, block.header.timestamp))
        })
        .buffer_unordered(HEADER_CONCURRENCY)
        .try_collect()
        .await?;
    times.extend(fetched);
    let mut events = Vec::with_capacity(logs.len());
    for log in &logs {
        // A log without a block hash is refused by `decode` (no position).
        let time = log.block_hash.and_then(|hash| times.get(&hash).copied()).unwrap_or_default();
        if let Some(event) = contracts.decode(log, time)? {
            events.push(event);
        }
    }
    Ok(events)
}
