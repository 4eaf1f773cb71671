//! Rollup mode: the node follows L1. As the sequencer it opens every block with the L1-attributes
//! deposit and its L1 origin's user deposits, and verifies its own blocks against what derivation
//! reads back from L1; as a replica it builds the chain from L1 and the DA layer alone.

pub mod attributes;
pub mod driver;
pub mod init;
pub mod l1;
pub mod system_config;

use crate::{derive::L2BlockRef, storage::StoredBlock};
use alloy_consensus::Transaction as _;
use alloy_eips::BlockNumHash;
use alloy_primitives::B256;
use kona_genesis::RollupConfig;
use kona_protocol::{BlockInfo, L2BlockInfo, SyncStatus};
use parking_lot::RwLock;
use std::{path::Path, sync::Arc};

/// Failures of rollup mode.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    /// The rollup config file is missing, malformed or does not fit the chain.
    #[error("rollup config: {0}")]
    Config(String),
    /// The L1 node could not be reached or answered something unusable (temporary: retried).
    #[error("L1: {0}")]
    L1(String),
    /// The DA bridge could not be reached (temporary: retried).
    #[error("DA bridge: {0}")]
    Da(String),
    /// Data read from L1 could not be turned into a block.
    #[error("derivation: {0}")]
    Derivation(String),
    /// The node failed to build, commit or unwind a block.
    #[error(transparent)]
    Node(#[from] crate::NodeError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] crate::StorageError),
}

impl RollupError {
    /// Whether retrying later can succeed (an unreachable L1 node or DA bridge).
    pub const fn is_temporary(&self) -> bool {
        matches!(self, Self::L1(_) | Self::Da(_))
    }
}

/// How the node takes part in the rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RollupMode {
    /// Produce blocks (and verify them against L1).
    Sequencer,
    /// Follow L1 and the DA layer only, deriving every block.
    Replica,
}

/// Reads and checks a rollup config (op-node's `rollup.json` format).
pub fn load_config(path: &Path) -> Result<RollupConfig, RollupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| RollupError::Config(format!("cannot read {}: {err}", path.display())))?;
    let config: RollupConfig = serde_json::from_str(&text)
        .map_err(|err| RollupError::Config(format!("{}: {err}", path.display())))?;
    if config.block_time == 0 {
        return Err(RollupError::Config("block_time must be at least 1 second".into()));
    }
    if config.genesis.system_config.is_none() {
        return Err(RollupError::Config("genesis.system_config is missing".into()));
    }
    if config.seq_window_size == 0 || config.channel_timeout == 0 {
        return Err(RollupError::Config("seq_window_size and channel_timeout must be > 0".into()));
    }
    Ok(config)
}

/// The heads rollup mode tracks, as `optimism_syncStatus` reports them.
#[derive(Debug, Default, Clone)]
pub struct Heads {
    /// The L1 block derivation has read up to.
    pub current_l1: BlockInfo,
    /// The L1 head.
    pub head_l1: BlockInfo,
    /// The L1 `safe` block.
    pub safe_l1: BlockInfo,
    /// The L1 `finalized` block.
    pub finalized_l1: BlockInfo,
    /// The head of the local chain.
    pub unsafe_l2: L2BlockInfo,
    /// The newest L2 block derived from L1 data.
    pub safe_l2: L2BlockInfo,
    /// The newest L2 block derived from finalized L1 data.
    pub finalized_l2: L2BlockInfo,
}

/// What the RPC server needs of rollup mode: the config and the current heads.
#[derive(Debug)]
pub struct RollupContext {
    /// The rollup config.
    pub config: Arc<RollupConfig>,
    /// Sequencer or replica.
    pub mode: RollupMode,
    heads: RwLock<Heads>,
}

impl RollupContext {
    /// A context with all heads at genesis.
    pub fn new(config: Arc<RollupConfig>, mode: RollupMode, genesis: L2BlockInfo) -> Self {
        let heads = Heads {
            unsafe_l2: genesis,
            safe_l2: genesis,
            finalized_l2: genesis,
            ..Default::default()
        };
        Self { config, mode, heads: RwLock::new(heads) }
    }

    /// The current heads.
    pub fn heads(&self) -> Heads {
        self.heads.read().clone()
    }

    /// Updates the heads.
    pub fn update(&self, update: impl FnOnce(&mut Heads)) {
        update(&mut self.heads.write());
    }

    /// The heads in `optimism_syncStatus` form.
    pub fn sync_status(&self) -> SyncStatus {
        let heads = self.heads();
        SyncStatus {
            current_l1: heads.current_l1,
            current_l1_finalized: heads.finalized_l1,
            head_l1: heads.head_l1,
            safe_l1: heads.safe_l1,
            finalized_l1: heads.finalized_l1,
            unsafe_l2: heads.unsafe_l2,
            safe_l2: heads.safe_l2,
            finalized_l2: heads.finalized_l2,
            cross_unsafe_l2: heads.unsafe_l2,
            local_safe_l2: heads.safe_l2,
        }
    }
}

/// The L2 block reference of a stored block: its L1 origin and sequence number come from its
/// L1-attributes deposit; genesis has the rollup's L1 genesis as origin.
pub fn block_ref(config: &RollupConfig, block: &StoredBlock) -> Result<L2BlockRef, RollupError> {
    let (l1_origin, sequence_number) = if block.header.number == config.genesis.l2.number {
        let l1 = config.genesis.l1;
        (BlockNumHash { number: l1.number, hash: l1.hash }, 0)
    } else {
        let first = block.transactions.first().ok_or_else(|| {
            RollupError::Derivation(format!("block {} has no L1-attributes deposit", block.hash))
        })?;
        attributes::decode_l1_info(first.input())?
    };
    Ok(L2BlockRef {
        number: block.header.number,
        hash: block.hash,
        parent_hash: block.header.parent_hash,
        timestamp: block.header.timestamp,
        l1_origin,
        sequence_number,
    })
}

/// The OP output root of an L2 block: keccak(version 0, state root, the L2ToL1MessagePasser's
/// storage root, block hash).
pub fn output_root(state_root: B256, message_passer_storage_root: B256, block_hash: B256) -> B256 {
    kona_protocol::OutputRoot::from_parts(state_root, message_passer_storage_root, block_hash)
        .hash()
}
