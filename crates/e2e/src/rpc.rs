//! A minimal JSON-RPC client for tests.

use serde_json::{Value, json};
use std::time::Duration;

/// JSON-RPC over HTTP.
#[derive(Debug, Clone)]
pub struct Rpc {
    /// The endpoint.
    pub url: String,
    http: reqwest::Client,
}

/// A JSON-RPC error answer or a transport failure.
#[derive(Debug)]
pub struct RpcError(pub String);

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Rpc {
    /// A client of `url`.
    pub fn new(url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        Self { url: url.into(), http }
    }

    /// Calls `method`, returning its result or its error.
    pub async fn try_call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|err| RpcError(format!("{method} at {}: {err}", self.url)))?;
        let value: Value = response
            .json()
            .await
            .map_err(|err| RpcError(format!("{method} at {}: {err}", self.url)))?;
        if let Some(error) = value.get("error") {
            return Err(RpcError(format!("{method}: {error}")));
        }
        Ok(value["result"].clone())
    }

    /// Calls `method`; panics on an error.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params).await.unwrap_or_else(|err| panic!("{err}"))
    }

    /// A quantity result as u64.
    pub async fn number(&self, method: &str, params: Value) -> u64 {
        quantity(&self.call(method, params).await)
    }

    /// The block at `tag` (`"latest"`, `"safe"`, `"0x10"`, …), without transactions.
    pub async fn block(&self, tag: &str) -> Value {
        self.call("eth_getBlockByNumber", json!([tag, false])).await
    }
}

/// Parses a hex quantity.
pub fn quantity(value: &Value) -> u64 {
    let text = value.as_str().unwrap_or_else(|| panic!("not a quantity: {value}"));
    u64::from_str_radix(text.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("not a quantity: {value}"))
}

/// A block number as a hex tag.
pub fn tag(number: u64) -> String {
    format!("{number:#x}")
}
