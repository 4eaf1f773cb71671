//! The HTTP API in-process against a real Postgres: API keys, rate limits, body limits, JSON
//! errors, the HMAC gateway, the OpenAPI document, health and metrics.

use reqwest::StatusCode;
use serde_json::{Value, json};
use trex_persona::ApiKeys;

use crate::harness::{Api, CLIENT, CLIENT_KEY, unix_now};

const QUERY: &str = r#"{"criteria":[{"expr":"cex_vip_level > 3","weight":1}]}"#;

fn result(id: &str, passport: u64, followers: u64) -> String {
    json!({
        "id": id,
        "passportId": format!("{passport:#x}"),
        "validator": "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "observedAt": unix_now(),
        "facts": [{ "kind": "followers", "platform": "twitch", "count": followers }],
    })
    .to_string()
}

#[tokio::test]
async fn match_requires_an_active_key() {
    let api = Api::start(100, 100, 64 * 1024).await;
    let missing = api.match_raw(None, QUERY.into()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{:?}", missing.json);
    assert_eq!(missing.json["error"], "unauthorized");
    assert!(missing.json["message"].as_str().unwrap().contains("Bearer"));

    let unknown = api.match_raw(Some("trex_pk_nope"), QUERY.into()).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.json["message"].as_str().unwrap().contains("unknown"));

    let key = api.key("acme").await;
    let ok = api.match_raw(Some(&key), QUERY.into()).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    assert_eq!(ok.json, json!({ "matches": [], "nextCursor": null }));

    ApiKeys::new(api.pool.clone()).revoke(&key).await.unwrap();
    let revoked = api.match_raw(Some(&key), QUERY.into()).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert!(revoked.json["message"].as_str().unwrap().contains("revoked"));
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT key_hash FROM api_keys").fetch_one(&api.pool).await.unwrap();
    assert_eq!(stored.len(), 32, "only the SHA-256 is stored");
    assert!(!String::from_utf8_lossy(&stored).contains(&key[8..]));
}

#[tokio::test]
async fn match_is_rate_limited_per_key() {
    let api = Api::start(1, 2, 64 * 1024).await;
    let (a, b) = (api.key("a").await, api.key("b").await);
    for _ in 0..2 {
        assert_eq!(api.match_raw(Some(&a), QUERY.into()).await.status, StatusCode::OK);
    }
    let limited = api.match_raw(Some(&a), QUERY.into()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", limited.json);
    assert_eq!(limited.json["error"], "rate_limited");
    assert_eq!(limited.retry_after.as_deref(), Some("1"));
    assert_eq!(api.match_raw(Some(&b), QUERY.into()).await.status, StatusCode::OK, "own bucket");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(api.match_raw(Some(&a), QUERY.into()).await.status, StatusCode::OK, "refilled");
}

#[tokio::test]
async fn bad_bodies_get_json_errors() {
    let api = Api::start(100, 100, 2048).await;
    let key = api.key("acme").await;
    let huge = format!(r#"{{"criteria":[{{"expr":"{}","weight":1}}]}}"#, "x".repeat(4096));
    let too_large = api.match_raw(Some(&key), huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", too_large.json);
    assert_eq!(too_large.json["error"], "body_too_large");

    let not_json = api.match_raw(Some(&key), "{criteria".into()).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json["error"], "invalid_request");

    let unknown_field = api.match_raw(Some(&key), r#"{"criteria":[],"x":1}"#.into()).await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    let bad_query = api
        .match_raw(Some(&key), r#"{"criteria":[{"expr":"cex_vip_level >> 3","weight":1}]}"#.into())
        .await;
    assert_eq!(bad_query.status, StatusCode::BAD_REQUEST, "{:?}", bad_query.json);
    assert_eq!(bad_query.json["error"], "invalid_query");
    assert!(bad_query.json["message"].as_str().unwrap().contains("criteria[0]"));
    assert_eq!(bad_query.json["position"]["line"], 1, "{:?}", bad_query.json);

    let unknown_feature =
        api.match_raw(Some(&key), r#"{"criteria":[{"expr":"nope > 3","weight":1}]}"#.into()).await;
    assert_eq!(unknown_feature.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_feature.json["position"], json!({ "line": 1, "column": 1 }));

    let no_route = api.get("/v1/nothing").await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    assert_eq!(no_route.json["error"], "not_found");
}

#[tokio::test]
async fn gateway_accepts_signed_results_once() {
    let api = Api::start(100, 100, 64 * 1024).await;
    let body = result("r:1", 7, 12_000);
    let now = unix_now();

    let stored = api.post_result(CLIENT, CLIENT_KEY, now, &body).await;
    assert_eq!(stored.status, StatusCode::OK, "{:?}", stored.json);
    assert_eq!(stored.json, json!({ "status": "stored", "id": "r:1" }));
    let replay = api.post_result(CLIENT, CLIENT_KEY, now, &body).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.json["status"], "duplicate");
    assert_eq!(api.rows("validator_results").await, 1);
    assert_eq!(api.rows("ingest_outbox").await, 1, "one outbox row, not two");

    let conflict = api.post_result(CLIENT, CLIENT_KEY, now, &result("r:1", 7, 99)).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{:?}", conflict.json);
    assert_eq!(conflict.json["error"], "conflict");
    assert_eq!(api.rows("validator_results").await, 1);
}

#[tokio::test]
async fn gateway_refuses_and_writes_nothing() {
    let api = Api::start(100, 100, 64 * 1024).await;
    let body = result("r:2", 7, 12_000);
    let now = unix_now();
    let other_key = "00112233445566778899aabbccddeeff";
    let cases: [(&str, &str, u64, &str, StatusCode, &str); 6] = [
        (
            "unknown client",
            "validator-9",
            now,
            &body,
            StatusCode::UNAUTHORIZED,
            "unknown gateway client",
        ),
        ("bad signature", CLIENT, now, &body, StatusCode::UNAUTHORIZED, "does not match"),
        ("stale", CLIENT, now - 301, &body, StatusCode::UNAUTHORIZED, "from the server's clock"),
        ("future", CLIENT, now + 301, &body, StatusCode::UNAUTHORIZED, "from the server's clock"),
        ("not json", CLIENT, now, "{", StatusCode::BAD_REQUEST, "body"),
        ("bad id", CLIENT, now, &result("a b", 7, 1), StatusCode::BAD_REQUEST, "id"),
    ];
    for (what, client, timestamp, body, status, message) in cases {
        let key = if what == "bad signature" { other_key } else { CLIENT_KEY };
        let answer = api.post_result(client, key, timestamp, body).await;
        assert_eq!(answer.status, status, "{what}: {:?}", answer.json);
        let text = answer.json["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{what}: {text}");
    }
    let no_facts = json!({
        "id": "r:3", "passportId": "0x7", "validator": "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
        "observedAt": 1, "facts": [],
    });
    let answer = api.post_result(CLIENT, CLIENT_KEY, now, &no_facts.to_string()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{:?}", answer.json);
    assert_eq!(api.rows("validator_results").await, 0);
    assert_eq!(api.rows("ingest_outbox").await, 0);
}

#[tokio::test]
async fn serves_openapi_health_and_metrics() {
    let api = Api::start(100, 100, 64 * 1024).await;
    let doc = api.get("/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.json["paths"].as_object().unwrap();
    for route in
        ["/v1/match", "/v1/gateway/validator-results", "/health", "/metrics", "/openapi.json"]
    {
        assert!(paths.contains_key(route), "{route}");
    }
    assert!(doc.json["components"]["schemas"]["MatchRequest"].is_object());

    let health = api.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json, json!({ "status": "ok" }));

    let metrics = api.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let Value::String(text) = metrics.json else { panic!("text") };
    assert!(
        text.contains(r#"trex_persona_requests_total{code="200",route="/health"} 1"#),
        "{text}"
    );
    assert!(text.contains("trex_persona_request_seconds_bucket"), "{text}");
    assert!(text.contains(r#"trex_persona_ingest{what="chain_events"} 0"#), "{text}");
}
