//! The Celestia backend: blobs submitted through a celestia-node JSON-RPC endpoint.

use super::DaBackend;
use crate::{DaCommitment, DaError};
use base64::Engine;
use bytes::Bytes;
use celestia_rpc::{BlobClient, Client, HeaderClient, TxConfig};
use celestia_types::{Blob, Commitment, nmt::Namespace};
use jsonrpsee::core::ClientError;
use std::{future::Future, time::Duration};
use tracing::{debug, warn};

/// The message celestia-node answers `blob.Get` with when no such blob exists.
const BLOB_NOT_FOUND: &str = "blob: not found";
/// The longest pause between two retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How to reach Celestia and where to post.
#[derive(Debug, Clone)]
pub struct CelestiaConfig {
    /// The celestia-node JSON-RPC URL (`http(s)://` or `ws(s)://`).
    pub rpc_url: String,
    /// The node's auth token (`celestia light auth write`), sent as a bearer token.
    pub auth_token: Option<String>,
    /// The namespace blobs are submitted into and read from.
    pub namespace: Namespace,
    /// The limit on every RPC call; a `blob.Submit` exceeding it has an unknown outcome.
    pub timeout: Duration,
    /// How many times a transiently failing call is retried (so at most `max_retries + 1` tries).
    pub max_retries: u32,
    /// The pause before the first retry; doubled after each retry, capped at 30 s.
    pub retry_backoff: Duration,
}

/// Parses a namespace given as hex (optionally `0x`-prefixed) or, failing that, base64.
///
/// Accepted: the full 29-byte namespace (version byte ‖ 28-byte id), or a version-0 id suffix of
/// at most 10 bytes. Reserved namespaces and versions other than 0 are rejected.
pub fn parse_namespace(text: &str) -> Result<Namespace, DaError> {
    let invalid =
        |reason: String| DaError::Config(format!("--celestia.namespace {text:?}: {reason}"));
    let text = text.trim();
    let hex_digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = match hex::decode(hex_digits) {
        Ok(bytes) => bytes,
        Err(_) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| invalid("neither hex nor base64".into()))?,
    };
    let namespace = match bytes.len() {
        0 => return Err(invalid("empty".into())),
        celestia_types::nmt::NS_SIZE => Namespace::from_raw(&bytes),
        n if n <= celestia_types::nmt::NS_ID_V0_SIZE => Namespace::new_v0(&bytes),
        n => {
            return Err(invalid(format!(
                "{n} bytes; expected a 29-byte namespace or a version-0 id of at most 10 bytes"
            )));
        }
    }
    .map_err(|err| invalid(err.to_string()))?;
    if namespace.version() != 0 {
        return Err(invalid(format!(
            "version {} namespaces cannot hold blobs",
            namespace.version()
        )));
    }
    if namespace.is_reserved() {
        return Err(invalid("reserved namespace".into()));
    }
    Ok(namespace)
}

/// Posts blobs to Celestia and reads them back; commitment `0x01 ‖ 0x0c ‖ height ‖ share commitment`.
pub struct CelestiaBackend {
    client: Client,
    config: CelestiaConfig,
}

impl std::fmt::Debug for CelestiaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelestiaBackend")
            .field("rpc_url", &self.config.rpc_url)
            .field("namespace", &hex::encode(self.config.namespace.as_bytes()))
            .finish_non_exhaustive()
    }
}

/// How a failed call is handled.
enum Failure {
    /// The call exceeded the timeout.
    Timeout,
    /// Worth retrying: the node was unreachable or answered an error.
    Transient(String),
    /// Retrying will not help.
    Permanent(String),
    /// `blob.Get` found no such blob.
    NotFound,
}

impl Failure {
    fn classify(err: ClientError) -> Self {
        match err {
            ClientError::RequestTimeout => Self::Timeout,
            ClientError::Call(obj) if obj.message().contains(BLOB_NOT_FOUND) => Self::NotFound,
            // A node-side error (mempool full, sequence mismatch, not synced, …): the node did not
            // take the blob, so trying again is safe.
            ClientError::Call(obj) => {
                Self::Transient(format!("node error {}: {}", obj.code(), obj.message()))
            }
            err @ (ClientError::Transport(_) | ClientError::RestartNeeded(_)) => {
                Self::Transient(err.to_string())
            }
            err => Self::Permanent(err.to_string()),
        }
    }
}

impl CelestiaBackend {
    /// Creates the client. A `ws(s)://` URL connects now ([`DaError::Unavailable`] if the node is
    /// down); an `http(s)://` URL connects on the first call.
    pub async fn connect(config: CelestiaConfig) -> Result<Self, DaError> {
        let client = Client::new(
            &config.rpc_url,
            config.auth_token.as_deref(),
            Some(config.timeout),
            Some(config.timeout),
        )
        .await
        .map_err(|err| {
            let reason = format!("cannot create a celestia client for {}: {err}", config.rpc_url);
            // A WebSocket client connects here: failing to is the node being down, not bad flags.
            if config.rpc_url.starts_with("ws") {
                DaError::Unavailable(reason)
            } else {
                DaError::Config(reason)
            }
        })?;
        Ok(Self { client, config })
    }

    /// The configured namespace.
    pub const fn namespace(&self) -> Namespace {
        self.config.namespace
    }

    /// Runs `call` with the timeout and up to `max_retries` retries with exponential backoff.
    /// Timeouts are returned to the caller (`Failure::Timeout`), never retried here.
    async fn with_retries<T, F, Fut>(&self, what: &str, mut call: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut backoff = self.config.retry_backoff;
        let mut attempt = 0;
        loop {
            let failure = match tokio::time::timeout(self.config.timeout, call()).await {
                Ok(Ok(value)) => return Ok(value),
                Err(_elapsed) => Failure::Timeout,
                Ok(Err(err)) => Failure::classify(err),
            };
            match failure {
                Failure::Transient(reason) if attempt < self.config.max_retries => {
                    attempt += 1;
                    warn!(target: "da::celestia", %reason, attempt, ?backoff, "{what} failed, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Failure::Transient(reason) => {
                    return Err(Failure::Transient(format!(
                        "{what} failed after {} tries: {reason}",
                        attempt + 1
                    )));
                }
                other => return Err(other),
            }
        }
    }
}

#[async_trait::async_trait]
impl DaBackend for CelestiaBackend {
    fn name(&self) -> &'static str {
        "celestia"
    }

    async fn put(&self, data: Bytes) -> Result<DaCommitment, DaError> {
        // Share version 0 (no signer): the commitment is computed locally, as the node will.
        let blob = Blob::new(self.config.namespace, data.to_vec(), None).map_err(|err| {
            DaError::InvalidRequest(format!("cannot make a celestia blob: {err}"))
        })?;
        let share_commitment = *blob.commitment.hash();
        let blobs = [blob];
        let height = self
            .with_retries("blob.Submit", || self.client.blob_submit(&blobs, TxConfig::default()))
            .await
            .map_err(|failure| match failure {
                Failure::Timeout => DaError::UnknownOutcome(self.config.timeout),
                Failure::Transient(reason) => DaError::Unavailable(reason),
                Failure::Permanent(reason) => DaError::Rejected(reason),
                Failure::NotFound => DaError::Rejected("blob.Submit answered 'not found'".into()),
            })?;
        debug!(target: "da::celestia", height, bytes = data.len(), "blob included");
        Ok(DaCommitment::Celestia { height, share_commitment })
    }

    async fn get(&self, commitment: &DaCommitment) -> Result<Bytes, DaError> {
        let DaCommitment::Celestia { height, share_commitment } = *commitment else {
            return Err(DaError::WrongBackend {
                commitment: commitment.kind(),
                backend: self.name(),
            });
        };
        let namespace = self.config.namespace;
        let blob = self
            .with_retries("blob.Get", || {
                self.client.blob_get(height, namespace, Commitment::new(share_commitment))
            })
            .await
            .map_err(|failure| match failure {
                Failure::NotFound => DaError::NotFound(hex::encode(commitment.encode())),
                Failure::Timeout => DaError::Unavailable(format!(
                    "blob.Get did not answer within {:?}",
                    self.config.timeout
                )),
                Failure::Transient(reason) => DaError::Unavailable(reason),
                Failure::Permanent(reason) => DaError::Rejected(reason),
            })?;
        if blob.namespace != namespace || *blob.commitment.hash() != share_commitment {
            return Err(DaError::Corrupt(format!(
                "blob.Get answered another blob than {commitment}"
            )));
        }
        blob.validate_with_commitment(&Commitment::new(share_commitment))
            .map_err(|err| DaError::Corrupt(format!("blob under {commitment}: {err}")))?;
        Ok(Bytes::from(blob.data))
    }

    async fn health(&self) -> Result<String, DaError> {
        let head = self
            .with_retries("header.LocalHead", || self.client.header_local_head())
            .await
            .map_err(|failure| {
                DaError::Unavailable(match failure {
                    Failure::Timeout => {
                        format!("header.LocalHead did not answer within {:?}", self.config.timeout)
                    }
                    Failure::Transient(reason) | Failure::Permanent(reason) => reason,
                    Failure::NotFound => "header.LocalHead: not found".into(),
                })
            })?;
        Ok(format!(
            "celestia node {} at height {}, namespace 0x{}",
            self.config.rpc_url,
            head.height(),
            hex::encode(self.config.namespace.as_bytes())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::suffix_hex("0x74726578", &[0x74, 0x72, 0x65, 0x78])]
    #[case::short_hex("7472657800", &[0x74, 0x72, 0x65, 0x78, 0x00])]
    #[case::full_hex(&format!("0x{}7472657800", "00".repeat(24)), &[0x74, 0x72, 0x65, 0x78, 0])]
    #[case::base64("dHJleA==", b"trex")]
    fn parses_namespaces(#[case] text: &str, #[case] id_suffix: &[u8]) {
        let ns = parse_namespace(text).unwrap();
        assert_eq!(ns.version(), 0);
        assert!(ns.id().ends_with(id_suffix), "{text}: {}", hex::encode(ns.id()));
    }

    #[rstest]
    #[case::empty("")]
    #[case::garbage("not a namespace!")]
    #[case::too_long_id("0x0102030405060708090a0b")]
    #[case::bad_v0_prefix(&format!("00{}", "01".repeat(28)))]
    #[case::reserved(&format!("00{}01", "00".repeat(27)))]
    #[case::version_255(&format!("ff{}", "ff".repeat(28)))]
    fn rejects_bad_namespaces(#[case] text: &str) {
        assert!(matches!(parse_namespace(text), Err(DaError::Config(_))), "{text}");
    }
}
