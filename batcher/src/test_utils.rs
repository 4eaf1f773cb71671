//! Fixtures shared by the crate's unit and integration tests (feature `test-utils`).

use kona_genesis::{ChainGenesis, HardForkConfig, RollupConfig};

/// A rollup config for `chain_id` whose L2 starts at `genesis_time`, with every fork through
/// Isthmus active at genesis (as on every T-Rex chain).
pub fn rollup_config(chain_id: u64, genesis_time: u64) -> RollupConfig {
    RollupConfig {
        l2_chain_id: chain_id.into(),
        block_time: 1,
        genesis: ChainGenesis { l2_time: genesis_time, ..Default::default() },
        hardforks: HardForkConfig {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            isthmus_time: Some(0),
            ..Default::default()
        },
        ..Default::default()
    }
}
