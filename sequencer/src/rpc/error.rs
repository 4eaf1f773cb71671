//! JSON-RPC errors with the codes and messages geth uses, so tools show them unchanged.

use crate::{error::StorageError, pool::PoolError};
use alloy_primitives::Bytes;
use alloy_sol_types::{Revert, SolError};
use jsonrpsee::types::{
    ErrorObjectOwned,
    error::{INTERNAL_ERROR_CODE, INVALID_PARAMS_CODE},
};

/// geth's code for most request errors.
pub const SERVER_ERROR_CODE: i32 = -32000;
/// geth's code for a reverted call, with the revert data as `data`.
pub const REVERT_CODE: i32 = 3;

/// -32602, for parameters that are well-formed JSON but unacceptable.
pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message.into(), None::<()>)
}

/// -32000 with a message.
pub fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR_CODE, message.into(), None::<()>)
}

/// -32603 for a failure that is the node's, not the request's.
pub fn internal_error(err: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!(%err, "internal error serving request");
    ErrorObjectOwned::owned(INTERNAL_ERROR_CODE, format!("internal error: {err}"), None::<()>)
}

/// `execution reverted[: reason]` with the raw revert data, as geth reports it.
pub fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let message = match Revert::abi_decode(output) {
        Ok(revert) => format!("execution reverted: {}", revert.reason),
        Err(_) => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(REVERT_CODE, message, Some(output.clone()))
}

impl From<StorageError> for ErrorObjectOwned {
    fn from(err: StorageError) -> Self {
        internal_error(err)
    }
}

impl From<PoolError> for ErrorObjectOwned {
    fn from(err: PoolError) -> Self {
        ErrorObjectOwned::owned(err.rpc_code(), err.to_string(), None::<()>)
    }
}
