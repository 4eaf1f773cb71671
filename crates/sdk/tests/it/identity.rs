//! Contract lifecycle and every rejection the acceptance lists, each with its decoded reason.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolStruct};
use trex_sdk::{
    BadgeClient, Error, LinkSolana, LinkWallet, MintAttestation, PassportClient, TRexBadge,
    TRexPassport, deploy_identity, passport_domain, sign_link_solana, sign_link_wallet,
    sign_mint_attestation,
};

use crate::common::{DEV_KEY, fund, reason, spawn_anvil, wallet_provider};

/// Calls a view function directly, bypassing the SDK's clients.
async fn call<C: SolCall>(provider: &impl Provider, to: Address, call: C) -> C::Return {
    let tx = TransactionRequest::default().to(to).input(call.abi_encode().into());
    C::abi_decode_returns(&provider.call(tx).await.unwrap()).unwrap()
}

fn class_params(category: B256) -> TRexBadge::ClassParams {
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
    }
}

#[tokio::test]
async fn passport_and_badge_lifecycle_on_anvil() {
    let anvil = spawn_anvil();
    let owner: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let owner_address = owner.address();
    let provider = wallet_provider(&anvil, owner);

    let (passport_addr, badge_addr) = deploy_identity(&provider, owner_address).await.unwrap();
    let passports = PassportClient::new(passport_addr, provider.clone());
    let badges = BadgeClient::new(badge_addr, provider.clone());

    // The SDK's EIP-712 domains and type hashes equal what the contracts compute.
    assert_eq!(provider.get_chain_id().await.unwrap(), 7777);
    let on_chain = call(&provider, passport_addr, TRexPassport::domainSeparatorCall {}).await;
    assert_eq!(passports.domain().await.unwrap().separator(), on_chain);
    let on_chain = call(&provider, badge_addr, TRexBadge::domainSeparatorCall {}).await;
    assert_eq!(badges.domain().await.unwrap().separator(), on_chain);
    let on_chain = call(&provider, passport_addr, TRexPassport::LINK_WALLET_TYPEHASHCall {}).await;
    assert_eq!(keccak256(LinkWallet::eip712_encode_type().as_bytes()), on_chain);
    let on_chain = call(&provider, badge_addr, TRexBadge::MINT_ATTESTATION_TYPEHASHCall {}).await;
    assert_eq!(keccak256(MintAttestation::eip712_encode_type().as_bytes()), on_chain);

    let id = passports.create_passport().await.unwrap();
    assert_eq!(id, U256::from(1));
    assert_eq!(passports.did(id).await.unwrap(), "did:trex:7777:1");

    let wallet = PrivateKeySigner::random();
    let deadline = U256::from(u64::MAX);
    passports.link_wallet(id, &wallet, deadline).await.unwrap();
    assert_eq!(passports.linked_wallets(id).await.unwrap(), vec![wallet.address()]);
    assert_eq!(passports.passport_of_wallet(wallet.address()).await.unwrap(), id);

    let validator = PrivateKeySigner::random();
    let category = keccak256("general");
    let class_id =
        badges.create_class(class_params(category), vec![validator.address()]).await.unwrap();
    let attestation =
        badges.attestation(class_id, id, keccak256("attestation-1"), deadline).await.unwrap();
    let domain = badges.domain().await.unwrap();
    let signature = sign_mint_attestation(&validator, &domain, &attestation).await.unwrap();
    badges.mint(&attestation, signature).await.unwrap();
    assert_eq!(badges.balance_of(owner_address, class_id).await.unwrap(), U256::from(1));
    assert_eq!(passports.points(id, category).await.unwrap(), U256::from(250));

    let view = passports.passport(id).await.unwrap();
    assert_eq!(view.owner, owner_address);
    assert_eq!(view.did, "did:trex:7777:1");
    assert_eq!(view.wallets, vec![wallet.address()]);
    assert_eq!(view.badges.len(), 1);
    assert_eq!(view.badges[0].class_id, class_id);
    assert_eq!(view.badges[0].validator, validator.address());
    assert_eq!(view.points[0].category, category);
    assert_eq!((view.points[0].badge, view.points[0].task), (U256::from(250), U256::ZERO));
    assert_eq!(view.total_points(), U256::from(250));

    badges.revoke(class_id, id).await.unwrap();
    assert_eq!(passports.points(id, category).await.unwrap(), U256::ZERO);
    assert!(badges.badges_of(id).await.unwrap().is_empty());
}

#[tokio::test]
async fn every_rejection_carries_the_contract_reason() {
    let anvil = spawn_anvil();
    let admin: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let admin_address = admin.address();
    let provider = wallet_provider(&anvil, admin.clone());
    let (passport_addr, badge_addr) = deploy_identity(&provider, admin_address).await.unwrap();
    let passports = PassportClient::new(passport_addr, provider.clone());
    let badges = BadgeClient::new(badge_addr, provider.clone());
    let id = passports.create_passport().await.unwrap();
    let deadline = U256::from(u64::MAX);

    // A second passport for one owner.
    let err = passports.create_passport().await.unwrap_err();
    assert_eq!(reason(&err), "AlreadyHasPassport");
    assert!(err.to_string().contains(&format!("{admin_address:#x}")), "{err}");

    // A wallet linked to two passports: another owner cannot link it, and it cannot own one.
    let linked = PrivateKeySigner::random();
    passports.link_wallet(id, &linked, deadline).await.unwrap();
    let other = PrivateKeySigner::random();
    fund(&provider, other.address()).await;
    let other_passports = PassportClient::new(passport_addr, wallet_provider(&anvil, other));
    let other_id = other_passports.create_passport().await.unwrap();
    let err = other_passports.link_wallet(other_id, &linked, deadline).await.unwrap_err();
    assert_eq!(reason(&err), "WalletAlreadyLinked");
    fund(&provider, linked.address()).await;
    let as_linked = PassportClient::new(passport_addr, wallet_provider(&anvil, linked.clone()));
    assert_eq!(reason(&as_linked.create_passport().await.unwrap_err()), "WalletAlreadyLinked");

    // A forged link signature: signed by another key than the wallet's.
    let wallet = PrivateKeySigner::random();
    let domain = passports.domain().await.unwrap();
    let forged = sign_link_wallet(&PrivateKeySigner::random(), &domain, id, U256::ZERO, deadline)
        .await
        .unwrap();
    let err = passports
        .link_wallet_with_signature(id, wallet.address(), deadline, forged)
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "InvalidWalletSignature");

    // An expired link signature.
    let err = passports.link_wallet(id, &wallet, U256::from(1)).await.unwrap_err();
    assert_eq!(reason(&err), "SignatureExpired");

    // Badge mints: untrusted signer, expired and reused attestations.
    let validator = PrivateKeySigner::random();
    let category = keccak256("general");
    let class_id =
        badges.create_class(class_params(category), vec![validator.address()]).await.unwrap();
    let badge_domain = badges.domain().await.unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let expired = badges
        .attestation(class_id, id, keccak256("a-expired"), U256::from(now - 60))
        .await
        .unwrap();
    let sig = sign_mint_attestation(&validator, &badge_domain, &expired).await.unwrap();
    let err = badges.mint(&expired, sig).await.unwrap_err();
    assert_eq!(reason(&err), "AttestationExpired");
    assert!(matches!(
        &err,
        Error::Badge(e) if matches!(**e, TRexBadge::TRexBadgeErrors::AttestationExpired(_))
    ));

    let attestation = badges.attestation(class_id, id, keccak256("a-1"), deadline).await.unwrap();
    let untrusted = sign_mint_attestation(&PrivateKeySigner::random(), &badge_domain, &attestation)
        .await
        .unwrap();
    assert_eq!(
        reason(&badges.mint(&attestation, untrusted).await.unwrap_err()),
        "UntrustedValidator"
    );
    let sig = sign_mint_attestation(&validator, &badge_domain, &attestation).await.unwrap();
    badges.mint(&attestation, sig.clone()).await.unwrap();
    let err = badges.mint(&attestation, sig).await.unwrap_err();
    assert_eq!(reason(&err), "AttestationAlreadyUsed");

    // Altered parameters: the signature no longer recovers to the trusted validator.
    let altered = MintAttestation { passportId: other_id, ..attestation.clone() };
    let sig = sign_mint_attestation(&validator, &badge_domain, &attestation).await.unwrap();
    let altered = MintAttestation { attestationId: keccak256("a-2"), ..altered };
    assert_eq!(reason(&badges.mint(&altered, sig).await.unwrap_err()), "UntrustedValidator");

    // A transfer of a badge.
    let transfer = TRexBadge::safeTransferFromCall {
        from: admin_address,
        to: Address::repeat_byte(0x11),
        id: class_id,
        value: U256::from(1),
        data: Bytes::new(),
    };
    let err = badges.send_call(transfer).await.unwrap_err();
    assert_eq!(reason(&err), "BadgeLocked");

    // A reused Solana link attestation decodes as the passport's error, not the badge's.
    let role = call(&provider, passport_addr, TRexPassport::VALIDATOR_ROLECall {}).await;
    passports
        .send_call(TRexPassport::grantRoleCall { role, account: validator.address() })
        .await
        .unwrap();
    let link = LinkSolana {
        passportId: id,
        solanaAddress: B256::repeat_byte(5),
        attestationId: keccak256("sol-1"),
        deadline,
    };
    let sig =
        sign_link_solana(&validator, &passport_domain(7777, passport_addr), &link).await.unwrap();
    let signed = trex_sdk::SignedSolanaLink {
        attestation: trex_sdk::SolanaLinkAttestation {
            passport_id: id,
            solana_address: link.solanaAddress,
            attestation_id: link.attestationId,
            deadline,
        },
        signature: sig,
        validator: validator.address(),
    };
    passports.link_solana_signed(&signed).await.unwrap();
    let again = trex_sdk::SignedSolanaLink {
        attestation: trex_sdk::SolanaLinkAttestation {
            solana_address: B256::repeat_byte(6),
            ..signed.attestation.clone()
        },
        ..signed.clone()
    };
    let err = passports.link_solana_signed(&again).await.unwrap_err();
    assert!(matches!(err, Error::Passport(_)), "{err}");
    assert_eq!(reason(&err), "AttestationAlreadyUsed");
    let err = passports.link_solana_signed(&signed).await.unwrap_err();
    assert_eq!(reason(&err), "SolanaAlreadyLinked");
    assert_eq!(passports.linked_solana(id).await.unwrap(), vec![B256::repeat_byte(5)]);
}
