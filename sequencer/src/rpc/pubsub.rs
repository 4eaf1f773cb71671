//! `eth_subscribe` and `eth_unsubscribe` over WebSocket, with geth's subscription kinds:
//! `newHeads` (the RPC header of each new block), `logs` (new logs matching an address and topics
//! filter), `newPendingTransactions` (hashes, or full transactions with `true`) and
//! `transactionReceipts` (each new block's receipts, optionally only for given transaction
//! hashes). Notifications go out as `eth_subscription`.
//!
//! Every subscription runs as its own task reading its own receiver of the node's broadcast
//! channels, so a slow subscriber never holds up block production or other subscribers. A
//! subscriber that does not take a notification within [`SEND_TIMEOUT`], or falls so far behind
//! that the channel drops announcements it has not read, is closed with an error notification
//! rather than silently skipping events.

use super::{
    RpcContext,
    convert::{rpc_header, rpc_logs, rpc_pending_transaction, rpc_receipts},
    error::invalid_params,
    filter::live_logs_filter,
};
use alloy_primitives::B256;
use alloy_rpc_types_eth::{
    Filter,
    pubsub::{Params, SubscriptionKind, TransactionReceiptsParams},
};
use jsonrpsee::{
    PendingSubscriptionSink, SendTimeoutError, SubscriptionSink,
    core::{SubscriptionResult, async_trait},
    proc_macros::rpc,
    types::ErrorObjectOwned,
};
use serde::Serialize;
use std::{collections::HashSet, time::Duration};
use tokio::sync::broadcast::{self, error::RecvError};

/// How long a subscriber may leave its connection's buffer full before it is dropped.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The publish-subscribe methods of the `eth_` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthPubSubApi {
    /// Creates a subscription of `kind` (with its `params`); its notifications are sent as
    /// `eth_subscription` until `eth_unsubscribe` or the connection closes.
    #[subscription(
        name = "subscribe" => "subscription",
        unsubscribe = "unsubscribe",
        item = serde_json::Value
    )]
    async fn subscribe(&self, kind: SubscriptionKind, params: Option<Params>)
    -> SubscriptionResult;
}

/// The subscription methods, on the node's block and pending transaction announcements.
#[derive(Debug, Clone)]
pub(crate) struct EthPubSub {
    ctx: RpcContext,
}

impl EthPubSub {
    /// Subscriptions to `ctx`'s node.
    pub(crate) const fn new(ctx: RpcContext) -> Self {
        Self { ctx }
    }
}

#[async_trait]
impl EthPubSubApiServer for EthPubSub {
    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        kind: SubscriptionKind,
        params: Option<Params>,
    ) -> SubscriptionResult {
        let feed = match Feed::new(kind, params.unwrap_or_default()) {
            Ok(feed) => feed,
            Err(err) => {
                pending.reject(err).await;
                return Ok(());
            }
        };
        let node = &self.ctx.node;
        match feed {
            Feed::Heads => {
                let blocks = node.subscribe_blocks();
                forward(pending.accept().await?, blocks, |block| vec![rpc_header(&block)]).await
            }
            Feed::Logs(filter) => {
                let blocks = node.subscribe_blocks();
                forward(pending.accept().await?, blocks, move |block| {
                    if !filter.matches_bloom(block.header.logs_bloom) {
                        return Vec::new();
                    }
                    rpc_logs(&block).into_iter().filter(|log| filter.rpc_matches(log)).collect()
                })
                .await
            }
            Feed::PendingHashes => {
                let hashes = node.pool.subscribe_pending_transactions();
                forward(pending.accept().await?, hashes, |hash| vec![hash]).await
            }
            Feed::PendingTransactions => {
                let hashes = node.pool.subscribe_pending_transactions();
                let ctx = self.ctx.clone();
                forward(pending.accept().await?, hashes, move |hash| {
                    // A transaction mined or dropped before it could be announced is skipped.
                    ctx.node
                        .pool
                        .get(&hash)
                        .map(|tx| rpc_pending_transaction(tx.tx().clone()))
                        .into_iter()
                        .collect()
                })
                .await
            }
            Feed::Receipts(hashes) => {
                let blocks = node.subscribe_blocks();
                forward(pending.accept().await?, blocks, move |block| {
                    let receipts: Vec<_> = rpc_receipts(&block)
                        .into_iter()
                        .filter(|receipt| {
                            hashes.as_ref().is_none_or(|wanted| {
                                wanted.contains(&receipt.inner.transaction_hash)
                            })
                        })
                        .collect();
                    if receipts.is_empty() { Vec::new() } else { vec![receipts] }
                })
                .await
            }
        }
    }
}

/// What a subscription reports, checked from its kind and parameters.
#[derive(Debug, PartialEq)]
enum Feed {
    Heads,
    Logs(Box<Filter>),
    PendingHashes,
    PendingTransactions,
    /// Receipts of new blocks, only of these transactions if given.
    Receipts(Option<HashSet<B256>>),
}

impl Feed {
    fn new(kind: SubscriptionKind, params: Params) -> Result<Self, ErrorObjectOwned> {
        match (kind, params) {
            (SubscriptionKind::NewHeads, Params::None) => Ok(Self::Heads),
            (SubscriptionKind::Logs, Params::None) => Ok(Self::Logs(Box::default())),
            (SubscriptionKind::Logs, Params::Logs(filter)) => {
                Ok(Self::Logs(Box::new(live_logs_filter(&filter)?)))
            }
            (SubscriptionKind::NewPendingTransactions, Params::None | Params::Bool(false)) => {
                Ok(Self::PendingHashes)
            }
            (SubscriptionKind::NewPendingTransactions, Params::Bool(true)) => {
                Ok(Self::PendingTransactions)
            }
            (SubscriptionKind::TransactionReceipts, Params::None) => Ok(Self::Receipts(None)),
            (
                SubscriptionKind::TransactionReceipts,
                Params::TransactionReceipts(TransactionReceiptsParams { transaction_hashes }),
            ) => Ok(Self::Receipts(
                transaction_hashes.filter(|hashes| !hashes.is_empty()).map(HashSet::from_iter),
            )),
            (SubscriptionKind::Syncing, _) => Err(invalid_params(
                "syncing subscriptions are not supported: the sequencer produces the chain and \
                 never syncs",
            )),
            (kind, _) => Err(invalid_params(format!("invalid parameters for {kind} subscription"))),
        }
    }
}

/// Sends `notifications(event)` for every event on `events` until the subscriber leaves, the
/// source closes, or the subscriber falls behind (then it is closed with an error).
async fn forward<E, N, F>(
    sink: SubscriptionSink,
    mut events: broadcast::Receiver<E>,
    mut notifications: F,
) -> SubscriptionResult
where
    E: Clone,
    N: Serialize,
    F: FnMut(E) -> Vec<N>,
{
    loop {
        let event = tokio::select! {
            () = sink.closed() => return Ok(()),
            event = events.recv() => event,
        };
        match event {
            Ok(event) => {
                for notification in notifications(event) {
                    if !send(&sink, &notification).await? {
                        return Ok(());
                    }
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(
                    missed,
                    method = sink.method_name(),
                    "closing lagging subscription"
                );
                return Err(format!("subscriber too slow: {missed} events dropped").into());
            }
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}

/// Sends one notification; false if the subscriber is gone.
async fn send(
    sink: &SubscriptionSink,
    notification: &impl Serialize,
) -> Result<bool, jsonrpsee::core::SubscriptionError> {
    let message = serde_json::value::to_raw_value(notification).map_err(|err| err.to_string())?;
    match sink.send_timeout(message, SEND_TIMEOUT).await {
        Ok(()) => Ok(true),
        Err(SendTimeoutError::Closed(_)) => Ok(false),
        Err(SendTimeoutError::Timeout(_)) => {
            tracing::debug!(method = sink.method_name(), "closing stalled subscription");
            Err(format!("subscriber too slow: notification not read within {SEND_TIMEOUT:?}")
                .into())
        }
    }
}

/// An in-process node with its JSON-RPC server, and a minimal WebSocket JSON-RPC client, for
/// the tests of the RPC modules.
#[cfg(test)]
pub(crate) mod test_node {
    use crate::{
        node::{Node, ProducerConfig, SEQUENCER_FEE_VAULT},
        pool::PoolConfig,
        rpc::{RpcConfig, RpcContext, start_server},
        storage::StoredBlock,
    };
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::Encodable2718;
    use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use alloy_sol_types::SolConstructor;
    use jsonrpsee::server::ServerHandle;
    use op_alloy_consensus::OpTxEnvelope;
    use serde_json::{Value, json};
    use soketto::{
        connection::{Receiver, Sender},
        handshake::{Client, ServerResponse},
    };
    use std::{collections::VecDeque, net::SocketAddr, sync::Arc, time::Duration};
    use tokio::net::TcpStream;
    use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};
    use trex_bindings::DevToken;
    use trex_chainspec::{ChainSpec, DEVNET_CHAIN_ID};

    /// The first devnet account (funded at genesis).
    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    /// Tokens the test token mints to its deployer.
    pub(crate) const INITIAL_SUPPLY: u64 = 1_000_000;

    /// A devnet node serving JSON-RPC on a free local port; blocks are produced on demand.
    pub(crate) struct TestNode {
        pub(crate) node: Arc<Node>,
        addr: SocketAddr,
        _server: ServerHandle,
        _datadir: tempfile::TempDir,
    }

    impl TestNode {
        pub(crate) async fn start() -> Self {
            Self::start_with_pool(PoolConfig::default()).await
        }

        pub(crate) async fn start_with_pool(pool: PoolConfig) -> Self {
            let datadir = tempfile::tempdir().expect("temp dir");
            let producer = ProducerConfig {
                block_time: Duration::from_secs(3600),
                gas_limit: 30_000_000,
                fee_recipient: SEQUENCER_FEE_VAULT,
            };
            let node =
                Node::open(ChainSpec::devnet(), datadir.path().to_path_buf(), producer, pool)
                    .expect("node opens");
            let config =
                RpcConfig { addr: SocketAddr::from(([127, 0, 0, 1], 0)), ..Default::default() };
            let (addr, server) = start_server(RpcContext { node: node.clone(), config })
                .await
                .expect("server starts");
            Self { node, addr, _server: server, _datadir: datadir }
        }

        /// Produces one block from the pool.
        pub(crate) async fn produce_block(&self) -> Arc<StoredBlock> {
            let node = self.node.clone();
            tokio::task::spawn_blocking(move || node.produce_block())
                .await
                .expect("producer task")
                .expect("block produced")
        }

        /// A new WebSocket connection to the server.
        pub(crate) async fn client(&self) -> WsClient {
            WsClient::connect(self.addr).await
        }
    }

    /// Signs transactions from the first devnet account, counting its nonce.
    pub(crate) struct Wallet {
        signer: PrivateKeySigner,
        nonce: u64,
    }

    impl Wallet {
        pub(crate) fn dev() -> Self {
            Self { signer: DEV_KEY.parse().expect("valid key"), nonce: 0 }
        }

        pub(crate) fn address(&self) -> Address {
            self.signer.address()
        }

        /// A signed EIP-1559 transaction with the given priority fee (the fee cap is 100 gwei).
        pub(crate) fn sign(
            &mut self,
            to: TxKind,
            input: Bytes,
            gas_limit: u64,
            tip: u128,
        ) -> Bytes {
            let tx = TxEip1559 {
                chain_id: DEVNET_CHAIN_ID,
                nonce: self.nonce,
                gas_limit,
                max_fee_per_gas: 100_000_000_000,
                max_priority_fee_per_gas: tip,
                to,
                value: U256::ZERO,
                input,
                access_list: Default::default(),
            };
            self.nonce += 1;
            let signature = self.signer.sign_hash_sync(&tx.signature_hash()).expect("signs");
            OpTxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718().into()
        }

        /// Deployment of the ERC-20 test token minting [`INITIAL_SUPPLY`] to this account;
        /// returns the raw transaction and the token's address.
        pub(crate) fn deploy_token(&mut self) -> (Bytes, Address) {
            let token = self.signer.address().create(self.nonce);
            let constructor = DevToken::constructorCall {
                name_: "Test".into(),
                symbol_: "TST".into(),
                initialSupply: U256::from(INITIAL_SUPPLY),
            };
            let init_code: Bytes =
                [DevToken::BYTECODE.as_ref(), &constructor.abi_encode()].concat().into();
            (self.sign(TxKind::Create, init_code, 3_000_000, 1_000_000_000), token)
        }
    }

    /// A JSON-RPC client over one WebSocket connection, keeping notifications that arrive
    /// while it waits for a response.
    pub(crate) struct WsClient {
        sender: Sender<Compat<TcpStream>>,
        receiver: Receiver<Compat<TcpStream>>,
        next_id: u64,
        notifications: VecDeque<Value>,
    }

    impl WsClient {
        async fn connect(addr: SocketAddr) -> Self {
            let socket = TcpStream::connect(addr).await.expect("connects").compat();
            let host = addr.to_string();
            let mut client = Client::new(socket, &host, "/");
            match client.handshake().await.expect("handshake") {
                ServerResponse::Accepted { .. } => {}
                other => panic!("websocket upgrade refused: {other:?}"),
            }
            let (sender, receiver) = client.into_builder().finish();
            Self { sender, receiver, next_id: 1, notifications: VecDeque::new() }
        }

        async fn receive(&mut self) -> Value {
            let mut data = Vec::new();
            tokio::time::timeout(Duration::from_secs(20), self.receiver.receive_data(&mut data))
                .await
                .expect("a message within 20 s")
                .expect("websocket open");
            serde_json::from_slice(&data).expect("JSON message")
        }

        /// The `result` of a call, or its `error` object.
        pub(crate) async fn request(
            &mut self,
            method: &str,
            params: Value,
        ) -> Result<Value, Value> {
            let id = self.next_id;
            self.next_id += 1;
            let request = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
            self.sender.send_text(request.to_string()).await.expect("sent");
            self.sender.flush().await.expect("flushed");
            loop {
                let mut message = self.receive().await;
                if message.get("id") == Some(&json!(id)) {
                    return match message.get_mut("error") {
                        Some(error) => Err(error.take()),
                        None => Ok(message["result"].take()),
                    };
                }
                self.notifications.push_back(message);
            }
        }

        /// The `result` of a call that must succeed.
        pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
            self.request(method, params)
                .await
                .unwrap_or_else(|error| panic!("{method} failed: {error}"))
        }

        /// The next notification: its `params` (`subscription` and `result` or `error`).
        pub(crate) async fn notification(&mut self) -> Value {
            let mut message = match self.notifications.pop_front() {
                Some(message) => message,
                None => self.receive().await,
            };
            assert_eq!(message["method"], "eth_subscription", "not a notification: {message}");
            message["params"].take()
        }

        /// Submits a raw transaction; returns its hash.
        pub(crate) async fn send_raw(&mut self, raw: &Bytes) -> B256 {
            serde_json::from_value(self.call("eth_sendRawTransaction", json!([raw])).await)
                .expect("a hash")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        test_node::{INITIAL_SUPPLY, TestNode, Wallet},
        *,
    };
    use alloy_primitives::{Address, TxKind, U256};
    use alloy_sol_types::{SolCall, SolEvent};
    use serde_json::{Value, json};
    use trex_bindings::DevToken;

    #[tokio::test]
    async fn subscriptions_notify_heads_logs_pending_transactions_and_receipts() {
        let test = TestNode::start().await;
        let mut client = test.client().await;
        let mut wallet = Wallet::dev();
        let (deploy, token) = wallet.deploy_token();

        let heads = client.call("eth_subscribe", json!(["newHeads"])).await;
        let transfers = client
            .call(
                "eth_subscribe",
                json!(["logs", { "address": token, "topics": [DevToken::Transfer::SIGNATURE_HASH] }]),
            )
            .await;
        let pending = client.call("eth_subscribe", json!(["newPendingTransactions"])).await;
        let receipts = client
            .call("eth_subscribe", json!(["transactionReceipts", { "transactionHashes": [] }]))
            .await;
        assert_ne!(heads, transfers);

        let deploy_hash = client.send_raw(&deploy).await;
        let notification = client.notification().await;
        assert_eq!(notification, json!({ "subscription": pending, "result": deploy_hash }));

        let block = test.produce_block().await;
        let mut by_subscription = std::collections::HashMap::new();
        for _ in 0..3 {
            let notification = client.notification().await;
            by_subscription
                .insert(notification["subscription"].to_string(), notification["result"].clone());
        }
        let head = &by_subscription[&heads.to_string()];
        assert_eq!(head["number"], "0x1");
        assert_eq!(head["hash"], json!(block.hash));
        assert_eq!(head["parentHash"], json!(block.header.parent_hash));
        let mint = &by_subscription[&transfers.to_string()];
        assert_eq!(mint["address"], json!(token));
        assert_eq!(mint["topics"][1], json!(Address::ZERO.into_word()));
        assert_eq!(mint["topics"][2], json!(wallet.address().into_word()));
        assert_eq!(mint["data"], json!(B256::from(U256::from(INITIAL_SUPPLY))));
        assert_eq!(mint["transactionHash"], json!(deploy_hash));
        assert_eq!(mint["blockNumber"], "0x1");
        let block_receipts = &by_subscription[&receipts.to_string()];
        assert_eq!(block_receipts.as_array().unwrap().len(), 1);
        assert_eq!(block_receipts[0]["contractAddress"], json!(token));
        assert_eq!(block_receipts[0]["status"], "0x1");

        // After unsubscribing only the remaining subscriptions notify.
        assert_eq!(client.call("eth_unsubscribe", json!([pending])).await, json!(true));
        assert_eq!(client.call("eth_unsubscribe", json!([receipts])).await, json!(true));
        assert_eq!(client.call("eth_unsubscribe", json!([receipts])).await, json!(false));
        let transfer =
            DevToken::transferCall { to: Address::repeat_byte(0x42), value: U256::from(7) };
        let raw =
            wallet.sign(TxKind::Call(token), transfer.abi_encode().into(), 100_000, 1_000_000_000);
        let transfer_hash = client.send_raw(&raw).await;
        test.produce_block().await;
        let first = client.notification().await;
        let second = client.notification().await;
        let (head, log) =
            if first["subscription"] == heads { (first, second) } else { (second, first) };
        assert_eq!(head["result"]["number"], "0x2");
        assert_eq!(log["subscription"], transfers);
        assert_eq!(log["result"]["transactionHash"], json!(transfer_hash));
        assert_eq!(log["result"]["topics"][2], json!(Address::repeat_byte(0x42).into_word()));
        assert_eq!(log["result"]["data"], json!(B256::from(U256::from(7))));
    }

    #[tokio::test]
    async fn lagging_subscriber_is_closed_without_holding_up_the_node() {
        use crate::{
            pool::PoolConfig,
            rpc::{RpcConfig, build_module},
        };

        let pool = PoolConfig { pending_subscription_capacity: 4, ..Default::default() };
        let test = TestNode::start_with_pool(pool).await;
        let ctx = RpcContext { node: test.node.clone(), config: RpcConfig::default() };
        // An in-process subscriber whose connection buffers a single notification.
        let mut subscription = build_module(ctx)
            .subscribe("eth_subscribe", ["newPendingTransactions"], 1)
            .await
            .unwrap();

        // The pool keeps accepting transactions while the subscriber reads nothing.
        let mut client = test.client().await;
        let mut wallet = Wallet::dev();
        let mut hashes = Vec::new();
        for _ in 0..12 {
            let raw = wallet.sign(
                TxKind::Call(Address::repeat_byte(0x42)),
                Default::default(),
                21_000,
                1_000_000_000,
            );
            hashes.push(client.send_raw(&raw).await);
        }

        // It gets what was in flight, then the subscription ends instead of skipping events.
        let mut received = Vec::new();
        while let Some(notification) =
            tokio::time::timeout(std::time::Duration::from_secs(5), subscription.next::<B256>())
                .await
                .expect("the subscription ends")
        {
            received.push(notification.unwrap().0);
        }
        assert!(!received.is_empty() && received.len() < hashes.len(), "{received:?}");
        assert_eq!(received, hashes[..received.len()]);
    }

    #[tokio::test]
    async fn invalid_subscriptions_are_refused() {
        let test = TestNode::start().await;
        let mut client = test.client().await;
        let error = |result: Result<Value, Value>| result.expect_err("refused");
        let syncing = error(client.request("eth_subscribe", json!(["syncing"])).await);
        assert_eq!(syncing["code"], -32602);
        let pending_logs = error(
            client.request("eth_subscribe", json!(["logs", { "fromBlock": "pending" }])).await,
        );
        assert_eq!(
            pending_logs,
            json!({ "code": -32000, "message": "pending logs are not supported" })
        );
        let heads_with_filter =
            error(client.request("eth_subscribe", json!(["newHeads", { "address": [] }])).await);
        assert_eq!(heads_with_filter["code"], -32602);
        let unknown = error(client.request("eth_subscribe", json!(["newBlocks"])).await);
        assert_eq!(unknown["code"], -32602);
    }

    #[test]
    fn feeds_follow_kind_and_params() {
        assert_eq!(Feed::new(SubscriptionKind::NewHeads, Params::None).unwrap(), Feed::Heads);
        assert_eq!(
            Feed::new(SubscriptionKind::NewPendingTransactions, Params::Bool(true)).unwrap(),
            Feed::PendingTransactions
        );
        assert_eq!(
            Feed::new(SubscriptionKind::NewPendingTransactions, Params::Bool(false)).unwrap(),
            Feed::PendingHashes
        );
        let hash = alloy_primitives::B256::repeat_byte(1);
        let params = Params::TransactionReceipts(TransactionReceiptsParams {
            transaction_hashes: Some(vec![hash]),
        });
        assert_eq!(
            Feed::new(SubscriptionKind::TransactionReceipts, params).unwrap(),
            Feed::Receipts(Some(HashSet::from([hash])))
        );
        assert!(Feed::new(SubscriptionKind::NewHeads, Params::Bool(true)).is_err());
    }
}
