//! The Prometheus text exposition of a registry.

use prometheus::{Encoder, Registry, TextEncoder};

/// Every metric of `registry` in the Prometheus text format (what `GET /metrics` serves).
pub fn render_metrics(registry: &Registry) -> String {
    let mut out = Vec::new();
    // Text encoding only fails on metric families the registry itself refuses to register.
    TextEncoder::new().encode(&registry.gather(), &mut out).expect("text encoding");
    String::from_utf8(out).expect("prometheus text is UTF-8")
}

#[cfg(test)]
mod tests {
    use prometheus::{IntCounterVec, IntGauge, Opts};

    use super::*;

    #[test]
    fn renders_every_registered_metric() {
        let registry = Registry::new();
        let requests =
            IntCounterVec::new(Opts::new("t_requests_total", "requests"), &["route"]).unwrap();
        let head = IntGauge::new("t_head", "head").unwrap();
        registry.register(Box::new(requests.clone())).unwrap();
        registry.register(Box::new(head.clone())).unwrap();
        requests.with_label_values(&["/a"]).inc_by(2);
        head.set(7);
        let text = render_metrics(&registry);
        assert!(text.contains("# TYPE t_requests_total counter"), "{text}");
        assert!(text.contains(r#"t_requests_total{route="/a"} 2"#), "{text}");
        assert!(text.contains("t_head 7"), "{text}");
    }

    #[test]
    fn an_empty_registry_renders_nothing() {
        assert_eq!(render_metrics(&Registry::new()), "");
    }
}
