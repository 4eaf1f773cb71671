//! The HTTP client.

use crate::DaClientError;
use bytes::Bytes;
use reqwest::{StatusCode, Url};
use std::time::Duration;

/// Longest error body kept in [`DaClientError::Status`].
const MAX_ERROR_BODY: usize = 512;

/// A client of one DA server.
#[derive(Debug, Clone)]
pub struct DaClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl DaClient {
    /// Creates a client of the DA server at `base_url` (e.g. `http://127.0.0.1:3100`); every
    /// request is abandoned after `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, DaClientError> {
        let invalid = |reason: String| DaClientError::InvalidUrl { url: base_url.into(), reason };
        let mut base = Url::parse(base_url).map_err(|err| invalid(err.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("expected an http(s) URL".into()));
        }
        // Paths are joined relative to the base: make sure it ends with a slash.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| invalid(format!("cannot build the HTTP client: {err}")))?;
        Ok(Self { http, base, timeout })
    }

    /// The server's base URL.
    pub const fn base_url(&self) -> &Url {
        &self.base
    }

    /// Stores `data` and returns the commitment bytes exactly as the server answered them
    /// (first byte: the commitment type).
    pub async fn put(&self, data: &[u8]) -> Result<Bytes, DaClientError> {
        let url = self.url("put");
        let response = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .map_err(|err| self.request_error(err))?;
        let commitment = self.success_body(response, None).await?;
        if commitment.is_empty() {
            return Err(DaClientError::EmptyCommitment);
        }
        Ok(commitment)
    }

    /// Reads the data stored under `commitment` (the bytes [`DaClient::put`] returned);
    /// [`DaClientError::NotFound`] if the server does not know it.
    pub async fn get(&self, commitment: &[u8]) -> Result<Bytes, DaClientError> {
        let url = self.url(&format!("get/0x{}", hex::encode(commitment)));
        let response = self.http.get(url).send().await.map_err(|err| self.request_error(err))?;
        self.success_body(response, Some(commitment)).await
    }

    /// Checks that the server answers `GET /health` with a success status.
    pub async fn health(&self) -> Result<(), DaClientError> {
        let response = self
            .http
            .get(self.url("health"))
            .send()
            .await
            .map_err(|err| self.request_error(err))?;
        self.success_body(response, None).await.map(drop)
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("relative path joined to an http base URL")
    }

    fn request_error(&self, err: reqwest::Error) -> DaClientError {
        if err.is_timeout() {
            DaClientError::Timeout(self.timeout)
        } else {
            DaClientError::Connection(err)
        }
    }

    async fn success_body(
        &self,
        response: reqwest::Response,
        commitment: Option<&[u8]>,
    ) -> Result<Bytes, DaClientError> {
        let status = response.status();
        if status.is_success() {
            return response.bytes().await.map_err(|err| self.request_error(err));
        }
        if let (StatusCode::NOT_FOUND, Some(commitment)) = (status, commitment) {
            return Err(DaClientError::NotFound(commitment.to_vec()));
        }
        let body = response.bytes().await.unwrap_or_default();
        let mut body = String::from_utf8_lossy(&body).trim().to_string();
        if body.len() > MAX_ERROR_BODY {
            let cut = (0..=MAX_ERROR_BODY).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
            body.truncate(cut);
            body.push('…');
        }
        Err(DaClientError::Status { status: status.as_u16(), body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        Router,
        body::Bytes as Body,
        extract::Path,
        http::StatusCode,
        routing::{get, put},
    };
    use tokio::net::TcpListener;

    /// A tiny stand-in server: `/put` answers `0x00 ‖ len`, `/get/0x00aa` answers `hello`, every
    /// other commitment is unknown, `/health` answers 503, `/slow` never answers in time.
    async fn server() -> String {
        let app = Router::new()
            .route("/put", put(|body: Body| async move { vec![0u8, body.len() as u8] }))
            .route(
                "/get/{commitment}",
                get(|Path(c): Path<String>| async move {
                    match c.as_str() {
                        "0x00aa" => Ok(b"hello".to_vec()),
                        "0x0bad" => Err((StatusCode::INTERNAL_SERVER_ERROR, "disk on fire")),
                        "0x0510" => {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            Ok(Vec::new())
                        }
                        _ => Err((StatusCode::NOT_FOUND, "unknown")),
                    }
                }),
            )
            .route("/health", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "backend down") }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn maps_answers() {
        let client = DaClient::new(&server().await, Duration::from_millis(500)).unwrap();
        assert_eq!(client.put(b"abc").await.unwrap().as_ref(), [0, 3]);
        assert_eq!(client.get(&[0x00, 0xaa]).await.unwrap().as_ref(), b"hello");
        assert!(matches!(
            client.get(&[0x01]).await,
            Err(DaClientError::NotFound(c)) if c == [0x01]
        ));
        let err = client.get(&[0x0b, 0xad]).await.unwrap_err();
        assert!(
            matches!(&err, DaClientError::Status { status: 500, body } if body == "disk on fire"),
            "{err}"
        );
        assert!(err.is_transient());
        assert!(matches!(client.get(&[0x05, 0x10]).await, Err(DaClientError::Timeout(_))));
        assert!(matches!(client.health().await, Err(DaClientError::Status { status: 503, .. })));
    }

    #[tokio::test]
    async fn base_url_with_path_and_unreachable_server() {
        let client = DaClient::new("http://127.0.0.1:9/da", Duration::from_secs(2)).unwrap();
        assert_eq!(client.url("put").as_str(), "http://127.0.0.1:9/da/put");
        let err = client.put(b"x").await.unwrap_err();
        assert!(matches!(err, DaClientError::Connection(_)), "{err}");
        assert!(err.is_transient());
    }

    #[test]
    fn rejects_bad_urls() {
        for url in ["", "127.0.0.1:3100", "ftp://host/", "mailto:a@b"] {
            assert!(
                matches!(
                    DaClient::new(url, Duration::from_secs(1)),
                    Err(DaClientError::InvalidUrl { .. })
                ),
                "{url}"
            );
        }
    }
}
