use crate::ChainSpec;
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, constants::EMPTY_ROOT_HASH};
use alloy_eips::{eip1559::INITIAL_BASE_FEE, eip7685::EMPTY_REQUESTS_HASH};
use alloy_hardforks::EthereumHardforks;
use alloy_op_hardforks::OpHardforks;
use alloy_primitives::{Address, B256, address};
use alloy_trie::root::{state_root_ref_unhashed, storage_root_unhashed};

/// The OP-stack `L2ToL1MessagePasser` predeploy, whose storage root is the header's
/// `withdrawals_root` from Isthmus on.
const L2_TO_L1_MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");

/// Builds the genesis header with the fields each active fork requires, as op-geth and op-reth do.
pub fn genesis_header(spec: &ChainSpec) -> Header {
    let genesis = &spec.genesis;
    let ts = genesis.timestamp;
    let cancun = spec.is_cancun_active_at_timestamp(ts);
    let withdrawals_root = if spec.is_isthmus_active_at_timestamp(ts) {
        let passer = genesis.alloc.get(&L2_TO_L1_MESSAGE_PASSER);
        Some(
            passer
                .map_or(EMPTY_ROOT_HASH, |account| storage_root_unhashed(account.storage_slots())),
        )
    } else {
        spec.is_shanghai_active_at_timestamp(ts).then_some(EMPTY_ROOT_HASH)
    };
    Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: genesis.coinbase,
        state_root: state_root_ref_unhashed(&genesis.alloc),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Default::default(),
        difficulty: genesis.difficulty,
        number: 0,
        gas_limit: genesis.gas_limit,
        gas_used: 0,
        timestamp: ts,
        extra_data: genesis.extra_data.clone(),
        mix_hash: genesis.mix_hash,
        nonce: genesis.nonce.into(),
        base_fee_per_gas: Some(genesis.base_fee_per_gas.map_or(INITIAL_BASE_FEE, |fee| fee as u64)),
        withdrawals_root,
        blob_gas_used: cancun.then_some(0),
        excess_blob_gas: cancun.then_some(0),
        parent_beacon_block_root: cancun.then_some(B256::ZERO),
        requests_hash: spec.is_prague_active_at_timestamp(ts).then_some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn devnet_genesis_funds_the_test_accounts() {
        let spec = ChainSpec::devnet();
        // 10 dev accounts, 2 Ethereum system contracts, 6 OP predeploys, 4 identity predeploys.
        assert_eq!(spec.genesis.alloc.len(), 22);
        let dev0 = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(
            spec.genesis.alloc[&dev0].balance,
            U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
        );
        let header = spec.genesis_header();
        assert_ne!(header.state_root, EMPTY_ROOT_HASH);
        assert_eq!(header.requests_hash, Some(EMPTY_REQUESTS_HASH));
        assert_eq!(header.hash_slow(), spec.genesis_hash());
    }

    #[test]
    fn mainnet_genesis_holds_only_the_system_contracts() {
        let spec = ChainSpec::mainnet();
        // EIP-2935 history, the CREATE2 deployer, the OP predeploys (L1Block,
        // L2ToL1MessagePasser and four fee vaults) and the identity proxies and implementations.
        assert_eq!(spec.genesis.alloc.len(), 12);
        assert!(spec.genesis.alloc.values().all(|account| account.code.is_some()));
        for predeploy in [
            address!("0x4200000000000000000000000000000000000015"),
            address!("0x4200000000000000000000000000000000000016"),
            address!("0x4200000000000000000000000000000000000011"),
        ] {
            assert!(spec.genesis.alloc.contains_key(&predeploy), "{predeploy} predeployed");
        }
    }
}
