//! The service's configuration (built from the command line by [`crate::cli`]).

use crate::backend::CelestiaConfig;
use std::{net::SocketAddr, path::PathBuf};

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The HTTP listen address (API and `/metrics`).
    pub addr: SocketAddr,
    /// The largest accepted request body in bytes (larger puts answer 413).
    pub max_body_size: usize,
    /// The backend and its settings.
    pub backend: BackendConfig,
}

/// Which backend stores the blobs.
#[derive(Debug, Clone)]
pub enum BackendConfig {
    /// The embedded redb store in a data directory.
    Embedded {
        /// The data directory (holds `da.redb`).
        datadir: PathBuf,
    },
    /// Celestia through a celestia-node JSON-RPC endpoint.
    Celestia(CelestiaConfig),
}
