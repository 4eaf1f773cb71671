//! The HTTP API (axum): JSON in, JSON out, every error as
//! `{"error": {"code", "message", "reasons"?}}` with its status.

use std::{net::SocketAddr, sync::Arc};

use alloy_primitives::U256;
use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, MatchedPath, Path, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::watch;
use tracing::{debug, error, info};

use crate::{error::ValidatorError, service::Validator};

fn error_body(
    status: StatusCode,
    code: &str,
    message: &str,
    reasons: Option<&[String]>,
) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if let Some(reasons) = reasons {
        error["reasons"] = json!(reasons);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

impl IntoResponse for ValidatorError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        if status.is_server_error() {
            // The details (database, RPC URLs with keys in them) stay in the log.
            error!(target: "validator::api", code, "{self}");
            let message = match self {
                Self::Chain { chain, .. } => {
                    format!("chain `{chain}` request failed; see the validator's log")
                }
                Self::Solana(_) => "Solana RPC request failed; see the validator's log".to_owned(),
                Self::Metadata(_) => {
                    "token metadata unavailable; see the validator's log".to_owned()
                }
                _ => "internal error; see the validator's log".to_owned(),
            };
            return error_body(status, code, &message, None);
        }
        debug!(target: "validator::api", code, "{self}");
        let reasons = match &self {
            Self::ConditionNotMet { reasons } => Some(reasons.as_slice()),
            _ => None,
        };
        error_body(status, code, &self.to_string(), reasons)
    }
}

/// Reads the body within the configured limit.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ValidatorError> {
    let limit = req.extensions().get::<BodyLimit>().map_or(usize::MAX, |l| l.0);
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ValidatorError::BodyTooLarge(limit)
        } else {
            ValidatorError::InvalidRequest(rejection.body_text())
        }
    })
}

/// The configured body limit, for the 413 message.
#[derive(Debug, Clone, Copy)]
struct BodyLimit(usize);

/// A JSON body whose rejections are the API's JSON errors.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ValidatorError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|err| ValidatorError::InvalidRequest(format!("body: {err}")))
    }
}

/// A UTF-8 body (a conditions document, parsed by its own rules).
struct TextBody(String);

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = ValidatorError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        String::from_utf8(bytes.to_vec())
            .map(Self)
            .map_err(|_| ValidatorError::InvalidRequest("body is not UTF-8".into()))
    }
}

fn class_id(raw: &str) -> Result<U256, ValidatorError> {
    let valid = !raw.is_empty() && raw.len() <= 78 && raw.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| raw.parse().ok()).flatten().ok_or_else(|| {
        ValidatorError::InvalidRequest(format!("class id `{raw}` is not a decimal uint256"))
    })
}

async fn health(State(validator): State<Arc<Validator>>) -> Response {
    match validator.store().ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(err) => {
            error!(target: "validator::api", %err, "health: database");
            error_body(
                StatusCode::SERVICE_UNAVAILABLE,
                "unhealthy",
                "the database does not answer",
                None,
            )
        }
    }
}

async fn metrics(State(validator): State<Arc<Validator>>) -> Response {
    let text = validator.metrics().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn info(State(validator): State<Arc<Validator>>) -> Response {
    Json(validator.info()).into_response()
}

async fn hash_conditions(TextBody(body): TextBody) -> Result<Response, ValidatorError> {
    Ok(Json(Validator::hash_conditions(&body)?).into_response())
}

async fn put_conditions(
    State(validator): State<Arc<Validator>>,
    Path(raw): Path<String>,
    TextBody(body): TextBody,
) -> Result<Response, ValidatorError> {
    let registered = validator.register_conditions(class_id(&raw)?, &body).await?;
    Ok(Json(registered).into_response())
}

async fn get_conditions(
    State(validator): State<Arc<Validator>>,
    Path(raw): Path<String>,
) -> Result<Response, ValidatorError> {
    let registered = validator.conditions(class_id(&raw)?).await?;
    Ok(Json(trex_sdk::RegisteredConditions {
        class_id: registered.class_id,
        params_hash: registered.params_hash,
        kind: registered.conditions.kind.name().to_owned(),
        conditions: Some(registered.document),
    })
    .into_response())
}

async fn validate(
    State(validator): State<Arc<Validator>>,
    Path(raw): Path<String>,
    JsonBody(request): JsonBody<trex_sdk::ValidateRequest>,
) -> Result<Response, ValidatorError> {
    Ok(Json(validator.validate(class_id(&raw)?, &request).await?).into_response())
}

async fn link_solana(
    State(validator): State<Arc<Validator>>,
    JsonBody(request): JsonBody<trex_sdk::LinkSolanaRequest>,
) -> Result<Response, ValidatorError> {
    Ok(Json(validator.link_solana(&request).await?).into_response())
}

async fn link_web2(
    State(validator): State<Arc<Validator>>,
    JsonBody(request): JsonBody<trex_sdk::LinkWeb2Request>,
) -> Result<Response, ValidatorError> {
    Ok(Json(validator.link_web2(&request).await?).into_response())
}

async fn not_found(request: Request) -> Response {
    let message = format!("no route for {} {}", request.method(), request.uri().path());
    error_body(StatusCode::NOT_FOUND, "not_found", &message, None)
}

/// Counts every answer by matched route and status.
async fn count(State(validator): State<Arc<Validator>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    validator
        .metrics()
        .requests
        .with_label_values(&[route.as_str(), response.status().as_str()])
        .inc();
    response
}

/// The API's router over `validator`, accepting bodies up to `body_limit` bytes.
pub fn router(validator: Validator, body_limit: usize) -> Router {
    // One shared instance: axum clones the state for every request.
    let validator = Arc::new(validator);
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/info", get(info))
        .route("/v1/conditions/hash", post(hash_conditions))
        .route("/v1/classes/{class_id}/conditions", get(get_conditions).put(put_conditions))
        .route("/v1/classes/{class_id}/validate", post(validate))
        .route("/v1/link/solana", post(link_solana))
        .route("/v1/link/web2", post(link_web2))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(validator.clone(), count))
        .layer(Extension(BodyLimit(body_limit)))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(validator)
}

/// Serves the API on `listener` until `shutdown` turns true.
pub async fn serve(
    validator: Validator,
    body_limit: usize,
    listener: tokio::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ValidatorError> {
    let addr: SocketAddr = listener.local_addr()?;
    info!(target: "validator::api", %addr, "listening");
    axum::serve(listener, router(validator, body_limit))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn class_ids_are_decimal() {
        assert_eq!(class_id("42").unwrap(), U256::from(42));
        for bad in ["", "0x1", "-1", "1e3", &"9".repeat(79)] {
            assert!(matches!(class_id(bad), Err(ValidatorError::InvalidRequest(_))), "{bad}");
        }
    }

    #[tokio::test]
    async fn errors_are_json_with_code_and_reasons() {
        let response = ValidatorError::ConditionNotMet { reasons: vec!["tx_count: 0 < 1".into()] }
            .into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["error"]["code"], "condition_not_met");
        assert_eq!(value["error"]["reasons"][0], "tx_count: 0 < 1");
    }

    #[tokio::test]
    async fn server_errors_hide_their_details() {
        let err =
            ValidatorError::chain("sepolia", "error sending request for url (https://rpc/KEY)");
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("chain_unavailable") && !text.contains("KEY"), "{text}");
    }
}
