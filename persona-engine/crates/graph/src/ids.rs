//! The identifiers the graph uses for passports and wallets.

use alloy_primitives::{Address, B256, U256, keccak256};

/// CAIP-2 reference of Solana mainnet-beta (the first 32 characters of its genesis hash in
/// base58). A passport links an ed25519 key, which is the same account on every cluster, so the
/// graph names it on mainnet.
pub const SOLANA_MAINNET: &str = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";

/// Web2 platforms whose `keccak256(name)` the graph recognises, to label linked accounts.
const WEB2_PLATFORMS: &[&str] = &[
    "twitch",
    "x",
    "twitter",
    "youtube",
    "steam",
    "github",
    "discord",
    "telegram",
    "instagram",
    "tiktok",
    "reddit",
    "google",
    "spotify",
];

/// The passport's DID, as `TRexPassport.did()` returns it: `did:trex:<chainId>:<passportId>`.
pub fn passport_did(chain_id: u64, passport_id: u64) -> String {
    format!("did:trex:{chain_id}:{passport_id}")
}

/// The CAIP-10 id of an EVM account: `eip155:<chainId>:<EIP-55 checksummed address>`.
pub fn evm_caip10(chain_id: u64, address: Address) -> String {
    format!("eip155:{chain_id}:{}", address.to_checksum(None))
}

/// The CAIP-10 id of a Solana account: `solana:<mainnet reference>:<base58 key>`.
pub fn solana_caip10(key: B256) -> String {
    format!("solana:{SOLANA_MAINNET}:{}", bs58::encode(key.as_slice()).into_string())
}

/// The name of a Web2 platform from its on-chain hash, when it is a known one.
pub(crate) fn web2_platform(hash: B256) -> Option<&'static str> {
    WEB2_PLATFORMS.iter().copied().find(|name| keccak256(name.as_bytes()) == hash)
}

/// A left-aligned printable ASCII `bytes32` (Solidity's `bytes32("defi")`) as its text.
pub(crate) fn ascii_label(category: B256) -> Option<String> {
    let len = category.iter().position(|&b| b == 0).unwrap_or(32);
    let (text, rest) = category.split_at(len);
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    (len > 0 && rest.iter().all(|&b| b == 0) && text.iter().all(printable))
        .then(|| String::from_utf8_lossy(text).into_owned())
}

/// A passport id as the graph's BIGINT key.
pub(crate) fn passport_key(passport_id: U256) -> Result<i64, crate::GraphError> {
    i64::try_from(passport_id).map_err(|_| crate::GraphError::invalid("passport id", passport_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn ids_have_their_standard_forms() {
        assert_eq!(passport_did(7777, 1), "did:trex:7777:1");
        assert_eq!(
            evm_caip10(1, address!("fb6916095ca1df60bb79ce92ce3ea74c37c5d359")),
            "eip155:1:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
        // The system program's all-zero key is "11111111111111111111111111111111" in base58.
        assert_eq!(
            solana_caip10(B256::ZERO),
            "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:11111111111111111111111111111111"
        );
    }

    #[test]
    fn labels_known_platforms_and_ascii_categories() {
        assert_eq!(web2_platform(keccak256("twitch")), Some("twitch"));
        assert_eq!(web2_platform(B256::ZERO), None);
        let defi = b256!("6465666900000000000000000000000000000000000000000000000000000000");
        assert_eq!(ascii_label(defi).as_deref(), Some("defi"));
        assert_eq!(ascii_label(keccak256("defi")), None);
        assert_eq!(ascii_label(B256::ZERO), None);
    }

    #[test]
    fn passport_ids_must_fit_bigint() {
        assert_eq!(passport_key(U256::from(5)).unwrap(), 5);
        assert!(passport_key(U256::from(u64::MAX)).is_err());
    }
}
