#![doc = include_str!("../README.md")]

mod backend;
pub mod cli;
mod commitment;
mod config;
mod error;
mod metrics;
mod server;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use backend::{CelestiaBackend, CelestiaConfig, DaBackend, EmbeddedBackend, parse_namespace};
pub use commitment::{
    CELESTIA_COMMITMENT_LEN, CELESTIA_DA_LAYER, DaCommitment, GENERIC_COMMITMENT_TYPE,
    KECCAK_COMMITMENT_LEN, KECCAK_COMMITMENT_TYPE,
};
pub use config::{BackendConfig, Config};
pub use error::DaError;
pub use metrics::Metrics;
pub use server::{DEFAULT_MAX_BODY_SIZE, router, serve};

use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Opens the configured backend.
pub async fn open_backend(config: &BackendConfig) -> Result<Arc<dyn DaBackend>, DaError> {
    Ok(match config {
        BackendConfig::Embedded { datadir } => Arc::new(EmbeddedBackend::open(datadir)?),
        BackendConfig::Celestia(celestia) => {
            let backend = CelestiaBackend::connect(celestia.clone()).await?;
            // The node may come up later: report, do not refuse to start.
            match backend.health().await {
                Ok(status) => info!(target: "da", %status, "celestia reachable"),
                Err(err) => warn!(target: "da", %err, "celestia not reachable yet"),
            }
            Arc::new(backend)
        }
    })
}

/// Runs the service until `cancel` fires: opens the backend, binds the listener, serves the API.
pub async fn run(config: Config, cancel: CancellationToken) -> Result<(), DaError> {
    let backend = open_backend(&config.backend).await?;
    let listener = TcpListener::bind(config.addr).await.map_err(|source| DaError::Io {
        context: format!("cannot listen on {}", config.addr),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| DaError::Io {
        context: "cannot read the listen address".into(),
        source,
    })?;
    info!(
        target: "da",
        %addr,
        backend = backend.name(),
        max_body_size = config.max_body_size,
        "DA bridge listening (API and /metrics)"
    );
    serve(listener, router(backend, Metrics::new(), config.max_body_size), cancel).await
}

/// Cancels `cancel` on Ctrl-C or SIGTERM.
pub async fn shutdown_on_signal(cancel: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        () = term => {}
    }
    info!(target: "da", "shutting down");
    cancel.cancel();
}
