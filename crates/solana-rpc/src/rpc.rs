//! The JSON-RPC client: balances, SPL token balances and transaction counts.

use std::time::Duration;

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::{SolanaAddress, SolanaRpcError};

/// The most signatures `getSignaturesForAddress` returns per call (the node's cap).
const SIGNATURE_PAGE: u64 = 1_000;

/// The most `getSignaturesForAddress` pages one [`SolanaRpc::signature_count`] reads, so an
/// address with a long history of failed transactions cannot hold a request for minutes.
const MAX_SIGNATURE_PAGES: usize = 50;

/// How much of an unexpected body an error keeps.
const BODY_EXCERPT: usize = 200;

/// The commitment level the client reads at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Commitment {
    /// Voted on by a supermajority: seconds old, and very rarely rolled back.
    Confirmed,
    /// Rooted by a supermajority: about 13 s old and never rolled back. The default, because an
    /// attestation issued on a balance that is later rolled back cannot be taken back.
    #[default]
    Finalized,
}

impl Commitment {
    const fn name(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Finalized => "finalized",
        }
    }
}

/// A Solana JSON-RPC client.
#[derive(Debug, Clone)]
pub struct SolanaRpc {
    url: reqwest::Url,
    http: reqwest::Client,
    timeout: Duration,
    commitment: Commitment,
}

/// The JSON-RPC 2.0 response envelope.
#[derive(Deserialize)]
struct Envelope {
    jsonrpc: String,
    #[serde(default)]
    id: Value,
    result: Option<Value>,
    error: Option<RpcErrorObject>,
}

#[derive(Deserialize)]
struct RpcErrorObject {
    code: i64,
    message: String,
}

/// `{"context": {"slot": …}, "value": …}`, the wrapper of Solana's account-state answers.
#[derive(Deserialize)]
struct WithContext<T> {
    #[allow(dead_code, reason = "required so a wrapper without context is rejected")]
    context: SlotContext,
    value: T,
}

#[derive(Deserialize)]
struct SlotContext {
    #[allow(dead_code, reason = "required so a context without slot is rejected")]
    slot: u64,
}

#[derive(Deserialize)]
struct KeyedAccount {
    account: Account,
}

#[derive(Deserialize)]
struct Account {
    data: ParsedData,
}

#[derive(Deserialize)]
struct ParsedData {
    parsed: ParsedAccount,
}

#[derive(Deserialize)]
struct ParsedAccount {
    info: TokenAccountInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenAccountInfo {
    mint: SolanaAddress,
    owner: SolanaAddress,
    token_amount: TokenAmount,
}

#[derive(Deserialize)]
struct TokenAmount {
    amount: String,
}

#[derive(Deserialize)]
struct SignatureInfo {
    signature: String,
    #[serde(default)]
    err: Option<Value>,
}

impl SolanaRpc {
    /// The timeout of one JSON-RPC request unless [`with_timeout`](Self::with_timeout) sets one.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client of the node at `url`, reading at [`Commitment::Finalized`] with
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT) per request.
    pub fn new(url: reqwest::Url) -> Self {
        Self {
            url,
            http: reqwest::Client::new(),
            timeout: Self::DEFAULT_TIMEOUT,
            commitment: Commitment::default(),
        }
    }

    /// Sets the timeout of each JSON-RPC request.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the commitment level reads are made at.
    #[must_use]
    pub const fn with_commitment(mut self, commitment: Commitment) -> Self {
        self.commitment = commitment;
        self
    }

    /// The node's URL.
    pub const fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The SOL balance of `address` in lamports (`getBalance`).
    ///
    /// # Errors
    /// Transport, timeout, HTTP status, JSON-RPC error or a malformed answer.
    pub async fn balance(&self, address: &SolanaAddress) -> Result<u64, SolanaRpcError> {
        let params = json!([address.to_string(), { "commitment": self.commitment.name() }]);
        let answer: WithContext<u64> = self.call("getBalance", params).await?;
        Ok(answer.value)
    }

    /// The raw amount (base units, before decimals) of `mint` that `owner` holds, summed over
    /// all its token accounts of that mint (`getTokenAccountsByOwner` with `jsonParsed`).
    ///
    /// Token-2022 mints work too: the node picks the token program from the mint.
    ///
    /// # Errors
    /// Transport, timeout, HTTP status, JSON-RPC error, or a malformed answer, including one
    /// listing an account of another mint or owner, or an amount that is not a decimal integer.
    pub async fn token_balance(
        &self,
        owner: &SolanaAddress,
        mint: &SolanaAddress,
    ) -> Result<u128, SolanaRpcError> {
        const METHOD: &str = "getTokenAccountsByOwner";
        let params = json!([
            owner.to_string(),
            { "mint": mint.to_string() },
            { "encoding": "jsonParsed", "commitment": self.commitment.name() },
        ]);
        let answer: WithContext<Vec<KeyedAccount>> = self.call(METHOD, params).await?;
        let mut total: u128 = 0;
        for keyed in answer.value {
            let info = keyed.account.data.parsed.info;
            if info.mint != *mint || info.owner != *owner {
                return Err(malformed(
                    METHOD,
                    format!("listed an account of mint {} owned by {}", info.mint, info.owner),
                ));
            }
            let amount = &info.token_amount.amount;
            let amount = amount
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| amount.parse::<u128>().ok())
                .flatten()
                .ok_or_else(|| malformed(METHOD, format!("token amount {amount:?}")))?;
            total = total
                .checked_add(amount)
                .ok_or_else(|| malformed(METHOD, "token amounts overflow u128".into()))?;
        }
        Ok(total)
    }

    /// The number of successful transactions that touched `address`, counted up to `max`
    /// (`getSignaturesForAddress`, newest first, paging with `before`).
    ///
    /// Failed transactions (`err` not null) are skipped: they paid a fee but did nothing. The
    /// count stops once it reaches `max`, when the node's history ends (a node without full
    /// history only knows recent slots), or after 50,000 signatures; an early stop can only
    /// undercount, which never lets a check pass that should not.
    ///
    /// # Errors
    /// Transport, timeout, HTTP status, JSON-RPC error or a malformed answer.
    pub async fn signature_count(
        &self,
        address: &SolanaAddress,
        max: u64,
    ) -> Result<u64, SolanaRpcError> {
        let mut count = 0;
        let mut before: Option<String> = None;
        for _ in 0..MAX_SIGNATURE_PAGES {
            if count >= max {
                break;
            }
            let limit = (max - count).min(SIGNATURE_PAGE);
            let mut config = json!({ "limit": limit, "commitment": self.commitment.name() });
            if let Some(before) = &before {
                config["before"] = json!(before);
            }
            let page: Vec<SignatureInfo> =
                self.call("getSignaturesForAddress", json!([address.to_string(), config])).await?;
            let full = page.len() as u64 >= limit;
            count += page.iter().filter(|s| s.err.is_none()).count() as u64;
            match page.into_iter().last() {
                Some(last) if full => before = Some(last.signature),
                _ => break,
            }
        }
        Ok(count.min(max))
    }

    /// Sends one JSON-RPC request and decodes its `result` as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<T, SolanaRpcError> {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let timeout = |err: reqwest::Error| {
            if err.is_timeout() {
                SolanaRpcError::Timeout { method, timeout: self.timeout }
            } else {
                SolanaRpcError::Transport(err)
            }
        };
        let response = self
            .http
            .post(self.url.clone())
            .timeout(self.timeout)
            .json(&request)
            .send()
            .await
            .map_err(timeout)?;
        let status = response.status();
        let body = response.text().await.map_err(timeout)?;
        let envelope: Envelope = match serde_json::from_str(&body) {
            Ok(envelope) => envelope,
            Err(_) if !status.is_success() => {
                return Err(SolanaRpcError::HttpStatus {
                    method,
                    status: status.as_u16(),
                    body: excerpt(&body),
                });
            }
            Err(err) => return Err(malformed(method, format!("{err}: {}", excerpt(&body)))),
        };
        // Nodes answer JSON-RPC errors with HTTP 200, and proxies sometimes with 4xx/5xx and a
        // JSON-RPC error body; the error object says more than the status, so it wins.
        if let Some(error) = envelope.error {
            return Err(SolanaRpcError::Rpc { method, code: error.code, message: error.message });
        }
        if !status.is_success() {
            return Err(SolanaRpcError::HttpStatus {
                method,
                status: status.as_u16(),
                body: excerpt(&body),
            });
        }
        if envelope.jsonrpc != "2.0" || envelope.id != json!(1) {
            return Err(malformed(method, "not a JSON-RPC 2.0 answer to this request".into()));
        }
        let result = envelope
            .result
            .ok_or_else(|| malformed(method, "neither `result` nor `error`".into()))?;
        serde_json::from_value(result).map_err(|err| malformed(method, err.to_string()))
    }
}

fn malformed(method: &'static str, reason: String) -> SolanaRpcError {
    SolanaRpcError::Malformed { method, reason }
}

fn excerpt(body: &str) -> String {
    body.chars().take(BODY_EXCERPT).collect()
}
