//! `trex-sequencer init-rollup`: turns a chain's genesis and the L1 deployment into the two files
//! every rollup service reads: the L2 `genesis.json` (its timestamp set to the L1 start block's)
//! and op-node's `rollup.json`.

use crate::rollup::RollupError;
use alloy_hardforks::ForkCondition;
use alloy_op_hardforks::{OpHardfork, OpHardforks};
use alloy_primitives::{Address, B256, U256};
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use trex_chainspec::ChainSpec;

/// The L1 deployment as `deploy/deploy-l1.sh` writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Deployment {
    /// Chain id of L1.
    pub l1_chain_id: u64,
    /// The deposit contract.
    #[serde(rename = "TRexPortal")]
    pub portal: Address,
    /// The system config contract.
    #[serde(rename = "SystemConfig")]
    pub system_config: Address,
    /// Where batches are sent.
    pub batch_inbox: Address,
    /// The L1 block the deployment ended in: the rollup's L1 genesis.
    pub deploy_block: DeployBlock,
}

/// An L1 block of the deployment.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct DeployBlock {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Timestamp.
    pub timestamp: u64,
}

/// Rollup parameters chosen at initialisation.
#[derive(Debug, Clone)]
pub struct RollupParams {
    /// L2 block time in seconds.
    pub block_time: u64,
    /// Sequencing window in L1 blocks.
    pub seq_window_size: u64,
    /// Channel timeout in L1 blocks.
    pub channel_timeout: u64,
    /// Most seconds an L2 block's timestamp may run ahead of its L1 origin.
    pub max_sequencer_drift: u64,
    /// L2 block gas limit.
    pub gas_limit: u64,
    /// The batcher's address.
    pub batcher: Address,
    /// Ecotone L1 base fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone L1 blob base fee scalar.
    pub blob_base_fee_scalar: u32,
}

/// Files written by [`init_rollup`].
#[derive(Debug, Clone)]
pub struct RollupFiles {
    /// The L2 genesis.
    pub genesis: PathBuf,
    /// The rollup config.
    pub rollup: PathBuf,
    /// Hash of the L2 genesis block.
    pub genesis_hash: B256,
}

/// Writes `genesis.json` and `rollup.json` into `out_dir` for `chain` started at `deployment`.
pub fn init_rollup(
    chain: &ChainSpec,
    deployment: &L1Deployment,
    params: &RollupParams,
    out_dir: &Path,
) -> Result<RollupFiles, RollupError> {
    let io = |path: &Path, err: std::io::Error| {
        RollupError::Config(format!("cannot write {}: {err}", path.display()))
    };
    std::fs::create_dir_all(out_dir).map_err(|err| io(out_dir, err))?;
    let mut genesis = chain.genesis.clone();
    genesis.timestamp = deployment.deploy_block.timestamp;
    genesis.gas_limit = params.gas_limit;
    let spec = ChainSpec::from_genesis(&chain.name, genesis.clone())
        .map_err(|err| RollupError::Config(err.to_string()))?;
    let genesis_path = out_dir.join("genesis.json");
    let genesis_json = serde_json::to_string_pretty(&genesis)
        .map_err(|err| RollupError::Config(err.to_string()))?;
    std::fs::write(&genesis_path, genesis_json).map_err(|err| io(&genesis_path, err))?;

    let config = rollup_config_json(&spec, deployment, params);
    // Parse before writing, so a file every service can read is the only outcome.
    let parsed: kona_genesis::RollupConfig = serde_json::from_value(config)
        .map_err(|err| RollupError::Config(format!("generated rollup config: {err}")))?;
    let rollup_path = out_dir.join("rollup.json");
    let text = serde_json::to_string_pretty(&parsed)
        .map_err(|err| RollupError::Config(err.to_string()))?;
    std::fs::write(&rollup_path, text).map_err(|err| io(&rollup_path, err))?;
    Ok(RollupFiles {
        genesis: genesis_path,
        rollup: rollup_path,
        genesis_hash: spec.genesis_hash(),
    })
}

fn rollup_config_json(
    spec: &ChainSpec,
    deployment: &L1Deployment,
    params: &RollupParams,
) -> serde_json::Value {
    let fork = |fork: OpHardfork| match spec.op_fork_activation(fork) {
        ForkCondition::Timestamp(time) => Some(time),
        ForkCondition::Block(0) => Some(0),
        _ => None,
    };
    // Ecotone's versioned scalar: version byte 1, blob base fee scalar, base fee scalar.
    let mut scalar = [0u8; 32];
    scalar[0] = 1;
    scalar[24..28].copy_from_slice(&params.blob_base_fee_scalar.to_be_bytes());
    scalar[28..32].copy_from_slice(&params.base_fee_scalar.to_be_bytes());
    let block = deployment.deploy_block;
    json!({
        "genesis": {
            "l1": { "hash": block.hash, "number": block.number },
            "l2": { "hash": spec.genesis_hash(), "number": 0 },
            "l2_time": block.timestamp,
            "system_config": {
                "batcherAddr": params.batcher,
                "overhead": B256::ZERO,
                "scalar": B256::from(U256::from_be_bytes(scalar)),
                "gasLimit": params.gas_limit,
            }
        },
        "block_time": params.block_time,
        "max_sequencer_drift": params.max_sequencer_drift,
        "seq_window_size": params.seq_window_size,
        "channel_timeout": params.channel_timeout,
        "granite_channel_timeout": params.channel_timeout,
        "l1_chain_id": deployment.l1_chain_id,
        "l2_chain_id": spec.chain_id(),
        "regolith_time": fork(OpHardfork::Regolith),
        "canyon_time": fork(OpHardfork::Canyon),
        "delta_time": fork(OpHardfork::Canyon),
        "ecotone_time": fork(OpHardfork::Ecotone),
        "fjord_time": fork(OpHardfork::Fjord),
        "granite_time": fork(OpHardfork::Granite),
        "holocene_time": fork(OpHardfork::Holocene),
        "isthmus_time": fork(OpHardfork::Isthmus),
        "batch_inbox_address": deployment.batch_inbox,
        "deposit_contract_address": deployment.portal,
        "l1_system_config_address": deployment.system_config,
        "protocol_versions_address": Address::ZERO,
        "chain_op_config": {
            "eip1559Elasticity": spec.base_fee_params_at(u64::MAX).elasticity_multiplier as u64,
            "eip1559Denominator": spec.base_fee_params_at(0).max_change_denominator as u64,
            "eip1559DenominatorCanyon": spec.base_fee_params_at(u64::MAX).max_change_denominator as u64,
        }
    })
}

/// A devnet rollup config written into `dir`, for tests.
#[cfg(test)]
pub(crate) fn test_rollup_config(dir: &Path) -> kona_genesis::RollupConfig {
    let (files, _) = tests::write_test_config(dir);
    crate::rollup::load_config(&files.rollup).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn write_test_config(dir: &Path) -> (RollupFiles, L1Deployment) {
        let deployment: L1Deployment = serde_json::from_value(json!({
            "l1ChainId": 31337,
            "TRexPortal": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
            "SystemConfig": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
            "batchInbox": "0xff00000000000000000000000000000000031628",
            "deployBlock": { "number": 5, "hash": B256::repeat_byte(5), "timestamp": 1_700_000_000u64 }
        }))
        .unwrap();
        let params = RollupParams {
            block_time: 1,
            seq_window_size: 20,
            channel_timeout: 10,
            max_sequencer_drift: 600,
            gas_limit: 30_000_000,
            batcher: Address::repeat_byte(1),
            base_fee_scalar: 1368,
            blob_base_fee_scalar: 810_949,
        };
        (init_rollup(&ChainSpec::devnet(), &deployment, &params, dir).unwrap(), deployment)
    }

    #[test]
    fn writes_a_rollup_config_every_service_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let (files, deployment) = write_test_config(dir.path());
        let config = crate::rollup::load_config(&files.rollup).unwrap();
        assert_eq!(config.genesis.l2.hash, files.genesis_hash);
        assert_eq!(config.genesis.l1.number, 5);
        assert_eq!(config.genesis.l2_time, 1_700_000_000);
        assert!(config.is_isthmus_active(config.genesis.l2_time + 1));
        assert_eq!(config.batch_inbox_address, deployment.batch_inbox);
        let spec = ChainSpec::parse(files.genesis.to_str().unwrap()).unwrap();
        assert_eq!(spec.genesis_hash(), files.genesis_hash);
        assert_eq!(spec.genesis_header().timestamp, 1_700_000_000);
        let system = config.genesis.system_config.unwrap();
        assert_eq!(system.gas_limit, 30_000_000);
    }
}
