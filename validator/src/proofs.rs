//! The one path every zkTLS proof takes (ZKTLS, student and social checks, and the Web2 link
//! endpoint): pick the request's proofs of a provider, verify them against the trusted witnesses,
//! bind them to the passport, refuse used ones, and extract what they prove.
//!
//! A proof names its T-Rex provider in its context's `contextMessage` (see `trex-zktls`). Any
//! proof of the provider that fails a step is an error, not an unmet check: a forged or replayed
//! proof is reported as such rather than hidden behind "condition not met".

use alloy_primitives::{Address, B256};
use serde::Deserialize;
use trex_zktls::{Fact, Provider, ReclaimProof, VerifierConfig, ZkTlsError, verify};

use crate::{
    error::ValidatorError,
    evaluate::{CheckContext, Consumption, Outcome, Subject, UsedEvidence},
};

/// A verified proof bound to the passport and not used before, with the fact it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProvenFact {
    /// The claim identifier: what an attestation built on it consumes.
    pub(crate) identifier: B256,
    /// What it proves.
    pub(crate) fact: Fact,
}

/// What a check makes of one proven fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The proof is about something else (another exchange, platform or search); skip it.
    Irrelevant,
    /// The proof is about this check; whether it satisfies it, and what was observed.
    Judged {
        /// Whether the check holds on this proof.
        met: bool,
        /// Observed against required.
        reason: String,
    },
}

impl Verdict {
    /// A judged proof.
    pub(crate) fn judged(met: bool, reason: impl Into<String>) -> Self {
        Self::Judged { met, reason: reason.into() }
    }
}

/// Verifies one proof of `provider` for `subject` at `now`: Reclaim verification against the
/// trusted witnesses and freshness, the provider named and (when pinned) trusted, the claim's
/// `contextAddress` one of the passport's wallets, and the identifier never used before; then
/// extracts the fact.
///
/// # Errors
/// [`ValidatorError::Proof`] (malformed, forged, altered, untrusted witness, expired, wrong or
/// untrusted provider, unparsable value), [`ValidatorError::ProofNotBound`],
/// [`ValidatorError::ProofReplayed`], or the store's error.
pub(crate) async fn verify_bound(
    proof: &ReclaimProof,
    provider: Provider,
    subject: &Subject,
    zktls: &VerifierConfig,
    used: &dyn UsedEvidence,
    now: u64,
) -> Result<ProvenFact, ValidatorError> {
    let claim = verify(proof, zktls, now)?;
    zktls.check_provider(&claim, provider)?;
    let not_bound =
        |reason: String| ValidatorError::ProofNotBound { passport_id: subject.passport_id, reason };
    let address = claim
        .context_address
        .as_deref()
        .ok_or_else(|| not_bound("the claim has no contextAddress".into()))?;
    let address: Address = address
        .trim()
        .to_ascii_lowercase()
        .parse()
        .map_err(|_| not_bound(format!("contextAddress {address:?} is not an address")))?;
    if !subject.wallets.contains(&address) {
        return Err(not_bound(format!("contextAddress {address} is not one of its wallets")));
    }
    if used.proof_used(claim.identifier).await? {
        return Err(ValidatorError::ProofReplayed(claim.identifier));
    }
    let fact = provider.extract(&claim)?;
    Ok(ProvenFact { identifier: claim.identifier, fact })
}

/// Every proof of `provider` in the request's evidence, through [`verify_bound`].
///
/// # Errors
/// [`ValidatorError::MissingEvidence`] when the request carries no proof naming `provider`; a
/// proof that is not Reclaim proof JSON at all is [`ValidatorError::Proof`]; otherwise as
/// [`verify_bound`].
pub(crate) async fn proven_facts(
    ctx: CheckContext<'_>,
    provider: Provider,
) -> Result<Vec<ProvenFact>, ValidatorError> {
    let mut proven = Vec::new();
    for value in &ctx.evidence.zktls_proofs {
        let proof = ReclaimProof::deserialize(value)
            .map_err(|err| ZkTlsError::MalformedJson(err.to_string()))?;
        if proof.named_provider() != Some(provider) {
            continue;
        }
        proven.push(
            verify_bound(
                &proof,
                provider,
                ctx.subject,
                &ctx.env.zktls,
                ctx.env.used.as_ref(),
                ctx.now,
            )
            .await?,
        );
    }
    if proven.is_empty() {
        return Err(ValidatorError::MissingEvidence(format!(
            "no zkTLS proof of provider `{provider}` (a Reclaim proof whose contextMessage is \
             \"{provider}\")"
        )));
    }
    Ok(proven)
}

/// Runs a check over the proofs of `provider`: the first proof `judge` finds satisfying is the
/// outcome (and is consumed); when none does, the check is unmet with what each relevant proof
/// showed. `wanted` says what a relevant proof would be, for the error when there is none.
///
/// # Errors
/// As [`proven_facts`], what `judge` returns, and [`ValidatorError::MissingEvidence`] when every
/// proof of the provider is irrelevant to the check.
pub(crate) async fn check_proofs<F>(
    ctx: CheckContext<'_>,
    provider: Provider,
    wanted: &str,
    mut judge: F,
) -> Result<Outcome, ValidatorError>
where
    F: FnMut(&Fact) -> Result<Verdict, ValidatorError>,
{
    let mut reasons = Vec::new();
    for proven in proven_facts(ctx, provider).await? {
        match judge(&proven.fact)? {
            Verdict::Irrelevant => {}
            Verdict::Judged { met: true, reason } => {
                return Ok(
                    Outcome::met(reason).consuming(Consumption::ZkTlsProof(proven.identifier))
                );
            }
            Verdict::Judged { met: false, reason } => reasons.push(reason),
        }
    }
    if reasons.is_empty() {
        let wanted = if wanted.is_empty() { String::new() } else { format!(" {wanted}") };
        return Err(ValidatorError::MissingEvidence(format!(
            "no zkTLS proof of provider `{provider}`{wanted}"
        )));
    }
    Ok(Outcome::unmet(reasons.join("; ")))
}
