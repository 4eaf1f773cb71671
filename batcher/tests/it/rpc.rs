//! A fake sequencer JSON-RPC (`eth_getBlockByNumber`, `optimism_syncStatus`) over a [`FakeL2`],
//! serving blocks that start with the Isthmus L1-attributes deposit.

use alloy_consensus::{Sealable, transaction::Recovered};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, TxKind, address};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header};
use axum::{Json, Router, extract::State, routing::post};
use kona_protocol::{BlockInfo, L1BlockInfoIsthmus, L2BlockInfo, SyncStatus};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use serde_json::{Value, json};
use std::sync::Arc;
use trex_batcher::{L2Block, L2Source};

use crate::harness::FakeL2;

const DEPOSITOR: Address = address!("DeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001");

fn rpc_block(block: &L2Block) -> Block<op_alloy_rpc_types::Transaction> {
    let info = L1BlockInfoIsthmus {
        number: block.l1_origin_number,
        block_hash: block.l1_origin_hash,
        sequence_number: block.sequence_number,
        ..Default::default()
    };
    let deposit = OpTxEnvelope::Deposit(
        TxDeposit {
            source_hash: B256::with_last_byte(1),
            from: DEPOSITOR,
            to: TxKind::Call(address!("4200000000000000000000000000000000000015")),
            gas_limit: 1_000_000,
            input: info.encode_calldata(),
            ..Default::default()
        }
        .seal_slow(),
    );
    let user = block
        .transactions
        .iter()
        .map(|raw| OpTxEnvelope::decode_2718(&mut raw.as_ref()).expect("valid tx"));
    let txs = std::iter::once(deposit)
        .chain(user)
        .enumerate()
        .map(|(i, tx)| op_alloy_rpc_types::Transaction {
            inner: alloy_rpc_types_eth::Transaction {
                inner: Recovered::new_unchecked(tx, DEPOSITOR),
                block_hash: Some(block.hash),
                block_number: Some(block.number),
                transaction_index: Some(i as u64),
                effective_gas_price: Some(1),
                block_timestamp: Some(block.timestamp),
            },
            deposit_nonce: None,
            deposit_receipt_version: None,
        })
        .collect();
    Block {
        header: Header {
            hash: block.hash,
            inner: alloy_consensus::Header {
                number: block.number,
                parent_hash: block.parent_hash,
                timestamp: block.timestamp,
                ..Default::default()
            },
            total_difficulty: None,
            size: None,
        },
        uncles: vec![],
        transactions: BlockTransactions::Full(txs),
        withdrawals: None,
    }
}

async fn handle(State(l2): State<Arc<FakeL2>>, Json(req): Json<Value>) -> Json<Value> {
    let id = req["id"].clone();
    let result = match req["method"].as_str() {
        Some("eth_getBlockByNumber") => {
            let tag = req["params"][0].as_str().unwrap_or_default();
            let number = u64::from_str_radix(tag.trim_start_matches("0x"), 16).unwrap_or(0);
            let block = l2.block(number).await.unwrap();
            serde_json::to_value(block.as_ref().map(rpc_block)).unwrap()
        }
        Some("optimism_syncStatus") => {
            let (number, hash) = l2.safe_head().await.unwrap();
            let safe = L2BlockInfo {
                block_info: BlockInfo { number, hash, ..Default::default() },
                ..Default::default()
            };
            serde_json::to_value(SyncStatus {
                current_l1: BlockInfo::default(),
                current_l1_finalized: BlockInfo::default(),
                head_l1: BlockInfo::default(),
                safe_l1: BlockInfo::default(),
                finalized_l1: BlockInfo::default(),
                unsafe_l2: safe,
                safe_l2: safe,
                finalized_l2: safe,
                cross_unsafe_l2: safe,
                local_safe_l2: safe,
            })
            .unwrap()
        }
        _ => {
            return Json(
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no"}}),
            );
        }
    };
    Json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// Serves `l2` over JSON-RPC; returns the URL.
pub(crate) async fn serve(l2: Arc<FakeL2>) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap()).parse().unwrap();
    let app = Router::new().route("/", post(handle)).with_state(l2);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
