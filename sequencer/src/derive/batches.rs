//! Channel → batches: size-limited brotli and zlib decompression, batch decoding that survives
//! malformed input, and the validity checks of singular and span batches (Holocene rules).

use super::{DeriveError, L1BlockRef, L2BlockRef};
use alloy_primitives::B256;
use kona_genesis::RollupConfig;
use kona_protocol::{
    Batch, BatchReader, BatchValidity, BlockInfo, L2BlockInfo, MAX_SPAN_BATCH_ELEMENTS,
    RawSpanBatch, SINGLE_BATCH_TYPE, SPAN_BATCH_TYPE, SingleBatch, SpanBatch, SpanBatchBits,
    SpanBatchError,
};
use std::{collections::BTreeMap, panic::AssertUnwindSafe};

/// Decompresses a complete channel (brotli `0x01 ‖ …` or zlib) and reads its batches in order.
/// Reading stops at the first undecodable batch, whose error is returned beside the batches read
/// before it (the spec ignores the rest of such a channel).
pub(crate) fn read_channel(
    cfg: &RollupConfig,
    origin: &L1BlockRef,
    data: Vec<u8>,
) -> (Vec<Batch>, Option<DeriveError>) {
    let max =
        usize::try_from(cfg.max_rlp_bytes_per_channel(origin.timestamp)).unwrap_or(usize::MAX);
    let brotli = data.first() == Some(&BatchReader::CHANNEL_VERSION_BROTLI);
    let decompressed =
        if brotli { decompress_brotli(&data[1..], max) } else { decompress_zlib(&data, max) };
    let decompressed = match decompressed {
        Ok(decompressed) => decompressed,
        Err(err) => return (Vec::new(), Some(err)),
    };
    let mut batches = Vec::new();
    let mut rest = decompressed.as_slice();
    while !rest.is_empty() {
        let encoded = match alloy_rlp::Header::decode_bytes(&mut rest, false) {
            Ok(encoded) => encoded,
            Err(err) => return (batches, Some(DeriveError::Batch(format!("batch RLP: {err}")))),
        };
        let batch = match decode_batch(cfg, encoded) {
            Ok(batch) => batch,
            Err(err) => return (batches, Some(err)),
        };
        if brotli && !cfg.is_fjord_active(batch.timestamp()) {
            let err = DeriveError::Batch("brotli-compressed channel before Fjord".into());
            return (batches, Some(err));
        }
        batches.push(batch);
    }
    (batches, None)
}

/// Brotli decompression of at most `max` bytes. kona's `decompress_brotli` runs out of its fixed
/// memory pool and panics on some malformed streams, so this uses the brotli crate's streaming
/// decoder. Like kona, a stream that breaks off keeps what it decompressed before the break.
fn decompress_brotli(data: &[u8], max: usize) -> Result<Vec<u8>, DeriveError> {
    use std::io::Read;
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let result = brotli::Decompressor::new(data, 4096).take(limit).read_to_end(&mut out);
    if out.len() > max {
        return Err(DeriveError::Decompression(format!("channel exceeds {max} bytes")));
    }
    if let Err(err) = result {
        tracing::warn!(%err, kept = out.len(), "brotli stream broke off");
    }
    Ok(out)
}

/// Zlib decompression of at most `max` bytes. kona's reader inflates the whole channel before it
/// checks the size, so a small hostile channel could take a lot of memory; this stops at the limit.
fn decompress_zlib(data: &[u8], max: usize) -> Result<Vec<u8>, DeriveError> {
    // The zlib header's compression method: deflate (8) or the reserved 15, as kona accepts.
    const DEFLATE: u8 = 8;
    const RESERVED: u8 = 15;
    match data.first().map(|byte| byte & 0x0f) {
        None => Err(DeriveError::Decompression("empty channel".into())),
        Some(DEFLATE | RESERVED) => {
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, max).map_err(|err| {
                match err.status {
                    miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                        DeriveError::Decompression(format!("channel exceeds {max} bytes"))
                    }
                    status => DeriveError::Decompression(format!("zlib: {status:?}")),
                }
            })
        }
        Some(_) => Err(DeriveError::Decompression(format!(
            "unsupported channel compression {:#04x}",
            data[0]
        ))),
    }
}

/// Decodes one batch (`type ‖ payload`). kona's span-batch decoder indexes its input without
/// bounds checks in places, so the span payload is first checked for the lengths it relies on,
/// and the decoder runs under `catch_unwind` as a last line of defence.
pub(crate) fn decode_batch(cfg: &RollupConfig, encoded: &[u8]) -> Result<Batch, DeriveError> {
    let Some((&kind, mut payload)) = encoded.split_first() else {
        return Err(DeriveError::Batch("empty batch".into()));
    };
    match kind {
        SINGLE_BATCH_TYPE => alloy_rlp::Decodable::decode(&mut payload)
            .map(Batch::Single)
            .map_err(|err| DeriveError::Batch(format!("singular batch: {err}"))),
        SPAN_BATCH_TYPE => decode_span_batch(cfg, payload).map(Batch::Span),
        other => Err(DeriveError::Batch(format!("unknown batch type {other}"))),
    }
}

fn decode_span_batch(cfg: &RollupConfig, payload: &[u8]) -> Result<SpanBatch, DeriveError> {
    precheck_span(payload)?;
    let mut raw = contain(|| RawSpanBatch::decode(&mut &payload[..]))?;
    let count = raw.payload.block_count;
    let last_timestamp =
        cfg.genesis.l2_time.checked_add(raw.prefix.rel_timestamp).and_then(|start| {
            start.checked_add(cfg.block_time.checked_mul(count.saturating_sub(1))?)
        });
    if last_timestamp.is_none() {
        return Err(DeriveError::Batch("span batch timestamps overflow".into()));
    }
    let epoch_steps = (1..count)
        .filter(|i| raw.payload.origin_bits.get_bit(*i as usize) == Some(1))
        .count() as u64;
    if epoch_steps > raw.prefix.l1_origin_num {
        return Err(DeriveError::Batch("span batch origins go below L1 block 0".into()));
    }
    contain(|| raw.derive(cfg.block_time, cfg.genesis.l2_time, cfg.l2_chain_id.id()))
}

/// Runs kona's span decoder, turning its errors and panics into [`DeriveError::Batch`].
fn contain<T>(decode: impl FnOnce() -> Result<T, SpanBatchError>) -> Result<T, DeriveError> {
    match std::panic::catch_unwind(AssertUnwindSafe(decode)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(DeriveError::Batch(format!("span batch: {err}"))),
        Err(_) => Err(DeriveError::Batch("span batch: malformed (decoder panicked)".into())),
    }
}

/// Checks the lengths kona's span decoder slices without checking: the 40 bytes of parent and
/// origin checks, and the signatures and recipients of all transactions.
fn precheck_span(mut r: &[u8]) -> Result<(), DeriveError> {
    let short = |what: &str| DeriveError::Batch(format!("span batch too short: {what}"));
    let r = &mut r;
    uvarint(r).ok_or_else(|| short("timestamp"))?;
    uvarint(r).ok_or_else(|| short("origin number"))?;
    skip(r, 40).ok_or_else(|| short("parent and origin checks"))?;
    let blocks = uvarint(r).ok_or_else(|| short("block count"))?;
    if blocks == 0 || blocks > MAX_SPAN_BATCH_ELEMENTS {
        return Err(DeriveError::Batch(format!("span batch with {blocks} blocks")));
    }
    skip_bits(r, blocks);
    let mut txs = 0u64;
    for _ in 0..blocks {
        let count = uvarint(r).ok_or_else(|| short("transaction counts"))?;
        txs = txs.saturating_add(count);
    }
    if txs > MAX_SPAN_BATCH_ELEMENTS {
        return Err(DeriveError::Batch(format!("span batch with {txs} transactions")));
    }
    let creations = SpanBatchBits::decode(r, txs as usize)
        .map_err(|err| DeriveError::Batch(format!("span batch: {err}")))?
        .as_ref()
        .iter()
        .map(|byte| u64::from(byte.count_ones()))
        .sum::<u64>();
    skip_bits(r, txs);
    let needed = txs * 64 + txs.saturating_sub(creations) * 20;
    if creations > txs || (r.len() as u64) < needed {
        return Err(short("signatures and recipients"));
    }
    Ok(())
}

const fn bits_len(bits: u64) -> usize {
    bits.div_ceil(8) as usize
}

fn skip(r: &mut &[u8], n: usize) -> Option<()> {
    *r = r.get(n..)?;
    Some(())
}

/// Skips a bitfield, which kona's decoder zero-pads when the input ends early.
fn skip_bits(r: &mut &[u8], bits: u64) {
    *r = r.get(bits_len(bits)..).unwrap_or_default();
}

/// An unsigned LEB128 varint of at most 10 bytes.
fn uvarint(r: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in r.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *r = &r[i + 1..];
            return Some(value);
        }
    }
    None
}

/// kona's form of an L1 block.
pub(crate) const fn block_info(block: &L1BlockRef) -> BlockInfo {
    BlockInfo {
        hash: block.hash,
        number: block.number,
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
    }
}

/// kona's form of an L2 block (also the JSON form of `optimism_syncStatus`).
pub const fn l2_block_info(block: &L2BlockRef) -> L2BlockInfo {
    L2BlockInfo {
        block_info: BlockInfo {
            hash: block.hash,
            number: block.number,
            parent_hash: block.parent_hash,
            timestamp: block.timestamp,
        },
        l1_origin: alloy_eips_v1::BlockNumHash {
            number: block.l1_origin.number,
            hash: block.l1_origin.hash,
        },
        seq_num: block.sequence_number,
    }
}

/// The outcome of checking a batch against the safe head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The batch is the next block.
    Accept,
    /// The batch is for blocks already derived: dropped, the channel goes on.
    Past,
    /// The batch is invalid: dropped, with the rest of its channel.
    Drop(String),
}

/// Checks a singular batch (kona's `SingleBatch::check_batch`), and that its epoch is not beyond
/// the L1 block it was included in. `window` holds the L1 blocks from the current epoch up to
/// `inclusion`.
pub(crate) fn check_single(
    cfg: &RollupConfig,
    window: &[BlockInfo],
    safe: &L2BlockRef,
    inclusion: &L1BlockRef,
    batch: &SingleBatch,
) -> Verdict {
    if batch.epoch_num > inclusion.number {
        return Verdict::Drop(format!(
            "epoch {} is beyond the inclusion block {}",
            batch.epoch_num, inclusion.number
        ));
    }
    match batch.check_batch(cfg, window, l2_block_info(safe), &block_info(inclusion)) {
        BatchValidity::Accept => Verdict::Accept,
        BatchValidity::Past => Verdict::Past,
        other => Verdict::Drop(single_drop_reason(cfg, window, safe, inclusion, batch, other)),
    }
}

/// The rule a singular batch rejected by kona broke, for the log.
fn single_drop_reason(
    cfg: &RollupConfig,
    window: &[BlockInfo],
    safe: &L2BlockRef,
    inclusion: &L1BlockRef,
    batch: &SingleBatch,
    validity: BatchValidity,
) -> String {
    let next = safe.timestamp + cfg.block_time;
    let origin = window.iter().find(|block| block.number == batch.epoch_num);
    if batch.timestamp > next {
        format!("timestamp {} is after the next block's {next}", batch.timestamp)
    } else if batch.parent_hash != safe.hash {
        format!("parent {} is not the safe head {}", batch.parent_hash, safe.hash)
    } else if batch.epoch_num.saturating_add(cfg.seq_window_size) < inclusion.number {
        format!("included in L1 block {} after its epoch's sequencing window", inclusion.number)
    } else if window
        .first()
        .is_some_and(|epoch| batch.epoch_num < epoch.number || batch.epoch_num > epoch.number + 1)
    {
        format!("epoch {} is neither the current epoch nor the next", batch.epoch_num)
    } else if origin.is_none_or(|origin| origin.hash != batch.epoch_hash) {
        format!("epoch hash {} is not L1 block {}'s", batch.epoch_hash, batch.epoch_num)
    } else if origin.is_some_and(|origin| batch.timestamp < origin.timestamp) {
        "timestamp is before its L1 origin's".to_string()
    } else if origin.is_some_and(|origin| {
        batch.timestamp > origin.timestamp.saturating_add(cfg.max_sequencer_drift(origin.timestamp))
    }) {
        if batch.transactions.is_empty() {
            "empty batch past the sequencer drift while the next epoch could be adopted".into()
        } else {
            "transactions past the sequencer drift".into()
        }
    } else if batch.has_invalid_transactions() {
        "empty or deposit-type transaction".into()
    } else {
        format!("rejected ({validity})")
    }
}

/// Checks a span batch against the safe head (the span-batch rules of the derivation spec, with
/// Holocene's: no future batches, past ones are dropped without invalidating the channel).
/// `window` holds the L1 blocks from the current epoch up to `inclusion`; `history` the L2 blocks
/// derivation has seen, for span batches that start before the safe head.
pub(crate) fn check_span_prefix(
    cfg: &RollupConfig,
    window: &[L1BlockRef],
    safe: &L2BlockRef,
    inclusion: &L1BlockRef,
    history: &BTreeMap<u64, L2BlockRef>,
    span: &SpanBatch,
) -> Verdict {
    let (Some(epoch), Some(last)) = (window.first(), span.batches.last()) else {
        return Verdict::Drop("no L1 window or empty span batch".into());
    };
    let drop = |reason: String| Verdict::Drop(reason);
    let next = safe.timestamp + cfg.block_time;
    let start_epoch = span.starting_epoch_num();
    let start = span.starting_timestamp();
    let batch_origin = if start_epoch == epoch.number + 1 { window.get(1) } else { Some(epoch) };
    let Some(batch_origin) = batch_origin else {
        return drop(format!("starts at epoch {start_epoch}, beyond the inclusion block"));
    };
    if !cfg.is_delta_active(batch_origin.timestamp) {
        return drop("span batch before Delta".into());
    }
    if start > next {
        return drop(format!("starts at {start}, after the next block's timestamp {next}"));
    }
    if span.final_timestamp() < next {
        return Verdict::Past;
    }
    let mut parent = *safe;
    if start < next {
        if start > safe.timestamp || !(safe.timestamp - start).is_multiple_of(cfg.block_time) {
            return drop(format!("starting timestamp {start} is not aligned to the L2 blocks"));
        }
        let Some(number) = safe.number.checked_sub((safe.timestamp - start) / cfg.block_time + 1)
        else {
            return drop("starts before L2 genesis".into());
        };
        match history.get(&number) {
            Some(block) => parent = *block,
            None => {
                return drop(format!(
                    "overlaps L2 block {number}, which derivation has not seen (restarted after it)"
                ));
            }
        }
    }
    if !span.check_parent_hash(parent.hash) {
        return drop(format!("parent check does not match L2 block {}", parent.number));
    }
    if start_epoch.saturating_add(cfg.seq_window_size) < inclusion.number {
        return drop(format!(
            "included in L1 block {} after the sequencing window",
            inclusion.number
        ));
    }
    if start_epoch > parent.l1_origin.number + 1 {
        return drop(format!(
            "starting epoch {start_epoch} skips past the parent's origin's successor"
        ));
    }
    if start_epoch < parent.l1_origin.number {
        return drop(format!("starting epoch {start_epoch} is older than the parent's origin"));
    }
    if last.epoch_num > inclusion.number {
        return drop(format!("epoch {} is beyond the inclusion block", last.epoch_num));
    }
    match window.iter().find(|block| block.number == last.epoch_num) {
        Some(block) if span.check_origin_hash(block.hash) => Verdict::Accept,
        Some(block) => drop(format!("origin check does not match L1 block {}", block.number)),
        None => drop(format!("last epoch {} is not in the L1 window", last.epoch_num)),
    }
}

/// The singular batches of an accepted span batch after the safe head. Their parent hash is the
/// safe head's: the span's parent check already tied it to the chain.
pub(crate) fn span_singles(
    span: &SpanBatch,
    window: &[L1BlockRef],
    safe: &L2BlockRef,
) -> Result<Vec<SingleBatch>, DeriveError> {
    let window: Vec<BlockInfo> = window.iter().map(block_info).collect();
    span.get_singular_batches(&window, l2_block_info(safe))
        .map_err(|err| DeriveError::Batch(format!("span batch: {err}")))
}

/// The L1 block of `window` with this number and hash.
pub(crate) fn find_epoch(window: &[L1BlockRef], number: u64, hash: B256) -> Option<L1BlockRef> {
    window.iter().find(|block| block.number == number && block.hash == hash).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::test_utils::*;
    use alloy_primitives::Bytes;
    use proptest::prelude::*;
    use rstest::rstest;

    fn l2(number: u64, timestamp: u64, origin: u64) -> L2BlockRef {
        L2BlockRef {
            number,
            hash: alloy_primitives::keccak256(number.to_be_bytes()),
            parent_hash: B256::ZERO,
            timestamp,
            l1_origin: alloy_eips::BlockNumHash { number: origin, hash: l1_hash(origin) },
            sequence_number: 0,
        }
    }

    /// Safe head at `safe_ts` with origin L1 block 1; window L1 blocks 1..=3 (block 2's
    /// timestamp replaced by `next_l1_ts`); the batch's parent and epoch hash right or wrong.
    #[rstest]
    #[case::accept((1022, 3, 1024), 1, 1024, vec![tx(1)], (true, true), "accept")]
    #[case::accept_next_epoch((1022, 3, 1024), 2, 1024, vec![tx(1)], (true, true), "accept")]
    #[case::past((1022, 3, 1024), 1, 1022, vec![], (true, true), "past")]
    #[case::future((1022, 3, 1024), 1, 1026, vec![], (true, true), "after the next block")]
    #[case::wrong_parent((1022, 3, 1024), 1, 1024, vec![], (false, true), "is not the safe head")]
    #[case::old_epoch((1022, 3, 1024), 0, 1024, vec![], (true, true), "neither the current epoch")]
    #[case::epoch_skipped((1022, 3, 1024), 3, 1024, vec![], (true, true), "neither the current epoch")]
    #[case::wrong_epoch_hash((1022, 3, 1024), 1, 1024, vec![], (true, false), "epoch hash")]
    #[case::before_origin((1014, 3, 1024), 2, 1016, vec![], (true, true), "before its L1 origin")]
    #[case::too_late((1022, 12, 1024), 1, 1024, vec![], (true, true), "sequencing window")]
    #[case::beyond_inclusion((1022, 1, 1024), 2, 1024, vec![], (true, true), "beyond the inclusion")]
    #[case::drift_with_txs((2812, 3, 1024), 1, 2814, vec![tx(1)], (true, true), "past the sequencer drift")]
    #[case::drift_empty_adoptable((2812, 3, 1024), 1, 2814, vec![], (true, true), "next epoch could be adopted")]
    #[case::drift_empty_allowed((2812, 3, 5000), 1, 2814, vec![], (true, true), "accept")]
    #[case::deposit_tx((1022, 3, 1024), 1, 1024, vec![Bytes::from_static(&[0x7e, 1])], (true, true), "deposit-type")]
    #[case::empty_tx((1022, 3, 1024), 1, 1024, vec![Bytes::new()], (true, true), "deposit-type")]
    fn single_batch_validity(
        #[case] (safe_ts, inclusion, next_l1_ts): (u64, u64, u64),
        #[case] epoch: u64,
        #[case] timestamp: u64,
        #[case] transactions: Vec<Bytes>,
        #[case] (parent_ok, hash_ok): (bool, bool),
        #[case] expected: &str,
    ) {
        let cfg = config();
        let safe = l2(7, safe_ts, 1);
        let mut window = [block(1), block(2), block(3)];
        window[1].timestamp = next_l1_ts;
        let window: Vec<BlockInfo> = window.iter().map(block_info).collect();
        let batch = SingleBatch {
            parent_hash: if parent_ok { safe.hash } else { B256::repeat_byte(1) },
            epoch_num: epoch,
            epoch_hash: if hash_ok { l1_hash(epoch) } else { B256::repeat_byte(2) },
            timestamp,
            transactions,
        };
        let verdict = check_single(&cfg, &window, &safe, &block(inclusion), &batch);
        match (expected, verdict) {
            ("accept", Verdict::Accept) | ("past", Verdict::Past) => {}
            (reason, Verdict::Drop(got)) => assert!(got.contains(reason), "{got}"),
            (expected, got) => panic!("expected {expected}, got {got:?}"),
        }
    }

    /// The L2 chain of the span tests: blocks 1..=5 in epoch 0, 6..=8 in epoch 1.
    fn span_chain() -> Vec<L2BlockRef> {
        let mut blocks = vec![l2_genesis()];
        for epoch in [0, 0, 0, 0, 0, 1, 1, 1] {
            let next = child(blocks.last().unwrap(), &block(epoch));
            blocks.push(next);
        }
        blocks
    }

    fn span_of(blocks: &[L2BlockRef]) -> SpanBatch {
        let singles: Vec<SingleBatch> = blocks
            .windows(2)
            .map(|pair| single(&pair[0], &pair[1], vec![tx(pair[1].number)]))
            .collect();
        span(&singles, blocks[1].sequence_number)
    }

    #[rstest]
    #[case::next_blocks(1, 4, 4, 7, 2, "accept")]
    #[case::overlapping_known(1, 4, 2, 7, 2, "accept")]
    #[case::overlapping_unknown(4, 4, 2, 7, 2, "has not seen")]
    #[case::all_past(1, 4, 1, 4, 2, "past")]
    #[case::future(1, 4, 5, 7, 2, "after the next block")]
    #[case::too_late(1, 4, 4, 7, 11, "sequencing window")]
    #[case::beyond_inclusion(1, 4, 4, 7, 0, "beyond the inclusion")]
    fn span_batch_prefix(
        #[case] history_from: usize,
        #[case] safe: usize,
        #[case] parent: usize,
        #[case] last: usize,
        #[case] inclusion: u64,
        #[case] expected: &str,
    ) {
        let cfg = config();
        let blocks = span_chain();
        let history: BTreeMap<u64, L2BlockRef> =
            blocks[history_from..=safe].iter().map(|b| (b.number, *b)).collect();
        let window = [block(0), block(1), block(2)];
        let span = span_of(&blocks[parent..=last]);
        let verdict =
            check_span_prefix(&cfg, &window, &blocks[safe], &block(inclusion), &history, &span);
        match (expected, verdict) {
            ("accept", Verdict::Accept) | ("past", Verdict::Past) => {}
            (reason, Verdict::Drop(got)) => assert!(got.contains(reason), "{got}"),
            (expected, got) => panic!("expected {expected}, got {got:?}"),
        }
    }

    #[test]
    fn span_batch_checks_parent_and_origin() {
        let cfg = config();
        let blocks = span_chain();
        let history = BTreeMap::from([(4, blocks[4])]);
        let window = [block(0), block(1), block(2)];
        let mut wrong_parent = span_of(&blocks[4..=7]);
        wrong_parent.parent_check = Default::default();
        let mut wrong_origin = span_of(&blocks[4..=7]);
        wrong_origin.l1_origin_check = Default::default();
        for (span, reason) in [(wrong_parent, "parent check"), (wrong_origin, "origin check")] {
            match check_span_prefix(&cfg, &window, &blocks[4], &block(2), &history, &span) {
                Verdict::Drop(got) => assert!(got.contains(reason), "{got}"),
                other => panic!("{other:?}"),
            }
        }
        let singles = span_singles(&span_of(&blocks[2..=7]), &window, &blocks[4]).unwrap();
        let timestamps: Vec<u64> = singles.iter().map(|s| s.timestamp).collect();
        assert_eq!(timestamps, vec![blocks[5].timestamp, blocks[6].timestamp, blocks[7].timestamp]);
        assert_eq!(singles[1].epoch_hash, l1_hash(1));
    }

    #[rstest]
    #[case::brotli(true)]
    #[case::zlib(false)]
    fn channel_round_trip(#[case] brotli: bool) {
        let cfg = config();
        let blocks = span_chain();
        let batches = vec![
            Batch::Single(single(&blocks[0], &blocks[1], vec![tx(1), tx(2)])),
            Batch::Span(span_of(&blocks[1..=6])),
        ];
        let content = channel_content(&batches);
        let channel = if brotli { brotli_channel(&content) } else { zlib_channel(&content) };
        let (read, err) = read_channel(&cfg, &block(1), channel);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], batches[0]);
        // A decoded span batch keeps its blocks and checks (not the encoder's caches).
        let (Batch::Span(decoded), Batch::Span(sent)) = (&read[1], &batches[1]) else {
            panic!("not a span batch");
        };
        assert_eq!(decoded.batches, sent.batches);
        assert_eq!(decoded.parent_check, sent.parent_check);
        assert_eq!(decoded.l1_origin_check, sent.l1_origin_check);
    }

    #[rstest]
    #[case::empty(vec![], "empty")]
    #[case::unknown_compression(vec![0x02, 1, 2], "unsupported channel compression")]
    #[case::bad_zlib(vec![0x78, 0x9c, 0xff, 0xff], "zlib")]
    fn channel_errors(#[case] channel: Vec<u8>, #[case] message: &str) {
        let (read, err) = read_channel(&config(), &block(1), channel);
        assert!(read.is_empty());
        let err = err.expect("an error").to_string();
        assert!(err.contains(message), "{err}");
    }

    #[test]
    fn span_batch_with_every_transaction_kind_round_trips() {
        let blocks = span_chain();
        let txs = vec![tx(1), create_tx(2), legacy_tx(3), create_tx(4)];
        let sent =
            span(&[single(&blocks[0], &blocks[1], txs), single(&blocks[1], &blocks[2], vec![])], 0);
        let mut encoded = Vec::new();
        Batch::Span(sent.clone()).encode(&mut encoded).unwrap();
        let Batch::Span(decoded) = decode_batch(&config(), &encoded).unwrap() else {
            panic!("not a span batch");
        };
        assert_eq!(decoded.batches, sent.batches);
        // Cut anywhere, it is an error, never a panic.
        for len in 0..encoded.len() {
            let _ = decode_batch(&config(), &encoded[..len]);
        }
    }

    #[test]
    fn zlib_stops_at_the_channel_limit() {
        // A megabyte of zeros compresses to about a kilobyte: inflating must stop at the limit,
        // not after the whole channel.
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0; 1 << 20], 6);
        assert!(bomb.len() < 4096);
        let err = decompress_zlib(&bomb, 1000).unwrap_err();
        assert!(err.to_string().contains("exceeds 1000 bytes"), "{err}");
        assert_eq!(decompress_zlib(&bomb, 1 << 20).unwrap().len(), 1 << 20);
        assert!(
            decompress_zlib(&[0x01, 2, 3], 100).unwrap_err().to_string().contains("unsupported")
        );
        assert!(decompress_zlib(&[], 100).is_err());
    }

    #[test]
    fn brotli_limits_and_malformed_streams() {
        let compressed = brotli_channel(&[0; 1000]);
        assert_eq!(decompress_brotli(&compressed[1..], 1000).unwrap(), vec![0; 1000]);
        let err = decompress_brotli(&compressed[1..], 999).unwrap_err();
        assert!(err.to_string().contains("exceeds 999 bytes"), "{err}");
        // Found by `arbitrary_channels`: exhausts the fixed memory pool of kona's brotli
        // decoder, which then panics.
        let (read, _) = read_channel(&config(), &block(1), vec![0x01, 17, 153, 158, 0, 2]);
        assert!(read.is_empty());
        // A stream cut short keeps what it decompressed (here no whole batch).
        let blocks = span_chain();
        let content = channel_content(&[Batch::Single(single(&blocks[0], &blocks[1], vec![]))]);
        let channel = brotli_channel(&content);
        let (read, _) = read_channel(&config(), &block(1), channel[..channel.len() - 2].to_vec());
        assert!(read.is_empty());
    }

    #[test]
    fn batch_decoding_errors() {
        let cfg = config();
        for (encoded, message) in [
            (vec![], "empty batch"),
            (vec![0x02, 0xc0], "unknown batch type 2"),
            (vec![0x00, 0xc1], "singular batch"),
            (vec![0x01, 0x00, 0x00, 0x01], "too short"),
        ] {
            let err = decode_batch(&cfg, &encoded).unwrap_err().to_string();
            assert!(err.contains(message), "{err}");
        }
        // A channel whose second batch is of an unknown type keeps the first.
        let blocks = span_chain();
        let first = Batch::Single(single(&blocks[0], &blocks[1], vec![]));
        let mut content = channel_content(std::slice::from_ref(&first));
        content.extend_from_slice(&[0x82, 0x05, 0xc0]);
        let (read, err) = read_channel(&cfg, &block(1), zlib_channel(&content));
        assert_eq!(read, vec![first]);
        assert!(err.unwrap().to_string().contains("unknown batch type 5"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Fuzz target: arbitrary channel data (brotli, zlib or other) never panics the batch
        /// reader.
        #[test]
        fn arbitrary_channels(kind in 0u8..3, data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let prefix = match kind { 0 => vec![0x01], 1 => vec![0x78, 0x9c], _ => vec![] };
            let channel = [prefix, data].concat();
            let _ = read_channel(&config(), &block(1), channel);
        }

        /// Fuzz target: arbitrary and mutated batch encodings decode or are rejected, never
        /// panic (kona's span decoder slices without bounds checks: see `precheck_span`).
        #[test]
        fn mutated_batches(
            kind in 0u8..3,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
            cut in any::<usize>(),
            noise in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let cfg = config();
            let blocks = span_chain();
            let mut encoded = Vec::new();
            match kind {
                0 => Batch::Span(span_of(&blocks[0..=8])).encode(&mut encoded).unwrap(),
                1 => Batch::Single(single(&blocks[0], &blocks[1], vec![tx(1)])).encode(&mut encoded).unwrap(),
                _ => encoded = [vec![SPAN_BATCH_TYPE], noise].concat(),
            }
            for (at, value) in flips {
                let at = at % encoded.len();
                encoded[at] ^= value;
            }
            encoded.truncate(cut % (encoded.len() + 1));
            let _ = decode_batch(&cfg, &encoded);
            let channel = zlib_channel(&channel_content_raw(&encoded));
            let _ = read_channel(&cfg, &block(1), channel);
        }
    }

    /// A channel holding `encoded` as its only (possibly malformed) batch.
    fn channel_content_raw(encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        alloy_rlp::Header { list: false, payload_length: encoded.len() }.encode(&mut out);
        out.extend_from_slice(encoded);
        out
    }
}
