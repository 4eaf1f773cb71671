//! A tiny in-test `trex-validator`: the documented routes and JSON shapes, signing real EIP-712
//! attestations with a local key for the anvil deployment, without evaluating conditions (the
//! real service is tested in `validator/`). Hooks: the event code `nope` is an unmet condition,
//! a reused proof identifier is `proof_replayed`.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{Value, json};
use trex_sdk::{
    LinkSolana, LinkWeb2, MintAttestation, PassportClient, badge_domain, conditions::params_hash,
    conditions::validator_kind, passport_domain, sign_link_solana, sign_link_web2,
    sign_mint_attestation, solana_address_bytes, solana_link_message,
};

struct Inner {
    signer: PrivateKeySigner,
    chain_id: u64,
    passport: Address,
    badge: Address,
    passports: PassportClient<DynProvider<Ethereum>>,
    classes: Mutex<HashMap<String, Value>>,
    used_proofs: Mutex<HashSet<String>>,
}

type Shared = Arc<Inner>;

pub(crate) struct MockValidator {
    pub url: String,
    pub signer: PrivateKeySigner,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockValidator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: StatusCode, code: &str, message: &str, reasons: &[&str]) -> Response {
    let mut body = json!({"error": {"code": code, "message": message}});
    if !reasons.is_empty() {
        body["error"]["reasons"] = json!(reasons);
    }
    (status, Json(body)).into_response()
}

fn deadline() -> U256 {
    U256::from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600)
}

fn dec(v: &Value, key: &str) -> U256 {
    U256::from_str_radix(v[key].as_str().expect("decimal string"), 10).unwrap()
}

async fn info(State(s): State<Shared>) -> Json<Value> {
    Json(json!({
        "validator": s.signer.address(), "chainId": s.chain_id, "passport": s.passport,
        "badge": s.badge, "chains": ["trex"], "solana": true, "attestationTtl": 3600,
    }))
}

fn hash_of(doc: &Value) -> Value {
    let kind = doc["kind"].as_str().unwrap_or_default();
    json!({"paramsHash": params_hash(doc), "validatorKind": validator_kind(kind), "kind": kind})
}

async fn hash(Json(doc): Json<Value>) -> Response {
    if doc.get("version") != Some(&json!(1)) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_conditions",
            "version 2 is not supported",
            &[],
        );
    }
    Json(hash_of(&doc)).into_response()
}

async fn register(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(doc): Json<Value>,
) -> Json<Value> {
    let mut answer = hash_of(&doc);
    answer["classId"] = json!(id);
    answer.as_object_mut().unwrap().remove("validatorKind");
    s.classes.lock().unwrap().insert(id, doc);
    Json(answer)
}

async fn registered(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(doc) = s.classes.lock().unwrap().get(&id).cloned() else {
        return error(StatusCode::NOT_FOUND, "conditions_not_registered", "no conditions", &[]);
    };
    let mut answer = hash_of(&doc);
    answer.as_object_mut().unwrap().remove("validatorKind");
    answer["classId"] = json!(id);
    answer["conditions"] = doc;
    Json(answer).into_response()
}

async fn validate(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !s.classes.lock().unwrap().contains_key(&id) {
        return error(
            StatusCode::NOT_FOUND,
            "conditions_not_registered",
            "no conditions are registered",
            &[],
        );
    }
    let evidence = &body["evidence"];
    if evidence["eventCode"] == "nope" {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "condition_not_met",
            "conditions not met: event code is not one of the class's codes",
            &["event code is not one of 1 accepted codes"],
        );
    }
    let proofs: Vec<String> = evidence["zktlsProofs"]
        .as_array()
        .map(|ps| {
            ps.iter().map(|p| p["identifier"].as_str().unwrap_or_default().to_owned()).collect()
        })
        .unwrap_or_default();
    {
        let mut used = s.used_proofs.lock().unwrap();
        if let Some(p) = proofs.iter().find(|p| used.contains(*p)) {
            let message = format!("zkTLS proof {p} was already used");
            return error(StatusCode::CONFLICT, "proof_replayed", &message, &[]);
        }
        used.extend(proofs);
    }
    let passport_id = dec(&body, "passportId");
    let recipient = s.passports.owner_of(passport_id).await.unwrap();
    let attestation = MintAttestation {
        classId: U256::from_str_radix(&id, 10).unwrap(),
        passportId: passport_id,
        recipient,
        attestationId: B256::random(),
        deadline: deadline(),
    };
    let domain = badge_domain(s.chain_id, s.badge);
    let signature = sign_mint_attestation(&s.signer, &domain, &attestation).await.unwrap();
    Json(json!({
        "attestation": {
            "classId": id, "passportId": passport_id.to_string(), "recipient": recipient,
            "attestationId": attestation.attestationId, "deadline": attestation.deadline.to_string(),
        },
        "signature": signature, "validator": s.signer.address(), "reasons": ["mock: met"],
    }))
    .into_response()
}

async fn link_solana(State(s): State<Shared>, Json(body): Json<Value>) -> Response {
    let passport_id = dec(&body, "passportId");
    let address = body["solanaAddress"].as_str().unwrap_or_default();
    let key = solana_address_bytes(address).unwrap();
    let sig: [u8; 64] = bs58::decode(body["signature"].as_str().unwrap_or_default())
        .into_vec()
        .unwrap_or_default()
        .try_into()
        .unwrap_or([0; 64]);
    let message = solana_link_message(s.chain_id, passport_id, address);
    let valid = VerifyingKey::from_bytes(&key.0)
        .is_ok_and(|k| k.verify(message.as_bytes(), &Signature::from_bytes(&sig)).is_ok());
    if !valid {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_solana_signature",
            "invalid Solana signature: does not verify",
            &[],
        );
    }
    let link = LinkSolana {
        passportId: passport_id,
        solanaAddress: key,
        attestationId: B256::random(),
        deadline: deadline(),
    };
    let signature =
        sign_link_solana(&s.signer, &passport_domain(s.chain_id, s.passport), &link).await.unwrap();
    Json(json!({
        "attestation": {"passportId": passport_id.to_string(), "solanaAddress": key,
                        "attestationId": link.attestationId, "deadline": link.deadline.to_string()},
        "signature": signature, "validator": s.signer.address(),
    }))
    .into_response()
}

async fn link_web2(State(s): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let passport_id = dec(&body, "passportId");
    let platform = keccak256(body["platform"].as_str().unwrap_or_default().to_lowercase());
    let handle_hash = keccak256(body["proof"]["identifier"].as_str().unwrap_or_default());
    let link = LinkWeb2 {
        passportId: passport_id,
        platform,
        handleHash: handle_hash,
        attestationId: B256::random(),
        deadline: deadline(),
    };
    let signature =
        sign_link_web2(&s.signer, &passport_domain(s.chain_id, s.passport), &link).await.unwrap();
    Json(json!({
        "attestation": {"passportId": passport_id.to_string(), "platform": platform, "handleHash": handle_hash,
                        "attestationId": link.attestationId, "deadline": link.deadline.to_string()},
        "signature": signature, "validator": s.signer.address(),
    }))
}

/// Serves the mock on a free port, signing for `passport`/`badge` on the chain at `rpc_url`.
pub(crate) async fn spawn(rpc_url: &str, passport: Address, badge: Address) -> MockValidator {
    let provider = ProviderBuilder::new().connect_http(rpc_url.parse().unwrap()).erased();
    let chain_id = provider.get_chain_id().await.unwrap();
    let signer = PrivateKeySigner::random();
    let state = Arc::new(Inner {
        signer: signer.clone(),
        chain_id,
        passport,
        badge,
        passports: PassportClient::new(passport, provider),
        classes: Mutex::default(),
        used_proofs: Mutex::default(),
    });
    let app = Router::new()
        .route("/v1/info", get(info))
        .route("/v1/conditions/hash", post(hash))
        .route("/v1/classes/{id}/conditions", put(register).get(registered))
        .route("/v1/classes/{id}/validate", post(validate))
        .route("/v1/link/solana", post(link_solana))
        .route("/v1/link/web2", post(link_web2))
        .route("/broken/v1/info", get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    MockValidator { url, signer, task }
}
