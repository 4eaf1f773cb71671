//! The encoding side of the OP batch format: L2 blocks → span batch → brotli channel → frames.

use alloy_primitives::Bytes;
use alloy_rlp::Encodable;
use kona_protocol::{Batch, ChannelId, Frame, SingleBatch, SpanBatch};
use std::io::Write;

use crate::{BatcherError, L2Block};

/// Channel version byte of a brotli-compressed channel (Fjord).
pub const CHANNEL_VERSION_BROTLI: u8 = 1;
/// Bytes a frame adds around its data: channel id, frame number, length and `is_last`.
pub const FRAME_HEADER_LEN: usize = 16 + 2 + 4 + 1;
/// Brotli quality used for channels.
const BROTLI_QUALITY: u32 = 10;
/// Brotli window (log2) used for channels.
const BROTLI_WINDOW: u32 = 22;

/// The chain parameters a span batch is encoded against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanParams {
    /// L2 genesis timestamp (span batch timestamps are relative to it).
    pub genesis_timestamp: u64,
    /// L2 chain id (restores the transactions' chain ids).
    pub chain_id: u64,
}

/// Encodes `blocks` (consecutive, non-empty) as one span batch: `0x01 ‖ raw span batch`.
pub fn encode_span_batch(blocks: &[L2Block], params: SpanParams) -> Result<Vec<u8>, BatcherError> {
    let mut span = SpanBatch {
        genesis_timestamp: params.genesis_timestamp,
        chain_id: params.chain_id,
        ..Default::default()
    };
    for block in blocks {
        let single = SingleBatch {
            parent_hash: block.parent_hash,
            epoch_num: block.l1_origin_number,
            epoch_hash: block.l1_origin_hash,
            timestamp: block.timestamp,
            transactions: block.transactions.clone(),
        };
        span.append_singular_batch(single, block.sequence_number)
            .map_err(|err| BatcherError::Encoding(format!("block {}: {err}", block.number)))?;
    }
    let mut out = Vec::new();
    Batch::Span(span).encode(&mut out).map_err(|err| BatcherError::Encoding(err.to_string()))?;
    Ok(out)
}

/// Channel data of `blocks`: `0x01 ‖ brotli(rlp_bytes(span batch))`.
pub fn encode_channel(blocks: &[L2Block], params: SpanParams) -> Result<Vec<u8>, BatcherError> {
    let batch = encode_span_batch(blocks, params)?;
    let mut rlp = Vec::with_capacity(batch.len() + 9);
    Bytes::from(batch).encode(&mut rlp);
    let mut out = vec![CHANNEL_VERSION_BROTLI];
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(&rlp).map_err(|err| BatcherError::Encoding(err.to_string()))?;
        writer.flush().map_err(|err| BatcherError::Encoding(err.to_string()))?;
    }
    Ok(out)
}

/// Splits channel `data` into frames whose encoding is at most `max_frame_size` bytes.
pub fn split_frames(
    id: ChannelId,
    data: &[u8],
    max_frame_size: usize,
) -> Result<Vec<Frame>, BatcherError> {
    if max_frame_size <= FRAME_HEADER_LEN {
        return Err(BatcherError::Encoding(format!(
            "frame size {max_frame_size} leaves no room for data"
        )));
    }
    let chunk = max_frame_size - FRAME_HEADER_LEN;
    let chunks: Vec<&[u8]> = data.chunks(chunk).collect();
    if chunks.len() > usize::from(u16::MAX) + 1 {
        return Err(BatcherError::Encoding(format!("{} frames exceed u16", chunks.len())));
    }
    let last = chunks.len().saturating_sub(1);
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Frame::new(id, i as u16, bytes.to_vec(), i == last))
        .collect())
}

/// A channel being filled with blocks until it is full or too old.
#[derive(Debug)]
pub struct ChannelBuilder {
    id: ChannelId,
    params: SpanParams,
    target_size: usize,
    opened_at_l1: u64,
    blocks: Vec<L2Block>,
    raw_size: usize,
    next_check: usize,
    compressed: Option<Vec<u8>>,
}

impl ChannelBuilder {
    /// An empty channel with a random id, opened while the L1 head was `opened_at_l1`, that is
    /// full once its compressed data reaches `target_size` bytes.
    pub fn new(params: SpanParams, target_size: usize, opened_at_l1: u64) -> Self {
        Self {
            id: rand::random(),
            params,
            target_size,
            opened_at_l1,
            blocks: Vec::new(),
            raw_size: 0,
            next_check: target_size,
            compressed: None,
        }
    }

    /// The channel id.
    pub const fn id(&self) -> ChannelId {
        self.id
    }

    /// The blocks in the channel.
    pub fn blocks(&self) -> &[L2Block] {
        &self.blocks
    }

    /// The L1 head when the channel was opened.
    pub const fn opened_at_l1(&self) -> u64 {
        self.opened_at_l1
    }

    /// Appends the next block. Fails if it does not build on the last block of the channel.
    pub fn add_block(&mut self, block: L2Block) -> Result<(), BatcherError> {
        if let Some(last) = self.blocks.last()
            && (block.parent_hash != last.hash || block.number != last.number + 1)
        {
            return Err(BatcherError::Encoding(format!(
                "block {} does not build on block {}",
                block.number, last.number
            )));
        }
        self.raw_size += 70 + block.transactions.iter().map(|tx| tx.len()).sum::<usize>();
        self.compressed = None;
        self.blocks.push(block);
        Ok(())
    }

    /// Whether the compressed channel reached the target size. Compresses only once the raw
    /// size could reach the target, and then again after every 10 % of raw growth.
    pub fn is_full(&mut self) -> Result<bool, BatcherError> {
        if self.blocks.is_empty() || self.raw_size < self.next_check {
            return Ok(false);
        }
        let data = encode_channel(&self.blocks, self.params)?;
        let full = data.len() >= self.target_size;
        self.next_check = self.raw_size + self.raw_size / 10 + 1;
        self.compressed = Some(data);
        Ok(full)
    }

    /// Whether the channel has been open for at least `max_duration` L1 blocks at `l1_head`.
    pub const fn is_timed_out(&self, l1_head: u64, max_duration: u64) -> bool {
        !self.blocks.is_empty() && l1_head >= self.opened_at_l1 + max_duration
    }

    /// Closes the channel into encoded frames of at most `max_frame_size` bytes each.
    pub fn into_frames(self, max_frame_size: usize) -> Result<Vec<Frame>, BatcherError> {
        let data = match self.compressed {
            Some(data) => data,
            None => encode_channel(&self.blocks, self.params)?,
        };
        split_frames(self.id, &data, max_frame_size)
    }
}

#[cfg(test)]
mod tests;
