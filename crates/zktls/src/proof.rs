//! A Reclaim proof as the Reclaim SDKs serialise it to JSON.

use crate::{Provider, ZkTlsError};
use serde::{Deserialize, Serialize};

/// A Reclaim proof, field for field as `@reclaimprotocol/js-sdk` writes its `Proof` object.
///
/// Unknown fields (`publicData`, `extractedParameterValues`, …) are ignored: they are not signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReclaimProof {
    /// The claim identifier again, at top level; when present it must equal
    /// [`ClaimData::identifier`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The claim the witnesses signed.
    pub claim_data: ClaimData,
    /// The witnesses' signatures: 65-byte `r‖s‖v` secp256k1 signatures as `0x` hex.
    pub signatures: Vec<String>,
    /// The witnesses that took part, in the order of `signatures`.
    #[serde(default)]
    pub witnesses: Vec<WitnessData>,
}

/// The signed part of a proof (the SDK's `ProviderClaimData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimData {
    /// The attestor provider that made the claim, e.g. `"http"`.
    pub provider: String,
    /// The provider's parameters as a JSON string (request, matches, redactions).
    pub parameters: String,
    /// The address the claim belongs to, `0x` hex.
    pub owner: String,
    /// When the witness signed, in Unix seconds.
    pub timestamp_s: u64,
    /// A JSON string (or empty) with `contextAddress`, `contextMessage`, `extractedParameters`,
    /// `providerHash`.
    #[serde(default)]
    pub context: String,
    /// `keccak256` of provider, parameters and context, `0x` hex.
    pub identifier: String,
    /// The witness epoch the claim was made in.
    pub epoch: u64,
}

/// A witness listed in a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessData {
    /// The witness's address, `0x` hex.
    pub id: String,
    /// The witness's endpoint.
    #[serde(default)]
    pub url: String,
}

impl ReclaimProof {
    /// Parses a proof from the SDK's JSON.
    ///
    /// # Errors
    /// [`ZkTlsError::MalformedJson`] when the text is not JSON of this shape.
    pub fn from_json(json: &str) -> Result<Self, ZkTlsError> {
        serde_json::from_str(json).map_err(|e| ZkTlsError::MalformedJson(e.to_string()))
    }

    /// The provider the (not yet verified) claim names in its context's `contextMessage`, for
    /// picking the proofs a check should verify; [`VerifierConfig::check_provider`] is the
    /// binding check on a verified claim.
    ///
    /// [`VerifierConfig::check_provider`]: crate::VerifierConfig::check_provider
    pub fn named_provider(&self) -> Option<Provider> {
        let context: serde_json::Value = serde_json::from_str(&self.claim_data.context).ok()?;
        context.get("contextMessage")?.as_str()?.parse().ok()
    }

    /// Serialises the proof to JSON with the SDK's field names.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a proof of strings and integers always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_sdk_proof() {
        let proof =
            ReclaimProof::from_json(include_str!("../testdata/reclaim_github_username.json"))
                .unwrap();
        assert_eq!(proof.claim_data.provider, "http");
        assert_eq!(proof.claim_data.timestamp_s, 1_736_693_048);
        assert_eq!(proof.claim_data.epoch, 1);
        assert_eq!(proof.signatures.len(), 1);
        assert_eq!(proof.witnesses[0].id, "0x244897572368eadf65bfbc5aec98d8e5443a9072");
        let again = ReclaimProof::from_json(&proof.to_json()).unwrap();
        assert_eq!(again, proof);
    }

    #[test]
    fn named_provider_reads_the_context_message() {
        let mut proof =
            ReclaimProof::from_json(include_str!("../testdata/reclaim_github_username.json"))
                .unwrap();
        assert_eq!(proof.named_provider(), None);
        proof.claim_data.context = r#"{"contextMessage":"steam-games"}"#.into();
        assert_eq!(proof.named_provider(), Some(Provider::SteamGames));
        proof.claim_data.context = "not json".into();
        assert_eq!(proof.named_provider(), None);
    }

    #[test]
    fn missing_field_is_malformed_json() {
        let err = ReclaimProof::from_json(r#"{"claimData":{},"signatures":[]}"#).unwrap_err();
        assert!(matches!(err, ZkTlsError::MalformedJson(m) if m.contains("missing field")));
    }
}
