//! Where the identity contracts live on each T-Rex chain, so clients can be built from a chain id.

use alloy_primitives::{Address, address};

/// Chain id of the local devnet (`deploy/devnet.sh`).
pub const DEVNET_CHAIN_ID: u64 = 31628;
/// Chain id of the public testnet.
pub const TESTNET_CHAIN_ID: u64 = 1962;
/// Chain id of mainnet.
pub const MAINNET_CHAIN_ID: u64 = 1628;

/// The TRexPassport and TRexBadge proxies of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityAddresses {
    /// The TRexPassport proxy.
    pub passport: Address,
    /// The TRexBadge proxy.
    pub badge: Address,
}

/// Devnet and testnet share their genesis predeploys.
const DEVNET_AND_TESTNET: IdentityAddresses = IdentityAddresses {
    passport: address!("0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a"),
    badge: address!("0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867"),
};

const MAINNET: IdentityAddresses = IdentityAddresses {
    passport: address!("0xbbB216C52f5B9095391f463AdC438d65a8aC2242"),
    badge: address!("0x6F52cCCfAb0712Db45C31863B262e2683097bb5c"),
};

/// The identity predeploys of a known T-Rex chain; `None` for any other chain (a local anvil
/// with [`deploy_identity`](crate::deploy_identity), for instance).
pub const fn identity_addresses(chain_id: u64) -> Option<IdentityAddresses> {
    match chain_id {
        DEVNET_CHAIN_ID | TESTNET_CHAIN_ID => Some(DEVNET_AND_TESTNET),
        MAINNET_CHAIN_ID => Some(MAINNET),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_chains_and_unknown_ones() {
        assert_eq!(identity_addresses(DEVNET_CHAIN_ID), identity_addresses(TESTNET_CHAIN_ID));
        assert_eq!(
            identity_addresses(MAINNET_CHAIN_ID).unwrap().badge,
            address!("0x6F52cCCfAb0712Db45C31863B262e2683097bb5c")
        );
        assert_eq!(identity_addresses(7777), None);
    }
}
