//! Signed L2 transactions for load in tests.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use op_alloy_consensus::OpTxEnvelope;

/// The raw EIP-2718 bytes of an EIP-1559 call signed by `key`.
pub fn signed_call(
    key: &str,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: u64,
    input: Bytes,
) -> Bytes {
    signed_tx(key, chain_id, nonce, TxKind::Call(to), value, input)
}

/// The raw EIP-2718 bytes of an EIP-1559 transaction signed by `key`.
pub fn signed_tx(
    key: &str,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: u64,
    input: Bytes,
) -> Bytes {
    let signer: PrivateKeySigner = key.parse().expect("key");
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value: U256::from(value),
        input,
        access_list: Default::default(),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    OpTxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718().into()
}

/// The address of a key.
pub fn address_of(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}
