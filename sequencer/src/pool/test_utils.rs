//! Really signed transactions for the pool's tests.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxLegacy};
use alloy_eips::{
    eip2718::Encodable2718,
    eip2930::{AccessList, AccessListItem},
    eip7702::Authorization,
};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use op_revm::OpSpecId;

use super::{AccountState, ValidTransaction, ValidationRules, validate_raw_transaction};

/// Chain id the tests' transactions are signed for.
pub(super) const CHAIN_ID: u64 = 4242;
/// Block gas limit of the tests' rules.
pub(super) const BLOCK_GAS_LIMIT: u64 = 30_000_000;
/// One gwei in wei.
pub(super) const GWEI: u128 = 1_000_000_000;
/// Gas of a plain transfer.
pub(super) const TRANSFER_GAS: u64 = 21_000;

/// Rules at Isthmus (Prague gas rules, EIP-7702 on).
pub(super) fn rules() -> ValidationRules {
    ValidationRules::new(CHAIN_ID, BLOCK_GAS_LIMIT, OpSpecId::ISTHMUS)
}

/// The `i`-th deterministic test key (`i > 0`).
pub(super) fn signer(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(i)).expect("valid key")
}

/// `tx` signed by `signer`, EIP-2718 encoded.
pub(super) fn sign<T: SignableTransaction<Signature>>(signer: &PrivateKeySigner, tx: T) -> Vec<u8>
where
    alloy_consensus::Signed<T>: Encodable2718,
{
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("signing works");
    tx.into_signed(signature).encoded_2718()
}

/// `tx` with `signature` instead of a real one, EIP-2718 encoded.
pub(super) fn with_signature<T: SignableTransaction<Signature>>(
    tx: T,
    signature: Signature,
) -> Vec<u8>
where
    alloy_consensus::Signed<T>: Encodable2718,
{
    tx.into_signed(signature).encoded_2718()
}

/// A plain EIP-1559 transfer.
pub(super) fn eip1559(nonce: u64, max_fee: u128, tip: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::ZERO,
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

/// A plain EIP-155 legacy transfer.
pub(super) fn legacy(nonce: u64, gas_price: u128) -> TxLegacy {
    TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price,
        gas_limit: TRANSFER_GAS,
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::ZERO,
        input: Bytes::new(),
    }
}

/// An EIP-2930 transfer with one address and two storage keys in its access list.
pub(super) fn eip2930(nonce: u64, gas_price: u128, gas_limit: u64) -> TxEip2930 {
    TxEip2930 {
        chain_id: CHAIN_ID,
        nonce,
        gas_price,
        gas_limit,
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::ZERO,
        access_list: AccessList(vec![AccessListItem {
            address: Address::repeat_byte(0xbb),
            storage_keys: vec![B256::ZERO, B256::with_last_byte(1)],
        }]),
        input: Bytes::new(),
    }
}

/// An EIP-7702 transaction carrying `authorizations` authorizations signed by `authority`.
pub(super) fn eip7702(
    authority: &PrivateKeySigner,
    nonce: u64,
    gas_limit: u64,
    authorizations: u64,
) -> TxEip7702 {
    let authorization_list = (0..authorizations)
        .map(|i| {
            let authorization = Authorization {
                chain_id: U256::from(CHAIN_ID),
                address: Address::repeat_byte(0xcc),
                nonce: i,
            };
            let signature =
                authority.sign_hash_sync(&authorization.signature_hash()).expect("signing works");
            authorization.into_signed(signature)
        })
        .collect();
    TxEip7702 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 2 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: Address::repeat_byte(0xaa),
        value: U256::ZERO,
        access_list: AccessList::default(),
        authorization_list,
        input: Bytes::new(),
    }
}

/// An EIP-1559 transfer from the `key`-th test key, validated.
pub(super) fn valid_1559(key: u8, nonce: u64, max_fee: u128, tip: u128) -> ValidTransaction {
    validate_raw_transaction(&sign(&signer(key), eip1559(nonce, max_fee, tip)), &rules())
        .expect("valid transaction")
}

/// An account at `nonce` that can pay for anything the tests send.
pub(super) fn rich(nonce: u64) -> AccountState {
    AccountState { nonce, balance: U256::from(10u128.pow(30)) }
}
