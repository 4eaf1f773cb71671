//! Dev accounts and locally signed transactions (alloy-signer-local + alloy-consensus), so tests
//! can send exactly the bytes they mean to, valid or not.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};
use serde_json::json;

use crate::rpc::{Rpc, hex_u128};

/// The devnet's (and anvil's) development mnemonic; genesis funds its first 10 accounts.
pub(crate) const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Account `index` of [`DEV_MNEMONIC`] (path m/44'/60'/0'/0/index).
pub(crate) fn dev_signer(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::from_phrase_nth(DEV_MNEMONIC, index)
}

/// The private key of a dev account as `0x…` hex, as forge, cast and viem take it.
pub(crate) fn dev_key_hex(index: u32) -> String {
    dev_signer(index).to_bytes().to_string()
}

/// Fee caps that any sane base fee fits under: twice the node's gas price plus a 1 gwei tip.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fees {
    pub(crate) max_fee_per_gas: u128,
    pub(crate) max_priority_fee_per_gas: u128,
}

impl Fees {
    pub(crate) fn from_node(rpc: &Rpc) -> Self {
        let gas_price = hex_u128(&rpc.ok("eth_gasPrice", json!([])));
        let tip = 1_000_000_000;
        Self { max_fee_per_gas: gas_price * 2 + tip, max_priority_fee_per_gas: tip }
    }
}

/// An unsigned EIP-1559 value transfer.
pub(crate) fn transfer(
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    fees: Fees,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    }
}

/// Signs `tx` and returns the EIP-2718 bytes for `eth_sendRawTransaction` and the tx hash.
pub(crate) fn sign(signer: &PrivateKeySigner, tx: TxEip1559) -> (Bytes, B256) {
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign transaction");
    let envelope = TxEnvelope::from(tx.into_signed(sig));
    (envelope.encoded_2718().into(), *envelope.tx_hash())
}

/// `eth_sendRawTransaction` with `raw`; returns the hash the node answered.
pub(crate) fn send_raw(rpc: &Rpc, raw: &Bytes) -> Result<String, crate::rpc::RpcError> {
    rpc.call("eth_sendRawTransaction", json!([raw]))
        .map(|h| h.as_str().expect("tx hash is a string").to_owned())
}
