//! Social checks over the Web2 accounts linked to a passport.
//!
//! TRexPassport stores, per passport and platform, `keccak256(handle)` of the linked account
//! (`web2Account(passportId, keccak256(platform))`, written by `linkWeb2` with this service's
//! attestation of a `web2-account` proof). `linked_account` reads it; `follows` and `posts` take
//! `social-follow` / `social-posts` proofs whose handle must hash to it, so a proof about
//! someone else's account does not count for this passport.

use alloy_network::TransactionBuilder;
use alloy_primitives::{B256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use trex_sdk::TRexPassport;
use trex_zktls::{Fact, Provider as ZkProvider, parse_handle};

use crate::{
    conditions::Condition,
    error::ValidatorError,
    evaluate::{Chains, CheckContext, Outcome, not_mine},
    proofs::{Verdict, check_proofs},
};

/// Evaluates one social check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    match condition {
        Condition::LinkedAccount { platform } => {
            let platform = normalise_platform(platform);
            let linked = linked_handle_hash(ctx, &platform).await?;
            Ok(Outcome::when(
                linked.is_some(),
                format!(
                    "linked_account: {} `{platform}` account linked to passport {}",
                    if linked.is_some() { "a" } else { "no" },
                    ctx.subject.passport_id
                ),
            ))
        }
        Condition::Follows { platform, target } => {
            let platform = normalise_platform(platform);
            let target = parse_handle("target", target)
                .map_err(|err| ValidatorError::InvalidConditions(format!("follows: {err}")))?;
            let Some(linked) = linked_handle_hash(ctx, &platform).await? else {
                return Ok(no_linked_account("follows", &platform, ctx));
            };
            check_proofs(ctx, ZkProvider::SocialFollow, &format!("on `{platform}`"), |fact| {
                let Fact::SocialFollow { platform: seen, handle, target: followed } = fact else {
                    return Ok(Verdict::Irrelevant);
                };
                if *seen != platform {
                    return Ok(Verdict::Irrelevant);
                }
                bound_to_linked(ctx, &platform, handle, linked)?;
                Ok(Verdict::judged(
                    *followed == target,
                    format!(
                        "follows: {handle} follows {followed} on {platform} ({target} required)"
                    ),
                ))
            })
            .await
        }
        Condition::Posts { platform, contains, min } => {
            let platform = normalise_platform(platform);
            let contains = contains.trim().to_lowercase();
            let Some(linked) = linked_handle_hash(ctx, &platform).await? else {
                return Ok(no_linked_account("posts", &platform, ctx));
            };
            let wanted = format!("on `{platform}` searching for {contains:?}");
            check_proofs(ctx, ZkProvider::SocialPosts, &wanted, |fact| {
                let Fact::SocialPosts { platform: seen, handle, query, matching_posts } = fact
                else {
                    return Ok(Verdict::Irrelevant);
                };
                // Every post matching a query that contains the text contains the text too, so a
                // narrower search still counts; a broader one would not.
                if *seen != platform || !query.contains(&contains) {
                    return Ok(Verdict::Irrelevant);
                }
                bound_to_linked(ctx, &platform, handle, linked)?;
                Ok(Verdict::judged(
                    matching_posts >= min,
                    format!(
                        "posts: {handle} has {matching_posts} posts matching {query:?} on \
                         {platform} (at least {min} containing {contains:?} required)"
                    ),
                ))
            })
            .await
        }
        _ => Err(not_mine("SOCIAL", condition)),
    }
}

/// Platform names are lower case everywhere (the passport key is `keccak256(lowercase name)`).
fn normalise_platform(platform: &str) -> String {
    platform.trim().to_lowercase()
}

fn no_linked_account(check: &str, platform: &str, ctx: CheckContext<'_>) -> Outcome {
    Outcome::unmet(format!(
        "{check}: no `{platform}` account is linked to passport {}",
        ctx.subject.passport_id
    ))
}

/// A proof's handle must be the passport's linked account on the platform.
fn bound_to_linked(
    ctx: CheckContext<'_>,
    platform: &str,
    handle: &str,
    linked: B256,
) -> Result<(), ValidatorError> {
    if keccak256(handle.as_bytes()) == linked {
        return Ok(());
    }
    Err(ValidatorError::ProofNotBound {
        passport_id: ctx.subject.passport_id,
        reason: format!("`{handle}` is not the {platform} account linked to it"),
    })
}

/// `keccak256(handle)` of the passport's linked account on `platform`, `None` when none is.
async fn linked_handle_hash(
    ctx: CheckContext<'_>,
    platform: &str,
) -> Result<Option<B256>, ValidatorError> {
    let provider = ctx.env.chains.get(Chains::TREX)?;
    let call = TRexPassport::web2AccountCall {
        passportId: ctx.subject.passport_id,
        platform: keccak256(platform.as_bytes()),
    };
    let tx = TransactionRequest::default().with_to(ctx.env.passport).with_input(call.abi_encode());
    let chain = |err: String| ValidatorError::chain(Chains::TREX, err);
    let out = provider
        .call(tx)
        .await
        .map_err(|err| chain(format!("web2Account at {}: {err}", ctx.env.passport)))?;
    let hash = TRexPassport::web2AccountCall::abi_decode_returns(&out)
        .map_err(|err| chain(format!("web2Account at {}: {err}", ctx.env.passport)))?;
    Ok((hash != B256::ZERO).then_some(hash))
}
