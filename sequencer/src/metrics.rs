//! Prometheus metrics and the `/metrics` endpoint.

use crate::{error::NodeError, pool::PoolStatus, storage::StoredBlock};
use jsonrpsee::{
    core::middleware::{Batch, Notification, RpcServiceT},
    server::middleware::rpc::RpcServiceBuilder,
    types::Request,
};
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntGauge, Registry};
use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// The node's metrics, registered in their own registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Latest block number.
    pub head: IntGauge,
    /// Blocks produced.
    pub blocks: IntCounter,
    /// Transactions included.
    pub transactions: IntCounter,
    /// Gas used by produced blocks.
    pub gas: IntCounter,
    /// Gas per second of the last block's build time.
    pub gas_per_second: IntGauge,
    /// Seconds to build and commit a block.
    pub block_build_seconds: Histogram,
    /// Pending transactions in the pool.
    pub pool_pending: IntGauge,
    /// Queued transactions in the pool.
    pub pool_queued: IntGauge,
    /// JSON-RPC latency by method.
    pub rpc_seconds: HistogramVec,
    /// Rollup mode: the safe L2 head (derived from L1 data).
    pub safe_head: IntGauge,
    /// Rollup mode: the finalized L2 head.
    pub finalized_head: IntGauge,
    /// Rollup mode: the L1 block derivation has read up to.
    pub l1_derived: IntGauge,
    /// Rollup mode: blocks removed by an unwind (L1 reorg or a block replaced by derivation).
    pub unwound_blocks: IntCounter,
}

impl Metrics {
    /// Creates and registers all metrics.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("trex".into()), None).expect("valid prefix");
        let head = IntGauge::new("head_block", "Latest block number").expect("valid");
        let blocks = IntCounter::new("blocks_total", "Blocks produced").expect("valid");
        let transactions =
            IntCounter::new("transactions_total", "Transactions included").expect("valid");
        let gas = IntCounter::new("gas_used_total", "Gas used by produced blocks").expect("valid");
        let gas_per_second =
            IntGauge::new("gas_per_second", "Gas per second of the last block build")
                .expect("valid");
        let block_build_seconds = Histogram::with_opts(
            HistogramOpts::new("block_build_seconds", "Time to build and commit a block")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
        )
        .expect("valid");
        let pool_pending = IntGauge::new("txpool_pending", "Pending transactions").expect("valid");
        let pool_queued = IntGauge::new("txpool_queued", "Queued transactions").expect("valid");
        let rpc_seconds = HistogramVec::new(
            HistogramOpts::new("rpc_request_seconds", "JSON-RPC request latency by method")
                .buckets(vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0]),
            &["method"],
        )
        .expect("valid");
        let safe_head =
            IntGauge::new("safe_head_block", "Safe L2 head (derived from L1 data)").expect("valid");
        let finalized_head =
            IntGauge::new("finalized_head_block", "Finalized L2 head").expect("valid");
        let l1_derived =
            IntGauge::new("l1_derived_block", "L1 block derivation has read up to").expect("valid");
        let unwound_blocks =
            IntCounter::new("unwound_blocks_total", "Blocks removed by an unwind").expect("valid");
        for metric in [
            Box::new(head.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(safe_head.clone()),
            Box::new(finalized_head.clone()),
            Box::new(l1_derived.clone()),
            Box::new(unwound_blocks.clone()),
            Box::new(blocks.clone()),
            Box::new(transactions.clone()),
            Box::new(gas.clone()),
            Box::new(gas_per_second.clone()),
            Box::new(block_build_seconds.clone()),
            Box::new(pool_pending.clone()),
            Box::new(pool_queued.clone()),
            Box::new(rpc_seconds.clone()),
        ] {
            registry.register(metric).expect("unique metric names");
        }
        Self {
            registry,
            head,
            blocks,
            transactions,
            gas,
            gas_per_second,
            block_build_seconds,
            pool_pending,
            pool_queued,
            rpc_seconds,
            safe_head,
            finalized_head,
            l1_derived,
            unwound_blocks,
        }
    }

    /// Records a produced block.
    pub fn record_block(&self, block: &StoredBlock, elapsed: Duration, pool: PoolStatus) {
        self.head.set(block.header.number as i64);
        self.blocks.inc();
        self.transactions.inc_by(block.transactions.len() as u64);
        self.gas.inc_by(block.header.gas_used);
        self.gas_per_second
            .set((block.header.gas_used as f64 / elapsed.as_secs_f64().max(1e-6)) as i64);
        self.block_build_seconds.observe(elapsed.as_secs_f64());
        self.pool_pending.set(pool.pending as i64);
        self.pool_queued.set(pool.queued as i64);
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        trex_service_support::render_metrics(&self.registry)
    }

    /// A JSON-RPC middleware layer timing every call by method name.
    /// `known` are the served method names; any other name is recorded as `other` so a client
    /// cannot grow the label set.
    pub fn rpc_layer(
        &self,
        known: Arc<HashSet<String>>,
    ) -> RpcServiceBuilder<tower::layer::util::Stack<RpcMetricsLayer, tower::layer::util::Identity>>
    {
        RpcServiceBuilder::new()
            .layer(RpcMetricsLayer { histogram: self.rpc_seconds.clone(), known })
    }

    /// Serves `GET /metrics` on `addr` until `cancel` fires.
    pub async fn serve(
        self: Arc<Self>,
        addr: SocketAddr,
        cancel: CancellationToken,
    ) -> Result<(), NodeError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| NodeError::Bind { what: "metrics server", addr, source })?;
        let metrics = self.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move { metrics.render() }
            }),
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await
            .map_err(|source| NodeError::Bind { what: "metrics server", addr, source })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Layer adding [`RpcMetrics`] to the JSON-RPC service stack.
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer {
    histogram: HistogramVec,
    known: Arc<HashSet<String>>,
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner, histogram: self.histogram.clone(), known: self.known.clone() }
    }
}

/// Times each JSON-RPC call into the `rpc_request_seconds` histogram.
#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    histogram: HistogramVec,
    known: Arc<HashSet<String>>,
}

impl<S> RpcServiceT for RpcMetrics<S>
where
    S: RpcServiceT + Send + Sync + Clone + 'static,
{
    type MethodResponse = S::MethodResponse;
    type NotificationResponse = S::NotificationResponse;
    type BatchResponse = S::BatchResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let histogram = self.histogram.clone();
        let inner = self.inner.clone();
        let method = request.method_name();
        let label = if self.known.contains(method) { method.to_owned() } else { "other".into() };
        async move {
            let started = Instant::now();
            let response = inner.call(request).await;
            histogram.with_label_values(&[label.as_str()]).observe(started.elapsed().as_secs_f64());
            response
        }
    }

    fn batch<'a>(
        &self,
        requests: Batch<'a>,
    ) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        self.inner.batch(requests)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::pubsub::test_node::TestNode;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn scrape(addr: SocketAddr) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response
    }

    #[tokio::test]
    async fn serves_block_pool_and_rpc_metrics() {
        let node = TestNode::start().await;
        let mut client = node.client().await;
        client.call("eth_chainId", json!([])).await;
        let unknown = client.request("eth_noSuchMethod", json!([])).await.unwrap_err();
        assert_eq!(unknown["code"], -32601);
        node.produce_block().await;

        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let metrics = Arc::new(node.node.metrics.clone());
        let cancel = CancellationToken::new();
        let server = tokio::spawn(metrics.serve(addr, cancel.clone()));
        let body = loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break scrape(addr).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        cancel.cancel();
        server.await.unwrap().unwrap();

        for line in [
            "trex_blocks_total 1",
            "trex_head_block 1",
            "trex_txpool_pending 0",
            "trex_rpc_request_seconds_count{method=\"eth_chainId\"} 1",
            "trex_rpc_request_seconds_count{method=\"other\"} 1",
        ] {
            assert!(body.lines().any(|l| l == line), "missing `{line}` in:\n{body}");
        }
        assert!(body.contains("trex_gas_per_second"));
        assert!(body.contains("trex_block_build_seconds_bucket"));
    }
}
