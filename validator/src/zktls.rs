//! ZKTLS checks: facts proven by Reclaim zkTLS proofs (exchange assets and VIP level, follower
//! and subscriber counts, subscriptions, Steam games). Every proof goes through
//! [`crate::proofs`]: verified, bound to the passport, unused; a met check consumes its proof.

use trex_zktls::{Fact, Provider};

use crate::{
    conditions::Condition,
    error::ValidatorError,
    evaluate::{CheckContext, Outcome, not_mine},
    proofs::{Verdict, check_proofs},
};

/// Evaluates one ZKTLS check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    match condition {
        Condition::CexTotalAssets { exchange, min_usd_cents } => {
            let wanted = exchange_wanted(exchange.as_deref());
            check_proofs(ctx, Provider::CexTotalAssets, &wanted, |fact| {
                Ok(match fact {
                    Fact::CexTotalAssets { exchange: seen, usd_cents }
                        if same_exchange(exchange.as_deref(), seen) =>
                    {
                        Verdict::judged(
                            *usd_cents >= u128::from(*min_usd_cents),
                            format!(
                                "cex_total_assets: {seen} total assets {usd_cents} US cents \
                                 (at least {min_usd_cents} required)"
                            ),
                        )
                    }
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::CexVipLevel { exchange, min } => {
            let wanted = exchange_wanted(exchange.as_deref());
            check_proofs(ctx, Provider::CexVipLevel, &wanted, |fact| {
                Ok(match fact {
                    Fact::CexVipLevel { exchange: seen, level }
                        if same_exchange(exchange.as_deref(), seen) =>
                    {
                        Verdict::judged(
                            level >= min,
                            format!(
                                "cex_vip_level: {seen} VIP level {level} (at least {min} required)"
                            ),
                        )
                    }
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::Followers { platform, min } => {
            let provider = match platform.as_str() {
                "twitch" => Provider::TwitchFollowers,
                "x" => Provider::XFollowers,
                other => {
                    return Err(ValidatorError::InvalidConditions(format!(
                        "followers: platform `{other}` is not `twitch` or `x`"
                    )));
                }
            };
            check_proofs(ctx, provider, "", |fact| {
                Ok(match fact {
                    Fact::Followers { count, .. } => Verdict::judged(
                        count >= min,
                        format!(
                            "followers: {count} {platform} followers (at least {min} required)"
                        ),
                    ),
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::YoutubeSubscribers { min } => {
            check_proofs(ctx, Provider::YoutubeSubscribers, "", |fact| {
                Ok(match fact {
                    Fact::YoutubeSubscribers { count } => Verdict::judged(
                        count >= min,
                        format!(
                            "youtube_subscribers: {count} subscribers (at least {min} required)"
                        ),
                    ),
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::Subscription { platform, plan } => {
            let platform = platform.trim().to_lowercase();
            let plan = plan.as_deref().map(|p| p.trim().to_lowercase());
            check_proofs(ctx, Provider::Subscription, &format!("for `{platform}`"), |fact| {
                Ok(match fact {
                    Fact::Subscription { platform: seen, plan: seen_plan } if *seen == platform => {
                        let required = plan
                            .as_deref()
                            .map_or_else(|| "any plan".to_owned(), |plan| format!("plan `{plan}`"));
                        Verdict::judged(
                            plan.as_ref().is_none_or(|plan| plan == seen_plan),
                            format!(
                                "subscription: `{seen}` plan `{seen_plan}` ({required} required)"
                            ),
                        )
                    }
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::SteamGames { min } => {
            check_proofs(ctx, Provider::SteamGames, "", |fact| {
                Ok(match fact {
                    Fact::SteamGameCount { count } => Verdict::judged(
                        count >= min,
                        format!("steam_games: {count} games (at least {min} required)"),
                    ),
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        _ => Err(not_mine("ZKTLS", condition)),
    }
}

/// Exchange names are compared lower-cased (the proof's already are); no name means any.
fn same_exchange(wanted: Option<&str>, seen: &str) -> bool {
    wanted.is_none_or(|wanted| wanted.trim().eq_ignore_ascii_case(seen))
}

fn exchange_wanted(exchange: Option<&str>) -> String {
    exchange.map(|e| format!("for exchange `{}`", e.trim().to_lowercase())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchanges_compare_case_insensitively_and_none_is_any() {
        assert!(same_exchange(None, "binance"));
        assert!(same_exchange(Some("Binance"), "binance"));
        assert!(same_exchange(Some(" okx "), "okx"));
        assert!(!same_exchange(Some("okx"), "binance"));
    }
}
