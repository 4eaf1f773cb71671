//! Polling filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs` and `eth_uninstallFilter`, with geth's semantics.
//!
//! Block and log filters keep a cursor, the first block they have not reported yet, and each
//! poll reads the blocks from there to the head out of the store: nothing is buffered between
//! polls and no block is missed however rarely a client polls. Pending-transaction filters hold a
//! receiver on the pool's announcements and drain it on each poll; a filter polled less often than
//! the pool announces [`PoolConfig::pending_subscription_capacity`] transactions misses the
//! oldest ones.
//!
//! A filter not polled with `eth_getFilterChanges` for five minutes (geth's default) expires;
//! expired filters are dropped whenever any filter method runs.
//!
//! [`PoolConfig::pending_subscription_capacity`]: crate::pool::PoolConfig::pending_subscription_capacity

use super::{
    EthApiServer, RpcContext,
    convert::{rpc_pending_transaction, rpc_transaction},
    error::{internal_error, server_error},
    eth::{MAX_LOG_RANGE, logs_matching},
};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B128, B256, U128};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log};
use jsonrpsee::{
    core::{RpcResult, async_trait},
    proc_macros::rpc,
    types::ErrorObjectOwned,
};
use op_alloy_rpc_types::Transaction;
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::broadcast::{self, error::TryRecvError};

/// How long a filter lives without being polled (geth's default filter timeout).
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// What `eth_getFilterChanges` returns: logs, block or transaction hashes, or full transactions.
pub(crate) type Changes = FilterChanges<Transaction, Log>;

/// The filter methods of the `eth_` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthFilterApi {
    /// Installs a filter for logs of new blocks matching the criteria; returns its id.
    #[method(name = "newFilter")]
    fn new_filter(&self, criteria: Filter) -> RpcResult<U128>;

    /// Installs a filter for the hashes of new blocks; returns its id.
    #[method(name = "newBlockFilter")]
    fn new_block_filter(&self) -> RpcResult<U128>;

    /// Installs a filter for transactions newly pending in the pool: their hashes, or the full
    /// transactions when `full_transactions` is true. Returns its id.
    #[method(name = "newPendingTransactionFilter")]
    fn new_pending_transaction_filter(&self, full_transactions: Option<bool>) -> RpcResult<U128>;

    /// What happened since the filter was last polled (or installed).
    #[method(name = "getFilterChanges")]
    async fn filter_changes(&self, id: U128) -> RpcResult<Changes>;

    /// Every log matching a log filter's criteria, as `eth_getLogs` with them would return.
    #[method(name = "getFilterLogs")]
    async fn filter_logs(&self, id: U128) -> RpcResult<Vec<Log>>;

    /// Removes a filter; false if there was none with this id.
    #[method(name = "uninstallFilter")]
    fn uninstall_filter(&self, id: U128) -> RpcResult<bool>;
}

/// The filter methods with their registry of installed filters.
#[derive(Debug, Clone)]
pub(crate) struct EthFilter {
    ctx: RpcContext,
    registry: Arc<FilterRegistry>,
}

impl EthFilter {
    /// Filter methods on `ctx`'s node, filters expiring after [`FILTER_TIMEOUT`].
    pub(crate) fn new(ctx: RpcContext) -> Self {
        Self { ctx, registry: Arc::new(FilterRegistry::new(FILTER_TIMEOUT)) }
    }

    fn head(&self) -> RpcResult<u64> {
        self.ctx.reader()?.head_number().map_err(internal_error)
    }

    fn lookup(&self, id: U128, poll: bool) -> RpcResult<Arc<Mutex<FilterState>>> {
        self.registry.get(id, Instant::now(), poll).ok_or_else(filter_not_found)
    }

    /// Everything `state` has to report since its last poll, advancing it.
    fn poll(&self, state: &mut FilterState) -> RpcResult<Changes> {
        match state {
            FilterState::Blocks { next } => {
                let reader = self.ctx.reader()?;
                let head = reader.head_number().map_err(internal_error)?;
                let hashes = (*next..=head)
                    .map(|number| {
                        reader.block_hash(number).map_err(internal_error)?.ok_or_else(|| {
                            internal_error(format!("canonical block {number} missing"))
                        })
                    })
                    .collect::<RpcResult<Vec<B256>>>()?;
                *next = (*next).max(head + 1);
                Ok(Changes::Hashes(hashes))
            }
            FilterState::Logs { live, next, .. } => {
                let reader = self.ctx.reader()?;
                let head = reader.head_number().map_err(internal_error)?;
                let from = (*next).max(live.get_from_block().unwrap_or(0));
                let to = head.min(live.get_to_block().unwrap_or(u64::MAX));
                let mut logs = Vec::new();
                let mut start = from;
                while start <= to {
                    let end = to.min(start + (MAX_LOG_RANGE - 1));
                    logs.extend(logs_matching(&reader, live, start, end)?);
                    start = end + 1;
                }
                *next = (*next).max(head + 1);
                Ok(Changes::Logs(logs))
            }
            FilterState::PendingTransactions { receiver, full } => {
                let mut hashes = Vec::new();
                loop {
                    match receiver.try_recv() {
                        Ok(hash) => hashes.push(hash),
                        Err(TryRecvError::Lagged(missed)) => {
                            tracing::debug!(missed, "pending transaction filter polled too rarely");
                        }
                        Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                    }
                }
                if !*full {
                    return Ok(Changes::Hashes(hashes));
                }
                let mut transactions = Vec::with_capacity(hashes.len());
                for hash in hashes {
                    transactions.extend(self.transaction(hash)?);
                }
                Ok(Changes::Transactions(transactions))
            }
        }
    }

    /// A transaction announced as pending: still pooled, or mined since. `None` if it was
    /// dropped.
    fn transaction(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        if let Some(pooled) = self.ctx.node.pool.get(&hash) {
            return Ok(Some(rpc_pending_transaction(pooled.tx().clone())));
        }
        Ok(self.ctx.mined_transaction(&hash)?.map(|(block, index)| rpc_transaction(&block, index)))
    }
}

#[async_trait]
impl EthFilterApiServer for EthFilter {
    fn new_filter(&self, criteria: Filter) -> RpcResult<U128> {
        let live = live_logs_filter(&criteria)?;
        let next = self.head()? + 1;
        let state = FilterState::Logs { criteria: Box::new(criteria), live: Box::new(live), next };
        Ok(self.registry.install(state, Instant::now()))
    }

    fn new_block_filter(&self) -> RpcResult<U128> {
        let next = self.head()? + 1;
        Ok(self.registry.install(FilterState::Blocks { next }, Instant::now()))
    }

    fn new_pending_transaction_filter(&self, full_transactions: Option<bool>) -> RpcResult<U128> {
        let state = FilterState::PendingTransactions {
            receiver: self.ctx.node.pool.subscribe_pending_transactions(),
            full: full_transactions.unwrap_or(false),
        };
        Ok(self.registry.install(state, Instant::now()))
    }

    async fn filter_changes(&self, id: U128) -> RpcResult<Changes> {
        let state = self.lookup(id, true)?;
        let this = self.clone();
        // Log filters scan blocks: keep that off the async workers.
        tokio::task::spawn_blocking(move || this.poll(&mut state.lock()))
            .await
            .map_err(internal_error)?
    }

    async fn filter_logs(&self, id: U128) -> RpcResult<Vec<Log>> {
        let state = self.lookup(id, false)?;
        let criteria = match &*state.lock() {
            FilterState::Logs { criteria, .. } => (**criteria).clone(),
            FilterState::Blocks { .. } | FilterState::PendingTransactions { .. } => {
                return Err(filter_not_found());
            }
        };
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || EthApiServer::logs(&ctx, criteria))
            .await
            .map_err(internal_error)?
    }

    fn uninstall_filter(&self, id: U128) -> RpcResult<bool> {
        Ok(self.registry.uninstall(id, Instant::now()))
    }
}

/// geth's answer for an unknown or expired filter id.
fn filter_not_found() -> ErrorObjectOwned {
    server_error("filter not found")
}

/// The filter that decides which logs of new blocks a log filter or `logs` subscription reports,
/// after geth's checks of its block range: `fromBlock` and `toBlock` are block numbers or
/// `latest` (no bound), `earliest` is block 0, `pending` is refused, and a range that is not
/// `latest`–`latest`, `n`–`latest` or `n`–`m` with `m >= n` is invalid. As in geth, a `blockHash`
/// does not restrict which new logs are reported.
pub(crate) fn live_logs_filter(criteria: &Filter) -> RpcResult<Filter> {
    let (from, to) = match criteria.block_option {
        FilterBlockOption::Range { from_block, to_block } => (from_block, to_block),
        FilterBlockOption::AtBlockHash(_) => (None, None),
    };
    if [from, to].iter().any(|tag| tag.is_some_and(|tag| tag.is_pending())) {
        return Err(server_error("pending logs are not supported"));
    }
    let invalid = || server_error("invalid from and to block combination");
    let bound = |tag: Option<BlockNumberOrTag>| match tag {
        None | Some(BlockNumberOrTag::Latest) => Ok(None),
        Some(BlockNumberOrTag::Earliest) => Ok(Some(0)),
        Some(BlockNumberOrTag::Number(number)) => Ok(Some(number)),
        Some(BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized | BlockNumberOrTag::Pending) => {
            Err(invalid())
        }
    };
    let (from, to) = (bound(from)?, bound(to)?);
    match (from, to) {
        (None, Some(_)) => return Err(invalid()),
        (Some(from), Some(to)) if to < from => return Err(invalid()),
        _ => {}
    }
    let mut live = criteria.clone();
    live.block_option = FilterBlockOption::Range {
        from_block: from.map(BlockNumberOrTag::Number),
        to_block: to.map(BlockNumberOrTag::Number),
    };
    Ok(live)
}

/// An installed filter's progress.
#[derive(Debug)]
enum FilterState {
    /// New block hashes; `next` is the first block not reported yet.
    Blocks { next: u64 },
    /// Logs of new blocks.
    Logs {
        /// The criteria as installed, for `eth_getFilterLogs`.
        criteria: Box<Filter>,
        /// The criteria new logs are matched against (see [`live_logs_filter`]).
        live: Box<Filter>,
        /// The first block not reported yet.
        next: u64,
    },
    /// Transactions newly pending in the pool.
    PendingTransactions {
        /// The pool's announcements since the last poll.
        receiver: broadcast::Receiver<B256>,
        /// Report full transactions rather than hashes.
        full: bool,
    },
}

#[derive(Debug)]
struct Installed {
    /// When the filter expires unless polled.
    deadline: Instant,
    /// Locked while the filter is polled, so concurrent polls report each change once.
    state: Arc<Mutex<FilterState>>,
}

/// Installed filters by id. Time is passed in so expiry can be tested.
#[derive(Debug)]
struct FilterRegistry {
    timeout: Duration,
    filters: Mutex<HashMap<U128, Installed>>,
}

impl FilterRegistry {
    fn new(timeout: Duration) -> Self {
        Self { timeout, filters: Mutex::new(HashMap::new()) }
    }

    /// Installs `state` under a fresh random id (a geth-style 128-bit hex quantity).
    fn install(&self, state: FilterState, now: Instant) -> U128 {
        let mut filters = self.filters.lock();
        Self::drop_expired(&mut filters, now);
        let id = loop {
            let id = U128::from_be_bytes(B128::random().0);
            if !id.is_zero() && !filters.contains_key(&id) {
                break id;
            }
        };
        let installed =
            Installed { deadline: now + self.timeout, state: Arc::new(Mutex::new(state)) };
        filters.insert(id, installed);
        id
    }

    /// The live filter `id`; `poll` restarts its expiry timer, as `eth_getFilterChanges` does.
    fn get(&self, id: U128, now: Instant, poll: bool) -> Option<Arc<Mutex<FilterState>>> {
        let mut filters = self.filters.lock();
        Self::drop_expired(&mut filters, now);
        let installed = filters.get_mut(&id)?;
        if poll {
            installed.deadline = now + self.timeout;
        }
        Some(installed.state.clone())
    }

    /// Removes filter `id`; false if it was not installed (or had expired).
    fn uninstall(&self, id: U128, now: Instant) -> bool {
        let mut filters = self.filters.lock();
        Self::drop_expired(&mut filters, now);
        filters.remove(&id).is_some()
    }

    fn drop_expired(filters: &mut HashMap<U128, Installed>, now: Instant) {
        filters.retain(|_, installed| installed.deadline > now);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.filters.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, LogData, b256};
    use rstest::rstest;

    fn blocks(next: u64) -> FilterState {
        FilterState::Blocks { next }
    }

    #[test]
    fn filters_expire_unless_polled() {
        let registry = FilterRegistry::new(Duration::from_secs(300));
        let start = Instant::now();
        let polled = registry.install(blocks(1), start);
        let idle = registry.install(blocks(1), start);
        assert_ne!(polled, idle);

        // A poll before the deadline restarts the timer; a plain lookup does not.
        assert!(registry.get(polled, start + Duration::from_secs(200), true).is_some());
        assert!(registry.get(idle, start + Duration::from_secs(200), false).is_some());
        let later = start + Duration::from_secs(301);
        assert!(registry.get(idle, later, true).is_none());
        assert!(registry.get(polled, later, true).is_some());
        assert_eq!(registry.len(), 1);

        // Expired filters go on any registry call, not only when looked up.
        let much_later = later + Duration::from_secs(301);
        registry.install(blocks(1), much_later);
        assert_eq!(registry.len(), 1);
        assert!(!registry.uninstall(polled, much_later));
    }

    #[test]
    fn uninstall_removes_once() {
        let registry = FilterRegistry::new(Duration::from_secs(300));
        let now = Instant::now();
        let id = registry.install(blocks(1), now);
        assert!(registry.uninstall(id, now));
        assert!(!registry.uninstall(id, now));
        assert!(registry.get(id, now, true).is_none());
    }

    #[test]
    fn ids_are_hex_quantities() {
        let registry = FilterRegistry::new(Duration::from_secs(300));
        let id = registry.install(blocks(1), Instant::now());
        let json = serde_json::to_value(id).unwrap();
        let text = json.as_str().unwrap();
        assert!(text.starts_with("0x") && !text.starts_with("0x0"), "{text}");
        assert_eq!(serde_json::from_value::<U128>(json).unwrap(), id);
    }

    fn range(from: Option<BlockNumberOrTag>, to: Option<BlockNumberOrTag>) -> Filter {
        Filter {
            block_option: FilterBlockOption::Range { from_block: from, to_block: to },
            ..Default::default()
        }
    }

    #[rstest]
    #[case::latest_latest(None, None, Ok((None, None)))]
    #[case::explicit_latest(Some(BlockNumberOrTag::Latest), Some(BlockNumberOrTag::Latest), Ok((None, None)))]
    #[case::from_number(Some(BlockNumberOrTag::Number(5)), None, Ok((Some(5), None)))]
    #[case::number_range(Some(BlockNumberOrTag::Number(5)), Some(BlockNumberOrTag::Number(9)), Ok((Some(5), Some(9))))]
    #[case::earliest(Some(BlockNumberOrTag::Earliest), None, Ok((Some(0), None)))]
    #[case::backwards(
        Some(BlockNumberOrTag::Number(9)),
        Some(BlockNumberOrTag::Number(5)),
        Err("invalid from and to block combination")
    )]
    #[case::latest_to_number(
        None,
        Some(BlockNumberOrTag::Number(5)),
        Err("invalid from and to block combination")
    )]
    #[case::safe(Some(BlockNumberOrTag::Safe), None, Err("invalid from and to block combination"))]
    #[case::pending(None, Some(BlockNumberOrTag::Pending), Err("pending logs are not supported"))]
    fn live_filter_ranges_follow_geth(
        #[case] from: Option<BlockNumberOrTag>,
        #[case] to: Option<BlockNumberOrTag>,
        #[case] expected: Result<(Option<u64>, Option<u64>), &str>,
    ) {
        let result = live_logs_filter(&range(from, to))
            .map(|live| (live.get_from_block(), live.get_to_block()))
            .map_err(|err| {
                assert_eq!(err.code(), -32000);
                err.message().to_owned()
            });
        assert_eq!(result, expected.map_err(str::to_owned));
    }

    #[tokio::test]
    async fn filters_report_new_blocks_logs_and_pending_transactions_once() {
        use crate::rpc::pubsub::test_node::{TestNode, Wallet};
        use alloy_primitives::{TxKind, U256};
        use alloy_sol_types::{SolCall, SolEvent};
        use serde_json::json;
        use trex_bindings::DevToken;

        let test = TestNode::start().await;
        let mut client = test.client().await;
        let mut wallet = Wallet::dev();
        let (deploy, token) = wallet.deploy_token();
        let transfer_topic = DevToken::Transfer::SIGNATURE_HASH;

        let blocks = client.call("eth_newBlockFilter", json!([])).await;
        let logs = client
            .call("eth_newFilter", json!([{ "address": token, "topics": [transfer_topic] }]))
            .await;
        let pending = client.call("eth_newPendingTransactionFilter", json!([])).await;
        let pending_full = client.call("eth_newPendingTransactionFilter", json!([true])).await;
        for id in [&blocks, &logs, &pending, &pending_full] {
            assert!(id.as_str().unwrap().starts_with("0x"), "{id}");
            assert_eq!(client.call("eth_getFilterChanges", json!([id])).await, json!([]));
        }

        let deploy_hash = client.send_raw(&deploy).await;
        assert_eq!(
            client.call("eth_getFilterChanges", json!([pending])).await,
            json!([deploy_hash])
        );
        assert_eq!(client.call("eth_getFilterChanges", json!([pending])).await, json!([]));
        let full = client.call("eth_getFilterChanges", json!([pending_full])).await;
        assert_eq!(full[0]["hash"], json!(deploy_hash));
        assert_eq!(full[0]["from"], json!(wallet.address()));

        let first = test.produce_block().await;
        let transfer =
            DevToken::transferCall { to: Address::repeat_byte(0x42), value: U256::from(7) };
        let raw =
            wallet.sign(TxKind::Call(token), transfer.abi_encode().into(), 100_000, 1_000_000_000);
        let transfer_hash = client.send_raw(&raw).await;
        let second = test.produce_block().await;

        assert_eq!(
            client.call("eth_getFilterChanges", json!([blocks])).await,
            json!([first.hash, second.hash])
        );
        assert_eq!(client.call("eth_getFilterChanges", json!([blocks])).await, json!([]));
        let changes = client.call("eth_getFilterChanges", json!([logs])).await;
        let changes = changes.as_array().unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes[0]["transactionHash"], json!(deploy_hash));
        assert_eq!(changes[1]["transactionHash"], json!(transfer_hash));
        assert_eq!(changes[1]["blockNumber"], "0x2");
        assert_eq!(changes[1]["logIndex"], "0x0");
        assert_eq!(client.call("eth_getFilterChanges", json!([logs])).await, json!([]));

        // getFilterLogs answers the criteria as eth_getLogs does, whatever was polled: without a
        // range, the latest block's logs.
        assert_eq!(client.call("eth_getFilterLogs", json!([logs])).await, json!([changes[1]]));
        let range = client
            .call(
                "eth_newFilter",
                json!([{ "fromBlock": "0x2", "toBlock": "0x2", "address": token }]),
            )
            .await;
        let in_range = client.call("eth_getFilterLogs", json!([range])).await;
        assert_eq!(in_range.as_array().unwrap().len(), 1);
        assert_eq!(in_range[0]["transactionHash"], json!(transfer_hash));
        let not_found = json!({ "code": -32000, "message": "filter not found" });
        assert_eq!(
            client.request("eth_getFilterLogs", json!([blocks])).await,
            Err(not_found.clone())
        );

        assert_eq!(client.call("eth_uninstallFilter", json!([logs])).await, json!(true));
        assert_eq!(client.call("eth_uninstallFilter", json!([logs])).await, json!(false));
        assert_eq!(
            client.request("eth_getFilterChanges", json!([logs])).await,
            Err(not_found.clone())
        );
        assert_eq!(client.request("eth_getFilterChanges", json!(["0x1234"])).await, Err(not_found));
        let invalid = client
            .request("eth_newFilter", json!([{ "fromBlock": "0x5", "toBlock": "0x2" }]))
            .await;
        assert_eq!(invalid.unwrap_err()["message"], "invalid from and to block combination");
    }

    #[test]
    fn live_filter_ignores_block_hash_and_matches_address_and_topics() {
        let token = Address::repeat_byte(0xaa);
        let transfer = b256!("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
        let criteria = Filter::new()
            .at_block_hash(B256::repeat_byte(1))
            .address(token)
            .event_signature(transfer);
        let live = live_logs_filter(&criteria).unwrap();
        let log = |address, topic, number| Log {
            inner: alloy_primitives::Log {
                address,
                data: LogData::new_unchecked(vec![topic], Default::default()),
            },
            block_hash: Some(B256::repeat_byte(2)),
            block_number: Some(number),
            ..Default::default()
        };
        assert!(live.rpc_matches(&log(token, transfer, 7)));
        assert!(!live.rpc_matches(&log(Address::repeat_byte(0xbb), transfer, 7)));
        assert!(!live.rpc_matches(&log(token, B256::ZERO, 7)));
        let bounded = live_logs_filter(&range(
            Some(BlockNumberOrTag::Number(5)),
            Some(BlockNumberOrTag::Number(6)),
        ))
        .unwrap();
        assert!(bounded.rpc_matches(&log(token, transfer, 5)));
        assert!(!bounded.rpc_matches(&log(token, transfer, 7)));
    }
}
