//! Fixed-layout value encodings for the state tables.

use alloy_primitives::{B256, U256};
use alloy_trie::TrieAccount;
use revm::state::AccountInfo;

/// Length of an encoded [`StoredAccount`].
pub(crate) const ACCOUNT_LEN: usize = 8 + 32 + 32 + 32;

/// An account as the state tables keep it: what the EVM needs plus the storage root, so the state
/// trie can be rebuilt without touching storage of unchanged accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredAccount {
    /// Transaction count / contract creation count.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Keccak of the code (`KECCAK_EMPTY` for none).
    pub code_hash: B256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
}

impl StoredAccount {
    /// Encodes into the table layout: nonce (BE) ‖ balance ‖ code hash ‖ storage root.
    pub(crate) fn encode(&self) -> [u8; ACCOUNT_LEN] {
        let mut out = [0u8; ACCOUNT_LEN];
        out[..8].copy_from_slice(&self.nonce.to_be_bytes());
        out[8..40].copy_from_slice(&self.balance.to_be_bytes::<32>());
        out[40..72].copy_from_slice(self.code_hash.as_slice());
        out[72..].copy_from_slice(self.storage_root.as_slice());
        out
    }

    /// Decodes the table layout; `None` for a value of the wrong length.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ACCOUNT_LEN {
            return None;
        }
        Some(Self {
            nonce: u64::from_be_bytes(bytes[..8].try_into().ok()?),
            balance: U256::from_be_slice(&bytes[8..40]),
            code_hash: B256::from_slice(&bytes[40..72]),
            storage_root: B256::from_slice(&bytes[72..]),
        })
    }

    /// The account as revm sees it. The code is left unloaded (`None`, unlike `Default`, which
    /// claims empty code) so revm fetches it by hash.
    pub fn to_account_info(self) -> AccountInfo {
        AccountInfo {
            balance: self.balance,
            nonce: self.nonce,
            code_hash: self.code_hash,
            code: None,
            ..Default::default()
        }
    }

    /// The account as a state-trie leaf.
    pub const fn to_trie_account(self) -> TrieAccount {
        TrieAccount {
            nonce: self.nonce,
            balance: self.balance,
            storage_root: self.storage_root,
            code_hash: self.code_hash,
        }
    }
}

/// Key of a state-history entry: the hashed key followed by the block number, big-endian, so a
/// range scan from `(key, n + 1)` finds the first change after block `n`.
pub(crate) fn history_key<const N: usize>(prefix: &[u8], block: u64) -> [u8; N] {
    let mut out = [0u8; N];
    out[..prefix.len()].copy_from_slice(prefix);
    out[prefix.len()..].copy_from_slice(&block.to_be_bytes());
    out
}

/// Key of a storage slot: hashed address ‖ hashed slot.
pub(crate) fn slot_key(hashed_address: &B256, hashed_slot: &B256) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(hashed_address.as_slice());
    out[32..].copy_from_slice(hashed_slot.as_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn account_roundtrips(nonce: u64, balance: [u8; 32], code: [u8; 32], root: [u8; 32]) {
            let account = StoredAccount {
                nonce,
                balance: U256::from_be_bytes(balance),
                code_hash: B256::from(code),
                storage_root: B256::from(root),
            };
            prop_assert_eq!(StoredAccount::decode(&account.encode()), Some(account));
        }
    }

    #[test]
    fn history_keys_sort_by_block() {
        let a: [u8; 40] = history_key(&[7u8; 32], 9);
        let b: [u8; 40] = history_key(&[7u8; 32], 10);
        assert!(a < b);
        assert!(StoredAccount::decode(&[0u8; 3]).is_none());
    }
}
