//! Errors of the Solana client.

use std::time::Duration;

/// Errors of `trex-solana-rpc`.
#[derive(Debug, thiserror::Error)]
pub enum SolanaRpcError {
    /// Not a base58 32-byte address.
    #[error("invalid Solana address {0}")]
    InvalidAddress(String),
    /// The HTTP request failed (connection refused, reset, body not readable).
    #[error("Solana RPC transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// The node did not answer within the client's timeout.
    #[error("Solana RPC `{method}` timed out after {timeout:?}")]
    Timeout {
        /// The JSON-RPC method.
        method: &'static str,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The node answered with an HTTP status other than 200 (e.g. 429 when rate limited).
    #[error("Solana RPC `{method}` answered HTTP {status}: {body}")]
    HttpStatus {
        /// The JSON-RPC method.
        method: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The start of the body, for the log.
        body: String,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("Solana RPC `{method}` failed with error {code}: {message}")]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The error code (e.g. -32602 invalid params, -32005 node unhealthy).
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The answer is not the JSON-RPC response the method documents.
    #[error("Solana RPC `{method}` answered malformed JSON: {reason}")]
    Malformed {
        /// The JSON-RPC method.
        method: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A signature is not 64 bytes of base58, or the address is not an ed25519 public key
    /// (a program-derived address cannot sign).
    #[error("malformed ed25519 signature or key: {0}")]
    MalformedSignature(String),
    /// The signature is well formed but does not verify for this address and message.
    #[error("ed25519 signature does not verify for {0} over the message")]
    SignatureMismatch(String),
}
