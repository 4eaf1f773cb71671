//! Derivation of L2 blocks from L1 data (OP stack rules, Holocene ordering): batcher data →
//! frames → channels → batches → the next L2 block's batch.
//!
//! A pure, synchronous library. The driver pushes L1 blocks in order with the batcher's data
//! (alt-DA commitments already resolved) and asks for the batch of the block after its safe head.
//! L1 blocks are read lazily, one at a time, as in op-node's pipeline: the data of a block is
//! used up (or found wanting) before the next block counts, which decides when the sequencing
//! window of an epoch has passed and an empty block is forced.

mod batches;
mod deposit;
mod frames;
#[cfg(test)]
mod test_utils;

pub use batches::l2_block_info;
pub use deposit::decode_user_deposit;

use alloy_eips::BlockNumHash;
use alloy_primitives::{B256, Bytes};
use batches::{Verdict, block_info};
use frames::ChannelAssembler;
use kona_genesis::RollupConfig;
use kona_protocol::{Batch, Frame, SingleBatch};
use serde::{Deserialize, Serialize};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

/// An L1 block, as derivation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1BlockRef {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
}

/// An L2 block, as derivation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2BlockRef {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
    /// The L1 block this block's epoch refers to.
    pub l1_origin: BlockNumHash,
    /// The position of this block in its epoch (0 for the first).
    pub sequence_number: u64,
}

/// Where a derived batch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    /// A valid batch the batcher posted.
    FromL1,
    /// An empty block forced because the sequencing window of its epoch passed without a batch.
    Forced,
}

/// The non-deposit part of the next L2 block: the node adds the L1-attributes deposit and, on
/// the first block of an epoch, the epoch's user deposits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedBatch {
    /// The block's timestamp.
    pub timestamp: u64,
    /// The block's L1 origin.
    pub epoch: L1BlockRef,
    /// The block's transactions after the deposits, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
    /// Posted or forced.
    pub kind: BatchKind,
}

/// Derivation failures. Invalid data on L1 is not an error (it is dropped with a logged reason);
/// these are what a caller must act on, and what the internal decoders report.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// The pushed L1 block does not build on the previous one: L1 reorganised; restart derivation
    /// from a checkpoint still on L1's chain.
    #[error("L1 reorg: block {number} has parent {parent_hash}, expected {expected}")]
    Reorg {
        /// The pushed block's number.
        number: u64,
        /// Its parent hash.
        parent_hash: B256,
        /// The hash of the previous block pushed.
        expected: B256,
    },
    /// The pushed L1 block is not the one after the previous one.
    #[error("L1 block {got} pushed, expected block {expected}")]
    NotNext {
        /// The number derivation needs next.
        expected: u64,
        /// The number pushed.
        got: u64,
    },
    /// The safe head given does not fit what derivation has read: its L1 origin is not among the
    /// L1 blocks of the current epoch onward (restart derivation from a checkpoint).
    #[error("safe head {number} has L1 origin {origin:?}, outside derivation's L1 window")]
    SafeHeadMismatch {
        /// The safe head's number.
        number: u64,
        /// Its L1 origin.
        origin: BlockNumHash,
    },
    /// Batcher data with a derivation version other than 0.
    #[error("unknown derivation version {0}")]
    UnknownVersion(u8),
    /// Batcher data whose frames do not parse.
    #[error("malformed frame data: {0}")]
    Frames(String),
    /// A channel that does not decompress.
    #[error("channel decompression: {0}")]
    Decompression(String),
    /// A batch that does not decode.
    #[error("malformed batch: {0}")]
    Batch(String),
    /// A deposit log that does not decode.
    #[error("malformed deposit log: {0}")]
    Deposit(#[from] kona_protocol::DepositError),
}

/// Most L2 blocks kept for span batches that start before the safe head, beyond those the
/// sequencing window already bounds.
const HISTORY_LIMIT: usize = 100_000;

/// The derivation pipeline's state.
#[derive(Debug)]
pub struct Deriver {
    cfg: Arc<RollupConfig>,
    /// The latest L1 block pushed.
    cursor: L1BlockRef,
    /// L1 blocks pushed and not yet read, with their batcher data.
    pending: VecDeque<(L1BlockRef, Vec<Bytes>)>,
    /// The L1 block being read: every batch read now was included in it.
    origin: L1BlockRef,
    /// L1 blocks from the current epoch up to `origin`.
    window: VecDeque<L1BlockRef>,
    /// Frames of `origin` not yet assembled.
    frames: VecDeque<Frame>,
    assembler: ChannelAssembler,
    /// The batches left in the channel being read.
    batches: VecDeque<Batch>,
    /// The singular batches left of an accepted span batch.
    span: VecDeque<SingleBatch>,
    /// Safe heads seen, by number, for span batches that overlap the safe chain.
    history: BTreeMap<u64, L2BlockRef>,
    /// The last batch returned and the hash of the safe head it goes on, until the safe head
    /// moves: asking again for the same parent returns it again.
    outstanding: Option<(B256, DerivedBatch)>,
}

/// A batch to check against the safe head.
enum Candidate {
    Single(SingleBatch),
    FromSpan(SingleBatch),
    Span(Box<kona_protocol::SpanBatch>),
}

impl Deriver {
    /// Derivation from `safe_head`, whose L1 origin is `l1_origin_of_safe_head`. It reads L1 from
    /// the block after that origin: start from a point where no channel was open (the rollup
    /// genesis, or a checkpoint taken when [`Self::is_idle`]).
    pub fn new(
        cfg: Arc<RollupConfig>,
        safe_head: L2BlockRef,
        l1_origin_of_safe_head: L1BlockRef,
    ) -> Self {
        Self {
            cfg,
            cursor: l1_origin_of_safe_head,
            pending: VecDeque::new(),
            origin: l1_origin_of_safe_head,
            window: VecDeque::from([l1_origin_of_safe_head]),
            frames: VecDeque::new(),
            assembler: ChannelAssembler::default(),
            batches: VecDeque::new(),
            span: VecDeque::new(),
            history: BTreeMap::from([(safe_head.number, safe_head)]),
            outstanding: None,
        }
    }

    /// The next L1 block, in order, with the payloads of the batcher's batch-inbox transactions
    /// in transaction order, each resolved from DA (`0x00 ‖ frames`).
    pub fn push_l1_block(
        &mut self,
        block: L1BlockRef,
        batcher_data: Vec<Bytes>,
    ) -> Result<(), DeriveError> {
        if block.number != self.cursor.number + 1 {
            return Err(DeriveError::NotNext {
                expected: self.cursor.number + 1,
                got: block.number,
            });
        }
        if block.parent_hash != self.cursor.hash {
            return Err(DeriveError::Reorg {
                number: block.number,
                parent_hash: block.parent_hash,
                expected: self.cursor.hash,
            });
        }
        self.cursor = block;
        self.pending.push_back((block, batcher_data));
        Ok(())
    }

    /// The batch of the block after `safe_head`, if the L1 blocks pushed so far determine it: a
    /// valid batch for its timestamp, or an empty forced batch once the sequencing window of its
    /// epoch has passed. `None`: push more L1 blocks. Until the safe head moves, asking again
    /// returns the same batch (so applying it can be retried).
    pub fn next_batch(
        &mut self,
        safe_head: &L2BlockRef,
    ) -> Result<Option<DerivedBatch>, DeriveError> {
        match self.outstanding.take() {
            Some((parent, batch)) if parent == safe_head.hash => {
                self.outstanding = Some((parent, batch.clone()));
                return Ok(Some(batch));
            }
            _ => {}
        }
        self.remember(safe_head);
        loop {
            self.align_window(safe_head)?;
            let batch = match self.next_from_l1(safe_head) {
                Some(batch) => Some(batch),
                None => self.forced(safe_head),
            };
            if let Some(batch) = batch {
                self.outstanding = Some((safe_head.hash, batch.clone()));
                return Ok(Some(batch));
            }
            if !self.advance_origin() {
                return Ok(None);
            }
        }
    }

    /// True when no channel or batch is buffered: a point the node can checkpoint (L1 block,
    /// safe head) and restart from.
    pub fn is_idle(&self) -> bool {
        self.outstanding.is_none()
            && self.assembler.is_idle()
            && self.frames.is_empty()
            && self.batches.is_empty()
            && self.span.is_empty()
    }

    /// The latest L1 block pushed (at first, the safe head's L1 origin).
    pub const fn l1_cursor(&self) -> Option<L1BlockRef> {
        Some(self.cursor)
    }

    fn remember(&mut self, safe: &L2BlockRef) {
        let _stale = self.history.split_off(&(safe.number + 1));
        self.history.insert(safe.number, *safe);
        // A span batch's parent has an origin at most one block before its starting epoch,
        // which is at most a sequencing window before the block including it.
        let horizon = self.origin.number.saturating_sub(self.cfg.seq_window_size + 1);
        while self.history.len() > 1
            && self.history.first_key_value().is_some_and(|(_, block)| {
                block.l1_origin.number < horizon || self.history.len() > HISTORY_LIMIT
            })
        {
            self.history.pop_first();
        }
    }

    /// Moves the window's start to the safe head's L1 origin (or keeps it one block ahead, where
    /// forced empty batches have already advanced the epoch).
    fn align_window(&mut self, safe: &L2BlockRef) -> Result<(), DeriveError> {
        let mismatch =
            || DeriveError::SafeHeadMismatch { number: safe.number, origin: safe.l1_origin };
        while self.window.len() > 1
            && self.window.front().is_some_and(|epoch| epoch.number < safe.l1_origin.number)
        {
            self.window.pop_front();
        }
        let epoch = self.window.front().ok_or_else(mismatch)?;
        if epoch.number == safe.l1_origin.number {
            if epoch.hash != safe.l1_origin.hash {
                return Err(mismatch());
            }
        } else if epoch.number != safe.l1_origin.number + 1 {
            return Err(mismatch());
        }
        Ok(())
    }

    /// Starts reading the next pushed L1 block; false when there is none.
    fn advance_origin(&mut self) -> bool {
        let Some((block, data)) = self.pending.pop_front() else { return false };
        self.origin = block;
        self.window.push_back(block);
        self.assembler.check_timeout(&self.cfg, &block);
        for (index, payload) in data.iter().enumerate() {
            match frames::parse_batcher_data(payload) {
                Ok(frames) => self.frames.extend(frames),
                Err(err) => {
                    tracing::warn!(l1 = block.number, index, %err, "batcher data skipped");
                }
            }
        }
        true
    }

    /// The next complete channel from the frames of the current L1 block.
    fn next_channel(&mut self) -> Option<Vec<u8>> {
        while let Some(frame) = self.frames.pop_front() {
            if let Some(channel) = self.assembler.add_frame(&self.cfg, &self.origin, frame) {
                return Some(channel);
            }
        }
        None
    }

    /// Drops what is left of the current channel (Holocene: an invalid batch invalidates the
    /// rest of its channel).
    fn flush(&mut self) {
        self.batches.clear();
        self.span.clear();
    }

    /// Checks a span batch read from L1 and, if it is valid, queues its singular batches after
    /// the safe head.
    fn open_span(
        &mut self,
        span: &kona_protocol::SpanBatch,
        window: &[L1BlockRef],
        safe: &L2BlockRef,
    ) {
        let verdict =
            batches::check_span_prefix(&self.cfg, window, safe, &self.origin, &self.history, span);
        match verdict {
            Verdict::Accept => match batches::span_singles(span, window, safe) {
                Ok(singles) => self.span = singles.into(),
                Err(err) => {
                    tracing::warn!(%err, "span batch dropped with the rest of its channel");
                    self.flush();
                }
            },
            Verdict::Past => {
                tracing::debug!(
                    end = span.final_timestamp(),
                    "span batch already derived: skipped"
                );
            }
            Verdict::Drop(reason) => {
                tracing::warn!(%reason, start = span.starting_timestamp(), l1 = self.origin.number, "invalid span batch dropped with the rest of its channel");
                self.flush();
            }
        }
    }

    /// The next valid batch read from L1 so far, dropping invalid and outdated ones.
    fn next_from_l1(&mut self, safe: &L2BlockRef) -> Option<DerivedBatch> {
        loop {
            let candidate = if let Some(single) = self.span.pop_front() {
                Candidate::FromSpan(single)
            } else if let Some(batch) = self.batches.pop_front() {
                match batch {
                    Batch::Single(single) => Candidate::Single(single),
                    Batch::Span(span) => Candidate::Span(Box::new(span)),
                }
            } else if let Some(channel) = self.next_channel() {
                let (batches, err) = batches::read_channel(&self.cfg, &self.origin, channel);
                if let Some(err) = err {
                    tracing::warn!(l1 = self.origin.number, read = batches.len(), %err, "rest of channel skipped");
                }
                self.batches = batches.into();
                continue;
            } else {
                return None;
            };
            // Batches included at or before the safe head's origin are all outdated.
            if self.origin.number <= safe.l1_origin.number {
                tracing::debug!(
                    l1 = self.origin.number,
                    "batch from before the safe head's origin skipped"
                );
                continue;
            }
            let window: Vec<L1BlockRef> = self.window.iter().copied().collect();
            let single = match candidate {
                Candidate::Single(single) => single,
                Candidate::FromSpan(mut single) => {
                    single.parent_hash = safe.hash;
                    single
                }
                Candidate::Span(span) => {
                    self.open_span(&span, &window, safe);
                    continue;
                }
            };
            let infos: Vec<_> = window.iter().map(block_info).collect();
            match batches::check_single(&self.cfg, &infos, safe, &self.origin, &single) {
                Verdict::Accept => {
                    match batches::find_epoch(&window, single.epoch_num, single.epoch_hash) {
                        Some(epoch) => {
                            return Some(DerivedBatch {
                                timestamp: single.timestamp,
                                epoch,
                                transactions: single.transactions,
                                kind: BatchKind::FromL1,
                            });
                        }
                        None => {
                            tracing::warn!(
                                epoch = single.epoch_num,
                                "batch epoch not in the L1 window: dropped"
                            );
                            self.flush();
                        }
                    }
                }
                Verdict::Past => {
                    tracing::debug!(timestamp = single.timestamp, "batch already derived: skipped");
                }
                Verdict::Drop(reason) => {
                    tracing::warn!(%reason, timestamp = single.timestamp, epoch = single.epoch_num, l1 = self.origin.number, "invalid batch dropped with the rest of its channel");
                    self.flush();
                }
            }
        }
    }

    /// An empty batch, once the sequencing window of the current epoch has passed at the L1
    /// block being read: in that epoch while the next epoch's L1 timestamp is not reached (and
    /// always as the first block of an epoch), after that in the next epoch.
    fn forced(&mut self, safe: &L2BlockRef) -> Option<DerivedBatch> {
        loop {
            let epoch = *self.window.front()?;
            if epoch.number.saturating_add(self.cfg.seq_window_size) > self.origin.number {
                return None;
            }
            let next_epoch = *self.window.get(1)?;
            let timestamp = safe.timestamp + self.cfg.block_time;
            let first_of_epoch = epoch.number == safe.l1_origin.number + 1;
            if timestamp < next_epoch.timestamp || first_of_epoch {
                tracing::info!(
                    timestamp,
                    epoch = epoch.number,
                    "sequencing window passed: empty block forced"
                );
                return Some(DerivedBatch {
                    timestamp,
                    epoch,
                    transactions: Vec::new(),
                    kind: BatchKind::Forced,
                });
            }
            self.window.pop_front();
        }
    }
}

#[cfg(test)]
mod tests;
