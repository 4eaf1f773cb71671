//! Prometheus metrics of the service, served on the API's `GET /metrics`.

use prometheus::{IntCounterVec, Opts, Registry};

/// The service's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by matched route and HTTP status code.
    pub requests: IntCounterVec,
    /// Attestations issued, by type (`mint`, `link_solana`, `link_web2`).
    pub attestations: IntCounterVec,
}

impl Metrics {
    /// Fresh metrics in their own registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let vec = |name: &str, help: &str, labels: &[&str]| {
            let counter =
                IntCounterVec::new(Opts::new(format!("trex_validator_{name}"), help), labels)
                    .expect("valid metric");
            registry.register(Box::new(counter.clone())).expect("unique metric");
            counter
        };
        Self {
            requests: vec("requests_total", "HTTP requests answered", &["route", "code"]),
            attestations: vec("attestations_total", "Attestations issued", &["type"]),
            registry,
        }
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
    fn renders_labelled_counters() {
        let metrics = Metrics::new();
        metrics.requests.with_label_values(&["/health", "200"]).inc();
        metrics.attestations.with_label_values(&["mint"]).inc_by(2);
        let text = metrics.render();
        assert!(
            text.contains(r#"trex_validator_requests_total{code="200",route="/health"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"trex_validator_attestations_total{type="mint"} 2"#), "{text}");
    }
}
