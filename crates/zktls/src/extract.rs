//! Per-provider parsers that turn a verified claim's `extractedParameters` into typed facts.

use crate::{VerifiedClaim, ZkTlsError};
use std::{collections::BTreeMap, fmt, str::FromStr};

/// The kinds of proof T-Rex validators understand, keyed by the ids in the crate README.
///
/// Reclaim provider ids (and `providerHash`es) differ per deployment, so a badge class names one of
/// these ids and, separately, the Reclaim provider it trusts; the parser only reads the claim's
/// `extractedParameters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// `cex-total-assets`: `exchange`, `totalAssetsUsd`.
    CexTotalAssets,
    /// `cex-vip-level`: `exchange`, `vipLevel`.
    CexVipLevel,
    /// `twitch-followers`: `followers`.
    TwitchFollowers,
    /// `x-followers`: `followers`.
    XFollowers,
    /// `youtube-subscribers`: `subscribers`.
    YoutubeSubscribers,
    /// `subscription`: `platform`, `plan`.
    Subscription,
    /// `steam-games`: `gameCount`.
    SteamGames,
    /// `school-email`: `email`.
    SchoolEmail,
    /// `web2-account`: `platform`, `handle` — the account the user is logged in to, for linking
    /// it to a passport.
    Web2Account,
    /// `social-follow`: `platform`, `handle`, `target` — `handle` follows `target`.
    SocialFollow,
    /// `social-posts`: `platform`, `handle`, `query`, `matchingPosts` — how many of `handle`'s
    /// posts a search for `query` returned.
    SocialPosts,
}

/// A value a claim proves, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// Total assets held on a centralised exchange, in US cents (fractions of a cent dropped).
    CexTotalAssets {
        /// The exchange, as extracted (e.g. `"binance"`).
        exchange: String,
        /// Total assets in US cents.
        usd_cents: u128,
    },
    /// VIP level on a centralised exchange.
    CexVipLevel {
        /// The exchange, as extracted.
        exchange: String,
        /// The VIP level.
        level: u32,
    },
    /// Followers on a social platform.
    Followers {
        /// The platform.
        platform: SocialPlatform,
        /// The follower count.
        count: u64,
    },
    /// Subscribers of a YouTube channel.
    YoutubeSubscribers {
        /// The subscriber count.
        count: u64,
    },
    /// An active paid subscription.
    Subscription {
        /// The platform, as extracted (e.g. `"spotify"`).
        platform: String,
        /// The plan, as extracted (e.g. `"premium"`).
        plan: String,
    },
    /// Number of games in a Steam library.
    SteamGameCount {
        /// The game count.
        count: u64,
    },
    /// The domain of an e-mail address the user controls (lower-case), for student status.
    SchoolEmailDomain {
        /// The domain, e.g. `"mit.edu"`.
        domain: String,
    },
    /// The account the user is logged in to on a Web2 platform.
    Web2Account {
        /// The platform, lower case (e.g. `"twitch"`).
        platform: String,
        /// The account's handle, normalised by [`parse_handle`].
        handle: String,
    },
    /// `handle` follows `target` on `platform`.
    SocialFollow {
        /// The platform, lower case.
        platform: String,
        /// The follower's handle, normalised by [`parse_handle`].
        handle: String,
        /// The followed account's handle, normalised by [`parse_handle`].
        target: String,
    },
    /// A search for `query` among `handle`'s posts on `platform` matched `matching_posts` posts.
    SocialPosts {
        /// The platform, lower case.
        platform: String,
        /// The author's handle, normalised by [`parse_handle`].
        handle: String,
        /// The searched text, trimmed and lower-cased.
        query: String,
        /// How many posts matched.
        matching_posts: u64,
    },
}

/// Platforms with follower counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocialPlatform {
    /// Twitch.
    Twitch,
    /// X (Twitter).
    X,
}

impl Provider {
    /// Every provider, in declaration order.
    pub const ALL: [Self; 11] = [
        Self::CexTotalAssets,
        Self::CexVipLevel,
        Self::TwitchFollowers,
        Self::XFollowers,
        Self::YoutubeSubscribers,
        Self::Subscription,
        Self::SteamGames,
        Self::SchoolEmail,
        Self::Web2Account,
        Self::SocialFollow,
        Self::SocialPosts,
    ];

    /// The provider's id as written in badge class conditions.
    pub const fn id(self) -> &'static str {
        match self {
            Self::CexTotalAssets => "cex-total-assets",
            Self::CexVipLevel => "cex-vip-level",
            Self::TwitchFollowers => "twitch-followers",
            Self::XFollowers => "x-followers",
            Self::YoutubeSubscribers => "youtube-subscribers",
            Self::Subscription => "subscription",
            Self::SteamGames => "steam-games",
            Self::SchoolEmail => "school-email",
            Self::Web2Account => "web2-account",
            Self::SocialFollow => "social-follow",
            Self::SocialPosts => "social-posts",
        }
    }

    /// Parses the fact from a verified claim's extracted parameters.
    ///
    /// # Errors
    /// [`ZkTlsError::MissingParameter`] or [`ZkTlsError::InvalidValue`].
    pub fn extract(self, claim: &VerifiedClaim) -> Result<Fact, ZkTlsError> {
        self.extract_from(&claim.extracted_parameters)
    }

    /// Parses the fact from `extractedParameters` directly.
    ///
    /// # Errors
    /// [`ZkTlsError::MissingParameter`] or [`ZkTlsError::InvalidValue`].
    pub fn extract_from(self, params: &BTreeMap<String, String>) -> Result<Fact, ZkTlsError> {
        let get = |key: &'static str| {
            params
                .get(key)
                .map(String::as_str)
                .ok_or(ZkTlsError::MissingParameter { provider: self.id(), key })
        };
        Ok(match self {
            Self::CexTotalAssets => Fact::CexTotalAssets {
                exchange: parse_name("exchange", get("exchange")?)?,
                usd_cents: parse_usd_cents("totalAssetsUsd", get("totalAssetsUsd")?)?,
            },
            Self::CexVipLevel => Fact::CexVipLevel {
                exchange: parse_name("exchange", get("exchange")?)?,
                level: parse_vip_level("vipLevel", get("vipLevel")?)?,
            },
            Self::TwitchFollowers => Fact::Followers {
                platform: SocialPlatform::Twitch,
                count: parse_count("followers", get("followers")?)?,
            },
            Self::XFollowers => Fact::Followers {
                platform: SocialPlatform::X,
                count: parse_count("followers", get("followers")?)?,
            },
            Self::YoutubeSubscribers => {
                Fact::YoutubeSubscribers { count: parse_count("subscribers", get("subscribers")?)? }
            }
            Self::Subscription => Fact::Subscription {
                platform: parse_name("platform", get("platform")?)?,
                plan: parse_name("plan", get("plan")?)?,
            },
            Self::SteamGames => {
                Fact::SteamGameCount { count: parse_count("gameCount", get("gameCount")?)? }
            }
            Self::SchoolEmail => {
                Fact::SchoolEmailDomain { domain: parse_email_domain("email", get("email")?)? }
            }
            Self::Web2Account => Fact::Web2Account {
                platform: parse_name("platform", get("platform")?)?,
                handle: parse_handle("handle", get("handle")?)?,
            },
            Self::SocialFollow => Fact::SocialFollow {
                platform: parse_name("platform", get("platform")?)?,
                handle: parse_handle("handle", get("handle")?)?,
                target: parse_handle("target", get("target")?)?,
            },
            Self::SocialPosts => Fact::SocialPosts {
                platform: parse_name("platform", get("platform")?)?,
                handle: parse_handle("handle", get("handle")?)?,
                query: parse_query("query", get("query")?)?,
                matching_posts: parse_count("matchingPosts", get("matchingPosts")?)?,
            },
        })
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Provider {
    type Err = ZkTlsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.id() == s)
            .ok_or_else(|| ZkTlsError::UnknownProvider(s.to_owned()))
    }
}

fn invalid(key: &'static str, value: &str, reason: &'static str) -> ZkTlsError {
    ZkTlsError::InvalidValue { key, value: value.to_owned(), reason }
}

/// A non-negative integer, optionally with `,` thousands separators in groups of three
/// (`"12345"`, `"12,345"`); no signs, fractions, suffixes (`12.3K`) or other separators.
pub fn parse_count(key: &'static str, value: &str) -> Result<u64, ZkTlsError> {
    let digits = strip_separators(key, value.trim(), value)?;
    digits.parse::<u64>().map_err(|_| invalid(key, value, "count out of range"))
}

/// Checks `,` grouping and returns the digits alone.
fn strip_separators(key: &'static str, text: &str, original: &str) -> Result<String, ZkTlsError> {
    if text.is_empty() {
        return Err(invalid(key, original, "empty number"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err(invalid(key, original, "not a plain decimal integer"));
    }
    if text.contains(',') {
        let mut groups = text.split(',');
        let first = groups.next().unwrap_or_default();
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return Err(invalid(key, original, "thousands separators not in groups of three"));
        }
    }
    Ok(text.replace(',', ""))
}

/// A US dollar amount: optional `$` or trailing `USD`, digits with optional `,` grouping, optional
/// `.` fraction; returned in cents, fractions of a cent dropped (rounding down never overstates).
pub fn parse_usd_cents(key: &'static str, value: &str) -> Result<u128, ZkTlsError> {
    let mut text = value.trim();
    text = text.strip_prefix('$').unwrap_or(text);
    text = text.strip_suffix("USD").map_or(text, str::trim_end);
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if text.contains('.') && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid(key, value, "bad fraction"));
    }
    let whole = strip_separators(key, whole, value)?;
    let whole: u128 = whole.parse().map_err(|_| invalid(key, value, "amount out of range"))?;
    let cents: u128 = match fraction.len() {
        0 => 0,
        1 => u128::from(fraction.as_bytes()[0] - b'0') * 10,
        _ => fraction[..2].parse().map_err(|_| invalid(key, value, "bad fraction"))?,
    };
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(cents))
        .ok_or_else(|| invalid(key, value, "amount out of range"))
}

/// A VIP level: an integer, optionally prefixed by `VIP`, `Lv` or `Level` (any case, optional
/// space): `"3"`, `"VIP 3"`, `"vip3"`, `"Lv.3"` is rejected (no dots).
pub fn parse_vip_level(key: &'static str, value: &str) -> Result<u32, ZkTlsError> {
    let text = value.trim();
    let lower = text.to_ascii_lowercase();
    let rest = ["level", "vip", "lv"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .map_or(lower.as_str(), str::trim_start);
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(key, value, "not a VIP level"));
    }
    rest.parse().map_err(|_| invalid(key, value, "level out of range"))
}

/// A name (exchange, platform, plan): trimmed, non-empty, at most 64 characters, lower-cased, no
/// control characters.
pub fn parse_name(key: &'static str, value: &str) -> Result<String, ZkTlsError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(invalid(key, value, "empty"));
    }
    if text.chars().count() > 64 || text.chars().any(char::is_control) {
        return Err(invalid(key, value, "not a plain name of at most 64 characters"));
    }
    Ok(text.to_lowercase())
}

/// An account handle: trimmed, one leading `@` dropped, lower-cased, 1 to 64 characters with no
/// whitespace, control characters or further `@`.
///
/// Platforms treat handles case-insensitively (`@Alice` and `alice` are one account), and the
/// passport stores `keccak256(handle)`, so every proof's handle goes through this one function
/// before it is hashed or compared.
pub fn parse_handle(key: &'static str, value: &str) -> Result<String, ZkTlsError> {
    let text = value.trim();
    let text = text.strip_prefix('@').unwrap_or(text);
    if text.is_empty() {
        return Err(invalid(key, value, "empty handle"));
    }
    if text.chars().count() > 64
        || text.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err(invalid(key, value, "not a handle of at most 64 characters"));
    }
    Ok(text.to_lowercase())
}

/// A search text: trimmed, non-empty, at most 256 characters, no control characters,
/// lower-cased (post searches are case-insensitive).
pub fn parse_query(key: &'static str, value: &str) -> Result<String, ZkTlsError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(invalid(key, value, "empty"));
    }
    if text.chars().count() > 256 || text.chars().any(char::is_control) {
        return Err(invalid(key, value, "not a plain text of at most 256 characters"));
    }
    Ok(text.to_lowercase())
}

/// The domain of an e-mail address, lower-cased: exactly one `@`, a non-empty local part, and a
/// domain of at least two dot-separated labels of ASCII letters, digits and inner hyphens.
pub fn parse_email_domain(key: &'static str, value: &str) -> Result<String, ZkTlsError> {
    let text = value.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return Err(invalid(key, value, "not an e-mail address"));
    };
    if local.is_empty() || domain.contains('@') || local.chars().any(|c| c.is_whitespace()) {
        return Err(invalid(key, value, "not an e-mail address"));
    }
    let domain = domain.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.len() < 2 || domain.len() > 253 || !labels.iter().all(label_ok) {
        return Err(invalid(key, value, "not a valid e-mail domain"));
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[rstest]
    #[case("0", 0)]
    #[case("12345", 12_345)]
    #[case("12,345", 12_345)]
    #[case(" 1,234,567 ", 1_234_567)]
    #[case("999", 999)]
    #[case("18446744073709551615", u64::MAX)]
    fn counts(#[case] input: &str, #[case] expected: u64) {
        assert_eq!(parse_count("n", input).unwrap(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("-1")]
    #[case("+1")]
    #[case("1.5")]
    #[case("12.3K")]
    #[case("1,23")]
    #[case("1234,567")]
    #[case(",123")]
    #[case("123,")]
    #[case("1 234")]
    #[case("abc")]
    #[case("18446744073709551616")]
    fn bad_counts(#[case] input: &str) {
        assert!(matches!(parse_count("n", input), Err(ZkTlsError::InvalidValue { key: "n", .. })));
    }

    #[rstest]
    #[case("0", 0)]
    #[case("10", 1_000)]
    #[case("$12,345.67", 1_234_567)]
    #[case("12345.6", 1_234_560)]
    #[case("1.999", 199)]
    #[case("250000 USD", 25_000_000)]
    fn usd(#[case] input: &str, #[case] expected: u128) {
        assert_eq!(parse_usd_cents("usd", input).unwrap(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("$")]
    #[case("1.")]
    #[case(".5")]
    #[case("-5")]
    #[case("1.2.3")]
    #[case("1e6")]
    #[case("12,34.00")]
    fn bad_usd(#[case] input: &str) {
        assert!(matches!(parse_usd_cents("usd", input), Err(ZkTlsError::InvalidValue { .. })));
    }

    #[rstest]
    #[case("3", 3)]
    #[case("VIP 3", 3)]
    #[case("vip9", 9)]
    #[case("Lv 2", 2)]
    #[case("Level 12", 12)]
    fn vip(#[case] input: &str, #[case] expected: u32) {
        assert_eq!(parse_vip_level("v", input).unwrap(), expected);
    }

    #[rstest]
    #[case("VIP")]
    #[case("Lv.3")]
    #[case("gold")]
    #[case("-1")]
    fn bad_vip(#[case] input: &str) {
        assert!(parse_vip_level("v", input).is_err());
    }

    #[rstest]
    #[case("alice@MIT.edu", "mit.edu")]
    #[case("a.b+c@cs.ox.ac.uk", "cs.ox.ac.uk")]
    fn email(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(parse_email_domain("email", input).unwrap(), expected);
    }

    #[rstest]
    #[case("alice")]
    #[case("@mit.edu")]
    #[case("a@b@mit.edu")]
    #[case("alice@localhost")]
    #[case("alice@-mit.edu")]
    #[case("alice@mit..edu")]
    #[case("al ice@mit.edu")]
    fn bad_email(#[case] input: &str) {
        assert!(parse_email_domain("email", input).is_err());
    }

    #[rstest]
    #[case::twitch(Provider::TwitchFollowers, &[("followers", "12,345")],
        Fact::Followers { platform: SocialPlatform::Twitch, count: 12_345 })]
    #[case::x(Provider::XFollowers, &[("followers", "7")],
        Fact::Followers { platform: SocialPlatform::X, count: 7 })]
    #[case::youtube(Provider::YoutubeSubscribers, &[("subscribers", "1,000,000")],
        Fact::YoutubeSubscribers { count: 1_000_000 })]
    #[case::steam(Provider::SteamGames, &[("gameCount", "321")], Fact::SteamGameCount { count: 321 })]
    #[case::assets(Provider::CexTotalAssets, &[("exchange", "Binance"), ("totalAssetsUsd", "$10,000.50")],
        Fact::CexTotalAssets { exchange: "binance".into(), usd_cents: 1_000_050 })]
    #[case::vip(Provider::CexVipLevel, &[("exchange", "OKX"), ("vipLevel", "VIP 2")],
        Fact::CexVipLevel { exchange: "okx".into(), level: 2 })]
    #[case::subscription(Provider::Subscription, &[("platform", "Spotify"), ("plan", "Premium")],
        Fact::Subscription { platform: "spotify".into(), plan: "premium".into() })]
    #[case::school(Provider::SchoolEmail, &[("email", "bob@Stanford.EDU")],
        Fact::SchoolEmailDomain { domain: "stanford.edu".into() })]
    #[case::web2(Provider::Web2Account, &[("platform", "Twitch"), ("handle", "@Ninja")],
        Fact::Web2Account { platform: "twitch".into(), handle: "ninja".into() })]
    #[case::follow(Provider::SocialFollow,
        &[("platform", "x"), ("handle", "alice"), ("target", "@TRexChain")],
        Fact::SocialFollow { platform: "x".into(), handle: "alice".into(), target: "trexchain".into() })]
    #[case::posts(Provider::SocialPosts,
        &[("platform", "x"), ("handle", "alice"), ("query", " #TRex "), ("matchingPosts", "12")],
        Fact::SocialPosts { platform: "x".into(), handle: "alice".into(), query: "#trex".into(), matching_posts: 12 })]
    fn extracts(
        #[case] provider: Provider,
        #[case] pairs: &[(&str, &str)],
        #[case] expected: Fact,
    ) {
        assert_eq!(provider.extract_from(&params(pairs)).unwrap(), expected);
    }

    #[rstest]
    #[case(Provider::TwitchFollowers, &[], "followers")]
    #[case(Provider::CexTotalAssets, &[("totalAssetsUsd", "1")], "exchange")]
    #[case(Provider::Subscription, &[("platform", "spotify")], "plan")]
    #[case(Provider::Web2Account, &[("platform", "x")], "handle")]
    #[case(Provider::SocialFollow, &[("platform", "x"), ("handle", "a")], "target")]
    #[case(Provider::SocialPosts, &[("platform", "x"), ("handle", "a"), ("query", "q")], "matchingPosts")]
    fn missing_parameter(
        #[case] provider: Provider,
        #[case] pairs: &[(&str, &str)],
        #[case] key: &str,
    ) {
        let err = provider.extract_from(&params(pairs)).unwrap_err();
        assert!(matches!(err, ZkTlsError::MissingParameter { key: k, .. } if k == key), "{err}");
    }

    #[rstest]
    #[case("")]
    #[case("@")]
    #[case("al ice")]
    #[case("a@b")]
    #[case("tab\there")]
    #[case(&"x".repeat(65))]
    fn bad_handles(#[case] input: &str) {
        assert!(matches!(parse_handle("h", input), Err(ZkTlsError::InvalidValue { key: "h", .. })));
    }

    #[test]
    fn handles_normalise_case_and_at() {
        for spelling in ["Alice_01", "@alice_01", "  @ALICE_01 "] {
            assert_eq!(parse_handle("h", spelling).unwrap(), "alice_01");
        }
        assert!(parse_query("q", "   ").is_err());
        assert!(parse_query("q", &"q".repeat(257)).is_err());
    }

    #[test]
    fn provider_ids_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.id().parse::<Provider>().unwrap(), provider);
            assert_eq!(provider.to_string(), provider.id());
        }
        assert!(matches!("twitch".parse::<Provider>(), Err(ZkTlsError::UnknownProvider(_))));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*") {
            let _ = parse_count("n", &s);
            let _ = parse_usd_cents("n", &s);
            let _ = parse_vip_level("n", &s);
            let _ = parse_email_domain("n", &s);
            let _ = parse_name("n", &s);
            let _ = parse_handle("n", &s);
            let _ = parse_query("n", &s);
        }

        #[test]
        fn grouped_counts_round_trip(n in any::<u64>()) {
            let plain = n.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            prop_assert_eq!(parse_count("n", &grouped).unwrap(), n);
            prop_assert_eq!(parse_count("n", &plain).unwrap(), n);
        }
    }
}
