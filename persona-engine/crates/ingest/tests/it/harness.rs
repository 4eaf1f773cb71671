//! One test's world: anvil with the identity contracts deployed, a fresh migrated database, and
//! helpers that emit each kind of identity event.

use std::time::Duration;

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder, WalletProvider};
use alloy_signer_local::PrivateKeySigner;
use serde_json::Value;
use sqlx::PgPool;
use trex_persona_ingest::{IdentityContracts, IngestStore, Listener, ListenerConfig, Step};
use trex_sdk::{
    BadgeClient, PassportClient, TRexBadge, TRexPassport, deploy_identity, sign_mint_attestation,
};
use trex_test_support::{Anvil, DEV_KEYS, TestDatabase, wallet_provider};

/// Deploys the contracts, issues the classes and credits task points.
pub(crate) const ADMIN: usize = 0;
/// Signs mint attestations (trusted by every class created here).
pub(crate) const VALIDATOR: usize = 9;

pub(crate) struct World {
    pub(crate) anvil: Anvil,
    pub(crate) pool: PgPool,
    pub(crate) contracts: IdentityContracts,
    pub(crate) chain_id: u64,
    pub(crate) db_url: String,
    /// A store on `pool`.
    pub(crate) store: IngestStore,
    // Last: dropped after the pool's users are gone.
    _database: TestDatabase,
}

pub(crate) fn address(key: usize) -> Address {
    DEV_KEYS[key].parse::<PrivateKeySigner>().unwrap().address()
}

impl World {
    /// anvil with the identity contracts (the admin also holds TASK_ISSUER_ROLE) and an empty,
    /// migrated database.
    pub(crate) async fn new(prefix: &str) -> Self {
        let database = TestDatabase::create(prefix).await;
        let pool = PgPool::connect(database.url()).await.unwrap();
        let store = IngestStore::new(pool.clone()).await.unwrap();
        let anvil = Anvil::start(&[]).await;
        let admin = wallet_provider(&anvil.url, &[DEV_KEYS[ADMIN]]);
        let (passport, badge) = deploy_identity(&admin, address(ADMIN)).await.unwrap();
        PassportClient::new(passport, admin.clone())
            .send_call(TRexPassport::grantRoleCall {
                role: keccak256("TASK_ISSUER_ROLE"),
                account: address(ADMIN),
            })
            .await
            .unwrap();
        let chain_id = admin.get_chain_id().await.unwrap();
        Self {
            anvil,
            pool,
            contracts: IdentityContracts { passport, badge },
            chain_id,
            db_url: database.url().to_owned(),
            store,
            _database: database,
        }
    }

    /// A read-only provider for the ingestion.
    pub(crate) fn provider(&self) -> DynProvider<Ethereum> {
        ProviderBuilder::new().connect_http(self.anvil.url.clone()).erased()
    }

    fn wallet(&self, key: usize) -> impl Provider + WalletProvider + Clone + use<> {
        wallet_provider(&self.anvil.url, &[DEV_KEYS[key]])
    }

    /// A store on a pool of its own (as a restarted process would have).
    pub(crate) async fn fresh_store(&self) -> IngestStore {
        IngestStore::connect(&self.db_url).await.unwrap()
    }

    /// A listener with `confirmations`, 1-block polls in ranges of `max_range`.
    pub(crate) async fn listener(&self, confirmations: u64, max_range: u64) -> Listener {
        let mut config = ListenerConfig::new(self.contracts);
        config.confirmations = confirmations;
        config.max_range = max_range;
        config.poll_interval = Duration::from_millis(50);
        Listener::new(self.provider(), self.fresh_store().await, config).await.unwrap()
    }

    /// Creates the passport of account `key`.
    pub(crate) async fn create_passport(&self, key: usize) -> U256 {
        PassportClient::new(self.contracts.passport, self.wallet(key))
            .create_passport()
            .await
            .unwrap()
    }

    /// Links the wallet of account `wallet` to `passport_id`, owned by account `owner`.
    pub(crate) async fn link_wallet(&self, owner: usize, passport_id: U256, wallet: usize) {
        let signer: PrivateKeySigner = DEV_KEYS[wallet].parse().unwrap();
        PassportClient::new(self.contracts.passport, self.wallet(owner))
            .link_wallet(passport_id, &signer, U256::from(u64::MAX))
            .await
            .unwrap();
    }

    /// Creates a badge class worth 100 points trusting the validator account.
    pub(crate) async fn create_class(&self) -> U256 {
        let params = TRexBadge::ClassParams {
            uri: "ipfs://class".into(),
            points: 100,
            pointsCategory: keccak256("general"),
            validatorKind: keccak256("TOKEN"),
            paramsHash: keccak256("{}"),
            supplyCap: 0,
            startTime: 0,
            endTime: 0,
            expiry: 0,
        };
        BadgeClient::new(self.contracts.badge, self.wallet(ADMIN))
            .create_class(params, vec![address(VALIDATOR)])
            .await
            .unwrap()
    }

    /// Mints `class_id` to `passport_id` with attestation id `attestation` (BadgeMinted and the
    /// passport's PointsCredited).
    pub(crate) async fn mint(&self, class_id: U256, passport_id: U256, attestation: u8) {
        let badges = BadgeClient::new(self.contracts.badge, self.wallet(ADMIN));
        let message = badges
            .attestation(
                class_id,
                passport_id,
                B256::repeat_byte(attestation),
                U256::from(u64::MAX),
            )
            .await
            .unwrap();
        let signer: PrivateKeySigner = DEV_KEYS[VALIDATOR].parse().unwrap();
        let domain = badges.domain().await.unwrap();
        let signature = sign_mint_attestation(&signer, &domain, &message).await.unwrap();
        badges.mint(&message, signature).await.unwrap();
    }

    /// Credits task points (PointsCredited by the admin).
    pub(crate) async fn credit_points(&self, passport_id: U256, amount: u64) {
        PassportClient::new(self.contracts.passport, self.wallet(ADMIN))
            .send_call(TRexPassport::creditPointsCall {
                passportId: passport_id,
                category: keccak256("quests"),
                amount: U256::from(amount),
            })
            .await
            .unwrap();
    }

    /// Mines `n` empty blocks.
    pub(crate) async fn mine(&self, n: u64) {
        let _: Value = self.provider().raw_request("anvil_mine".into(), (n,)).await.unwrap();
    }

    pub(crate) async fn head(&self) -> u64 {
        self.provider().get_block_number().await.unwrap()
    }

    /// The chain's identity logs in `0..=to` as `(block hash, log index)`, in chain order.
    pub(crate) async fn chain_logs(&self, to: u64) -> Vec<(B256, u64)> {
        let logs = self.provider().get_logs(&self.contracts.filter(0, to)).await.unwrap();
        logs.iter().map(|l| (l.block_hash.unwrap(), l.log_index.unwrap())).collect()
    }

    /// The canonical stored events as `(block hash, log index)`, in chain order.
    pub(crate) async fn stored(&self) -> Vec<(B256, u64)> {
        let events = self.store.events(self.chain_id, false).await.unwrap();
        events.iter().map(|e| (e.event.position.block_hash, e.event.position.log_index)).collect()
    }

    /// The outbox as `(message id, topic, payload)` in `seq` order.
    pub(crate) async fn outbox(&self) -> Vec<(String, String, Value)> {
        let rows: Vec<(String, String, sqlx::types::Json<Value>)> =
            sqlx::query_as("SELECT message_id, topic, payload FROM ingest_outbox ORDER BY seq")
                .fetch_all(&self.pool)
                .await
                .unwrap();
        rows.into_iter().map(|(id, topic, payload)| (id, topic, payload.0)).collect()
    }

    /// `SELECT count(*)` of a table.
    pub(crate) async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Steps `listener` until it is idle; returns the steps other than idle.
pub(crate) async fn catch_up(listener: &Listener) -> Vec<Step> {
    let mut steps = Vec::new();
    loop {
        match listener.step().await.unwrap() {
            Step::Idle => return steps,
            step => steps.push(step),
        }
    }
}
