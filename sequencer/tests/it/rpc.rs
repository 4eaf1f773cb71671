//! A small, dependency-free blocking JSON-RPC client over HTTP/1.1.
//!
//! Hand-written on purpose: the bad-input tests need to send bytes no well-behaved client would
//! send (oversized bodies, malformed JSON), and to see exactly what the server answered (status
//! code, error code, message) without a client library reinterpreting it.

use std::{
    fmt,
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

use serde_json::{Value, json};

/// How long one request may take before the client gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A raw HTTP response.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    /// The body parsed as JSON, if it is JSON.
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A JSON-RPC error object, or a transport failure (code `None`).
#[derive(Debug, Clone)]
pub(crate) struct RpcError {
    pub(crate) code: Option<i64>,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "JSON-RPC error {code}: {}", self.message)?,
            None => write!(f, "transport error: {}", self.message)?,
        }
        if let Some(data) = &self.data {
            write!(f, " (data: {data})")?;
        }
        Ok(())
    }
}

/// A JSON-RPC client for one node.
#[derive(Debug, Clone)]
pub(crate) struct Rpc {
    addr: SocketAddr,
}

impl Rpc {
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    /// POSTs `body` as `application/json` and returns whatever the server answered.
    pub(crate) fn post_raw(&self, body: &[u8]) -> io::Result<HttpResponse> {
        post(self.addr, body)
    }

    /// Sends one JSON-RPC request object and returns the whole response object.
    pub(crate) fn request(&self, request: &Value) -> Result<Value, RpcError> {
        let body = serde_json::to_vec(request).expect("serialize request");
        let resp = self.post_raw(&body).map_err(|e| RpcError {
            code: None,
            message: format!("POST {}: {e}", self.addr),
            data: None,
        })?;
        resp.json().ok_or_else(|| RpcError {
            code: None,
            message: format!(
                "HTTP {} with a non-JSON body: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body[..resp.body.len().min(500)])
            ),
            data: None,
        })
    }

    /// Calls `method` and returns its `result`, or the error object the server answered.
    pub(crate) fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let mut request = json!({"jsonrpc": "2.0", "id": 1, "method": method});
        request["params"] = params;
        let resp = self.request(&request)?;
        if let Some(err) = resp.get("error") {
            return Err(RpcError {
                code: err.get("code").and_then(Value::as_i64),
                message: err.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
                data: err.get("data").cloned(),
            });
        }
        resp.get("result").cloned().ok_or_else(|| RpcError {
            code: None,
            message: format!("response has neither result nor error: {resp}"),
            data: None,
        })
    }

    /// Like [`Rpc::call`], panicking with the method name on error.
    pub(crate) fn ok(&self, method: &str, params: Value) -> Value {
        let shown = params.to_string();
        self.call(method, params).unwrap_or_else(|e| panic!("{method}({shown}) failed: {e}"))
    }

    /// `eth_blockNumber` as a number.
    pub(crate) fn block_number(&self) -> u64 {
        hex_u64(&self.ok("eth_blockNumber", json!([])))
    }

    /// `eth_getBalance` at `latest`.
    pub(crate) fn balance(&self, addr: &str) -> u128 {
        hex_u128(&self.ok("eth_getBalance", json!([addr, "latest"])))
    }

    /// `eth_getTransactionCount` at `tag`.
    pub(crate) fn nonce(&self, addr: &str, tag: &str) -> u64 {
        hex_u64(&self.ok("eth_getTransactionCount", json!([addr, tag])))
    }

    /// `eth_getBlockByNumber` without transaction bodies; `None` if the node has no such block.
    pub(crate) fn block(&self, number: u64) -> Option<Value> {
        let b = self.ok("eth_getBlockByNumber", json!([format!("{number:#x}"), false]));
        (!b.is_null()).then_some(b)
    }

    /// `eth_getTransactionReceipt`; `None` while the transaction is pending or unknown.
    pub(crate) fn receipt(&self, hash: &str) -> Option<Value> {
        let r = self.ok("eth_getTransactionReceipt", json!([hash]));
        (!r.is_null()).then_some(r)
    }

    /// Polls for a receipt until `timeout`.
    pub(crate) fn wait_receipt(&self, hash: &str, timeout: Duration) -> Value {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.receipt(hash) {
                return r;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no receipt for {hash} after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Parses a `0x`-prefixed hex quantity.
pub(crate) fn hex_u64(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("expected a hex quantity, got {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Parses a `0x`-prefixed hex quantity.
pub(crate) fn hex_u128(v: &Value) -> u128 {
    let s = v.as_str().unwrap_or_else(|| panic!("expected a hex quantity, got {v}"));
    u128::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn post(addr: SocketAddr, body: &[u8]) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    // A server that rejects a large body may answer and close before reading all of it: keep
    // what it answered rather than reporting the broken pipe.
    let write_result = stream.write_all(body).and_then(|()| stream.flush());
    let mut raw = Vec::new();
    let read_result = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        write_result?;
        read_result?;
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "empty response"));
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let split =
        raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("non-UTF-8 headers"))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = &raw[split + 4..];
    let body =
        if chunked { dechunk(body).ok_or_else(|| bad("bad chunked body"))? } else { body.to_vec() };
    Ok(HttpResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_str = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let r = parse_response(
            b"HTTP/1.1 413 Payload Too Large\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (413, &b"abcde"[..]));
    }
}
