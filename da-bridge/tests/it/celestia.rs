//! The Celestia backend against the in-process server built on celestia-rpc's server traits.

use crate::Bridge;
use bytes::Bytes;
use celestia_types::{Blob, nmt::Namespace};
use reqwest::StatusCode;
use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use trex_da_bridge::{
    CelestiaBackend, CelestiaConfig, DaBackend, DaCommitment, DaError, parse_namespace,
    test_utils::MockCelestia,
};
use trex_da_client::DaClientError;

fn namespace() -> Namespace {
    parse_namespace("0x7472657864657631").unwrap()
}

fn config(rpc_url: String, timeout: Duration, max_retries: u32) -> CelestiaConfig {
    CelestiaConfig {
        rpc_url,
        auth_token: Some("test-token".into()),
        namespace: namespace(),
        timeout,
        max_retries,
        retry_backoff: Duration::from_millis(10),
    }
}

async fn backend(url: String, timeout: Duration, max_retries: u32) -> CelestiaBackend {
    CelestiaBackend::connect(config(url, timeout, max_retries)).await.unwrap()
}

#[tokio::test]
async fn round_trip_through_the_api_and_commitment_format() {
    let node = MockCelestia::start().await.unwrap();
    let bridge =
        Bridge::start(Arc::new(backend(node.url(), Duration::from_secs(5), 3).await), 1 << 20)
            .await;
    let client = bridge.client();
    let data = b"\x00a frame posted to celestia".to_vec();
    let commitment = client.put(&data).await.unwrap();

    // 0x01 ‖ 0x0c ‖ height (u64 LE) ‖ share commitment, as Celestia computes it.
    assert_eq!(commitment.len(), 42);
    assert_eq!(&commitment[..2], &[0x01, 0x0c]);
    let height = u64::from_le_bytes(commitment[2..10].try_into().unwrap());
    assert_eq!(height, node.height());
    let expected = Blob::new(namespace(), data.clone(), None).unwrap();
    assert_eq!(&commitment[10..], expected.commitment.hash());
    let included = node.blobs_at(height);
    assert_eq!(included.len(), 1);
    assert_eq!(included[0].data, data);
    assert_eq!(included[0].namespace, namespace());

    assert_eq!(client.get(&commitment).await.unwrap().as_ref(), data);
    // A second put lands at a new height with the same share commitment.
    let again = client.put(&data).await.unwrap();
    assert_eq!(u64::from_le_bytes(again[2..10].try_into().unwrap()), height + 1);
    assert_eq!(&again[10..], &commitment[10..]);

    // Unknown blob: 404; a keccak commitment: 400.
    let unknown = DaCommitment::Celestia { height, share_commitment: [9; 32] }.encode();
    assert!(matches!(client.get(&unknown).await, Err(DaClientError::NotFound(_))));
    let keccak = DaCommitment::keccak(&data).encode();
    assert!(matches!(client.get(&keccak).await, Err(DaClientError::Status { status: 400, .. })));

    let health: serde_json::Value =
        reqwest::get(format!("{}/health", bridge.url)).await.unwrap().json().await.unwrap();
    assert_eq!(health["backend"], "celestia");
    assert!(health["detail"].as_str().unwrap().contains("at height"), "{health}");
}

#[tokio::test]
async fn websocket_url_round_trip() {
    let node = MockCelestia::start().await.unwrap();
    let backend = backend(node.ws_url(), Duration::from_secs(5), 0).await;
    let commitment = backend.put(Bytes::from_static(b"over ws")).await.unwrap();
    assert_eq!(backend.get(&commitment).await.unwrap().as_ref(), b"over ws");
}

#[tokio::test]
async fn submit_timeout_is_unknown_outcome_not_retried() {
    let node = MockCelestia::start().await.unwrap();
    node.hang_submits(true);
    let backend = Arc::new(backend(node.url(), Duration::from_millis(300), 3).await);
    let err = backend.put(Bytes::from_static(b"slow")).await.unwrap_err();
    assert!(matches!(err, DaError::UnknownOutcome(_)), "{err}");
    assert_eq!(node.submit_calls(), 1, "a timed-out submit must not be retried");

    let bridge = Bridge::start(backend, 1 << 20).await;
    let response = reqwest::Client::new()
        .put(format!("{}/put", bridge.url))
        .body("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["kind"], "unknown_outcome");
    assert!(body["error"].as_str().unwrap().contains("outcome unknown"), "{body}");
}

#[tokio::test]
async fn server_that_never_answers_is_unknown_outcome() {
    // Accepts connections, reads nothing, answers nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let backend = backend(url, Duration::from_millis(300), 3).await;
    let started = std::time::Instant::now();
    let err = backend.put(Bytes::from_static(b"lost?")).await.unwrap_err();
    assert!(matches!(err, DaError::UnknownOutcome(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Reads time out too, reported as unavailable after the retries.
    let read = backend.get(&DaCommitment::Celestia { height: 1, share_commitment: [0; 32] }).await;
    assert!(matches!(read, Err(DaError::Unavailable(_))), "{read:?}");
    silent.abort();
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let node = MockCelestia::start().await.unwrap();
    node.fail_next_submits(2);
    let backend = backend(node.url(), Duration::from_secs(5), 3).await;
    let commitment = backend.put(Bytes::from_static(b"third time lucky")).await.unwrap();
    assert_eq!(node.submit_calls(), 3);
    assert_eq!(backend.get(&commitment).await.unwrap().as_ref(), b"third time lucky");

    // More failures than retries: unavailable, with the node's reason.
    node.fail_next_submits(5);
    let backend = self::backend(node.url(), Duration::from_secs(5), 2).await;
    let err = backend.put(Bytes::from_static(b"no luck")).await.unwrap_err();
    assert!(matches!(err, DaError::Unavailable(ref m) if m.contains("after 3 tries")), "{err}");
    assert_eq!(node.submit_calls(), 3 + 3);
}

#[tokio::test]
async fn unreachable_node_is_unavailable() {
    // Bind then drop: nothing listens on the port.
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let backend = Arc::new(backend(format!("http://{addr}"), Duration::from_secs(2), 1).await);
    let err = backend.put(Bytes::from_static(b"x")).await.unwrap_err();
    assert!(matches!(err, DaError::Unavailable(_)), "{err}");
    let bridge = Bridge::start(backend, 1 << 20).await;
    let health = reqwest::get(format!("{}/health", bridge.url)).await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    // A WebSocket URL connects up front, so a node that is down is reported at once.
    let err = CelestiaBackend::connect(config(format!("ws://{addr}"), Duration::from_secs(2), 0))
        .await
        .unwrap_err();
    assert!(matches!(err, DaError::Unavailable(_)), "{err}");
}
