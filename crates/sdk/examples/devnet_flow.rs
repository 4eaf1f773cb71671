//! The identity acceptance flow against a running devnet (`deploy/devnet.sh` with
//! `trex-validator`): a passport for a fresh key, a linked EVM wallet and Solana key, a DemoNFT
//! held for 3 blocks turned into an NFT badge, a Twitch-followers zkTLS badge from a proof signed
//! by the devnet's test witness, a DID login, and every rejection the acceptance lists with the
//! reason the caller sees. Exits non-zero on any unexpected result.
//!
//! ```sh
//! cargo run -p trex-sdk --example devnet_flow
//! ```
//!
//! Reads `.devnet/devnet.json` (or `TREX_DEVNET_INFO`); `TREX_RPC`, `TREX_VALIDATOR_URL` and
//! `TREX_FUNDER_KEY` override what it holds.

#[path = "../tests/it/reclaim.rs"]
mod reclaim;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::{Provider, ProviderBuilder, WalletProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::Signer;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use eyre::{WrapErr, bail, eyre};
use serde_json::{Value, json};
use trex_sdk::{
    BadgeClient, Error, Evidence, LoginExpectations, PassportClient, SiweMessage, TRexBadge,
    ValidatorClient, ed25519_dalek::SigningKey, generate_nonce, identity_addresses,
    sign_link_wallet, solana_address, time::OffsetDateTime, verify_login,
};

sol! {
    /// The DemoNFT the devnet ships for this flow: anyone may mint.
    function mint(address to);
}

/// The devnet's test zkTLS witness (anvil account 8), trusted for Reclaim epoch 1 by the devnet
/// validator only. A public test key: never a real Reclaim witness.
const TEST_WITNESS_KEY: &str = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
/// Blocks the NFT must be held.
const HOLD_BLOCKS: u64 = 3;

struct Config {
    rpc: String,
    validator: String,
    funder: PrivateKeySigner,
}

fn config() -> eyre::Result<Config> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let path =
        std::env::var("TREX_DEVNET_INFO").unwrap_or_else(|_| format!("{root}/.devnet/devnet.json"));
    let info: Value = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).wrap_err_with(|| format!("parse {path}"))?,
        Err(_) => Value::Null,
    };
    let env_or = |var: &str, value: Option<&str>| {
        std::env::var(var)
            .ok()
            .or_else(|| value.map(str::to_owned))
            .ok_or_else(|| eyre!("set {var} or start the devnet ({path} is missing it)"))
    };
    let rpc = env_or("TREX_RPC", info["l2"]["http"].as_str())?;
    let validator_url = info["validatorUrl"].as_str().or_else(|| info["validator"]["url"].as_str());
    let validator = env_or("TREX_VALIDATOR_URL", validator_url)?;
    let funder = env_or("TREX_FUNDER_KEY", info["accounts"][0]["privateKey"].as_str())?;
    Ok(Config { rpc, validator, funder: funder.parse()? })
}

fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Checks that `result` failed with `expected` (a contract error name or a validator code) and
/// prints the reason the caller sees.
fn expect_rejected<T>(what: &str, result: Result<T, Error>, expected: &str) -> eyre::Result<()> {
    match result {
        Ok(_) => bail!("{what}: accepted, expected a rejection with {expected}"),
        Err(err) if err.reason().as_deref() == Some(expected) => {
            println!("  rejected as expected — {what}: {err}");
            Ok(())
        }
        Err(err) => bail!("{what}: rejected with `{err}`, expected {expected}"),
    }
}

async fn wait_blocks(provider: &impl Provider, from: u64, blocks: u64) -> eyre::Result<()> {
    for _ in 0..600 {
        if provider.get_block_number().await? >= from + blocks {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("the chain did not advance {blocks} blocks past {from}")
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let config = config()?;
    let url = config.rpc.parse()?;
    let funder =
        ProviderBuilder::new().wallet(EthereumWallet::from(config.funder)).connect_http(url);
    let chain_id = funder.get_chain_id().await?;
    let addresses =
        identity_addresses(chain_id).ok_or_else(|| eyre!("chain {chain_id} has no predeploys"))?;
    let validator = ValidatorClient::new(&config.validator)?;
    let info = validator.info().await.wrap_err("validator /v1/info")?;
    println!("chain {chain_id}, validator {} at {}", info.validator, config.validator);

    // A fresh, funded key owns the passport.
    let owner = PrivateKeySigner::random();
    let fund = |to: Address| {
        let tx = TransactionRequest::default().with_to(to).with_value(U256::from(10u128.pow(18)));
        let funder = funder.clone();
        async move { funder.send_transaction(tx).await?.get_receipt().await }
    };
    fund(owner.address()).await?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(owner.clone()))
        .connect_http(config.rpc.parse()?);
    let passports = PassportClient::new(addresses.passport, provider.clone());
    let badges = BadgeClient::new(addresses.badge, provider.clone());

    let id = passports.create_passport().await?;
    println!("passport {id}: {}", passports.did(id).await?);

    let second = PrivateKeySigner::random();
    let deadline = U256::from(now_s() + 3600);
    passports.link_wallet(id, &second, deadline).await?;
    println!("linked EVM wallet {}", second.address());

    let solana = SigningKey::from_bytes(&B256::random().0);
    passports.link_solana(&validator, id, &solana).await?;
    println!("linked Solana key {}", solana_address(&solana.verifying_key().to_bytes()));

    // DID login, as a dApp server would check it.
    let nonce = generate_nonce();
    let now = OffsetDateTime::now_utc();
    let message = SiweMessage::new(
        "dapp.example",
        second.address(),
        "https://dapp.example/",
        chain_id,
        nonce.clone(),
        now,
    )
    .bind_passport(id)
    .to_message()?;
    let signature = Bytes::from(second.sign_message(message.as_bytes()).await?.as_bytes());
    let expected = LoginExpectations { domain: "dapp.example".into(), nonce, now };
    let login = verify_login(&message, &signature, &expected, &passports).await?;
    println!("DID login of {} verified for {}", login.address, login.did);

    // An ERC-721 held for HOLD_BLOCKS blocks.
    let artifact = concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/artifacts/DemoNFT.json");
    let artifact: Value = serde_json::from_str(
        &std::fs::read_to_string(artifact)
            .wrap_err("read crates/bindings/artifacts/DemoNFT.json")?,
    )?;
    let code: Bytes = artifact["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| eyre!("DemoNFT.json has no bytecode"))?
        .parse()?;
    let receipt = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await?
        .get_receipt()
        .await?;
    let nft = receipt.contract_address.ok_or_else(|| eyre!("DemoNFT was not deployed"))?;
    let mint_tx = TransactionRequest::default()
        .with_to(nft)
        .with_input(mintCall { to: owner.address() }.abi_encode());
    let minted = provider.send_transaction(mint_tx).await?.get_receipt().await?;
    if !minted.status() {
        bail!("DemoNFT mint reverted");
    }
    let minted_at = minted.block_number.ok_or_else(|| eyre!("mint receipt has no block"))?;
    println!(
        "DemoNFT {nft}: minted to the owner in block {minted_at}, waiting {HOLD_BLOCKS} blocks"
    );
    wait_blocks(&provider, minted_at, HOLD_BLOCKS + 1).await?;

    let nft_hex = format!("{nft:#x}");
    let nft_conditions = json!({"version": 1, "kind": "NFT", "rule": {"type": "all", "rules": [
        {"type": "nft_balance", "contract": nft_hex, "standard": "erc721", "min": "1"},
        {"type": "nft_holding_duration", "contract": nft_hex, "standard": "erc721",
         "minBlocks": HOLD_BLOCKS}]}});
    let holders = keccak256("holders");
    let params = |points: u128, category: B256, uri: &str| TRexBadge::ClassParams {
        uri: uri.into(),
        points,
        pointsCategory: category,
        validatorKind: B256::ZERO,
        paramsHash: B256::ZERO,
        supplyCap: 0,
        startTime: 0,
        endTime: 0,
        expiry: 0,
    };
    let (nft_class, hash) = badges
        .create_class_with_conditions(
            &validator,
            params(100, holders, "ipfs://demo-nft-holder"),
            &nft_conditions,
        )
        .await?;
    println!("NFT class {nft_class} (paramsHash {} agreed by SDK and validator)", hash.params_hash);
    let (nft_attestation, _) =
        badges.request_and_mint(&validator, nft_class, id, &Evidence::default()).await?;
    println!("  validator: {}", nft_attestation.reasons.join("; "));
    println!("  NFT badge minted: {} holder points", passports.points(id, holders).await?);

    // A zkTLS badge: more than 10,000 Twitch followers, proven for the passport's owner.
    let zktls_conditions = json!({"version": 1, "kind": "ZKTLS",
        "rule": {"type": "followers", "platform": "twitch", "min": 10001}});
    let creators = keccak256("creators");
    let (zk_class, _) = badges
        .create_class_with_conditions(
            &validator,
            params(500, creators, "ipfs://twitch-10k"),
            &zktls_conditions,
        )
        .await?;
    let witness: PrivateKeySigner = TEST_WITNESS_KEY.parse()?;
    let session = format!("{:x}", B256::random());
    let claim = reclaim::twitch_followers(owner.address(), "12,345", &session);
    let proof = reclaim::signed_proof(&witness, &claim, owner.address(), now_s(), 1);
    let evidence = Evidence { zktls_proofs: vec![proof.clone()], ..Evidence::default() };
    let (zk_attestation, _) = badges.request_and_mint(&validator, zk_class, id, &evidence).await?;
    println!("ZKTLS class {zk_class}: badge minted ({})", zk_attestation.reasons.join("; "));

    let view = passports.passport(id).await?;
    for p in &view.points {
        println!("  points {}: badge {} + task {}", p.category, p.badge, p.task);
    }
    println!(
        "passport {}: owner {}, wallets {:?}, {} Solana key(s), {} badge(s), {} points in total",
        view.did,
        view.owner,
        view.wallets,
        view.solana.len(),
        view.badges.len(),
        view.total_points()
    );
    if view.total_points() != U256::from(600) || view.badges.len() != 2 {
        bail!("expected 2 badges and 600 points");
    }

    // The proof rejections go to a second class with the same conditions: for the first one the
    // validator refuses before it looks at proofs, because the passport already holds its badge.
    let (retry_class, _) = badges
        .create_class_with_conditions(
            &validator,
            params(500, creators, "ipfs://twitch-10k-again"),
            &zktls_conditions,
        )
        .await?;
    println!("rejections (proofs against class {retry_class}):");
    expect_rejected(
        "replayed zkTLS proof",
        validator.validate(retry_class, id, &evidence).await,
        "proof_replayed",
    )?;
    let session = format!("{:x}", B256::random());
    let claim = reclaim::twitch_followers(owner.address(), "12,345", &session);
    let rogue =
        reclaim::signed_proof(&PrivateKeySigner::random(), &claim, owner.address(), now_s(), 1);
    let rogue = Evidence { zktls_proofs: vec![rogue], ..Evidence::default() };
    expect_rejected(
        "proof by a wrong witness",
        validator.validate(retry_class, id, &rogue).await,
        "invalid_proof",
    )?;
    let mut altered = reclaim::signed_proof(&witness, &claim, owner.address(), now_s(), 1);
    let context =
        altered["claimData"]["context"].as_str().unwrap_or_default().replace("12,345", "99,999");
    altered["claimData"]["context"] = Value::String(context);
    let altered = Evidence { zktls_proofs: vec![altered], ..Evidence::default() };
    expect_rejected(
        "proof with altered parameters",
        validator.validate(retry_class, id, &altered).await,
        "invalid_proof",
    )?;
    expect_rejected(
        "reused attestation",
        badges.mint_signed(&zk_attestation).await,
        "AttestationAlreadyUsed",
    )?;
    let transfer = TRexBadge::safeTransferFromCall {
        from: owner.address(),
        to: second.address(),
        id: nft_class,
        value: U256::from(1),
        data: Bytes::new(),
    };
    expect_rejected("badge transfer", badges.send_call(transfer).await, "BadgeLocked")?;
    expect_rejected(
        "second passport for one owner",
        passports.create_passport().await,
        "AlreadyHasPassport",
    )?;
    let forged = sign_link_wallet(
        &PrivateKeySigner::random(),
        &passports.domain().await?,
        id,
        U256::ZERO,
        deadline,
    )
    .await?;
    let third = PrivateKeySigner::random();
    expect_rejected(
        "forged wallet-link signature",
        passports.link_wallet_with_signature(id, third.address(), deadline, forged).await,
        "InvalidWalletSignature",
    )?;
    let other = PrivateKeySigner::random();
    fund(other.address()).await?;
    let other_provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(other))
        .connect_http(config.rpc.parse()?);
    let other_passports = PassportClient::new(addresses.passport, other_provider.clone());
    let other_id = other_passports.create_passport().await?;
    expect_rejected(
        "wallet linked to a second passport",
        other_passports.link_wallet(other_id, &second, deadline).await,
        "WalletAlreadyLinked",
    )?;
    println!(
        "all checks passed (owner {}, other passport {other_id} by {})",
        provider.default_signer_address(),
        other_provider.default_signer_address()
    );
    Ok(())
}
