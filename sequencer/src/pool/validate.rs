//! Stateless validation of raw transactions: everything that can be checked without the sender's
//! account (nonce and balance are the pool's business, see [`TxPool::add`](super::TxPool::add)).

use alloy_consensus::{
    Signed, Transaction, TxLegacy,
    transaction::{Recovered, SignerRecoverable},
};
use alloy_eips::eip2718::{Decodable2718, Eip2718Error};
use alloy_primitives::{B256, Bytes, U256};
use op_alloy_consensus::OpTxEnvelope;
use op_revm::OpSpecId;
use revm::{
    context_interface::cfg::gas::calculate_initial_tx_gas,
    primitives::{eip3860, eip7825, hardfork::SpecId},
};

use super::PoolError;

/// Largest encoded transaction the pool accepts by default: 128 KiB, as geth's `txMaxSize`.
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;

/// Type byte of EIP-2930 access-list transactions.
const EIP2930_TX_TYPE: u8 = 1;
/// Type byte of EIP-1559 dynamic-fee transactions.
const EIP1559_TX_TYPE: u8 = 2;
/// Type byte of EIP-7702 set-code transactions.
const EIP7702_TX_TYPE: u8 = 4;
/// Encodings whose first byte is below this are typed (EIP-2718); `0x7f` is reserved and
/// `0xc0..` starts a legacy RLP list.
const TYPED_TX_BOUND: u8 = 0x7f;

/// The chain's rules a transaction is checked against before it enters the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationRules {
    /// EIP-155 chain id transactions must be signed for.
    pub chain_id: u64,
    /// Gas limit of the blocks being built; no transaction may ask for more.
    pub block_gas_limit: u64,
    /// Largest EIP-2718 encoding accepted, in bytes.
    pub max_tx_bytes: usize,
    /// Lowest `max_priority_fee_per_gas` (gas price for legacy and EIP-2930 transactions).
    pub min_priority_fee: u128,
    /// Hardfork in force for the next block: decides the intrinsic gas schedule, the EIP-7623
    /// calldata floor, EIP-7702 availability and the EIP-7825 gas cap.
    pub spec: OpSpecId,
    /// The L1 fee parameters the chain's `L1Block` holds (rollup mode): a transaction must also
    /// afford its L1 data fee. `None` charges none.
    pub l1_fee: Option<op_revm::L1BlockInfo>,
}

impl ValidationRules {
    /// Rules for `chain_id` with the default size limit ([`DEFAULT_MAX_TX_BYTES`]) and no
    /// minimum priority fee.
    pub const fn new(chain_id: u64, block_gas_limit: u64, spec: OpSpecId) -> Self {
        Self {
            chain_id,
            block_gas_limit,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            min_priority_fee: 0,
            spec,
            l1_fee: None,
        }
    }
}

/// A transaction that passed [`validate_raw_transaction`]: decoded, signature recovered, within
/// the chain's limits. Only validation makes one, so the pool can trust its sender and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTransaction {
    tx: Recovered<OpTxEnvelope>,
    encoded: Bytes,
    hash: B256,
    l1_fee: U256,
}

impl ValidTransaction {
    /// The decoded transaction and its recovered sender.
    pub const fn tx(&self) -> &Recovered<OpTxEnvelope> {
        &self.tx
    }

    /// The EIP-2718 encoding exactly as received.
    pub const fn encoded(&self) -> &Bytes {
        &self.encoded
    }

    /// The transaction hash (keccak-256 of the encoding).
    pub const fn hash(&self) -> B256 {
        self.hash
    }

    /// The L1 data fee it pays at the current L1 fee parameters (zero outside rollup mode).
    pub const fn l1_fee(&self) -> U256 {
        self.l1_fee
    }

    /// Splits into the recovered transaction, its encoding and its hash.
    pub(super) fn into_parts(self) -> (Recovered<OpTxEnvelope>, Bytes, B256) {
        (self.tx, self.encoded, self.hash)
    }
}

#[cfg(test)]
impl ValidTransaction {
    /// Takes `tx`'s sender as given, without a signature: builds large pools quickly in tests.
    pub(super) fn unchecked(tx: Recovered<OpTxEnvelope>) -> Self {
        use alloy_eips::eip2718::Encodable2718;
        let encoded = tx.inner().encoded_2718().into();
        let hash = tx.inner().tx_hash();
        Self { tx, encoded, hash, l1_fee: U256::ZERO }
    }
}

/// Decodes and checks a raw transaction as `eth_sendRawTransaction` receives it.
///
/// Accepts EIP-155 legacy, EIP-2930, EIP-1559 and (from Isthmus) EIP-7702 transactions. Rejects
/// deposits, blob and unknown types, unprotected legacy transactions, a wrong chain id, bad
/// signatures, trailing bytes, too much data, too little gas (revm's intrinsic gas and EIP-7623
/// floor for `rules.spec`), too much gas, oversized init code and fee fields out of order. The
/// checks run in geth's order, cheapest first.
pub fn validate_raw_transaction(
    raw: &[u8],
    rules: &ValidationRules,
) -> Result<ValidTransaction, PoolError> {
    if raw.len() > rules.max_tx_bytes {
        return Err(PoolError::OversizedData { size: raw.len(), limit: rules.max_tx_bytes });
    }
    let mut buf = raw;
    let decoded = match raw.first() {
        None => Err(Eip2718Error::RlpError(alloy_rlp::Error::InputTooShort)),
        // Refuse unsupported types by their type byte, before decoding: deposits (0x7e) only
        // come from L1, post-exec (0x7d) and blob (0x03) transactions have no place here.
        Some(&ty) if ty < TYPED_TX_BOUND => {
            if !matches!(ty, EIP2930_TX_TYPE | EIP1559_TX_TYPE | EIP7702_TX_TYPE) {
                return Err(PoolError::TxTypeNotSupported(ty));
            }
            OpTxEnvelope::decode_2718(&mut buf)
        }
        // Untagged legacy, decoded directly: the envelope's fallback would replace the RLP
        // error with "unexpected type 0".
        Some(_) => Signed::<TxLegacy>::fallback_decode(&mut buf).map(OpTxEnvelope::Legacy),
    };
    let envelope = decoded.map_err(|err| match err {
        Eip2718Error::RlpError(err) => PoolError::Rlp(err),
        Eip2718Error::UnexpectedType(ty) => PoolError::TxTypeNotSupported(ty),
        // `Eip2718Error` is non-exhaustive: a kind alloy adds later is still a decoding failure.
        _ => PoolError::Rlp(alloy_rlp::Error::Custom("unsupported transaction encoding")),
    })?;
    if !buf.is_empty() {
        return Err(PoolError::TrailingBytes);
    }

    let spec = rules.spec.into_eth_spec();
    let is_set_code = matches!(envelope, OpTxEnvelope::Eip7702(_));
    if is_set_code && !spec.is_enabled_in(SpecId::PRAGUE) {
        return Err(PoolError::TxTypeNotSupported(EIP7702_TX_TYPE));
    }
    match envelope.chain_id() {
        None => return Err(PoolError::UnprotectedTransaction),
        Some(have) if have != rules.chain_id => {
            return Err(PoolError::InvalidChainId { have, want: rules.chain_id });
        }
        Some(_) => {}
    }
    if spec.is_enabled_in(SpecId::SHANGHAI)
        && envelope.is_create()
        && envelope.input().len() > eip3860::MAX_INITCODE_SIZE
    {
        return Err(PoolError::MaxInitCodeSizeExceeded {
            size: envelope.input().len(),
            limit: eip3860::MAX_INITCODE_SIZE,
        });
    }
    let gas_limit = envelope.gas_limit();
    if spec.is_enabled_in(SpecId::OSAKA) && gas_limit > eip7825::TX_GAS_LIMIT_CAP {
        return Err(PoolError::GasLimitTooHigh { cap: eip7825::TX_GAS_LIMIT_CAP, gas_limit });
    }
    if gas_limit > rules.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit);
    }
    let tip = envelope.priority_fee_or_price();
    if tip > envelope.max_fee_per_gas() {
        return Err(PoolError::TipAboveFeeCap);
    }
    let sender = envelope.recover_signer().map_err(|_| PoolError::InvalidSignature)?;
    if envelope.nonce() == u64::MAX {
        return Err(PoolError::NonceMax);
    }

    let (accounts, storage_keys) = envelope.access_list().map_or((0, 0), |list| {
        (list.len() as u64, list.iter().map(|item| item.storage_keys.len() as u64).sum())
    });
    let authorizations = envelope.authorization_list().map_or(0, |list| list.len() as u64);
    let gas = calculate_initial_tx_gas(
        spec,
        envelope.input(),
        envelope.is_create(),
        accounts,
        storage_keys,
        authorizations,
    );
    if gas_limit < gas.initial_total_gas {
        return Err(PoolError::IntrinsicGasTooLow { gas_limit, needed: gas.initial_total_gas });
    }
    if spec.is_enabled_in(SpecId::PRAGUE) && gas_limit < gas.floor_gas {
        return Err(PoolError::FloorDataGas { gas_limit, needed: gas.floor_gas });
    }
    if tip < rules.min_priority_fee {
        return Err(PoolError::TipBelowMinimum { tip, minimum: rules.min_priority_fee });
    }
    if is_set_code && authorizations == 0 {
        return Err(PoolError::EmptyAuthorizationList);
    }

    let hash = envelope.tx_hash();
    let l1_fee =
        rules.l1_fee.clone().map_or(U256::ZERO, |mut l1| l1.calculate_tx_l1_cost(raw, rules.spec));
    Ok(ValidTransaction {
        tx: Recovered::new_unchecked(envelope, sender),
        encoded: Bytes::copy_from_slice(raw),
        hash,
        l1_fee,
    })
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxLegacy};
    use alloy_eips::{Typed2718, eip2718::Encodable2718};
    use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256, uint};
    use alloy_signer::SignerSync;
    use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
    use op_revm::OpSpecId;
    use rstest::rstest;

    use super::*;
    use crate::pool::test_utils::*;

    /// Order of the secp256k1 group: `s` above half of it is a malleated signature.
    const SECP256K1N: U256 =
        uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

    fn rules_at(spec: OpSpecId) -> ValidationRules {
        ValidationRules { spec, ..rules() }
    }

    #[rstest]
    #[case::legacy(sign(&signer(1), legacy(0, GWEI)), 0)]
    #[case::eip2930(sign(&signer(1), eip2930(3, GWEI, 27_200)), 1)]
    #[case::eip1559(sign(&signer(1), eip1559(7, 2 * GWEI, GWEI)), 2)]
    #[case::eip7702(sign(&signer(1), eip7702(&signer(2), 1, 46_000, 1)), 4)]
    fn accepts_every_supported_type(#[case] raw: Vec<u8>, #[case] ty: u8) {
        let valid = validate_raw_transaction(&raw, &rules()).expect("valid");
        assert_eq!(valid.tx().signer(), signer(1).address());
        assert_eq!(valid.tx().inner().ty(), ty);
        assert_eq!(valid.hash(), keccak256(&raw));
        assert_eq!(valid.encoded().as_ref(), raw.as_slice());
    }

    #[test]
    fn eip2930_intrinsic_gas_counts_the_access_list() {
        // 21 000 + one address (2 400) + two storage keys (2 * 1 900).
        let raw = sign(&signer(1), eip2930(0, GWEI, 27_199));
        assert_eq!(
            validate_raw_transaction(&raw, &rules()),
            Err(PoolError::IntrinsicGasTooLow { gas_limit: 27_199, needed: 27_200 })
        );
    }

    #[test]
    fn eip7702_intrinsic_gas_counts_each_authorization() {
        // 21 000 + 25 000 per authorization.
        let raw = sign(&signer(1), eip7702(&signer(2), 0, 70_999, 2));
        assert_eq!(
            validate_raw_transaction(&raw, &rules()),
            Err(PoolError::IntrinsicGasTooLow { gas_limit: 70_999, needed: 71_000 })
        );
        let raw = sign(&signer(1), eip7702(&signer(2), 0, 71_000, 2));
        assert!(validate_raw_transaction(&raw, &rules()).is_ok());
    }

    #[test]
    fn calldata_floor_applies_from_prague_only() {
        // 1 000 non-zero bytes: intrinsic 21 000 + 16 000, EIP-7623 floor 21 000 + 40 000.
        let tx = TxEip1559 {
            gas_limit: 50_000,
            input: Bytes::from(vec![1; 1_000]),
            ..eip1559(0, GWEI, GWEI)
        };
        let raw = sign(&signer(1), tx);
        assert_eq!(
            validate_raw_transaction(&raw, &rules_at(OpSpecId::ISTHMUS)),
            Err(PoolError::FloorDataGas { gas_limit: 50_000, needed: 61_000 })
        );
        assert!(validate_raw_transaction(&raw, &rules_at(OpSpecId::HOLOCENE)).is_ok());
    }

    #[test]
    fn init_code_limit_is_eip3860s() {
        let create = |len: usize| TxEip1559 {
            to: TxKind::Create,
            gas_limit: 600_000,
            input: Bytes::from(vec![0; len]),
            ..eip1559(0, GWEI, GWEI)
        };
        assert!(validate_raw_transaction(&sign(&signer(1), create(49_152)), &rules()).is_ok());
        assert_eq!(
            validate_raw_transaction(&sign(&signer(1), create(49_153)), &rules()),
            Err(PoolError::MaxInitCodeSizeExceeded { size: 49_153, limit: 49_152 })
        );
    }

    #[test]
    fn create_pays_creation_and_init_code_gas() {
        // 53 000 + 32 zero bytes * 4 + one word * 2.
        let tx = TxEip1559 {
            to: TxKind::Create,
            gas_limit: 53_129,
            input: Bytes::from(vec![0; 32]),
            ..eip1559(0, GWEI, GWEI)
        };
        assert_eq!(
            validate_raw_transaction(&sign(&signer(1), tx), &rules()),
            Err(PoolError::IntrinsicGasTooLow { gas_limit: 53_129, needed: 53_130 })
        );
    }

    #[test]
    fn eip7825_gas_cap_applies_from_karst() {
        let tx = TxEip1559 { gas_limit: 16_777_217, ..eip1559(0, GWEI, GWEI) };
        let raw = sign(&signer(1), tx);
        assert_eq!(
            validate_raw_transaction(&raw, &rules_at(OpSpecId::KARST)),
            Err(PoolError::GasLimitTooHigh { cap: 16_777_216, gas_limit: 16_777_217 })
        );
        assert!(validate_raw_transaction(&raw, &rules_at(OpSpecId::JOVIAN)).is_ok());
    }

    #[test]
    fn eip7702_needs_isthmus() {
        let raw = sign(&signer(1), eip7702(&signer(2), 0, 46_000, 1));
        assert_eq!(
            validate_raw_transaction(&raw, &rules_at(OpSpecId::HOLOCENE)),
            Err(PoolError::TxTypeNotSupported(4))
        );
    }

    #[test]
    fn minimum_priority_fee_is_enforced() {
        let rules = ValidationRules { min_priority_fee: GWEI, ..rules() };
        let raw = sign(&signer(1), eip1559(0, 2 * GWEI, GWEI - 1));
        assert_eq!(
            validate_raw_transaction(&raw, &rules),
            Err(PoolError::TipBelowMinimum { tip: GWEI - 1, minimum: GWEI })
        );
        let raw = sign(&signer(1), legacy(0, GWEI));
        assert!(validate_raw_transaction(&raw, &rules).is_ok());
    }

    #[test]
    fn size_limit_counts_the_whole_encoding() {
        let raw = sign(&signer(1), eip1559(0, GWEI, GWEI));
        let rules = ValidationRules { max_tx_bytes: raw.len(), ..rules() };
        assert!(validate_raw_transaction(&raw, &rules).is_ok());
        let rules = ValidationRules { max_tx_bytes: raw.len() - 1, ..rules };
        assert_eq!(
            validate_raw_transaction(&raw, &rules),
            Err(PoolError::OversizedData { size: raw.len(), limit: raw.len() - 1 })
        );
    }

    fn with_trailing_byte(mut raw: Vec<u8>) -> Vec<u8> {
        raw.push(0);
        raw
    }

    fn deposit() -> Vec<u8> {
        OpTxEnvelope::from(TxDeposit {
            from: Address::repeat_byte(1),
            to: TxKind::Call(Address::repeat_byte(2)),
            gas_limit: 100_000,
            ..TxDeposit::default()
        })
        .encoded_2718()
    }

    fn blob() -> Vec<u8> {
        let tx = TxEip4844 {
            chain_id: CHAIN_ID,
            gas_limit: TRANSFER_GAS,
            max_fee_per_gas: GWEI,
            max_priority_fee_per_gas: GWEI,
            to: Address::repeat_byte(0xaa),
            blob_versioned_hashes: vec![B256::repeat_byte(1)],
            max_fee_per_blob_gas: 1,
            ..TxEip4844::default()
        };
        sign(&signer(1), tx)
    }

    fn high_s() -> Vec<u8> {
        let tx = eip1559(0, GWEI, GWEI);
        let signature = signer(1).sign_hash_sync(&tx.signature_hash()).expect("signs");
        let flipped = Signature::new(signature.r(), SECP256K1N - signature.s(), !signature.v());
        with_signature(tx, flipped)
    }

    #[rstest]
    #[case::empty(vec![], PoolError::Rlp(alloy_rlp::Error::InputTooShort))]
    #[case::not_rlp(vec![0x02, 0x01, 0x02], PoolError::Rlp(alloy_rlp::Error::UnexpectedString))]
    #[case::legacy_not_a_list(vec![0x83, 0x01, 0x02, 0x03], PoolError::Rlp(alloy_rlp::Error::UnexpectedString))]
    #[case::legacy_short_list(vec![0xc3, 0x01, 0x02, 0x03], PoolError::Rlp(alloy_rlp::Error::InputTooShort))]
    #[case::typed_zero(vec![0x00, 0xc0], PoolError::TxTypeNotSupported(0))]
    #[case::truncated(
        { let raw = sign(&signer(1), eip1559(0, GWEI, GWEI)); raw[..raw.len() - 1].to_vec() },
        PoolError::Rlp(alloy_rlp::Error::InputTooShort)
    )]
    #[case::trailing_bytes(with_trailing_byte(sign(&signer(1), eip1559(0, GWEI, GWEI))), PoolError::TrailingBytes)]
    #[case::trailing_bytes_legacy(with_trailing_byte(sign(&signer(1), legacy(0, GWEI))), PoolError::TrailingBytes)]
    #[case::deposit(deposit(), PoolError::TxTypeNotSupported(0x7e))]
    #[case::blob(blob(), PoolError::TxTypeNotSupported(3))]
    #[case::post_exec(vec![0x7d, 0xc0], PoolError::TxTypeNotSupported(0x7d))]
    #[case::unprotected_legacy(
        sign(&signer(1), TxLegacy { chain_id: None, ..legacy(0, GWEI) }),
        PoolError::UnprotectedTransaction
    )]
    #[case::legacy_other_chain(
        sign(&signer(1), TxLegacy { chain_id: Some(1), ..legacy(0, GWEI) }),
        PoolError::InvalidChainId { have: 1, want: CHAIN_ID }
    )]
    #[case::eip1559_other_chain(
        sign(&signer(1), TxEip1559 { chain_id: 10, ..eip1559(0, GWEI, GWEI) }),
        PoolError::InvalidChainId { have: 10, want: CHAIN_ID }
    )]
    #[case::high_s(high_s(), PoolError::InvalidSignature)]
    #[case::zero_r(
        with_signature(eip1559(0, GWEI, GWEI), Signature::new(U256::ZERO, U256::from(1), false)),
        PoolError::InvalidSignature
    )]
    #[case::tip_above_fee_cap(sign(&signer(1), eip1559(0, GWEI, GWEI + 1)), PoolError::TipAboveFeeCap)]
    #[case::intrinsic_gas(
        sign(&signer(1), TxEip1559 { gas_limit: 20_999, ..eip1559(0, GWEI, GWEI) }),
        PoolError::IntrinsicGasTooLow { gas_limit: 20_999, needed: 21_000 }
    )]
    #[case::legacy_intrinsic_gas(
        sign(&signer(1), TxLegacy { gas_limit: 20_999, ..legacy(0, GWEI) }),
        PoolError::IntrinsicGasTooLow { gas_limit: 20_999, needed: 21_000 }
    )]
    #[case::block_gas_limit(
        sign(&signer(1), TxEip1559 { gas_limit: BLOCK_GAS_LIMIT + 1, ..eip1559(0, GWEI, GWEI) }),
        PoolError::ExceedsBlockGasLimit
    )]
    #[case::nonce_max(sign(&signer(1), eip1559(u64::MAX, GWEI, GWEI)), PoolError::NonceMax)]
    #[case::empty_authorization_list(
        sign(&signer(1), eip7702(&signer(2), 0, 46_000, 0)),
        PoolError::EmptyAuthorizationList
    )]
    fn rejects(#[case] raw: Vec<u8>, #[case] expected: PoolError) {
        assert_eq!(validate_raw_transaction(&raw, &rules()), Err(expected));
    }
}
