//! Wire types of the persona engine's off-chain gateway, shared by the validator that posts and
//! the engine that receives.
//!
//! A validator posts each successful validation's proven facts as one [`ValidatorResult`] to
//! `POST /v1/gateway/validator-results`, authenticated by an HMAC-SHA256 over the timestamp and
//! the body ([`gateway_signature`]) with a key the engine holds per client. The engine accepts a
//! result id once: a repeated post of the same id is acknowledged and changes nothing.
//!
//! Facts carry no Web2 handles: like the passport contract, the engine keeps only what a
//! persona needs (counts, levels, platforms), never the account name.

use alloy_primitives::{Address, U256};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use trex_zktls::{Fact, SocialPlatform};

/// The gateway path a validator posts results to.
pub const VALIDATOR_RESULTS_PATH: &str = "/v1/gateway/validator-results";
/// Header naming the posting client (whose key signs).
pub const CLIENT_HEADER: &str = "x-trex-client";
/// Header with the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-trex-timestamp";
/// Header with `sha256=<hex>` of [`gateway_signature`].
pub const SIGNATURE_HEADER: &str = "x-trex-signature";
/// The longest result id accepted.
pub const MAX_RESULT_ID_LEN: usize = 128;

/// The facts one validation proved about one passport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidatorResult {
    /// Unique per result, the idempotency key: 1..=[`MAX_RESULT_ID_LEN`] characters of
    /// `[A-Za-z0-9._:-]`.
    pub id: String,
    /// The passport the facts are about.
    pub passport_id: U256,
    /// The validator's signing address.
    pub validator: Address,
    /// When the facts were proven (Unix seconds).
    pub observed_at: u64,
    /// What was proven; at least one.
    pub facts: Vec<PersonaFact>,
}

/// One proven fact, as the persona graph keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum PersonaFact {
    /// Total assets on a centralised exchange.
    CexTotalAssets {
        /// The exchange, lower case (e.g. `binance`).
        exchange: String,
        /// Total assets in US cents.
        #[serde(with = "u128_string")]
        usd_cents: u128,
    },
    /// VIP level on a centralised exchange.
    CexVipLevel {
        /// The exchange, lower case.
        exchange: String,
        /// The level.
        level: u32,
    },
    /// Followers on a social platform (`twitch`, `x`).
    Followers {
        /// The platform, lower case.
        platform: String,
        /// The follower count.
        count: u64,
    },
    /// Subscribers of the user's YouTube channel.
    YoutubeSubscribers {
        /// The subscriber count.
        count: u64,
    },
    /// An active paid subscription.
    Subscription {
        /// The platform, lower case (e.g. `spotify`).
        platform: String,
        /// The plan, lower case.
        plan: String,
    },
    /// Games in the user's Steam library.
    SteamGames {
        /// The game count.
        count: u64,
    },
    /// Student status: the user controls an address at this school's e-mail domain.
    Student {
        /// The domain, lower case (e.g. `mit.edu`).
        domain: String,
    },
    /// The user follows `target` on `platform`.
    SocialFollow {
        /// The platform, lower case.
        platform: String,
        /// The followed account, as normalised by the validator.
        target: String,
    },
    /// Transactions of the passport's wallets with contracts of a category (e.g. `defi`,
    /// `gamefi`), counted by a validator that checked contract interactions on `chain`.
    ContractActivity {
        /// The chain, as a CAIP-2 id (e.g. `eip155:1`).
        chain: String,
        /// The contracts' category, lower case.
        category: String,
        /// Transactions counted.
        transactions: u64,
    },
    /// NFTs held by the passport's wallets on `chain`, counted by a validator.
    NftHoldings {
        /// The chain, as a CAIP-2 id.
        chain: String,
        /// Tokens held.
        count: u64,
    },
    /// A search for `query` among the user's posts on `platform` matched `matching_posts`.
    SocialPosts {
        /// The platform, lower case.
        platform: String,
        /// The searched text, lower case.
        query: String,
        /// How many posts matched.
        matching_posts: u64,
    },
}

impl PersonaFact {
    /// The persona fact of a verified zkTLS fact; `None` for a bare account login, which the
    /// passport records on chain (as a handle hash) when the account is linked.
    pub fn from_zktls(fact: &Fact) -> Option<Self> {
        Some(match fact {
            Fact::CexTotalAssets { exchange, usd_cents } => {
                Self::CexTotalAssets { exchange: exchange.to_lowercase(), usd_cents: *usd_cents }
            }
            Fact::CexVipLevel { exchange, level } => {
                Self::CexVipLevel { exchange: exchange.to_lowercase(), level: *level }
            }
            Fact::Followers { platform, count } => Self::Followers {
                platform: match platform {
                    SocialPlatform::Twitch => "twitch",
                    SocialPlatform::X => "x",
                }
                .to_owned(),
                count: *count,
            },
            Fact::YoutubeSubscribers { count } => Self::YoutubeSubscribers { count: *count },
            Fact::Subscription { platform, plan } => {
                Self::Subscription { platform: platform.to_lowercase(), plan: plan.to_lowercase() }
            }
            Fact::SteamGameCount { count } => Self::SteamGames { count: *count },
            Fact::SchoolEmailDomain { domain } => Self::Student { domain: domain.clone() },
            Fact::SocialFollow { platform, target, .. } => {
                Self::SocialFollow { platform: platform.clone(), target: target.clone() }
            }
            Fact::SocialPosts { platform, query, matching_posts, .. } => Self::SocialPosts {
                platform: platform.clone(),
                query: query.clone(),
                matching_posts: *matching_posts,
            },
            Fact::Web2Account { .. } => return None,
        })
    }
}

/// Whether `id` is a well-formed result id.
pub fn is_valid_result_id(id: &str) -> bool {
    (1..=MAX_RESULT_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// HMAC-SHA256 with `key` over `"<timestamp>." ‖ body`, lower-case hex; sent as
/// `sha256=<hex>` in [`SIGNATURE_HEADER`]. Binding the timestamp lets the engine refuse stale
/// replays of a captured request.
pub fn gateway_signature(key: &[u8], timestamp: u64, body: &[u8]) -> String {
    alloy_primitives::hex::encode(gateway_mac(key, timestamp, body).finalize().into_bytes())
}

/// A signed `POST` of a validator result's JSON `body` to the gateway of the persona engine at
/// `engine` (its base URL): the client id, the timestamp (Unix seconds) and the
/// [`gateway_signature`] with the client's `key` in their headers. Send it with `.send()`.
pub fn gateway_request(
    http: &reqwest::Client,
    engine: &str,
    client: &str,
    key: &[u8],
    timestamp: u64,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let signature = gateway_signature(key, timestamp, &body);
    http.post(format!("{}{VALIDATOR_RESULTS_PATH}", engine.trim_end_matches('/')))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(CLIENT_HEADER, client)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, format!("sha256={signature}"))
        .body(body)
}

/// Checks a [`SIGNATURE_HEADER`] value (`sha256=<hex>`) in constant time.
pub fn verify_gateway_signature(key: &[u8], timestamp: u64, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else { return false };
    let Ok(tag) = alloy_primitives::hex::decode(hex) else { return false };
    gateway_mac(key, timestamp, body).verify_slice(&tag).is_ok()
}

fn gateway_mac(key: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `u128` as a decimal string: JSON numbers lose precision above 2^53 in JavaScript.
mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<u128, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_and_binds_timestamp_and_body() {
        let header = format!("sha256={}", gateway_signature(b"key", 1_700_000_000, b"{}"));
        assert!(verify_gateway_signature(b"key", 1_700_000_000, b"{}", &header));
        assert!(!verify_gateway_signature(b"key", 1_700_000_001, b"{}", &header));
        assert!(!verify_gateway_signature(b"key", 1_700_000_000, b"{ }", &header));
        assert!(!verify_gateway_signature(b"other", 1_700_000_000, b"{}", &header));
        assert!(!verify_gateway_signature(b"key", 1_700_000_000, b"{}", &header[7..]));
    }

    #[test]
    fn result_json_shape() {
        let result = ValidatorResult {
            id: "0xabc:1".into(),
            passport_id: U256::from(7),
            validator: Address::ZERO,
            observed_at: 1,
            facts: vec![
                PersonaFact::Followers { platform: "twitch".into(), count: 12_000 },
                PersonaFact::CexTotalAssets { exchange: "binance".into(), usd_cents: u128::MAX },
            ],
        };
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(
            json["facts"][0],
            serde_json::json!({"kind": "followers", "platform": "twitch", "count": 12000})
        );
        assert_eq!(json["facts"][1]["usdCents"], u128::MAX.to_string());
        assert_eq!(serde_json::from_value::<ValidatorResult>(json).unwrap(), result);
        assert!(
            is_valid_result_id("0xabc:1") && !is_valid_result_id("") && !is_valid_result_id("a b")
        );
    }
}
