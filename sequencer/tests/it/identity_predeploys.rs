//! The identity contracts predeployed in the devnet genesis work on a running node: reads over
//! `eth_call` see the state the genesis initialised (roles, badge wiring, no passports yet), and
//! a user's `createPassport()` transaction succeeds at the predeploy address.

use std::time::Duration;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall, SolEvent, sol};
use serde_json::json;
use trex_chainspec::{ERC1967_IMPLEMENTATION_SLOT, IdentityPredeploys};

use crate::{
    harness::{DEVNET_CHAIN_ID, TestNode},
    rpc::{Rpc, hex_u64},
    tx::{Fees, dev_signer, send_raw, sign},
};

sol! {
    /// The parts of TRexPassport this test calls.
    interface TRexPassport {
        event PassportCreated(uint256 indexed passportId, address indexed owner);
        function passportCount() external view returns (uint256);
        function VALIDATOR_ROLE() external view returns (bytes32);
        function TASK_ISSUER_ROLE() external view returns (bytes32);
        function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function badgeContract() external view returns (address);
        function createPassport() external returns (uint256 passportId);
        function passportOf(address owner) external view returns (uint256);
        function ownerOf(uint256 passportId) external view returns (address);
        function did(uint256 passportId) external view returns (string memory);
    }

    /// The parts of TRexBadge this test calls.
    interface TRexBadge {
        function passport() external view returns (address);
    }
}

/// anvil's account 0: the devnet's identity admin and task issuer.
const ACCOUNT_0: u32 = 0;
/// anvil's account 9: the devnet validator signer.
const ACCOUNT_9: u32 = 9;

/// `eth_call` of `call` on `to` at the head, decoded.
fn call<C: SolCall>(rpc: &Rpc, to: Address, call: &C) -> C::Return {
    let data = Bytes::from(call.abi_encode());
    let out = rpc.ok("eth_call", json!([{ "to": to, "data": data }, "latest"]));
    let out: Bytes = serde_json::from_value(out).expect("eth_call returns hex bytes");
    C::abi_decode_returns(&out).unwrap_or_else(|e| panic!("decode {}: {e}", C::SIGNATURE))
}

#[test]
fn devnet_identity_predeploys_answer_and_create_a_passport() {
    let node = TestNode::start();
    let rpc = node.rpc();
    let identity = IdentityPredeploys::DEVNET;
    let passport = identity.passport;

    for (proxy, implementation) in [
        (identity.passport, identity.passport_implementation),
        (identity.badge, identity.badge_implementation),
    ] {
        let code: Bytes =
            serde_json::from_value(rpc.ok("eth_getCode", json!([proxy, "latest"]))).unwrap();
        assert!(!code.is_empty(), "code at {proxy}");
        let slot: B256 = serde_json::from_value(
            rpc.ok("eth_getStorageAt", json!([proxy, ERC1967_IMPLEMENTATION_SLOT, "latest"])),
        )
        .unwrap();
        assert_eq!(slot, implementation.into_word(), "{proxy} points at {implementation}");
    }

    // The state the devnet genesis initialised.
    let admin = dev_signer(ACCOUNT_0).address();
    let validator = dev_signer(ACCOUNT_9).address();
    assert_eq!(call(&rpc, passport, &TRexPassport::passportCountCall {}), U256::ZERO);
    let validator_role = call(&rpc, passport, &TRexPassport::VALIDATOR_ROLECall {});
    let task_issuer_role = call(&rpc, passport, &TRexPassport::TASK_ISSUER_ROLECall {});
    let admin_role = call(&rpc, passport, &TRexPassport::DEFAULT_ADMIN_ROLECall {});
    let has_role = |role: B256, account: Address| {
        call(&rpc, passport, &TRexPassport::hasRoleCall { role, account })
    };
    assert!(has_role(validator_role, validator), "account 9 validates");
    assert!(has_role(task_issuer_role, admin), "account 0 issues tasks");
    assert!(has_role(admin_role, admin), "account 0 administers");
    assert!(!has_role(validator_role, admin));
    assert_eq!(call(&rpc, passport, &TRexPassport::badgeContractCall {}), identity.badge);
    assert_eq!(call(&rpc, identity.badge, &TRexBadge::passportCall {}), passport);

    // A user creates a passport at the predeploy address.
    let user = dev_signer(4);
    let fees = Fees::from_node(&rpc);
    let tx = TxEip1559 {
        chain_id: DEVNET_CHAIN_ID,
        nonce: rpc.nonce(&user.address().to_string(), "pending"),
        gas_limit: 300_000,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(passport),
        input: TRexPassport::createPassportCall {}.abi_encode().into(),
        ..Default::default()
    };
    let (raw, hash) = sign(&user, tx);
    let sent = send_raw(&rpc, &raw).expect("createPassport accepted");
    assert_eq!(sent, hash.to_string());
    let receipt = rpc.wait_receipt(&sent, Duration::from_secs(30));
    assert_eq!(receipt["status"], "0x1", "createPassport succeeded: {receipt}");
    assert!(hex_u64(&receipt["gasUsed"]) > 21_000);
    let log = &receipt["logs"][0];
    assert_eq!(serde_json::from_value::<Address>(log["address"].clone()).unwrap(), passport);
    let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).unwrap();
    assert_eq!(topics[0], TRexPassport::PassportCreated::SIGNATURE_HASH);
    assert_eq!(topics[1], B256::from(U256::from(1)));
    assert_eq!(topics[2], user.address().into_word());

    assert_eq!(call(&rpc, passport, &TRexPassport::passportCountCall {}), U256::from(1));
    let owner = user.address();
    assert_eq!(call(&rpc, passport, &TRexPassport::passportOfCall { owner }), U256::from(1));
    let passport_id = U256::from(1);
    assert_eq!(call(&rpc, passport, &TRexPassport::ownerOfCall { passportId: passport_id }), owner);
    assert_eq!(
        call(&rpc, passport, &TRexPassport::didCall { passportId: passport_id }),
        format!("did:trex:{DEVNET_CHAIN_ID}:1")
    );
}
