//! The validator client against an in-test server speaking the documented API, wired to a real
//! anvil deployment: conditions registration, validation, minting with the attestation, Solana
//! and Web2 links, listing badges and the typed API errors.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{B256, U256, keccak256};
use alloy_provider::Provider;
use alloy_signer_local::PrivateKeySigner;
use ed25519_dalek::SigningKey;
use serde_json::json;
use trex_sdk::{
    BadgeClient, Error, Evidence, PassportClient, TRexBadge, TRexPassport, ValidatorClient,
    conditions::params_hash, deploy_identity, solana_address,
};

use crate::{
    common::{DEV_KEY, reason, spawn_anvil, wallet_provider},
    mock_validator, reclaim,
};

fn params(points: u128, category: B256) -> TRexBadge::ClassParams {
    TRexBadge::ClassParams {
        uri: "ipfs://badge".into(),
        points,
        pointsCategory: category,
        validatorKind: B256::ZERO,
        paramsHash: B256::ZERO,
        supplyCap: 0,
        startTime: 0,
        endTime: 0,
        expiry: 0,
    }
}

#[tokio::test]
async fn badge_and_link_flows_through_the_validator_api() {
    let anvil = spawn_anvil();
    let admin: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let provider = wallet_provider(&anvil, admin.clone());
    let (passport, badge) = deploy_identity(&provider, admin.address()).await.unwrap();
    let passports = PassportClient::new(passport, provider.clone());
    let badges = BadgeClient::new(badge, provider.clone());
    let mock = mock_validator::spawn(&anvil.url, passport, badge).await;
    let validator = ValidatorClient::new(&mock.url).unwrap();

    let info = validator.info().await.unwrap();
    assert_eq!(
        (info.validator, info.chain_id, info.passport),
        (mock.signer.address(), 7777, passport)
    );
    let role = keccak256("VALIDATOR_ROLE");
    passports
        .send_call(TRexPassport::grantRoleCall { role, account: info.validator })
        .await
        .unwrap();

    let id = passports.create_passport().await.unwrap();

    // Solana: the key signs the documented message, the validator attests, the owner submits.
    let solana = SigningKey::from_bytes(&rand::random());
    passports.link_solana(&validator, id, &solana).await.unwrap();
    let key = B256::from(solana.verifying_key().to_bytes());
    assert_eq!(passports.linked_solana(id).await.unwrap(), vec![key]);
    assert_eq!(passports.passport_of_solana(key).await.unwrap(), id);
    assert_eq!(solana_address(&key.0).len(), bs58::encode(key).into_string().len());

    // Web2.
    let proof = reclaim::signed_proof(
        &PrivateKeySigner::random(),
        &reclaim::twitch_followers(admin.address(), "1", "web2"),
        admin.address(),
        1,
        1,
    );
    passports.link_web2(&validator, id, "Twitch", &proof).await.unwrap();

    // An NFT class: paramsHash agreed by the service and the SDK, conditions registered.
    let conditions = json!({"version": 1, "kind": "NFT", "rule": {"type": "all", "rules": [
        {"type": "nft_balance", "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
         "standard": "erc721", "min": "1"},
        {"type": "nft_holding_duration", "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
         "standard": "erc721", "minBlocks": 3}]}});
    let category = keccak256("general");
    let (class_id, hash) = badges
        .create_class_with_conditions(&validator, params(100, category), &conditions)
        .await
        .unwrap();
    assert_eq!(hash.params_hash, params_hash(&conditions));
    let class = badges.class(class_id).await.unwrap();
    assert_eq!((class.paramsHash, class.validatorKind), (hash.params_hash, keccak256("NFT")));
    assert!(badges.is_trusted_validator(class_id, info.validator).await.unwrap());
    let registered = validator.conditions(class_id).await.unwrap();
    assert_eq!(registered.conditions.as_ref(), Some(&conditions));

    // Unmet conditions come back typed, with the reasons.
    let refused = Evidence { event_code: Some("nope".into()), ..Evidence::default() };
    let err = validator.validate(class_id, id, &refused).await.unwrap_err();
    let Error::Validator(api) = &err else { panic!("{err}") };
    assert_eq!((api.status, api.code.as_str()), (422, "condition_not_met"));
    assert_eq!(api.reasons, vec!["event code is not one of 1 accepted codes".to_owned()]);
    assert_eq!(reason(&err), "condition_not_met");
    let err = validator.validate(U256::from(99), id, &Evidence::default()).await.unwrap_err();
    assert_eq!(reason(&err), "conditions_not_registered");

    let (signed, _) =
        badges.request_and_mint(&validator, class_id, id, &Evidence::default()).await.unwrap();
    assert_eq!(signed.attestation.recipient, admin.address());
    let err = badges.mint_signed(&signed).await.unwrap_err();
    assert_eq!(reason(&err), "AttestationAlreadyUsed");

    // A ZKTLS class: the proof is consumed once.
    let zktls = json!({"version": 1, "kind": "ZKTLS",
        "rule": {"type": "followers", "platform": "twitch", "min": 10001}});
    let (zk_class, _) = badges
        .create_class_with_conditions(&validator, params(500, category), &zktls)
        .await
        .unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let proof = reclaim::signed_proof(
        &PrivateKeySigner::random(),
        &reclaim::twitch_followers(admin.address(), "12,345", "s1"),
        admin.address(),
        now,
        1,
    );
    let evidence = Evidence { zktls_proofs: vec![proof], ..Evidence::default() };
    badges.request_and_mint(&validator, zk_class, id, &evidence).await.unwrap();
    let err = validator.validate(zk_class, id, &evidence).await.unwrap_err();
    assert_eq!(reason(&err), "proof_replayed");

    // The passport, read whole.
    let view = passports.passport(id).await.unwrap();
    assert_eq!(view.solana, vec![key]);
    assert_eq!(view.web2.len(), 1);
    assert_eq!(view.web2[0].platform, keccak256("twitch"));
    assert_eq!(
        view.badges.iter().map(|b| b.class_id).collect::<Vec<_>>(),
        vec![class_id, zk_class]
    );
    assert!(view.badges.iter().all(|b| b.valid && b.validator == info.validator));
    assert_eq!(view.total_points(), U256::from(600));

    badges.revoke(class_id, id).await.unwrap();
    let held = badges.badges_of(id).await.unwrap();
    assert_eq!(held.iter().map(|b| b.class_id).collect::<Vec<_>>(), vec![zk_class]);
    assert_eq!(passports.points(id, category).await.unwrap(), U256::from(500));
    assert!(provider.get_block_number().await.unwrap() > 0);
}

#[tokio::test]
async fn validator_errors_without_the_api_body_are_still_typed() {
    let anvil = spawn_anvil();
    let mock = mock_validator::spawn(
        &anvil.url,
        alloy_primitives::Address::ZERO,
        alloy_primitives::Address::ZERO,
    )
    .await;
    let validator = ValidatorClient::new(&format!("{}broken/", mock.url)).unwrap();
    let err = validator.info().await.unwrap_err();
    let Error::Validator(api) = &err else { panic!("{err}") };
    assert_eq!(
        (api.status, api.code.as_str(), api.message.as_str()),
        (502, "http_502", "upstream down")
    );
    let validator = ValidatorClient::new(&mock.url).unwrap();
    let err = validator.conditions_hash(&json!({"version": 2})).await.unwrap_err();
    assert_eq!(reason(&err), "invalid_conditions");
    let dead = ValidatorClient::new("http://127.0.0.1:9/").unwrap();
    assert!(matches!(dead.info().await.unwrap_err(), Error::Http(_)));
}
