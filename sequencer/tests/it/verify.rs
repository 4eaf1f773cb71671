//! Blocks are verifiable by any Ethereum tool: the header hash, transactions root, receipts root
//! and logs bloom recomputed from what the RPC serves match, and `eth_getProof` account and storage
//! proofs verify against the block's state root — at the head and at an older block.

use crate::{
    harness::TestNode,
    rpc::{Rpc, hex_u64},
    tx::{Fees, dev_signer, send_raw, sign, transfer},
};
use alloy_consensus::{
    ReceiptWithBloom, SignableTransaction, TxEip1559, TxLegacy, TxReceipt,
    proofs::ordered_trie_root_with_encoder,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bloom, Bytes, TxKind, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, EIP1186AccountProofResponse, Header};
use alloy_signer::SignerSync;
use alloy_sol_types::{SolCall, SolConstructor};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use op_alloy_consensus::{OpReceipt, OpReceiptEnvelope, OpTxEnvelope};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde_json::json;
use std::time::Duration;
use trex_bindings::DevToken;
use trex_chainspec::DEVNET_CHAIN_ID;

fn receipt_envelope(receipt: OpTransactionReceipt) -> OpReceiptEnvelope {
    let ReceiptWithBloom { receipt, logs_bloom } = receipt.inner.inner;
    let with_bloom = |inner: alloy_consensus::Receipt<alloy_rpc_types_eth::Log>| ReceiptWithBloom {
        receipt: inner.map_logs(|log| log.inner),
        logs_bloom,
    };
    match receipt {
        OpReceipt::Legacy(r) => OpReceiptEnvelope::Legacy(with_bloom(r)),
        OpReceipt::Eip2930(r) => OpReceiptEnvelope::Eip2930(with_bloom(r)),
        OpReceipt::Eip1559(r) => OpReceiptEnvelope::Eip1559(with_bloom(r)),
        OpReceipt::Eip7702(r) => OpReceiptEnvelope::Eip7702(with_bloom(r)),
        other => panic!("unexpected receipt type {other:?}"),
    }
}

fn block_at(rpc: &Rpc, number: u64) -> Block<Transaction, Header> {
    serde_json::from_value(rpc.ok("eth_getBlockByNumber", json!([format!("{number:#x}"), true])))
        .expect("block decodes as an OP RPC block")
}

fn proof_at(rpc: &Rpc, address: Address, slot: B256, number: u64) -> EIP1186AccountProofResponse {
    serde_json::from_value(rpc.ok("eth_getProof", json!([address, [slot], format!("{number:#x}")])))
        .expect("proof decodes")
}

/// Verifies the account proof and the first storage proof against `state_root`.
fn verify(proof: &EIP1186AccountProofResponse, state_root: B256, exists: bool) {
    let key = Nibbles::unpack(keccak256(proof.address));
    let leaf = exists.then(|| {
        let account = TrieAccount {
            nonce: proof.nonce,
            balance: proof.balance,
            storage_root: proof.storage_hash,
            code_hash: proof.code_hash,
        };
        let mut out = Vec::new();
        account.encode(&mut out);
        out
    });
    verify_proof(state_root, key, leaf, &proof.account_proof).expect("account proof verifies");
    let storage = &proof.storage_proof[0];
    let slot_key = Nibbles::unpack(keccak256(storage.key.as_b256()));
    let value = (!storage.value.is_zero()).then(|| {
        let mut out = Vec::new();
        storage.value.encode(&mut out);
        out
    });
    verify_proof(proof.storage_hash, slot_key, value, &storage.proof)
        .expect("storage proof verifies");
}

#[test]
fn blocks_roots_and_proofs_verify_independently() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let deployer = dev_signer(2);
    let fees = Fees::from_node(&rpc);
    let recipient = Address::repeat_byte(0x77);
    let amount = U256::from(123_456u64);

    // Deploy the ERC-20, then in one block: a token transfer (1559) and a legacy ETH transfer.
    let mut code = DevToken::BYTECODE.to_vec();
    code.extend(
        DevToken::constructorCall {
            name_: "Dev".into(),
            symbol_: "DEV".into(),
            initialSupply: U256::from(10u64).pow(U256::from(24)),
        }
        .abi_encode(),
    );
    let deploy = TxEip1559 {
        chain_id: DEVNET_CHAIN_ID,
        nonce: 0,
        gas_limit: 3_000_000,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Create,
        input: code.into(),
        ..Default::default()
    };
    let (raw, deploy_hash) = sign(&deployer, deploy);
    send_raw(&rpc, &raw).expect("deploy accepted");
    let deployed = rpc.wait_receipt(&deploy_hash.to_string(), Duration::from_secs(10));
    let token: Address = serde_json::from_value(deployed["contractAddress"].clone()).unwrap();
    let deploy_block = hex_u64(&deployed["blockNumber"]);

    let mut call = transfer(DEVNET_CHAIN_ID, 1, token, U256::ZERO, fees);
    call.gas_limit = 100_000;
    call.input = DevToken::transferCall { to: recipient, value: amount }.abi_encode().into();
    let (raw_call, call_hash) = sign(&deployer, call);
    let legacy = TxLegacy {
        chain_id: Some(DEVNET_CHAIN_ID),
        nonce: 2,
        gas_price: fees.max_fee_per_gas,
        gas_limit: 21_000,
        to: TxKind::Call(recipient),
        value: U256::from(1u64),
        input: Bytes::new(),
    };
    let signature = deployer.sign_hash_sync(&legacy.signature_hash()).unwrap();
    let raw_legacy: Bytes =
        OpTxEnvelope::Legacy(legacy.into_signed(signature)).encoded_2718().into();
    send_raw(&rpc, &raw_call).expect("transfer accepted");
    let legacy_hash = send_raw(&rpc, &raw_legacy).expect("legacy transfer accepted");
    let mined = rpc.wait_receipt(&call_hash.to_string(), Duration::from_secs(10));
    rpc.wait_receipt(&legacy_hash, Duration::from_secs(10));
    let number = hex_u64(&mined["blockNumber"]);

    for n in [deploy_block, number] {
        let block = block_at(&rpc, n);
        assert_eq!(block.header.inner.hash_slow(), block.header.hash, "header hash of block {n}");
        let transactions: Vec<OpTxEnvelope> =
            block.transactions.into_transactions().map(|tx| tx.inner.inner.into_inner()).collect();
        assert!(!transactions.is_empty());
        assert_eq!(
            ordered_trie_root_with_encoder(&transactions, |tx, buf| tx.encode_2718(buf)),
            block.header.transactions_root,
            "transactions root of block {n}"
        );
        let receipts: Vec<OpTransactionReceipt> =
            serde_json::from_value(rpc.ok("eth_getBlockReceipts", json!([format!("{n:#x}")])))
                .unwrap();
        let receipts: Vec<OpReceiptEnvelope> = receipts.into_iter().map(receipt_envelope).collect();
        assert_eq!(
            ordered_trie_root_with_encoder(&receipts, |r, buf| r.encode_2718(buf)),
            block.header.receipts_root,
            "receipts root of block {n}"
        );
        let bloom = receipts.iter().fold(Bloom::ZERO, |bloom, r| bloom | r.bloom());
        assert_eq!(bloom, block.header.logs_bloom, "logs bloom of block {n}");
    }

    // OpenZeppelin 5's ERC20 keeps `_balances` in slot 0: balance slot = keccak(holder ‖ 0).
    let slot = keccak256([B256::left_padding_from(recipient.as_slice()).0, [0u8; 32]].concat());
    let head_root = block_at(&rpc, number).header.state_root;
    let now = proof_at(&rpc, token, slot, number);
    assert_eq!(now.storage_proof[0].value, amount);
    verify(&now, head_root, true);
    // One block earlier the token exists but the recipient holds nothing: an exclusion proof.
    let before_root = block_at(&rpc, number - 1).header.state_root;
    let before = proof_at(&rpc, token, slot, number - 1);
    assert!(before.storage_proof[0].value.is_zero());
    verify(&before, before_root, true);
    // Before the deployment the token account itself is absent.
    let absent = proof_at(&rpc, token, slot, deploy_block - 1);
    verify(&absent, block_at(&rpc, deploy_block - 1).header.state_root, false);
}
