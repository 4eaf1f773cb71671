//! Keys from the dev mnemonic and offline pre-signing of the measured transactions.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};
use alloy_sol_types::SolCall;
use rand::Rng;
use trex_bindings::DevToken;

use crate::error::{LoadgenError, Result};

/// The standard test mnemonic: anvil's default and the T-Rex devnet's. Its first accounts are
/// funded in both genesis states.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Derives the key at `m/44'/60'/0'/0/{index}` of `mnemonic`.
pub fn derive_signer(mnemonic: &str, index: u32) -> Result<PrivateKeySigner> {
    MnemonicBuilder::from_phrase(mnemonic)
        .index(index)
        .and_then(|b| b.build())
        .map_err(|source| LoadgenError::KeyDerivation { index, source })
}

/// Derives `count` consecutive keys starting at `first_index`, using every available core.
pub fn derive_signers(
    mnemonic: &str,
    first_index: u32,
    count: u32,
) -> Result<Vec<PrivateKeySigner>> {
    let indices: Vec<u32> = (0..count).map(|i| first_index + i).collect();
    parallel_map(&indices, |&index| derive_signer(mnemonic, index))
}

/// EIP-1559 fee caps used for every transaction of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `max_fee_per_gas` in wei.
    pub max_fee_per_gas: u128,
    /// `max_priority_fee_per_gas` in wei.
    pub max_priority_fee_per_gas: u128,
}

impl Fees {
    /// Fee caps from the node's suggestions: the priority fee as suggested, and a fee cap of
    /// `multiplier` times the suggested gas price (which already includes the base fee) so that
    /// base-fee growth during the run does not strand transactions.
    pub fn from_suggestion(gas_price: u128, priority_fee: u128, multiplier: u64) -> Self {
        let max_fee = gas_price.saturating_mul(u128::from(multiplier)).max(priority_fee);
        Self { max_fee_per_gas: max_fee, max_priority_fee_per_gas: priority_fee }
    }

    /// The most a transaction with `gas_limit` can cost in fees.
    pub fn max_cost(&self, gas_limit: u64) -> U256 {
        U256::from(self.max_fee_per_gas) * U256::from(gas_limit)
    }
}

/// What each measured transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Send `value` wei to the recipient.
    Eth {
        /// Wei sent per transaction.
        value: U256,
    },
    /// Call `token.transfer(recipient, amount)`.
    Erc20 {
        /// ERC-20 contract.
        token: Address,
        /// Token base units sent per transaction.
        amount: U256,
    },
}

impl Payload {
    /// The transaction paying `recipient`, with `gas_limit`.
    pub fn request(&self, recipient: Address, gas_limit: u64) -> TxRequest {
        match *self {
            Self::Eth { value } => {
                TxRequest { to: TxKind::Call(recipient), value, input: Bytes::new(), gas_limit }
            }
            Self::Erc20 { token, amount } => TxRequest {
                to: TxKind::Call(token),
                value: U256::ZERO,
                input: DevToken::transferCall { to: recipient, value: amount }.abi_encode().into(),
                gas_limit,
            },
        }
    }
}

/// Everything needed to sign a run's transactions offline.
#[derive(Debug)]
pub struct SigningPlan<'a> {
    /// Chain id to sign for (EIP-155 replay protection).
    pub chain_id: u64,
    /// Fee caps.
    pub fees: Fees,
    /// Gas limit of every transaction.
    pub gas_limit: u64,
    /// What each transaction does.
    pub payload: Payload,
    /// Sending accounts, used round-robin.
    pub senders: &'a [PrivateKeySigner],
    /// Next nonce of each sender, in the same order.
    pub start_nonces: &'a [u64],
    /// Number of transactions to sign.
    pub count: usize,
}

/// A signed transaction ready to be sent with `eth_sendRawTransaction`.
#[derive(Debug, Clone)]
pub struct PresignedTx {
    /// Transaction hash.
    pub hash: B256,
    /// EIP-2718 encoding, `0x`-prefixed hex, as the RPC parameter.
    pub raw_hex: String,
    /// Signer.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
}

/// Signs `plan.count` transactions: transaction `i` comes from sender `i % senders`, with that
/// sender's nonces in increasing order, and pays a random recipient drawn from `rng`.
///
/// Recipients are drawn serially (so a seeded `rng` gives a reproducible set); signing runs on
/// every available core.
pub fn presign(plan: &SigningPlan<'_>, rng: &mut impl Rng) -> Result<Vec<PresignedTx>> {
    let senders = plan.senders.len();
    if senders == 0 || senders != plan.start_nonces.len() {
        return Err(LoadgenError::Config(format!(
            "need one start nonce per sender, got {} senders and {} nonces",
            senders,
            plan.start_nonces.len()
        )));
    }
    let jobs: Vec<(usize, Address)> =
        (0..plan.count).map(|i| (i, Address::from(rng.random::<[u8; 20]>()))).collect();
    parallel_map(&jobs, |&(i, recipient)| {
        let signer = &plan.senders[i % senders];
        let nonce = plan.start_nonces[i % senders] + (i / senders) as u64;
        sign_request(
            signer,
            plan.chain_id,
            plan.fees,
            nonce,
            plan.payload.request(recipient, plan.gas_limit),
        )
    })
}

/// One transaction to sign, apart from its signer, nonce, chain id and fees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRequest {
    /// Destination (or contract creation).
    pub to: TxKind,
    /// Wei sent.
    pub value: U256,
    /// Calldata or init code.
    pub input: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
}

/// Signs `request` as an EIP-1559 transaction of `signer` with `nonce`.
pub fn sign_request(
    signer: &PrivateKeySigner,
    chain_id: u64,
    fees: Fees,
    nonce: u64,
    request: TxRequest,
) -> Result<PresignedTx> {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: request.gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: request.to,
        value: request.value,
        access_list: Default::default(),
        input: request.input,
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash())?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    Ok(PresignedTx {
        hash: *envelope.tx_hash(),
        raw_hex: hex::encode_prefixed(envelope.encoded_2718()),
        sender: signer.address(),
        nonce,
    })
}

/// Maps `f` over `items` on all available cores, keeping the order; fails on the first error.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Result<Vec<R>>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("signing thread panicked")?);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_consensus::{Transaction, transaction::SignerRecoverable};
    use alloy_eips::eip2718::Decodable2718;
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    fn decode(tx: &PresignedTx) -> TxEnvelope {
        let bytes = hex::decode(&tx.raw_hex).unwrap();
        TxEnvelope::decode_2718(&mut bytes.as_slice()).unwrap()
    }

    #[test]
    fn derives_the_well_known_dev_accounts() {
        // Anvil's and hardhat's first two default accounts.
        let a0 = derive_signer(DEV_MNEMONIC, 0).unwrap().address();
        let a1 = derive_signer(DEV_MNEMONIC, 1).unwrap().address();
        assert_eq!(a0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse::<Address>().unwrap());
        assert_eq!(a1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".parse::<Address>().unwrap());
        let many = derive_signers(DEV_MNEMONIC, 0, 3).unwrap();
        assert_eq!(many[0].address(), a0);
        assert_eq!(many[1].address(), a1);
    }

    #[test]
    fn fees_keep_headroom_over_the_gas_price() {
        let fees = Fees::from_suggestion(2_000_000_000, 1_000_000_000, 3);
        assert_eq!(fees.max_fee_per_gas, 6_000_000_000);
        assert_eq!(fees.max_priority_fee_per_gas, 1_000_000_000);
        assert_eq!(fees.max_cost(21_000), U256::from(126_000_000_000_000u128));
        // The cap never falls below the tip.
        assert_eq!(Fees::from_suggestion(0, 5, 3).max_fee_per_gas, 5);
    }

    #[rstest::rstest]
    #[case::eth(Payload::Eth { value: U256::from(1) }, 21_000)]
    #[case::erc20(Payload::Erc20 { token: Address::repeat_byte(0x77), amount: U256::from(3) }, 60_000)]
    fn presigned_transactions_decode_and_recover(#[case] payload: Payload, #[case] gas_limit: u64) {
        let senders = derive_signers(DEV_MNEMONIC, 1000, 3).unwrap();
        let start_nonces = [5, 0, 7];
        let plan = SigningPlan {
            chain_id: 31_628,
            fees: Fees { max_fee_per_gas: 3_000_000_000, max_priority_fee_per_gas: 1_000_000_000 },
            gas_limit,
            payload,
            senders: &senders,
            start_nonces: &start_nonces,
            count: 10,
        };
        let txs = presign(&plan, &mut StdRng::seed_from_u64(7)).unwrap();
        assert_eq!(txs.len(), 10);

        let mut seen_nonces: HashMap<Address, Vec<u64>> = HashMap::new();
        for (i, tx) in txs.iter().enumerate() {
            let envelope = decode(tx);
            let signer = envelope.recover_signer().unwrap();
            // Round-robin over the senders.
            assert_eq!(signer, senders[i % 3].address());
            assert_eq!(tx.sender, signer);
            assert_eq!(*envelope.tx_hash(), tx.hash);
            let inner = envelope.as_eip1559().expect("an EIP-1559 transaction").tx();
            assert_eq!(inner.chain_id, 31_628);
            assert_eq!(inner.gas_limit, gas_limit);
            assert_eq!(inner.max_fee_per_gas, 3_000_000_000);
            assert_eq!(inner.max_priority_fee_per_gas, 1_000_000_000);
            assert_eq!(inner.nonce, tx.nonce);
            match payload {
                Payload::Eth { value } => {
                    assert_eq!(inner.value, value);
                    assert!(inner.input.is_empty());
                }
                Payload::Erc20 { token, amount } => {
                    assert_eq!(inner.to(), Some(token));
                    assert_eq!(inner.value, U256::ZERO);
                    let call = DevToken::transferCall::abi_decode(&inner.input).unwrap();
                    assert_eq!(call.value, amount);
                }
            }
            seen_nonces.entry(signer).or_default().push(inner.nonce);
        }
        // Consecutive nonces per sender, starting at its next nonce, no gaps.
        assert_eq!(seen_nonces[&senders[0].address()], vec![5, 6, 7, 8]);
        assert_eq!(seen_nonces[&senders[1].address()], vec![0, 1, 2]);
        assert_eq!(seen_nonces[&senders[2].address()], vec![7, 8, 9]);
    }

    #[test]
    fn presign_rejects_mismatched_nonces() {
        let senders = derive_signers(DEV_MNEMONIC, 1000, 2).unwrap();
        let plan = SigningPlan {
            chain_id: 1,
            fees: Fees { max_fee_per_gas: 1, max_priority_fee_per_gas: 1 },
            gas_limit: 21_000,
            payload: Payload::Eth { value: U256::from(1) },
            senders: &senders,
            start_nonces: &[0],
            count: 4,
        };
        assert!(matches!(
            presign(&plan, &mut StdRng::seed_from_u64(1)),
            Err(LoadgenError::Config(_))
        ));
    }
}
