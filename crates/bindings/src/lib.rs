#![doc = include_str!("../README.md")]

use alloy_sol_types::sol;

sol!(
    /// OpenZeppelin 5 ERC-20 for development networks (`contracts/src/examples/DevToken.sol`):
    /// the constructor `(string name_, string symbol_, uint256 initialSupply)` mints the whole
    /// supply to the deployer. Used by the integration tests and the load generator.
    #[derive(Debug, PartialEq, Eq)]
    DevToken,
    "artifacts/DevToken.json"
);

#[cfg(test)]
mod tests {
    use super::DevToken;
    use alloy_primitives::{Address, B256, U256, address, b256, bytes, hex};
    use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};

    const ALICE: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const BOB: Address = address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

    #[test]
    fn transfer_call_encodes_with_erc20_selector() {
        let call = DevToken::transferCall { to: ALICE, value: U256::from(1_000u64) };
        let encoded = call.abi_encode();

        assert_eq!(DevToken::transferCall::SELECTOR, hex!("a9059cbb"));
        let expected = bytes!(
            "a9059cbb"
            "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            "00000000000000000000000000000000000000000000000000000000000003e8"
        );
        assert_eq!(encoded, expected);
        assert_eq!(DevToken::transferCall::abi_decode(&encoded).unwrap(), call);
        assert_eq!(
            DevToken::DevTokenCalls::abi_decode(&encoded).unwrap(),
            DevToken::DevTokenCalls::transfer(call)
        );
    }

    #[test]
    fn transfer_event_decodes_from_raw_log() {
        let topic0 = b256!("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
        assert_eq!(DevToken::Transfer::SIGNATURE_HASH, topic0);

        let topics = [topic0, ALICE.into_word(), BOB.into_word()];
        let data = U256::from(42u64).to_be_bytes::<32>();
        let event = DevToken::Transfer::decode_raw_log(topics, &data).unwrap();
        assert_eq!(event.from, ALICE);
        assert_eq!(event.to, BOB);
        assert_eq!(event.value, U256::from(42u64));

        let approval_topic = DevToken::Approval::SIGNATURE_HASH;
        assert!(
            DevToken::Transfer::decode_raw_log([approval_topic, B256::ZERO, B256::ZERO], &data)
                .is_err(),
            "a log with another event's topic 0 must not decode as Transfer"
        );
    }

    #[test]
    fn insufficient_balance_revert_decodes() {
        // What `transfer` reverts with when ALICE (balance 0) sends 1 token.
        let revert_data = DevToken::ERC20InsufficientBalance {
            sender: ALICE,
            balance: U256::ZERO,
            needed: U256::from(1u64),
        }
        .abi_encode();
        assert_eq!(revert_data[..4], hex!("e450d38c"));

        match DevToken::DevTokenErrors::abi_decode(&revert_data).unwrap() {
            DevToken::DevTokenErrors::ERC20InsufficientBalance(err) => {
                assert_eq!(
                    (err.sender, err.balance, err.needed),
                    (ALICE, U256::ZERO, U256::from(1u64))
                );
            }
            other => panic!("decoded the wrong error: {other:?}"),
        }
    }

    #[test]
    fn bytecode_is_present_and_consistent() {
        assert!(!DevToken::BYTECODE.is_empty());
        assert!(!DevToken::DEPLOYED_BYTECODE.is_empty());
        // solc output starts with the free-memory-pointer setup PUSH1 0x80 PUSH1 0x40 MSTORE.
        assert_eq!(DevToken::BYTECODE[..5], hex!("6080604052"));
        // The creation code returns the runtime code, which it embeds verbatim (no immutables).
        assert!(
            DevToken::BYTECODE
                .windows(DevToken::DEPLOYED_BYTECODE.len())
                .any(|w| w == &DevToken::DEPLOYED_BYTECODE[..]),
            "runtime code is not embedded in the creation code: artifacts out of step"
        );
    }

    #[test]
    fn bytecode_matches_committed_artifact() {
        let artifact: serde_json::Value =
            serde_json::from_str(include_str!("../artifacts/DevToken.json")).unwrap();
        let object = |key: &str| hex::decode(artifact[key]["object"].as_str().unwrap()).unwrap();
        assert_eq!(DevToken::BYTECODE[..], object("bytecode")[..]);
        assert_eq!(DevToken::DEPLOYED_BYTECODE[..], object("deployedBytecode")[..]);
    }
}
