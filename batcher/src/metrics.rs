//! Prometheus metrics of the batcher and their `/metrics` endpoint.

use prometheus::{IntCounter, IntGauge, Registry};
use std::net::SocketAddr;

use crate::BatcherError;

/// The batcher's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// L2 blocks put into closed channels.
    pub blocks_batched: IntCounter,
    /// Channels closed.
    pub channels: IntCounter,
    /// Frames created.
    pub frames: IntCounter,
    /// Calldata bytes sent to the batch inbox.
    pub bytes_posted: IntCounter,
    /// L1 transactions sent (first versions).
    pub l1_txs_sent: IntCounter,
    /// L1 transactions confirmed.
    pub l1_txs_confirmed: IntCounter,
    /// Fee-bumped replacements.
    pub fee_bumps: IntCounter,
    /// 1 while frames go to DA, 0 while they are posted as calldata.
    pub da_mode: IntGauge,
    /// Switches between DA and calldata mode.
    pub da_switches: IntCounter,
}

impl Metrics {
    /// Fresh metrics in their own registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(format!("trex_batcher_{name}"), help).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique metric");
            c
        };
        let metrics = Self {
            blocks_batched: counter("blocks_batched_total", "L2 blocks put into closed channels"),
            channels: counter("channels_total", "Channels closed"),
            frames: counter("frames_total", "Frames created"),
            bytes_posted: counter("bytes_posted_total", "Calldata bytes sent to the batch inbox"),
            l1_txs_sent: counter("l1_txs_sent_total", "L1 transactions sent"),
            l1_txs_confirmed: counter("l1_txs_confirmed_total", "L1 transactions confirmed"),
            fee_bumps: counter("fee_bumps_total", "Fee-bumped replacement transactions"),
            da_switches: counter("da_switches_total", "Switches between DA and calldata mode"),
            da_mode: IntGauge::new("trex_batcher_da_mode", "1 = DA, 0 = calldata").expect("valid"),
            registry,
        };
        metrics.registry.register(Box::new(metrics.da_mode.clone())).expect("unique metric");
        metrics
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        trex_service_support::render_metrics(&self.registry)
    }

    /// Serves `GET /metrics` on `addr` in the background; returns the bound address.
    pub async fn serve(&self, addr: SocketAddr) -> Result<SocketAddr, BatcherError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|err| BatcherError::Config(format!("metrics address {addr}: {err}")))?;
        let bound = listener.local_addr().map_err(|err| BatcherError::Config(err.to_string()))?;
        let metrics = self.clone();
        let app = axum::Router::new()
            .route("/metrics", axum::routing::get(move || async move { metrics.render() }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(bound)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric() {
        let metrics = Metrics::new();
        metrics.frames.inc_by(3);
        metrics.da_mode.set(1);
        let text = metrics.render();
        for name in [
            "blocks_batched_total",
            "channels_total",
            "bytes_posted_total",
            "l1_txs_sent_total",
            "l1_txs_confirmed_total",
            "fee_bumps_total",
            "da_switches_total",
        ] {
            assert!(text.contains(&format!("trex_batcher_{name} 0")), "{name}");
        }
        assert!(text.contains("trex_batcher_frames_total 3"));
        assert!(text.contains("trex_batcher_da_mode 1"));
    }
}
