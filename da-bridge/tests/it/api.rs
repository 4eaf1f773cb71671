//! The HTTP API over the embedded backend: round trips, bad input, limits, health and metrics.

use crate::Bridge;
use alloy_primitives::keccak256;
use reqwest::StatusCode;
use std::sync::Arc;
use trex_da_bridge::{DaCommitment, EmbeddedBackend};
use trex_da_client::DaClientError;

async fn embedded(max_body_size: usize) -> (Bridge, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path()).unwrap());
    (Bridge::start(backend, max_body_size).await, dir)
}

#[tokio::test]
async fn embedded_round_trip_put_and_post() {
    let (bridge, _dir) = embedded(1 << 20).await;
    let client = bridge.client();
    let data = b"\x00frames of a channel";
    let commitment = client.put(data).await.unwrap();
    assert_eq!(commitment[0], 0x00);
    assert_eq!(&commitment[1..], keccak256(data).as_slice());
    assert_eq!(client.get(&commitment).await.unwrap().as_ref(), data);
    // Idempotent, and POST is accepted as op-alt-da does.
    assert_eq!(client.put(data).await.unwrap(), commitment);
    let posted = reqwest::Client::new()
        .post(format!("{}/put", bridge.url))
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::OK);
    assert_eq!(posted.headers()["content-type"], "application/octet-stream");
    assert_eq!(posted.bytes().await.unwrap(), commitment);
    // Without the 0x prefix too.
    let raw =
        reqwest::get(format!("{}/get/{}", bridge.url, hex::encode(&commitment))).await.unwrap();
    assert_eq!(raw.bytes().await.unwrap().as_ref(), data);
    client.health().await.unwrap();
}

#[tokio::test]
async fn bad_gets_answer_400_or_404() {
    let (bridge, _dir) = embedded(1 << 20).await;
    let unknown = DaCommitment::keccak(b"never put").encode();
    assert!(matches!(bridge.client().get(&unknown).await, Err(DaClientError::NotFound(_))));
    let celestia = DaCommitment::Celestia { height: 3, share_commitment: [1; 32] };
    for (path, status, needle) in [
        ("0xzz".to_string(), StatusCode::BAD_REQUEST, "not hex"),
        ("0x02aa".to_string(), StatusCode::BAD_REQUEST, "unknown commitment type"),
        ("0x00aa".to_string(), StatusCode::BAD_REQUEST, "must be 33 bytes"),
        (celestia.to_string(), StatusCode::BAD_REQUEST, "not served by the embedded backend"),
        (format!("0x{}", hex::encode(&unknown)), StatusCode::NOT_FOUND, "no data stored"),
    ] {
        let response = reqwest::get(format!("{}/get/{path}", bridge.url)).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(needle), "{path}: {body}");
    }
}

#[tokio::test]
async fn oversized_and_empty_puts_change_nothing() {
    let (bridge, _dir) = embedded(1024).await;
    let http = reqwest::Client::new();
    let too_big = vec![7u8; 1025];
    let response =
        http.put(format!("{}/put", bridge.url)).body(too_big.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("maximum of 1024 bytes"), "{body}");
    let empty = http.put(format!("{}/put", bridge.url)).send().await.unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    // Nothing was stored.
    let client = bridge.client();
    let oversized = DaCommitment::keccak(&too_big).encode();
    assert!(matches!(client.get(&oversized).await, Err(DaClientError::NotFound(_))));
    let health: serde_json::Value =
        reqwest::get(format!("{}/health", bridge.url)).await.unwrap().json().await.unwrap();
    assert!(health["detail"].as_str().unwrap().contains("holds 0 blobs"), "{health}");
    // Exactly the limit is accepted; the service still serves.
    let at_limit = vec![7u8; 1024];
    let commitment = client.put(&at_limit).await.unwrap();
    assert_eq!(client.get(&commitment).await.unwrap().as_ref(), at_limit);
}

#[tokio::test]
async fn health_and_metrics() {
    let (bridge, _dir) = embedded(1 << 20).await;
    let client = bridge.client();
    let commitment = client.put(b"abc").await.unwrap();
    client.get(&commitment).await.unwrap();
    let _ = client.get(&DaCommitment::keccak(b"missing").encode()).await;
    let health = reqwest::get(format!("{}/health", bridge.url)).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], "embedded");
    let metrics =
        reqwest::get(format!("{}/metrics", bridge.url)).await.unwrap().text().await.unwrap();
    for line in [
        r#"trex_da_puts_total{backend="embedded"} 1"#,
        r#"trex_da_put_bytes_total{backend="embedded"} 3"#,
        r#"trex_da_gets_total{backend="embedded"} 1"#,
        r#"trex_da_get_bytes_total{backend="embedded"} 3"#,
        r#"trex_da_errors_total{backend="embedded",kind="not_found",op="get"} 1"#,
        r#"trex_da_request_seconds_count{backend="embedded",op="put"} 1"#,
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
}
