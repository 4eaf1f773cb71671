//! Bad input over raw JSON-RPC: each case must be answered with a precise error, and the node must
//! keep serving afterwards.

use std::time::Duration;

use alloy_consensus::{SignableTransaction, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, U256};
use serde_json::{Value, json};

use crate::{
    harness::{DEVNET_CHAIN_ID, TestNode},
    rpc::{Rpc, RpcError},
    tx::{Fees, dev_signer, send_raw, sign, transfer},
};

/// Size of the oversized request. It must be at least the sequencer's request body limit
/// (jsonrpsee's default, 10 MiB, unless the sequencer sets a smaller one).
const OVERSIZED_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The node still answers after bad input, and still produces blocks.
fn assert_still_serving(rpc: &Rpc) {
    let first = rpc
        .call("eth_blockNumber", json!([]))
        .unwrap_or_else(|e| panic!("node stopped answering eth_blockNumber after bad input: {e}"));
    let first = crate::rpc::hex_u64(&first);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rpc.block_number() <= first {
        assert!(std::time::Instant::now() < deadline, "no new block within 10 s after bad input");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Dev account `index` has no pooled or mined transaction, and the node still serves.
fn assert_nothing_accepted_from(rpc: &Rpc, index: u32) {
    let sender = dev_signer(index).address().to_string();
    assert_eq!(rpc.nonce(&sender, "pending"), 0, "nothing was accepted");
    assert_still_serving(rpc);
}

fn expect_error(result: Result<Value, RpcError>, what: &str) -> RpcError {
    match result {
        Ok(v) => panic!("{what}: expected an error, the node answered {v}"),
        Err(e) => {
            assert!(e.code.is_some(), "{what}: expected a JSON-RPC error object, got {e}");
            e
        }
    }
}

fn valid_transfer(rpc: &Rpc, nonce: u64) -> alloy_consensus::TxEip1559 {
    transfer(
        DEVNET_CHAIN_ID,
        nonce,
        Address::repeat_byte(0x42),
        U256::from(1),
        Fees::from_node(rpc),
    )
}

#[test]
fn rpc_rejects_malformed_raw_transactions() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let (good, _) = sign(&dev_signer(1), valid_transfer(&rpc, 0));
    let truncated = Bytes::copy_from_slice(&good[..good.len() - 7]);
    let mut trailing = good.to_vec();
    trailing.extend_from_slice(&[0xc0, 0x80]);
    let cases: [(&str, Value); 5] = [
        ("RLP garbage", json!(["0xdeadbeef"])),
        ("typed envelope with no payload", json!(["0x02"])),
        ("empty bytes", json!(["0x"])),
        ("truncated signed transaction", json!([truncated])),
        ("signed transaction with trailing bytes", json!([Bytes::from(trailing)])),
    ];
    for (what, params) in cases {
        let err = expect_error(rpc.call("eth_sendRawTransaction", params), what);
        eprintln!("{what}: {err}");
    }
    assert_nothing_accepted_from(&rpc, 1);
}

#[test]
fn rpc_rejects_wrong_chain_id() {
    let node = TestNode::start();
    let rpc = node.rpc();
    for chain_id in [1, DEVNET_CHAIN_ID + 1] {
        let mut tx = valid_transfer(&rpc, 0);
        tx.chain_id = chain_id;
        let (raw, _) = sign(&dev_signer(1), tx);
        let err = expect_error(send_raw(&rpc, &raw).map(Value::from), "tx for another chain");
        assert!(
            err.message.to_lowercase().contains("invalid chain id"),
            "chain id {chain_id}: expected \"invalid chain id\", got {err}"
        );
    }
    assert_still_serving(&rpc);
}

#[test]
fn rpc_rejects_bad_signatures() {
    let node = TestNode::start();
    let rpc = node.rpc();
    // secp256k1 group order n: r and s must be in [1, n-1], and s <= n/2 (EIP-2).
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .expect("n");
    let (_, good_sig) = {
        let tx = valid_transfer(&rpc, 0);
        let sig = alloy_signer::SignerSync::sign_hash_sync(&dev_signer(1), &tx.signature_hash())
            .expect("sign");
        (tx, sig)
    };
    let high_s = Signature::new(good_sig.r(), n - good_sig.s(), !good_sig.v());
    let cases = [
        ("r = 0", Signature::new(U256::ZERO, good_sig.s(), good_sig.v())),
        ("s = 0", Signature::new(good_sig.r(), U256::ZERO, good_sig.v())),
        ("r = n (out of range)", Signature::new(n, good_sig.s(), good_sig.v())),
        ("high s (EIP-2 malleable)", high_s),
    ];
    for (what, sig) in cases {
        let envelope = TxEnvelope::from(valid_transfer(&rpc, 0).into_signed(sig));
        let raw: Bytes = envelope.encoded_2718().into();
        let err = expect_error(send_raw(&rpc, &raw).map(Value::from), what);
        eprintln!("{what}: {err}");
    }
    assert_nothing_accepted_from(&rpc, 1);
}

#[test]
fn rpc_rejects_nonce_too_low() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let signer = dev_signer(2);
    let (raw, hash) = sign(&signer, valid_transfer(&rpc, 0));
    let answered = send_raw(&rpc, &raw).expect("first transfer is accepted");
    assert_eq!(answered, format!("{hash:#x}"));
    let receipt = rpc.wait_receipt(&answered, Duration::from_secs(20));
    assert_eq!(receipt["status"], "0x1");

    // Same nonce, different transaction (so not a duplicate of a known hash).
    let mut replay = valid_transfer(&rpc, 0);
    replay.value = U256::from(2);
    let (raw, _) = sign(&signer, replay);
    let err =
        expect_error(send_raw(&rpc, &raw).map(Value::from), "nonce 0 after nonce 0 was mined");
    assert!(
        err.message.to_lowercase().contains("nonce too low"),
        "expected \"nonce too low\", got {err}"
    );
    assert_eq!(rpc.nonce(&signer.address().to_string(), "latest"), 1);
    assert_still_serving(&rpc);
}

#[test]
fn rpc_rejects_oversized_request_body() {
    let node = TestNode::start();
    let rpc = node.rpc();
    // A request that would succeed if its size were accepted: eth_chainId with a huge extra field.
    let head = br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[],"pad":""#;
    let mut body = Vec::with_capacity(OVERSIZED_BODY_BYTES + 64);
    body.extend_from_slice(head);
    body.resize(OVERSIZED_BODY_BYTES, b'x');
    body.extend_from_slice(b"\"}");
    match rpc.post_raw(&body) {
        // The connection was closed or reset before an answer: rejected.
        Err(e) => eprintln!("oversized body: connection ended: {e}"),
        Ok(resp) => {
            let json = resp.json();
            let has_result = json.as_ref().is_some_and(|j| j.get("result").is_some());
            assert!(
                !has_result,
                "a {OVERSIZED_BODY_BYTES}-byte request was served (HTTP {}): {:?}",
                resp.status, json
            );
            let is_error = json.as_ref().is_some_and(|j| j.get("error").is_some());
            assert!(
                resp.status == 413 || resp.status >= 400 || is_error,
                "oversized body: expected HTTP 413 or a JSON-RPC error, got HTTP {}",
                resp.status
            );
            eprintln!(
                "oversized body: HTTP {} {}",
                resp.status,
                String::from_utf8_lossy(&resp.body[..resp.body.len().min(300)])
            );
        }
    }
    assert_still_serving(&rpc);
}

#[test]
fn rpc_unknown_method_is_32601() {
    let node = TestNode::start();
    let rpc = node.rpc();
    for method in ["eth_noSuchMethod", "trex_doesNotExist", ""] {
        let err = expect_error(rpc.call(method, json!([])), method);
        assert_eq!(err.code, Some(-32601), "{method:?}: {err}");
    }
    assert_still_serving(&rpc);
}

#[test]
fn rpc_bad_params_is_32602() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let cases = [
        ("eth_getBalance", json!(["0x1234", "latest"])),
        ("eth_getBalance", json!(["not an address", "latest"])),
        ("eth_getBlockByNumber", json!(["not a block", false])),
        ("eth_getTransactionReceipt", json!([12])),
        ("eth_sendRawTransaction", json!(["0xzz"])),
        ("eth_sendRawTransaction", json!([])),
    ];
    for (method, params) in cases {
        let err = expect_error(rpc.call(method, params.clone()), method);
        assert_eq!(err.code, Some(-32602), "{method}({params}): {err}");
    }
    assert_still_serving(&rpc);
}

#[test]
fn rpc_malformed_json_is_32700() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let resp = rpc
        .post_raw(br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[}"#)
        .expect("POST");
    let json = resp.json().unwrap_or_else(|| panic!("HTTP {}: non-JSON answer", resp.status));
    assert_eq!(json["error"]["code"], -32700, "{json}");
    assert_still_serving(&rpc);
}
