//! DID login verified against passports on anvil, including the cross-SDK vectors in
//! `testdata/siwe-vectors.json` (one written by this SDK, one by viem's `createSiweMessage`).

use alloy_primitives::{Bytes, U256};
use alloy_signer::Signer;
use alloy_signer_local::PrivateKeySigner;
use serde_json::Value;
use trex_sdk::{
    Error, LoginExpectations, PassportClient, SiweError, SiweMessage, deploy_identity,
    time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339},
    verify_login,
};

use crate::common::{DEV_KEY, spawn_anvil, wallet_provider};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/siwe-vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn siwe_err(err: Error) -> SiweError {
    match err {
        Error::Siwe(e) => e,
        other => panic!("not a login refusal: {other}"),
    }
}

#[tokio::test]
async fn did_login_binds_a_wallet_to_its_passport() {
    let anvil = spawn_anvil();
    let owner: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let provider = wallet_provider(&anvil, owner.clone());
    let (passport, _) = deploy_identity(&provider, owner.address()).await.unwrap();
    let passports = PassportClient::new(passport, provider);
    let id = passports.create_passport().await.unwrap();
    assert_eq!(id, U256::from(1));

    // Messages made by both SDKs verify here.
    let fixture = vectors();
    let now = OffsetDateTime::parse(fixture["now"].as_str().unwrap(), &Rfc3339).unwrap();
    for v in fixture["vectors"].as_array().unwrap() {
        let message = v["message"].as_str().unwrap();
        let signature: Bytes = v["signature"].as_str().unwrap().parse().unwrap();
        let expected = LoginExpectations {
            domain: v["domain"].as_str().unwrap().into(),
            nonce: v["nonce"].as_str().unwrap().into(),
            now,
        };
        let login = verify_login(message, &signature, &expected, &passports).await.unwrap();
        assert_eq!((login.address, login.passport_id), (owner.address(), id), "{}", v["producer"]);
        assert_eq!(login.did, "did:trex:7777:1");
        if v["producer"] == "rust" {
            let parsed: SiweMessage = message.parse().unwrap();
            assert_eq!(parsed.to_message().unwrap(), message, "this SDK writes the vector");
        }
    }

    // A linked wallet logs in to the same passport; a stranger does not.
    let linked = PrivateKeySigner::random();
    passports.link_wallet(id, &linked, U256::from(u64::MAX)).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let login = |signer: &PrivateKeySigner| {
        let mut m = SiweMessage::new(
            "dapp.test",
            signer.address(),
            "https://dapp.test/",
            7777,
            "n0nce1234",
            now,
        )
        .bind_passport(id);
        m.expiration_time = Some(now + Duration::minutes(5));
        m
    };
    let expected = LoginExpectations { domain: "dapp.test".into(), nonce: "n0nce1234".into(), now };
    let sign = |signer: PrivateKeySigner, text: String| async move {
        Bytes::from(signer.sign_message(text.as_bytes()).await.unwrap().as_bytes())
    };
    let text = login(&linked).to_message().unwrap();
    let sig = sign(linked.clone(), text.clone()).await;
    let ok = verify_login(&text, &sig, &expected, &passports).await.unwrap();
    assert_eq!((ok.address, ok.passport_id), (linked.address(), id));

    let stranger = PrivateKeySigner::random();
    let text = login(&stranger).to_message().unwrap();
    let sig_stranger = sign(stranger.clone(), text.clone()).await;
    let err =
        siwe_err(verify_login(&text, &sig_stranger, &expected, &passports).await.unwrap_err());
    assert!(
        matches!(err, SiweError::NotPassportWallet { actual, .. } if actual.is_zero()),
        "{err}"
    );

    // Tampered message: the signature no longer recovers to the address.
    let text = login(&linked).to_message().unwrap();
    let tampered = text.replace("did:trex:7777:1", "did:trex:7777:2");
    let err = siwe_err(verify_login(&tampered, &sig, &expected, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::BadSignature { .. }), "{err}");

    // Wrong domain, wrong nonce, expired, not yet valid, wrong chain, not bound.
    let wrong_domain = LoginExpectations { domain: "evil.test".into(), ..expected.clone() };
    let err = siwe_err(verify_login(&text, &sig, &wrong_domain, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::DomainMismatch { .. }), "{err}");
    let wrong_nonce = LoginExpectations { nonce: "other1234".into(), ..expected.clone() };
    let err = siwe_err(verify_login(&text, &sig, &wrong_nonce, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::NonceMismatch { .. }), "{err}");
    let later = LoginExpectations { now: now + Duration::minutes(6), ..expected.clone() };
    let err = siwe_err(verify_login(&text, &sig, &later, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::Expired(_)), "{err}");

    let mut early = login(&linked);
    early.not_before = Some(now + Duration::minutes(1));
    let text = early.to_message().unwrap();
    let sig = sign(linked.clone(), text.clone()).await;
    let err = siwe_err(verify_login(&text, &sig, &expected, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::NotYetValid(_)), "{err}");

    let mut other_chain = login(&linked);
    other_chain.chain_id = 31628;
    other_chain.resources = vec!["did:trex:31628:1".into()];
    let text = other_chain.to_message().unwrap();
    let sig = sign(linked.clone(), text.clone()).await;
    let err = siwe_err(verify_login(&text, &sig, &expected, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::ChainMismatch { expected: 7777, actual: 31628 }), "{err}");

    let mut unbound = login(&linked);
    unbound.resources.clear();
    let text = unbound.to_message().unwrap();
    let sig = sign(linked, text.clone()).await;
    let err = siwe_err(verify_login(&text, &sig, &expected, &passports).await.unwrap_err());
    assert!(matches!(err, SiweError::NotBound(_)), "{err}");
}
