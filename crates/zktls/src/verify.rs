//! Verification of a Reclaim proof against a trusted witness configuration.

use crate::{
    Provider, ReclaimProof, SeenProofs, ZkTlsError,
    identifier::{claim_identifier, sign_data},
};
use alloy_primitives::{Address, B256, Signature, hex};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    str::FromStr,
};

/// What a verifier trusts and how fresh a claim must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The trusted witness addresses of each epoch.
    pub witnesses: BTreeMap<u64, BTreeSet<Address>>,
    /// How many distinct trusted witnesses must have signed (at least 1 is always required).
    pub min_witnesses: usize,
    /// The oldest a claim may be, in seconds before `now`.
    pub max_age_s: u64,
    /// How far a claim's timestamp may lie after `now`, in seconds (clock skew).
    pub max_future_skew_s: u64,
    /// The Reclaim provider definitions (`providerHash`) trusted for each T-Rex provider. A
    /// provider absent here accepts any `providerHash` (devnets, tests); production deployments
    /// pin every provider they serve, or a user could prove "followers" from a page they host.
    pub provider_hashes: BTreeMap<Provider, BTreeSet<B256>>,
}

impl VerifierConfig {
    /// Default for [`max_future_skew_s`](Self::max_future_skew_s): one minute.
    pub const DEFAULT_FUTURE_SKEW_S: u64 = 60;

    /// A configuration with no epochs yet, requiring `min_witnesses` signatures on claims at most
    /// `max_age_s` old and a skew of [`DEFAULT_FUTURE_SKEW_S`](Self::DEFAULT_FUTURE_SKEW_S).
    pub fn new(min_witnesses: usize, max_age_s: u64) -> Self {
        Self {
            witnesses: BTreeMap::new(),
            min_witnesses,
            max_age_s,
            max_future_skew_s: Self::DEFAULT_FUTURE_SKEW_S,
            provider_hashes: BTreeMap::new(),
        }
    }

    /// Trusts the Reclaim provider definition `provider_hash` for `provider`; once one hash is
    /// pinned for a provider, proofs with any other `providerHash` are refused for it.
    pub fn with_provider_hash(mut self, provider: Provider, provider_hash: B256) -> Self {
        self.provider_hashes.entry(provider).or_default().insert(provider_hash);
        self
    }

    /// Checks that a verified claim proves `provider`: its `contextMessage` is the provider id
    /// (the T-Rex app sets it with the Reclaim SDK's `setContext(wallet, id)`, and it is signed as
    /// part of the identifier), and its `providerHash` is pinned for it when pins are configured.
    ///
    /// # Errors
    /// [`ZkTlsError::WrongProvider`] or [`ZkTlsError::UntrustedProvider`].
    pub fn check_provider(
        &self,
        claim: &VerifiedClaim,
        provider: Provider,
    ) -> Result<(), ZkTlsError> {
        if claim.context_message.as_deref() != Some(provider.id()) {
            return Err(ZkTlsError::WrongProvider {
                expected: provider.id(),
                named: claim.context_message.clone(),
            });
        }
        let Some(pinned) = self.provider_hashes.get(&provider) else {
            return Ok(());
        };
        let hash = claim.provider_hash.as_deref().and_then(|h| B256::from_str(h).ok());
        if hash.is_some_and(|hash| pinned.contains(&hash)) {
            Ok(())
        } else {
            Err(ZkTlsError::UntrustedProvider {
                provider: provider.id(),
                provider_hash: claim.provider_hash.clone(),
            })
        }
    }

    /// Adds (or replaces) the trusted witness set of `epoch`.
    pub fn with_epoch(mut self, epoch: u64, witnesses: impl IntoIterator<Item = Address>) -> Self {
        self.witnesses.insert(epoch, witnesses.into_iter().collect());
        self
    }

    /// Sets the allowed clock skew for future-dated claims.
    pub fn with_future_skew(mut self, skew_s: u64) -> Self {
        self.max_future_skew_s = skew_s;
        self
    }
}

/// A proof that passed every check, with its decoded fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaim {
    /// The claim identifier (also the replay key).
    pub identifier: B256,
    /// The attestor provider, e.g. `"http"`.
    pub provider: String,
    /// The provider parameters (JSON string) as signed.
    pub parameters: String,
    /// The claim's owner.
    pub owner: Address,
    /// When the claim was signed, Unix seconds.
    pub timestamp_s: u64,
    /// The witness epoch.
    pub epoch: u64,
    /// The distinct trusted witnesses that signed, sorted.
    pub witnesses: Vec<Address>,
    /// The context's `contextAddress`, if any.
    pub context_address: Option<String>,
    /// The context's `contextMessage`, if any.
    pub context_message: Option<String>,
    /// The context's `providerHash`, if any (identifies the Reclaim provider definition).
    pub provider_hash: Option<String>,
    /// The context's `extractedParameters`; numbers are kept as their decimal text.
    pub extracted_parameters: BTreeMap<String, String>,
}

/// Verifies a proof without the replay guard: identifier, epoch, freshness and witness signatures.
///
/// A service must also make sure each proof is used once; [`verify_once`] does both.
///
/// # Errors
/// The first failed check, each as its own [`ZkTlsError`] variant.
pub fn verify(
    proof: &ReclaimProof,
    config: &VerifierConfig,
    now_s: u64,
) -> Result<VerifiedClaim, ZkTlsError> {
    let claim = &proof.claim_data;

    // 1. The identifier is the hash of the claim info (and the top-level copy agrees).
    let declared = parse_b256("claimData.identifier", &claim.identifier)?;
    let computed = claim_identifier(&claim.provider, &claim.parameters, &claim.context)?;
    if declared != computed {
        return Err(ZkTlsError::IdentifierMismatch { declared, computed });
    }
    if let Some(top) = &proof.identifier {
        let top = parse_b256("identifier", top)?;
        if top != computed {
            return Err(ZkTlsError::IdentifierMismatch { declared: top, computed });
        }
    }
    let context = parse_context(&claim.context)?;
    let owner = parse_address("claimData.owner", &claim.owner)?;

    // 2. The epoch has a trusted witness set.
    let trusted =
        config.witnesses.get(&claim.epoch).ok_or(ZkTlsError::UnknownEpoch(claim.epoch))?;

    // 3. Freshness.
    if claim.timestamp_s > now_s.saturating_add(config.max_future_skew_s) {
        return Err(ZkTlsError::FutureTimestamp {
            timestamp_s: claim.timestamp_s,
            now_s,
            skew_s: config.max_future_skew_s,
        });
    }
    if now_s.saturating_sub(claim.timestamp_s) > config.max_age_s {
        return Err(ZkTlsError::Expired {
            timestamp_s: claim.timestamp_s,
            now_s,
            max_age_s: config.max_age_s,
        });
    }

    // 4. Every signature is by a trusted witness of the epoch over this claim's sign data.
    let listed = proof
        .witnesses
        .iter()
        .enumerate()
        .map(|(i, w)| parse_address(&format!("witnesses[{i}].id"), &w.id))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let message = sign_data(computed, owner, claim.timestamp_s, claim.epoch);
    let mut signers = BTreeSet::new();
    for (index, signature) in proof.signatures.iter().enumerate() {
        let recovered = recover(index, signature, &message)?;
        if !trusted.contains(&recovered) {
            return Err(if listed.contains(&recovered) {
                ZkTlsError::UntrustedWitness { index, address: recovered, epoch: claim.epoch }
            } else {
                ZkTlsError::SignatureMismatch { index, recovered }
            });
        }
        signers.insert(recovered);
    }
    let required = config.min_witnesses.max(1);
    if signers.len() < required {
        return Err(ZkTlsError::TooFewWitnesses { got: signers.len(), required });
    }

    Ok(VerifiedClaim {
        identifier: computed,
        provider: claim.provider.clone(),
        parameters: claim.parameters.clone(),
        owner,
        timestamp_s: claim.timestamp_s,
        epoch: claim.epoch,
        witnesses: signers.into_iter().collect(),
        context_address: context.address,
        context_message: context.message,
        provider_hash: context.provider_hash,
        extracted_parameters: context.extracted,
    })
}

/// [`verify`], then records the proof in `seen`; a proof seen before is rejected.
///
/// The identifier is recorded only after every other check passed, so a rejected proof can still be
/// submitted once it is fixed.
///
/// # Errors
/// As [`verify`], and [`ZkTlsError::Replayed`] for a proof already used.
pub fn verify_once(
    proof: &ReclaimProof,
    config: &VerifierConfig,
    seen: &dyn SeenProofs,
    now_s: u64,
) -> Result<VerifiedClaim, ZkTlsError> {
    let claim = verify(proof, config, now_s)?;
    if !seen.first_use(claim.identifier) {
        return Err(ZkTlsError::Replayed(claim.identifier));
    }
    Ok(claim)
}

/// Parses the SDK's JSON and runs [`verify_once`]: the whole path from untrusted text.
///
/// # Errors
/// [`ZkTlsError::MalformedJson`] for bad JSON, otherwise as [`verify_once`].
pub fn verify_json(
    json: &str,
    config: &VerifierConfig,
    seen: &dyn SeenProofs,
    now_s: u64,
) -> Result<VerifiedClaim, ZkTlsError> {
    verify_once(&ReclaimProof::from_json(json)?, config, seen, now_s)
}

#[derive(Default)]
struct Context {
    address: Option<String>,
    message: Option<String>,
    provider_hash: Option<String>,
    extracted: BTreeMap<String, String>,
}

fn parse_context(context: &str) -> Result<Context, ZkTlsError> {
    if context.is_empty() {
        return Ok(Context::default());
    }
    let value: Value = serde_json::from_str(context)
        .map_err(|e| ZkTlsError::InvalidContext(format!("context is not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ZkTlsError::InvalidContext("context is not a JSON object".into()));
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut extracted = BTreeMap::new();
    match map.get("extractedParameters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(params)) => {
            for (key, value) in params {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err(ZkTlsError::InvalidContext(format!(
                            "extractedParameters.{key} is neither a string nor a number"
                        )));
                    }
                };
                extracted.insert(key.clone(), value);
            }
        }
        Some(_) => {
            return Err(ZkTlsError::InvalidContext("extractedParameters is not an object".into()));
        }
    }
    Ok(Context {
        address: text("contextAddress"),
        message: text("contextMessage"),
        provider_hash: text("providerHash"),
        extracted,
    })
}

fn parse_b256(field: &str, value: &str) -> Result<B256, ZkTlsError> {
    let bytes = decode_hex(field, value)?;
    B256::try_from(bytes.as_slice()).map_err(|_| ZkTlsError::MalformedHex {
        field: field.to_owned(),
        reason: format!("expected 32 bytes, got {}", bytes.len()),
    })
}

fn parse_address(field: &str, value: &str) -> Result<Address, ZkTlsError> {
    // Reclaim writes addresses lower-case; accept any case but no checksum enforcement.
    let hex_part = value.strip_prefix("0x").unwrap_or(value);
    if hex_part.len() != 40 {
        return Err(ZkTlsError::MalformedAddress {
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }
    Address::from_str(&hex_part.to_ascii_lowercase()).map_err(|_| ZkTlsError::MalformedAddress {
        field: field.to_owned(),
        value: value.to_owned(),
    })
}

fn decode_hex(field: &str, value: &str) -> Result<Vec<u8>, ZkTlsError> {
    hex::decode(value.strip_prefix("0x").unwrap_or(value))
        .map_err(|e| ZkTlsError::MalformedHex { field: field.to_owned(), reason: e.to_string() })
}

fn recover(index: usize, signature: &str, message: &str) -> Result<Address, ZkTlsError> {
    let bytes = decode_hex(&format!("signatures[{index}]"), signature)?;
    if bytes.len() != 65 {
        return Err(ZkTlsError::InvalidSignature {
            index,
            reason: format!("expected 65 bytes, got {}", bytes.len()),
        });
    }
    // Ethereum message signatures carry v = 27/28 (or 0/1); anything else (e.g. EIP-155 values that
    // `from_raw` would accept) is not a Reclaim witness signature.
    if !matches!(bytes[64], 0 | 1 | 27 | 28) {
        return Err(ZkTlsError::InvalidSignature {
            index,
            reason: format!("recovery id v = {} is not 27/28 (or 0/1)", bytes[64]),
        });
    }
    let signature = Signature::from_raw(&bytes)
        .map_err(|e| ZkTlsError::InvalidSignature { index, reason: e.to_string() })?;
    signature
        .recover_address_from_msg(message)
        .map_err(|e| ZkTlsError::InvalidSignature { index, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Fact, InMemorySeenProofs, Provider, SocialPlatform, WitnessData, proof::ClaimData,
    };
    use alloy_primitives::address;
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use proptest::prelude::*;

    const NOW: u64 = 1_764_000_000;
    const EPOCH: u64 = 1;
    const OWNER: &str = "0x1111111111111111111111111111111111111111";

    /// A witness key generated for the test run: never a real Reclaim key.
    fn witness() -> PrivateKeySigner {
        PrivateKeySigner::random()
    }

    fn context(followers: &str) -> String {
        format!(
            r#"{{"contextAddress":"{OWNER}","contextMessage":"passport 7","extractedParameters":{{"followers":"{followers}"}},"providerHash":"0xabc"}}"#
        )
    }

    fn claim(timestamp_s: u64) -> ClaimData {
        let provider = "http".to_owned();
        let parameters =
            r#"{"method":"GET","url":"https://api.twitch.tv/helix/channels/followers?broadcaster_id=1"}"#
                .to_owned();
        let context = context("12,345");
        let identifier = claim_identifier(&provider, &parameters, &context).unwrap().to_string();
        ClaimData {
            provider,
            parameters,
            owner: OWNER.to_owned(),
            timestamp_s,
            context,
            identifier,
            epoch: EPOCH,
        }
    }

    fn sign(signer: &PrivateKeySigner, claim: &ClaimData) -> String {
        let message = sign_data(
            claim.identifier.parse().unwrap(),
            claim.owner.parse().unwrap(),
            claim.timestamp_s,
            claim.epoch,
        );
        let signature = signer.sign_message_sync(message.as_bytes()).unwrap();
        format!("0x{}", hex::encode(signature.as_bytes()))
    }

    fn proof(claim_data: ClaimData, signers: &[&PrivateKeySigner]) -> ReclaimProof {
        ReclaimProof {
            identifier: Some(claim_data.identifier.clone()),
            signatures: signers.iter().map(|s| sign(s, &claim_data)).collect(),
            witnesses: signers
                .iter()
                .map(|s| WitnessData {
                    id: format!("0x{}", hex::encode(s.address())),
                    url: "wss://witness.test/ws".into(),
                })
                .collect(),
            claim_data,
        }
    }

    fn config(trusted: &[&PrivateKeySigner]) -> VerifierConfig {
        VerifierConfig::new(1, 3_600).with_epoch(EPOCH, trusted.iter().map(|s| s.address()))
    }

    #[test]
    fn valid_proof_verifies_and_extracts_twitch_followers() {
        let w = witness();
        let proof = proof(claim(NOW - 10), &[&w]);
        let seen = InMemorySeenProofs::new();
        let verified = verify_json(&proof.to_json(), &config(&[&w]), &seen, NOW).unwrap();
        assert_eq!(verified.owner, OWNER.parse::<Address>().unwrap());
        assert_eq!(verified.witnesses, vec![w.address()]);
        assert_eq!(verified.context_message.as_deref(), Some("passport 7"));
        assert_eq!(verified.provider_hash.as_deref(), Some("0xabc"));
        let fact = Provider::TwitchFollowers.extract(&verified).unwrap();
        assert_eq!(fact, Fact::Followers { platform: SocialPlatform::Twitch, count: 12_345 });
        let Fact::Followers { count, .. } = fact else { unreachable!() };
        assert!(count > 10_000);
    }

    #[test]
    fn real_reclaim_proof_recovers_its_witness() {
        // A public proof made by Reclaim's production witness (testdata/README note in the crate
        // README): checks the identifier and sign-data formats against Reclaim's own output.
        let proof =
            ReclaimProof::from_json(include_str!("../testdata/reclaim_github_username.json"))
                .unwrap();
        let reclaim_witness = address!("0x244897572368eadf65bfbc5aec98d8e5443a9072");
        let config = VerifierConfig::new(1, 60).with_epoch(1, [reclaim_witness]);
        let verified = verify(&proof, &config, 1_736_693_048 + 30).unwrap();
        assert_eq!(verified.witnesses, vec![reclaim_witness]);
        assert_eq!(verified.extracted_parameters["username"], "hadi-saleh14");
    }

    fn named_claim(context_message: &str, provider_hash: &str) -> VerifiedClaim {
        let w = witness();
        let mut c = claim(NOW);
        let mut context: Value = serde_json::from_str(&c.context).unwrap();
        context["contextMessage"] = context_message.into();
        context["providerHash"] = provider_hash.into();
        c.context = context.to_string();
        c.identifier =
            claim_identifier(&c.provider, &c.parameters, &c.context).unwrap().to_string();
        verify(&proof(c, &[&w]), &config(&[&w]), NOW).unwrap()
    }

    #[test]
    fn provider_is_named_by_the_context_message_and_pinned_by_hash() {
        let pinned = B256::repeat_byte(0x11);
        let claim = named_claim("twitch-followers", &pinned.to_string());
        let open = VerifierConfig::new(1, 60);
        open.check_provider(&claim, Provider::TwitchFollowers).unwrap();
        assert_eq!(
            open.check_provider(&claim, Provider::XFollowers).unwrap_err(),
            ZkTlsError::WrongProvider {
                expected: "x-followers",
                named: Some("twitch-followers".into())
            }
        );
        let strict = open.with_provider_hash(Provider::TwitchFollowers, pinned);
        strict.check_provider(&claim, Provider::TwitchFollowers).unwrap();
        let other = named_claim("twitch-followers", &B256::repeat_byte(0x22).to_string());
        let err = strict.check_provider(&other, Provider::TwitchFollowers).unwrap_err();
        assert!(matches!(err, ZkTlsError::UntrustedProvider { provider: "twitch-followers", .. }));
        let garbage = named_claim("twitch-followers", "not a hash");
        assert!(strict.check_provider(&garbage, Provider::TwitchFollowers).is_err());
        // Pins of one provider leave the others open.
        let x = named_claim("x-followers", "0xabc");
        strict.check_provider(&x, Provider::XFollowers).unwrap();
    }

    #[test]
    fn two_of_two_witnesses() {
        let (a, b) = (witness(), witness());
        let mut config = config(&[&a, &b]);
        config.min_witnesses = 2;
        let verified = verify(&proof(claim(NOW), &[&a, &b]), &config, NOW).unwrap();
        assert_eq!(verified.witnesses.len(), 2);
    }

    #[test]
    fn too_few_witnesses_counts_distinct_signers() {
        let (a, b) = (witness(), witness());
        let mut config = config(&[&a, &b]);
        config.min_witnesses = 2;
        // The same witness twice is one witness.
        let err = verify(&proof(claim(NOW), &[&a, &a]), &config, NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::TooFewWitnesses { got: 1, required: 2 });
        let err = verify(&proof(claim(NOW), &[]), &config, NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::TooFewWitnesses { got: 0, required: 2 });
    }

    #[test]
    fn forged_signature_is_rejected() {
        let w = witness();
        let mut p = proof(claim(NOW), &[&w]);
        // Flip a byte of r: the signature recovers to some other key, or to none.
        let mut bytes = hex::decode(&p.signatures[0]).unwrap();
        bytes[5] ^= 0x01;
        p.signatures[0] = hex::encode_prefixed(&bytes);
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(
            matches!(
                err,
                ZkTlsError::SignatureMismatch { index: 0, .. }
                    | ZkTlsError::InvalidSignature { index: 0, .. }
            ),
            "{err}"
        );
        // A well-formed signature by an unknown key over the claim, passed off as the witness's.
        let forger = witness();
        let mut p = proof(claim(NOW), &[&w]);
        p.signatures[0] = sign(&forger, &p.claim_data);
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::SignatureMismatch { index: 0, recovered: forger.address() });
    }

    #[test]
    fn signature_with_invalid_v_is_invalid() {
        let w = witness();
        let mut p = proof(claim(NOW), &[&w]);
        let mut bytes = hex::decode(&p.signatures[0]).unwrap();
        bytes[64] = 42;
        p.signatures[0] = hex::encode_prefixed(&bytes);
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::InvalidSignature { index: 0, .. }), "{err}");
    }

    #[test]
    fn untrusted_witness_is_rejected() {
        let (trusted, stranger) = (witness(), witness());
        let err = verify(&proof(claim(NOW), &[&stranger]), &config(&[&trusted]), NOW).unwrap_err();
        assert_eq!(
            err,
            ZkTlsError::UntrustedWitness { index: 0, address: stranger.address(), epoch: EPOCH }
        );
    }

    #[test]
    fn wrong_epoch_is_rejected() {
        let (w1, w2) = (witness(), witness());
        // The claim names an epoch the verifier has no witness set for.
        let mut c = claim(NOW);
        c.epoch = 7;
        let err = verify(&proof(c, &[&w1]), &config(&[&w1]), NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::UnknownEpoch(7));
        // A witness trusted in epoch 2 only signs a claim of epoch 1.
        let config = VerifierConfig::new(1, 3_600)
            .with_epoch(1, [w1.address()])
            .with_epoch(2, [w2.address()]);
        let err = verify(&proof(claim(NOW), &[&w2]), &config, NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::UntrustedWitness { index: 0, address: w2.address(), epoch: 1 });
        // The epoch changed after signing.
        let mut p = proof(claim(NOW), &[&w1]);
        p.claim_data.epoch = 2;
        let config = config.with_epoch(2, [w1.address()]);
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::SignatureMismatch { index: 0, .. }), "{err}");
    }

    #[test]
    fn altered_parameters_are_an_identifier_mismatch() {
        let w = witness();
        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.parameters =
            p.claim_data.parameters.replace("broadcaster_id=1", "broadcaster_id=2");
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::IdentifierMismatch { .. }), "{err}");
        // Altered context (a bigger follower count) likewise.
        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.context = context("99,999");
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::IdentifierMismatch { .. }), "{err}");
        // The top-level identifier must agree too.
        let mut p = proof(claim(NOW), &[&w]);
        p.identifier = Some(B256::repeat_byte(9).to_string());
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::IdentifierMismatch { .. }), "{err}");
    }

    #[test]
    fn reordered_context_keys_keep_the_identifier() {
        // Reclaim canonicalises the context before hashing, so key order does not matter.
        let w = witness();
        let mut p = proof(claim(NOW), &[&w]);
        let value: Value = serde_json::from_str(&p.claim_data.context).unwrap();
        p.claim_data.context = serde_json::to_string_pretty(&value).unwrap();
        assert!(verify(&p, &config(&[&w]), NOW).is_ok());
    }

    #[test]
    fn altered_owner_or_timestamp_after_signing_is_rejected() {
        let w = witness();
        let mut p = proof(claim(NOW - 100), &[&w]);
        p.claim_data.owner = "0x2222222222222222222222222222222222222222".into();
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::SignatureMismatch { index: 0, .. }), "{err}");

        let mut p = proof(claim(NOW - 100), &[&w]);
        p.claim_data.timestamp_s = NOW - 50;
        let err = verify(&p, &config(&[&w]), NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::SignatureMismatch { index: 0, .. }), "{err}");
    }

    #[test]
    fn owner_case_does_not_matter() {
        // The sign data lower-cases the owner, as Reclaim does.
        let w = witness();
        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.owner = "0xABCDEFabcdefABCDEFabcdefABCDEFabcdefABCD".into();
        p.signatures = vec![sign(&w, &p.claim_data)];
        assert!(verify(&p, &config(&[&w]), NOW).is_ok());
    }

    #[test]
    fn expired_and_future_claims_are_rejected() {
        let w = witness();
        let config = config(&[&w]);
        assert!(verify(&proof(claim(NOW - 3_600), &[&w]), &config, NOW).is_ok());
        let err = verify(&proof(claim(NOW - 3_601), &[&w]), &config, NOW).unwrap_err();
        assert_eq!(
            err,
            ZkTlsError::Expired { timestamp_s: NOW - 3_601, now_s: NOW, max_age_s: 3_600 }
        );
        assert!(verify(&proof(claim(NOW + 60), &[&w]), &config, NOW).is_ok());
        let err = verify(&proof(claim(NOW + 61), &[&w]), &config, NOW).unwrap_err();
        assert_eq!(
            err,
            ZkTlsError::FutureTimestamp { timestamp_s: NOW + 61, now_s: NOW, skew_s: 60 }
        );
        let err = verify(&proof(claim(u64::MAX), &[&w]), &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::FutureTimestamp { .. }));
    }

    #[test]
    fn replayed_proof_is_rejected_and_rejections_do_not_consume() {
        let w = witness();
        let config = config(&[&w]);
        let seen = InMemorySeenProofs::new();
        let good = proof(claim(NOW), &[&w]);
        // A rejected proof (expired clock) does not burn the identifier.
        assert!(verify_once(&good, &config, &seen, NOW + 10_000).is_err());
        assert!(seen.is_empty());
        let first = verify_once(&good, &config, &seen, NOW).unwrap();
        let err = verify_once(&good, &config, &seen, NOW).unwrap_err();
        assert_eq!(err, ZkTlsError::Replayed(first.identifier));
    }

    #[test]
    fn malformed_json_is_rejected() {
        let config = config(&[&witness()]);
        let seen = InMemorySeenProofs::new();
        for json in ["", "{", "null", "[]", r#"{"claimData":1}"#, r#"{"claimData":{"epoch":-1}}"#] {
            let err = verify_json(json, &config, &seen, NOW).unwrap_err();
            assert!(matches!(err, ZkTlsError::MalformedJson(_)), "{json}: {err}");
        }
    }

    #[test]
    fn malformed_hex_and_addresses_are_rejected() {
        let w = witness();
        let config = config(&[&w]);

        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.identifier = "0xzz".into();
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(
            matches!(err, ZkTlsError::MalformedHex { ref field, .. } if field == "claimData.identifier"),
            "{err}"
        );

        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.identifier = "0xabcd".into();
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::MalformedHex { .. }), "{err}");

        let mut p = proof(claim(NOW), &[&w]);
        p.signatures[0] = "0xnothex".into();
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(
            matches!(err, ZkTlsError::MalformedHex { ref field, .. } if field == "signatures[0]"),
            "{err}"
        );

        let mut p = proof(claim(NOW), &[&w]);
        p.signatures[0].truncate(20);
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::InvalidSignature { index: 0, .. }), "{err}");

        let mut p = proof(claim(NOW), &[&w]);
        p.claim_data.owner = "0x1234".into();
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::MalformedAddress { .. }), "{err}");

        let mut p = proof(claim(NOW), &[&w]);
        p.witnesses[0].id = "witness".into();
        let err = verify(&p, &config, NOW).unwrap_err();
        assert!(matches!(err, ZkTlsError::MalformedAddress { .. }), "{err}");
    }

    #[test]
    fn invalid_context_is_rejected() {
        let w = witness();
        for context in [
            "not json",
            "[1]",
            r#"{"extractedParameters":[1]}"#,
            r#"{"extractedParameters":{"a":{}}}"#,
        ] {
            let mut c = claim(NOW);
            c.context = context.into();
            c.identifier = claim_identifier(&c.provider, &c.parameters, &c.context)
                .map(|id| id.to_string())
                .unwrap_or_else(|_| B256::ZERO.to_string());
            let err = verify(&proof(c, &[&w]), &config(&[&w]), NOW).unwrap_err();
            assert!(matches!(err, ZkTlsError::InvalidContext(_)), "{context}: {err}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_text_never_panics(text in "\\PC*") {
            let config = VerifierConfig::new(1, 60).with_epoch(1, [Address::ZERO]);
            let _ = verify_json(&text, &config, &InMemorySeenProofs::new(), NOW);
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let config = VerifierConfig::new(1, 60).with_epoch(1, [Address::ZERO]);
            let text = String::from_utf8_lossy(&bytes);
            let _ = verify_json(&text, &config, &InMemorySeenProofs::new(), NOW);
        }

        #[test]
        fn random_fields_never_panic(
            provider in "\\PC{0,16}",
            parameters in "\\PC{0,64}",
            context in prop_oneof![Just(String::new()), "\\PC{0,64}", Just(r#"{"extractedParameters":{"followers":"1"}}"#.to_owned())],
            owner in prop_oneof!["\\PC{0,44}", "0x[0-9a-fA-F]{40}"],
            identifier in prop_oneof!["\\PC{0,70}", "0x[0-9a-f]{64}"],
            signatures in proptest::collection::vec(prop_oneof!["\\PC{0,140}", "0x[0-9a-f]{130}"], 0..3),
            timestamp_s in any::<u64>(),
            epoch in any::<u64>(),
        ) {
            let proof = ReclaimProof {
                identifier: None,
                claim_data: ClaimData { provider, parameters, owner, timestamp_s, context, identifier, epoch },
                signatures,
                witnesses: vec![],
            };
            let config = VerifierConfig::new(1, u64::MAX).with_epoch(epoch, [Address::ZERO]);
            let _ = verify_json(&proof.to_json(), &config, &InMemorySeenProofs::new(), NOW);
        }
    }
}
