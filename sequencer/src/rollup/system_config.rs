//! The L1 `SystemConfig` as of any L1 block: the rollup genesis's, changed by the contract's
//! `ConfigUpdate` logs (batcher address, fee scalars, gas limit), as op-node applies them.

use alloy_primitives::Log;
use kona_genesis::{SystemConfig, SystemConfigLog};
use std::collections::BTreeMap;

/// The system config after every L1 block up to the last one applied.
#[derive(Debug, Clone)]
pub struct SystemConfigHistory {
    /// The L1 block the genesis config holds for.
    genesis_block: u64,
    /// The last L1 block whose logs are applied.
    applied_to: u64,
    /// The config from each L1 block that changed it on (the genesis block first).
    changes: BTreeMap<u64, SystemConfig>,
}

impl SystemConfigHistory {
    /// The history of a rollup whose L1 genesis is `genesis_block` with `genesis` as its config.
    pub fn new(genesis_block: u64, genesis: SystemConfig) -> Self {
        Self {
            genesis_block,
            applied_to: genesis_block,
            changes: BTreeMap::from([(genesis_block, genesis)]),
        }
    }

    /// The last L1 block whose logs are applied.
    pub const fn applied_to(&self) -> u64 {
        self.applied_to
    }

    /// Applies the `ConfigUpdate` logs of the L1 blocks after [`Self::applied_to`] up to `to`,
    /// given as (block number, log) in chain order. A malformed update is skipped with a logged
    /// reason, as op-node does.
    pub fn apply(&mut self, to: u64, logs: impl IntoIterator<Item = (u64, Log)>) {
        for (block, log) in logs {
            if block <= self.applied_to || block > to {
                continue;
            }
            let mut config = self.at(block);
            match SystemConfigLog::new(log, true).build() {
                Ok(update) => {
                    update.apply(&mut config);
                    tracing::info!(l1_block = block, ?update, "system config updated on L1");
                    self.changes.insert(block, config);
                }
                Err(err) => {
                    tracing::warn!(l1_block = block, %err, "skipping malformed ConfigUpdate log")
                }
            }
        }
        self.applied_to = self.applied_to.max(to);
    }

    /// The config after L1 block `number` (its own updates included); for blocks not yet applied,
    /// the latest known.
    pub fn at(&self, number: u64) -> SystemConfig {
        *self
            .changes
            .range(..=number.max(self.genesis_block))
            .next_back()
            .expect("the genesis config is always there")
            .1
    }

    /// Forgets what was applied after L1 block `number` (an L1 reorg removed those blocks).
    pub fn rewind(&mut self, number: u64) {
        let number = number.max(self.genesis_block);
        self.changes.retain(|block, _| *block <= number);
        self.applied_to = self.applied_to.min(number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};

    /// A `ConfigUpdate(version 0, type, data)` log as SystemConfig emits it.
    fn update_log(kind: u8, payload: &[u8]) -> Log {
        let topic0 = keccak256("ConfigUpdate(uint256,uint8,bytes)");
        // abi.encode(bytes): offset, length, padded payload.
        let mut data = Vec::new();
        data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        data.extend_from_slice(&U256::from(payload.len()).to_be_bytes::<32>());
        data.extend_from_slice(payload);
        data.resize(64 + payload.len().div_ceil(32) * 32, 0);
        Log::new_unchecked(
            address!("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
            vec![topic0, B256::ZERO, B256::with_last_byte(kind)],
            Bytes::from(data),
        )
    }

    #[test]
    fn updates_apply_from_their_l1_block_on() {
        let genesis = SystemConfig { gas_limit: 30_000_000, ..Default::default() };
        let mut history = SystemConfigHistory::new(10, genesis);
        let batcher = Address::repeat_byte(0xba);
        let batcher_update = update_log(0, B256::left_padding_from(batcher.as_slice()).as_slice());
        let gas_update = update_log(2, &U256::from(60_000_000u64).to_be_bytes::<32>());
        history.apply(20, [(12, batcher_update), (15, gas_update), (25, update_log(2, &[1]))]);

        assert_eq!(history.applied_to(), 20);
        assert_eq!(history.at(11), genesis);
        assert_eq!(history.at(12).batcher_address, batcher);
        assert_eq!(history.at(14).gas_limit, 30_000_000);
        assert_eq!(history.at(15).gas_limit, 60_000_000);
        assert_eq!(history.at(15).batcher_address, batcher);
        assert_eq!(history.at(5), genesis, "before the rollup: genesis");

        // A malformed update is skipped; the config stays.
        history.apply(30, [(26, update_log(2, &[1, 2, 3]))]);
        assert_eq!(history.at(30).gas_limit, 60_000_000);

        history.rewind(13);
        assert_eq!(history.applied_to(), 13);
        assert_eq!(history.at(20).gas_limit, 30_000_000);
        assert_eq!(history.at(20).batcher_address, batcher);
    }
}
