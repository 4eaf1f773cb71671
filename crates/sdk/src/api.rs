//! The JSON wire types of the `trex-validator` HTTP API, shared by the service (which serves
//! them) and [`ValidatorClient`](crate::ValidatorClient) (which sends and reads them).
//!
//! uint256 values are decimal strings, bytes `0x`-hex. Request bodies refuse unknown fields;
//! answers read their uint256 values as decimal strings only.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

use crate::{LinkSolana, LinkWeb2, MintAttestation};

/// uint256 as a decimal string, as the validator API writes them.
mod decimal {
    use alloy_primitives::U256;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => U256::from_str_radix(&s, 10)
                .map_err(|e| D::Error::custom(format!("`{s}` is not a decimal uint256: {e}"))),
            Raw::Number(n) => Ok(U256::from(n)),
        }
    }
}

/// `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorInfo {
    /// The service's signing address (what badge classes must trust).
    pub validator: Address,
    /// The T-Rex chain it attests for.
    pub chain_id: u64,
    /// The TRexPassport it reads.
    pub passport: Address,
    /// The TRexBadge it signs for.
    pub badge: Address,
    /// EVM chains conditions may name.
    pub chains: Vec<String>,
    /// Whether Solana checks are available.
    pub solana: bool,
    /// Seconds an attestation stays valid.
    pub attestation_ttl: u64,
}

/// `POST /v1/conditions/hash`: what a class created for a document must declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionsHash {
    /// keccak256 of the canonical JSON of the document: the class's `paramsHash`.
    pub params_hash: B256,
    /// keccak256 of the kind's name: the class's `validatorKind`.
    pub validator_kind: B256,
    /// The kind's name (`NFT`, `ZKTLS`, …).
    pub kind: String,
}

/// `PUT` / `GET /v1/classes/{id}/conditions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredConditions {
    /// The class.
    #[serde(with = "decimal")]
    pub class_id: U256,
    /// Its `paramsHash`.
    pub params_hash: B256,
    /// The kind's name.
    pub kind: String,
    /// The document as registered (hashing its canonical JSON gives `paramsHash`); returned by
    /// `GET` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

/// A Merkle proof that `account` is on an allowlist (OpenZeppelin `StandardMerkleTree`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowlistProof {
    /// The listed account (one of the passport's wallets).
    pub account: Address,
    /// Sibling hashes from the leaf up (OpenZeppelin `StandardMerkleTree.getProof`).
    pub proof: Vec<B256>,
}

/// What a caller brings besides the passport: proofs and codes no chain holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Evidence {
    /// Reclaim proofs (the JSON the Reclaim SDKs produce), for ZKTLS, student and social checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zktls_proofs: Vec<serde_json::Value>,
    /// An event code, for `event_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_code: Option<String>,
    /// A Merkle allowlist proof, for `merkle_allowlist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<AllowlistProof>,
}

/// `POST /v1/classes/{id}/validate` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidateRequest {
    /// The passport to check.
    #[serde(serialize_with = "decimal::serialize")]
    pub passport_id: U256,
    /// The badge's recipient; must be the passport's owner (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Address>,
    /// Proofs and codes the checks need.
    #[serde(default)]
    pub evidence: Evidence,
}

/// The attestation of a `POST /v1/classes/{id}/validate`, as the API writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintAttestationJson {
    /// The badge class.
    #[serde(with = "decimal")]
    pub class_id: U256,
    /// The passport.
    #[serde(with = "decimal")]
    pub passport_id: U256,
    /// The passport's owner.
    pub recipient: Address,
    /// Single-use id.
    pub attestation_id: B256,
    /// Unix second after which `mint` refuses it.
    #[serde(with = "decimal")]
    pub deadline: U256,
}

impl From<&MintAttestationJson> for MintAttestation {
    fn from(a: &MintAttestationJson) -> Self {
        Self {
            classId: a.class_id,
            passportId: a.passport_id,
            recipient: a.recipient,
            attestationId: a.attestation_id,
            deadline: a.deadline,
        }
    }
}

impl From<&MintAttestation> for MintAttestationJson {
    fn from(a: &MintAttestation) -> Self {
        Self {
            class_id: a.classId,
            passport_id: a.passportId,
            recipient: a.recipient,
            attestation_id: a.attestationId,
            deadline: a.deadline,
        }
    }
}

/// A validator's signed mint attestation (the `POST /v1/classes/{id}/validate` answer): pass it
/// to [`BadgeClient::mint_signed`](crate::BadgeClient::mint_signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedMintAttestation {
    /// What was attested.
    pub attestation: MintAttestationJson,
    /// The validator's EIP-712 signature (65 bytes).
    pub signature: Bytes,
    /// The validator's address.
    pub validator: Address,
    /// What was observed, one line per check.
    #[serde(default)]
    pub reasons: Vec<String>,
}

impl SignedMintAttestation {
    /// The EIP-712 struct the signature covers.
    pub fn message(&self) -> MintAttestation {
        (&self.attestation).into()
    }
}

/// `POST /v1/link/solana` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkSolanaRequest {
    /// The passport.
    #[serde(serialize_with = "decimal::serialize")]
    pub passport_id: U256,
    /// The Solana address, base58.
    pub solana_address: String,
    /// The address key's ed25519 signature of
    /// [`solana_link_message`](crate::solana_link_message), base58.
    pub signature: String,
}

/// The attestation of a `POST /v1/link/solana`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolanaLinkAttestation {
    /// The passport.
    #[serde(with = "decimal")]
    pub passport_id: U256,
    /// The 32-byte ed25519 public key.
    pub solana_address: B256,
    /// Single-use id.
    pub attestation_id: B256,
    /// Unix second after which `linkSolana` refuses it.
    #[serde(with = "decimal")]
    pub deadline: U256,
}

impl From<&LinkSolana> for SolanaLinkAttestation {
    fn from(a: &LinkSolana) -> Self {
        Self {
            passport_id: a.passportId,
            solana_address: a.solanaAddress,
            attestation_id: a.attestationId,
            deadline: a.deadline,
        }
    }
}

/// A validator's signed Solana link (the `POST /v1/link/solana` answer): pass it to
/// [`PassportClient::link_solana_signed`](crate::PassportClient::link_solana_signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedSolanaLink {
    /// What was attested.
    pub attestation: SolanaLinkAttestation,
    /// The validator's EIP-712 `LinkSolana` signature.
    pub signature: Bytes,
    /// The validator's address.
    pub validator: Address,
}

impl SignedSolanaLink {
    /// The EIP-712 struct the signature covers (domain: the passport's).
    pub const fn message(&self) -> LinkSolana {
        let a = &self.attestation;
        LinkSolana {
            passportId: a.passport_id,
            solanaAddress: a.solana_address,
            attestationId: a.attestation_id,
            deadline: a.deadline,
        }
    }
}

/// `POST /v1/link/web2` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkWeb2Request {
    /// The passport.
    #[serde(serialize_with = "decimal::serialize")]
    pub passport_id: U256,
    /// The platform (`twitch`, `x`, …); compared and hashed in lower case.
    pub platform: String,
    /// A Reclaim proof of provider `web2-account` for that platform.
    pub proof: serde_json::Value,
}

/// The attestation of a `POST /v1/link/web2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Web2LinkAttestation {
    /// The passport.
    #[serde(with = "decimal")]
    pub passport_id: U256,
    /// keccak256 of the lower-case platform name.
    pub platform: B256,
    /// keccak256 of the handle.
    pub handle_hash: B256,
    /// Single-use id.
    pub attestation_id: B256,
    /// Unix second after which `linkWeb2` refuses it.
    #[serde(with = "decimal")]
    pub deadline: U256,
}

impl From<&LinkWeb2> for Web2LinkAttestation {
    fn from(a: &LinkWeb2) -> Self {
        Self {
            passport_id: a.passportId,
            platform: a.platform,
            handle_hash: a.handleHash,
            attestation_id: a.attestationId,
            deadline: a.deadline,
        }
    }
}

/// A validator's signed Web2 link (the `POST /v1/link/web2` answer): pass it to
/// [`PassportClient::link_web2_signed`](crate::PassportClient::link_web2_signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedWeb2Link {
    /// What was attested.
    pub attestation: Web2LinkAttestation,
    /// The validator's EIP-712 `LinkWeb2` signature.
    pub signature: Bytes,
    /// The validator's address.
    pub validator: Address,
}

impl SignedWeb2Link {
    /// The EIP-712 struct the signature covers (domain: the passport's).
    pub const fn message(&self) -> LinkWeb2 {
        let a = &self.attestation;
        LinkWeb2 {
            passportId: a.passport_id,
            platform: a.platform,
            handleHash: a.handle_hash,
            attestationId: a.attestation_id,
            deadline: a.deadline,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn answers_read_and_write_decimal_strings() {
        let json = r#"{"attestation":{"classId":"1","passportId":"12","recipient":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","attestationId":"0x0000000000000000000000000000000000000000000000000000000000000001","deadline":"1700000000"},"signature":"0x01","validator":"0xa0ee7a142d267c1f36714e4a8f75612f20a79720","reasons":["ok"]}"#;
        let signed: SignedMintAttestation = serde_json::from_str(json).unwrap();
        assert_eq!(signed.message().passportId, U256::from(12));
        assert_eq!(signed.message().deadline, U256::from(1_700_000_000u64));
        let back = serde_json::to_value(&signed).unwrap();
        assert_eq!(back["attestation"]["deadline"], "1700000000");
        let hex = r#"{"classId":"0x1","paramsHash":"0x0000000000000000000000000000000000000000000000000000000000000001","kind":"NFT"}"#;
        assert!(serde_json::from_str::<RegisteredConditions>(hex).is_err());
    }

    #[test]
    fn requests_write_decimal_ids_and_refuse_unknown_fields() {
        let request = ValidateRequest {
            passport_id: U256::from(7),
            recipient: None,
            evidence: Evidence::default(),
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"passportId":"7","evidence":{}})
        );
        let read: ValidateRequest = serde_json::from_str(r#"{"passportId":"7"}"#).unwrap();
        assert_eq!(read, request);
        assert!(serde_json::from_str::<ValidateRequest>(r#"{"passportId":"7","x":1}"#).is_err());
        let evidence = r#"{"passportId":"7","evidence":{"eventCode":"a","x":1}}"#;
        assert!(serde_json::from_str::<ValidateRequest>(evidence).is_err());
    }

    #[test]
    fn registration_answers_omit_an_absent_document() {
        let registered = RegisteredConditions {
            class_id: U256::from(3),
            params_hash: B256::ZERO,
            kind: "NFT".into(),
            conditions: None,
        };
        let json = serde_json::to_value(&registered).unwrap();
        assert_eq!(json, json!({"classId":"3","paramsHash":B256::ZERO,"kind":"NFT"}));
    }
}
