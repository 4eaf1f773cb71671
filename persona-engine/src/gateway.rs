//! The off-chain gateway's authentication: each client signs `"<timestamp>." ‖ body` with its
//! own HMAC key ([`trex_sdk::persona::gateway_signature`]); a request is accepted only from a
//! known client, signed within [`MAX_CLOCK_SKEW`] of now, with a signature over exactly the
//! bytes received.

use std::collections::HashMap;

use axum::http::HeaderMap;
use trex_sdk::persona::{
    CLIENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_gateway_signature,
};

use crate::{GatewayClient, PersonaError};

/// How far a request's timestamp may be from the engine's clock, in seconds. It bounds how
/// long a captured request can be replayed; a replay within it is harmless (results are
/// idempotent by id).
pub const MAX_CLOCK_SKEW: u64 = 300;

/// The gateway's clients and their keys.
#[derive(Clone, Default)]
pub(crate) struct GatewayAuth {
    keys: HashMap<String, Vec<u8>>,
}

impl std::fmt::Debug for GatewayAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayAuth").field("clients", &self.keys.keys()).finish()
    }
}

fn unauthorized(message: impl Into<String>) -> PersonaError {
    PersonaError::Unauthorized(message.into())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, PersonaError> {
    headers
        .get(name)
        .ok_or_else(|| unauthorized(format!("missing {name} header")))?
        .to_str()
        .map_err(|_| unauthorized(format!("{name} is not visible ASCII")))
}

impl GatewayAuth {
    pub(crate) fn new(clients: &[GatewayClient]) -> Self {
        Self { keys: clients.iter().map(|c| (c.id.clone(), c.key.clone())).collect() }
    }

    /// The client that signed `body`, checked against `now` (Unix seconds).
    pub(crate) fn verify<'a>(
        &'a self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<&'a str, PersonaError> {
        let client = header(headers, CLIENT_HEADER)?;
        let (id, key) = self
            .keys
            .get_key_value(client)
            .ok_or_else(|| unauthorized(format!("unknown gateway client `{client}`")))?;
        let timestamp: u64 = header(headers, TIMESTAMP_HEADER)?
            .trim()
            .parse()
            .map_err(|_| unauthorized(format!("{TIMESTAMP_HEADER} is not Unix seconds")))?;
        if timestamp.abs_diff(now) > MAX_CLOCK_SKEW {
            return Err(unauthorized(format!(
                "{TIMESTAMP_HEADER} {timestamp} is more than {MAX_CLOCK_SKEW} s from the \
                 server's clock ({now})"
            )));
        }
        let signature = header(headers, SIGNATURE_HEADER)?;
        if !verify_gateway_signature(key, timestamp, body, signature.trim()) {
            return Err(unauthorized(format!(
                "{SIGNATURE_HEADER} does not match the body and timestamp for client `{id}`"
            )));
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use trex_sdk::persona::gateway_signature;

    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn auth() -> GatewayAuth {
        GatewayAuth::new(&["v1=00112233445566778899aabbccddeeff".parse().unwrap()])
    }

    fn headers(client: &str, timestamp: u64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CLIENT_HEADER, client.parse().unwrap());
        headers.insert(TIMESTAMP_HEADER, timestamp.to_string().parse().unwrap());
        headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        headers
    }

    fn signed(timestamp: u64, body: &[u8]) -> String {
        let key = hex::decode("00112233445566778899aabbccddeeff").unwrap();
        format!("sha256={}", gateway_signature(&key, timestamp, body))
    }

    #[test]
    fn accepts_a_fresh_signature_of_the_body() {
        let auth = auth();
        let h = headers("v1", NOW - MAX_CLOCK_SKEW, &signed(NOW - MAX_CLOCK_SKEW, b"{}"));
        assert_eq!(auth.verify(&h, b"{}", NOW).unwrap(), "v1");
    }

    #[rstest::rstest]
    #[case::unknown_client("v2", NOW, b"{}", "unknown gateway client")]
    #[case::stale("v1", NOW - MAX_CLOCK_SKEW - 1, b"{}", "from the server's clock")]
    #[case::future("v1", NOW + MAX_CLOCK_SKEW + 1, b"{}", "from the server's clock")]
    #[case::other_body("v1", NOW, b"{ }", "does not match")]
    fn refuses(#[case] client: &str, #[case] ts: u64, #[case] body: &[u8], #[case] why: &str) {
        let h = headers(client, ts, &signed(ts, b"{}"));
        let err = auth().verify(&h, body, NOW).unwrap_err();
        assert!(matches!(err, PersonaError::Unauthorized(ref m) if m.contains(why)), "{err}");
    }

    #[test]
    fn refuses_missing_headers() {
        let mut h = headers("v1", NOW, &signed(NOW, b"{}"));
        h.remove(SIGNATURE_HEADER);
        assert!(auth().verify(&h, b"{}", NOW).unwrap_err().to_string().contains("missing"));
    }
}
