//! Prometheus metrics of the engine, served on `GET /metrics`.

use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
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
    /// The held-out evaluation of each category's newest interest model trained by this
    /// instance, by `category` and `what` (`auc`, `precision_at_k`).
    pub model: GaugeVec,
    /// Runs of the scheduled jobs, by `job` (`retrain`, one per category; `bus_prune`) and
    /// `outcome` (`ok`, `failed`, `busy`: another instance held the training lock).
    pub job_runs: IntCounterVec,
    /// Messages the Postgres bus's retention pruning deleted.
    pub bus_pruned: IntCounter,
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
        let model = GaugeVec::new(
            Opts::new("trex_persona_model", "Held-out evaluation of the newest interest model"),
            &["category", "what"],
        )
        .expect("valid metric");
        let job_runs = IntCounterVec::new(
            Opts::new("trex_persona_job_runs_total", "Runs of the scheduled jobs"),
            &["job", "outcome"],
        )
        .expect("valid metric");
        let bus_pruned = IntCounter::new(
            "trex_persona_bus_pruned_total",
            "Bus messages deleted by retention pruning",
        )
        .expect("valid metric");
        registry.register(Box::new(requests.clone())).expect("unique metric");
        registry.register(Box::new(latency.clone())).expect("unique metric");
        registry.register(Box::new(gateway_results.clone())).expect("unique metric");
        registry.register(Box::new(ingest.clone())).expect("unique metric");
        registry.register(Box::new(model.clone())).expect("unique metric");
        registry.register(Box::new(job_runs.clone())).expect("unique metric");
        registry.register(Box::new(bus_pruned.clone())).expect("unique metric");
        Self { registry, requests, latency, gateway_results, ingest, model, job_runs, bus_pruned }
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        trex_service_support::render_metrics(&self.registry)
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
        metrics.model.with_label_values(&["gamefi", "auc"]).set(0.75);
        metrics.job_runs.with_label_values(&["retrain", "ok"]).inc();
        metrics.bus_pruned.inc_by(3);
        let text = metrics.render();
        assert!(
            text.contains(r#"trex_persona_requests_total{code="200",route="/v1/match"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"trex_persona_request_seconds_count{route="/v1/match"} 1"#));
        assert!(text.contains(r#"trex_persona_ingest{what="chain_events"} 5"#), "{text}");
        assert!(
            text.contains(r#"trex_persona_model{category="gamefi",what="auc"} 0.75"#),
            "{text}"
        );
        assert!(text.contains(r#"trex_persona_job_runs_total{job="retrain",outcome="ok"} 1"#));
        assert!(text.contains("trex_persona_bus_pruned_total 3"), "{text}");
    }
}
