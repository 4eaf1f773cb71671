use alloy_primitives::{B256, Bytes};
use alloy_sol_types::SolInterface;
use alloy_transport::TransportError;

use crate::{
    bindings::{TRexBadge::TRexBadgeErrors, TRexPassport::TRexPassportErrors},
    siwe::SiweError,
    validator::ValidatorApiError,
};

/// Everything the SDK can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The passport contract reverted with one of its custom errors (name and arguments).
    #[error("TRexPassport reverted with {}", revert_text(&format!("{_0:?}")))]
    Passport(Box<TRexPassportErrors>),
    /// The badge contract reverted with one of its custom errors (name and arguments).
    #[error("TRexBadge reverted with {}", revert_text(&format!("{_0:?}")))]
    Badge(Box<TRexBadgeErrors>),
    /// JSON-RPC or transport failure (including reverts the SDK could not decode).
    #[error("rpc: {0}")]
    Rpc(#[from] TransportError),
    /// Waiting for a transaction's receipt failed.
    #[error("pending transaction: {0}")]
    Pending(#[from] alloy_provider::PendingTransactionError),
    /// A transaction was mined but reverted.
    #[error("transaction {0} reverted")]
    Reverted(B256),
    /// A receipt lacked the event or contract address the SDK expected.
    #[error("receipt of {tx} has no {what}")]
    MissingInReceipt {
        /// The transaction hash.
        tx: B256,
        /// What was expected (an event name or "contract address").
        what: &'static str,
    },
    /// Signing failed.
    #[error("signer: {0}")]
    Signer(#[from] alloy_signer::Error),
    /// ABI decoding of a call's return data failed.
    #[error("abi: {0}")]
    Abi(#[from] alloy_sol_types::Error),
    /// The validator service answered with an error (its `code`, `message` and `reasons`).
    #[error(transparent)]
    Validator(#[from] ValidatorApiError),
    /// The validator service could not be reached or answered something that is not its API.
    #[error("validator http: {0}")]
    Http(#[from] reqwest::Error),
    /// A validator URL could not be built.
    #[error("validator url: {0}")]
    Url(#[from] url::ParseError),
    /// A DID login (EIP-4361 message) was malformed or did not verify.
    #[error(transparent)]
    Siwe(#[from] SiweError),
    /// The validator computed another `paramsHash` for a conditions document than the SDK did.
    #[error(
        "paramsHash mismatch: the validator computed {validator}, the SDK {local} (both hash the \
         document as written; see `conditions::params_hash`)"
    )]
    ParamsHashMismatch {
        /// What the validator answered.
        validator: B256,
        /// What the SDK computed.
        local: B256,
    },
    /// A value the validator returned is not what was asked for (a class, passport or address).
    #[error("validator answered for {what}: expected {expected}, got {actual}")]
    UnexpectedAttestation {
        /// Which field differs.
        what: &'static str,
        /// What the request named.
        expected: String,
        /// What came back.
        actual: String,
    },
    /// A Solana address or signature is not valid base58 / ed25519.
    #[error("solana: {0}")]
    Solana(String),
}

/// Which contract a call went to: its own custom errors are tried first, since both contracts
/// declare errors with the same selector (`AttestationAlreadyUsed(bytes32)`, `InvalidSignature()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Passport,
    Badge,
}

impl Error {
    /// Turns a transport error into a decoded contract revert when its revert data is one of the
    /// passport's or the badge contract's custom errors (the called contract's first: a badge
    /// mint can bubble up the passport's `PassportNotFound`).
    pub(crate) fn from_rpc(err: TransportError, target: Target) -> Self {
        let data = err.as_error_resp().and_then(|payload| payload.as_revert_data());
        match data.and_then(|data| Self::decode_revert(&data, target)) {
            Some(decoded) => decoded,
            None => Self::Rpc(err),
        }
    }

    /// Decodes revert data as a custom error of the passport or the badge contract, trying
    /// `target`'s errors first.
    pub(crate) fn decode_revert(data: &Bytes, target: Target) -> Option<Self> {
        let passport =
            || TRexPassportErrors::abi_decode(data).ok().map(|e| Self::Passport(Box::new(e)));
        let badge = || TRexBadgeErrors::abi_decode(data).ok().map(|e| Self::Badge(Box::new(e)));
        match target {
            Target::Passport => passport().or_else(badge),
            Target::Badge => badge().or_else(passport),
        }
    }

    /// The decoded custom error's name (`"AttestationAlreadyUsed"`, `"BadgeLocked"`, …) when the
    /// error is a contract revert, or the validator's error `code` when it is a validator answer.
    pub fn reason(&self) -> Option<String> {
        match self {
            Self::Passport(e) => Some(revert_name(&format!("{e:?}"))),
            Self::Badge(e) => Some(revert_name(&format!("{e:?}"))),
            Self::Validator(e) => Some(e.code.clone()),
            _ => None,
        }
    }
}

/// `AlreadyHasPassport(AlreadyHasPassport { owner: …, … })` → `AlreadyHasPassport`: the variant
/// names of the generated error enums are the Solidity error names.
fn revert_name(debug: &str) -> String {
    debug.split(['(', ' ']).next().unwrap_or(debug).to_owned()
}

/// `AlreadyHasPassport(AlreadyHasPassport { owner: …, passportId: 1 })` →
/// `AlreadyHasPassport { owner: …, passportId: 1 }`: the error's name and arguments once.
fn revert_text(debug: &str) -> String {
    let name = revert_name(debug);
    debug
        .strip_prefix(&name)
        .and_then(|rest| rest.strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .map_or_else(|| debug.to_owned(), str::to_owned)
}

/// Result alias of the SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256, b256};
    use alloy_sol_types::SolError;

    use super::*;
    use crate::{TRexBadge, TRexPassport};

    #[test]
    fn shared_selectors_decode_as_the_called_contract() {
        let id = b256!("0x00000000000000000000000000000000000000000000000000000000000000aa");
        let data: Bytes =
            TRexPassport::AttestationAlreadyUsed { attestationId: id }.abi_encode().into();
        let as_passport = Error::decode_revert(&data, Target::Passport).unwrap();
        assert!(matches!(as_passport, Error::Passport(_)), "{as_passport}");
        let as_badge = Error::decode_revert(&data, Target::Badge).unwrap();
        assert!(matches!(as_badge, Error::Badge(_)), "{as_badge}");
        assert_eq!(as_badge.reason().as_deref(), Some("AttestationAlreadyUsed"));
    }

    #[test]
    fn passport_errors_bubbling_out_of_a_badge_call_decode() {
        let data: Bytes =
            TRexPassport::PassportNotFound { passportId: U256::from(9) }.abi_encode().into();
        let err = Error::decode_revert(&data, Target::Badge).unwrap();
        assert_eq!(err.reason().as_deref(), Some("PassportNotFound"));
        assert_eq!(
            err.to_string(),
            "TRexPassport reverted with PassportNotFound { passportId: 9 }"
        );
        let locked: Bytes = TRexBadge::BadgeLocked {}.abi_encode().into();
        let locked = Error::decode_revert(&locked, Target::Badge).unwrap();
        assert_eq!(locked.reason().as_deref(), Some("BadgeLocked"));
        assert_eq!(locked.to_string(), "TRexBadge reverted with BadgeLocked");
        let untrusted: Bytes =
            TRexPassport::UntrustedValidator { signer: Address::ZERO }.abi_encode().into();
        assert!(matches!(
            Error::decode_revert(&untrusted, Target::Passport),
            Some(Error::Passport(_))
        ));
        assert!(Error::decode_revert(&Bytes::from_static(&[1, 2, 3, 4]), Target::Badge).is_none());
    }
}
