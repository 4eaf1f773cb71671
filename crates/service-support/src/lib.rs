#![doc = include_str!("../README.md")]

mod metrics;
mod redact;

pub use metrics::render_metrics;
pub use redact::redact_url;
