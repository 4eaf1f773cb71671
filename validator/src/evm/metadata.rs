//! Token metadata: resolving `tokenURI`/`uri` values, fetching the JSON they point to and matching
//! its `attributes` (the OpenSea metadata convention).
//!
//! Metadata URLs are chosen by whoever deploys an NFT contract, so fetching them must not let
//! anyone make the validator send requests into its own network (SSRF). Unless private hosts are
//! allowed, only addresses [`is_public`] accepts are connected to, on the first request and on
//! every redirect.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

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

/// A metadata host that is not a public address (loopback, private, link-local, …).
#[derive(Debug, thiserror::Error)]
#[error(
    "metadata host {host} {} non-public address{} {addresses}; the validator only fetches \
     metadata from public hosts (--metadata.allow-private-hosts lifts this)",
    if *.literal { "is a" } else { "resolves only to" },
    if *.literal { "" } else { "es" }
)]
struct RefusedHost {
    /// The host as the URL names it.
    host: String,
    /// Whether the host is an IP literal rather than a name.
    literal: bool,
    /// The addresses it stands for, comma-separated.
    addresses: String,
}

/// Whether `ip` is an address on the public internet: not loopback, private (RFC 1918), shared
/// (CGNAT, RFC 6598), link-local, unique-local, unspecified, multicast, broadcast, documentation,
/// benchmarking or reserved. IPv4 addresses embedded in IPv6 ones (mapped, NAT64, 6to4) are judged
/// as the IPv4 address they reach.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 included
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: cloud instance metadata lives here
        || (a == 100 && b & 0xc0 == 64) // 100.64/10, shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24, IETF protocol assignments
        || (a == 198 && b & 0xfe == 18) // 198.18/15, benchmarking
        || ip.is_documentation()
        || ip.is_multicast()
        || a >= 240; // 240/4 reserved, and the broadcast address
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let refused = s[..6] == [0; 6] // ::/96: unspecified, loopback, deprecated IPv4-compatible
        || s[0] & 0xfe00 == 0xfc00 // fc00::/7, unique local
        || s[0] & 0xffc0 == 0xfe80 // fe80::/10, link-local
        || s[0] & 0xffc0 == 0xfec0 // fec0::/10, the deprecated site-local
        || ip.is_multicast()
        || (s[0] == 0x2001 && s[1] == 0x0db8); // documentation
    !refused
}

/// The IPv4 address an IPv6 address reaches when it embeds one: IPv4-mapped (`::ffff:a.b.c.d`),
/// the NAT64 well-known prefix (`64:ff9b::/96`) and 6to4 (`2002::/16`).
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        Some(from(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(from(s[1], s[2]))
    } else {
        None
    }
}

/// Refuses a URL whose host is a non-public IP literal. Hosts given by name are checked when they
/// are resolved ([`PublicResolver`]): the HTTP client does not resolve IP literals, so they are
/// checked here, before the first request and before each redirect.
fn check_literal_host(url: &Url) -> Result<(), RefusedHost> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) | None => return Ok(()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(RefusedHost { host: ip.to_string(), literal: true, addresses: ip.to_string() })
    }
}

/// The HTTP client's resolver when private hosts are not allowed: resolves with the system
/// resolver and hands the client only the public addresses. Filtering inside the resolver means
/// the connection goes to an address that was checked; checking a separate lookup before the
/// request would let a host answer differently the second time (DNS rebinding).
#[derive(Debug)]
struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // The port is replaced by the URL's when connecting.
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|err| format!("resolving {host}: {err}"))?
                .collect();
            let public: Vec<SocketAddr> =
                resolved.iter().copied().filter(|addr| is_public(addr.ip())).collect();
            if public.is_empty() {
                let addresses =
                    resolved.iter().map(|addr| addr.ip().to_string()).collect::<Vec<_>>();
                let refused = RefusedHost { host, literal: false, addresses: addresses.join(", ") };
                return Err(refused.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// Fetches metadata documents over HTTP(S) with a timeout and a size limit, from public hosts only
/// unless private hosts are allowed.
#[derive(Debug, Clone)]
pub(crate) struct MetadataClient {
    http: reqwest::Client,
    allow_private_hosts: bool,
}

impl MetadataClient {
    /// A client with the fetch timeout and redirect limit; with `allow_private_hosts` it also
    /// fetches from loopback and private networks (tests and closed deployments).
    pub(crate) fn new(allow_private_hosts: bool) -> Result<Self, ValidatorError> {
        let mut builder = reqwest::Client::builder().timeout(FETCH_TIMEOUT);
        builder = if allow_private_hosts {
            builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        } else {
            let redirects = reqwest::redirect::Policy::custom(|attempt| {
                // `previous` starts with the URL first requested, which is not a redirect.
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match check_literal_host(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            });
            // A proxy would connect to the metadata host itself, past the resolver's check, so
            // proxies from the environment (HTTP_PROXY, …) are not used.
            builder.redirect(redirects).dns_resolver(Arc::new(PublicResolver)).no_proxy()
        };
        let http = builder
            .build()
            .map_err(|err| ValidatorError::Metadata(format!("HTTP client: {err}")))?;
        Ok(Self { http, allow_private_hosts })
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
        if !self.allow_private_hosts {
            check_literal_host(&url).map_err(|err| ValidatorError::Metadata(err.to_string()))?;
        }
        let failed = |err: reqwest::Error| match refusal(&err) {
            Some(refused) => ValidatorError::Metadata(format!("GET {url}: {refused}")),
            None => ValidatorError::Metadata(format!("GET {url}: {err}")),
        };
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

/// The [`RefusedHost`] behind a failed request, if that is why it failed: reqwest's own message
/// ("error sending request") does not say.
fn refusal(err: &reqwest::Error) -> Option<&RefusedHost> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<RefusedHost>() {
            return Some(refused);
        }
        source = current.source();
    }
    None
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
        let client = MetadataClient::new(false).unwrap();
        let value = client.fetch("data:application/json,{\"a\":1}").await.unwrap();
        assert_eq!(value, json!({"a": 1}));
        let err = client.fetch("data:application/json,not json").await.unwrap_err();
        assert!(matches!(err, ValidatorError::Metadata(_)), "{err}");
    }

    #[rstest::rstest]
    #[case::unspecified("0.0.0.0")]
    #[case::this_network("0.1.2.3")]
    #[case::loopback("127.0.0.1")]
    #[case::loopback_range("127.8.9.10")]
    #[case::rfc1918_10("10.1.2.3")]
    #[case::rfc1918_172("172.16.0.1")]
    #[case::rfc1918_172_top("172.31.255.255")]
    #[case::rfc1918_192("192.168.1.1")]
    #[case::link_local("169.254.169.254")]
    #[case::cgnat("100.64.0.1")]
    #[case::cgnat_top("100.127.255.255")]
    #[case::ietf("192.0.0.8")]
    #[case::benchmarking("198.18.0.1")]
    #[case::documentation("203.0.113.7")]
    #[case::multicast("224.0.0.1")]
    #[case::reserved("240.0.0.1")]
    #[case::broadcast("255.255.255.255")]
    #[case::v6_unspecified("::")]
    #[case::v6_loopback("::1")]
    #[case::v6_unique_local("fd00::1")]
    #[case::v6_unique_local_fc("fc12::1")]
    #[case::v6_link_local("fe80::1")]
    #[case::v6_site_local("fec0::1")]
    #[case::v6_multicast("ff02::1")]
    #[case::v6_documentation("2001:db8::1")]
    #[case::v4_mapped_loopback("::ffff:127.0.0.1")]
    #[case::v4_mapped_private("::ffff:10.0.0.1")]
    #[case::v4_compatible("::127.0.0.1")]
    #[case::nat64_private("64:ff9b::a00:1")]
    #[case::six_to_four_loopback("2002:7f00:1::1")]
    fn non_public_addresses_are_refused(#[case] ip: &str) {
        assert!(!is_public(ip.parse().unwrap()), "{ip}");
    }

    #[rstest::rstest]
    #[case::google_dns("8.8.8.8")]
    #[case::cloudflare("1.1.1.1")]
    #[case::below_cgnat("100.63.255.255")]
    #[case::above_cgnat("100.128.0.1")]
    #[case::below_172_private("172.15.255.255")]
    #[case::above_172_private("172.32.0.1")]
    #[case::ipfs_io("209.94.90.1")]
    #[case::v6_public("2606:4700:4700::1111")]
    #[case::v4_mapped_public("::ffff:8.8.8.8")]
    #[case::nat64_public("64:ff9b::808:808")]
    fn public_addresses_are_allowed(#[case] ip: &str) {
        assert!(is_public(ip.parse().unwrap()), "{ip}");
    }

    #[rstest::rstest]
    #[case::v4("http://127.0.0.1:1/a", false)]
    #[case::v4_decimal("http://2130706433/a", false)]
    #[case::v6("http://[::1]:1/a", false)]
    #[case::v6_mapped("http://[::ffff:192.168.0.1]/a", false)]
    #[case::public("https://8.8.8.8/a", true)]
    #[case::name("http://localhost/a", true)]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver(
        #[case] url: &str,
        #[case] passes: bool,
    ) {
        assert_eq!(check_literal_host(&Url::parse(url).unwrap()).is_ok(), passes, "{url}");
    }

    /// Serves `{"a":1}` at every path on a loopback port; returns the port.
    async fn serve_loopback() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().fallback(|| async { axum::Json(json!({"a": 1})) });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        port
    }

    #[tokio::test]
    async fn private_hosts_are_refused_unless_allowed() {
        let port = serve_loopback().await;
        let guarded = MetadataClient::new(false).unwrap();
        for url in [
            format!("http://127.0.0.1:{port}/m.json"),
            format!("http://[::ffff:127.0.0.1]:{port}/m.json"),
            // A name is refused by what it resolves to.
            format!("http://localhost:{port}/m.json"),
        ] {
            let err = guarded.fetch(&url).await.unwrap_err();
            assert!(matches!(err, ValidatorError::Metadata(_)), "{url}: {err}");
            let message = err.to_string();
            assert!(
                message.contains("non-public address")
                    && message.contains("--metadata.allow-private-hosts"),
                "{url}: {message}"
            );
        }
        let allowed = MetadataClient::new(true).unwrap();
        for host in ["127.0.0.1", "localhost"] {
            let url = format!("http://{host}:{port}/m.json");
            assert_eq!(allowed.fetch(&url).await.unwrap(), json!({"a": 1}), "{url}");
        }
    }
}
