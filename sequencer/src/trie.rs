//! State and storage roots and EIP-1186 proofs over the hashed state tables.
//!
//! Roots are rebuilt from the sorted leaves with alloy-trie's `HashBuilder`, with a block's changes
//! merged on top of the committed state. Storage roots are only recomputed for accounts whose
//! storage changed; the account trie is rebuilt from all accounts (cost linear in the number of
//! accounts — see docs/architecture.md for the incremental trie planned next).

use crate::{
    error::StorageError,
    storage::{StoreReader, StoredAccount},
};
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, proof::ProofRetainer};
use std::{collections::BTreeMap, iter::Peekable};

/// Merges a sorted base sequence with sorted overrides; an override of `None` deletes the key.
struct MergeSorted<I: Iterator, O: Iterator> {
    base: Peekable<I>,
    overrides: Peekable<O>,
}

impl<V, I, O> Iterator for MergeSorted<I, O>
where
    I: Iterator<Item = Result<(B256, V), StorageError>>,
    O: Iterator<Item = (B256, Option<V>)>,
{
    type Item = Result<(B256, V), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let base_key = match self.base.peek() {
                Some(Ok((key, _))) => Some(*key),
                Some(Err(_)) => return self.base.next(),
                None => None,
            };
            let override_key = self.overrides.peek().map(|(key, _)| *key);
            match (base_key, override_key) {
                (None, None) => return None,
                (Some(b), Some(o)) if b < o => return self.base.next(),
                (Some(_), None) => return self.base.next(),
                (b, Some(o)) => {
                    if b == Some(o) {
                        self.base.next();
                    }
                    let (key, value) = self.overrides.next().expect("peeked");
                    if let Some(value) = value {
                        return Some(Ok((key, value)));
                    }
                }
            }
        }
    }
}

fn merge_sorted<V, I, O>(base: I, overrides: O) -> MergeSorted<I, O::IntoIter>
where
    I: Iterator<Item = Result<(B256, V), StorageError>>,
    O: IntoIterator<Item = (B256, Option<V>)>,
{
    MergeSorted { base: base.peekable(), overrides: overrides.into_iter().peekable() }
}

/// Root of a trie with these sorted leaves, and for each of `targets` the nodes on its path from
/// the root (one pass over the leaves however many proofs are asked for).
fn build<V>(
    leaves: impl Iterator<Item = Result<(B256, V), StorageError>>,
    encode: impl Fn(&V, &mut Vec<u8>),
    targets: &[B256],
) -> Result<(B256, Vec<Vec<Bytes>>), StorageError> {
    let mut builder = if targets.is_empty() {
        HashBuilder::default()
    } else {
        let paths = targets.iter().map(|key| Nibbles::unpack(*key)).collect();
        HashBuilder::default().with_proof_retainer(ProofRetainer::new(paths))
    };
    let mut buf = Vec::with_capacity(128);
    for leaf in leaves {
        let (key, value) = leaf?;
        buf.clear();
        encode(&value, &mut buf);
        builder.add_leaf(Nibbles::unpack(key), &buf);
    }
    let root = builder.root();
    let nodes = builder.take_proof_nodes();
    let proofs = targets
        .iter()
        .map(|key| {
            let path = nodes.matching_nodes_sorted(&Nibbles::unpack(*key));
            path.into_iter().map(|(_, node)| node).collect()
        })
        .collect();
    Ok((root, proofs))
}

fn encode_slot(value: &U256, buf: &mut Vec<u8>) {
    value.encode(buf);
}

fn encode_account(account: &StoredAccount, buf: &mut Vec<u8>) {
    account.to_trie_account().encode(buf);
}

/// Storage leaves of an account: committed slots (unless `wiped`) with `changes` on top; zero
/// values are absent from the trie.
fn storage_leaves<'a>(
    reader: &'a StoreReader,
    hashed_address: &B256,
    wiped: bool,
    changes: impl IntoIterator<Item = (B256, U256)> + 'a,
) -> Result<impl Iterator<Item = Result<(B256, U256), StorageError>> + 'a, StorageError> {
    let base = reader.storage_sorted(hashed_address)?.filter(move |_| !wiped);
    let overrides =
        changes.into_iter().map(|(slot, value)| (slot, (!value.is_zero()).then_some(value)));
    Ok(merge_sorted(base, overrides))
}

/// Storage root of an account after applying `changes` (and a wipe) to the committed state.
pub fn storage_root(
    reader: &StoreReader,
    hashed_address: &B256,
    wiped: bool,
    changes: &BTreeMap<B256, U256>,
) -> Result<B256, StorageError> {
    if wiped && changes.values().all(U256::is_zero) {
        return Ok(EMPTY_ROOT_HASH);
    }
    let leaves =
        storage_leaves(reader, hashed_address, wiped, changes.iter().map(|(k, v)| (*k, *v)))?;
    Ok(build(leaves, encode_slot, &[])?.0)
}

/// State root after applying account `changes` (with their new storage roots) to the committed
/// state.
pub fn state_root(
    reader: &StoreReader,
    changes: &BTreeMap<B256, Option<StoredAccount>>,
) -> Result<B256, StorageError> {
    let leaves = merge_sorted(reader.accounts_sorted()?, changes.iter().map(|(k, v)| (*k, *v)));
    Ok(build(leaves, encode_account, &[])?.0)
}

/// An EIP-1186 proof: the account, its proof against the state root, and storage proofs against
/// its storage root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProof {
    /// The account, `None` if it does not exist (then the proof is an exclusion proof).
    pub account: Option<StoredAccount>,
    /// Trie nodes from the state root to the account's leaf (or the point of divergence).
    pub account_proof: Vec<Bytes>,
    /// For each requested slot: the value and the nodes from the storage root to it.
    pub storage_proofs: Vec<(B256, U256, Vec<Bytes>)>,
    /// The state root the proof was built against.
    pub state_root: B256,
}

/// Builds the EIP-1186 proof for `address` and `slots` at the state after block `at` (latest when
/// `None`).
pub fn account_proof(
    reader: &StoreReader,
    at: Option<u64>,
    address: alloy_primitives::Address,
    slots: &[B256],
) -> Result<AccountProof, StorageError> {
    let hashed = keccak256(address);
    // State at an older block = latest state with every later change reverted.
    let account_overrides = match at {
        Some(block) => reader.accounts_changed_after(block)?,
        None => BTreeMap::new(),
    };
    let leaves = merge_sorted(reader.accounts_sorted()?, account_overrides);
    let (state_root, mut account_proof) = build(leaves, encode_account, &[hashed])?;
    let account = reader.account(&hashed, at)?;

    let storage_overrides = match at {
        Some(block) => reader.storage_changed_after(&hashed, block)?,
        None => BTreeMap::new(),
    };
    let hashed_slots: Vec<B256> = slots.iter().map(keccak256).collect();
    let leaves = storage_leaves(reader, &hashed, false, storage_overrides)?;
    let (_, proofs) = build(leaves, encode_slot, &hashed_slots)?;
    let mut storage_proofs = Vec::with_capacity(slots.len());
    for ((slot, hashed_slot), proof) in slots.iter().zip(&hashed_slots).zip(proofs) {
        let value = reader.storage(&hashed, hashed_slot, at)?;
        storage_proofs.push((*slot, value, proof));
    }
    let account_proof = account_proof.pop().expect("one target, one proof");
    Ok(AccountProof { account, account_proof, storage_proofs, state_root })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};

    #[test]
    fn merge_overrides_insert_replace_and_delete() {
        let k = |b: u8| B256::repeat_byte(b);
        let base = vec![Ok((k(1), 1u64)), Ok((k(3), 3)), Ok((k(5), 5))].into_iter();
        let overrides = vec![(k(2), Some(20)), (k(3), None), (k(5), Some(50)), (k(6), Some(60))];
        let merged: Vec<_> = merge_sorted(base, overrides).map(Result::unwrap).collect();
        assert_eq!(merged, vec![(k(1), 1), (k(2), 20), (k(5), 50), (k(6), 60)]);
    }

    #[test]
    fn build_matches_alloy_reference_roots() {
        let slots: Vec<(B256, U256)> =
            (1u64..50).map(|i| (B256::from(U256::from(i)), U256::from(i * 7))).collect();
        let mut hashed: Vec<_> = slots.iter().map(|(k, v)| (keccak256(k), *v)).collect();
        hashed.sort();
        let (root, _) = build(hashed.into_iter().map(Ok), encode_slot, &[]).unwrap();
        assert_eq!(root, storage_root_unhashed(slots));
        assert_eq!(
            build(std::iter::empty::<Result<(B256, U256), _>>(), encode_slot, &[]).unwrap().0,
            EMPTY_ROOT_HASH
        );
        let _ = state_root_unhashed::<alloy_trie::TrieAccount>(std::iter::empty());
    }
}
