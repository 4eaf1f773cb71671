//! A small Ethereum JSON-RPC client over HTTP: single calls, batch calls and the handful of typed
//! helpers the load generator needs.
//!
//! It deliberately avoids the full provider stack: the measured phase sends pre-encoded raw
//! transactions as fast as possible, and batching is done by hand.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{Address, B256, U64, U256};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::error::{LoadgenError, Result};

/// How long one HTTP request may take before it is abandoned.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One JSON-RPC call to put into a batch.
#[derive(Debug, Clone)]
pub struct RpcCall {
    /// Method name, e.g. `eth_getBalance`.
    pub method: &'static str,
    /// Positional parameters.
    pub params: Value,
}

impl RpcCall {
    /// Builds a call.
    pub fn new(method: &'static str, params: Value) -> Self {
        Self { method, params }
    }
}

/// A JSON-RPC error object as returned for one call of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RpcErrorObject {
    /// Error code.
    pub code: i64,
    /// Human-readable message.
    pub message: String,
}

/// The fields of a block the watcher needs (`eth_getBlockByNumber(n, false)`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockSummary {
    /// Block number.
    pub number: U64,
    /// Block timestamp in seconds.
    pub timestamp: U64,
    /// Gas used by all transactions of the block.
    pub gas_used: U64,
    /// Hashes of the block's transactions.
    pub transactions: Vec<B256>,
}

/// The fields of a receipt the load generator checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptSummary {
    /// Transaction hash.
    pub transaction_hash: B256,
    /// Block the transaction was included in.
    pub block_number: U64,
    /// `1` for success, `0` for a revert.
    pub status: U64,
    /// Gas used by this transaction.
    pub gas_used: U64,
    /// Address of the created contract, for deployments.
    pub contract_address: Option<Address>,
}

/// JSON-RPC client for one HTTP endpoint. Clones share the connection pool.
#[derive(Debug, Clone)]
pub struct RpcClient {
    http: reqwest::Client,
    url: String,
    next_id: Arc<AtomicU64>,
}

impl RpcClient {
    /// Creates a client for `url` (e.g. `http://127.0.0.1:8545`).
    pub fn new(url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(|source| LoadgenError::Http { url: url.clone(), source })?;
        Ok(Self { http, url, next_id: Arc::new(AtomicU64::new(1)) })
    }

    /// The endpoint this client talks to.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn post(&self, method: &str, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(&self.url)
            .json(body)
            .send()
            .await
            .map_err(|source| LoadgenError::Http { url: self.url.clone(), source })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| LoadgenError::Http { url: self.url.clone(), source })?;
        serde_json::from_slice(&bytes).map_err(|e| LoadgenError::BadResponse {
            method: method.to_owned(),
            detail: format!(
                "http {status}, body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
        })
    }

    /// Calls `method` and deserializes its result.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<T> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let response = self.post(method, &body).await?;
        let result = split_response(method, response)?.map_err(|e| LoadgenError::Rpc {
            method: method.to_owned(),
            code: e.code,
            message: e.message,
        })?;
        decode(method, result)
    }

    /// Sends `calls` as one JSON-RPC batch and returns the outcomes in the order of `calls`.
    ///
    /// The outer `Result` fails when the whole request fails; each inner one carries the node's
    /// answer to that call.
    pub async fn batch(
        &self,
        calls: &[RpcCall],
    ) -> Result<Vec<std::result::Result<Value, RpcErrorObject>>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let first_id = self.next_id.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "jsonrpc": "2.0",
                    "id": first_id + i as u64,
                    "method": c.method,
                    "params": c.params,
                })
            })
            .collect();
        let method = calls[0].method;
        let response = self.post(method, &Value::Array(body)).await?;
        let Value::Array(items) = response else {
            // A node that rejects the batch as a whole answers with one error object.
            let detail = match split_response(method, response) {
                Ok(Err(e)) => format!("batch rejected: {} ({})", e.message, e.code),
                _ => "batch answered with a non-array".to_owned(),
            };
            return Err(LoadgenError::BadResponse { method: method.to_owned(), detail });
        };
        let mut by_id: HashMap<u64, std::result::Result<Value, RpcErrorObject>> =
            HashMap::with_capacity(items.len());
        for item in items {
            let id = item.get("id").and_then(Value::as_u64).ok_or_else(|| {
                LoadgenError::BadResponse {
                    method: method.to_owned(),
                    detail: format!("batch item without a numeric id: {item}"),
                }
            })?;
            by_id.insert(id, split_response(method, item)?);
        }
        (0..calls.len() as u64)
            .map(|i| {
                by_id.remove(&(first_id + i)).ok_or_else(|| LoadgenError::BadResponse {
                    method: calls[i as usize].method.to_owned(),
                    detail: format!("batch answer lacks id {}", first_id + i),
                })
            })
            .collect()
    }

    /// Sends one batch per chunk of `calls` and decodes every result, failing on the first error.
    pub async fn batch_all<T: DeserializeOwned>(
        &self,
        calls: &[RpcCall],
        chunk: usize,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(calls.len());
        for part in calls.chunks(chunk.max(1)) {
            for (call, outcome) in part.iter().zip(self.batch(part).await?) {
                let value = outcome.map_err(|e| LoadgenError::Rpc {
                    method: call.method.to_owned(),
                    code: e.code,
                    message: e.message,
                })?;
                out.push(decode(call.method, value)?);
            }
        }
        Ok(out)
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64> {
        Ok(self.call::<U64>("eth_chainId", json!([])).await?.to())
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64> {
        Ok(self.call::<U64>("eth_blockNumber", json!([])).await?.to())
    }

    /// `eth_gasPrice`.
    pub async fn gas_price(&self) -> Result<u128> {
        Ok(self.call::<U256>("eth_gasPrice", json!([])).await?.to())
    }

    /// `eth_maxPriorityFeePerGas`.
    pub async fn max_priority_fee(&self) -> Result<u128> {
        Ok(self.call::<U256>("eth_maxPriorityFeePerGas", json!([])).await?.to())
    }

    /// `eth_getBalance` at `latest` for each address, batched.
    pub async fn balances(&self, addresses: &[Address]) -> Result<Vec<U256>> {
        let calls: Vec<_> = addresses
            .iter()
            .map(|a| RpcCall::new("eth_getBalance", json!([a, "latest"])))
            .collect();
        self.batch_all(&calls, 200).await
    }

    /// `eth_getTransactionCount` at `pending` for each address, batched.
    pub async fn pending_nonces(&self, addresses: &[Address]) -> Result<Vec<u64>> {
        let calls: Vec<_> = addresses
            .iter()
            .map(|a| RpcCall::new("eth_getTransactionCount", json!([a, "pending"])))
            .collect();
        let nonces: Vec<U64> = self.batch_all(&calls, 200).await?;
        Ok(nonces.into_iter().map(|n| n.to()).collect())
    }

    /// `eth_estimateGas` for a transaction from `from` to `to` (a deployment when `None`)
    /// carrying `value` and `data`.
    pub async fn estimate_gas(
        &self,
        from: Address,
        to: Option<Address>,
        value: U256,
        data: &[u8],
    ) -> Result<u64> {
        let mut tx = json!({
            "from": from,
            "value": value,
            "input": alloy_primitives::hex::encode_prefixed(data),
        });
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        Ok(self.call::<U64>("eth_estimateGas", json!([tx])).await?.to())
    }

    /// `eth_getBlockByNumber(n, false)` for each number, batched; `None` for unknown blocks.
    pub async fn blocks(&self, numbers: &[u64]) -> Result<Vec<Option<BlockSummary>>> {
        let calls: Vec<_> = numbers
            .iter()
            .map(|n| RpcCall::new("eth_getBlockByNumber", json!([U64::from(*n), false])))
            .collect();
        self.batch_all(&calls, 100).await
    }

    /// `eth_getTransactionReceipt` for each hash, batched; `None` for unknown transactions.
    pub async fn receipts(&self, hashes: &[B256]) -> Result<Vec<Option<ReceiptSummary>>> {
        let calls: Vec<_> =
            hashes.iter().map(|h| RpcCall::new("eth_getTransactionReceipt", json!([h]))).collect();
        self.batch_all(&calls, 200).await
    }
}

/// Splits a JSON-RPC response object into its result or its error.
fn split_response(
    method: &str,
    mut response: Value,
) -> Result<std::result::Result<Value, RpcErrorObject>> {
    if let Some(error) = response.get_mut("error").map(Value::take) {
        let error: RpcErrorObject =
            serde_json::from_value(error.clone()).map_err(|e| LoadgenError::BadResponse {
                method: method.to_owned(),
                detail: format!("malformed error object {error}: {e}"),
            })?;
        return Ok(Err(error));
    }
    match response.get_mut("result") {
        Some(result) => Ok(Ok(result.take())),
        None => Err(LoadgenError::BadResponse {
            method: method.to_owned(),
            detail: format!("neither result nor error in {response}"),
        }),
    }
}

fn decode<T: DeserializeOwned>(method: &str, value: Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| LoadgenError::BadResponse { method: method.to_owned(), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_response_separates_result_and_error() {
        let ok = split_response("m", json!({"jsonrpc": "2.0", "id": 1, "result": "0x1"})).unwrap();
        assert_eq!(ok, Ok(json!("0x1")));
        let err = split_response(
            "m",
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low"}}),
        )
        .unwrap();
        assert_eq!(err, Err(RpcErrorObject { code: -32000, message: "nonce too low".into() }));
        assert!(split_response("m", json!({"jsonrpc": "2.0", "id": 1})).is_err());
    }

    #[test]
    fn block_summary_decodes_hash_only_blocks() {
        let block: BlockSummary = serde_json::from_value(json!({
            "number": "0x10",
            "timestamp": "0x5",
            "gasUsed": "0x5208",
            "hash": "0x0000000000000000000000000000000000000000000000000000000000000001",
            "transactions": ["0x00000000000000000000000000000000000000000000000000000000000000aa"],
        }))
        .unwrap();
        assert_eq!(block.number.to::<u64>(), 16);
        assert_eq!(block.gas_used.to::<u64>(), 21_000);
        assert_eq!(block.transactions.len(), 1);
    }
}
