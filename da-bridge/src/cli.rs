//! Command-line flags (every flag also reads a `TREX_DA_*` environment variable).

use crate::{
    DEFAULT_MAX_BODY_SIZE, DaError,
    backend::{CelestiaConfig, parse_namespace},
    config::{BackendConfig, Config},
};
use clap::{Args, Parser, ValueEnum};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// `trex-da-bridge`: the OP alt-DA DA-server API over an embedded store or Celestia.
#[derive(Debug, Parser)]
#[command(name = "trex-da-bridge", version, about, long_about = None)]
pub struct Cli {
    /// HTTP server settings.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Celestia backend settings (used with `--backend celestia`).
    #[command(flatten)]
    pub celestia: CelestiaArgs,
}

/// Which backend stores the blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// A durable local redb store under `--datadir` (commitments `0x00 ‖ keccak256(data)`).
    Embedded,
    /// Celestia through a celestia-node JSON-RPC endpoint (commitments `0x01 ‖ 0x0c ‖ …`).
    Celestia,
}

/// HTTP server and embedded-store settings.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Listen address of the HTTP API; `/metrics` is served on the same address.
    #[arg(long, env = "TREX_DA_ADDR", default_value = "127.0.0.1:3100")]
    pub addr: SocketAddr,
    /// The storage backend.
    #[arg(long, env = "TREX_DA_BACKEND", value_enum, default_value_t = BackendKind::Embedded)]
    pub backend: BackendKind,
    /// Data directory of the embedded backend.
    #[arg(long, env = "TREX_DA_DATADIR", default_value = "trex-da-data")]
    pub datadir: PathBuf,
    /// Largest accepted request body in bytes; larger puts answer 413.
    #[arg(long, env = "TREX_DA_MAX_BODY_SIZE", default_value_t = DEFAULT_MAX_BODY_SIZE)]
    pub max_body_size: usize,
}

/// Celestia backend settings.
#[derive(Debug, Args)]
pub struct CelestiaArgs {
    /// celestia-node JSON-RPC URL (http(s):// or ws(s)://), e.g. http://127.0.0.1:26658.
    #[arg(long = "celestia.rpc-url", env = "TREX_DA_CELESTIA_RPC_URL")]
    pub rpc_url: Option<String>,
    /// celestia-node auth token (sent as `Authorization: Bearer …`).
    #[arg(
        long = "celestia.auth-token",
        env = "TREX_DA_CELESTIA_AUTH_TOKEN",
        hide_env_values = true
    )]
    pub auth_token: Option<String>,
    /// Namespace for the blobs: 29 bytes (version ‖ id) or a version-0 id of ≤ 10 bytes, in hex
    /// (optionally 0x-prefixed) or base64.
    #[arg(long = "celestia.namespace", env = "TREX_DA_CELESTIA_NAMESPACE")]
    pub namespace: Option<String>,
    /// Limit on every Celestia call (e.g. `30s`, `500ms`, `2m`); a submit exceeding it has an
    /// unknown outcome.
    #[arg(long = "celestia.timeout", env = "TREX_DA_CELESTIA_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Retries of a transiently failing Celestia call.
    #[arg(
        long = "celestia.max-retries",
        env = "TREX_DA_CELESTIA_MAX_RETRIES",
        default_value_t = 3
    )]
    pub max_retries: u32,
    /// Pause before the first retry, doubled after each (capped at 30 s).
    #[arg(long = "celestia.retry-backoff", env = "TREX_DA_CELESTIA_RETRY_BACKOFF", default_value = "500ms", value_parser = parse_duration)]
    pub retry_backoff: Duration,
}

/// Parses `500ms`, `30s`, `2m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("invalid duration unit in {text:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("invalid duration {text:?}: {err}"))
}

impl Cli {
    /// Checks the flags and builds the configuration; every problem is a [`DaError::Config`].
    pub fn into_config(self) -> Result<Config, DaError> {
        let Self { server, celestia } = self;
        if server.max_body_size == 0 {
            return Err(DaError::Config("--max-body-size must be greater than 0".into()));
        }
        let backend = match server.backend {
            BackendKind::Embedded => BackendConfig::Embedded { datadir: server.datadir },
            BackendKind::Celestia => BackendConfig::Celestia(celestia.into_config()?),
        };
        Ok(Config { addr: server.addr, max_body_size: server.max_body_size, backend })
    }
}

impl CelestiaArgs {
    fn into_config(self) -> Result<CelestiaConfig, DaError> {
        let rpc_url = self
            .rpc_url
            .ok_or_else(|| DaError::Config("--backend celestia needs --celestia.rpc-url".into()))?;
        if !["http://", "https://", "ws://", "wss://"].iter().any(|p| rpc_url.starts_with(p)) {
            return Err(DaError::Config(format!(
                "--celestia.rpc-url {rpc_url:?}: expected an http(s):// or ws(s):// URL"
            )));
        }
        let namespace = self.namespace.ok_or_else(|| {
            DaError::Config("--backend celestia needs --celestia.namespace".into())
        })?;
        let namespace = parse_namespace(&namespace)?;
        if self.timeout.is_zero() {
            return Err(DaError::Config("--celestia.timeout must be greater than 0".into()));
        }
        let auth_token = self.auth_token.filter(|token| !token.trim().is_empty());
        Ok(CelestiaConfig {
            rpc_url,
            auth_token,
            namespace,
            timeout: self.timeout,
            max_retries: self.max_retries,
            retry_backoff: self.retry_backoff,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse(args: &[&str]) -> Result<Config, DaError> {
        let mut argv = vec!["trex-da-bridge"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("flags parse").into_config()
    }

    #[test]
    fn defaults() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.addr, "127.0.0.1:3100".parse().unwrap());
        assert_eq!(config.max_body_size, 16 * 1024 * 1024);
        assert!(
            matches!(config.backend, BackendConfig::Embedded { ref datadir } if datadir == &PathBuf::from("trex-da-data"))
        );
    }

    #[test]
    fn celestia_flags() {
        let config = parse(&[
            "--backend=celestia",
            "--celestia.rpc-url=ws://node:26658",
            "--celestia.namespace=0x74726578",
            "--celestia.auth-token=secret",
            "--celestia.timeout=1500ms",
            "--celestia.max-retries=5",
            "--celestia.retry-backoff=2s",
            "--max-body-size=1024",
        ])
        .unwrap();
        assert_eq!(config.max_body_size, 1024);
        let BackendConfig::Celestia(c) = config.backend else { panic!("celestia expected") };
        assert_eq!(c.rpc_url, "ws://node:26658");
        assert_eq!(c.auth_token.as_deref(), Some("secret"));
        assert!(c.namespace.id().ends_with(b"trex"));
        assert_eq!(c.timeout, Duration::from_millis(1500));
        assert_eq!(c.max_retries, 5);
        assert_eq!(c.retry_backoff, Duration::from_secs(2));
    }

    #[rstest]
    #[case::no_url(&["--backend=celestia", "--celestia.namespace=74726578"], "--celestia.rpc-url")]
    #[case::bad_url(&["--backend=celestia", "--celestia.rpc-url=localhost:26658", "--celestia.namespace=74726578"], "http(s)://")]
    #[case::no_namespace(&["--backend=celestia", "--celestia.rpc-url=http://x"], "--celestia.namespace")]
    #[case::bad_namespace(&["--backend=celestia", "--celestia.rpc-url=http://x", "--celestia.namespace=zz!"], "neither hex nor base64")]
    #[case::zero_timeout(&["--backend=celestia", "--celestia.rpc-url=http://x", "--celestia.namespace=74726578", "--celestia.timeout=0s"], "timeout")]
    #[case::zero_body(&["--max-body-size=0"], "--max-body-size")]
    fn bad_config(#[case] args: &[&str], #[case] message: &str) {
        let err = parse(args).unwrap_err();
        assert!(matches!(err, DaError::Config(_)), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }

    #[rstest]
    #[case("250ms", Duration::from_millis(250))]
    #[case("30s", Duration::from_secs(30))]
    #[case("2m", Duration::from_secs(120))]
    #[case("7", Duration::from_secs(7))]
    #[case("0.5s", Duration::from_millis(500))]
    fn durations(#[case] text: &str, #[case] expected: Duration) {
        assert_eq!(parse_duration(text).unwrap(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("s")]
    #[case("10h")]
    #[case("-1s")]
    fn bad_durations(#[case] text: &str) {
        assert!(parse_duration(text).is_err(), "{text}");
        assert!(Cli::try_parse_from(["trex-da-bridge", "--celestia.timeout", text]).is_err());
    }
}
