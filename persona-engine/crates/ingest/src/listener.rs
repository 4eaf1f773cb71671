//! The listener: follows the chain behind a confirmation depth, range by range, with reorg
//! handling.

use std::{collections::BTreeMap, future::Future, time::Duration};

use alloy_network::Ethereum;
use alloy_primitives::B256;
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::BlockNumberOrTag;

use super::{
    Cursor, ErrorKind, IdentityContracts, IngestError, IngestStore, IngestedEvent,
    source::read_events,
};

/// How the listener follows the chain.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// The contracts whose events are ingested.
    pub contracts: IdentityContracts,
    /// Blocks behind the head that are not read yet (0: up to the head).
    pub confirmations: u64,
    /// The first block read when there is no cursor (the contracts' deployment block).
    pub start_block: u64,
    /// The most blocks one range (one `eth_getLogs` and one transaction) covers.
    pub max_range: u64,
    /// Pause when caught up or after a temporary error.
    pub poll_interval: Duration,
    /// Block hashes kept below the cursor: the deepest reorg that can be handled.
    pub retained_blocks: u64,
}

impl ListenerConfig {
    /// Defaults for `contracts`: 12 confirmations, from block 0, 1,000-block ranges, 1 s polls,
    /// 4,096 kept hashes.
    pub const fn new(contracts: IdentityContracts) -> Self {
        Self {
            contracts,
            confirmations: 12,
            start_block: 0,
            max_range: 1_000,
            poll_interval: Duration::from_secs(1),
            retained_blocks: 4_096,
        }
    }
}

/// What one [`Listener::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing new below the confirmation depth.
    Idle,
    /// Blocks `from..=to` were ingested; `events` of their events were new.
    Ingested {
        /// First block.
        from: u64,
        /// Last block (the new cursor).
        to: u64,
        /// Events stored.
        events: u64,
    },
    /// The cursor's block left the chain: rewound to `ancestor` (`None`: before the start
    /// block), `retracted` events marked retracted.
    Reorg {
        /// The newest kept block still on the chain.
        ancestor: Option<u64>,
        /// Events retracted.
        retracted: u64,
    },
}

/// Ingests the identity events of one chain into an [`IngestStore`].
#[derive(Debug, Clone)]
pub struct Listener {
    provider: DynProvider<Ethereum>,
    store: IngestStore,
    config: ListenerConfig,
    chain_id: u64,
}

impl Listener {
    /// A listener over `provider` (its chain id is asked once here).
    pub async fn new(
        provider: DynProvider<Ethereum>,
        store: IngestStore,
        config: ListenerConfig,
    ) -> Result<Self, IngestError> {
        let chain_id = provider.get_chain_id().await?;
        Ok(Self { provider, store, config, chain_id })
    }

    /// The chain's id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, IngestError> {
        let block = self.provider.get_block_by_number(BlockNumberOrTag::Number(number)).await?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Does one unit of work: handles a reorg of the cursor's block, or ingests the next range
    /// up to `head - confirmations`, or nothing.
    pub async fn step(&self) -> Result<Step, IngestError> {
        let head = self.provider.get_block_number().await?;
        let safe = head.saturating_sub(self.config.confirmations);
        let cursor = self.store.cursor(self.chain_id).await?;
        if let Some(cursor) = cursor
            && self.block_hash(cursor.number).await? != Some(cursor.hash)
        {
            return self.rewind(cursor).await;
        }
        let from = cursor.map_or(self.config.start_block, |c| c.number + 1);
        if from > safe {
            return Ok(Step::Idle);
        }
        let to = safe.min(from.saturating_add(self.config.max_range.max(1) - 1));
        let to_hash = self.block_hash(to).await?.ok_or(IngestError::MissingBlock(to))?;
        let events = read_events(&self.provider, &self.config.contracts, from, to).await?;
        // A block hash commits to its ancestry: if `to` and the cursor block have the same
        // hashes after the logs were read as before, the logs are of that one chain.
        let cursor_moved = match cursor {
            Some(c) => self.block_hash(c.number).await? != Some(c.hash),
            None => false,
        };
        if cursor_moved || self.block_hash(to).await? != Some(to_hash) {
            return Err(IngestError::ChainMoved { from, to });
        }
        let blocks: BTreeMap<u64, B256> = events
            .iter()
            .map(|e: &IngestedEvent| (e.position.block_number, e.position.block_hash))
            .collect();
        let blocks: Vec<Cursor> =
            blocks.into_iter().map(|(number, hash)| Cursor { number, hash }).collect();
        let new = self
            .store
            .commit_range(
                self.chain_id,
                Cursor { number: to, hash: to_hash },
                &blocks,
                &events,
                self.config.retained_blocks,
            )
            .await?;
        tracing::debug!(from, to, events = new, "ingested identity events");
        Ok(Step::Ingested { from, to, events: new })
    }

    /// Walks the kept hashes down from `cursor` to the newest one still on the chain and
    /// rewinds the store to it.
    async fn rewind(&self, cursor: Cursor) -> Result<Step, IngestError> {
        const PAGE: u64 = 64;
        let mut at = cursor.number;
        let ancestor = 'walk: loop {
            let page = self.store.recent_blocks(self.chain_id, at, PAGE).await?;
            for kept in &page {
                if self.block_hash(kept.number).await? == Some(kept.hash) {
                    break 'walk Some(*kept);
                }
            }
            match page.last() {
                Some(last) if last.number > 0 && page.len() as u64 == PAGE => at = last.number - 1,
                _ => break None,
            }
        };
        if ancestor.is_none()
            && cursor.number.saturating_sub(self.config.retained_blocks) > self.config.start_block
        {
            // Hashes below the retention window were pruned: the ancestor may be among them.
            return Err(IngestError::ReorgTooDeep(
                cursor.number.saturating_sub(self.config.retained_blocks),
            ));
        }
        let retracted = self.store.rewind(self.chain_id, ancestor).await?;
        let ancestor = ancestor.map(|a| a.number);
        tracing::warn!(cursor = cursor.number, ?ancestor, retracted, "reorg: retracted events");
        Ok(Step::Reorg { ancestor, retracted })
    }

    /// Steps until `shutdown` completes, pausing when idle; temporary errors are logged and
    /// retried, a critical one is returned. Work in flight when `shutdown` fires is finished
    /// or, if the task is dropped instead, rolled back with its transaction.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), IngestError> {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let pause = match self.step().await {
                Ok(Step::Idle) => self.config.poll_interval,
                Ok(_) => Duration::ZERO,
                Err(e) if e.kind() == ErrorKind::Temporary => {
                    tracing::warn!(error = %e, "ingestion step failed; retrying");
                    self.config.poll_interval
                }
                Err(e) => return Err(e),
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
