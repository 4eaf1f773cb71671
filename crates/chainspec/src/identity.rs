use crate::{DEVNET_CHAIN_ID, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID};
use alloy_primitives::{Address, B256, address, b256};

/// The ERC-1967 storage slot holding a proxy's implementation address,
/// `keccak256("eip1967.proxy.implementation") - 1`.
pub const ERC1967_IMPLEMENTATION_SLOT: B256 =
    b256!("0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

/// Where a T-Rex genesis predeploys the identity contracts: `TRexPassport` and `TRexBadge`, each
/// an ERC1967 (UUPS) proxy in front of an implementation.
///
/// The devnet's proxies are initialised in its genesis; testnet and mainnet proxies are not, until
/// the operator runs `InitIdentity` (docs/identity-contracts.md). The genesis state itself is
/// written by `deploy/tools/predeploys.mjs`, which carries the same addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityPredeploys {
    /// The `TRexPassport` proxy: the address users, SDKs and the validator call.
    pub passport: Address,
    /// The `TRexBadge` proxy.
    pub badge: Address,
    /// The `TRexPassport` implementation the passport proxy points at in the genesis (an upgrade
    /// moves the proxy elsewhere).
    pub passport_implementation: Address,
    /// The `TRexBadge` implementation the badge proxy points at in the genesis.
    pub badge_implementation: Address,
}

impl IdentityPredeploys {
    /// The implementations' OP-style addresses, the same on every network.
    const PASSPORT_IMPLEMENTATION: Address = address!("0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d31d01");
    const BADGE_IMPLEMENTATION: Address = address!("0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d31d02");

    /// T-Rex mainnet's identity predeploys.
    pub const MAINNET: Self = Self {
        passport: address!("0xbbB216C52f5B9095391f463AdC438d65a8aC2242"),
        badge: address!("0x6F52cCCfAb0712Db45C31863B262e2683097bb5c"),
        passport_implementation: Self::PASSPORT_IMPLEMENTATION,
        badge_implementation: Self::BADGE_IMPLEMENTATION,
    };

    /// T-Rex testnet's identity predeploys.
    pub const TESTNET: Self = Self {
        passport: address!("0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a"),
        badge: address!("0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867"),
        passport_implementation: Self::PASSPORT_IMPLEMENTATION,
        badge_implementation: Self::BADGE_IMPLEMENTATION,
    };

    /// The devnet's identity predeploys: the testnet's addresses, so apps and SDK configuration
    /// move between the two unchanged.
    pub const DEVNET: Self = Self::TESTNET;

    /// The identity predeploys of the built-in chain with id `chain_id`; `None` for any other
    /// chain (a custom genesis may hold them, but nothing here says where).
    pub const fn for_chain_id(chain_id: u64) -> Option<Self> {
        match chain_id {
            MAINNET_CHAIN_ID => Some(Self::MAINNET),
            TESTNET_CHAIN_ID => Some(Self::TESTNET),
            DEVNET_CHAIN_ID => Some(Self::DEVNET),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChainSpec;
    use alloy_primitives::{U256, keccak256};
    use rstest::rstest;

    #[test]
    fn implementation_slot_is_the_eip1967_one() {
        let hash = U256::from_be_bytes(keccak256("eip1967.proxy.implementation").0);
        assert_eq!(B256::from(hash - U256::from(1)), ERC1967_IMPLEMENTATION_SLOT);
    }

    #[rstest]
    #[case::mainnet(ChainSpec::mainnet(), IdentityPredeploys::MAINNET)]
    #[case::testnet(ChainSpec::testnet(), IdentityPredeploys::TESTNET)]
    #[case::devnet(ChainSpec::devnet(), IdentityPredeploys::DEVNET)]
    fn every_builtin_genesis_holds_its_proxies(
        #[case] spec: std::sync::Arc<ChainSpec>,
        #[case] expected: IdentityPredeploys,
    ) {
        let predeploys = IdentityPredeploys::for_chain_id(spec.chain_id()).unwrap();
        assert_eq!(predeploys, expected);
        let alloc = &spec.genesis.alloc;
        for (proxy, implementation) in [
            (predeploys.passport, predeploys.passport_implementation),
            (predeploys.badge, predeploys.badge_implementation),
        ] {
            let slot = alloc[&proxy].storage.as_ref().unwrap()[&ERC1967_IMPLEMENTATION_SLOT];
            assert_eq!(slot, implementation.into_word(), "{proxy} points at {implementation}");
            assert!(alloc[&implementation].code.as_ref().is_some_and(|code| !code.is_empty()));
        }
    }

    #[test]
    fn other_chains_have_none() {
        assert_eq!(IdentityPredeploys::for_chain_id(1), None);
        assert_eq!(IdentityPredeploys::for_chain_id(31337), None);
    }
}
