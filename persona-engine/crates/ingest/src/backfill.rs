//! The batch processor: ingests a historical block range in parallel chunks.

use std::collections::HashSet;

use alloy_network::Ethereum;
use alloy_provider::{DynProvider, Provider};
use futures::{StreamExt, TryStreamExt, stream};

use super::{IdentityContracts, IngestError, IngestStore, source::read_events};

/// How a backfill splits and runs its range.
#[derive(Debug, Clone, Copy)]
pub struct BackfillConfig {
    /// The contracts whose events are ingested.
    pub contracts: IdentityContracts,
    /// Blocks per chunk (one `eth_getLogs` and one transaction).
    pub chunk_size: u64,
    /// Chunks in flight at once.
    pub concurrency: usize,
}

/// What a backfill run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Chunks ingested by this run.
    pub chunks_done: u64,
    /// Chunks skipped because an earlier run completed them.
    pub chunks_skipped: u64,
    /// Events that were new.
    pub events_inserted: u64,
}

/// Backfills one chain's identity events into an [`IngestStore`].
#[derive(Debug, Clone)]
pub struct Backfill {
    provider: DynProvider<Ethereum>,
    store: IngestStore,
    config: BackfillConfig,
    chain_id: u64,
}

impl Backfill {
    /// A backfill over `provider` (its chain id is asked once here).
    pub async fn new(
        provider: DynProvider<Ethereum>,
        store: IngestStore,
        config: BackfillConfig,
    ) -> Result<Self, IngestError> {
        let chain_id = provider.get_chain_id().await?;
        Ok(Self { provider, store, config, chain_id })
    }

    /// The chunks of `from..=to`.
    fn chunks(&self, from: u64, to: u64) -> Vec<(u64, u64)> {
        let size = self.config.chunk_size.max(1);
        let mut chunks = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(size - 1));
            chunks.push((start, end));
            match end.checked_add(1) {
                Some(next) => start = next,
                None => break,
            }
        }
        chunks
    }

    async fn chunk(&self, from: u64, to: u64) -> Result<u64, IngestError> {
        let events = read_events(&self.provider, &self.config.contracts, from, to).await?;
        self.store.commit_chunk(self.chain_id, from, to, &events).await
    }

    /// Ingests `from..=to`, skipping the chunks a previous run (with the same chunk size)
    /// completed. Stops at the first failing chunk; the finished ones stay recorded, so
    /// running it again resumes.
    pub async fn run(&self, from: u64, to: u64) -> Result<BackfillReport, IngestError> {
        let done: HashSet<(u64, u64)> =
            self.store.completed_chunks(self.chain_id).await?.into_iter().collect();
        let (skipped, pending): (Vec<_>, Vec<_>) =
            self.chunks(from, to).into_iter().partition(|chunk| done.contains(chunk));
        let report = BackfillReport { chunks_skipped: skipped.len() as u64, ..Default::default() };
        stream::iter(pending)
            .map(|(a, b)| self.chunk(a, b))
            .buffer_unordered(self.config.concurrency.max(1))
            .try_fold(report, |mut report, inserted| async move {
                report.chunks_done += 1;
                report.events_inserted += inserted;
                Ok(report)
            })
            .await
    }
}
