use super::*;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Signature, TxKind, U256};
use kona_genesis::RollupConfig;
use kona_protocol::{BatchReader, BlockInfo, Channel};
use proptest::prelude::*;

const CHAIN_ID: u64 = 31628;
const GENESIS_TIME: u64 = 1_700_000_000;
const PARAMS: SpanParams = SpanParams { genesis_timestamp: GENESIS_TIME, chain_id: CHAIN_ID };

fn rollup_config() -> RollupConfig {
    crate::test_utils::rollup_config(CHAIN_ID, GENESIS_TIME)
}

/// A transaction with a made-up signature: the batch format carries, not checks, signatures.
fn tx(kind: u8, nonce: u64, input: Vec<u8>, sig: (u64, u64, bool)) -> Bytes {
    let signature = Signature::new(U256::from(sig.0 | 1), U256::from(sig.1 | 1), sig.2);
    let to = TxKind::Call(Address::with_last_byte(kind.wrapping_add(7)));
    let envelope: TxEnvelope = match kind % 3 {
        0 => TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit: 21_000 + input.len() as u64 * 16,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to,
            value: U256::from(nonce),
            input: input.into(),
            ..Default::default()
        }
        .into_signed(signature)
        .into(),
        1 => TxLegacy {
            chain_id: Some(CHAIN_ID),
            nonce,
            gas_price: 1_000_000_000,
            gas_limit: 50_000,
            to,
            value: U256::from(1),
            input: input.into(),
        }
        .into_signed(signature)
        .into(),
        _ => TxLegacy {
            chain_id: None,
            nonce,
            gas_price: 3,
            gas_limit: 60_000,
            to: TxKind::Create,
            value: U256::ZERO,
            input: input.into(),
        }
        .into_signed(signature)
        .into(),
    };
    envelope.encoded_2718().into()
}

/// Consecutive blocks: `txs[i]` are block i's transactions, `epoch_steps[i]` whether block i
/// starts a new L1 origin.
fn blocks(txs: Vec<Vec<Bytes>>, epoch_steps: &[bool]) -> Vec<L2Block> {
    let mut parent = B256::repeat_byte(0xaa);
    let (mut origin, mut seq) = (100u64, 0u64);
    txs.into_iter()
        .enumerate()
        .map(|(i, transactions)| {
            if i > 0 && epoch_steps.get(i).copied().unwrap_or(false) {
                origin += 1;
                seq = 0;
            } else if i > 0 {
                seq += 1;
            }
            let number = 10 + i as u64;
            let block = L2Block {
                number,
                hash: B256::from(U256::from(number) << 8),
                parent_hash: parent,
                timestamp: GENESIS_TIME + number,
                l1_origin_number: origin,
                l1_origin_hash: B256::from(U256::from(origin)),
                sequence_number: seq,
                transactions,
            };
            parent = block.hash;
            block
        })
        .collect()
}

/// Decodes frames with kona's own derivation code, back to the span batch.
fn decode(frames: &[Frame]) -> SpanBatch {
    let id = frames[0].id;
    let mut channel = Channel::new(id, BlockInfo::default());
    for frame in frames {
        let mut calldata = vec![0u8];
        calldata.extend(frame.encode());
        let parsed = Frame::parse_frames(&calldata).expect("kona parses our frame");
        assert_eq!(parsed.len(), 1);
        channel.add_frame(parsed.into_iter().next().unwrap(), BlockInfo::default()).unwrap();
    }
    assert!(channel.is_ready());
    let data = channel.frame_data().expect("channel data");
    let mut reader = BatchReader::new(data.to_vec(), 100_000_000);
    reader.decompress().expect("brotli");
    let cfg = rollup_config();
    let Some(Batch::Span(span)) = reader.next_batch(&cfg) else { panic!("no span batch") };
    assert!(reader.next_batch(&cfg).is_none(), "exactly one batch per channel");
    span
}

fn assert_round_trip(blocks: &[L2Block], span: &SpanBatch) {
    assert_eq!(span.batches.len(), blocks.len());
    assert_eq!(span.parent_check.as_slice(), &blocks[0].parent_hash[..20]);
    let last = blocks.last().unwrap();
    assert_eq!(span.l1_origin_check.as_slice(), &last.l1_origin_hash[..20]);
    for (element, block) in span.batches.iter().zip(blocks) {
        assert_eq!(element.timestamp, block.timestamp);
        assert_eq!(element.epoch_num, block.l1_origin_number);
        assert_eq!(element.transactions, block.transactions);
    }
}

#[test]
fn frames_decode_with_kona() {
    let txs = (0..5u8)
        .map(|b| {
            (0..b).map(|i| tx(i, u64::from(b * 10 + i), vec![i; 40], (5, 9, i % 2 == 0))).collect()
        })
        .collect();
    let blocks = blocks(txs, &[false, false, true, false, true]);
    let mut builder = ChannelBuilder::new(PARAMS, 100_000, 7);
    for block in blocks.clone() {
        builder.add_block(block).unwrap();
    }
    assert!(!builder.is_full().unwrap());
    let frames = builder.into_frames(120).unwrap();
    assert!(frames.len() > 1, "small frames split the channel");
    assert!(frames.iter().all(|f| f.encode().len() <= 120));
    assert!(frames.last().unwrap().is_last && frames.iter().filter(|f| f.is_last).count() == 1);
    assert_round_trip(&blocks, &decode(&frames));
}

#[test]
fn rejects_blocks_that_do_not_chain() {
    let mut blocks = blocks(vec![vec![], vec![]], &[]);
    blocks[1].parent_hash = B256::ZERO;
    let mut builder = ChannelBuilder::new(PARAMS, 1000, 0);
    builder.add_block(blocks[0].clone()).unwrap();
    assert!(builder.add_block(blocks[1].clone()).is_err());
}

#[test]
fn fills_up_and_times_out() {
    let mut builder = ChannelBuilder::new(PARAMS, 600, 50);
    assert!(!builder.is_timed_out(1000, 5), "an empty channel never times out");
    let txs: Vec<Vec<Bytes>> = (0..200u64)
        .map(|i| {
            vec![tx(0, i, (0..64).map(|j| (i * 31 + j * 7) as u8).collect(), (i, i + 3, true))]
        })
        .collect();
    let mut full_after = None;
    for (i, block) in blocks(txs, &[]).into_iter().enumerate() {
        builder.add_block(block).unwrap();
        if builder.is_full().unwrap() {
            full_after = Some(i + 1);
            break;
        }
    }
    let n = full_after.expect("channel fills up");
    assert!(n < 200);
    assert!(!builder.is_timed_out(54, 5));
    assert!(builder.is_timed_out(55, 5));
    let frames = builder.into_frames(1000).unwrap();
    let size: usize = frames.iter().map(|f| f.data.len()).sum();
    assert!(size >= 600);
}

#[test]
fn frame_size_must_leave_room() {
    assert!(split_frames([0; 16], b"x", FRAME_HEADER_LEN).is_err());
    assert_eq!(split_frames([0; 16], b"xy", FRAME_HEADER_LEN + 1).unwrap().len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn encoder_round_trips(
        shape in prop::collection::vec(
            (prop::collection::vec((any::<u8>(), any::<u64>(), prop::collection::vec(any::<u8>(), 0..200), any::<(u64, u64, bool)>()), 0..6), any::<bool>()),
            1..12,
        ),
        frame_size in 40usize..2000,
    ) {
        let steps: Vec<bool> = shape.iter().map(|(_, step)| *step).collect();
        let txs = shape
            .into_iter()
            .map(|(txs, _)| txs.into_iter().map(|(k, n, input, sig)| tx(k, n, input, sig)).collect())
            .collect();
        let blocks = blocks(txs, &steps);
        let mut builder = ChannelBuilder::new(PARAMS, usize::MAX, 0);
        for block in blocks.clone() {
            builder.add_block(block).unwrap();
        }
        let frames = builder.into_frames(frame_size).unwrap();
        prop_assert!(frames.iter().all(|f| f.encode().len() <= frame_size));
        assert_round_trip(&blocks, &decode(&frames));
    }
}
