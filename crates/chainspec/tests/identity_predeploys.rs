//! The identity predeploys in the built-in genesis files, as `deploy/tools/predeploys.mjs` writes
//! them from `contracts/script/IdentityGenesis.s.sol`: ERC1967 proxies whose implementation slot
//! points at the implementations, initialised on the devnet only, implementations with their
//! initialisers disabled. (The sequencer's integration tests call the devnet's over JSON-RPC.)

use alloy_genesis::GenesisAccount;
use alloy_primitives::{Address, B256, U256, keccak256};
use rstest::rstest;
use std::sync::Arc;
use trex_chainspec::{ChainSpec, ERC1967_IMPLEMENTATION_SLOT, IdentityPredeploys};

/// OpenZeppelin's ERC-7201 namespace of `Initializable`, computed with the ERC-7201 formula:
/// `keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff))`.
fn initializable_slot() -> B256 {
    let id = U256::from_be_bytes(keccak256("openzeppelin.storage.Initializable").0);
    let mut slot = keccak256((id - U256::from(1)).to_be_bytes::<32>());
    slot.0[31] = 0;
    slot
}

/// The `_initialized` version of an upgradeable contract's storage (0 when absent).
fn initialized_version(account: &GenesisAccount) -> U256 {
    let word = account
        .storage
        .as_ref()
        .and_then(|storage| storage.get(&initializable_slot()))
        .copied()
        .unwrap_or_default();
    // `_initialized` is the low 64 bits; `_initializing` (bit 64) is false at rest.
    U256::from_be_bytes(word.0)
}

fn account(spec: &ChainSpec, address: Address) -> &GenesisAccount {
    spec.genesis
        .alloc
        .get(&address)
        .unwrap_or_else(|| panic!("{}: no account {address}", spec.name))
}

#[test]
fn devnet_genesis_has_initialised_identity_proxies() {
    let spec = ChainSpec::devnet();
    let predeploys = IdentityPredeploys::DEVNET;
    let passport = account(&spec, predeploys.passport);
    let badge = account(&spec, predeploys.badge);
    for (proxy, implementation) in
        [(passport, predeploys.passport_implementation), (badge, predeploys.badge_implementation)]
    {
        assert!(proxy.code.as_ref().is_some_and(|code| !code.is_empty()), "proxy has code");
        assert_eq!(proxy.nonce, Some(1));
        let storage = proxy.storage.as_ref().expect("proxy storage");
        assert_eq!(storage[&ERC1967_IMPLEMENTATION_SLOT], implementation.into_word());
        assert_eq!(initialized_version(proxy), U256::from(1), "initialised once");
    }
    // Both proxies run the same ERC1967Proxy code; the implementations hold the logic.
    assert_eq!(passport.code, badge.code);
    // Badge storage slot 0 is `passport` (TRexBadge's first own variable).
    assert_eq!(
        badge.storage.as_ref().unwrap()[&B256::ZERO],
        predeploys.passport.into_word(),
        "the badge knows the passport"
    );
}

#[rstest]
#[case::devnet(ChainSpec::devnet())]
#[case::testnet(ChainSpec::testnet())]
#[case::mainnet(ChainSpec::mainnet())]
fn implementations_have_their_initialisers_disabled(#[case] spec: Arc<ChainSpec>) {
    let predeploys = IdentityPredeploys::for_chain_id(spec.chain_id()).unwrap();
    for implementation in [predeploys.passport_implementation, predeploys.badge_implementation] {
        let account = account(&spec, implementation);
        assert!(account.code.as_ref().is_some_and(|code| code.len() > 1_000));
        assert_eq!(initialized_version(account), U256::from(u64::MAX), "{implementation}");
    }
}

#[rstest]
#[case::testnet(ChainSpec::testnet())]
#[case::mainnet(ChainSpec::mainnet())]
fn testnet_and_mainnet_proxies_wait_for_init_identity(#[case] spec: Arc<ChainSpec>) {
    let predeploys = IdentityPredeploys::for_chain_id(spec.chain_id()).unwrap();
    for (proxy, implementation) in [
        (predeploys.passport, predeploys.passport_implementation),
        (predeploys.badge, predeploys.badge_implementation),
    ] {
        let proxy = account(&spec, proxy);
        let storage = proxy.storage.as_ref().expect("proxy storage");
        // Only the implementation slot: no admin, no roles, not initialised.
        assert_eq!(storage.len(), 1);
        assert_eq!(storage[&ERC1967_IMPLEMENTATION_SLOT], implementation.into_word());
        assert_eq!(initialized_version(proxy), U256::ZERO);
    }
}
