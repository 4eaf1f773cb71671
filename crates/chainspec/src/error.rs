use std::path::PathBuf;

/// Errors raised while loading or validating a chain specification.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The genesis file could not be read.
    #[error("cannot read genesis file {path}: {source}")]
    Read {
        /// Path that was read.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The genesis JSON is not a valid geth-style genesis.
    #[error("invalid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The name is neither a built-in chain nor a readable file.
    #[error("unknown chain `{0}`: expected mainnet, testnet, devnet or a path to a genesis.json")]
    UnknownChain(String),
    /// The genesis describes a chain this node cannot run.
    #[error("unsupported genesis: {0}")]
    Unsupported(String),
}
