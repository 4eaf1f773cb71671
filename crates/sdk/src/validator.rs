//! HTTP client of the `trex-validator` service: conditions registration, validation requests
//! (which answer with a signed `MintAttestation`) and Solana / Web2 link attestations.
//!
//! The API speaks JSON with uint256 values as decimal strings and bytes as `0x`-hex; an error is
//! `{"error": {"code", "message", "reasons"?}}` with an HTTP status, surfaced here as
//! [`ValidatorApiError`].

use alloy_primitives::U256;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use url::Url;

use crate::{
    Error, Result,
    api::{
        ConditionsHash, Evidence, LinkSolanaRequest, LinkWeb2Request, RegisteredConditions,
        SignedMintAttestation, SignedSolanaLink, SignedWeb2Link, ValidateRequest, ValidatorInfo,
    },
};

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
        let body = ValidateRequest { passport_id, recipient: None, evidence: evidence.clone() };
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
        let body = LinkSolanaRequest {
            passport_id,
            solana_address: solana_address.to_owned(),
            signature: signature.to_owned(),
        };
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
        let body =
            LinkWeb2Request { passport_id, platform: platform.to_owned(), proof: proof.clone() };
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
