//! The client against a local JSON-RPC server answering with recorded Solana response shapes
//! (`testdata/*.json`), generated answers of the same shapes, JSON-RPC errors and garbage.

use std::time::Duration;

use serde_json::{Value, json};
use trex_solana_rpc::{SolanaAddress, SolanaRpcError, test_utils::MockSolanaRpc};

const OWNER: &str = "CKBpvrSKeN8si8avyK8jTycSvxKbHC5waDPdShctejA6";
const USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

fn fixture(name: &str) -> String {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn addr(s: &str) -> SolanaAddress {
    s.parse().unwrap()
}

async fn server() -> MockSolanaRpc {
    MockSolanaRpc::start().await.unwrap()
}

#[tokio::test]
async fn balance_from_recorded_response() {
    let mock = server().await;
    mock.respond_with("getBalance", 200, fixture("get_balance.json"));
    assert_eq!(mock.client().balance(&addr(OWNER)).await.unwrap(), 2_500_000_000);
    let request = &mock.requests()[0];
    assert_eq!(request["method"], "getBalance");
    assert_eq!(request["params"], json!([OWNER, { "commitment": "finalized" }]));
}

#[tokio::test]
async fn token_balance_sums_recorded_accounts() {
    let mock = server().await;
    mock.respond_with("getTokenAccountsByOwner", 200, fixture("get_token_accounts_by_owner.json"));
    let total = mock.client().token_balance(&addr(OWNER), &addr(USDC)).await.unwrap();
    assert_eq!(total, 420_000_000_000_000 + 1_500_000);
    assert_eq!(
        mock.requests()[0]["params"],
        json!([OWNER, { "mint": USDC }, { "encoding": "jsonParsed", "commitment": "finalized" }])
    );
}

#[tokio::test]
async fn token_balance_rejects_accounts_of_another_mint_or_bad_amounts() {
    let mock = server().await;
    let recorded = fixture("get_token_accounts_by_owner.json");
    let client = mock.client();
    // Asked for another mint, the recorded answer lists USDC accounts: the node is confused.
    mock.respond_with("getTokenAccountsByOwner", 200, recorded.clone());
    let other_mint = addr("So11111111111111111111111111111111111111112");
    let err = client.token_balance(&addr(OWNER), &other_mint).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Malformed { .. }), "{err}");
    for bad in ["\"-5\"", "\"1.5\"", "\"\"", "\"340282366920938463463374607431768211456\""] {
        mock.respond_with(
            "getTokenAccountsByOwner",
            200,
            recorded.replace("\"420000000000000\"", bad),
        );
        let err = client.token_balance(&addr(OWNER), &addr(USDC)).await.unwrap_err();
        assert!(matches!(err, SolanaRpcError::Malformed { .. }), "{bad}: {err}");
    }
}

#[tokio::test]
async fn signature_count_pages_with_before_and_skips_failures() {
    let mock = server().await;
    mock.respond_with(
        "getSignaturesForAddress",
        200,
        fixture("get_signatures_for_address_page1.json"),
    );
    mock.respond_with(
        "getSignaturesForAddress",
        200,
        fixture("get_signatures_for_address_page2.json"),
    );
    // Three wanted: the first page of three holds one failure, so a second page of one is read.
    assert_eq!(mock.client().signature_count(&addr(OWNER), 3).await.unwrap(), 3);
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["params"][1], json!({ "limit": 3, "commitment": "finalized" }));
    assert_eq!(
        requests[1]["params"][1],
        json!({
            "limit": 1,
            "commitment": "finalized",
            "before": "2RF3ugPdKMojzm2TzjYTL5x8zvFuUMQcJyK3utdX5Z7hRKmcKZjRR76nznazgtcFwr1r2os67PN1CXHF6eHNass7",
        })
    );
}

#[tokio::test]
async fn signature_count_stops_at_the_end_of_history() {
    let mock = server().await;
    mock.respond_with(
        "getSignaturesForAddress",
        200,
        fixture("get_signatures_for_address_page1.json"),
    );
    // A short page is the end: two successful of three.
    assert_eq!(mock.client().signature_count(&addr(OWNER), 10).await.unwrap(), 2);
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(mock.client().signature_count(&addr(OWNER), 0).await.unwrap(), 0);
    assert_eq!(mock.requests().len(), 1, "max 0 needs no request");
}

#[tokio::test]
async fn generated_history_pages_through_thousands() {
    let mock = server().await;
    let address = addr(OWNER);
    mock.add_signatures(address, 2_400, 700);
    let client = mock.client();
    assert_eq!(client.signature_count(&address, 2_000).await.unwrap(), 2_000);
    assert_eq!(client.signature_count(&address, 5_000).await.unwrap(), 2_400);
    // Two full pages for the first count; for the second, three full pages (the third with 600
    // failures) and a short one of the last 100 failures.
    assert_eq!(mock.requests().len(), 2 + 4);
}

#[tokio::test]
async fn generated_answers_have_the_recorded_shapes() {
    let mock = server().await;
    let (owner, mint) = (addr(OWNER), addr(USDC));
    mock.set_balance(owner, 2_500_000_000);
    mock.add_token_account(owner, mint, 420_000_000_000_000, 6);
    mock.add_token_account(owner, mint, 1_500_000, 6);
    mock.add_signatures(owner, 1, 1);
    let client = mock.client();
    assert_eq!(client.balance(&owner).await.unwrap(), 2_500_000_000);
    assert_eq!(client.token_balance(&owner, &mint).await.unwrap(), 420_000_000_000_000 + 1_500_000);

    // Same keys at every level as the recorded answers, so tests on generated data test the
    // parser on what nodes send.
    let http = reqwest::Client::new();
    let call = |method: &str, params: Value| {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let request = http.post(mock.url().clone()).json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let generated = call("getBalance", json!([OWNER])).await;
    assert_same_shape(&generated, &serde_json::from_str(&fixture("get_balance.json")).unwrap());
    let generated = call(
        "getTokenAccountsByOwner",
        json!([OWNER, { "mint": USDC }, { "encoding": "jsonParsed" }]),
    )
    .await;
    let recorded = serde_json::from_str(&fixture("get_token_accounts_by_owner.json")).unwrap();
    assert_same_shape(&generated, &recorded);
    assert_eq!(
        generated["result"]["value"][1]["account"]["data"]["parsed"]["info"]["tokenAmount"],
        recorded["result"]["value"][1]["account"]["data"]["parsed"]["info"]["tokenAmount"]
    );
    let generated = call("getSignaturesForAddress", json!([OWNER])).await;
    let recorded = serde_json::from_str(&fixture("get_signatures_for_address_page1.json")).unwrap();
    assert_same_shape(&generated, &recorded);
    assert_eq!(generated["result"][1]["err"], recorded["result"][1]["err"]);
}

/// Object keys equal at every level; arrays compared by their first element.
fn assert_same_shape(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(b));
            for (key, value) in a {
                if !value.is_null() && !b[key].is_null() {
                    assert_same_shape(value, &b[key]);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(a), Some(b)) = (a.first(), b.first()) {
                assert_same_shape(a, b);
            }
        }
        _ => assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b), "{a} vs {b}"),
    }
}

#[tokio::test]
async fn json_rpc_errors_are_typed() {
    let mock = server().await;
    mock.respond_with("getBalance", 200, fixture("rpc_error_invalid_params.json"));
    mock.respond_with("getBalance", 503, fixture("rpc_error_node_unhealthy.json"));
    let client = mock.client();
    let err = client.balance(&addr(OWNER)).await.unwrap_err();
    assert!(
        matches!(&err, SolanaRpcError::Rpc { method: "getBalance", code: -32602, message } if message.contains("WrongSize")),
        "{err}"
    );
    let err = client.balance(&addr(OWNER)).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Rpc { code: -32005, .. }), "{err}");
}

#[rstest::rstest]
#[case::html(502, "<html><body>502 Bad Gateway</body></html>", "HttpStatus")]
#[case::rate_limited(429, "Too many requests for a specific RPC call", "HttpStatus")]
#[case::not_json(200, "surely not json", "Malformed")]
#[case::no_result(200, r#"{"jsonrpc":"2.0","id":1}"#, "Malformed")]
#[case::not_2_0(
    200,
    r#"{"jsonrpc":"1.0","result":{"context":{"slot":1},"value":1},"id":1}"#,
    "Malformed"
)]
#[case::other_id(
    200,
    r#"{"jsonrpc":"2.0","result":{"context":{"slot":1},"value":1},"id":7}"#,
    "Malformed"
)]
#[case::no_context(200, r#"{"jsonrpc":"2.0","result":{"value":1},"id":1}"#, "Malformed")]
#[case::string_value(
    200,
    r#"{"jsonrpc":"2.0","result":{"context":{"slot":1},"value":"lots"},"id":1}"#,
    "Malformed"
)]
#[case::negative(
    200,
    r#"{"jsonrpc":"2.0","result":{"context":{"slot":1},"value":-1},"id":1}"#,
    "Malformed"
)]
#[tokio::test]
async fn garbage_is_rejected(#[case] status: u16, #[case] body: &str, #[case] kind: &str) {
    let mock = server().await;
    mock.respond_with("getBalance", status, body);
    let err = mock.client().balance(&addr(OWNER)).await.unwrap_err();
    assert!(format!("{err:?}").starts_with(kind), "{err:?}");
}

#[tokio::test]
async fn garbage_token_accounts_and_signatures_are_rejected() {
    let mock = server().await;
    let client = mock.client();
    mock.respond_with(
        "getTokenAccountsByOwner",
        200,
        // base64 encoding instead of jsonParsed: `data` is an array.
        r#"{"jsonrpc":"2.0","result":{"context":{"slot":1},"value":[{"pubkey":"x","account":{"data":["AAAA","base64"]}}]},"id":1}"#,
    );
    let err = client.token_balance(&addr(OWNER), &addr(USDC)).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Malformed { .. }), "{err}");
    mock.respond_with(
        "getSignaturesForAddress",
        200,
        r#"{"jsonrpc":"2.0","result":[{"slot":1}],"id":1}"#,
    );
    let err = client.signature_count(&addr(OWNER), 5).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Malformed { .. }), "{err}");
}

#[tokio::test]
async fn slow_node_times_out() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = trex_solana_rpc::SolanaRpc::new(url).with_timeout(Duration::from_millis(200));
    let err = client.balance(&addr(OWNER)).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Timeout { method: "getBalance", .. }), "{err}");
    hold.abort();
}

#[tokio::test]
async fn unreachable_node_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client =
        trex_solana_rpc::SolanaRpc::new(format!("http://127.0.0.1:{port}/").parse().unwrap());
    let err = client.balance(&addr(OWNER)).await.unwrap_err();
    assert!(matches!(err, SolanaRpcError::Transport(_)), "{err}");
}
