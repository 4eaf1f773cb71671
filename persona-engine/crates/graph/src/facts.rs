//! Validator facts as data-point rows.

use trex_sdk::persona::PersonaFact;

/// One fact as a `persona_data_points` row (without its result's columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataPoint {
    /// The fact's kind, as its JSON `kind` tag (e.g. `followers`).
    pub(crate) kind: &'static str,
    /// The exchange, platform, chain or domain it is about.
    pub(crate) source: String,
    /// What narrows the source ('' when nothing does).
    pub(crate) subject: String,
    /// The count, level or amount; `None` for facts that are only true.
    pub(crate) value: Option<u128>,
}

impl DataPoint {
    pub(crate) fn of(fact: &PersonaFact) -> Self {
        let row = |kind, source: &str, subject: &str, value| Self {
            kind,
            source: source.to_owned(),
            subject: subject.to_owned(),
            value,
        };
        match fact {
            PersonaFact::CexTotalAssets { exchange, usd_cents } => {
                row("cexTotalAssets", exchange, "", Some(*usd_cents))
            }
            PersonaFact::CexVipLevel { exchange, level } => {
                row("cexVipLevel", exchange, "", Some(u128::from(*level)))
            }
            PersonaFact::Followers { platform, count } => {
                row("followers", platform, "", Some(u128::from(*count)))
            }
            PersonaFact::YoutubeSubscribers { count } => {
                row("youtubeSubscribers", "youtube", "", Some(u128::from(*count)))
            }
            PersonaFact::Subscription { platform, plan } => {
                row("subscription", platform, plan, None)
            }
            PersonaFact::SteamGames { count } => {
                row("steamGames", "steam", "", Some(u128::from(*count)))
            }
            PersonaFact::Student { domain } => row("student", domain, "", None),
            PersonaFact::SocialFollow { platform, target } => {
                row("socialFollow", platform, target, None)
            }
            PersonaFact::ContractActivity { chain, category, transactions } => {
                row("contractActivity", chain, category, Some(u128::from(*transactions)))
            }
            PersonaFact::NftHoldings { chain, count } => {
                row("nftHoldings", chain, "", Some(u128::from(*count)))
            }
            PersonaFact::SocialPosts { platform, query, matching_posts } => {
                row("socialPosts", platform, query, Some(u128::from(*matching_posts)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_the_json_tags() {
        let facts = [
            PersonaFact::CexTotalAssets { exchange: "binance".into(), usd_cents: 1 },
            PersonaFact::CexVipLevel { exchange: "binance".into(), level: 1 },
            PersonaFact::Followers { platform: "x".into(), count: 1 },
            PersonaFact::YoutubeSubscribers { count: 1 },
            PersonaFact::Subscription { platform: "spotify".into(), plan: "family".into() },
            PersonaFact::SteamGames { count: 1 },
            PersonaFact::Student { domain: "mit.edu".into() },
            PersonaFact::SocialFollow { platform: "x".into(), target: "trex".into() },
            PersonaFact::ContractActivity {
                chain: "eip155:1".into(),
                category: "defi".into(),
                transactions: 1,
            },
            PersonaFact::NftHoldings { chain: "eip155:1".into(), count: 1 },
            PersonaFact::SocialPosts {
                platform: "x".into(),
                query: "gm".into(),
                matching_posts: 1,
            },
        ];
        for fact in &facts {
            let json = serde_json::to_value(fact).unwrap();
            assert_eq!(json["kind"], DataPoint::of(fact).kind, "{fact:?}");
        }
        let activity = DataPoint::of(&facts[8]);
        assert_eq!((activity.source.as_str(), activity.subject.as_str()), ("eip155:1", "defi"));
    }
}
