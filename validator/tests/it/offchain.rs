//! The checks that read proofs, codes, allowlists and Solana rather than (only) EVM state: ZKTLS,
//! ecosystem, social and Solana. Reclaim proofs are signed here by the devnet's test witness key
//! (anvil account 8, trusted for epoch 1; never a real Reclaim witness); Solana answers come from
//! a local JSON-RPC server; early bird and the social checks run against a throwaway anvil with
//! TRexPassport behind an ERC1967 proxy.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde_json::{Value, json};
use trex_sdk::{PassportClient, TRexPassport, deploy_identity, passport_domain, sign_typed};
use trex_solana_rpc::{SolanaAddress, test_utils::MockSolanaRpc};
use trex_validator::{
    ValidatorError,
    conditions::{AllowlistStage, Condition, Rule},
    evaluate::{
        AllowlistProof, Chains, CheckContext, Consumption, Environment, Evidence, Outcome, Subject,
        UsedEvidence, evaluate,
    },
};
use trex_zktls::{VerifierConfig, ZkTlsError};

use trex_test_support::{Anvil, DEV_KEYS, wallet_provider};

/// The devnet's test zkTLS witness (anvil account 8), trusted for epoch 1.
const TEST_WITNESS_KEY: &str = DEV_KEYS[8];
/// anvil account 0: deploys the identity contracts and owns the passport.
const OWNER_KEY: &str = DEV_KEYS[0];
/// anvil account 9: the devnet validator signer, granted VALIDATOR_ROLE to attest Web2 links.
const VALIDATOR_KEY: &str = DEV_KEYS[9];
/// A wallet linked to the passport.
const LINKED: Address = Address::repeat_byte(0x11);

/// The evaluation time of the proof tests.
const NOW: u64 = 1_764_000_000;

sol! {
    /// `LinkWeb2` as TRexPassport hashes it, signed here by the test validator.
    struct LinkWeb2 {
        uint256 passportId;
        bytes32 platform;
        bytes32 handleHash;
        bytes32 attestationId;
        uint256 deadline;
    }
}

/// A store double: what is listed here counts as used.
#[derive(Default)]
struct Used {
    proofs: Mutex<HashSet<B256>>,
    codes: Mutex<HashSet<B256>>,
}

#[async_trait::async_trait]
impl UsedEvidence for Used {
    async fn proof_used(&self, identifier: B256) -> Result<bool, ValidatorError> {
        Ok(self.proofs.lock().unwrap().contains(&identifier))
    }

    async fn event_code_redeemed(&self, code_hash: B256) -> Result<bool, ValidatorError> {
        Ok(self.codes.lock().unwrap().contains(&code_hash))
    }
}

fn witness() -> PrivateKeySigner {
    TEST_WITNESS_KEY.parse().unwrap()
}

fn owner() -> PrivateKeySigner {
    OWNER_KEY.parse().unwrap()
}

/// Everything an evaluation reads, built per test.
struct Setup {
    env: Environment,
    subject: Subject,
    used: Arc<Used>,
}

impl Setup {
    fn new() -> Self {
        let used = Arc::new(Used::default());
        let env = Environment {
            chains: Chains::default(),
            solana: None,
            zktls: VerifierConfig::new(1, 3_600).with_epoch(1, [witness().address()]),
            passport: Address::ZERO,
            used: used.clone(),
            metadata_allow_private_hosts: false,
        };
        let owner = owner().address();
        let subject = Subject {
            passport_id: U256::from(1),
            owner,
            wallets: vec![owner, LINKED],
            solana: Vec::new(),
        };
        Self { env, subject, used }
    }

    async fn run(
        &self,
        condition: Condition,
        evidence: &Evidence,
    ) -> Result<Outcome, ValidatorError> {
        self.run_at(condition, evidence, NOW).await
    }

    async fn run_at(
        &self,
        condition: Condition,
        evidence: &Evidence,
        now: u64,
    ) -> Result<Outcome, ValidatorError> {
        let rule = Rule::Check(condition);
        let ctx = CheckContext { env: &self.env, subject: &self.subject, evidence, now };
        evaluate(&rule, ctx).await
    }
}

fn proofs(proofs: impl IntoIterator<Item = Value>) -> Evidence {
    Evidence { zktls_proofs: proofs.into_iter().collect(), ..Evidence::default() }
}

/// A Reclaim proof of T-Rex provider `provider` (named in `contextMessage`) proving
/// `extracted`, bound to `context_address`, signed by `signer` at `timestamp_s`.
fn proof_by(
    signer: &PrivateKeySigner,
    provider: &str,
    extracted: Value,
    context_address: Address,
    timestamp_s: u64,
) -> Value {
    let parameters = json!({
        "method": "GET",
        "url": format!("https://provider.test/{provider}"),
        "responseMatches": [{ "type": "contains", "value": "ok" }],
    })
    .to_string();
    let context = trex_zktls::canonical_json(&json!({
        "contextAddress": context_address.to_string(),
        "contextMessage": provider,
        "extractedParameters": extracted,
        "providerHash": keccak256(provider).to_string(),
    }));
    let identifier = trex_zktls::claim_identifier("http", &parameters, &context).unwrap();
    let claim_owner = Address::repeat_byte(0x77);
    let data = trex_zktls::sign_data(identifier, claim_owner, timestamp_s, 1);
    let signature = signer.sign_message_sync(data.as_bytes()).unwrap();
    json!({
        "identifier": identifier.to_string(),
        "claimData": {
            "provider": "http",
            "parameters": parameters,
            "owner": claim_owner.to_string().to_lowercase(),
            "timestampS": timestamp_s,
            "context": context,
            "identifier": identifier.to_string(),
            "epoch": 1,
        },
        "signatures": [format!("0x{}", alloy_primitives::hex::encode(signature.as_bytes()))],
        "witnesses": [{ "id": signer.address().to_string(), "url": "wss://witness.test/ws" }],
    })
}

/// A fresh proof by the test witness, bound to the passport owner.
fn proof(provider: &str, extracted: Value) -> Value {
    proof_by(&witness(), provider, extracted, owner().address(), NOW - 60)
}

fn identifier(proof: &Value) -> B256 {
    proof["identifier"].as_str().unwrap().parse().unwrap()
}

fn twitch(min: u64) -> Condition {
    Condition::Followers { platform: "twitch".into(), min }
}

// --- ZKTLS ---------------------------------------------------------------------------------------

#[tokio::test]
async fn twitch_followers_above_the_minimum_is_met_and_consumes_the_proof() {
    let setup = Setup::new();
    let good = proof("twitch-followers", json!({ "followers": "10,001" }));
    let outcome = setup.run(twitch(10_000), &proofs([good.clone()])).await.unwrap();
    assert!(outcome.met, "{outcome:?}");
    assert_eq!(outcome.consumed, vec![Consumption::ZkTlsProof(identifier(&good))]);
    assert!(outcome.reasons[0].contains("10001"), "{outcome:?}");
}

#[tokio::test]
async fn twitch_followers_below_the_minimum_is_unmet_and_consumes_nothing() {
    let setup = Setup::new();
    let low = proof("twitch-followers", json!({ "followers": "9,999" }));
    let outcome = setup.run(twitch(10_000), &proofs([low])).await.unwrap();
    assert!(!outcome.met);
    assert!(outcome.consumed.is_empty());
    assert!(outcome.reasons[0].contains("9999"), "{outcome:?}");
}

#[tokio::test]
async fn forged_signature_is_an_error() {
    let setup = Setup::new();
    let mut forged = proof("twitch-followers", json!({ "followers": "50000" }));
    let signature = forged["signatures"][0].as_str().unwrap().to_owned();
    // Flip one byte of `r`.
    let flipped = if &signature[10..12] == "00" { "01" } else { "00" };
    forged["signatures"][0] = format!("{}{flipped}{}", &signature[..10], &signature[12..]).into();
    let err = setup.run(twitch(10_000), &proofs([forged])).await.unwrap_err();
    assert!(
        matches!(
            err,
            ValidatorError::Proof(
                ZkTlsError::SignatureMismatch { .. } | ZkTlsError::InvalidSignature { .. }
            )
        ),
        "{err}"
    );
    assert_eq!(err.code(), "invalid_proof");
}

#[tokio::test]
async fn untrusted_witness_is_an_error() {
    let setup = Setup::new();
    let stranger = PrivateKeySigner::random();
    let by_stranger = proof_by(
        &stranger,
        "twitch-followers",
        json!({ "followers": "50000" }),
        owner().address(),
        NOW,
    );
    let err = setup.run(twitch(10_000), &proofs([by_stranger])).await.unwrap_err();
    assert!(
        matches!(err, ValidatorError::Proof(ZkTlsError::UntrustedWitness { address, .. }) if address == stranger.address()),
        "{err}"
    );
}

#[tokio::test]
async fn altered_parameters_are_an_error() {
    let setup = Setup::new();
    // A proof of 500 followers edited to claim 50,000: the context no longer hashes to the
    // signed identifier.
    let mut altered = proof("twitch-followers", json!({ "followers": "500" }));
    let context = altered["claimData"]["context"].as_str().unwrap().replace("\"500\"", "\"50000\"");
    altered["claimData"]["context"] = context.into();
    let err = setup.run(twitch(10_000), &proofs([altered])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Proof(ZkTlsError::IdentifierMismatch { .. })), "{err}");
    // The request parameters likewise.
    let mut altered = proof("twitch-followers", json!({ "followers": "50000" }));
    let parameters =
        altered["claimData"]["parameters"].as_str().unwrap().replace("provider.test", "evil.test");
    altered["claimData"]["parameters"] = parameters.into();
    let err = setup.run(twitch(10_000), &proofs([altered])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Proof(ZkTlsError::IdentifierMismatch { .. })), "{err}");
}

#[tokio::test]
async fn expired_proof_is_an_error() {
    let setup = Setup::new();
    let old = proof_by(
        &witness(),
        "twitch-followers",
        json!({ "followers": "50000" }),
        owner().address(),
        NOW - 3_601,
    );
    let err = setup.run(twitch(10_000), &proofs([old])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Proof(ZkTlsError::Expired { .. })), "{err}");
}

#[tokio::test]
async fn replayed_proof_is_an_error() {
    let setup = Setup::new();
    let good = proof("twitch-followers", json!({ "followers": "50000" }));
    setup.used.proofs.lock().unwrap().insert(identifier(&good));
    let err = setup.run(twitch(10_000), &proofs([good.clone()])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::ProofReplayed(id) if id == identifier(&good)), "{err}");
    assert_eq!(err.code(), "proof_replayed");
}

#[tokio::test]
async fn proof_bound_to_another_address_is_an_error() {
    let setup = Setup::new();
    let elsewhere = proof_by(
        &witness(),
        "twitch-followers",
        json!({ "followers": "50000" }),
        Address::repeat_byte(0x99),
        NOW,
    );
    let err = setup.run(twitch(10_000), &proofs([elsewhere])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::ProofNotBound { .. }), "{err}");
    // A linked wallet is as good as the owner.
    let linked =
        proof_by(&witness(), "twitch-followers", json!({ "followers": "50000" }), LINKED, NOW);
    assert!(setup.run(twitch(10_000), &proofs([linked])).await.unwrap().met);
}

#[tokio::test]
async fn missing_or_other_proofs_are_missing_evidence_and_garbage_is_invalid() {
    let setup = Setup::new();
    let err = setup.run(twitch(1), &Evidence::default()).await.unwrap_err();
    assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
    let x = proof("x-followers", json!({ "followers": "50000" }));
    let err = setup.run(twitch(1), &proofs([x])).await.unwrap_err();
    assert!(
        matches!(err, ValidatorError::MissingEvidence(ref m) if m.contains("twitch-followers")),
        "{err}"
    );
    let err = setup.run(twitch(1), &proofs([json!({ "claimData": 7 })])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Proof(ZkTlsError::MalformedJson(_))), "{err}");
}

#[tokio::test]
async fn pinned_provider_hash_refuses_other_reclaim_providers() {
    let mut setup = Setup::new();
    setup.env.zktls = setup
        .env
        .zktls
        .clone()
        .with_provider_hash(trex_zktls::Provider::TwitchFollowers, B256::repeat_byte(0xaa));
    let good = proof("twitch-followers", json!({ "followers": "50000" }));
    let err = setup.run(twitch(1), &proofs([good])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Proof(ZkTlsError::UntrustedProvider { .. })), "{err}");
}

#[tokio::test]
async fn other_zktls_checks() {
    let setup = Setup::new();
    let evidence = proofs([
        proof("cex-total-assets", json!({ "exchange": "Binance", "totalAssetsUsd": "$12,345.67" })),
        proof("cex-vip-level", json!({ "exchange": "OKX", "vipLevel": "VIP 3" })),
        proof("youtube-subscribers", json!({ "subscribers": "1,000,000" })),
        proof("subscription", json!({ "platform": "Spotify", "plan": "Premium" })),
        proof("steam-games", json!({ "gameCount": "321" })),
        proof("x-followers", json!({ "followers": "42" })),
    ]);
    let cases = [
        (
            Condition::CexTotalAssets {
                exchange: Some("binance".into()),
                min_usd_cents: 1_234_567,
            },
            true,
        ),
        (Condition::CexTotalAssets { exchange: None, min_usd_cents: 1_234_568 }, false),
        (Condition::CexVipLevel { exchange: Some("okx".into()), min: 3 }, true),
        (Condition::CexVipLevel { exchange: None, min: 4 }, false),
        (Condition::YoutubeSubscribers { min: 1_000_000 }, true),
        (Condition::Subscription { platform: "spotify".into(), plan: None }, true),
        (
            Condition::Subscription { platform: "spotify".into(), plan: Some("premium".into()) },
            true,
        ),
        (
            Condition::Subscription { platform: "spotify".into(), plan: Some("family".into()) },
            false,
        ),
        (Condition::SteamGames { min: 322 }, false),
        (Condition::SteamGames { min: 300 }, true),
        (Condition::Followers { platform: "x".into(), min: 42 }, true),
    ];
    for (condition, met) in cases {
        let outcome = setup.run(condition.clone(), &evidence).await.unwrap();
        assert_eq!(outcome.met, met, "{condition:?}: {outcome:?}");
        assert_eq!(outcome.consumed.len(), usize::from(met));
    }
    // A proof of another exchange or platform is not evidence for this one.
    for condition in [
        Condition::CexTotalAssets { exchange: Some("okx".into()), min_usd_cents: 1 },
        Condition::Subscription { platform: "netflix".into(), plan: None },
    ] {
        let err = setup.run(condition, &evidence).await.unwrap_err();
        assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
    }
}

// --- Ecosystem -----------------------------------------------------------------------------------

#[tokio::test]
async fn student_domain_or_subdomain() {
    let setup = Setup::new();
    let oxford = proofs([proof("school-email", json!({ "email": "ada@cs.OX.ac.uk" }))]);
    let student = |domains: &[&str]| Condition::Student {
        domains: domains.iter().map(|d| (*d).to_owned()).collect(),
    };
    let outcome = setup.run(student(&["mit.edu", "ox.ac.uk"]), &oxford).await.unwrap();
    assert!(outcome.met, "{outcome:?}");
    assert!(!setup.run(student(&["x.ox.ac.uk", "mit.edu"]), &oxford).await.unwrap().met);
    let lookalike = proofs([proof("school-email", json!({ "email": "eve@evilox.ac.uk" }))]);
    assert!(!setup.run(student(&["ox.ac.uk"]), &lookalike).await.unwrap().met);
}

#[tokio::test]
async fn event_codes_are_checked_and_redeemed_once() {
    let setup = Setup::new();
    let hash = keccak256("TREX-DEVCON-2025");
    let condition = Condition::EventCode { code_hashes: vec![keccak256("other"), hash] };
    let with_code = |code: &str| Evidence { event_code: Some(code.into()), ..Evidence::default() };
    let outcome = setup.run(condition.clone(), &with_code("TREX-DEVCON-2025")).await.unwrap();
    assert!(outcome.met);
    assert_eq!(outcome.consumed, vec![Consumption::EventCode(hash)]);
    let outcome = setup.run(condition.clone(), &with_code("trex-devcon-2025")).await.unwrap();
    assert!(!outcome.met && outcome.consumed.is_empty());
    let err = setup.run(condition.clone(), &Evidence::default()).await.unwrap_err();
    assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
    setup.used.codes.lock().unwrap().insert(hash);
    let err = setup.run(condition, &with_code("TREX-DEVCON-2025")).await.unwrap_err();
    assert!(matches!(err, ValidatorError::EventCodeRedeemed(h) if h == hash), "{err}");
    assert_eq!(err.code(), "event_code_redeemed");
}

/// A two-leaf OpenZeppelin `StandardMerkleTree` of `[address]`: its root and each leaf's proof.
fn pair_tree(a: Address, b: Address) -> (B256, Vec<B256>, Vec<B256>) {
    let leaf = |account: Address| keccak256(keccak256(account.into_word()));
    let (la, lb) = (leaf(a), leaf(b));
    let (lo, hi) = if la <= lb { (la, lb) } else { (lb, la) };
    (keccak256([lo.as_slice(), hi.as_slice()].concat()), vec![lb], vec![la])
}

#[tokio::test]
async fn allowlist_stages() {
    let setup = Setup::new();
    let owner = owner().address();
    let other = Address::repeat_byte(0x22);
    // Stage 0 (until NOW - 1) lists the owner; stage 1 (from NOW) lists the linked wallet only.
    let (root0, owner_proof0, _) = pair_tree(owner, other);
    let (root1, linked_proof1, _) = pair_tree(LINKED, other);
    let (_, owner_proof1, _) = pair_tree(owner, other);
    let condition = Condition::MerkleAllowlist {
        stages: vec![
            AllowlistStage { root: root0, start: Some(NOW - 1_000), end: Some(NOW - 1) },
            AllowlistStage { root: root1, start: Some(NOW), end: Some(NOW + 1_000) },
        ],
    };
    let evidence = |account, proof: &Vec<B256>| Evidence {
        allowlist: Some(AllowlistProof { account, proof: proof.clone() }),
        ..Evidence::default()
    };
    // During stage 0 the owner is listed.
    let outcome =
        setup.run_at(condition.clone(), &evidence(owner, &owner_proof0), NOW - 10).await.unwrap();
    assert!(outcome.met, "{outcome:?}");
    // Stage 1 is open now: the owner is not on its list, the linked wallet is.
    let outcome = setup.run(condition.clone(), &evidence(owner, &owner_proof1)).await.unwrap();
    assert!(!outcome.met, "{outcome:?}");
    let outcome = setup.run(condition.clone(), &evidence(LINKED, &linked_proof1)).await.unwrap();
    assert!(outcome.met, "{outcome:?}");
    // Before the first stage and after the last nothing is open.
    let outcome = setup
        .run_at(condition.clone(), &evidence(LINKED, &linked_proof1), NOW - 5_000)
        .await
        .unwrap();
    assert!(!outcome.met && outcome.reasons[0].contains("no stage"), "{outcome:?}");
    assert!(
        !setup
            .run_at(condition.clone(), &evidence(LINKED, &linked_proof1), NOW + 1_001)
            .await
            .unwrap()
            .met
    );
    // A proof for someone else's wallet is refused; no proof is missing evidence.
    let err = setup.run(condition.clone(), &evidence(other, &linked_proof1)).await.unwrap_err();
    assert!(matches!(err, ValidatorError::InvalidRequest(_)), "{err}");
    let err = setup.run(condition, &Evidence::default()).await.unwrap_err();
    assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
}

// --- Solana --------------------------------------------------------------------------------------

#[tokio::test]
async fn solana_checks_sum_the_linked_addresses() {
    let mock = MockSolanaRpc::start().await.unwrap();
    let mut setup = Setup::new();
    let (a, b) = (SolanaAddress::new([1; 32]), SolanaAddress::new([2; 32]));
    let mint: SolanaAddress = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v".parse().unwrap();
    mock.set_balance(a, 1_500_000_000);
    mock.set_balance(b, 600_000_000);
    mock.add_token_account(a, mint, 4_000_000, 6);
    mock.add_token_account(b, mint, 1_000_000, 6);
    mock.add_signatures(a, 3, 5);
    mock.add_signatures(b, 4, 0);
    let evidence = Evidence::default();

    let balance = |min| Condition::SolanaBalance { min };
    let spl = |min| Condition::SplTokenBalance { mint: mint.to_string(), min };
    let txs = |min| Condition::SolanaTxCount { min };

    // Not configured: a configuration error, not an unmet condition.
    let err = setup.run(balance(1), &evidence).await.unwrap_err();
    assert!(matches!(err, ValidatorError::Config(_)), "{err}");

    setup.env.solana = Some(mock.client());
    // Configured, nothing linked: unmet, with the reason.
    let outcome = setup.run(balance(1), &evidence).await.unwrap();
    assert!(!outcome.met && outcome.reasons[0].contains("no linked Solana address"), "{outcome:?}");

    setup.subject.solana = vec![a, b];
    for (condition, met) in [
        (balance(2_100_000_000), true),
        (balance(2_100_000_001), false),
        (spl(5_000_000), true),
        (spl(5_000_001), false),
        (txs(7), true),
        (txs(8), false),
    ] {
        let outcome = setup.run(condition.clone(), &evidence).await.unwrap();
        assert_eq!(outcome.met, met, "{condition:?}: {outcome:?}");
    }
    let err = setup
        .run(Condition::SplTokenBalance { mint: "not-base58-0OIl".into(), min: 1 }, &evidence)
        .await
        .unwrap_err();
    assert!(matches!(err, ValidatorError::InvalidConditions(_)), "{err}");
    // A node error surfaces as the Solana error.
    mock.respond_with(
        "getBalance",
        200,
        r#"{"jsonrpc":"2.0","error":{"code":-32005,"message":"Node is unhealthy"},"id":1}"#,
    );
    let err = setup.run(balance(1), &evidence).await.unwrap_err();
    assert_eq!(err.code(), "solana_unavailable", "{err}");
}

// --- On chain: early bird and social -------------------------------------------------------------

/// anvil with the T-Rex devnet's chain id (the `LinkWeb2` domain below signs for it).
async fn spawn_anvil() -> Anvil {
    Anvil::start(&["--chain-id", "31628"]).await
}

/// Deploys the identity contracts, creates the owner's passport (#1) and links its `twitch`
/// account `ninja` with a validator-signed `LinkWeb2`.
async fn identity_chain(anvil: &Anvil, setup: &mut Setup) {
    let provider = wallet_provider(&anvil.url, &[OWNER_KEY]);
    let (passport, _badge) = deploy_identity(&provider, owner().address()).await.unwrap();
    let passports = PassportClient::new(passport, provider.clone());
    assert_eq!(passports.create_passport().await.unwrap(), U256::from(1));

    let validator: PrivateKeySigner = VALIDATOR_KEY.parse().unwrap();
    let role = call(&provider, passport, TRexPassport::VALIDATOR_ROLECall {}).await;
    send(&provider, passport, TRexPassport::grantRoleCall { role, account: validator.address() })
        .await;
    let link = LinkWeb2 {
        passportId: U256::from(1),
        platform: keccak256("twitch"),
        handleHash: keccak256("ninja"),
        attestationId: B256::repeat_byte(0x5e),
        deadline: U256::from(u64::MAX),
    };
    let signature =
        sign_typed(&validator, &link, &passport_domain(31_628, passport)).await.unwrap();
    send(
        &provider,
        passport,
        TRexPassport::linkWeb2Call {
            passportId: link.passportId,
            platform: link.platform,
            handleHash: link.handleHash,
            attestationId: link.attestationId,
            deadline: link.deadline,
            signature,
        },
    )
    .await;

    setup.env.passport = passport;
    setup.env.chains.insert(Chains::TREX, DynProvider::new(provider));
}

async fn call<C: SolCall>(provider: &impl Provider, to: Address, call: C) -> C::Return {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    C::abi_decode_returns(&provider.call(tx).await.unwrap()).unwrap()
}

async fn send<C: SolCall>(provider: &impl Provider, to: Address, call: C) {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    let receipt = provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "{} reverted", C::SIGNATURE);
}

#[tokio::test]
async fn early_bird_by_number_and_creation_time() {
    let anvil = spawn_anvil().await;
    let mut setup = Setup::new();
    identity_chain(&anvil, &mut setup).await;
    let provider = setup.env.chains.get(Chains::TREX).unwrap().clone();
    let latest = provider.get_block_by_number(BlockNumberOrTag::Latest).await.unwrap().unwrap();
    // The passport was created two transactions (grantRole, linkWeb2) before the head, so its
    // block is no later than the head's.
    let head_time = latest.header.timestamp;
    let early =
        |max_passport_id, created_before| Condition::EarlyBird { max_passport_id, created_before };
    let evidence = Evidence::default();
    assert!(setup.run(early(Some(1), None), &evidence).await.unwrap().met);
    assert!(!setup.run(early(Some(0), None), &evidence).await.unwrap().met);
    assert!(setup.run(early(None, Some(head_time)), &evidence).await.unwrap().met);
    assert!(setup.run(early(Some(5), Some(head_time + 100)), &evidence).await.unwrap().met);
    // Created before the genesis of this chain: no.
    let outcome = setup.run(early(None, Some(1)), &evidence).await.unwrap();
    assert!(!outcome.met && outcome.reasons[0].contains("created at"), "{outcome:?}");
    // Both bounds must hold.
    assert!(!setup.run(early(Some(0), Some(head_time)), &evidence).await.unwrap().met);
    // A passport without a PassportCreated log.
    setup.subject.passport_id = U256::from(2);
    let outcome = setup.run(early(None, Some(head_time)), &evidence).await.unwrap();
    assert!(!outcome.met && outcome.reasons[0].contains("no PassportCreated"), "{outcome:?}");
}

#[tokio::test]
async fn social_checks_use_the_linked_account() {
    let anvil = spawn_anvil().await;
    let mut setup = Setup::new();
    identity_chain(&anvil, &mut setup).await;
    let none = Evidence::default();

    let linked = |platform: &str| Condition::LinkedAccount { platform: platform.into() };
    assert!(setup.run(linked("twitch"), &none).await.unwrap().met);
    assert!(!setup.run(linked("x"), &none).await.unwrap().met);

    let follows = Condition::Follows { platform: "twitch".into(), target: "@TRexChain".into() };
    let follow = |handle: &str, target: &str| {
        proof("social-follow", json!({ "platform": "twitch", "handle": handle, "target": target }))
    };
    // `@Ninja` normalises to the linked `ninja`.
    let outcome =
        setup.run(follows.clone(), &proofs([follow("@Ninja", "trexchain")])).await.unwrap();
    assert!(outcome.met, "{outcome:?}");
    assert_eq!(outcome.consumed.len(), 1);
    assert!(
        !setup.run(follows.clone(), &proofs([follow("ninja", "someoneelse")])).await.unwrap().met
    );
    // A proof about another account is not this passport's.
    let err =
        setup.run(follows.clone(), &proofs([follow("shroud", "trexchain")])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::ProofNotBound { .. }), "{err}");
    assert_eq!(err.code(), "proof_not_bound");
    // No account linked on the platform: unmet before any proof is looked at.
    let on_x = Condition::Follows { platform: "x".into(), target: "trexchain".into() };
    assert!(!setup.run(on_x, &none).await.unwrap().met);

    let posts = |min| Condition::Posts { platform: "twitch".into(), contains: "T-Rex".into(), min };
    let post_proof = |query: &str, n: &str| {
        proof(
            "social-posts",
            json!({ "platform": "twitch", "handle": "ninja", "query": query, "matchingPosts": n }),
        )
    };
    assert!(setup.run(posts(3), &proofs([post_proof("t-rex chain", "3")])).await.unwrap().met);
    assert!(!setup.run(posts(4), &proofs([post_proof("T-Rex", "3")])).await.unwrap().met);
    // A search for something else says nothing about posts containing "t-rex".
    let err = setup.run(posts(1), &proofs([post_proof("dinosaurs", "9")])).await.unwrap_err();
    assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
}
