//! The HTTP API (op-alt-da's DA-server API) over a [`DaBackend`].

use crate::{DaBackend, DaCommitment, DaError, Metrics};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State, rejection::BytesRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::{sync::Arc, time::Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// The default maximum request body (16 MiB).
pub const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
struct AppState {
    backend: Arc<dyn DaBackend>,
    metrics: Metrics,
    max_body_size: usize,
}

/// Builds the API router: `PUT|POST /put`, `GET /get/0x<commitment>`, `GET /health`, `GET /metrics`.
pub fn router(backend: Arc<dyn DaBackend>, metrics: Metrics, max_body_size: usize) -> Router {
    let state = AppState { backend, metrics, max_body_size };
    Router::new()
        .route("/put", axum::routing::put(put).post(put))
        .route("/get/{commitment}", get(get_blob))
        .route("/health", get(health))
        .route("/metrics", get(render_metrics))
        .layer(DefaultBodyLimit::max(max_body_size))
        .with_state(state)
}

/// Serves `router` on `listener` until `cancel` fires, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> Result<(), DaError> {
    axum::serve(listener, router)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
        .map_err(|source| DaError::Io { context: "HTTP server failed".into(), source })
}

/// An API error answered as `{"error": "..."}` with a status code matching the error.
struct ApiError(DaError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            DaError::InvalidCommitment(_)
            | DaError::InvalidRequest(_)
            | DaError::WrongBackend { .. } => StatusCode::BAD_REQUEST,
            DaError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            DaError::NotFound(_) => StatusCode::NOT_FOUND,
            DaError::UnknownOutcome(_) | DaError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            DaError::Rejected(_) | DaError::Corrupt(_) => StatusCode::BAD_GATEWAY,
            DaError::Storage(_) | DaError::Config(_) | DaError::Io { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = (
            status,
            Json(serde_json::json!({ "error": self.0.to_string(), "kind": self.0.kind() })),
        )
            .into_response();
        if let DaError::UnknownOutcome(_) = self.0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

fn observe<T>(
    state: &AppState,
    op: &'static str,
    started: Instant,
    result: Result<T, DaError>,
) -> Result<T, ApiError> {
    let backend = state.backend.name();
    state
        .metrics
        .latency
        .with_label_values(&[backend, op])
        .observe(started.elapsed().as_secs_f64());
    result.map_err(|err| {
        state.metrics.errors.with_label_values(&[backend, op, err.kind()]).inc();
        match &err {
            DaError::NotFound(_)
            | DaError::InvalidCommitment(_)
            | DaError::InvalidRequest(_)
            | DaError::WrongBackend { .. }
            | DaError::TooLarge { .. } => debug!(target: "da::api", op, %err, "request refused"),
            _ => warn!(target: "da::api", op, %err, "request failed"),
        }
        ApiError(err)
    })
}

async fn put(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let result = async {
        let data = body.map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => DaError::TooLarge { max: state.max_body_size },
            _ => DaError::InvalidRequest(rejection.body_text()),
        })?;
        if data.is_empty() {
            return Err(DaError::InvalidRequest("empty body: nothing to store".into()));
        }
        let len = data.len();
        let commitment = state.backend.put(data).await?;
        Ok((commitment, len))
    }
    .await;
    let (commitment, len) = observe(&state, "put", started, result)?;
    let backend = state.backend.name();
    state.metrics.puts.with_label_values(&[backend]).inc();
    state.metrics.put_bytes.with_label_values(&[backend]).inc_by(len as u64);
    debug!(target: "da::api", %commitment, bytes = len, "put");
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], commitment.encode()).into_response())
}

async fn get_blob(
    State(state): State<AppState>,
    Path(commitment): Path<String>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let result = async {
        let commitment = DaCommitment::from_hex(&commitment)?;
        state.backend.get(&commitment).await
    }
    .await;
    let data = observe(&state, "get", started, result)?;
    let backend = state.backend.name();
    state.metrics.gets.with_label_values(&[backend]).inc();
    state.metrics.get_bytes.with_label_values(&[backend]).inc_by(data.len() as u64);
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], data).into_response())
}

async fn health(State(state): State<AppState>) -> Result<Response, ApiError> {
    let started = Instant::now();
    let detail = observe(&state, "health", started, state.backend.health().await)?;
    Ok(Json(serde_json::json!({
        "status": "ok",
        "backend": state.backend.name(),
        "detail": detail,
    }))
    .into_response())
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
