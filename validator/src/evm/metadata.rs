//! Token metadata: resolving `tokenURI`/`uri` values, fetching the JSON they point to and matching
//! its `attributes` (the OpenSea metadata convention).

use std::time::Duration;

use alloy_primitives::{U256, hex};
use base64::Engine;
use serde_json::Value;
use url::Url;

use crate::error::ValidatorError;

/// The IPFS gateway `ipfs://` URIs are fetched through. The service has no gateway setting, so a
/// public one is used; metadata pinned on IPFS is content-addressed, so the gateway cannot forge
/// it, only fail to serve it.
pub(crate) const IPFS_GATEWAY: &str = "https://ipfs.io/ipfs/";

/// The largest metadata document read; real metadata is a few kilobytes.
pub(crate) const MAX_METADATA_BYTES: usize = 1 << 20;

/// How long one metadata fetch may take, redirects included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Redirects followed per fetch (gateways redirect to subdomains).
const MAX_REDIRECTS: usize = 3;

/// An ERC-1155 `uri` with `{id}` replaced by the id as 64 lower-case hex digits (EIP-1155's
/// "Metadata" section).
pub(crate) fn erc1155_uri(template: &str, id: U256) -> String {
    template.replace("{id}", &hex::encode(id.to_be_bytes::<32>()))
}

/// Where a metadata URI's document is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    /// In the URI itself (`data:`).
    Inline(Vec<u8>),
    /// At an HTTP(S) URL (`http(s)://`, or `ipfs://` through [`IPFS_GATEWAY`]).
    Remote(Url),
}

/// Resolves a metadata URI.
fn locate(uri: &str) -> Result<Location, ValidatorError> {
    let uri = uri.trim();
    let unsupported =
        || ValidatorError::Metadata(format!("unsupported metadata URI {}", short(uri)));
    let (scheme, rest) = uri.split_once(':').ok_or_else(unsupported)?;
    match scheme.to_ascii_lowercase().as_str() {
        "data" => decode_data_uri(rest).map(Location::Inline),
        "http" | "https" => Url::parse(uri).map(Location::Remote).map_err(|err| {
            ValidatorError::Metadata(format!("bad metadata URL {}: {err}", short(uri)))
        }),
        "ipfs" => {
            // `ipfs://<cid>/<path>`, and the older `ipfs://ipfs/<cid>/<path>`.
            let path = rest.trim_start_matches('/');
            let path = path.strip_prefix("ipfs/").unwrap_or(path);
            Url::parse(&format!("{IPFS_GATEWAY}{path}")).map(Location::Remote).map_err(|err| {
                ValidatorError::Metadata(format!("bad IPFS URI {}: {err}", short(uri)))
            })
        }
        _ => Err(unsupported()),
    }
}

/// The payload of an RFC 2397 `data:` URI (given without the `data:` prefix): base64 when the
/// parameters say `;base64`, percent-encoded text otherwise. The media type is not checked: JSON
/// parsing decides.
fn decode_data_uri(rest: &str) -> Result<Vec<u8>, ValidatorError> {
    let (params, payload) = rest.split_once(',').ok_or_else(|| {
        ValidatorError::Metadata(format!("data URI without a `,`: {}", short(rest)))
    })?;
    let bytes = if params.split(';').skip(1).any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(percent_decode(&compact))
            .map_err(|err| ValidatorError::Metadata(format!("bad base64 in a data URI: {err}")))?
    } else {
        percent_decode(payload)
    };
    if bytes.len() > MAX_METADATA_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes.get(i + 1..i + 3).and_then(|h| hex::decode(h).ok())
        {
            out.push(byte[0]);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn too_large() -> ValidatorError {
    ValidatorError::Metadata(format!("metadata larger than {MAX_METADATA_BYTES} bytes"))
}

/// The start of a URI, for messages (data URIs can be long).
fn short(uri: &str) -> String {
    const KEEP: usize = 80;
    match uri.char_indices().nth(KEEP) {
        Some((end, _)) => format!("{}…", &uri[..end]),
        None => uri.to_owned(),
    }
}

/// Fetches metadata documents over HTTP(S) with a timeout and a size limit.
#[derive(Debug, Clone)]
pub(crate) struct MetadataClient {
    http: reqwest::Client,
}

impl MetadataClient {
    /// A client with the fetch timeout and redirect limit.
    pub(crate) fn new() -> Result<Self, ValidatorError> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|err| ValidatorError::Metadata(format!("HTTP client: {err}")))?;
        Ok(Self { http })
    }

    /// The JSON document `uri` points to.
    pub(crate) async fn fetch(&self, uri: &str) -> Result<Value, ValidatorError> {
        let bytes = match locate(uri)? {
            Location::Inline(bytes) => bytes,
            Location::Remote(url) => self.get(url).await?,
        };
        serde_json::from_slice(&bytes).map_err(|err| {
            ValidatorError::Metadata(format!("metadata at {} is not JSON: {err}", short(uri)))
        })
    }

    async fn get(&self, url: Url) -> Result<Vec<u8>, ValidatorError> {
        let failed = |err: reqwest::Error| ValidatorError::Metadata(format!("GET {url}: {err}"));
        let mut response = self
            .http
            .get(url.clone())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?;
        if response.content_length().is_some_and(|len| len > MAX_METADATA_BYTES as u64) {
            return Err(too_large());
        }
        // Read chunk by chunk so a server that lies about (or omits) the length cannot make us
        // buffer more than the limit.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_METADATA_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Whether `metadata.attributes` has an entry whose `trait_type` is `trait_type` and whose
/// `value`, rendered as a string (numbers and booleans as JSON writes them), is `value`.
pub(crate) fn has_attribute(metadata: &Value, trait_type: &str, value: &str) -> bool {
    let Some(attributes) = metadata.get("attributes").and_then(Value::as_array) else {
        return false;
    };
    attributes.iter().any(|attribute| {
        attribute.get("trait_type").and_then(Value::as_str) == Some(trait_type)
            && attribute.get("value").and_then(render).as_deref() == Some(value)
    })
}

fn render(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn erc1155_ids_are_64_lower_hex_digits() {
        assert_eq!(
            erc1155_uri("https://x.org/{id}.json", U256::from(0x4cce)),
            "https://x.org/0000000000000000000000000000000000000000000000000000000000004cce.json"
        );
        assert_eq!(erc1155_uri("ipfs://cid/meta.json", U256::from(1)), "ipfs://cid/meta.json");
    }

    #[rstest::rstest]
    #[case::base64(
        "data:application/json;base64,eyJuYW1lIjoiQSJ9",
        Location::Inline(br#"{"name":"A"}"#.to_vec())
    )]
    #[case::base64_charset(
        "data:application/json;charset=utf-8;base64,eyJuYW1lIjoiQSJ9",
        Location::Inline(br#"{"name":"A"}"#.to_vec())
    )]
    #[case::plain(
        "data:application/json,{\"name\":\"A\"}",
        Location::Inline(br#"{"name":"A"}"#.to_vec())
    )]
    #[case::percent(
        "data:application/json,%7B%22name%22%3A%22A%20B%22%7D",
        Location::Inline(br#"{"name":"A B"}"#.to_vec())
    )]
    #[case::utf8("data:application/json;utf8,{\"n\":1}", Location::Inline(br#"{"n":1}"#.to_vec()))]
    #[case::https(
        "https://meta.example/1.json",
        Location::Remote(Url::parse("https://meta.example/1.json").unwrap())
    )]
    #[case::http(
        "http://127.0.0.1:8080/a",
        Location::Remote(Url::parse("http://127.0.0.1:8080/a").unwrap())
    )]
    #[case::ipfs(
        "ipfs://bafybeigdyrzt/1.json",
        Location::Remote(Url::parse("https://ipfs.io/ipfs/bafybeigdyrzt/1.json").unwrap())
    )]
    #[case::ipfs_legacy(
        "ipfs://ipfs/QmYwAPJzv5/1",
        Location::Remote(Url::parse("https://ipfs.io/ipfs/QmYwAPJzv5/1").unwrap())
    )]
    fn locates_metadata_uris(#[case] uri: &str, #[case] expected: Location) {
        assert_eq!(locate(uri).unwrap(), expected);
    }

    #[rstest::rstest]
    #[case::scheme("ar://abc")]
    #[case::no_scheme("just text")]
    #[case::no_comma("data:application/json;base64")]
    #[case::bad_base64("data:application/json;base64,!!!")]
    fn rejects_unusable_uris(#[case] uri: &str) {
        assert!(matches!(locate(uri), Err(ValidatorError::Metadata(_))));
    }

    #[test]
    fn percent_decoding_keeps_stray_percents() {
        assert_eq!(percent_decode("100%"), b"100%");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
        assert_eq!(percent_decode("%e2%9c%93"), "✓".as_bytes());
    }

    #[test]
    fn oversized_inline_metadata_is_refused() {
        let big = format!("data:application/json,{}", "a".repeat(MAX_METADATA_BYTES + 1));
        assert!(locate(&big).unwrap_err().to_string().contains("larger than"));
    }

    #[test]
    fn matches_attributes_by_trait_and_rendered_value() {
        let metadata = json!({"name": "x", "attributes": [
            {"trait_type": "Tier", "value": "Gold"},
            {"trait_type": "Edition", "value": 3},
            {"trait_type": "Ratio", "value": 1.5},
            {"trait_type": "Genesis", "value": true},
            {"value": "orphan"},
        ]});
        assert!(has_attribute(&metadata, "Tier", "Gold"));
        assert!(!has_attribute(&metadata, "Tier", "gold"));
        assert!(!has_attribute(&metadata, "tier", "Gold"));
        assert!(has_attribute(&metadata, "Edition", "3"));
        assert!(has_attribute(&metadata, "Ratio", "1.5"));
        assert!(has_attribute(&metadata, "Genesis", "true"));
        assert!(!has_attribute(&metadata, "Edition", "4"));
        assert!(!has_attribute(&json!({"attributes": "Tier"}), "Tier", "Gold"));
        assert!(!has_attribute(&json!({}), "Tier", "Gold"));
    }

    #[tokio::test]
    async fn fetches_inline_json_and_reports_bad_json() {
        let client = MetadataClient::new().unwrap();
        let value = client.fetch("data:application/json,{\"a\":1}").await.unwrap();
        assert_eq!(value, json!({"a": 1}));
        let err = client.fetch("data:application/json,not json").await.unwrap_err();
        assert!(matches!(err, ValidatorError::Metadata(_)), "{err}");
    }
}
