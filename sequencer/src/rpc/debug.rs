//! The `debug_` tracing methods, with geth's built-in tracers (revm-inspectors'
//! [`DebugInspector`]): the default struct logger, `callTracer`, `prestateTracer`,
//! `4byteTracer`, `flatCallTracer`, `muxTracer`, `erc7562Tracer` and `noopTracer`. JavaScript
//! tracers are not available.
//!
//! A mined transaction is traced by re-executing its block on the parent's state through the same
//! OP block executor the producer uses (pre-execution system calls included) up to the
//! transaction, then running it with the tracer attached. Like geth, each traced transaction or
//! call stops with `execution timeout` after the options' `timeout` (5 s by default). Traces run
//! on blocking threads, at most one per core at a time.

use super::{
    RpcContext,
    error::{internal_error, invalid_params, server_error},
};
use crate::storage::{StateAt, StoreReader, StoredBlock};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_evm::{
    Evm, EvmEnv, EvmFactory, FromRecoveredTx,
    block::{BlockExecutor, BlockExecutorFactory},
    precompiles::PrecompilesMap,
};
use alloy_op_evm::{
    OpBlockExecutionCtx, OpBlockExecutorFactory, OpEvm, OpEvmFactory, OpTx,
    block::OpAlloyReceiptBuilder, env::evm_env_for_op_block,
};
use alloy_primitives::{Address, B256, Log, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_rpc_types_trace::geth::{
    GethDebugTracerType, GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace,
    TraceResult,
};
use jsonrpsee::{
    core::{RpcResult, async_trait},
    proc_macros::rpc,
    types::ErrorObjectOwned,
};
use op_revm::OpSpecId;
use revm::{
    DatabaseCommit, DatabaseRef, Inspector,
    context_interface::{ContextTr, result::EVMError},
    database::{State, WrapDatabaseRef},
    inspector::JournalExt,
    interpreter::{CallInputs, CallOutcome, CreateInputs, CreateOutcome, Interpreter},
    state::EvmState,
};
use revm_inspectors::tracing::{DebugInspector, DebugInspectorError, TransactionContext};
use std::{
    fmt::Display,
    ops::Range,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;
use trex_chainspec::ChainSpec;

/// geth's default limit on how long one transaction or call may be traced.
const DEFAULT_TRACE_TIMEOUT: Duration = Duration::from_secs(5);
/// Interpreter steps between two looks at the clock.
const STEPS_PER_CLOCK_CHECK: u32 = 1024;

/// The `debug_` namespace (tracing).
#[rpc(server, namespace = "debug")]
pub(crate) trait DebugApi {
    /// Re-executes a mined transaction and returns its trace.
    #[method(name = "traceTransaction")]
    async fn trace_transaction(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace>;

    /// Traces every transaction of a block by number.
    #[method(name = "traceBlockByNumber")]
    async fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>>;

    /// Traces every transaction of a block by hash.
    #[method(name = "traceBlockByHash")]
    async fn trace_block_by_hash(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>>;

    /// Traces a call as `eth_call` would run it on a block's state (after the block, or before
    /// its transaction `txIndex`), with optional state and block overrides.
    #[method(name = "traceCall")]
    async fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        options: Option<GethDebugTracingCallOptions>,
    ) -> RpcResult<GethTrace>;
}

/// The tracing methods; traces run on blocking threads, a bounded number at a time.
#[derive(Debug, Clone)]
pub(crate) struct DebugRpc {
    ctx: RpcContext,
    permits: Arc<Semaphore>,
}

impl DebugRpc {
    /// Tracing on `ctx`'s node, as many traces at a time as there are cores.
    pub(crate) fn new(ctx: RpcContext) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self { ctx, permits: Arc::new(Semaphore::new(cores)) }
    }

    /// Runs `trace` on a blocking thread once a tracing slot is free.
    async fn run<T, F>(&self, trace: F) -> RpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&RpcContext) -> RpcResult<T> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(internal_error)?;
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            trace(&ctx)
        })
        .await
        .map_err(internal_error)?
    }
}

#[async_trait]
impl DebugApiServer for DebugRpc {
    async fn trace_transaction(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace> {
        self.run(move |ctx| {
            let reader = ctx.reader()?;
            let (number, index) = reader
                .transaction_location(&hash)
                .map_err(internal_error)?
                .ok_or_else(|| server_error("transaction not found"))?;
            let block = canonical_block(&reader, number)?;
            let mut traces =
                trace_block(ctx, reader, &block, index..index + 1, &options.unwrap_or_default())?;
            traces.pop().expect("one transaction traced").map_err(server_error)
        })
        .await
    }

    async fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        self.run(move |ctx| {
            let reader = ctx.reader()?;
            let head = reader.head_number().map_err(internal_error)?;
            if let BlockNumberOrTag::Number(requested) = number
                && requested > head
            {
                return Err(server_error(format!("block #{requested} not found")));
            }
            let resolved = ctx.resolve_number(&reader, number)?;
            let block = canonical_block(&reader, resolved)?;
            block_trace_results(ctx, reader, &block, &options.unwrap_or_default())
        })
        .await
    }

    async fn trace_block_by_hash(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        self.run(move |ctx| {
            let reader = ctx.reader()?;
            let number = reader
                .block_number(&hash)
                .map_err(internal_error)?
                .ok_or_else(|| server_error(format!("block {hash} not found")))?;
            let block = canonical_block(&reader, number)?;
            block_trace_results(ctx, reader, &block, &options.unwrap_or_default())
        })
        .await
    }

    async fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        options: Option<GethDebugTracingCallOptions>,
    ) -> RpcResult<GethTrace> {
        self.run(move |ctx| trace_call(ctx, request, block, options.unwrap_or_default())).await
    }
}

fn canonical_block(reader: &StoreReader, number: u64) -> RpcResult<StoredBlock> {
    reader
        .block(number)
        .map_err(internal_error)?
        .ok_or_else(|| internal_error(format!("canonical block {number} missing")))
}

fn block_trace_results(
    ctx: &RpcContext,
    reader: StoreReader,
    block: &StoredBlock,
    options: &GethDebugTracingOptions,
) -> RpcResult<Vec<TraceResult>> {
    let traces = trace_block(ctx, reader, block, 0..block.transactions.len(), options)?;
    Ok(traces
        .into_iter()
        .zip(&block.transactions)
        .map(|(trace, tx)| {
            let tx_hash = Some(tx.inner().tx_hash());
            match trace {
                Ok(result) => TraceResult::Success { result, tx_hash },
                Err(error) => TraceResult::Error { error, tx_hash },
            }
        })
        .collect())
}

/// The state the tracer executes on: a block's state view with the changes made so far.
type TraceDb<'a> = State<WrapDatabaseRef<&'a StateAt>>;
/// The OP EVM with the tracer attached.
type TraceEvm<'db, 'state> = OpEvm<&'db mut TraceDb<'state>, Tracer, PrecompilesMap>;

/// Traces transactions `range` of `block` (not genesis); a transaction whose trace timed out has
/// the error message instead.
fn trace_block(
    ctx: &RpcContext,
    reader: StoreReader,
    block: &StoredBlock,
    range: Range<usize>,
    options: &GethDebugTracingOptions,
) -> RpcResult<Vec<Result<GethTrace, String>>> {
    let number = block.header.number;
    if number == 0 {
        return Err(server_error("genesis is not traceable"));
    }
    let tracer = Tracer::new(options)?;
    let chain = &ctx.node.chain;
    let env = evm_env_for_op_block(&block.header, &chain.hardforks, chain.chain_id());
    let state = StateAt::at_block(reader, number - 1).map_err(internal_error)?;
    let mut db = State::builder().with_database_ref(&state).build();
    replay(chain, &mut db, &env, block, range.start)?;

    let end = range.end;
    let mut evm = OpEvmFactory::default().create_evm_with_inspector(&mut db, env, tracer);
    let mut traces = Vec::with_capacity(range.len());
    for index in range {
        let tx = &block.transactions[index];
        let tx_env = OpTx::from_recovered_tx(tx.inner(), tx.signer());
        let tx_ctx = TransactionContext::default()
            .with_block_hash(block.hash)
            .with_tx_index(index)
            .with_tx_hash(tx.inner().tx_hash());
        let more = index + 1 < end;
        match trace_transaction(&mut evm, &tx_env, Some(tx_ctx))? {
            Traced::Done { trace, state } => {
                traces.push(Ok(*trace));
                if more {
                    evm.db_mut().commit(state);
                }
            }
            Traced::TimedOut => {
                traces.push(Err("execution timeout".to_owned()));
                if more {
                    // The state the next transactions start from, without the tracer.
                    evm.disable_inspector();
                    let result = evm.transact(tx_env).map_err(evm_error)?;
                    evm.db_mut().commit(result.state);
                }
            }
        }
    }
    Ok(traces)
}

/// Applies `block`'s pre-execution changes and its first `count` transactions to `db`, as the
/// producer executed them.
fn replay(
    chain: &ChainSpec,
    db: &mut TraceDb<'_>,
    env: &EvmEnv<OpSpecId>,
    block: &StoredBlock,
    count: usize,
) -> RpcResult<()> {
    let factory = OpBlockExecutorFactory::new(
        OpAlloyReceiptBuilder::default(),
        chain.hardforks.clone(),
        OpEvmFactory::<OpTx>::default(),
    );
    let evm = factory.evm_factory().create_evm(db, env.clone());
    let execution_ctx = OpBlockExecutionCtx {
        parent_hash: block.header.parent_hash,
        parent_beacon_block_root: block.header.parent_beacon_block_root,
        extra_data: block.header.extra_data.clone(),
    };
    let mut executor = factory.create_executor(evm, execution_ctx);
    executor.apply_pre_execution_changes().map_err(internal_error)?;
    for tx in &block.transactions[..count] {
        executor.execute_transaction(tx).map_err(internal_error)?;
    }
    Ok(())
}

/// `debug_traceCall`: the request run with `eth_call`'s rules on the state after `block` (or
/// before its transaction `txIndex`), with the overrides applied.
fn trace_call(
    ctx: &RpcContext,
    request: TransactionRequest,
    block: Option<BlockId>,
    options: GethDebugTracingCallOptions,
) -> RpcResult<GethTrace> {
    let GethDebugTracingCallOptions { tracing_options, state_overrides, block_overrides, tx_index } =
        options;
    let tracer = Tracer::new(&tracing_options)?;
    let reader = ctx.reader()?;
    let number = ctx.resolve_id(&reader, block.unwrap_or_default())?;
    let chain = &ctx.node.chain;
    let block = canonical_block(&reader, number)?;
    let block_env = evm_env_for_op_block(&block.header, &chain.hardforks, chain.chain_id());

    let state = match tx_index {
        None => StateAt::at_block(reader, number),
        Some(_) if number == 0 => return Err(server_error("genesis is not traceable")),
        Some(index) if index as usize > block.transactions.len() => {
            return Err(invalid_params(format!(
                "transaction index {index} out of range for block {number} ({} transactions)",
                block.transactions.len()
            )));
        }
        Some(_) => StateAt::at_block(reader, number - 1),
    }
    .map_err(internal_error)?;
    let mut db = State::builder().with_database_ref(&state).build();
    if let Some(index) = tx_index {
        replay(chain, &mut db, &block_env, &block, index as usize)?;
    }

    let gas_cap = ctx.config.gas_cap;
    let gas_limit = request.gas.unwrap_or(gas_cap).min(gas_cap);
    let (env, tx) = super::call::prepare_call(
        &mut db,
        block_env,
        &request,
        state_overrides.as_ref(),
        block_overrides.as_ref(),
        gas_cap,
        gas_limit,
    )?;
    let mut evm = OpEvmFactory::default().create_evm_with_inspector(&mut db, env, tracer);
    match trace_transaction(&mut evm, &tx, None)? {
        Traced::Done { trace, .. } => Ok(*trace),
        Traced::TimedOut => Err(server_error("execution timeout")),
    }
}

/// The outcome of tracing one transaction.
enum Traced {
    /// The trace, and the state changes to commit to go on with the block.
    Done { trace: Box<GethTrace>, state: EvmState },
    /// The tracer's time ran out; the execution was abandoned.
    TimedOut,
}

/// Runs `tx` with the tracer (without committing it) and builds its trace.
fn trace_transaction(
    evm: &mut TraceEvm<'_, '_>,
    tx: &OpTx,
    tx_ctx: Option<TransactionContext>,
) -> RpcResult<Traced> {
    evm.inspector_mut().start().map_err(tracer_error)?;
    evm.enable_inspector();
    let result = evm.transact(tx.clone()).map_err(evm_error)?;
    if evm.inspector().timed_out {
        return Ok(Traced::TimedOut);
    }
    let block_env = evm.block().clone();
    let (db, tracer, _) = evm.components_mut();
    let mut trace =
        tracer.inner.get_result(tx_ctx, tx, &block_env, &result, db).map_err(tracer_error)?;
    // geth's struct logger stops recording at `limit` entries (0: no limit).
    if let (GethTrace::Default(frame), Some(limit @ 1..)) = (&mut trace, tracer.limit) {
        frame.struct_logs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(Traced::Done { trace: Box::new(trace), state: result.state })
}

fn evm_error<D: Display, T: Display>(err: EVMError<D, T>) -> ErrorObjectOwned {
    match err {
        EVMError::Database(err) => internal_error(err),
        other => server_error(other.to_string()),
    }
}

fn tracer_error<E: Display>(err: DebugInspectorError<E>) -> ErrorObjectOwned {
    match err {
        DebugInspectorError::Database(err) => internal_error(err),
        DebugInspectorError::InvalidTracerConfig | DebugInspectorError::MuxInspector(_) => {
            invalid_params(err.to_string())
        }
        other => server_error(other.to_string()),
    }
}

/// The geth tracer for the request's options, stopping the execution once its time is up.
#[derive(Debug)]
struct Tracer {
    inner: DebugInspector,
    /// The struct logger's `limit`.
    limit: Option<u64>,
    timeout: Duration,
    deadline: Instant,
    steps: u32,
    timed_out: bool,
}

impl Tracer {
    fn new(options: &GethDebugTracingOptions) -> RpcResult<Self> {
        if let Some(GethDebugTracerType::JsTracer(code)) = &options.tracer {
            return Err(server_error(format!(
                "tracer {code:?} not found: only the built-in tracers are available"
            )));
        }
        let timeout = match &options.timeout {
            None => DEFAULT_TRACE_TIMEOUT,
            Some(text) => parse_go_duration(text)
                .ok_or_else(|| invalid_params(format!("invalid timeout {text:?}")))?,
        };
        Ok(Self {
            inner: DebugInspector::new(options.clone()).map_err(tracer_error)?,
            limit: options.config.limit,
            timeout,
            deadline: Instant::now() + timeout,
            steps: 0,
            timed_out: false,
        })
    }

    /// Clears what the previous transaction recorded and starts the clock.
    fn start(&mut self) -> Result<(), DebugInspectorError> {
        self.inner.fuse()?;
        self.deadline = Instant::now() + self.timeout;
        self.steps = 0;
        self.timed_out = false;
        Ok(())
    }

    /// Whether the time is up, looking at the clock every [`STEPS_PER_CLOCK_CHECK`] steps.
    fn expired(&mut self) -> bool {
        if !self.timed_out {
            self.steps = self.steps.wrapping_add(1);
            self.timed_out =
                self.steps.is_multiple_of(STEPS_PER_CLOCK_CHECK) && Instant::now() >= self.deadline;
        }
        self.timed_out
    }
}

impl<CTX> Inspector<CTX> for Tracer
where
    CTX: ContextTr<Journal: JournalExt, Db: DatabaseRef>,
{
    fn initialize_interp(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        self.inner.initialize_interp(interp, context);
    }

    fn step(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        if self.expired() {
            // Out of gas ends this frame; every frame still running ends at its next step.
            interp.halt_oog();
            return;
        }
        self.inner.step(interp, context);
    }

    fn step_end(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        self.inner.step_end(interp, context);
    }

    fn log(&mut self, context: &mut CTX, log: Log) {
        self.inner.log(context, log);
    }

    fn log_full(&mut self, interp: &mut Interpreter, context: &mut CTX, log: Log) {
        self.inner.log_full(interp, context, log);
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.inner.call(context, inputs)
    }

    fn call_end(&mut self, context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        self.inner.call_end(context, inputs, outcome);
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.inner.create(context, inputs)
    }

    fn create_end(
        &mut self,
        context: &mut CTX,
        inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        self.inner.create_end(context, inputs, outcome);
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        Inspector::<CTX>::selfdestruct(&mut self.inner, contract, target, value);
    }
}

/// Parses a Go duration (`time.ParseDuration`) such as `5s`, `300ms` or `1m30s`; signs are not
/// accepted.
fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let unit_nanos = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += value * unit_nanos;
        rest = tail;
    }
    Duration::try_from_secs_f64(nanos / 1e9).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use rstest::rstest;

    #[rstest]
    #[case("5s", Some(Duration::from_secs(5)))]
    #[case("300ms", Some(Duration::from_millis(300)))]
    #[case("1m30s", Some(Duration::from_secs(90)))]
    #[case("1.5h", Some(Duration::from_secs(5400)))]
    #[case("250us", Some(Duration::from_micros(250)))]
    #[case("10µs", Some(Duration::from_micros(10)))]
    #[case("0", Some(Duration::ZERO))]
    #[case("", None)]
    #[case("5", None)]
    #[case("5x", None)]
    #[case("s", None)]
    #[case("-5s", None)]
    fn parses_go_durations(#[case] text: &str, #[case] expected: Option<Duration>) {
        assert_eq!(parse_go_duration(text), expected);
    }

    #[tokio::test]
    async fn traces_erc20_transactions_blocks_and_calls() {
        use crate::rpc::pubsub::test_node::{TestNode, Wallet};
        use alloy_primitives::TxKind;
        use alloy_sol_types::{SolCall, SolEvent};
        use serde_json::json;
        use trex_bindings::DevToken;

        let test = TestNode::start().await;
        let mut client = test.client().await;
        let mut wallet = Wallet::dev();
        let (deploy, token) = wallet.deploy_token();
        let recipient = Address::repeat_byte(0x42);
        let transfer = DevToken::transferCall { to: recipient, value: U256::from(7) };
        let transfer_input = Bytes::from(transfer.abi_encode());
        let raw = wallet.sign(TxKind::Call(token), transfer_input.clone(), 100_000, 1_000_000_000);
        // Both in block 1: tracing the transfer replays the deployment first.
        let deploy_hash = client.send_raw(&deploy).await;
        let transfer_hash = client.send_raw(&raw).await;
        let block = test.produce_block().await;
        assert_eq!(block.transactions.len(), 2);
        let receipt = client.call("eth_getTransactionReceipt", json!([transfer_hash])).await;

        let call_tracer = json!({ "tracer": "callTracer", "tracerConfig": { "withLog": true } });
        let frame =
            client.call("debug_traceTransaction", json!([transfer_hash, call_tracer])).await;
        assert_eq!(frame["type"], "CALL");
        assert_eq!(frame["from"], json!(wallet.address()));
        assert_eq!(frame["to"], json!(token));
        assert_eq!(frame["value"], "0x0");
        assert_eq!(frame["gas"], "0x186a0");
        assert_eq!(frame["gasUsed"], receipt["gasUsed"]);
        assert_eq!(frame["input"], json!(transfer_input));
        assert_eq!(frame["output"], json!(B256::with_last_byte(1)));
        assert_eq!(frame["logs"][0]["address"], json!(token));
        assert_eq!(frame["logs"][0]["topics"][0], json!(DevToken::Transfer::SIGNATURE_HASH));
        assert_eq!(frame["logs"][0]["topics"][2], json!(recipient.into_word()));
        assert!(frame.get("calls").is_none(), "{frame}");

        let top_only = json!({ "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } });
        let top = client.call("debug_traceTransaction", json!([transfer_hash, top_only])).await;
        assert_eq!(top["gasUsed"], receipt["gasUsed"]);
        assert!(top.get("logs").is_none(), "{top}");

        let struct_logs =
            client.call("debug_traceTransaction", json!([transfer_hash, { "limit": 5 }])).await;
        assert_eq!(struct_logs["failed"], false);
        assert_eq!(
            struct_logs["gas"],
            json!(
                u64::from_str_radix(
                    receipt["gasUsed"].as_str().unwrap().trim_start_matches("0x"),
                    16
                )
                .unwrap()
            )
        );
        let steps = struct_logs["structLogs"].as_array().unwrap();
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[0]["pc"], 0);
        assert_eq!(steps[0]["op"], "PUSH1");
        assert_eq!(steps[0]["depth"], 1);

        let traces = client
            .call("debug_traceBlockByNumber", json!(["0x1", { "tracer": "callTracer" }]))
            .await;
        assert_eq!(traces[0]["txHash"], json!(deploy_hash));
        assert_eq!(traces[0]["result"]["type"], "CREATE");
        assert_eq!(traces[0]["result"]["to"], json!(token));
        assert_eq!(traces[1]["txHash"], json!(transfer_hash));
        assert_eq!(traces[1]["result"]["gasUsed"], receipt["gasUsed"]);
        let by_hash = client
            .call("debug_traceBlockByHash", json!([block.hash, { "tracer": "callTracer" }]))
            .await;
        assert_eq!(by_hash, traces);

        let prestate = client
            .call("debug_traceTransaction", json!([transfer_hash, { "tracer": "prestateTracer" }]))
            .await;
        assert!(prestate.get(token.to_string().to_lowercase()).is_some(), "{prestate}");

        // traceCall on the latest state, and before the transfer with txIndex.
        let balance_of = DevToken::balanceOfCall { account: recipient }.abi_encode();
        let request = json!({ "to": token, "input": Bytes::from(balance_of) });
        let after = client
            .call("debug_traceCall", json!([request, "latest", { "tracer": "callTracer" }]))
            .await;
        assert_eq!(after["output"], json!(B256::from(U256::from(7))));
        let before = client
            .call(
                "debug_traceCall",
                json!([request, "0x1", { "tracer": "callTracer", "txIndex": "0x1" }]),
            )
            .await;
        assert_eq!(before["output"], json!(B256::ZERO));

        // An endless loop (JUMPDEST PUSH1 0 JUMP as init code) runs into the timeout.
        let endless =
            json!({ "from": wallet.address(), "input": "0x5b600056", "gas": "0x2faf080" });
        let timeout = client
            .request(
                "debug_traceCall",
                json!([endless, "latest", { "tracer": "callTracer", "timeout": "1ms" }]),
            )
            .await;
        assert_eq!(timeout, Err(json!({ "code": -32000, "message": "execution timeout" })));

        let missing = client.request("debug_traceTransaction", json!([B256::repeat_byte(9)])).await;
        assert_eq!(missing, Err(json!({ "code": -32000, "message": "transaction not found" })));
        let beyond = client.request("debug_traceBlockByNumber", json!(["0x9"])).await;
        assert_eq!(beyond, Err(json!({ "code": -32000, "message": "block #9 not found" })));
        let genesis = client.request("debug_traceBlockByNumber", json!(["0x0"])).await;
        assert_eq!(genesis, Err(json!({ "code": -32000, "message": "genesis is not traceable" })));
    }

    #[test]
    fn javascript_tracers_are_refused() {
        let options: GethDebugTracingOptions =
            serde_json::from_value(serde_json::json!({ "tracer": "{ result: function() {} }" }))
                .unwrap();
        let err = Tracer::new(&options).unwrap_err();
        assert_eq!(err.code(), -32000);
        assert!(err.message().contains("only the built-in tracers"), "{}", err.message());
    }

    #[test]
    fn invalid_timeouts_are_refused() {
        let options: GethDebugTracingOptions = serde_json::from_value(
            serde_json::json!({ "tracer": "callTracer", "timeout": "soon" }),
        )
        .unwrap();
        assert_eq!(Tracer::new(&options).unwrap_err().code(), -32602);
    }

    #[test]
    fn tracer_expires_after_its_timeout() {
        let options: GethDebugTracingOptions =
            serde_json::from_value(serde_json::json!({ "timeout": "0" })).unwrap();
        let mut tracer = Tracer::new(&options).unwrap();
        tracer.start().unwrap();
        // The clock is read every STEPS_PER_CLOCK_CHECK steps.
        for _ in 1..STEPS_PER_CLOCK_CHECK {
            assert!(!tracer.expired());
        }
        assert!(tracer.expired());
        assert!(tracer.expired());
        // A new transaction starts a new clock.
        tracer.timeout = Duration::from_secs(60);
        tracer.start().unwrap();
        for _ in 0..2 * STEPS_PER_CLOCK_CHECK {
            assert!(!tracer.expired());
        }
    }
}
