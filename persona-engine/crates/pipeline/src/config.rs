//! Choosing the backend from one setting.

use std::{str::FromStr, sync::Arc};

use sqlx::PgPool;

use crate::{Bus, NatsBus, NatsConfig, PgBus, PgBusConfig, PipelineError};

/// Which [`Bus`] backend to run, parsed from a setting (e.g. a `--pipeline.bus` flag):
///
/// - `postgres`: the embedded [`PgBus`] in the engine's database (the default);
/// - `nats://host:port[?stream=NAME&prefix=PREFIX]`: [`NatsBus`] on that JetStream server.
///
/// Other settings of either backend keep their defaults unless the caller changes the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusConfig {
    /// The embedded bus on Postgres.
    Postgres(PgBusConfig),
    /// NATS JetStream.
    Nats(NatsConfig),
}

impl Default for BusConfig {
    fn default() -> Self {
        Self::Postgres(PgBusConfig::default())
    }
}

impl FromStr for BusConfig {
    type Err = PipelineError;

    fn from_str(setting: &str) -> Result<Self, Self::Err> {
        let invalid =
            |reason: String| PipelineError::Config { setting: setting.to_owned(), reason };
        if setting == "postgres" {
            return Ok(Self::default());
        }
        let url = url::Url::parse(setting).map_err(|e| invalid(e.to_string()))?;
        if url.scheme() != "nats" {
            return Err(invalid("expected `postgres` or a nats:// URL".to_owned()));
        }
        let host = url.host_str().ok_or_else(|| invalid("the URL has no host".to_owned()))?;
        let mut config = NatsConfig::new(format!("nats://{host}:{}", url.port().unwrap_or(4222)));
        for (key, value) in url.query_pairs() {
            match &*key {
                "stream" => config.stream = value.into_owned(),
                "prefix" => config.subject_prefix = value.into_owned(),
                _ => return Err(invalid(format!("unknown option {key:?} (stream, prefix)"))),
            }
        }
        // Stream names and the prefix become subject tokens and API subjects.
        let token =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !token(&config.stream) {
            return Err(invalid("the stream name must be [A-Za-z0-9_]+".to_owned()));
        }
        if !config.subject_prefix.split('.').all(token) {
            return Err(invalid(
                "the prefix must be dot-separated [A-Za-z0-9_]+ tokens".to_owned(),
            ));
        }
        Ok(Self::Nats(config))
    }
}

/// Opens the configured bus; `pool` is the engine's database (used by the Postgres backend,
/// whose tables it migrates).
pub async fn connect(config: &BusConfig, pool: &PgPool) -> Result<Arc<dyn Bus>, PipelineError> {
    Ok(match config {
        BusConfig::Postgres(config) => Arc::new(PgBus::open(pool.clone(), config.clone()).await?),
        BusConfig::Nats(config) => Arc::new(NatsBus::connect(config.clone()).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backends() {
        assert_eq!("postgres".parse::<BusConfig>().unwrap(), BusConfig::default());
        let BusConfig::Nats(nats) = "nats://127.0.0.1:4222".parse().unwrap() else { panic!() };
        assert_eq!(nats, NatsConfig::new("nats://127.0.0.1:4222"));
        let BusConfig::Nats(nats) = "nats://nats.internal?stream=S1&prefix=a.b".parse().unwrap()
        else {
            panic!()
        };
        assert_eq!((nats.url.as_str(), nats.stream.as_str()), ("nats://nats.internal:4222", "S1"));
        assert_eq!(nats.subject_prefix, "a.b");
    }

    #[test]
    fn rejects_bad_settings() {
        for bad in [
            "",
            "postgresql",
            "kafka://host",
            "nats://host?foo=1",
            "nats://host?stream=a.b",
            "nats://host?prefix=a..b",
            "nats://host?prefix=a.>",
        ] {
            assert!(matches!(bad.parse::<BusConfig>(), Err(PipelineError::Config { .. })), "{bad}");
        }
    }
}
