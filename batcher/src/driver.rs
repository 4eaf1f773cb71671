//! The batcher loop: read L2 blocks, build channels, post frames, follow L1 transactions.

use alloy_primitives::B256;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::{
    BatcherError, ChannelBuilder, DaPoster, L2Source, Ledger, Metrics, SpanParams, TxManager,
};

/// Channel building knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Span batch encoding parameters.
    pub params: SpanParams,
    /// Maximum encoded frame size.
    pub target_frame_size: usize,
    /// Frames a full channel should fill (channel target size = frames × frame size).
    pub target_num_frames: usize,
    /// L1 blocks after which an open channel is closed.
    pub max_channel_duration: u64,
    /// Most L2 blocks read per step.
    pub max_blocks_per_step: u64,
}

/// The batcher: one instance per batcher key.
#[derive(Debug)]
pub struct Batcher<S> {
    source: S,
    ledger: Ledger,
    txmgr: TxManager,
    poster: DaPoster,
    config: ChannelConfig,
    metrics: Metrics,
    next_block: u64,
    parent: Option<B256>,
    channel: Option<ChannelBuilder>,
}

impl<S: L2Source> Batcher<S> {
    /// A batcher resuming from the ledger, or starting after the L2 safe head (block 1 if the
    /// node cannot tell), and reconciling with L1 before anything new is sent.
    pub async fn new(
        source: S,
        ledger: Ledger,
        txmgr: TxManager,
        poster: DaPoster,
        config: ChannelConfig,
        metrics: Metrics,
    ) -> Result<Self, BatcherError> {
        let (next_block, parent) = match ledger.cursor().await? {
            Some(cursor) => cursor,
            None => {
                let cursor = match source.safe_head().await {
                    Ok((number, hash)) => (number + 1, Some(hash)),
                    Err(err) => {
                        warn!(target: "batcher", %err, "no safe head, starting at block 1");
                        (1, None)
                    }
                };
                ledger.set_cursor(cursor.0, cursor.1).await?;
                cursor
            }
        };
        info!(target: "batcher", next_block, "starting");
        let batcher = Self {
            source,
            ledger,
            txmgr,
            poster,
            config,
            metrics,
            next_block,
            parent,
            channel: None,
        };
        batcher.txmgr.check_reorgs(&batcher.ledger).await?;
        batcher.txmgr.poll(&batcher.ledger).await?;
        Ok(batcher)
    }

    /// The ledger.
    pub const fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The next L2 block to batch.
    pub const fn next_block(&self) -> u64 {
        self.next_block
    }

    /// One round: build channels from new blocks, post pending frames, follow L1 txs.
    pub async fn step(&mut self) -> Result<(), BatcherError> {
        let l1_head = self.txmgr.l1_head().await?;
        self.build(l1_head).await?;
        self.post().await?;
        self.txmgr.check_reorgs(&self.ledger).await?;
        self.txmgr.poll(&self.ledger).await
    }

    /// Runs [`Self::step`] every `interval` until `shutdown` turns true.
    pub async fn run(
        mut self,
        interval: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), BatcherError> {
        loop {
            if let Err(err) = self.step().await {
                warn!(target: "batcher", %err, "step failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    async fn build(&mut self, l1_head: u64) -> Result<(), BatcherError> {
        for _ in 0..self.config.max_blocks_per_step {
            let Some(block) = self.source.block(self.next_block).await? else { break };
            if self.parent.is_some_and(|parent| parent != block.parent_hash) {
                self.restart_after_reorg(block.number).await?;
                return Ok(());
            }
            let config = self.config;
            let channel = self.channel.get_or_insert_with(|| {
                ChannelBuilder::new(
                    config.params,
                    config.target_frame_size.saturating_mul(config.target_num_frames),
                    l1_head,
                )
            });
            self.parent = Some(block.hash);
            self.next_block = block.number + 1;
            channel.add_block(block)?;
            if channel.is_full()? {
                self.close_channel().await?;
            }
        }
        if self
            .channel
            .as_ref()
            .is_some_and(|c| c.is_timed_out(l1_head, self.config.max_channel_duration))
        {
            self.close_channel().await?;
        }
        Ok(())
    }

    /// Drops the open channel after an L2 reorg was seen at `at`. Building restarts at the
    /// first block not in a closed channel when that part of the chain is unchanged (it is
    /// when it is safe, or when its last block still has the recorded hash), otherwise at the
    /// safe head: closed channels of reorged blocks are abandoned.
    async fn restart_after_reorg(&mut self, at: u64) -> Result<(), BatcherError> {
        self.channel = None;
        let (safe, safe_hash) = self.source.safe_head().await?;
        let (closed_next, closed_parent) = self.ledger.cursor().await?.unwrap_or((1, None));
        let unchanged = closed_next <= safe + 1
            || match closed_parent {
                Some(hash) => self
                    .source
                    .block(closed_next - 1)
                    .await?
                    .is_some_and(|block| block.hash == hash),
                None => false,
            };
        if unchanged {
            warn!(target: "batcher", block = at, restart = closed_next, safe, "L2 reorg: rebuilding the open channel");
            self.next_block = closed_next;
            self.parent = closed_parent;
        } else {
            warn!(target: "batcher", block = at, restart = safe + 1, safe, "L2 reorg below closed channels: restarting from the safe head");
            self.next_block = safe + 1;
            self.parent = Some(safe_hash);
            self.ledger.set_cursor(self.next_block, self.parent).await?;
        }
        Ok(())
    }

    async fn close_channel(&mut self) -> Result<(), BatcherError> {
        let Some(channel) = self.channel.take() else { return Ok(()) };
        let (Some(first), Some(last)) = (channel.blocks().first(), channel.blocks().last()) else {
            return Ok(());
        };
        let (first, last, last_hash, count) =
            (first.number, last.number, last.hash, channel.blocks().len());
        let id = channel.id();
        let frames: Vec<Vec<u8>> = channel
            .into_frames(self.config.target_frame_size)?
            .iter()
            .map(|frame| frame.encode())
            .collect();
        self.ledger.close_channel(&id, first, last, last_hash, &frames).await?;
        self.metrics.channels.inc();
        self.metrics.frames.inc_by(frames.len() as u64);
        self.metrics.blocks_batched.inc_by(count as u64);
        info!(target: "batcher", first, last, frames = frames.len(), "channel closed");
        Ok(())
    }

    async fn post(&mut self) -> Result<(), BatcherError> {
        while let Some(frame) = self.ledger.next_pending_frame().await? {
            let Some(calldata) = self.poster.calldata(&self.ledger, &frame).await? else {
                return Ok(());
            };
            self.txmgr.send(&self.ledger, frame.channel_seq, frame.number, calldata).await?;
        }
        Ok(())
    }
}

/// Shares one source between a batcher and a test harness.
#[async_trait::async_trait]
impl<T: L2Source + ?Sized> L2Source for Arc<T> {
    async fn block(&self, number: u64) -> Result<Option<crate::L2Block>, BatcherError> {
        (**self).block(number).await
    }

    async fn safe_head(&self) -> Result<(u64, B256), BatcherError> {
        (**self).safe_head().await
    }
}
