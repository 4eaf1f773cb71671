//! The persona engine on the full devnet (issue #5): the real `trex-persona` binary follows the
//! sequencer's L2 with no confirmation depth. A badge minted by an L2 transaction reaches
//! `POST /v1/match` within 2 s of its receipt; a badge minted by an L1 deposit disappears from it
//! again once an L1 reorg removes the deposit's block and the sequencer drops the deposit. The
//! seed's example query ranks four passports' validator facts, posted to the engine's gateway,
//! in PMS order with breakdowns.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::{
    Provider, WalletProvider,
    network::{Ethereum, Network, TransactionBuilder},
};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use std::{
    future::Future,
    process::Command,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use trex_e2e::{
    devnet::{DEV_KEYS, Devnet, DevnetOptions, wait_http},
    process::{Service, free_port, workspace_bin},
    rpc::{Rpc, quantity, tag},
    tx::address_of,
};
use trex_sdk::{
    BadgeClient, DEVNET_CHAIN_ID, PassportClient, TRexBadge, identity_addresses,
    persona::gateway_request, sign_mint_attestation,
};
use trex_test_support::{
    TestDatabase,
    persona::{SEED_PROFILES, assert_seed_page, seed_facts, seed_query},
    wallet_provider,
};
use url::Url;

/// anvil's account 0: the devnet genesis's identity admin, here the badge class's issuer and
/// the sender of the L1 deposit.
const ISSUER_KEY: &str = DEV_KEYS[0];
/// anvil's account 9, the devnet's validator signer: the class trusts its attestations.
const VALIDATOR_KEY: &str = DEV_KEYS[9];
/// The owners of the passports (accounts the devnet stack itself does not use).
const HOLDER_KEYS: [&str; 4] = [DEV_KEYS[3], DEV_KEYS[4], DEV_KEYS[5], DEV_KEYS[6]];
/// The gateway client the engine trusts, as the devnet's validator would post, and its key.
const GATEWAY_CLIENT: &str = "e2e-validator";
const GATEWAY_KEY: [u8; 32] = [0x5e; 32];
/// L2 gas for the deposited mint, a few times what a mint uses.
const DEPOSIT_GAS: u64 = 1_000_000;

/// Polls `check` every 100 ms until it returns `Some`; panics with `what()` after `timeout`.
async fn wait_until<T, F, Fut>(timeout: Duration, what: impl Fn() -> String, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {timeout:?}: {}", what());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `trex-persona serve` on its own database, reading the devnet's L2.
struct Persona {
    service: Service,
    url: String,
    api_key: String,
    http: reqwest::Client,
    database: TestDatabase,
}

impl Persona {
    /// Starts the engine with the identity predeploys of the devnet's chain id (no
    /// `--passport`/`--badge`) and creates a match API key through the binary.
    async fn start(devnet: &Devnet) -> Self {
        let database = TestDatabase::create("trex_e2e_persona").await;
        let listen = format!("127.0.0.1:{}", free_port());
        let chain_id = DEVNET_CHAIN_ID.to_string();
        let args = [
            "serve",
            "--database-url",
            database.url(),
            "--l2-rpc",
            &devnet.l2.url,
            "--chain-id",
            &chain_id,
            "--confirmations",
            "0",
            "--poll-interval-ms",
            "100",
            "--listen",
            &listen,
            "--gateway.client",
            &format!("{GATEWAY_CLIENT}={}", alloy_primitives::hex::encode(GATEWAY_KEY)),
        ]
        .map(String::from);
        let log = devnet.dir.path().join("persona.log");
        let service = Service::start("trex-persona", &workspace_bin("trex-persona"), &args, &log);
        let url = format!("http://{listen}");
        wait_http(&format!("{url}/health"), Duration::from_secs(60)).await;

        // Once serve answers, it has migrated the database the key goes into.
        let output = Command::new(workspace_bin("trex-persona"))
            .args(["api-key", "create", "--project", "e2e", "--database-url", database.url()])
            .output()
            .expect("trex-persona api-key create");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let api_key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Self { service, url, api_key, http: reqwest::Client::new(), database }
    }

    /// Posts validator facts about `passport` to the gateway, signed as [`GATEWAY_CLIENT`].
    async fn post_facts(&self, id: &str, passport: U256, facts: Value) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let body = json!({
            "id": id,
            "passportId": passport.to_string(),
            "validator": address_of(VALIDATOR_KEY),
            "observedAt": now,
            "facts": facts,
        });
        let request = gateway_request(
            &self.http,
            &self.url,
            GATEWAY_CLIENT,
            &GATEWAY_KEY,
            now,
            body.to_string().into_bytes(),
        );
        let response = request.send().await.expect("POST to the gateway");
        assert!(response.status().is_success(), "gateway: {}", response.text().await.unwrap());
    }

    /// `POST /v1/match` with `request`.
    async fn matches(&self, request: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}/v1/match", self.url))
            .bearer_auth(&self.api_key)
            .json(request)
            .send()
            .await
            .expect("POST /v1/match");
        assert!(response.status().is_success(), "match: {}", response.status());
        response.json().await.expect("a match page")
    }

    /// The passports `POST /v1/match` returns for "holds a badge of `class`", sorted.
    async fn holders(&self, class: U256) -> Vec<u64> {
        let query = format!("has_badge({class})");
        let page = self
            .matches(&json!({ "filter": query, "criteria": [{ "expr": query, "weight": 1 }] }))
            .await;
        let mut ids: Vec<u64> = page["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| m["passportId"].as_u64().expect("passportId"))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Waits until the holders of `class` are exactly `want`.
    async fn wait_holders(&self, class: U256, want: &[u64], timeout: Duration) {
        let what = || format!("holders of {class} are {want:?}\n{}", self.service.log_tail(30));
        wait_until(timeout, what, || async { (self.holders(class).await == want).then_some(()) })
            .await;
    }

    /// The engine's `chain_events` rows of L2 transaction `tx`: (all, retracted).
    async fn events_of(&self, tx: B256) -> (i64, i64) {
        let pool = sqlx::PgPool::connect(self.database.url()).await.expect("persona database");
        let counts = sqlx::query_as(
            "SELECT count(*), count(retracted_at) FROM chain_events WHERE tx_hash = $1",
        )
        .bind(tx.as_slice())
        .fetch_one(&pool)
        .await
        .expect("chain_events");
        pool.close().await;
        counts
    }
}

/// The identity predeploys on the devnet's L2, used through the SDK.
struct Identity {
    l2: Url,
    passport: Address,
    badge: Address,
}

impl Identity {
    /// The predeploys of the devnet's chain id, checked to be initialised by the genesis.
    async fn of(devnet: &Devnet) -> Self {
        let chain_id = devnet.l2.number("eth_chainId", json!([])).await;
        assert_eq!(chain_id, DEVNET_CHAIN_ID, "the e2e devnet runs the devnet genesis");
        let addresses = identity_addresses(chain_id).expect("devnet predeploys");
        let identity = Self {
            l2: devnet.l2.url.parse().expect("L2 URL"),
            passport: addresses.passport,
            badge: addresses.badge,
        };
        // An uninitialised predeploy (as on testnet and mainnet) has no badge contract, and
        // mints could not credit points.
        let wired =
            PassportClient::new(identity.passport, wallet_provider(&identity.l2, &[ISSUER_KEY]))
                .badge_contract()
                .await
                .expect("badgeContract()");
        assert_eq!(wired, identity.badge, "the devnet genesis initialises the predeploys");
        identity
    }

    /// Creates the passport of `key`'s account.
    async fn create_passport(&self, key: &str) -> U256 {
        PassportClient::new(self.passport, wallet_provider(&self.l2, &[key]))
            .create_passport()
            .await
            .expect("createPassport")
    }

    /// The issuer's badge class, trusting the validator.
    async fn create_class(&self) -> U256 {
        let params = TRexBadge::ClassParams {
            uri: "ipfs://e2e-persona".into(),
            points: 10,
            pointsCategory: keccak256("defi"),
            validatorKind: keccak256("TOKEN"),
            paramsHash: B256::repeat_byte(1),
            supplyCap: 0,
            startTime: 0,
            endTime: 0,
            expiry: 0,
        };
        self.issuer()
            .create_class(params, vec![address_of(VALIDATOR_KEY)])
            .await
            .expect("createClass")
    }

    /// `mint(...)` of a badge of `class` for `passport`, attested by the validator.
    async fn mint_call(&self, class: U256, passport: U256) -> TRexBadge::mintCall {
        let badge = self.issuer();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let attestation = badge
            .attestation(class, passport, B256::random(), U256::from(now + 3600))
            .await
            .expect("attestation");
        let signer: PrivateKeySigner = VALIDATOR_KEY.parse().unwrap();
        let domain = badge.domain().await.expect("EIP-712 domain");
        let signature = sign_mint_attestation(&signer, &domain, &attestation).await.expect("sign");
        TRexBadge::mintCall {
            classId: attestation.classId,
            passportId: attestation.passportId,
            attestationId: attestation.attestationId,
            deadline: attestation.deadline,
            signature,
        }
    }

    /// Sends `call` from the issuer without waiting for its receipt; returns its hash.
    async fn send_mint(&self, call: TRexBadge::mintCall) -> B256 {
        let tx = <Ethereum as Network>::TransactionRequest::default()
            .with_to(self.badge)
            .with_input(call.abi_encode());
        let provider = wallet_provider(&self.l2, &[ISSUER_KEY]);
        *provider.send_transaction(tx).await.expect("send the L2 mint").tx_hash()
    }

    /// The badge contract, sending from the issuer.
    fn issuer(&self) -> BadgeClient<impl Provider + WalletProvider + use<>> {
        BadgeClient::new(self.badge, wallet_provider(&self.l2, &[ISSUER_KEY]))
    }
}

/// The first deposit transaction (type 0x7e) to `to` in an L2 block after `after`.
async fn wait_deposit_on_l2(l2: &Rpc, after: u64, to: Address) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut next = after + 1;
    loop {
        let head = l2.number("eth_blockNumber", json!([])).await;
        for number in next..=head {
            let block = l2.call("eth_getBlockByNumber", json!([tag(number), true])).await;
            let deposit = block["transactions"].as_array().into_iter().flatten().find(|tx| {
                tx["type"] == "0x7e"
                    && serde_json::from_value::<Address>(tx["to"].clone()).ok() == Some(to)
            });
            if let Some(tx) = deposit {
                return tx.clone();
            }
        }
        next = next.max(head + 1);
        assert!(Instant::now() < deadline, "no deposit to {to} on L2 after block {after}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The L2 receipt of `tx` (null when the chain has no such transaction).
async fn receipt(l2: &Rpc, tx: B256) -> Value {
    l2.call("eth_getTransactionReceipt", json!([tx])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn persona_on_the_devnet_matches_a_mint_in_2s_forgets_a_reorged_one_and_ranks_the_seed_query()
{
    // L1 confirmation depth 0: the sequencer adopts L1 blocks (and their deposits) at once, so an
    // L1 reorg can take a deposit back out of L2.
    let options = DevnetOptions { sequencer_l1_confs: 0, ..DevnetOptions::default() };
    let devnet = Devnet::start(options).await;
    let identity = Identity::of(&devnet).await;
    let persona = Persona::start(&devnet).await;
    let first = identity.create_passport(HOLDER_KEYS[0]).await;
    let second = identity.create_passport(HOLDER_KEYS[1]).await;
    let class = identity.create_class().await;
    let (first_id, second_id) = (first.to::<u64>(), second.to::<u64>());

    // 1. A mint sent as an ordinary L2 transaction is matched within 2 s of its receipt (the
    // clock starts when the node first returns the receipt, polled every 100 ms).
    let call = identity.mint_call(class, first).await;
    let l2_mint = identity.send_mint(call).await;
    let what = || format!("a receipt of L2 mint {l2_mint}");
    let l2_mint_receipt = wait_until(Duration::from_secs(30), what, || async {
        Some(receipt(&devnet.l2, l2_mint).await).filter(|r| !r.is_null())
    })
    .await;
    let received = Instant::now();
    assert_eq!(l2_mint_receipt["status"], "0x1", "the L2 mint failed: {l2_mint_receipt}");
    persona.wait_holders(class, &[first_id], Duration::from_secs(10)).await;
    let latency = received.elapsed();
    assert!(latency <= Duration::from_secs(2), "L2 mint matched {latency:?} after its receipt");
    let l1_at_l2_mint = devnet.l1.number("eth_blockNumber", json!([])).await;

    // 2. A mint deposited through the portal by the issuer's EOA. The reorg below replaces the
    // deposit's L1 block and the one before it; two more L1 blocks first keep the L2 mint's L1
    // origin (at most `l1_at_l2_mint`) out of its reach.
    let call = identity.mint_call(class, second).await;
    let what = || "two more L1 blocks".to_owned();
    wait_until(Duration::from_secs(30), what, || async {
        (devnet.l1.number("eth_blockNumber", json!([])).await >= l1_at_l2_mint + 2).then_some(())
    })
    .await;
    let l2_before = devnet.l2.number("eth_blockNumber", json!([])).await;
    let calldata = Bytes::from(call.abi_encode()).to_string();
    let badge = identity.badge.to_string();
    let l1_receipt = devnet.deposit(ISSUER_KEY, &badge, 0, DEPOSIT_GAS, &calldata);
    let deposit_block = quantity(&l1_receipt["blockNumber"]);
    let deposit = wait_deposit_on_l2(&devnet.l2, l2_before, identity.badge).await;
    let deposit_hash: B256 = serde_json::from_value(deposit["hash"].clone()).unwrap();
    // The portal aliases only contract senders: the issuer's EOA sends the deposit on L2 too.
    let from: Address = serde_json::from_value(deposit["from"].clone()).unwrap();
    assert_eq!(from, address_of(ISSUER_KEY), "an EOA's deposit keeps its sender");
    let deposit_receipt = receipt(&devnet.l2, deposit_hash).await;
    assert_eq!(deposit_receipt["status"], "0x1", "the deposited mint failed: {deposit_receipt}");
    persona.wait_holders(class, &[first_id, second_id], Duration::from_secs(10)).await;
    let (events, retracted) = persona.events_of(deposit_hash).await;
    assert!(events > 0 && retracted == 0, "deposit events: {events}, {retracted} retracted");

    // Replace L1 from the block before the deposit's on with empty blocks (one block of margin:
    // anvil may mine one between reading the head and the reorg).
    let head = devnet.l1.number("eth_blockNumber", json!([])).await;
    devnet.l1.call("anvil_reorg", json!([head - deposit_block + 2, []])).await;
    let replaced = devnet.l1.block(&tag(deposit_block)).await;
    assert_ne!(replaced["hash"], l1_receipt["blockHash"], "the deposit's L1 block was reorged out");

    let what = || format!("the sequencer drops deposit {deposit_hash}");
    wait_until(Duration::from_secs(60), what, || async {
        receipt(&devnet.l2, deposit_hash).await.is_null().then_some(())
    })
    .await;
    persona.wait_holders(class, &[first_id], Duration::from_secs(15)).await;
    let (events, retracted) = persona.events_of(deposit_hash).await;
    assert_eq!(retracted, events, "every event of the dropped deposit is retracted");

    // The L2 mint is untouched: still in its block, its events canonical.
    let kept = receipt(&devnet.l2, l2_mint).await;
    assert_eq!(kept["blockHash"], l2_mint_receipt["blockHash"], "the L2 mint kept its block");
    let (events, retracted) = persona.events_of(l2_mint).await;
    assert!(events > 0 && retracted == 0, "L2 mint events: {events}, {retracted} retracted");

    // 3. The seed's example query over four passports' validator facts: the first two profiles
    // match, in PMS order, each with its per-criterion breakdown.
    let mut passports = vec![first, second];
    for key in &HOLDER_KEYS[2..] {
        passports.push(identity.create_passport(key).await);
    }
    for (passport, profile) in passports.iter().zip(SEED_PROFILES) {
        persona.post_facts(&format!("seed:{passport}"), *passport, seed_facts(profile)).await;
    }
    let expected = [first_id, second_id];
    let what = || "the seed query ranks the first two passports".to_owned();
    let page = wait_until(Duration::from_secs(10), what, || async {
        let page = persona.matches(&seed_query()).await;
        let ids: Vec<u64> = page["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["passportId"].as_u64().unwrap())
            .collect();
        (ids == expected).then_some(page)
    })
    .await;
    assert_seed_page(&page, expected);
}
