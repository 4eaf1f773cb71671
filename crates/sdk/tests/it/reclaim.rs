//! Test-only Reclaim proofs signed the way `trex-zktls` verifies them: the claim identifier is
//! keccak256(provider \n parameters \n canonical(context)) and the witness signs, with EIP-191,
//! `0x<identifier>\n0x<owner>\n<timestampS>\n<epoch>`. Shared with `examples/devnet_flow.rs`
//! (through `#[path]`), never part of the SDK's API: real proofs come from Reclaim's witnesses.

use alloy_primitives::Address;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};

/// What a proof claims.
pub(crate) struct Claim<'a> {
    /// Reclaim's claim provider (`http`).
    pub provider: &'a str,
    /// The provider's parameters (a JSON string, signed as is).
    pub parameters: String,
    /// The claim context (`contextAddress`, `contextMessage`, `extractedParameters`, …).
    pub context: Value,
}

/// A proof of `claim` for `owner` at `timestamp_s`, signed by `witness` for `epoch`.
pub(crate) fn signed_proof(
    witness: &PrivateKeySigner,
    claim: &Claim<'_>,
    owner: Address,
    timestamp_s: u64,
    epoch: u64,
) -> Value {
    let context = trex_zktls::canonical_json(&claim.context);
    let identifier = trex_zktls::claim_identifier(claim.provider, &claim.parameters, &context)
        .expect("context is JSON");
    let data = trex_zktls::sign_data(identifier, owner, timestamp_s, epoch);
    let signature = witness.sign_message_sync(data.as_bytes()).expect("local signing");
    json!({
        "identifier": identifier.to_string(),
        "claimData": {
            "provider": claim.provider,
            "parameters": claim.parameters,
            "owner": format!("0x{}", alloy_primitives::hex::encode(owner)),
            "timestampS": timestamp_s,
            "context": context,
            "identifier": identifier.to_string(),
            "epoch": epoch,
        },
        "signatures": [format!("0x{}", alloy_primitives::hex::encode(signature.as_bytes()))],
        "witnesses": [{ "id": witness.address().to_string(), "url": "wss://witness.test" }],
    })
}

/// A Twitch follower-count claim bound to `context_address` (a passport wallet); the T-Rex
/// provider id `twitch-followers` is the context's `contextMessage` (crates/zktls/README.md).
pub(crate) fn twitch_followers(
    context_address: Address,
    followers: &str,
    session: &str,
) -> Claim<'static> {
    Claim {
        provider: "http",
        parameters: json!({
            "method": "GET",
            "url": "https://api.twitch.tv/helix/channels/followers",
            "responseMatches": [{"type": "regex", "value": "\"total\":(?<followers>[0-9,]+)"}],
        })
        .to_string(),
        context: json!({
            "contextAddress": context_address.to_string(),
            "contextMessage": "twitch-followers",
            "sessionId": session,
            "extractedParameters": { "followers": followers },
        }),
    }
}
