//! A local Solana JSON-RPC server for tests (feature `test-utils`).
//!
//! It answers `getBalance`, `getTokenAccountsByOwner` (`jsonParsed`) and
//! `getSignaturesForAddress` from state the test sets, in the shapes Solana documents (the
//! shapes of `testdata/*.json`), and can be told to answer a method with a canned body instead:
//! a recorded response, a JSON-RPC error or garbage.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::Arc,
};

use axum::{Router, extract::State, http::StatusCode, routing::post};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::{SolanaAddress, SolanaRpc};

/// The slot the server reports in every `context`.
pub const MOCK_SLOT: u64 = 341_197_933;

/// The SPL Token program, the owner of every token account the server lists.
const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

#[derive(Debug, Clone)]
struct TokenAccount {
    pubkey: SolanaAddress,
    owner: SolanaAddress,
    mint: SolanaAddress,
    amount: u128,
    decimals: u8,
}

#[derive(Debug, Clone)]
struct SignatureEntry {
    signature: String,
    slot: u64,
    failed: bool,
}

#[derive(Debug, Default)]
struct MockState {
    balances: HashMap<SolanaAddress, u64>,
    token_accounts: Vec<TokenAccount>,
    /// Newest first, as the node lists them.
    signatures: HashMap<SolanaAddress, Vec<SignatureEntry>>,
    canned: HashMap<String, VecDeque<(StatusCode, String)>>,
    requests: Vec<Value>,
    next_id: u64,
}

/// A Solana JSON-RPC server on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct MockSolanaRpc {
    url: reqwest::Url,
    state: Arc<Mutex<MockState>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for MockSolanaRpc {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MockSolanaRpc {
    /// Starts a server on a free local port.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(MockState::default()));
        let app = Router::new().route("/", post(handle)).with_state(state.clone());
        let server = tokio::spawn(async move {
            // The server lives until the test drops it (abort); a serve error ends it early and
            // the test then sees connection errors.
            let _ = axum::serve(listener, app).await;
        });
        let url = format!("http://{addr}/")
            .parse()
            .map_err(|err| std::io::Error::other(format!("{err}")))?;
        Ok(Self { url, state, server })
    }

    /// The server's URL.
    pub const fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// A client of this server.
    pub fn client(&self) -> SolanaRpc {
        SolanaRpc::new(self.url.clone())
    }

    /// Sets the lamports `getBalance` reports for `address` (others have 0).
    pub fn set_balance(&self, address: SolanaAddress, lamports: u64) {
        self.state.lock().balances.insert(address, lamports);
    }

    /// Adds a token account of `mint` owned by `owner` holding `amount` base units.
    pub fn add_token_account(
        &self,
        owner: SolanaAddress,
        mint: SolanaAddress,
        amount: u128,
        decimals: u8,
    ) {
        let mut state = self.state.lock();
        let pubkey = synthetic_key(b"token-account", state.next_id);
        state.next_id += 1;
        state.token_accounts.push(TokenAccount { pubkey, owner, mint, amount, decimals });
    }

    /// Adds `successful` and then `failed` transactions to `address`'s history, older than
    /// those already there.
    pub fn add_signatures(&self, address: SolanaAddress, successful: usize, failed: usize) {
        let mut state = self.state.lock();
        for failed in
            std::iter::repeat_n(false, successful).chain(std::iter::repeat_n(true, failed))
        {
            let id = state.next_id;
            state.next_id += 1;
            let signature = bs58::encode(
                [
                    synthetic_key(b"sig-lo", id).as_bytes().as_slice(),
                    synthetic_key(b"sig-hi", id).as_bytes(),
                ]
                .concat(),
            )
            .into_string();
            let history = state.signatures.entry(address).or_default();
            let slot = MOCK_SLOT - history.len() as u64;
            history.push(SignatureEntry { signature, slot, failed });
        }
    }

    /// Answers the next call of `method` with `body` and HTTP `status` instead of from state
    /// (calls queue up, first in first out).
    pub fn respond_with(&self, method: &str, status: u16, body: impl Into<String>) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.state
            .lock()
            .canned
            .entry(method.to_owned())
            .or_default()
            .push_back((status, body.into()));
    }

    /// Every request body received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.state.lock().requests.clone()
    }
}

/// A deterministic 32-byte key for generated accounts and signatures.
fn synthetic_key(domain: &[u8], id: u64) -> SolanaAddress {
    let hash = alloy_primitives::keccak256([domain, &id.to_be_bytes()].concat());
    SolanaAddress::new(hash.0)
}

async fn handle(State(state): State<Arc<Mutex<MockState>>>, body: String) -> (StatusCode, String) {
    let request: Value = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(_) => return (StatusCode::OK, error_body(&Value::Null, -32700, "Parse error")),
    };
    let mut state = state.lock();
    state.requests.push(request.clone());
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request.get("method").and_then(Value::as_str).unwrap_or_default().to_owned();
    if let Some(canned) = state.canned.get_mut(&method).and_then(VecDeque::pop_front) {
        return canned;
    }
    let params = request.get("params").cloned().unwrap_or(Value::Null);
    let address = |index: usize| -> Option<SolanaAddress> {
        params.get(index).and_then(Value::as_str).and_then(|s| s.parse().ok())
    };
    let result = match method.as_str() {
        "getBalance" => address(0).map(|address| {
            let lamports = state.balances.get(&address).copied().unwrap_or(0);
            with_context(json!(lamports))
        }),
        "getTokenAccountsByOwner" => address(0).and_then(|owner| {
            let mint: SolanaAddress = params.get(1)?.get("mint")?.as_str()?.parse().ok()?;
            let accounts = state
                .token_accounts
                .iter()
                .filter(|a| a.owner == owner && a.mint == mint)
                .map(token_account_json)
                .collect::<Vec<_>>();
            Some(with_context(Value::Array(accounts)))
        }),
        "getSignaturesForAddress" => address(0).map(|address| {
            let config = params.get(1);
            let limit =
                config.and_then(|c| c.get("limit")).and_then(Value::as_u64).unwrap_or(1_000);
            let before = config.and_then(|c| c.get("before")).and_then(Value::as_str);
            let history = state.signatures.get(&address).map(Vec::as_slice).unwrap_or_default();
            let start = before
                .and_then(|b| history.iter().position(|s| s.signature == b).map(|i| i + 1))
                .unwrap_or(0);
            let page = history
                .iter()
                .skip(start)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(signature_json)
                .collect();
            Value::Array(page)
        }),
        _ => return (StatusCode::OK, error_body(&id, -32601, "Method not found")),
    };
    match result {
        Some(result) => {
            (StatusCode::OK, json!({ "jsonrpc": "2.0", "result": result, "id": id }).to_string())
        }
        None => (StatusCode::OK, error_body(&id, -32602, "Invalid params: invalid pubkey")),
    }
}

fn error_body(id: &Value, code: i64, message: &str) -> String {
    json!({ "jsonrpc": "2.0", "error": { "code": code, "message": message }, "id": id }).to_string()
}

fn with_context(value: Value) -> Value {
    json!({ "context": { "apiVersion": "2.2.3", "slot": MOCK_SLOT }, "value": value })
}

fn token_account_json(account: &TokenAccount) -> Value {
    json!({
        "pubkey": account.pubkey.to_string(),
        "account": {
            "data": {
                "program": "spl-token",
                "parsed": {
                    "info": {
                        "isNative": false,
                        "mint": account.mint.to_string(),
                        "owner": account.owner.to_string(),
                        "state": "initialized",
                        "tokenAmount": {
                            "amount": account.amount.to_string(),
                            "decimals": account.decimals,
                            "uiAmount": ui_amount(account.amount, account.decimals).parse::<f64>().ok(),
                            "uiAmountString": ui_amount(account.amount, account.decimals),
                        },
                    },
                    "type": "account",
                },
                "space": 165,
            },
            "executable": false,
            "lamports": 2_039_280,
            "owner": TOKEN_PROGRAM,
            "rentEpoch": u64::MAX,
            "space": 165,
        },
    })
}

/// The amount with the decimal point placed and trailing zeros dropped, as the node writes it.
fn ui_amount(amount: u128, decimals: u8) -> String {
    let digits = format!("{amount:0>width$}", width = usize::from(decimals) + 1);
    let (whole, fraction) = digits.split_at(digits.len() - usize::from(decimals));
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_owned() } else { format!("{whole}.{fraction}") }
}

fn signature_json(entry: &SignatureEntry) -> Value {
    let err = if entry.failed {
        json!({ "InstructionError": [0, { "Custom": 6001 }] })
    } else {
        Value::Null
    };
    json!({
        "signature": entry.signature,
        "slot": entry.slot,
        "err": err,
        "memo": null,
        "blockTime": 1_736_000_000 + entry.slot % 1_000,
        "confirmationStatus": "finalized",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_amounts_place_the_point() {
        assert_eq!(ui_amount(420_000_000_000_000, 6), "420000000");
        assert_eq!(ui_amount(1_500_000, 6), "1.5");
        assert_eq!(ui_amount(5, 9), "0.000000005");
        assert_eq!(ui_amount(0, 0), "0");
    }
}
