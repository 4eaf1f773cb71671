//! `eth_call` and `eth_estimateGas`: run a request on a block's state through the OP EVM without
//! committing, with geth's semantics (nonce not checked, zero gas price allowed, state and block
//! overrides, a gas cap, binary search for the estimate).

use super::{
    RpcContext,
    error::{internal_error, invalid_params, reverted, server_error},
};
use crate::storage::StateAt;
use alloy_eips::BlockId;
use alloy_evm::{
    Database, Evm, EvmEnv, EvmFactory,
    overrides::{OverrideBlockHashes, apply_block_overrides, apply_state_overrides},
    rpc::TryIntoTxEnv,
};
use alloy_op_evm::{OpEvmFactory, OpTx, env::evm_env_for_op_block};
use alloy_primitives::{Bytes, TxKind};
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use jsonrpsee::{core::RpcResult, types::ErrorObjectOwned};
use op_revm::{OpSpecId, OpTransaction};
use revm::{
    DatabaseCommit,
    context::TxEnv,
    context_interface::result::{ExecutionResult, HaltReason},
    database::CacheDB,
};

/// Intrinsic gas of a plain transfer: the lower bound of any estimate.
const MIN_TRANSACTION_GAS: u64 = 21_000;

struct Prepared {
    state: StateAt,
    env: EvmEnv<OpSpecId>,
}

/// The state and EVM environment of the block a call runs on.
fn prepare(ctx: &RpcContext, block: Option<BlockId>) -> RpcResult<Prepared> {
    let reader = ctx.reader()?;
    let number = ctx.resolve_id(&reader, block.unwrap_or_default())?;
    let header = reader
        .header(number)
        .map_err(internal_error)?
        .ok_or_else(|| internal_error("missing header"))?;
    let chain = &ctx.node.chain;
    let env = evm_env_for_op_block(&header, &chain.hardforks, chain.chain_id());
    let state = StateAt::at_block(reader, number).map_err(internal_error)?;
    Ok(Prepared { state, env })
}

/// Applies `eth_call`'s rules to `env` (no nonce check, a zero gas price allowed when the request
/// names no fee, the gas cap as block gas limit) and the overrides to `db` and `env`, and turns
/// the request into the EVM transaction with `gas_limit`. Shared by `eth_call`,
/// `eth_estimateGas` and `debug_traceCall`.
pub(super) fn prepare_call<DB>(
    db: &mut DB,
    mut env: EvmEnv<OpSpecId>,
    request: &TransactionRequest,
    state: Option<&StateOverride>,
    block: Option<&BlockOverrides>,
    gas_cap: u64,
    gas_limit: u64,
) -> RpcResult<(EvmEnv<OpSpecId>, OpTx)>
where
    DB: Database + DatabaseCommit + OverrideBlockHashes,
{
    env.cfg_env.disable_nonce_check = true;
    env.cfg_env.disable_base_fee = request.gas_price.is_none() && request.max_fee_per_gas.is_none();
    env.block_env.gas_limit = env.block_env.gas_limit.max(gas_cap);
    if let Some(overrides) = block {
        apply_block_overrides(overrides.clone(), db, &mut env.block_env);
    }
    if let Some(overrides) = state {
        apply_state_overrides(overrides.clone(), db)
            .map_err(|err| invalid_params(err.to_string()))?;
    }
    let mut request = request.clone();
    request.gas = Some(gas_limit);
    if request.to.is_none() && request.input.input().is_none() {
        request.to = Some(TxKind::Create);
    }
    let base: TxEnv =
        request.try_into_tx_env(&env).map_err(|err| invalid_params(err.to_string()))?;
    // An empty envelope: calls pay no L1 data fee, as in op-geth.
    let tx =
        OpTx(OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: Default::default() });
    Ok((env, tx))
}

/// Runs `request` with `gas_limit` on a fresh copy of the prepared state.
fn run(
    ctx: &RpcContext,
    prepared: &Prepared,
    request: &TransactionRequest,
    state: Option<&StateOverride>,
    block: Option<&BlockOverrides>,
    gas_limit: u64,
) -> RpcResult<ExecutionResult<op_revm::OpHaltReason>> {
    let mut db = CacheDB::new(&prepared.state);
    let (env, tx) = prepare_call(
        &mut db,
        prepared.env.clone(),
        request,
        state,
        block,
        ctx.config.gas_cap,
        gas_limit,
    )?;
    let mut evm = OpEvmFactory::default().create_evm(db, env);
    match evm.transact(tx) {
        Ok(result) => Ok(result.result),
        Err(err) => Err(transaction_error(&err.to_string())),
    }
}

/// geth's wording for a transaction that cannot run at all.
fn transaction_error(message: &str) -> ErrorObjectOwned {
    let lower = message.to_lowercase();
    if lower.contains("lack of funds") || lower.contains("insufficient") {
        server_error("insufficient funds for gas * price + value")
    } else if lower.contains("intrinsic gas") || lower.contains("call gas cost") {
        server_error("intrinsic gas too low")
    } else {
        server_error(message)
    }
}

fn halt_error(reason: &op_revm::OpHaltReason, gas_limit: u64) -> ErrorObjectOwned {
    match reason {
        op_revm::OpHaltReason::Base(HaltReason::OutOfGas(_)) => {
            server_error(format!("gas required exceeds allowance ({gas_limit})"))
        }
        other => server_error(format!("execution halted: {other:?}")),
    }
}

/// `eth_call`.
pub(super) fn call(
    ctx: &RpcContext,
    request: TransactionRequest,
    block: Option<BlockId>,
    state: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
) -> RpcResult<Bytes> {
    let prepared = prepare(ctx, block)?;
    let gas = request.gas.unwrap_or(ctx.config.gas_cap).min(ctx.config.gas_cap);
    match run(ctx, &prepared, &request, state.as_ref(), block_overrides.as_ref(), gas)? {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => Err(reverted(&output)),
        ExecutionResult::Halt { reason, .. } => Err(halt_error(&reason, gas)),
    }
}

/// `eth_estimateGas`: the smallest gas limit with which the request succeeds.
pub(super) fn estimate_gas(
    ctx: &RpcContext,
    request: TransactionRequest,
    block: Option<BlockId>,
    state: Option<StateOverride>,
) -> RpcResult<u64> {
    let prepared = prepare(ctx, block)?;
    let block_limit = prepared.env.block_env.gas_limit.min(ctx.config.gas_cap);
    let mut hi = request.gas.unwrap_or(block_limit).min(block_limit);
    let used = match run(ctx, &prepared, &request, state.as_ref(), None, hi)? {
        ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
        ExecutionResult::Revert { output, .. } => return Err(reverted(&output)),
        ExecutionResult::Halt { reason, .. } => return Err(halt_error(&reason, hi)),
    };
    // Refunds and the 63/64 rule mean the used gas may not be enough as a limit: search upwards
    // from it, as geth does, starting with geth's optimistic guess.
    let mut lo = used.saturating_sub(1).max(MIN_TRANSACTION_GAS - 1);
    let optimistic = (used + 2_300) * 64 / 63;
    if optimistic < hi {
        match run(ctx, &prepared, &request, state.as_ref(), None, optimistic)? {
            ExecutionResult::Success { .. } => hi = optimistic,
            _ => lo = optimistic,
        }
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        match run(ctx, &prepared, &request, state.as_ref(), None, mid)? {
            ExecutionResult::Success { .. } => hi = mid,
            _ => lo = mid,
        }
        // geth stops when within 1.5% of the answer.
        if (hi - lo) * 1000 / hi < 15 {
            break;
        }
    }
    Ok(hi)
}
