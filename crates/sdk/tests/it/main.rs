//! Integration test against a throwaway anvil: deploy, passport, wallet link, badge mint with a
//! validator attestation, replay rejection and revocation.

use std::{
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, U256, keccak256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolStruct};
use trex_sdk::{
    BadgeClient, Error, LinkWallet, MintAttestation, PassportClient, TRexBadge, TRexPassport,
    deploy_identity, sign_mint_attestation,
};

/// anvil's first dev account.
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Kills anvil when the test ends, however it ends.
struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_anvil() -> Anvil {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/bin/anvil");
    let child = Command::new(bin)
        .args(["--port", &port.to_string(), "--chain-id", "7777"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn anvil (.tools/bin/anvil)");
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "anvil did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    anvil
}

/// Calls a view function directly, bypassing the SDK's clients.
async fn call<C: SolCall>(provider: &impl Provider, to: Address, call: C) -> C::Return {
    let tx = TransactionRequest::default().to(to).input(call.abi_encode().into());
    C::abi_decode_returns(&provider.call(tx).await.unwrap()).unwrap()
}

#[tokio::test]
async fn passport_and_badge_lifecycle_on_anvil() {
    let anvil = spawn_anvil();
    let owner: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let owner_address = owner.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(owner))
        .connect_http(anvil.url.parse().unwrap());

    let (passport_addr, badge_addr) = deploy_identity(&provider, owner_address).await.unwrap();
    let passports = PassportClient::new(passport_addr, provider.clone());
    let badges = BadgeClient::new(badge_addr, provider.clone());

    // The SDK's EIP-712 domains and type hashes equal what the contracts compute.
    let chain_id = provider.get_chain_id().await.unwrap();
    assert_eq!(chain_id, 7777);
    let on_chain = call(&provider, passport_addr, TRexPassport::domainSeparatorCall {}).await;
    assert_eq!(passports.domain().await.unwrap().separator(), on_chain);
    let on_chain = call(&provider, badge_addr, TRexBadge::domainSeparatorCall {}).await;
    assert_eq!(badges.domain().await.unwrap().separator(), on_chain);
    let on_chain = call(&provider, passport_addr, TRexPassport::LINK_WALLET_TYPEHASHCall {}).await;
    assert_eq!(keccak256(LinkWallet::eip712_encode_type().as_bytes()), on_chain);
    let on_chain = call(&provider, badge_addr, TRexBadge::MINT_ATTESTATION_TYPEHASHCall {}).await;
    assert_eq!(keccak256(MintAttestation::eip712_encode_type().as_bytes()), on_chain);

    // Passport and DID.
    let id = passports.create_passport().await.unwrap();
    assert_eq!(id, U256::from(1));
    assert_eq!(passports.passport_of(owner_address).await.unwrap(), id);
    assert_eq!(passports.did(id).await.unwrap(), "did:trex:7777:1");
    let second = passports.create_passport().await.unwrap_err();
    assert!(
        matches!(&second, Error::Passport(e) if matches!(**e, TRexPassport::TRexPassportErrors::AlreadyHasPassport(_))),
        "{second}"
    );

    // Link a second wallet with its own EIP-712 signature (it never sends a transaction).
    let wallet = PrivateKeySigner::random();
    let deadline = U256::from(u64::MAX);
    passports.link_wallet(id, &wallet, deadline).await.unwrap();
    assert_eq!(passports.linked_wallets(id).await.unwrap(), vec![wallet.address()]);
    assert_eq!(passports.passport_of_wallet(wallet.address()).await.unwrap(), id);
    assert_eq!(passports.nonce(wallet.address()).await.unwrap(), U256::from(1));

    // A badge class trusting a local validator key.
    let validator = PrivateKeySigner::random();
    let category = keccak256("general");
    let class_id = badges
        .create_class(
            TRexBadge::ClassParams {
                uri: "ipfs://badge/1".into(),
                points: 250,
                pointsCategory: category,
                validatorKind: keccak256("NFT"),
                paramsHash: keccak256("{}"),
                supplyCap: 0,
                startTime: 0,
                endTime: 0,
                expiry: 0,
            },
            vec![validator.address()],
        )
        .await
        .unwrap();
    assert_eq!(class_id, U256::from(1));
    assert_eq!(badges.class(class_id).await.unwrap().issuer, owner_address);

    // Mint with a validator-signed attestation; points land on the passport.
    let attestation =
        badges.attestation(class_id, id, keccak256("attestation-1"), deadline).await.unwrap();
    assert_eq!(attestation.recipient, owner_address);
    let domain = badges.domain().await.unwrap();
    let signature = sign_mint_attestation(&validator, &domain, &attestation).await.unwrap();
    badges.mint(&attestation, signature.clone()).await.unwrap();
    assert_eq!(badges.balance_of(owner_address, class_id).await.unwrap(), U256::from(1));
    assert!(badges.is_badge_valid(class_id, id).await.unwrap());
    assert_eq!(badges.badge(class_id, id).await.unwrap().points, 250);
    assert_eq!(passports.points(id, category).await.unwrap(), U256::from(250));

    // Reusing the attestation is rejected with the contract's reason.
    let replay = badges.mint(&attestation, signature).await.unwrap_err();
    assert!(
        matches!(&replay, Error::Badge(e) if **e == TRexBadge::TRexBadgeErrors::AttestationAlreadyUsed(
            TRexBadge::AttestationAlreadyUsed { attestationId: keccak256("attestation-1") }
        )),
        "{replay}"
    );
    assert!(replay.to_string().contains("AttestationAlreadyUsed"), "{replay}");

    // Revocation burns the badge and debits its points.
    badges.revoke(class_id, id).await.unwrap();
    assert_eq!(badges.balance_of(owner_address, class_id).await.unwrap(), U256::ZERO);
    assert!(!badges.is_badge_valid(class_id, id).await.unwrap());
    assert_eq!(passports.points(id, category).await.unwrap(), U256::ZERO);

    // After revocation a new attestation signed by a key the class does not trust is rejected.
    let other = MintAttestation { attestationId: keccak256("attestation-2"), ..attestation };
    let forged = sign_mint_attestation(&PrivateKeySigner::random(), &domain, &other).await.unwrap();
    let err = badges.mint(&other, forged).await.unwrap_err();
    assert!(
        matches!(&err, Error::Badge(e) if matches!(**e, TRexBadge::TRexBadgeErrors::UntrustedValidator(_))),
        "{err}"
    );

    drop(anvil);
}
