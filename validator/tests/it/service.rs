//! The service end to end: its HTTP API against anvil with the identity contracts and a real
//! Postgres database; attestations it signs are submitted to the contracts.

mod harness;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use alloy_network::TransactionBuilder;
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_provider::{Provider, WalletProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use ed25519_dalek::{SigningKey, ed25519::signature::Signer};
use harness::{BODY_LIMIT, Ctx, Service, reclaim_proof};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trex_sdk::{
    BadgeClient, Error, MintAttestation,
    TRexBadge::TRexBadgeErrors,
    TRexPassport,
    persona::{self, ValidatorResult},
};
use trex_solana_rpc::{SolanaAddress, link_message};
use trex_validator::{
    ValidatorError,
    conditions::{ClassConditions, params_hash},
    evaluate::Consumption,
    persona::PersonaSink,
    store::{AttestationKind, IssuedAttestation, Store},
};

const HOUR: Duration = Duration::from_secs(3600);

/// The passport's owner has sent at least `min` transactions on the T-Rex chain.
fn tx_count(min: u64) -> ClassConditions {
    ClassConditions::from_json(&format!(
        r#"{{"version":1,"kind":"TOKEN","rule":{{"type":"tx_count","min":{min}}}}}"#
    ))
    .unwrap()
}

fn doc(conditions: &ClassConditions) -> String {
    serde_json::to_string(conditions).unwrap()
}

/// The `paramsHash` of the document [`doc`] sends.
fn hash_of(conditions: &ClassConditions) -> B256 {
    params_hash(&serde_json::to_value(conditions).unwrap())
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an API error: {body}"))
}

fn uint(value: &Value) -> U256 {
    value.as_str().unwrap().parse().unwrap()
}

fn b256(value: &Value) -> B256 {
    value.as_str().unwrap().parse().unwrap()
}

/// Registers `conditions` for a new class trusting the validator; returns the class id.
async fn registered_class(ctx: &Ctx, service: &Service, conditions: &ClassConditions) -> U256 {
    let class_id = ctx.create_class(conditions, None, vec![ctx.validator_address]).await;
    let path = format!("/v1/classes/{class_id}/conditions");
    let (status, body) = ctx.call(service, Method::PUT, &path, Some(doc(conditions))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    class_id
}

async fn validate(
    ctx: &Ctx,
    service: &Service,
    class_id: U256,
    body: Value,
) -> (StatusCode, Value) {
    let path = format!("/v1/classes/{class_id}/validate");
    ctx.call(service, Method::POST, &path, Some(body.to_string())).await
}

fn mint_attestation(answer: &Value) -> (MintAttestation, Bytes) {
    let a = &answer["attestation"];
    let attestation = MintAttestation {
        classId: uint(&a["classId"]),
        passportId: uint(&a["passportId"]),
        recipient: a["recipient"].as_str().unwrap().parse().unwrap(),
        attestationId: b256(&a["attestationId"]),
        deadline: uint(&a["deadline"]),
    };
    (attestation, answer["signature"].as_str().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn info_health_and_metrics() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let (status, info) = ctx.call(&service, Method::GET, "/v1/info", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        info["validator"].as_str().unwrap().parse::<alloy_primitives::Address>().unwrap(),
        ctx.validator_address
    );
    assert_eq!(info["chainId"], 31337);
    assert_eq!(info["chains"], json!(["trex"]));
    assert_eq!(info["solana"], false);
    assert_eq!(info["attestationTtl"], 3600);
    let (status, health) = ctx.call(&service, Method::GET, "/health", None).await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, body) = ctx.call(&service, Method::GET, "/v2/nothing", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (_, metrics) = ctx.call(&service, Method::GET, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains(r#"trex_validator_requests_total{code="200",route="/v1/info"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"code="404",route="unmatched""#), "{metrics}");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_conditions_checks_the_class_on_chain() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let conditions = tx_count(1);
    let trusted = vec![ctx.validator_address];

    // The service and a local computation agree on the hash.
    let (status, hash) =
        ctx.call(&service, Method::POST, "/v1/conditions/hash", Some(doc(&conditions))).await;
    assert_eq!(status, StatusCode::OK, "{hash}");
    assert_eq!(b256(&hash["paramsHash"]), hash_of(&conditions));
    assert_eq!(b256(&hash["validatorKind"]), keccak256("TOKEN"));
    assert_eq!(hash["kind"], "TOKEN");

    // Registered, idempotently, and read back.
    let class_id = ctx.create_class(&conditions, None, trusted.clone()).await;
    let path = format!("/v1/classes/{class_id}/conditions");
    for _ in 0..2 {
        let (status, body) = ctx.call(&service, Method::PUT, &path, Some(doc(&conditions))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["classId"], class_id.to_string());
        assert_eq!(b256(&body["paramsHash"]), hash_of(&conditions));
        assert_eq!(body["kind"], "TOKEN");
    }
    assert_eq!(ctx.rows("class_conditions").await, 1);
    let (status, body) = ctx.call(&service, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["conditions"]["rule"], json!({"type": "tx_count", "min": 1}));

    // The class's paramsHash is of another document.
    let other = ctx.create_class(&conditions, Some(keccak256("other")), trusted.clone()).await;
    let path = format!("/v1/classes/{other}/conditions");
    let (status, body) = ctx.call(&service, Method::PUT, &path, Some(doc(&conditions))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "params_hash_mismatch"), "{body}");

    // The class does not trust this validator.
    let untrusted =
        ctx.create_class(&conditions, None, vec![alloy_primitives::Address::repeat_byte(1)]).await;
    let path = format!("/v1/classes/{untrusted}/conditions");
    let (status, body) = ctx.call(&service, Method::PUT, &path, Some(doc(&conditions))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "validator_not_trusted"), "{body}");

    // The class declares another kind.
    let nft = ClassConditions::from_json(
        r#"{"version":1,"kind":"NFT","rule":{"type":"nft_balance","contract":"0x5FbDB2315678afecb367f032d93F642f64180aa3","standard":"erc721","min":"1"}}"#,
    )
    .unwrap();
    let nft_class = ctx.create_class(&nft, Some(hash_of(&conditions)), trusted.clone()).await;
    let path = format!("/v1/classes/{nft_class}/conditions");
    let (status, body) = ctx.call(&service, Method::PUT, &path, Some(doc(&conditions))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "kind_mismatch"), "{body}");

    // A chain this validator does not read.
    let sepolia = ClassConditions::from_json(
        r#"{"version":1,"kind":"TOKEN","rule":{"type":"tx_count","chain":"sepolia","min":1}}"#,
    )
    .unwrap();
    let sepolia_class = ctx.create_class(&sepolia, None, trusted.clone()).await;
    let path = format!("/v1/classes/{sepolia_class}/conditions");
    let (status, body) = ctx.call(&service, Method::PUT, &path, Some(doc(&sepolia))).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "unknown_chain"), "{body}");

    // No such class; a malformed document; a class nobody registered.
    let (status, body) =
        ctx.call(&service, Method::PUT, "/v1/classes/999/conditions", Some(doc(&conditions))).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "unknown_class"), "{body}");
    let malformed = r#"{"version":1,"kind":"TOKEN","rule":{"type":"tx_count"}}"#;
    let path = format!("/v1/classes/{class_id}/conditions");
    let (status, body) = ctx.call(&service, Method::PUT, &path, Some(malformed.into())).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_conditions"), "{body}");
    let (status, body) =
        ctx.call(&service, Method::POST, "/v1/conditions/hash", Some("{".into())).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_conditions"), "{body}");
    let path = format!("/v1/classes/{other}/conditions");
    let (status, body) = ctx.call(&service, Method::GET, &path, None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "conditions_not_registered"));
    let (status, body) = ctx.call(&service, Method::GET, "/v1/classes/0x1/conditions", None).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_request"));

    assert_eq!(ctx.rows("class_conditions").await, 1, "no failed registration wrote a row");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn met_conditions_give_an_attestation_that_mints() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let class_id = registered_class(&ctx, &service, &tx_count(1)).await;

    let request = json!({ "passportId": ctx.passport_id.to_string() });
    let (status, answer) = validate(&ctx, &service, class_id, request.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["validator"].as_str().unwrap().parse::<alloy_primitives::Address>().unwrap(),
        ctx.validator_address
    );
    assert!(!answer["reasons"].as_array().unwrap().is_empty());
    let (attestation, signature) = mint_attestation(&answer);
    assert_eq!(attestation.classId, class_id);
    assert_eq!(attestation.passportId, ctx.passport_id);
    assert_eq!(attestation.recipient, ctx.user().default_signer_address());
    assert_eq!(ctx.rows("attestations").await, 1);

    // Anyone may submit it; the badge goes to the passport's owner.
    let badges = BadgeClient::new(ctx.badge, ctx.admin());
    badges.mint(&attestation, signature.clone()).await.unwrap();
    assert_eq!(badges.balance_of(attestation.recipient, class_id).await.unwrap(), U256::from(1));
    let replay = badges.mint(&attestation, signature).await.unwrap_err();
    assert!(
        matches!(&replay, Error::Badge(e) if matches!(**e, TRexBadgeErrors::AttestationAlreadyUsed(_))),
        "{replay}"
    );

    // Held now: no second attestation.
    let (status, body) = validate(&ctx, &service, class_id, request).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "not_mintable"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("already holds"), "{body}");
    assert_eq!(ctx.rows("attestations").await, 1);

    let metrics = service.validator.metrics().render();
    assert!(metrics.contains(r#"trex_validator_attestations_total{type="mint"} 1"#), "{metrics}");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_requests_write_nothing() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let class_id = registered_class(&ctx, &service, &tx_count(1000)).await;
    let passport = ctx.passport_id.to_string();

    let (status, body) =
        validate(&ctx, &service, class_id, json!({ "passportId": passport })).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "condition_not_met"),
        "{body}"
    );
    let reasons = body["error"]["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{body}");

    let (status, body) = validate(&ctx, &service, class_id, json!({ "passportId": "77" })).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "unknown_passport"), "{body}");
    let stranger = alloy_primitives::Address::repeat_byte(9).to_string();
    let (status, body) = validate(
        &ctx,
        &service,
        class_id,
        json!({ "passportId": passport, "recipient": stranger }),
    )
    .await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "recipient_not_owner"), "{body}");
    let (status, body) =
        validate(&ctx, &service, U256::from(99), json!({ "passportId": passport })).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "unknown_class"), "{body}");
    let unregistered = ctx.create_class(&tx_count(1), None, vec![ctx.validator_address]).await;
    let (status, body) =
        validate(&ctx, &service, unregistered, json!({ "passportId": passport })).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "conditions_not_registered"),
        "{body}"
    );
    let (status, body) = validate(&ctx, &service, class_id, json!({ "passport": passport })).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_request"), "{body}");

    // Larger than the body limit: a JSON 413.
    let huge =
        json!({ "passportId": passport, "evidence": { "eventCode": "x".repeat(BODY_LIMIT) } });
    let (status, body) = validate(&ctx, &service, class_id, huge).await;
    assert_eq!((status, code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"), "{body}");

    assert_eq!(ctx.rows("attestations").await, 0);
    assert_eq!(ctx.rows("used_proofs").await + ctx.rows("redeemed_event_codes").await, 0);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_attestation_is_refused_on_chain() {
    let ctx = Ctx::new().await;
    let service = ctx.start(Duration::from_secs(5)).await;
    let class_id = registered_class(&ctx, &service, &tx_count(1)).await;
    let request = json!({ "passportId": ctx.passport_id.to_string() });
    let (status, answer) = validate(&ctx, &service, class_id, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (attestation, signature) = mint_attestation(&answer);
    let head = ctx.admin().get_block_by_number(Default::default()).await.unwrap().unwrap();
    assert_eq!(attestation.deadline, U256::from(head.header.timestamp + 5), "chain time + TTL");

    ctx.advance_time(60).await;
    let err =
        BadgeClient::new(ctx.badge, ctx.admin()).mint(&attestation, signature).await.unwrap_err();
    assert!(
        matches!(&err, Error::Badge(e) if matches!(**e, TRexBadgeErrors::AttestationExpired(_))),
        "{err}"
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn solana_addresses_are_linked_with_a_verified_signature() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let key = SigningKey::from_bytes(&B256::random().0);
    let address = SolanaAddress::new(key.verifying_key().to_bytes());
    let message = link_message(&address, 31337, ctx.passport_id);
    let signature = bs58::encode(key.sign(message.as_bytes()).to_bytes()).into_string();
    let request = |signature: &str| {
        json!({
            "passportId": ctx.passport_id.to_string(),
            "solanaAddress": address.to_string(),
            "signature": signature,
        })
        .to_string()
    };

    // Signed by another key, or over another passport: refused, nothing written.
    let other = SigningKey::from_bytes(&B256::random().0);
    let forged = bs58::encode(other.sign(message.as_bytes()).to_bytes()).into_string();
    let wrong_passport = link_message(&address, 31337, ctx.passport_id + U256::from(1));
    let replayed = bs58::encode(key.sign(wrong_passport.as_bytes()).to_bytes()).into_string();
    for bad in [forged.as_str(), replayed.as_str(), "not-base58-0OIl"] {
        let (status, body) =
            ctx.call(&service, Method::POST, "/v1/link/solana", Some(request(bad))).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_solana_signature"),
            "{body}"
        );
    }
    assert_eq!(ctx.rows("attestations").await, 0);

    let (status, answer) =
        ctx.call(&service, Method::POST, "/v1/link/solana", Some(request(&signature))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let a = &answer["attestation"];
    assert_eq!(b256(&a["solanaAddress"]), address.to_b256());
    let call = TRexPassport::linkSolanaCall {
        passportId: uint(&a["passportId"]),
        solanaAddress: b256(&a["solanaAddress"]),
        attestationId: b256(&a["attestationId"]),
        deadline: uint(&a["deadline"]),
        signature: answer["signature"].as_str().unwrap().parse().unwrap(),
    };
    harness::send(&ctx.user(), ctx.passport, call).await;
    let linked = TRexPassport::linkedSolanaCall::abi_decode_returns(
        &ctx.user()
            .call(TransactionRequest::default().with_to(ctx.passport).with_input(
                TRexPassport::linkedSolanaCall { passportId: ctx.passport_id }.abi_encode(),
            ))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(linked, vec![address.to_b256()]);

    // Linked now: no second attestation.
    let (status, body) =
        ctx.call(&service, Method::POST, "/v1/link/solana", Some(request(&signature))).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_linked"), "{body}");
    assert_eq!(ctx.rows("attestations").await, 1);
    service.stop().await;
}

fn issued(kind: AttestationKind) -> IssuedAttestation {
    IssuedAttestation {
        id: B256::random(),
        passport_id: U256::from(1),
        kind,
        deadline: 1_900_000_000,
        signature: Bytes::from(vec![7u8; 65]),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proof_or_code_is_used_once_even_under_concurrency() {
    let ctx = Ctx::new().await;
    let store = Store::connect(ctx.database.url()).await.unwrap();
    let mint = AttestationKind::Mint { class_id: U256::from(1), recipient: ctx.validator_address };
    let proof = Consumption::ZkTlsProof(B256::random());
    let code = Consumption::EventCode(keccak256("GM-2025"));

    // Twelve concurrent issues with one proof: exactly one succeeds.
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.issue(&issued(mint), &[proof, proof], None).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(ValidatorError::ProofReplayed(id)) => {
                assert_eq!(Consumption::ZkTlsProof(id), proof)
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(ctx.rows("attestations").await, 1, "the refused issues wrote nothing");

    // A fresh proof with a redeemed code fails as a whole: the fresh proof stays unused.
    store.issue(&issued(mint), &[code], None).await.unwrap();
    let fresh = B256::random();
    let err = store
        .issue(&issued(mint), &[Consumption::ZkTlsProof(fresh), code], None)
        .await
        .unwrap_err();
    assert!(matches!(err, ValidatorError::EventCodeRedeemed(_)), "{err}");
    use trex_validator::evaluate::UsedEvidence;
    assert!(!store.proof_used(fresh).await.unwrap());
    assert_eq!(ctx.rows("attestations").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn state_survives_a_new_service_instance() {
    let ctx = Ctx::new().await;
    let first = ctx.start(HOUR).await;
    let conditions = tx_count(1);
    let class_id = registered_class(&ctx, &first, &conditions).await;
    let (status, answer) =
        validate(&ctx, &first, class_id, json!({ "passportId": ctx.passport_id.to_string() }))
            .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (attestation, signature) = mint_attestation(&answer);
    let proof = B256::random();
    first
        .validator
        .store()
        .issue(
            &issued(AttestationKind::LinkSolana { solana_address: B256::repeat_byte(3) }),
            &[Consumption::ZkTlsProof(proof)],
            None,
        )
        .await
        .unwrap();
    first.stop().await;

    let second = ctx.start(HOUR).await;
    let path = format!("/v1/classes/{class_id}/conditions");
    let (status, body) = ctx.call(&second, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(b256(&body["paramsHash"]), hash_of(&conditions));
    let stored =
        second.validator.store().attestation(attestation.attestationId).await.unwrap().unwrap();
    assert_eq!(stored.signature, signature);
    assert_eq!(stored.deadline, attestation.deadline.to::<u64>());
    assert_eq!(stored.kind, AttestationKind::Mint { class_id, recipient: attestation.recipient });
    let err = second
        .validator
        .store()
        .issue(
            &issued(AttestationKind::LinkSolana { solana_address: B256::repeat_byte(4) }),
            &[Consumption::ZkTlsProof(proof)],
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ValidatorError::ProofReplayed(id) if id == proof), "{err}");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web2_accounts_are_linked_by_handle_hash_with_a_bound_proof() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let owner = ctx.user().default_signer_address();
    let account = json!({ "platform": "Twitch", "handle": "@TRex_Fan" });
    let request = |platform: &str, proof: &Value| {
        json!({ "passportId": ctx.passport_id.to_string(), "platform": platform, "proof": proof })
            .to_string()
    };
    let link = |body: String| ctx.call(&service, Method::POST, "/v1/link/web2", Some(body));

    // Refused: signed by an untrusted key, bound to another address, of another platform.
    let forged = reclaim_proof("web2-account", account.clone(), owner, harness::ADMIN_KEY);
    let (status, body) = link(request("twitch", &forged)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_proof"),
        "{body}"
    );
    let stranger = alloy_primitives::Address::repeat_byte(5);
    let unbound = reclaim_proof("web2-account", account.clone(), stranger, harness::WITNESS_KEY);
    let (status, body) = link(request("twitch", &unbound)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "proof_not_bound"),
        "{body}"
    );
    let proof = reclaim_proof("web2-account", account.clone(), owner, harness::WITNESS_KEY);
    let (status, body) = link(request("x", &proof)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "proof_not_bound"),
        "{body}"
    );
    assert_eq!(ctx.rows("attestations").await + ctx.rows("used_proofs").await, 0);

    // Linked by the hash of the normalised handle; TRexPassport accepts the attestation.
    let (status, answer) = link(request("twitch", &proof)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let a = &answer["attestation"];
    assert_eq!(b256(&a["platform"]), keccak256("twitch"));
    assert_eq!(b256(&a["handleHash"]), keccak256("trex_fan"));
    assert!(
        !answer.to_string().to_lowercase().contains("trex_fan"),
        "the handle is never returned"
    );
    let call = TRexPassport::linkWeb2Call {
        passportId: uint(&a["passportId"]),
        platform: b256(&a["platform"]),
        handleHash: b256(&a["handleHash"]),
        attestationId: b256(&a["attestationId"]),
        deadline: uint(&a["deadline"]),
        signature: answer["signature"].as_str().unwrap().parse().unwrap(),
    };
    harness::send(&ctx.user(), ctx.passport, call).await;
    let input = TRexPassport::web2AccountCall {
        passportId: ctx.passport_id,
        platform: keccak256("twitch"),
    };
    let out = ctx
        .user()
        .call(TransactionRequest::default().with_to(ctx.passport).with_input(input.abi_encode()))
        .await
        .unwrap();
    assert_eq!(
        TRexPassport::web2AccountCall::abi_decode_returns(&out).unwrap(),
        keccak256("trex_fan")
    );
    assert_eq!(ctx.rows("used_proofs").await, 1);

    // The same proof again is a replay; a fresh proof of the linked account is refused too.
    let (status, body) = link(request("twitch", &proof)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "proof_replayed"), "{body}");
    let fresh = reclaim_proof("web2-account", account, owner, harness::WITNESS_KEY);
    let (status, body) = link(request("twitch", &fresh)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_linked"), "{body}");
    assert_eq!(ctx.rows("attestations").await, 1);
    let metrics = service.validator.metrics().render();
    assert!(
        metrics.contains(r#"trex_validator_attestations_total{type="link_web2"} 1"#),
        "{metrics}"
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn proofs_and_event_codes_are_used_once_across_requests() {
    let ctx = Ctx::new().await;
    let service = ctx.start(HOUR).await;
    let owner = ctx.user().default_signer_address();
    let passport = ctx.passport_id.to_string();
    let followers = ClassConditions::from_json(
        r#"{"version":1,"kind":"ZKTLS","rule":{"type":"followers","platform":"twitch","min":10001}}"#,
    )
    .unwrap();
    let class_id = registered_class(&ctx, &service, &followers).await;
    let proof = |count: &str| {
        reclaim_proof(
            "twitch-followers",
            json!({ "followers": count }),
            owner,
            harness::WITNESS_KEY,
        )
    };

    // Too few followers: unmet, and the proof is not used up.
    let few = json!({ "passportId": passport, "evidence": { "zktlsProofs": [proof("9,999")] } });
    let (status, body) = validate(&ctx, &service, class_id, few).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "condition_not_met"),
        "{body}"
    );
    assert!(!body["error"]["reasons"].as_array().unwrap().is_empty(), "{body}");
    assert_eq!(ctx.rows("used_proofs").await + ctx.rows("attestations").await, 0);

    // Enough: an attestation, and the proof is used; sent again it is a replay.
    let enough =
        json!({ "passportId": passport, "evidence": { "zktlsProofs": [proof("12,345")] } });
    let (status, answer) = validate(&ctx, &service, class_id, enough.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ctx.rows("used_proofs").await, 1);
    let (status, body) = validate(&ctx, &service, class_id, enough).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "proof_replayed"), "{body}");

    // An event code is redeemed once, across classes.
    let code_doc = ClassConditions::from_json(&format!(
        r#"{{"version":1,"kind":"ECOSYSTEM","rule":{{"type":"event_code","codeHashes":["{}"]}}}}"#,
        keccak256("GM-DEVNET")
    ))
    .unwrap();
    let first = registered_class(&ctx, &service, &code_doc).await;
    let second = ctx.create_class(&code_doc, None, vec![ctx.validator_address]).await;
    let path = format!("/v1/classes/{second}/conditions");
    let (status, _) = ctx.call(&service, Method::PUT, &path, Some(doc(&code_doc))).await;
    assert_eq!(status, StatusCode::OK);
    let with_code = json!({ "passportId": passport, "evidence": { "eventCode": "GM-DEVNET" } });
    let (status, answer) = validate(&ctx, &service, first, with_code.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, body) = validate(&ctx, &service, second, with_code).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "event_code_redeemed"), "{body}");
    assert_eq!(ctx.rows("redeemed_event_codes").await, 1);
    assert_eq!(ctx.rows("attestations").await, 2);
    service.stop().await;
}

/// A stand-in for the persona engine's gateway: checks the HMAC like the engine, answers 503
/// to the first post (the validator must retry) and records what it accepted.
async fn persona_gateway(key: &'static [u8]) -> (String, Arc<Mutex<Vec<ValidatorResult>>>) {
    use axum::{body::Bytes as Body, http::HeaderMap};
    let received = Arc::new(Mutex::new(Vec::new()));
    let posts = Arc::new(AtomicUsize::new(0));
    let state = (received.clone(), posts);
    let app = axum::Router::new().route(
        persona::VALIDATOR_RESULTS_PATH,
        axum::routing::post(move |headers: HeaderMap, body: Body| {
            let (received, posts) = state.clone();
            async move {
                let header = |name| headers.get(name).unwrap().to_str().unwrap().to_owned();
                let timestamp: u64 = header(persona::TIMESTAMP_HEADER).parse().unwrap();
                let signature = header(persona::SIGNATURE_HEADER);
                assert_eq!(header(persona::CLIENT_HEADER), "validator-under-test");
                if !persona::verify_gateway_signature(key, timestamp, &body, &signature) {
                    return StatusCode::UNAUTHORIZED;
                }
                if posts.fetch_add(1, Ordering::SeqCst) == 0 {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                received.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread")]
async fn proven_facts_are_forwarded_to_the_persona_engine() {
    const KEY: &[u8] = b"0123456789abcdef-persona-key";
    let ctx = Ctx::new().await;
    let (gateway, received) = persona_gateway(KEY).await;
    let mut config = ctx.config(HOUR);
    config.persona = Some(PersonaSink {
        url: gateway.parse().unwrap(),
        client: "validator-under-test".into(),
        key: KEY.to_vec(),
    });
    let service = ctx.start_with(config).await;
    let owner = ctx.user().default_signer_address();
    let followers = ClassConditions::from_json(
        r#"{"version":1,"kind":"ZKTLS","rule":{"type":"followers","platform":"twitch","min":10001}}"#,
    )
    .unwrap();
    let class_id = registered_class(&ctx, &service, &followers).await;
    let proof = reclaim_proof(
        "twitch-followers",
        json!({ "followers": "12,345" }),
        owner,
        harness::WITNESS_KEY,
    );
    let request = json!({ "passportId": ctx.passport_id.to_string(), "evidence": { "zktlsProofs": [proof] } });
    let (status, answer) = validate(&ctx, &service, class_id, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Queued with the attestation, then delivered despite the gateway's first 503.
    assert_eq!(ctx.rows("persona_outbox").await, 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while received.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the result was not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let result = received.lock().unwrap()[0].clone();
    assert_eq!(result.id, answer["attestation"]["attestationId"].as_str().unwrap());
    assert_eq!(result.passport_id, ctx.passport_id);
    assert_eq!(result.validator, ctx.validator_address);
    assert_eq!(
        result.facts,
        [persona::PersonaFact::Followers { platform: "twitch".into(), count: 12_345 }]
    );
    let (attempts, delivered): (i32, bool) =
        sqlx::query_as("SELECT attempts, delivered_at IS NOT NULL FROM persona_outbox")
            .fetch_one(&ctx.pool)
            .await
            .unwrap();
    assert_eq!((attempts, delivered), (1, true));
    service.stop().await;
}

#[test]
fn the_binary_reports_bad_configuration_without_printing_the_key() {
    let run = |database: &str, key: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_trex-validator"))
            .args(["--database-url", database, "--l2-rpc", "http://127.0.0.1:1"])
            .env("TREX_VALIDATOR_SIGNER_KEY", key)
            .env("TREX_VALIDATOR_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    };
    let out = run("postgres://postgres:secret@127.0.0.1:1/nothing", harness::VALIDATOR_KEY);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database postgres://postgres:***@127.0.0.1:1/nothing"), "{stderr}");
    assert!(
        !stderr.contains("secret") && !stderr.contains(&harness::VALIDATOR_KEY[2..]),
        "{stderr}"
    );
    let out = run("postgres://postgres@127.0.0.1:1/nothing", "0xnot-a-key");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--signer-key") && !stderr.contains("not-a-key"), "{stderr}");
}
