//! The deposits that open every L2 block: the L1-attributes transaction (OP's `L1Block` update)
//! and, on the first block of an epoch, the epoch's user deposits.

use crate::{
    executor::CandidateTx,
    rollup::{RollupError, l1::L1Header},
    storage::StoredBlock,
};
use alloy_consensus::{Sealable, Transaction as _, transaction::Recovered};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, TxKind, U256, address};
use kona_genesis::{RollupConfig, SystemConfig};
use kona_protocol::L1BlockInfoTx;
use op_alloy_consensus::{L1InfoDepositSource, OpTxEnvelope, TxDeposit};

/// The account that sends the L1-attributes deposit.
pub const L1_INFO_DEPOSITOR: Address = address!("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001");

/// The `L1Block` predeploy the L1-attributes deposit calls.
pub const L1_BLOCK_PREDEPLOY: Address = address!("0x4200000000000000000000000000000000000015");

/// Gas of the L1-attributes deposit since Regolith.
const L1_INFO_GAS: u64 = 1_000_000;

/// The L1-attributes deposit of the L2 block at `l2_timestamp` whose L1 origin is `origin`, the
/// `sequence_number`-th block of that epoch.
pub fn l1_info_deposit(
    config: &RollupConfig,
    system_config: &SystemConfig,
    sequence_number: u64,
    origin: &L1Header,
    l2_timestamp: u64,
) -> Result<CandidateTx, RollupError> {
    let header = to_kona_header(origin)?;
    let info =
        L1BlockInfoTx::try_new(config, system_config, sequence_number, &header, l2_timestamp)
            .map_err(|err| RollupError::Derivation(format!("L1 info: {err}")))?;
    let source = L1InfoDepositSource { l1_block_hash: origin.hash, seq_number: sequence_number };
    let deposit = TxDeposit {
        source_hash: source.source_hash(),
        from: L1_INFO_DEPOSITOR,
        to: TxKind::Call(L1_BLOCK_PREDEPLOY),
        mint: 0,
        value: U256::ZERO,
        gas_limit: L1_INFO_GAS,
        is_system_transaction: false,
        input: info.encode_calldata(),
    };
    let envelope = OpTxEnvelope::Deposit(deposit.seal_slow());
    let encoded = envelope.encoded_2718().into();
    Ok(CandidateTx { tx: Recovered::new_unchecked(envelope, L1_INFO_DEPOSITOR), encoded })
}

/// The L1 origin and sequence number an L2 block's L1-attributes deposit records.
pub fn decode_l1_info(input: &[u8]) -> Result<(alloy_eips::BlockNumHash, u64), RollupError> {
    let info = L1BlockInfoTx::decode_calldata(input)
        .map_err(|err| RollupError::Derivation(format!("undecodable L1 info: {err}")))?;
    let id = info.id();
    Ok((alloy_eips::BlockNumHash { number: id.number, hash: id.hash }, info.sequence_number()))
}

/// The L1 fee parameters a block's L1-attributes deposit set in `L1Block`, as op-revm charges
/// them to the block's transactions; `None` for a block without one (standalone mode, genesis).
pub fn l1_fee_params(block: &StoredBlock) -> Option<op_revm::L1BlockInfo> {
    let first = block.transactions.first()?;
    if !first.inner().is_deposit() || first.to() != Some(L1_BLOCK_PREDEPLOY) {
        return None;
    }
    let info = L1BlockInfoTx::decode_calldata(first.input()).ok()?;
    Some(op_revm::L1BlockInfo {
        l1_base_fee: info.l1_base_fee(),
        l1_base_fee_scalar: info.l1_fee_scalar(),
        l1_blob_base_fee: Some(info.blob_base_fee()),
        l1_blob_base_fee_scalar: Some(info.blob_base_fee_scalar()),
        operator_fee_scalar: Some(U256::from(info.operator_fee_scalar())),
        operator_fee_constant: Some(U256::from(info.operator_fee_constant())),
        ..Default::default()
    })
}

/// kona builds the L1 info from an alloy 1.x header; both versions share the JSON-RPC form.
fn to_kona_header(origin: &L1Header) -> Result<alloy_consensus_v1::Header, RollupError> {
    let json = serde_json::to_value(&origin.header)
        .map_err(|err| RollupError::Derivation(format!("L1 header: {err}")))?;
    serde_json::from_value(json).map_err(|err| RollupError::Derivation(format!("L1 header: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::Header;
    use alloy_primitives::B256;

    #[test]
    fn l1_info_round_trips_and_matches_kona() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::rollup::init::test_rollup_config(dir.path());
        let system = config.genesis.system_config.unwrap();
        let header = Header {
            number: 77,
            timestamp: 1_700_000_000,
            base_fee_per_gas: Some(7),
            excess_blob_gas: Some(0),
            blob_gas_used: Some(0),
            parent_beacon_block_root: Some(B256::repeat_byte(3)),
            requests_hash: Some(B256::repeat_byte(4)),
            ..Default::default()
        };
        let origin = L1Header { hash: header.hash_slow(), header };
        let deposit = l1_info_deposit(&config, &system, 2, &origin, 1_700_000_010).unwrap();
        assert_eq!(deposit.tx.signer(), L1_INFO_DEPOSITOR);
        let OpTxEnvelope::Deposit(tx) = deposit.tx.inner() else { panic!("not a deposit") };
        assert_eq!(tx.to, TxKind::Call(L1_BLOCK_PREDEPLOY));
        // Isthmus calldata: selector, then tightly packed fields (164 + 12 bytes).
        assert_eq!(&tx.input[..4], &[0x09, 0x89, 0x99, 0xbe]);
        let (id, sequence) = decode_l1_info(&tx.input).unwrap();
        assert_eq!((id.number, id.hash, sequence), (77, origin.hash, 2));

        let kona_header = to_kona_header(&origin).unwrap();
        let (_, kona_tx) = L1BlockInfoTx::try_new_with_deposit_tx(
            &config,
            &system,
            2,
            &kona_header,
            1_700_000_010,
        )
        .unwrap();
        assert_eq!(kona_tx.source_hash, tx.source_hash);
        assert_eq!(kona_tx.input, tx.input);
        assert_eq!(kona_tx.gas_limit, tx.gas_limit);
    }
}
