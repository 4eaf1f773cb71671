//! Prometheus metrics, served at `/metrics` on the API port.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// The bridge's metrics, in their own registry (prefix `trex_da_`), labelled by backend.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Successful puts.
    pub puts: IntCounterVec,
    /// Successful gets.
    pub gets: IntCounterVec,
    /// Bytes stored by successful puts.
    pub put_bytes: IntCounterVec,
    /// Bytes served by successful gets.
    pub get_bytes: IntCounterVec,
    /// Failed requests, by operation and error kind.
    pub errors: IntCounterVec,
    /// Request latency in seconds, by operation (including failures).
    pub latency: HistogramVec,
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("trex_da".into()), None).expect("valid prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let puts = counter("puts_total", "Successful puts", &["backend"]);
        let gets = counter("gets_total", "Successful gets", &["backend"]);
        let put_bytes = counter("put_bytes_total", "Bytes stored by successful puts", &["backend"]);
        let get_bytes = counter("get_bytes_total", "Bytes served by successful gets", &["backend"]);
        let errors = counter("errors_total", "Failed requests", &["backend", "op", "kind"]);
        let latency = HistogramVec::new(
            HistogramOpts::new("request_seconds", "Request latency in seconds").buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0, 60.0,
            ]),
            &["backend", "op"],
        )
        .expect("valid metric");
        registry.register(Box::new(latency.clone())).expect("registered once");
        Self { registry, puts, gets, put_bytes, get_bytes, errors, latency }
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        trex_service_support::render_metrics(&self.registry)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
