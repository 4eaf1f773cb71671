//! A test-only encoder: L2 blocks → batches → channel → frames → batcher data, and a small L1/L2
//! chain to derive against (L1 blocks every 12 s, L2 blocks every 2 s, both from time 1000).

use super::{L1BlockRef, L2BlockRef};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::{BlockNumHash, Encodable2718};
use alloy_primitives::{B256, Bytes, Signature, TxKind, U256, keccak256};
use kona_genesis::{HardForkConfig, RollupConfig};
use kona_protocol::{Batch, DERIVATION_VERSION_0, Frame, SingleBatch, SpanBatch};
use std::io::Write;

pub(crate) const L2_CHAIN_ID: u64 = 31628;
pub(crate) const GENESIS_TIME: u64 = 1000;
pub(crate) const L1_BLOCK_TIME: u64 = 12;

/// All forks active at genesis, 2 s blocks, a 10-block sequencing window.
pub(crate) fn config() -> RollupConfig {
    let mut cfg = RollupConfig {
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 10,
        channel_timeout: 50,
        granite_channel_timeout: 50,
        l2_chain_id: L2_CHAIN_ID.into(),
        hardforks: HardForkConfig {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            pectra_blob_schedule_time: None,
            isthmus_time: Some(0),
            ..Default::default()
        },
        ..Default::default()
    };
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg.genesis.l1 = alloy_eips_v1::BlockNumHash { number: 0, hash: l1_hash(0) };
    cfg
}

pub(crate) fn l1_hash(number: u64) -> B256 {
    keccak256(format!("l1-{number}"))
}

/// L1 block `number` of the test chain.
pub(crate) fn block(number: u64) -> L1BlockRef {
    L1BlockRef {
        number,
        hash: l1_hash(number),
        parent_hash: number.checked_sub(1).map(l1_hash).unwrap_or_default(),
        timestamp: GENESIS_TIME + number * L1_BLOCK_TIME,
    }
}

/// The L2 genesis block, with L1 block 0 as origin.
pub(crate) fn l2_genesis() -> L2BlockRef {
    L2BlockRef {
        number: 0,
        hash: keccak256("l2-0"),
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: BlockNumHash { number: 0, hash: l1_hash(0) },
        sequence_number: 0,
    }
}

/// The L2 block after `parent` with L1 origin `epoch`.
pub(crate) fn child(parent: &L2BlockRef, epoch: &L1BlockRef) -> L2BlockRef {
    let timestamp = parent.timestamp + 2;
    L2BlockRef {
        number: parent.number + 1,
        hash: keccak256([parent.hash.as_slice(), &timestamp.to_be_bytes()].concat()),
        parent_hash: parent.hash,
        timestamp,
        l1_origin: BlockNumHash { number: epoch.number, hash: epoch.hash },
        sequence_number: if epoch.number == parent.l1_origin.number {
            parent.sequence_number + 1
        } else {
            0
        },
    }
}

/// A signed EIP-1559 transaction (the signature is arbitrary: derivation does not check it).
pub(crate) fn tx(nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: L2_CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(alloy_primitives::Address::with_last_byte(0x42)),
        value: U256::from(nonce + 1),
        ..Default::default()
    };
    TxEnvelope::from(tx.into_signed(Signature::test_signature())).encoded_2718().into()
}

/// A contract creation (EIP-1559).
pub(crate) fn create_tx(nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: L2_CHAIN_ID,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 2_000_000_000,
        to: TxKind::Create,
        input: Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]),
        ..Default::default()
    };
    TxEnvelope::from(tx.into_signed(Signature::test_signature())).encoded_2718().into()
}

/// A legacy EIP-155 transaction.
pub(crate) fn legacy_tx(nonce: u64) -> Bytes {
    let tx = TxLegacy {
        chain_id: Some(L2_CHAIN_ID),
        nonce,
        gas_price: 1_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(alloy_primitives::Address::with_last_byte(0x43)),
        value: U256::from(1),
        ..Default::default()
    };
    TxEnvelope::from(tx.into_signed(Signature::test_signature())).encoded_2718().into()
}

/// The batch of L2 block `block` (whose parent is `parent`).
pub(crate) fn single(parent: &L2BlockRef, block: &L2BlockRef, txs: Vec<Bytes>) -> SingleBatch {
    SingleBatch {
        parent_hash: parent.hash,
        epoch_num: block.l1_origin.number,
        epoch_hash: block.l1_origin.hash,
        timestamp: block.timestamp,
        transactions: txs,
    }
}

/// A span batch of consecutive singular batches; `first_seq` is the first block's sequence number.
pub(crate) fn span(batches: &[SingleBatch], first_seq: u64) -> SpanBatch {
    let mut span =
        SpanBatch { chain_id: L2_CHAIN_ID, genesis_timestamp: GENESIS_TIME, ..Default::default() };
    for (i, batch) in batches.iter().enumerate() {
        let seq = if i == 0 { first_seq } else { 1 };
        span.append_singular_batch(batch.clone(), seq).expect("valid transactions");
    }
    span
}

/// A channel's uncompressed content: each batch as an RLP string.
pub(crate) fn channel_content(batches: &[Batch]) -> Vec<u8> {
    let mut out = Vec::new();
    for batch in batches {
        let mut encoded = Vec::new();
        batch.encode(&mut encoded).expect("encodable batch");
        alloy_rlp::Header { list: false, payload_length: encoded.len() }.encode(&mut out);
        out.extend_from_slice(&encoded);
    }
    out
}

/// Brotli channel: `0x01 ‖ brotli(content)`.
pub(crate) fn brotli_channel(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x01];
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        writer.write_all(content).expect("in memory");
    }
    out
}

/// zlib channel made of stored (uncompressed) deflate blocks.
pub(crate) fn zlib_channel(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = content.chunks(0xffff).collect();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i == last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    if content.is_empty() {
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in content {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A frame of channel `id` (all 16 bytes `id`).
pub(crate) fn frame(id: u8, number: u16, data: &[u8], is_last: bool) -> Frame {
    Frame { id: [id; 16], number, data: data.to_vec(), is_last }
}

/// A channel split into frames of at most `size` bytes.
pub(crate) fn frames(id: u8, channel: &[u8], size: usize) -> Vec<Frame> {
    let chunks: Vec<&[u8]> = channel.chunks(size).collect();
    let last = chunks.len() - 1;
    chunks.iter().enumerate().map(|(i, chunk)| frame(id, i as u16, chunk, i == last)).collect()
}

/// A batch-inbox payload: `0x00 ‖ frames`.
pub(crate) fn batcher_data(frames: &[Frame]) -> Bytes {
    let mut out = vec![DERIVATION_VERSION_0];
    for frame in frames {
        out.extend(frame.encode());
    }
    out.into()
}
