//! Deriver scenarios: L1 blocks with batcher data in, the next L2 blocks' batches out.

use super::{test_utils::*, *};
use proptest::prelude::*;

/// An L2 chain from genesis; block `i` (1-based) has L1 origin `epochs[i - 1]`.
fn chain(epochs: &[u64]) -> Vec<L2BlockRef> {
    let mut blocks = vec![l2_genesis()];
    for epoch in epochs {
        let next = child(blocks.last().unwrap(), &block(*epoch));
        blocks.push(next);
    }
    blocks
}

/// The batch of every block of `blocks` after the first, with `txs(i)` as block i's
/// transactions.
fn singles(blocks: &[L2BlockRef], txs: impl Fn(u64) -> Vec<Bytes>) -> Vec<SingleBatch> {
    blocks.windows(2).map(|pair| single(&pair[0], &pair[1], txs(pair[1].number))).collect()
}

fn some_txs(number: u64) -> Vec<Bytes> {
    (0..number % 3).map(|i| tx(number * 10 + i)).collect()
}

fn deriver() -> Deriver {
    Deriver::new(Arc::new(config()), l2_genesis(), block(0))
}

/// Derives until `None`, applying each batch as the next block of `expected` and checking it.
fn derive_all(deriver: &mut Deriver, safe: &mut L2BlockRef, expected: &[L2BlockRef]) -> usize {
    let mut derived = 0;
    while let Some(batch) = deriver.next_batch(safe).unwrap() {
        let block = expected.iter().find(|b| b.number == safe.number + 1).expect("expected block");
        assert_eq!(batch.timestamp, block.timestamp);
        assert_eq!(batch.epoch.number, block.l1_origin.number);
        assert_eq!(batch.epoch.hash, block.l1_origin.hash);
        assert_eq!(batch.kind, BatchKind::FromL1);
        assert_eq!(batch.transactions, some_txs(block.number));
        *safe = *block;
        derived += 1;
    }
    derived
}

/// Epochs of blocks 1..=12: L1 block 0 for timestamps before 1012, then 1, then 2 from 1024.
const EPOCHS: [u64; 12] = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2];

#[test]
fn singular_batches_from_a_brotli_channel() {
    let blocks = chain(&EPOCHS);
    let batches: Vec<Batch> = singles(&blocks, some_txs).into_iter().map(Batch::Single).collect();
    let channel = brotli_channel(&channel_content(&batches));
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    assert_eq!(deriver.next_batch(&safe).unwrap(), None);
    assert_eq!(deriver.l1_cursor(), Some(block(1)));
    deriver.push_l1_block(block(2), vec![]).unwrap();
    deriver.push_l1_block(block(3), vec![batcher_data(&frames(1, &channel, 120))]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 12);
    assert_eq!(safe, blocks[12]);
    assert!(deriver.is_idle());
}

#[test]
fn span_batch_from_a_zlib_channel_split_over_l1_blocks() {
    let blocks = chain(&EPOCHS);
    let span = span(&singles(&blocks, some_txs), 0);
    let channel = zlib_channel(&channel_content(&[Batch::Span(span)]));
    let parts = frames(9, &channel, channel.len() / 3 + 1);
    assert_eq!(parts.len(), 3);
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    deriver.push_l1_block(block(2), vec![batcher_data(&parts[..2])]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 0);
    assert!(!deriver.is_idle(), "a channel is half read");
    deriver.push_l1_block(block(3), vec![batcher_data(&parts[2..])]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 12);
    assert!(deriver.is_idle());
}

#[test]
fn span_batch_overlapping_the_safe_head_derives_the_rest() {
    let blocks = chain(&EPOCHS);
    let all = singles(&blocks, some_txs);
    let first = Batch::Span(span(&all[..4], 0));
    let overlapping = Batch::Span(span(&all[1..8], 1));
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    let data = batcher_data(&frames(1, &brotli_channel(&channel_content(&[first])), 10_000));
    deriver.push_l1_block(block(2), vec![data]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 4);
    let data = batcher_data(&frames(2, &brotli_channel(&channel_content(&[overlapping])), 10_000));
    deriver.push_l1_block(block(3), vec![data]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 4);
    assert_eq!(safe, blocks[8]);
}

#[test]
fn invalid_batch_drops_the_rest_of_its_channel_but_past_ones_do_not() {
    let blocks = chain(&EPOCHS);
    let mut all = singles(&blocks, some_txs);
    let good = all.clone();
    all[1].parent_hash = B256::repeat_byte(0xee);
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    let broken: Vec<Batch> = all[..4].iter().cloned().map(Batch::Single).collect();
    let data = batcher_data(&frames(1, &brotli_channel(&channel_content(&broken)), 10_000));
    deriver.push_l1_block(block(2), vec![data]).unwrap();
    // Block 1, then block 2 is invalid: 3 and 4 go with it.
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 1);
    // A resubmission that starts with the already derived block 1 (past: skipped, no flush).
    let again: Vec<Batch> = good[..4].iter().cloned().map(Batch::Single).collect();
    let data = batcher_data(&frames(2, &brotli_channel(&channel_content(&again)), 10_000));
    deriver.push_l1_block(block(3), vec![data]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 3);
    assert_eq!(safe, blocks[4]);
}

#[test]
fn malformed_data_does_not_hide_valid_data_in_the_same_block() {
    let blocks = chain(&EPOCHS[..2]);
    let batches: Vec<Batch> = singles(&blocks, some_txs).into_iter().map(Batch::Single).collect();
    let valid = batcher_data(&frames(3, &brotli_channel(&channel_content(&batches)), 10_000));
    let garbage_channel = batcher_data(&frames(4, &[0x01, 0xff, 0x00, 0x13], 100));
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    let data = vec![
        Bytes::from_static(&[0x01, 0x02]),
        Bytes::from_static(&[0x00, 0x05]),
        Bytes::new(),
        garbage_channel,
        valid,
    ];
    deriver.push_l1_block(block(2), data).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 2);
}

#[test]
fn empty_blocks_are_forced_after_the_sequencing_window() {
    let cfg = config();
    let mut deriver = deriver();
    let mut safe = l2_genesis();
    for number in 1..cfg.seq_window_size {
        deriver.push_l1_block(block(number), vec![]).unwrap();
        assert_eq!(deriver.next_batch(&safe).unwrap(), None);
    }
    let mut forced = Vec::new();
    for number in cfg.seq_window_size..cfg.seq_window_size + 2 {
        deriver.push_l1_block(block(number), vec![]).unwrap();
        while let Some(batch) = deriver.next_batch(&safe).unwrap() {
            assert_eq!(batch.kind, BatchKind::Forced);
            assert!(batch.transactions.is_empty());
            assert_eq!(batch.timestamp, safe.timestamp + cfg.block_time);
            safe = child(&safe, &batch.epoch);
            forced.push((batch.timestamp, batch.epoch.number));
        }
    }
    // Window of epoch 0 passes at L1 block 10: epoch 0 until L1 block 1's time (1012), and
    // epoch 1's window at block 11: epoch 1 until L1 block 2's time (1024).
    let expected: Vec<(u64, u64)> =
        (1..=11).map(|i| (GENESIS_TIME + 2 * i, if i < 6 { 0 } else { 1 })).collect();
    assert_eq!(forced, expected);
}

#[test]
fn a_valid_batch_in_time_beats_forcing() {
    let blocks = chain(&EPOCHS[..1]);
    let batches: Vec<Batch> = singles(&blocks, some_txs).into_iter().map(Batch::Single).collect();
    let data = batcher_data(&frames(1, &brotli_channel(&channel_content(&batches)), 10_000));
    let mut deriver = deriver();
    let mut safe = blocks[0];
    for number in 1..10 {
        deriver.push_l1_block(block(number), vec![]).unwrap();
    }
    deriver.push_l1_block(block(10), vec![data]).unwrap();
    let batch = deriver.next_batch(&safe).unwrap().unwrap();
    assert_eq!(batch.kind, BatchKind::FromL1);
    safe = blocks[1];
    // The next one is forced: the window of epoch 0 has passed.
    assert_eq!(deriver.next_batch(&safe).unwrap().unwrap().kind, BatchKind::Forced);
}

#[test]
fn asking_again_for_the_same_parent_returns_the_same_batch() {
    let blocks = chain(&EPOCHS[..3]);
    let batches: Vec<Batch> = singles(&blocks, some_txs).into_iter().map(Batch::Single).collect();
    let data = batcher_data(&frames(1, &brotli_channel(&channel_content(&batches)), 10_000));
    let mut deriver = deriver();
    deriver.push_l1_block(block(1), vec![data]).unwrap();
    let first = deriver.next_batch(&blocks[0]).unwrap().unwrap();
    // Applying it failed: the driver asks again with the same safe head.
    assert_eq!(deriver.next_batch(&blocks[0]).unwrap(), Some(first));
    assert!(!deriver.is_idle());
    let second = deriver.next_batch(&blocks[1]).unwrap().unwrap();
    assert_eq!(second.timestamp, blocks[2].timestamp);
    let mut safe = blocks[2];
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 1);
    assert!(deriver.is_idle());
}

#[test]
fn push_checks_linkage() {
    let mut deriver = deriver();
    let mut forked = block(1);
    forked.parent_hash = B256::repeat_byte(1);
    assert!(matches!(
        deriver.push_l1_block(forked, vec![]),
        Err(DeriveError::Reorg { number: 1, .. })
    ));
    assert!(matches!(
        deriver.push_l1_block(block(2), vec![]),
        Err(DeriveError::NotNext { expected: 1, got: 2 })
    ));
    deriver.push_l1_block(block(1), vec![]).unwrap();
    assert_eq!(deriver.l1_cursor(), Some(block(1)));
}

#[test]
fn safe_head_outside_the_window_is_an_error() {
    let mut deriver = deriver();
    let mut safe = l2_genesis();
    safe.l1_origin = BlockNumHash { number: 5, hash: l1_hash(5) };
    assert!(matches!(deriver.next_batch(&safe), Err(DeriveError::SafeHeadMismatch { .. })));
    let mut other = l2_genesis();
    other.l1_origin.hash = B256::repeat_byte(7);
    assert!(matches!(deriver.next_batch(&other), Err(DeriveError::SafeHeadMismatch { .. })));
}

#[test]
fn restart_from_an_idle_checkpoint_continues() {
    let blocks = chain(&EPOCHS);
    let all: Vec<Batch> = singles(&blocks, some_txs).into_iter().map(Batch::Single).collect();
    let first = batcher_data(&frames(1, &brotli_channel(&channel_content(&all[..7])), 10_000));
    let second = batcher_data(&frames(2, &brotli_channel(&channel_content(&all[7..])), 10_000));
    let mut deriver = deriver();
    let mut safe = blocks[0];
    deriver.push_l1_block(block(1), vec![]).unwrap();
    deriver.push_l1_block(block(2), vec![first.clone()]).unwrap();
    assert_eq!(derive_all(&mut deriver, &mut safe, &blocks), 7);
    assert!(deriver.is_idle());
    // Restart from (block 2, block 7): reads L1 again from after block 7's origin (block 1).
    let mut restarted = Deriver::new(Arc::new(config()), safe, block(1));
    assert_eq!(restarted.l1_cursor(), Some(block(1)));
    restarted.push_l1_block(block(2), vec![first]).unwrap();
    restarted.push_l1_block(block(3), vec![second]).unwrap();
    assert_eq!(derive_all(&mut restarted, &mut safe, &blocks), 5);
    assert_eq!(safe, blocks[12]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Fuzz target: arbitrary batcher data through the whole pipeline never panics.
    #[test]
    fn arbitrary_batcher_data(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..4),
    ) {
        let mut deriver = deriver();
        let safe = l2_genesis();
        deriver.push_l1_block(block(1), vec![]).unwrap();
        let data = payloads.into_iter().map(|mut p| {
            if let Some(first) = p.first_mut() { *first &= 1; }
            Bytes::from(p)
        }).collect();
        deriver.push_l1_block(block(2), data).unwrap();
        let _ = deriver.next_batch(&safe).unwrap();
    }

    /// Fuzz target: mutated valid batcher data (frames, compressed channel, batches) is derived
    /// or dropped, never a panic.
    #[test]
    fn mutated_batcher_data(
        use_span in any::<bool>(),
        use_zlib in any::<bool>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let blocks = chain(&EPOCHS[..6]);
        let all = singles(&blocks, some_txs);
        let batches = if use_span {
            vec![Batch::Span(span(&all, 0))]
        } else {
            all.into_iter().map(Batch::Single).collect()
        };
        let content = channel_content(&batches);
        let channel = if use_zlib { zlib_channel(&content) } else { brotli_channel(&content) };
        let mut data = batcher_data(&frames(1, &channel, 10_000)).to_vec();
        for (at, value) in flips {
            let at = at % data.len();
            data[at] ^= value;
        }
        let mut deriver = deriver();
        let mut safe = blocks[0];
        deriver.push_l1_block(block(1), vec![]).unwrap();
        deriver.push_l1_block(block(2), vec![data.into()]).unwrap();
        while let Some(batch) = deriver.next_batch(&safe).unwrap() {
            safe = child(&safe, &batch.epoch);
        }
    }
}
