//! What a new user does first with Foundry against the node: `forge create` the OpenZeppelin
//! `DevToken` from `contracts/`, then `cast` to transfer, read balances, receipts, logs, blocks.

use std::time::Duration;

use alloy_primitives::{Address, U256, keccak256};
use serde_json::Value;

use crate::{
    harness::{DEVNET_CHAIN_ID, TestNode},
    rpc::{hex_u64, hex_u128},
    tools::{self, contracts_dir, forge_build, run},
    tx::{dev_key_hex, dev_signer},
};

const CLI_TIMEOUT: Duration = Duration::from_secs(120);
const SUPPLY: &str = "1000000000000000000000000"; // 1,000,000 tokens of 18 decimals
const AMOUNT: &str = "1234500000000000000000"; // 1,234.5 tokens

fn cast(node: &TestNode, args: &[&str]) -> String {
    let mut cmd = tools::tool("cast");
    cmd.args(args).args(["--rpc-url", &node.http_url()]);
    run(&mut cmd, CLI_TIMEOUT).stdout.trim().to_owned()
}

fn cast_json(node: &TestNode, args: &[&str]) -> Value {
    let out = cast(node, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cast {args:?}: not JSON ({e}): {out}"))
}

/// `cast call … (uint256)` prints `1234 [1.234e3]`: the exact decimal is the first word.
fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or_default()
}

fn topic_of(addr: Address) -> String {
    format!("0x{:0>64}", format!("{addr:x}").trim_start_matches("0x"))
}

fn lower(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_lowercase()
}

/// Wei charged to the sender for a receipt: execution gas plus, on an OP-stack chain, the L1 fee.
fn fee_paid(receipt: &Value) -> u128 {
    let l1 = receipt.get("l1Fee").filter(|v| !v.is_null()).map_or(0, hex_u128);
    hex_u128(&receipt["gasUsed"]) * hex_u128(&receipt["effectiveGasPrice"]) + l1
}

#[test]
fn forge_create_devtoken_then_cast_transfer_receipt_logs() {
    let node = TestNode::start();
    let key = dev_key_hex(3);
    let deployer = dev_signer(3).address();
    let deployer_s = deployer.to_string();
    let recipient = Address::from_slice(&keccak256("trex-it/cast-flow/recipient")[12..]);
    let recipient_s = recipient.to_string();
    let eth_before = node.rpc().balance(&deployer_s);

    // cast chain-id
    assert_eq!(cast(&node, &["chain-id"]), DEVNET_CHAIN_ID.to_string());

    // forge create (compiles the project first; serialised with other tests that build it)
    forge_build();
    let created: Value = {
        let _lock = tools::RepoLock::acquire("contracts");
        let mut cmd = tools::tool("forge");
        cmd.current_dir(contracts_dir())
            .args(["create", "src/examples/DevToken.sol:DevToken", "--broadcast", "--json"])
            .args(["--rpc-url", &node.http_url(), "--private-key", &key])
            .args(["--constructor-args", "Dev Token", "DEV", SUPPLY]);
        let out = run(&mut cmd, Duration::from_secs(600)).stdout;
        let json_line = out.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or(&out);
        serde_json::from_str(json_line)
            .or_else(|_| serde_json::from_str(&out))
            .unwrap_or_else(|e| panic!("forge create: no JSON result ({e}): {out}"))
    };
    assert_eq!(lower(&created["deployer"]), deployer_s.to_lowercase());
    let token = lower(&created["deployedTo"]);
    let deploy_tx = lower(&created["transactionHash"]);
    let deploy_receipt = cast_json(&node, &["receipt", &deploy_tx, "--json"]);
    assert_eq!(deploy_receipt["status"], "0x1", "deployment failed: {deploy_receipt}");
    assert_eq!(lower(&deploy_receipt["contractAddress"]), token);
    let code = cast(&node, &["code", &token]);
    assert!(code.len() > 2 + 100, "no code at {token}: {code}");
    assert_eq!(first_word(&cast(&node, &["call", &token, "totalSupply()(uint256)"])), SUPPLY);
    assert_eq!(cast(&node, &["call", &token, "symbol()(string)"]), "\"DEV\"");

    // cast send transfer
    let sent = cast_json(
        &node,
        &[
            "send",
            &token,
            "transfer(address,uint256)",
            &recipient_s,
            AMOUNT,
            "--private-key",
            &key,
            "--json",
        ],
    );
    assert_eq!(sent["status"], "0x1", "transfer failed: {sent}");
    let transfer_tx = lower(&sent["transactionHash"]);

    // cast call balanceOf: both sides
    let expected_deployer =
        U256::from_str_radix(SUPPLY, 10).unwrap() - U256::from_str_radix(AMOUNT, 10).unwrap();
    let bal = |who: &str| cast(&node, &["call", &token, "balanceOf(address)(uint256)", who]);
    assert_eq!(first_word(&bal(&deployer_s)), expected_deployer.to_string());
    assert_eq!(first_word(&bal(&recipient_s)), AMOUNT);

    // cast receipt: status 1 and exactly the Transfer log
    let receipt = cast_json(&node, &["receipt", &transfer_tx, "--json"]);
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(lower(&receipt["from"]), deployer_s.to_lowercase());
    assert_eq!(lower(&receipt["to"]), token);
    let transfer_topic = format!("{:#x}", keccak256("Transfer(address,address,uint256)"));
    let logs = receipt["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), 1, "one Transfer log expected: {receipt}");
    let log = &logs[0];
    assert_eq!(lower(&log["address"]), token);
    let topics: Vec<String> = log["topics"].as_array().unwrap().iter().map(lower).collect();
    assert_eq!(topics, [transfer_topic.clone(), topic_of(deployer), topic_of(recipient)]);
    assert_eq!(
        U256::from_str_radix(log["data"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        U256::from_str_radix(AMOUNT, 10).unwrap()
    );
    assert_eq!(log["transactionHash"], receipt["transactionHash"]);
    assert_eq!(log["blockHash"], receipt["blockHash"]);

    // cast logs: the mint (from 0x0) and the transfer, with the right topics, over the block range
    let from_block = hex_u64(&deploy_receipt["blockNumber"]).to_string();
    let to_block = hex_u64(&receipt["blockNumber"]).to_string();
    let found = cast_json(
        &node,
        &[
            "logs",
            "--from-block",
            &from_block,
            "--to-block",
            &to_block,
            "--address",
            &token,
            "Transfer(address indexed from,address indexed to,uint256 value)",
            "--json",
        ],
    );
    let found = found.as_array().expect("cast logs --json is an array");
    let summary: Vec<(String, Vec<String>)> = found
        .iter()
        .map(|l| {
            (
                lower(&l["transactionHash"]),
                l["topics"].as_array().unwrap().iter().map(lower).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (deploy_tx, vec![transfer_topic.clone(), topic_of(Address::ZERO), topic_of(deployer)]),
            (transfer_tx.clone(), vec![transfer_topic, topic_of(deployer), topic_of(recipient)]),
        ],
        "cast logs"
    );
    // Filtering on the indexed `to` argument finds only the transfer.
    let to_recipient = cast_json(
        &node,
        &[
            "logs",
            "--from-block",
            &from_block,
            "--to-block",
            "latest",
            "--address",
            &token,
            "Transfer(address indexed from,address indexed to,uint256 value)",
            "",
            &recipient_s,
            "--json",
        ],
    );
    assert_eq!(
        to_recipient.as_array().map(Vec::len),
        Some(1),
        "logs to the recipient: {to_recipient}"
    );

    // cast balance: the deployer paid exactly the fees of its two transactions
    let eth_after: u128 = cast(&node, &["balance", &deployer_s]).parse().expect("wei");
    assert_eq!(eth_after, eth_before - fee_paid(&deploy_receipt) - fee_paid(&receipt));
    assert_eq!(cast(&node, &["balance", &recipient_s]), "0");

    // cast nonce
    assert_eq!(cast(&node, &["nonce", &deployer_s]), "2");

    // cast block: the receipt's block holds the transfer; latest is at or after it
    let block = cast_json(&node, &["block", &to_block, "--json"]);
    assert_eq!(block["hash"], receipt["blockHash"]);
    let txs: Vec<String> = block["transactions"].as_array().unwrap().iter().map(lower).collect();
    assert!(txs.contains(&transfer_tx), "block {to_block} does not list {transfer_tx}: {txs:?}");
    let latest = cast_json(&node, &["block", "latest", "--json"]);
    assert!(hex_u64(&latest["number"]) >= hex_u64(&receipt["blockNumber"]));
    let parent =
        cast_json(&node, &["block", &(hex_u64(&latest["number"]) - 1).to_string(), "--json"]);
    assert_eq!(latest["parentHash"], parent["hash"], "latest block does not extend its parent");
    assert!(hex_u64(&latest["timestamp"]) >= hex_u64(&block["timestamp"]));
}
