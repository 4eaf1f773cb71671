//! The service under test: a throwaway anvil with the identity contracts, a database of its own,
//! and the HTTP API served in-process on a free port.

use std::time::Duration;

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::{Provider, WalletProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use tokio::{sync::watch, task::JoinHandle};
use trex_sdk::{BadgeClient, PassportClient, TRexBadge, TRexPassport, deploy_identity};
use trex_validator::{
    Config, Store, Validator, conditions::ClassConditions, persona::Forwarder, serve,
};
use trex_zktls::VerifierConfig;

use trex_test_support::{Anvil, DEV_KEYS, TestDatabase, wallet_provider};

/// anvil's account 0: deploys the contracts and issues the classes.
pub(crate) const ADMIN_KEY: &str = DEV_KEYS[0];
/// anvil's account 1: owns the passport under test.
pub(crate) const USER_KEY: &str = DEV_KEYS[1];
/// anvil's account 9: the validator's signing key (as on the devnet).
pub(crate) const VALIDATOR_KEY: &str = DEV_KEYS[9];
/// anvil's account 8: the trusted zkTLS witness of epoch 1 (test only).
pub(crate) const WITNESS_KEY: &str = DEV_KEYS[8];
/// The request body limit the tests run with.
pub(crate) const BODY_LIMIT: usize = 4096;

/// A running service instance; stopped on drop.
pub(crate) struct Service {
    pub(crate) url: String,
    pub(crate) validator: Validator,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Service {
    /// Stops serving and waits for the server to finish.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// One test's world.
pub(crate) struct Ctx {
    anvil: Anvil,
    pub(crate) database: TestDatabase,
    pub(crate) pool: PgPool,
    pub(crate) passport: Address,
    pub(crate) badge: Address,
    /// The passport of account 1.
    pub(crate) passport_id: U256,
    pub(crate) validator_address: Address,
    http: reqwest::Client,
}

impl Ctx {
    /// anvil with the identity contracts, the validator key holding VALIDATOR_ROLE, a passport
    /// for account 1, and an empty database.
    pub(crate) async fn new() -> Self {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let database = TestDatabase::create("trex_validator").await;
        let store = Store::connect(database.url()).await.unwrap();

        let anvil = Anvil::start(&[]).await;
        let admin = wallet_provider(&anvil.url, &[ADMIN_KEY]);
        let user = wallet_provider(&anvil.url, &[USER_KEY]);
        let admin_address: Address = ADMIN_KEY.parse::<PrivateKeySigner>().unwrap().address();
        let (passport, badge) = deploy_identity(&admin, admin_address).await.unwrap();
        let validator_address = VALIDATOR_KEY.parse::<PrivateKeySigner>().unwrap().address();
        let role = keccak256("VALIDATOR_ROLE");
        send(&admin, passport, TRexPassport::grantRoleCall { role, account: validator_address })
            .await;
        let passport_id =
            PassportClient::new(passport, user.clone()).create_passport().await.unwrap();
        Self {
            anvil,
            database,
            pool: store.pool().clone(),
            passport,
            badge,
            passport_id,
            validator_address,
            http: reqwest::Client::new(),
        }
    }

    /// Sends as the admin (account 0).
    pub(crate) fn admin(&self) -> impl Provider + WalletProvider + Clone + use<> {
        wallet_provider(&self.anvil.url, &[ADMIN_KEY])
    }

    /// Sends as the passport owner (account 1).
    pub(crate) fn user(&self) -> impl Provider + WalletProvider + Clone + use<> {
        wallet_provider(&self.anvil.url, &[USER_KEY])
    }

    /// The service's configuration for this world, with attestations valid `ttl`.
    pub(crate) fn config(&self, ttl: Duration) -> Config {
        let witness = WITNESS_KEY.parse::<PrivateKeySigner>().unwrap().address();
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: self.database.url().to_owned(),
            l2_rpc: self.anvil.url.clone(),
            chains: Vec::new(),
            solana_rpc: None,
            signer: VALIDATOR_KEY.parse().unwrap(),
            passport: Some(self.passport),
            badge: Some(self.badge),
            attestation_ttl: ttl,
            zktls: VerifierConfig::new(1, 86_400).with_epoch(1, [witness]),
            body_limit: BODY_LIMIT,
            metadata_allow_private_hosts: false,
            persona: None,
        }
    }

    /// Starts a service instance on a free port.
    pub(crate) async fn start(&self, ttl: Duration) -> Service {
        self.start_with(self.config(ttl)).await
    }

    /// Starts a service instance with `config`, and the persona forwarder when it has a sink.
    pub(crate) async fn start_with(&self, config: Config) -> Service {
        let validator = Validator::connect(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = watch::channel(false);
        let served = validator.clone();
        if let Some(sink) = config.persona.clone() {
            let forwarder = Forwarder::new(validator.store().clone(), sink);
            tokio::spawn(forwarder.run(Duration::from_millis(100), rx.clone()));
        }
        let task = tokio::spawn(async move {
            serve(served, config.body_limit, listener, rx).await.unwrap();
        });
        Service { url, validator, stop, task }
    }

    /// An HTTP request with a JSON body (or none); the status and the JSON answer.
    pub(crate) async fn call(
        &self,
        service: &Service,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", service.url));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    /// Creates a badge class issued by the admin for `conditions` (or another `params_hash`),
    /// trusting `validators`.
    pub(crate) async fn create_class(
        &self,
        conditions: &ClassConditions,
        params_hash: Option<B256>,
        validators: Vec<Address>,
    ) -> U256 {
        let params = TRexBadge::ClassParams {
            uri: "ipfs://class".into(),
            points: 100,
            pointsCategory: keccak256("general"),
            validatorKind: conditions.kind.id(),
            paramsHash: params_hash.unwrap_or_else(|| {
                trex_validator::conditions::params_hash(&serde_json::to_value(conditions).unwrap())
            }),
            supplyCap: 0,
            startTime: 0,
            endTime: 0,
            expiry: 0,
        };
        BadgeClient::new(self.badge, self.admin()).create_class(params, validators).await.unwrap()
    }

    /// Moves anvil's clock forward and mines a block.
    pub(crate) async fn advance_time(&self, seconds: u64) {
        let admin = self.admin();
        let _: Value = admin.raw_request("evm_increaseTime".into(), (seconds,)).await.unwrap();
        let _: Value = admin.raw_request("evm_mine".into(), ()).await.unwrap();
    }

    /// `SELECT count(*)` of a table.
    pub(crate) async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Sends `call` to `to` and requires it to succeed.
pub(crate) async fn send<C: SolCall>(provider: &impl Provider, to: Address, call: C) {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    let receipt = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "{} reverted", C::SIGNATURE);
}

/// A Reclaim proof of T-Rex provider `provider` (named in `contextMessage`) proving
/// `extracted`, bound to `context_address`, signed now by `witness_key` for epoch 1.
pub(crate) fn reclaim_proof(
    provider: &str,
    extracted: Value,
    context_address: Address,
    witness_key: &str,
) -> Value {
    let witness: PrivateKeySigner = witness_key.parse().unwrap();
    let parameters =
        serde_json::json!({ "method": "GET", "url": "https://provider.test/me" }).to_string();
    let context = trex_zktls::canonical_json(&serde_json::json!({
        "contextAddress": context_address.to_string(),
        "contextMessage": provider,
        "extractedParameters": extracted,
        "sessionId": B256::random().to_string(),
    }));
    let identifier = trex_zktls::claim_identifier("http", &parameters, &context).unwrap();
    let owner = Address::repeat_byte(0x77);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let data = trex_zktls::sign_data(identifier, owner, now - 10, 1);
    let signature = witness.sign_message_sync(data.as_bytes()).unwrap();
    serde_json::json!({
        "identifier": identifier.to_string(),
        "claimData": {
            "provider": "http",
            "parameters": parameters,
            "owner": owner.to_string().to_lowercase(),
            "timestampS": now - 10,
            "context": context,
            "identifier": identifier.to_string(),
            "epoch": 1,
        },
        "signatures": [alloy_primitives::Bytes::from(signature.as_bytes().to_vec()).to_string()],
        "witnesses": [{ "id": witness.address().to_string(), "url": "wss://witness.test/ws" }],
    })
}
