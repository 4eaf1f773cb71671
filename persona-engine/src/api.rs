//! The HTTP API (axum): JSON in, JSON out, every error as
//! `{"error": <code>, "message": <text>}` (plus `position` for an invalid query) with its status.

use std::{
    sync::Arc,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::PgPool;
use tracing::{debug, error};
use trex_persona_ingest::{Accepted, IngestError};
use trex_sdk::persona::{VALIDATOR_RESULTS_PATH, ValidatorResult};

use crate::{
    ApiKeys, Metrics, PersonaError, RateLimit, gateway::GatewayAuth, openapi,
    rate_limit::RateLimiter,
};

/// Path of the match API.
pub const MATCH_PATH: &str = "/v1/match";

impl PersonaError {
    /// The HTTP status of the error.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidRequest(_) | Self::InvalidQuery { .. } => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Database(_)
            | Self::Migrate(_)
            | Self::Config(_)
            | Self::Io(_)
            | Self::Task { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `error` code of the JSON body.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::RateLimited { .. } => "rate_limited",
            Self::BodyTooLarge(_) => "body_too_large",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidQuery { .. } => "invalid_query",
            Self::Conflict(_) => "conflict",
            Self::NotFound(_) => "not_found",
            Self::Database(_)
            | Self::Migrate(_)
            | Self::Config(_)
            | Self::Io(_)
            | Self::Task { .. } => "internal",
        }
    }
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

impl IntoResponse for PersonaError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        if status.is_server_error() {
            // The details (SQL, URLs) stay in the log.
            error!(target: "persona::api", code, "{self}");
            return error_body(status, code, "internal error; see the engine's log");
        }
        debug!(target: "persona::api", code, "{self}");
        let mut body = json!({ "error": code, "message": self.to_string() });
        if let Self::InvalidQuery { position, .. } = &self {
            body["position"] = position
                .map_or(json!(null), |(line, column)| json!({ "line": line, "column": column }));
        }
        let mut response = (status, Json(body)).into_response();
        match self {
            Self::RateLimited { retry_after } => {
                // Whole seconds, rounded up: a client waiting exactly that long gets a token.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            }
            Self::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<trex_persona_query::QueryError> for PersonaError {
    fn from(err: trex_persona_query::QueryError) -> Self {
        match err {
            trex_persona_query::QueryError::InvalidQuery { message, position } => {
                Self::InvalidQuery { message, position }
            }
            trex_persona_query::QueryError::Database(err) => Self::Database(err),
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct ApiState {
    pool: PgPool,
    keys: ApiKeys,
    limiter: RateLimiter,
    gateway: GatewayAuth,
    results: trex_persona_ingest::ValidatorResultStore,
    metrics: Metrics,
}

impl ApiState {
    /// The state over `pool` with the gateway's clients and the match API's rate limit.
    pub fn new(
        pool: PgPool,
        gateway_clients: &[crate::GatewayClient],
        rate_limit: RateLimit,
        metrics: Metrics,
    ) -> Self {
        Self {
            keys: ApiKeys::new(pool.clone()),
            limiter: RateLimiter::new(rate_limit),
            gateway: GatewayAuth::new(gateway_clients),
            results: trex_persona_ingest::ValidatorResultStore::new(pool.clone()),
            metrics,
            pool,
        }
    }
}

/// Reads the body within the router's limit.
async fn body(request: Request, limit: usize) -> Result<Bytes, PersonaError> {
    Bytes::from_request(request, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PersonaError::BodyTooLarge(limit)
        } else {
            PersonaError::InvalidRequest(rejection.body_text())
        }
    })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PersonaError> {
    serde_json::from_slice(bytes)
        .map_err(|err| PersonaError::InvalidRequest(format!("body: {err}")))
}

/// The configured body limit, for the 413 message.
#[derive(Debug, Clone, Copy)]
struct BodyLimit(usize);

fn limit_of(request: &Request) -> usize {
    request.extensions().get::<BodyLimit>().map_or(usize::MAX, |l| l.0)
}

fn bearer(request: &Request) -> Result<&str, PersonaError> {
    let value = request.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        PersonaError::Unauthorized("missing Authorization: Bearer <API key>".into())
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| PersonaError::Unauthorized("Authorization is not `Bearer <API key>`".into()))
}

/// `POST /v1/match`: authenticates the key, takes a token of its bucket, then ranks.
async fn match_passports(
    State(state): State<Arc<ApiState>>,
    request: Request,
) -> Result<Response, PersonaError> {
    // Credentials and the rate limit are checked before the body is read: an unauthenticated
    // or throttled client costs no parsing.
    let key = state.keys.authenticate(bearer(&request)?).await?;
    state.limiter.check(key.id).map_err(|retry_after| PersonaError::RateLimited { retry_after })?;
    let limit = limit_of(&request);
    let query: trex_persona_query::MatchRequest = parse(&body(request, limit).await?)?;
    let page = trex_persona_query::run(&state.pool, &query).await?;
    Ok(Json(page).into_response())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `POST /v1/gateway/validator-results`: a signed, schema-checked validator result, stored once.
async fn validator_result(
    State(state): State<Arc<ApiState>>,
    request: Request,
) -> Result<Response, PersonaError> {
    let (parts, body_stream) = request.into_parts();
    let limit = parts.extensions.get::<BodyLimit>().map_or(usize::MAX, |l| l.0);
    let bytes = body(Request::from_parts(parts.clone(), body_stream), limit).await?;
    // The signature covers the exact bytes, so it is checked before they are parsed.
    let client = state.gateway.verify(&parts.headers, &bytes, unix_now())?;
    let result: ValidatorResult = parse(&bytes)?;
    let outcome = match state.results.insert(client, &result).await {
        Ok(Accepted::Stored) => "stored",
        Ok(Accepted::Duplicate) => "duplicate",
        Err(err @ IngestError::InvalidResult { .. }) => {
            return Err(PersonaError::InvalidRequest(err.to_string()));
        }
        Err(err @ IngestError::ConflictingResult { .. }) => {
            return Err(PersonaError::Conflict(err.to_string()));
        }
        Err(err) => return Err(PersonaError::Task { task: "gateway", message: err.to_string() }),
    };
    state.metrics.gateway_results.with_label_values(&[outcome]).inc();
    debug!(target: "persona::gateway", client, id = %result.id, outcome, "validator result");
    Ok(Json(json!({ "status": outcome, "id": result.id })).into_response())
}

async fn health(State(state): State<Arc<ApiState>>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(err) => {
            error!(target: "persona::api", %err, "health: database");
            error_body(StatusCode::SERVICE_UNAVAILABLE, "unhealthy", "the database does not answer")
        }
    }
}

async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    if let Err(err) = crate::service::refresh_ingest_metrics(&state.pool, &state.metrics).await {
        error!(target: "persona::api", %err, "metrics: ingestion state");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn openapi_json() -> Response {
    Json(openapi::document()).into_response()
}

async fn not_found(request: Request) -> Response {
    let message = format!("no route for {} {}", request.method(), request.uri().path());
    error_body(StatusCode::NOT_FOUND, "not_found", &message)
}

/// Counts every answer and its latency by matched route.
async fn observe(State(state): State<Arc<ApiState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .latency
        .with_label_values(&[route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    state.metrics.requests.with_label_values(&[route.as_str(), response.status().as_str()]).inc();
    response
}

/// The API's router, accepting bodies up to `body_limit` bytes.
pub fn router(state: ApiState, body_limit: usize) -> Router {
    // One shared instance: axum clones the state for every request.
    let state = Arc::new(state);
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .route(MATCH_PATH, post(match_passports))
        .route(VALIDATOR_RESULTS_PATH, post(validator_result))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::Extension(BodyLimit(body_limit)))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Value;

    use super::*;

    async fn json_of(response: Response) -> (StatusCode, Option<HeaderValue>, Value) {
        let status = response.status();
        let retry = response.headers().get(header::RETRY_AFTER).cloned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, retry, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn invalid_queries_carry_their_position() {
        let err = PersonaError::InvalidQuery {
            message: "criteria[0].expr: x".into(),
            position: Some((1, 7)),
        };
        let (status, _, body) = json_of(err.into_response()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"error": "invalid_query", "message": "criteria[0].expr: x", "position": {"line": 1, "column": 7}})
        );
    }

    #[tokio::test]
    async fn rate_limits_say_when_to_retry() {
        let err = PersonaError::RateLimited { retry_after: Duration::from_millis(1200) };
        let (status, retry, body) = json_of(err.into_response()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.unwrap(), "2");
        assert_eq!(body["error"], "rate_limited");
    }

    #[tokio::test]
    async fn server_errors_hide_their_details() {
        let err = PersonaError::Config("postgres://u:secret@h/db".into());
        let (status, _, body) = json_of(err.into_response()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("secret"), "{body}");
    }
}
