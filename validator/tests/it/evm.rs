//! The EVM checks (NFT, Token, Web3) against a throwaway anvil with the demo contracts: each check
//! is evaluated met and unmet, holding durations before and after they are long enough.

use std::sync::Arc;

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256, U256, address};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor, sol};
use serde_json::{Value, json};
use trex_validator::{
    ValidatorError,
    conditions::{Condition, Rule},
    evaluate::{
        Chains, CheckContext, Environment, Evidence, Outcome, Subject, UsedEvidence, evaluate,
    },
};
use trex_zktls::VerifierConfig;

use trex_test_support::{Anvil, DEV_KEYS, wallet_provider};

sol!(
    #[allow(missing_docs)]
    DemoNFT,
    "../crates/bindings/artifacts/DemoNFT.json"
);
sol!(
    #[allow(missing_docs)]
    DemoMultiToken,
    "../crates/bindings/artifacts/DemoMultiToken.json"
);
sol!(
    #[allow(missing_docs)]
    DemoToken,
    "../crates/bindings/artifacts/DemoToken.json"
);
sol!(
    #[allow(missing_docs)]
    InteractionTarget,
    "../crates/bindings/artifacts/InteractionTarget.json"
);

/// anvil's account 0: deploys and mints.
const DEPLOYER_KEY: &str = DEV_KEYS[0];
/// anvil's account 1: the passport owner.
const OWNER_KEY: &str = DEV_KEYS[1];
/// anvil's account 2: a wallet linked to the passport.
const LINKED_KEY: &str = DEV_KEYS[2];
/// Someone else.
const STRANGER: Address = address!("0x000000000000000000000000000000000000dEaD");

/// Nothing was used before.
struct NothingUsed;

#[async_trait::async_trait]
impl UsedEvidence for NothingUsed {
    async fn proof_used(&self, _: B256) -> Result<bool, ValidatorError> {
        Ok(false)
    }
    async fn event_code_redeemed(&self, _: B256) -> Result<bool, ValidatorError> {
        Ok(false)
    }
}

/// anvil, a provider signing as the deployer, owner and linked wallet, and the passport whose
/// wallets are the owner and the linked wallet.
struct Chain {
    _anvil: Anvil,
    provider: DynProvider,
    env: Environment,
    subject: Subject,
    deployer: Address,
    owner: Address,
    linked: Address,
}

impl Chain {
    async fn start() -> Self {
        let anvil = Anvil::start(&[]).await;
        let keys = [DEPLOYER_KEY, OWNER_KEY, LINKED_KEY];
        let provider = wallet_provider(&anvil.url, &keys).erased();
        let [deployer, owner, linked] =
            keys.map(|key| key.parse::<PrivateKeySigner>().unwrap().address());
        let reader = ProviderBuilder::new().connect_http(anvil.url.clone()).erased();

        let mut chains = Chains::default();
        chains.insert(Chains::TREX, reader);
        let env = Environment {
            chains,
            solana: None,
            zktls: VerifierConfig::new(1, 3600),
            passport: Address::ZERO,
            used: Arc::new(NothingUsed),
            // The metadata servers of these tests listen on 127.0.0.1.
            metadata_allow_private_hosts: true,
        };
        let subject = Subject {
            passport_id: U256::from(1),
            owner,
            wallets: vec![owner, linked],
            solana: Vec::new(),
        };
        Self { _anvil: anvil, provider, env, subject, deployer, owner, linked }
    }

    /// Evaluates one check, given as its JSON, for the passport.
    async fn check(&self, condition: Value) -> Result<Outcome, ValidatorError> {
        let condition: Condition = serde_json::from_value(condition).unwrap();
        let evidence = Evidence::default();
        let ctx =
            CheckContext { env: &self.env, subject: &self.subject, evidence: &evidence, now: 0 };
        evaluate(&Rule::Check(condition), ctx).await
    }

    /// Asserts that `condition` is met (or not) and that its reason contains `observed`.
    async fn expect(&self, condition: Value, met: bool, observed: &str) {
        let outcome = self.check(condition.clone()).await.unwrap();
        assert_eq!(outcome.met, met, "{condition}: {:?}", outcome.reasons);
        assert!(
            outcome.reasons.iter().any(|r| r.contains(observed)),
            "{condition}: {:?} lacks {observed:?}",
            outcome.reasons
        );
        assert!(outcome.consumed.is_empty());
    }

    async fn head(&self) -> u64 {
        self.provider.get_block_number().await.unwrap()
    }

    /// Mines `blocks` empty blocks.
    async fn mine(&self, blocks: u64) {
        let _: Value =
            self.provider.raw_request("anvil_mine".into(), (U256::from(blocks),)).await.unwrap();
    }

    async fn deploy(&self, bytecode: &[u8], constructor_args: Vec<u8>) -> Address {
        let code = [bytecode, &constructor_args].concat();
        let tx = TransactionRequest::default().from(self.deployer).with_deploy_code(code);
        let receipt = self.send_tx(tx).await;
        assert!(receipt.status());
        receipt.contract_address.unwrap()
    }

    /// Sends `call` to `to` from `from` and waits for it to be mined; reverts fail the test.
    async fn send(&self, from: Address, to: Address, call: impl SolCall) -> TransactionReceipt {
        let tx = TransactionRequest::default().from(from).to(to).input(call.abi_encode().into());
        let receipt = self.send_tx(tx).await;
        assert!(receipt.status(), "{} reverted", call_name(&call));
        receipt
    }

    async fn send_tx(&self, tx: TransactionRequest) -> TransactionReceipt {
        self.provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap()
    }
}

fn call_name<C: SolCall>(_: &C) -> &'static str {
    C::SIGNATURE
}

#[tokio::test(flavor = "multi_thread")]
async fn erc721_balance_metadata_holding_and_transfers() {
    let chain = Chain::start().await;
    let (owner, linked) = (chain.owner, chain.linked);
    let nft = chain.deploy(&DemoNFT::BYTECODE, Vec::new()).await;
    let minted_1 = chain.send(chain.deployer, nft, DemoNFT::mintCall { to: owner }).await;
    chain.send(chain.deployer, nft, DemoNFT::mintCall { to: linked }).await;
    let minted_1 = minted_1.block_number.unwrap();

    // Balances add up over the wallets; a token id narrows to that token.
    let balance = |min: u64, token: Option<u64>| {
        let mut check = json!({"type": "nft_balance", "contract": nft, "standard": "erc721",
                               "min": min.to_string()});
        if let Some(token) = token {
            check["tokenId"] = json!(token.to_string());
        }
        check
    };
    chain.expect(balance(2, None), true, "holds 2, needs ≥ 2").await;
    chain.expect(balance(3, None), false, "holds 2, needs ≥ 3").await;
    chain.expect(balance(1, Some(2)), true, "holds 1 of token 2").await;
    // Token 3 was never minted: `ownerOf` reverts, which reads as held by nobody.
    chain.expect(balance(1, Some(3)), false, "holds 0 of token 3").await;

    // Metadata: token 1 is a Bronze, token 2 a Silver (DemoNFT's on-chain base64 JSON).
    let metadata = |trait_type: &str, value: &str| {
        json!({"type": "nft_metadata", "contract": nft, "standard": "erc721",
               "traitType": trait_type, "value": value})
    };
    chain.expect(metadata("Tier", "Silver"), true, "token 2 has Tier = Silver").await;
    chain.expect(metadata("Edition", "1"), true, "token 1 has Edition = 1").await;
    chain
        .expect(metadata("Tier", "Gold"), false, "none of the 2 tokens held has Tier = Gold")
        .await;

    // Holding duration: token 1 was minted at `minted_1`; after 5 blocks it has been held 5.
    let holding = |min_blocks: u64, token: Option<u64>| {
        let mut check = json!({"type": "nft_holding_duration", "contract": nft,
                               "standard": "erc721", "minBlocks": min_blocks});
        if let Some(token) = token {
            check["tokenId"] = json!(token.to_string());
        }
        check
    };
    chain.mine(minted_1 + 4 - chain.head().await).await;
    chain.expect(holding(5, None), false, "held 4 blocks, needs ≥ 5 blocks").await;
    chain.mine(1).await;
    chain.expect(holding(5, None), true, "held ≥ 5 blocks, needs ≥ 5 blocks").await;
    chain.expect(holding(0, None), true, "needs ≥ 0 blocks").await;

    // Moving token 1 from the owner to the linked wallet restarts its holding; token 2 (held by
    // the linked wallet since the block after token 1's mint) still counts for "any token".
    let moved = chain
        .send(
            owner,
            nft,
            DemoNFT::transferFromCall { from: owner, to: linked, tokenId: U256::from(1) },
        )
        .await;
    chain.expect(holding(5, Some(1)), false, "held 0 blocks, needs ≥ 5 blocks").await;
    chain.expect(holding(5, None), true, "needs ≥ 5 blocks").await;
    chain.mine(5).await;
    chain.expect(holding(5, Some(1)), true, "needs ≥ 5 blocks").await;
    assert_eq!(chain.head().await, moved.block_number.unwrap() + 5);

    // Giving both tokens away leaves nothing held.
    for id in [1, 2] {
        chain
            .send(
                linked,
                nft,
                DemoNFT::transferFromCall { from: linked, to: STRANGER, tokenId: U256::from(id) },
            )
            .await;
    }
    chain.expect(holding(1, None), false, "holds none, needs ≥ 1 blocks").await;
    chain.expect(balance(1, None), false, "holds 0, needs ≥ 1").await;
    chain.expect(metadata("Tier", "Silver"), false, "holds no token").await;

    // Transfers: two mints in, one move between the wallets (counted once), two out.
    let transfers = |min: u64, max: Option<u64>| {
        let mut check = json!({"type": "nft_transfer_count", "contract": nft,
                               "standard": "erc721", "min": min});
        if let Some(max) = max {
            check["max"] = json!(max);
        }
        check
    };
    chain.expect(transfers(5, None), true, "5 transfers, needs ≥ 5").await;
    chain.expect(transfers(1, Some(4)), false, "5 transfers, needs between 1 and 4").await;
    chain.expect(transfers(6, None), false, "5 transfers, needs ≥ 6").await;
}

/// Serves ERC-1155 metadata at `/<64 hex digits>.json`: id 7 is "Common", id 8 "Rare"; other ids
/// are 404. Returns the `{id}` URI template.
async fn serve_erc1155_metadata() -> String {
    use axum::{extract::Path, http::StatusCode, routing::get};
    async fn document(Path(file): Path<String>) -> Result<axum::Json<Value>, StatusCode> {
        let id = file.strip_suffix(".json").ok_or(StatusCode::NOT_FOUND)?;
        let rarity = match U256::from_str_radix(id, 16).map_err(|_| StatusCode::NOT_FOUND)? {
            id if id == U256::from(7) && file.len() == 69 => "Common",
            id if id == U256::from(8) && file.len() == 69 => "Rare",
            _ => return Err(StatusCode::NOT_FOUND),
        };
        Ok(axum::Json(
            json!({"name": "Demo", "attributes": [{"trait_type": "Rarity", "value": rarity}]}),
        ))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route("/meta/{file}", get(document));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/meta/{{id}}.json")
}

#[tokio::test(flavor = "multi_thread")]
async fn erc1155_balance_metadata_holding_and_transfers() {
    let chain = Chain::start().await;
    let (owner, linked) = (chain.owner, chain.linked);
    let uri = serve_erc1155_metadata().await;
    let args = DemoMultiToken::constructorCall { uri_: uri }.abi_encode();
    let multi = chain.deploy(&DemoMultiToken::BYTECODE, args).await;
    let mint = |to, id: u64, amount: u64| DemoMultiToken::mintCall {
        to,
        id: U256::from(id),
        amount: U256::from(amount),
    };
    let minted = chain.send(chain.deployer, multi, mint(owner, 7, 5)).await.block_number.unwrap();
    chain.send(chain.deployer, multi, mint(linked, 7, 2)).await;
    chain.send(chain.deployer, multi, mint(linked, 8, 1)).await;

    let balance = |id: u64, min: u64| {
        json!({"type": "nft_balance", "contract": multi, "standard": "erc1155",
               "tokenId": id.to_string(), "min": min.to_string()})
    };
    chain.expect(balance(7, 7), true, "holds 7 of token 7, needs ≥ 7").await;
    chain.expect(balance(7, 8), false, "holds 7 of token 7, needs ≥ 8").await;
    chain.expect(balance(9, 1), false, "holds 0 of token 9").await;

    // Metadata over HTTP with `{id}` substituted.
    let metadata = |value: &str| {
        json!({"type": "nft_metadata", "contract": multi, "standard": "erc1155",
               "traitType": "Rarity", "value": value})
    };
    chain.expect(metadata("Rare"), true, "token 8 has Rarity = Rare").await;
    chain.expect(metadata("Common"), true, "token 7 has Rarity = Common").await;
    chain
        .expect(metadata("Legendary"), false, "none of the 2 tokens held has Rarity = Legendary")
        .await;

    // Holding some of id 7 for 4 blocks; the owner's balance counts from its mint.
    let holding = |min_blocks: u64| {
        json!({"type": "nft_holding_duration", "contract": multi, "standard": "erc1155",
               "tokenId": "7", "minBlocks": min_blocks})
    };
    chain.mine(minted + 3 - chain.head().await).await;
    chain.expect(holding(4), false, "held 3 blocks, needs ≥ 4 blocks").await;
    chain.mine(1).await;
    chain.expect(holding(4), true, "held ≥ 4 blocks").await;

    // Partly sending id 7 away keeps the holding; sending all of it away ends it, and the linked
    // wallet (minted one block later) becomes the longest holder.
    let send = |from, to, amount: u64| DemoMultiToken::safeTransferFromCall {
        from,
        to,
        id: U256::from(7),
        value: U256::from(amount),
        data: Default::default(),
    };
    chain.send(owner, multi, send(owner, STRANGER, 4)).await;
    chain.expect(holding(5), true, "held ≥ 5 blocks").await;
    chain.send(owner, multi, send(owner, STRANGER, 1)).await;
    chain.expect(holding(6), false, "held 5 blocks, needs ≥ 6 blocks").await;
    // All of it gone, and back: the holding restarts.
    chain.send(linked, multi, send(linked, owner, 2)).await;
    chain.expect(holding(1), false, "held 0 blocks, needs ≥ 1 blocks").await;
    chain.mine(1).await;
    chain.expect(holding(1), true, "held ≥ 1 blocks").await;

    // Transfers: 3 mints, 2 sent by the owner, 1 between the wallets (once).
    let transfers = json!({"type": "nft_transfer_count", "contract": multi, "standard": "erc1155",
                           "min": 6, "max": 6});
    chain.expect(transfers, true, "6 transfers, needs between 6 and 6").await;

    // Metadata nobody serves is an error, not "not met".
    let args = DemoMultiToken::constructorCall { uri_: "http://127.0.0.1:9/{id}.json".into() }
        .abi_encode();
    let dark = chain.deploy(&DemoMultiToken::BYTECODE, args).await;
    chain.send(chain.deployer, dark, mint(owner, 1, 1)).await;
    let err = chain
        .check(json!({"type": "nft_metadata", "contract": dark, "standard": "erc1155",
                      "traitType": "Rarity", "value": "Rare"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ValidatorError::Metadata(_)), "{err}");
    assert_eq!(err.code(), "metadata_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn native_erc20_tx_count_and_erc20_holding() {
    let chain = Chain::start().await;
    let (owner, linked) = (chain.owner, chain.linked);
    let ether = U256::from(10).pow(U256::from(18));

    // anvil funds each dev account with 10,000 ether; the passport has two.
    let native = |min: U256| json!({"type": "native_balance", "min": min.to_string()});
    chain.expect(native(ether * U256::from(19_000)), true, "needs ≥ 19000000000000000000000").await;
    chain
        .expect(native(ether * U256::from(20_001)), false, "needs ≥ 20001000000000000000000")
        .await;

    let token = chain.deploy(&DemoToken::BYTECODE, Vec::new()).await;
    let tx_count = |min: u64| json!({"type": "tx_count", "min": min});
    chain.expect(tx_count(0), true, "sent 0 transactions, needs ≥ 0").await;
    chain.expect(tx_count(1), false, "sent 0 transactions, needs ≥ 1").await;

    let minted = chain
        .send(owner, token, DemoToken::mintCall { to: owner, amount: U256::from(100) })
        .await
        .block_number
        .unwrap();
    chain.send(linked, token, DemoToken::mintCall { to: linked, amount: U256::from(30) }).await;
    chain.expect(tx_count(2), true, "sent 2 transactions, needs ≥ 2").await;

    let balance =
        |min: u64| json!({"type": "erc20_balance", "token": token, "min": min.to_string()});
    chain.expect(balance(130), true, "holds 130, needs ≥ 130").await;
    chain.expect(balance(131), false, "holds 130, needs ≥ 131").await;

    // The owner has held ≥ 100 since `minted`.
    let holding = |min: u64, min_blocks: u64| {
        json!({"type": "erc20_holding_duration", "token": token, "min": min.to_string(),
               "minBlocks": min_blocks})
    };
    chain.mine(minted + 5 - chain.head().await).await;
    chain.expect(holding(100, 6), false, "≥ 100 held 5 blocks, needs ≥ 100 held ≥ 6 blocks").await;
    chain.mine(1).await;
    chain.expect(holding(100, 6), true, "≥ 100 held ≥ 6 blocks").await;
    chain.expect(holding(101, 1), false, "no wallet holds ≥ 101").await;

    // A dip to 40 and back breaks a holding of ≥ 100 but not one of ≥ 40.
    let send = |to, amount: u64| DemoToken::transferCall { to, value: U256::from(amount) };
    chain.send(owner, token, send(STRANGER, 60)).await;
    chain.send(owner, token, DemoToken::mintCall { to: owner, amount: U256::from(60) }).await;
    chain.expect(holding(100, 6), false, "≥ 100 held 0 blocks").await;
    chain.expect(holding(40, 8), true, "≥ 40 held ≥ 8 blocks").await;
    chain.expect(holding(40, 9), false, "≥ 40 held 8 blocks").await;
    // The linked wallet's 30 count on their own (durations are per wallet, not summed).
    chain.expect(holding(30, 2), true, "≥ 30 held").await;

    // A holding longer than the validator can search is refused outright.
    let err = chain.check(holding(1, 10_000_000)).await.unwrap_err();
    assert!(matches!(err, ValidatorError::InvalidConditions(_)), "{err}");

    // A chain the validator is not configured with.
    let err =
        chain.check(json!({"type": "tx_count", "chain": "base", "min": 1})).await.unwrap_err();
    assert!(matches!(err, ValidatorError::UnknownChain(name) if name == "base"));
}

#[tokio::test(flavor = "multi_thread")]
async fn contract_transactions_and_events() {
    let chain = Chain::start().await;
    let (owner, linked) = (chain.owner, chain.linked);
    let target = chain.deploy(&InteractionTarget::BYTECODE, Vec::new()).await;
    let other = chain.deploy(&InteractionTarget::BYTECODE, Vec::new()).await;
    let start = chain.head().await + 1;

    let ping = |tag: u64| InteractionTarget::pingCall { tag: U256::from(tag) };
    chain.send(owner, target, ping(1)).await;
    chain.send(owner, target, ping(2)).await;
    chain.send(linked, target, ping(3)).await;
    chain.send(owner, other, ping(4)).await;
    // A uint256 tag equal to the owner's address puts the owner in topic 2 of someone else's ping.
    let tag = U256::from_be_slice(owner.as_slice());
    chain.send(chain.deployer, target, InteractionTarget::pingCall { tag }).await;
    // A failed interaction is mined but does not count (explicit gas skips the estimate).
    let failing = TransactionRequest::default()
        .from(owner)
        .to(target)
        .input(InteractionTarget::failCall {}.abi_encode().into())
        .with_gas_limit(100_000);
    assert!(!chain.send_tx(failing).await.status());
    let end = chain.head().await;
    chain.mine(3).await;

    let txs = |contracts: Vec<Address>, min: u64, from: u64, to: Option<u64>| {
        let mut check = json!({"type": "contract_transactions", "contracts": contracts,
                               "min": min, "fromBlock": from});
        if let Some(to) = to {
            check["toBlock"] = json!(to);
        }
        check
    };
    let range = format!("in blocks {start}..={}", end + 3);
    chain
        .expect(
            txs(vec![target], 3, start, None),
            true,
            &format!("3 successful transactions to the contracts {range}"),
        )
        .await;
    chain.expect(txs(vec![target], 4, start, None), false, "3 successful transactions").await;
    chain.expect(txs(vec![target, other], 4, start, None), true, "4 successful").await;
    // The range bounds what is counted.
    chain.expect(txs(vec![target], 1, start + 2, Some(start + 2)), true, "1 successful").await;
    chain.expect(txs(vec![target], 1, end + 1, None), false, "0 successful").await;

    let events = |topic_index: u8, min: u64| {
        json!({"type": "contract_events", "contract": target,
               "event": "Pinged(address, uint256, uint256)",
               "topicIndex": topic_index, "min": min, "fromBlock": start})
    };
    chain.expect(events(1, 3), true, "3 logs naming the wallets").await;
    chain.expect(events(1, 4), false, "3 logs naming the wallets").await;
    // The deployer's ping carried the owner's address as its tag (topic 2).
    chain.expect(events(2, 1), true, "1 logs naming the wallets").await;
    chain.expect(events(3, 1), false, "0 logs").await;
    let later = json!({"type": "contract_events", "contract": target,
                       "event": "Pinged(address,uint256,uint256)",
                       "topicIndex": 1, "min": 1, "fromBlock": end + 1});
    chain.expect(later, false, "0 logs").await;
}
