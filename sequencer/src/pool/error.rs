//! The one error type of the transaction pool.

use alloy_primitives::U256;

/// JSON-RPC error code geth answers with when it rejects a transaction (`errcodeDefault`).
const RPC_CODE_DEFAULT: i32 = -32000;

/// Why a transaction was not accepted into the pool.
///
/// The `Display` strings are geth's, word for word, including the details geth appends after a
/// colon, because wallets and tools (cast, viem, ethers) recognise rejections by these texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The encoded transaction is larger than the pool accepts.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Size of the EIP-2718 encoding in bytes.
        size: usize,
        /// Largest size accepted.
        limit: usize,
    },
    /// The bytes are not a valid EIP-2718 transaction encoding.
    #[error("rlp: {0}")]
    Rlp(alloy_rlp::Error),
    /// Bytes follow the encoded transaction.
    #[error("rlp: input contains more than one value")]
    TrailingBytes,
    /// Deposit, blob and unknown transaction types, and types not yet active at the hardfork.
    #[error("transaction type not supported: tx type {0} not supported by this pool")]
    TxTypeNotSupported(u8),
    /// A legacy transaction signed without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    UnprotectedTransaction,
    /// The transaction is signed for another chain.
    #[error("invalid sender: invalid chain id for signer: have {have} want {want}")]
    InvalidChainId {
        /// Chain id the transaction carries.
        have: u64,
        /// Chain id of this chain.
        want: u64,
    },
    /// The signature does not recover to a sender (bad values or high `s`).
    #[error("invalid sender: invalid transaction v, r, s values")]
    InvalidSignature,
    /// A contract creation whose init code is larger than EIP-3860 allows.
    #[error("max initcode size exceeded: code size {size}, limit {limit}")]
    MaxInitCodeSizeExceeded {
        /// Length of the init code.
        size: usize,
        /// Largest init code allowed.
        limit: usize,
    },
    /// The gas limit is above the EIP-7825 per-transaction cap (from Osaka).
    #[error("transaction gas limit too high (cap: {cap}, tx: {gas_limit})")]
    GasLimitTooHigh {
        /// The per-transaction cap.
        cap: u64,
        /// The transaction's gas limit.
        gas_limit: u64,
    },
    /// The gas limit is above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// `max_priority_fee_per_gas > max_fee_per_gas`.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// The nonce is `2^64 - 1`, which could never be incremented (EIP-2681).
    #[error("nonce has max value")]
    NonceMax,
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas_limit}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas_limit: u64,
        /// Intrinsic gas of the transaction.
        needed: u64,
    },
    /// The gas limit does not cover the EIP-7623 calldata floor (from Prague).
    #[error("insufficient gas for floor data gas cost: gas {gas_limit}, minimum needed {needed}")]
    FloorDataGas {
        /// The transaction's gas limit.
        gas_limit: u64,
        /// The calldata floor gas.
        needed: u64,
    },
    /// The priority fee is below the pool's minimum.
    #[error("transaction gas price below minimum: gas tip cap {tip}, minimum needed {minimum}")]
    TipBelowMinimum {
        /// The transaction's max priority fee per gas (gas price for legacy transactions).
        tip: u128,
        /// The pool's minimum.
        minimum: u128,
    },
    /// An EIP-7702 transaction without authorizations.
    #[error("set code tx must have at least one authorization tuple")]
    EmptyAuthorizationList,
    /// The pool already holds a transaction with this hash.
    #[error("already known")]
    AlreadyKnown,
    /// The nonce has already been used on chain.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// The sender's next nonce on chain.
        next: u64,
        /// The transaction's nonce.
        nonce: u64,
    },
    /// A transaction with the same sender and nonce is pooled and this one does not pay enough
    /// more to replace it.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// `gas_limit * max_fee_per_gas + value` is above the sender's balance.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {}",
        cost.saturating_sub(*balance)
    )]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// The transaction's cost.
        cost: U256,
    },
    /// The sender's pending transactions and this one together cost more than the balance.
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, queued cost {queued}, \
         tx cost {cost}, overshot {}",
        queued.saturating_add(*cost).saturating_sub(*balance)
    )]
    InsufficientFundsForQueued {
        /// The sender's balance.
        balance: U256,
        /// Cost of the sender's other pending transactions.
        queued: U256,
        /// The transaction's cost.
        cost: U256,
    },
    /// The sender already has the most transactions the pool keeps per account.
    #[error("account limit exceeded: pooled {0} txs")]
    AccountLimitExceeded(usize),
    /// The pool is full and the transaction pays less than every transaction that could make
    /// room for it.
    #[error("txpool is full")]
    PoolFull,
}

impl PoolError {
    /// The JSON-RPC error code to answer `eth_sendRawTransaction` with.
    ///
    /// geth answers every transaction rejection with `-32000`; the match lists each variant so
    /// that a new variant has to choose its code. Malformed parameters (`-32602`, e.g. bad hex)
    /// are rejected by the RPC layer before they reach the pool.
    pub fn rpc_code(&self) -> i32 {
        match self {
            Self::OversizedData { .. }
            | Self::Rlp(_)
            | Self::TrailingBytes
            | Self::TxTypeNotSupported(_)
            | Self::UnprotectedTransaction
            | Self::InvalidChainId { .. }
            | Self::InvalidSignature
            | Self::MaxInitCodeSizeExceeded { .. }
            | Self::GasLimitTooHigh { .. }
            | Self::ExceedsBlockGasLimit
            | Self::TipAboveFeeCap
            | Self::NonceMax
            | Self::IntrinsicGasTooLow { .. }
            | Self::FloorDataGas { .. }
            | Self::TipBelowMinimum { .. }
            | Self::EmptyAuthorizationList
            | Self::AlreadyKnown
            | Self::NonceTooLow { .. }
            | Self::ReplacementUnderpriced
            | Self::InsufficientFunds { .. }
            | Self::InsufficientFundsForQueued { .. }
            | Self::AccountLimitExceeded(_)
            | Self::PoolFull => RPC_CODE_DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(PoolError::AlreadyKnown, "already known")]
    #[case(PoolError::ReplacementUnderpriced, "replacement transaction underpriced")]
    #[case(PoolError::PoolFull, "txpool is full")]
    #[case(PoolError::ExceedsBlockGasLimit, "exceeds block gas limit")]
    #[case(PoolError::TipAboveFeeCap, "max priority fee per gas higher than max fee per gas")]
    #[case(
        PoolError::UnprotectedTransaction,
        "only replay-protected (EIP-155) transactions allowed over RPC"
    )]
    #[case(
        PoolError::TxTypeNotSupported(126),
        "transaction type not supported: tx type 126 not supported by this pool"
    )]
    #[case(PoolError::InvalidChainId { have: 1, want: 7 }, "invalid sender: invalid chain id for signer: have 1 want 7")]
    #[case(PoolError::InvalidSignature, "invalid sender: invalid transaction v, r, s values")]
    #[case(PoolError::NonceTooLow { next: 5, nonce: 3 }, "nonce too low: next nonce 5, tx nonce 3")]
    #[case(PoolError::IntrinsicGasTooLow { gas_limit: 20_000, needed: 21_000 }, "intrinsic gas too low: gas 20000, minimum needed 21000")]
    #[case(PoolError::OversizedData { size: 5, limit: 4 }, "oversized data: transaction size 5, limit 4")]
    #[case(PoolError::MaxInitCodeSizeExceeded { size: 49_153, limit: 49_152 }, "max initcode size exceeded: code size 49153, limit 49152")]
    #[case(PoolError::Rlp(alloy_rlp::Error::InputTooShort), "rlp: input too short")]
    #[case(PoolError::TrailingBytes, "rlp: input contains more than one value")]
    #[case(
        PoolError::InsufficientFunds { balance: U256::from(10), cost: U256::from(25) },
        "insufficient funds for gas * price + value: balance 10, tx cost 25, overshot 15"
    )]
    #[case(
        PoolError::InsufficientFundsForQueued { balance: U256::from(10), queued: U256::from(8), cost: U256::from(5) },
        "insufficient funds for gas * price + value: balance 10, queued cost 8, tx cost 5, overshot 3"
    )]
    fn display_is_geths_text(#[case] err: PoolError, #[case] text: &str) {
        assert_eq!(err.to_string(), text);
        assert_eq!(err.rpc_code(), -32000);
    }
}
