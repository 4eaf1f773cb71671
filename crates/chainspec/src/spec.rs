use crate::{ChainSpecError, genesis::genesis_header};
use alloy_consensus::Header;
use alloy_eips::eip1559::BaseFeeParams;
use alloy_genesis::Genesis;
use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_op_hardforks::{OpChainHardforks, OpHardfork, OpHardforks};
use alloy_primitives::B256;
use op_alloy_rpc_types::{OpBaseFeeInfo, OpGenesisInfo};
use op_revm::OpSpecId;
use std::{path::Path, sync::Arc};

/// Chain id of T-Rex mainnet.
pub const MAINNET_CHAIN_ID: u64 = 1628;
/// Chain id of T-Rex testnet.
pub const TESTNET_CHAIN_ID: u64 = 1962;
/// Chain id of the local development network.
pub const DEVNET_CHAIN_ID: u64 = 31628;

/// Everything the node needs to know about a chain before it has any block: identity, genesis,
/// hardfork schedule and fee rules.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    /// Human-readable name (`mainnet`, `testnet`, `devnet` or the genesis file stem).
    pub name: String,
    /// The geth-style genesis the chain starts from.
    pub genesis: Genesis,
    /// OP-stack hardfork activations.
    pub hardforks: OpChainHardforks,
    /// EIP-1559 parameters before Canyon.
    pub base_fee_params: BaseFeeParams,
    /// EIP-1559 parameters from Canyon on.
    pub base_fee_params_canyon: BaseFeeParams,
    genesis_header: Header,
    genesis_hash: B256,
}

impl ChainSpec {
    /// T-Rex mainnet (chain id 1628).
    pub fn mainnet() -> Arc<Self> {
        Self::builtin("mainnet", include_str!("../res/mainnet.json"))
    }

    /// T-Rex testnet (chain id 1962).
    pub fn testnet() -> Arc<Self> {
        Self::builtin("testnet", include_str!("../res/testnet.json"))
    }

    /// The local development network (chain id 31628) with funded test accounts.
    pub fn devnet() -> Arc<Self> {
        Self::builtin("devnet", include_str!("../res/devnet.json"))
    }

    fn builtin(name: &str, json: &str) -> Arc<Self> {
        let genesis = serde_json::from_str(json).expect("built-in genesis is valid JSON");
        Arc::new(Self::from_genesis(name, genesis).expect("built-in genesis is supported"))
    }

    /// Resolves `mainnet`, `testnet`, `devnet`, or reads a geth-style genesis file at that path.
    pub fn parse(chain: &str) -> Result<Arc<Self>, ChainSpecError> {
        match chain {
            "mainnet" => Ok(Self::mainnet()),
            "testnet" => Ok(Self::testnet()),
            "devnet" | "dev" => Ok(Self::devnet()),
            path if Path::new(path).is_file() => Self::from_genesis_file(path).map(Arc::new),
            other => Err(ChainSpecError::UnknownChain(other.to_string())),
        }
    }

    /// Reads a geth-style genesis JSON file.
    pub fn from_genesis_file(path: impl AsRef<Path>) -> Result<Self, ChainSpecError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| ChainSpecError::Read { path: path.to_path_buf(), source })?;
        let genesis: Genesis = serde_json::from_str(&json)?;
        let name = path
            .file_stem()
            .map_or_else(|| "custom".to_string(), |s| s.to_string_lossy().into_owned());
        Self::from_genesis(&name, genesis)
    }

    /// Builds a chain spec from a parsed genesis, reading OP hardfork times and base-fee parameters
    /// from the op-geth keys of `config`.
    pub fn from_genesis(name: &str, genesis: Genesis) -> Result<Self, ChainSpecError> {
        let extra = &genesis.config.extra_fields;
        let forks = OpGenesisInfo::extract_from(extra).unwrap_or_default();
        if forks.bedrock_block.is_none_or(|block| block != 0) {
            return Err(ChainSpecError::Unsupported(
                "bedrockBlock must be 0: T-Rex chains are OP-stack chains from genesis".into(),
            ));
        }
        if !genesis.config.is_london_active_at_block(0) {
            return Err(ChainSpecError::Unsupported("londonBlock must be 0 (EIP-1559)".into()));
        }
        let at = |time: Option<u64>| time.map_or(ForkCondition::Never, ForkCondition::Timestamp);
        let hardforks = OpChainHardforks::new([
            (OpHardfork::Bedrock, ForkCondition::Block(0)),
            (OpHardfork::Regolith, at(forks.regolith_time)),
            (OpHardfork::Canyon, at(forks.canyon_time)),
            (OpHardfork::Ecotone, at(forks.ecotone_time)),
            (OpHardfork::Fjord, at(forks.fjord_time)),
            (OpHardfork::Granite, at(forks.granite_time)),
            (OpHardfork::Holocene, at(forks.holocene_time)),
            (OpHardfork::Isthmus, at(forks.isthmus_time)),
            (OpHardfork::Jovian, at(forks.jovian_time)),
        ]);
        if hardforks.is_jovian_active_at_timestamp(u64::MAX) {
            return Err(ChainSpecError::Unsupported(
                "Jovian is not supported yet: remove jovianTime".into(),
            ));
        }
        let fee = OpBaseFeeInfo::extract_from(extra).unwrap_or_default();
        let default = BaseFeeParams::optimism();
        let elasticity = fee.eip1559_elasticity.map_or(default.elasticity_multiplier, u128::from);
        let base_fee_params = BaseFeeParams::new(
            fee.eip1559_denominator.map_or(default.max_change_denominator, u128::from),
            elasticity,
        );
        let base_fee_params_canyon = BaseFeeParams::new(
            fee.eip1559_denominator_canyon
                .map_or(BaseFeeParams::optimism_canyon().max_change_denominator, u128::from),
            elasticity,
        );
        let mut spec = Self {
            name: name.to_string(),
            genesis,
            hardforks,
            base_fee_params,
            base_fee_params_canyon,
            genesis_header: Header::default(),
            genesis_hash: B256::ZERO,
        };
        spec.genesis_header = genesis_header(&spec);
        spec.genesis_hash = spec.genesis_header.hash_slow();
        Ok(spec)
    }

    /// The chain id transactions must be signed for.
    pub const fn chain_id(&self) -> u64 {
        self.genesis.config.chain_id
    }

    /// The genesis block header.
    pub const fn genesis_header(&self) -> &Header {
        &self.genesis_header
    }

    /// Hash of the genesis block.
    pub const fn genesis_hash(&self) -> B256 {
        self.genesis_hash
    }

    /// The EVM rules in force for a block with this timestamp.
    pub fn spec_id_at(&self, timestamp: u64) -> OpSpecId {
        alloy_op_hardforks_spec(&self.hardforks, timestamp)
    }

    /// EIP-1559 parameters for a block with this timestamp.
    pub fn base_fee_params_at(&self, timestamp: u64) -> BaseFeeParams {
        if self.hardforks.is_canyon_active_at_timestamp(timestamp) {
            self.base_fee_params_canyon
        } else {
            self.base_fee_params
        }
    }
}

impl EthereumHardforks for ChainSpec {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        self.hardforks.ethereum_fork_activation(fork)
    }
}

impl OpHardforks for ChainSpec {
    fn op_fork_activation(&self, fork: OpHardfork) -> ForkCondition {
        self.hardforks.op_fork_activation(fork)
    }
}

/// Maps a timestamp to the newest active OP spec, newest fork first.
fn alloy_op_hardforks_spec(forks: &OpChainHardforks, timestamp: u64) -> OpSpecId {
    [
        (OpHardfork::Jovian, OpSpecId::JOVIAN),
        (OpHardfork::Isthmus, OpSpecId::ISTHMUS),
        (OpHardfork::Holocene, OpSpecId::HOLOCENE),
        (OpHardfork::Granite, OpSpecId::GRANITE),
        (OpHardfork::Fjord, OpSpecId::FJORD),
        (OpHardfork::Ecotone, OpSpecId::ECOTONE),
        (OpHardfork::Canyon, OpSpecId::CANYON),
        (OpHardfork::Regolith, OpSpecId::REGOLITH),
    ]
    .into_iter()
    .find(|(fork, _)| forks.op_fork_activation(*fork).active_at_timestamp(timestamp))
    .map_or(OpSpecId::BEDROCK, |(_, spec)| spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::mainnet("mainnet", MAINNET_CHAIN_ID)]
    #[case::testnet("testnet", TESTNET_CHAIN_ID)]
    #[case::devnet("devnet", DEVNET_CHAIN_ID)]
    fn builtin_chains_have_their_ids_and_isthmus(#[case] name: &str, #[case] id: u64) {
        let spec = ChainSpec::parse(name).unwrap();
        assert_eq!(spec.chain_id(), id);
        assert_eq!(spec.spec_id_at(0), OpSpecId::ISTHMUS);
        assert_eq!(spec.base_fee_params_at(0), BaseFeeParams::new(250, 6));
        assert_eq!(spec.genesis_header().number, 0);
    }

    #[test]
    fn unknown_chain_is_a_clear_error() {
        let err = ChainSpec::parse("nope").unwrap_err();
        assert!(err.to_string().contains("unknown chain `nope`"), "{err}");
    }

    #[test]
    fn fork_times_come_from_the_genesis_config() {
        let mut genesis: Genesis =
            serde_json::from_str(include_str!("../res/devnet.json")).unwrap();
        genesis.config.extra_fields.insert("isthmusTime".into(), 100.into());
        let spec = ChainSpec::from_genesis("x", genesis).unwrap();
        assert_eq!(spec.spec_id_at(99), OpSpecId::HOLOCENE);
        assert_eq!(spec.spec_id_at(100), OpSpecId::ISTHMUS);
    }

    #[test]
    fn genesis_without_bedrock_is_rejected() {
        let mut genesis: Genesis =
            serde_json::from_str(include_str!("../res/devnet.json")).unwrap();
        genesis.config.extra_fields.remove("bedrockBlock");
        let err = ChainSpec::from_genesis("x", genesis).unwrap_err();
        assert!(err.to_string().contains("bedrockBlock"), "{err}");
    }
}
