use alloy_primitives::B256;
use alloy_transport::TransportError;

use crate::bindings::{TRexBadge::TRexBadgeErrors, TRexPassport::TRexPassportErrors};

/// Everything the SDK can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The passport contract reverted with one of its custom errors.
    #[error("TRexPassport reverted: {0:?}")]
    Passport(Box<TRexPassportErrors>),
    /// The badge contract reverted with one of its custom errors.
    #[error("TRexBadge reverted: {0:?}")]
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
}

impl Error {
    /// Turns a transport error into a decoded contract revert when its revert data is one of the
    /// passport's or the badge contract's custom errors.
    pub(crate) fn from_rpc(err: TransportError) -> Self {
        if let Some(payload) = err.as_error_resp() {
            if let Some(e) = payload.as_decoded_interface_error::<TRexBadgeErrors>() {
                return Self::Badge(Box::new(e));
            }
            if let Some(e) = payload.as_decoded_interface_error::<TRexPassportErrors>() {
                return Self::Passport(Box::new(e));
            }
        }
        Self::Rpc(err)
    }
}

/// Result alias of the SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;
