//! Prometheus metrics of the engine, served on `GET /metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The engine's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by matched route and HTTP status code.
    pub requests: IntCounterVec,
    /// Request latency in seconds, by matched route.
    pub latency: HistogramVec,
    /// Validator results accepted by the gateway, by outcome (`stored`, `duplicate`).
    pub gateway_results: IntCounterVec,
    /// Ingestion state read from the database at scrape time, by `what`:
    /// `chain_events` (canonical events stored), `outbox_pending` (outbox rows not yet published),
    /// `cursor_block` (last ingested block).
    pub ingest: IntGaugeVec,
}

impl Metrics {
    /// Fresh metrics in their own registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("trex_persona_requests_total", "HTTP requests answered"),
            &["route", "code"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("trex_persona_request_seconds", "HTTP request latency")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["route"],
        )
        .expect("valid metric");
        let gateway_results = IntCounterVec::new(
            Opts::new("trex_persona_gateway_results_total", "Validator results accepted"),
            &["outcome"],
        )
        .expect("valid metric");
        let ingest = IntGaugeVec::new(
            Opts::new("trex_persona_ingest", "Ingestion state, read at scrape time"),
            &["what"],
        )
        .expect("valid metric");
        registry.register(Box::new(requests.clone())).expect("unique metric");
        registry.register(Box::new(latency.clone())).expect("unique metric");
        registry.register(Box::new(gateway_results.clone())).expect("unique metric");
        registry.register(Box::new(ingest.clone())).expect("unique metric");
        Self { registry, requests, latency, gateway_results, ingest }
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("encodable");
        String::from_utf8(out).expect("text format is UTF-8")
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
    fn renders_labelled_metrics() {
        let metrics = Metrics::new();
        metrics.requests.with_label_values(&["/v1/match", "200"]).inc();
        metrics.latency.with_label_values(&["/v1/match"]).observe(0.003);
        metrics.ingest.with_label_values(&["chain_events"]).set(5);
        let text = metrics.render();
        assert!(
            text.contains(r#"trex_persona_requests_total{code="200",route="/v1/match"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"trex_persona_request_seconds_count{route="/v1/match"} 1"#));
        assert!(text.contains(r#"trex_persona_ingest{what="chain_events"} 5"#), "{text}");
    }
}
