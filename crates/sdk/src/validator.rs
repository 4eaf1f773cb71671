//! HTTP client of the `trex-validator` service: conditions registration, validation requests
//! (which answer with a signed `MintAttestation`) and Solana / Web2 link attestations.
//!
//! The API speaks JSON with uint256 values as decimal strings and bytes as `0x`-hex; an error is
//! `{"error": {"code", "message", "reasons"?}}` with an HTTP status, surfaced here as
//! [`ValidatorApiError`].

use alloy_primitives::{Address, B256, Bytes, U256};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use url::Url;

use crate::{Error, LinkSolana, LinkWeb2, MintAttestation, Result};

/// uint256 as a decimal string, as the validator API writes them.
mod decimal {
    use alloy_primitives::U256;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
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

/// The service refused a request: its HTTP status, stable `code` (e.g. `condition_not_met`,
/// `proof_replayed`), message and, for unmet conditions, one reason per failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("validator refused ({status} {code}): {message}{}", fmt_reasons(.reasons))]
pub struct ValidatorApiError {
    /// The HTTP status.
    pub status: u16,
    /// `ValidatorError::code()` of the service (`http_<status>` for a body that is not the API's).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// What was observed against what was required, when conditions were not met.
    pub reasons: Vec<String>,
}

fn fmt_reasons(reasons: &[String]) -> String {
    if reasons.is_empty() { String::new() } else { format!(" [{}]", reasons.join("; ")) }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    #[serde(default)]
    reasons: Vec<String>,
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
    /// The document (returned by `GET` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

/// A Merkle proof that `account` is on an allowlist (OpenZeppelin `StandardMerkleTree`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistProof {
    /// The listed account (one of the passport's wallets).
    pub account: Address,
    /// Sibling hashes from the leaf up.
    pub proof: Vec<B256>,
}

/// What a caller brings besides the passport: proofs and codes no chain holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Reclaim proofs (the JSON the Reclaim SDKs produce).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zktls_proofs: Vec<serde_json::Value>,
    /// An event code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_code: Option<String>,
    /// A Merkle allowlist proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<AllowlistProof>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValidateBody<'a> {
    #[serde(with = "decimal")]
    passport_id: U256,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<Address>,
    evidence: &'a Evidence,
}

/// The attestation of a `POST /v1/classes/{id}/validate`, as the API writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintAttestationJson {
    /// The class.
    #[serde(with = "decimal")]
    pub class_id: U256,
    /// The passport.
    #[serde(with = "decimal")]
    pub passport_id: U256,
    /// The passport's owner.
    pub recipient: Address,
    /// Used once.
    pub attestation_id: B256,
    /// Unix seconds.
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

/// A validator's signed mint attestation: pass it to
/// [`BadgeClient::mint_signed`](crate::BadgeClient::mint_signed).
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

/// The attestation of a `POST /v1/link/solana`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolanaLinkAttestation {
    /// The passport.
    #[serde(with = "decimal")]
    pub passport_id: U256,
    /// The ed25519 public key.
    pub solana_address: B256,
    /// Used once.
    pub attestation_id: B256,
    /// Unix seconds.
    #[serde(with = "decimal")]
    pub deadline: U256,
}

/// A validator's signed Solana link: pass it to
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
    /// Used once.
    pub attestation_id: B256,
    /// Unix seconds.
    #[serde(with = "decimal")]
    pub deadline: U256,
}

/// A validator's signed Web2 link: pass it to
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

/// Client of a `trex-validator` service.
#[derive(Debug, Clone)]
pub struct ValidatorClient {
    base: Url,
    http: reqwest::Client,
}

impl ValidatorClient {
    /// A client of the service at `base_url` (e.g. `http://127.0.0.1:8090`).
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(Self::with_http(Url::parse(base_url)?, reqwest::Client::new()))
    }

    /// A client sharing an existing reqwest client (timeouts, proxies, TLS).
    pub const fn with_http(base: Url, http: reqwest::Client) -> Self {
        Self { base, http }
    }

    /// The service's base URL.
    pub const fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /v1/info`: the signer, chain, contracts and TTL.
    pub async fn info(&self) -> Result<ValidatorInfo> {
        self.request::<(), _>(Method::GET, "v1/info", None).await
    }

    /// `POST /v1/conditions/hash`: checks a conditions document and returns the `paramsHash` and
    /// `validatorKind` a class for it must declare.
    pub async fn conditions_hash(&self, conditions: &serde_json::Value) -> Result<ConditionsHash> {
        self.request(Method::POST, "v1/conditions/hash", Some(conditions)).await
    }

    /// [`conditions_hash`](Self::conditions_hash), checked against the SDK's own
    /// [`params_hash`](crate::conditions::params_hash): a class never declares a hash only the
    /// service computed. [`Error::ParamsHashMismatch`] when they differ.
    pub async fn conditions_hash_checked(
        &self,
        conditions: &serde_json::Value,
    ) -> Result<ConditionsHash> {
        let answer = self.conditions_hash(conditions).await?;
        let local = crate::conditions::params_hash(conditions);
        if answer.params_hash != local {
            return Err(Error::ParamsHashMismatch { validator: answer.params_hash, local });
        }
        Ok(answer)
    }

    /// `PUT /v1/classes/{id}/conditions`: registers the class's document (the service checks it
    /// against the class on chain: kind, `paramsHash`, chains, that it trusts the service).
    /// Idempotent.
    pub async fn register_conditions(
        &self,
        class_id: U256,
        conditions: &serde_json::Value,
    ) -> Result<RegisteredConditions> {
        let path = format!("v1/classes/{class_id}/conditions");
        self.request(Method::PUT, &path, Some(conditions)).await
    }

    /// `GET /v1/classes/{id}/conditions`: the registered document.
    pub async fn conditions(&self, class_id: U256) -> Result<RegisteredConditions> {
        let path = format!("v1/classes/{class_id}/conditions");
        self.request::<(), _>(Method::GET, &path, None).await
    }

    /// `POST /v1/classes/{id}/validate`: asks for a mint attestation for `passport_id` (the badge
    /// goes to its owner). Unmet conditions are a [`ValidatorApiError`] with code
    /// `condition_not_met` and the reasons. The answer is checked to be for the class and
    /// passport asked for.
    pub async fn validate(
        &self,
        class_id: U256,
        passport_id: U256,
        evidence: &Evidence,
    ) -> Result<SignedMintAttestation> {
        let path = format!("v1/classes/{class_id}/validate");
        let body = ValidateBody { passport_id, recipient: None, evidence };
        let signed: SignedMintAttestation = self.request(Method::POST, &path, Some(&body)).await?;
        expect("classId", class_id, signed.attestation.class_id)?;
        expect("passportId", passport_id, signed.attestation.passport_id)?;
        Ok(signed)
    }

    /// `POST /v1/link/solana`: `signature` is the ed25519 signature (base58) of
    /// [`solana_link_message`](crate::solana_link_message) by `solana_address` (base58).
    pub async fn link_solana(
        &self,
        passport_id: U256,
        solana_address: &str,
        signature: &str,
    ) -> Result<SignedSolanaLink> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(with = "decimal")]
            passport_id: U256,
            solana_address: &'a str,
            signature: &'a str,
        }
        let body = Body { passport_id, solana_address, signature };
        let signed: SignedSolanaLink =
            self.request(Method::POST, "v1/link/solana", Some(&body)).await?;
        expect("passportId", passport_id, signed.attestation.passport_id)?;
        Ok(signed)
    }

    /// `POST /v1/link/web2`: `proof` is a Reclaim proof of the `web2-account` provider whose
    /// context is bound to one of the passport's wallets.
    pub async fn link_web2(
        &self,
        passport_id: U256,
        platform: &str,
        proof: &serde_json::Value,
    ) -> Result<SignedWeb2Link> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            #[serde(with = "decimal")]
            passport_id: U256,
            platform: &'a str,
            proof: &'a serde_json::Value,
        }
        let body = Body { passport_id, platform, proof };
        let signed: SignedWeb2Link =
            self.request(Method::POST, "v1/link/web2", Some(&body)).await?;
        expect("passportId", passport_id, signed.attestation.passport_id)?;
        Ok(signed)
    }

    async fn request<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let mut request = self.http.request(method, self.base.join(path)?);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let text = response.text().await.unwrap_or_default();
        Err(api_error(status, &text).into())
    }
}

fn api_error(status: StatusCode, body: &str) -> ValidatorApiError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => ValidatorApiError {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
            reasons: error.reasons,
        },
        Err(_) => ValidatorApiError {
            status: status.as_u16(),
            code: format!("http_{}", status.as_u16()),
            message: body.chars().take(500).collect(),
            reasons: Vec::new(),
        },
    }
}

fn expect(what: &'static str, expected: U256, actual: U256) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::UnexpectedAttestation {
            what,
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestations_read_decimal_strings() {
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
    fn error_bodies_keep_code_message_and_reasons() {
        let body = r#"{"error":{"code":"condition_not_met","message":"conditions not met","reasons":["balance 0 < 1"]}}"#;
        let err = api_error(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(err.code, "condition_not_met");
        assert_eq!(err.reasons, vec!["balance 0 < 1".to_owned()]);
        assert!(err.to_string().contains("balance 0 < 1"), "{err}");
        let other = api_error(StatusCode::BAD_GATEWAY, "upstream down");
        assert_eq!(other.code, "http_502");
        assert_eq!(other.message, "upstream down");
    }
}
