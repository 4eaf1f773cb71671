//! The `optimism_` namespace of op-node: sync status, output roots and the rollup config.

use crate::rpc::{
    RpcContext,
    error::{internal_error, invalid_params},
};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use kona_protocol::{L2BlockInfo, SyncStatus};
use serde::Serialize;

/// An output root and what it commits to (op-node's `OutputResponse`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputResponse {
    /// Output root version (zero).
    pub version: B256,
    /// keccak(version, state root, withdrawal storage root, block hash).
    pub output_root: B256,
    /// The L2 block.
    pub block_ref: L2BlockInfo,
    /// Storage root of the L2ToL1MessagePasser.
    pub withdrawal_storage_root: B256,
    /// The block's state root.
    pub state_root: B256,
    /// The node's sync status when answering.
    pub sync_status: SyncStatus,
}

/// op-node's `optimism_` methods.
#[rpc(server, namespace = "optimism")]
pub trait OptimismApi {
    /// L1 and L2 heads: unsafe, safe (derived from L1 data) and finalized.
    #[method(name = "syncStatus")]
    fn sync_status(&self) -> RpcResult<SyncStatus>;
    /// The output root of an L2 block.
    #[method(name = "outputAtBlock")]
    fn output_at_block(&self, number: BlockNumberOrTag) -> RpcResult<OutputResponse>;
    /// The rollup config the node runs.
    #[method(name = "rollupConfig")]
    fn rollup_config(&self) -> RpcResult<kona_genesis::RollupConfig>;
}

impl RpcContext {
    fn rollup(&self) -> RpcResult<&std::sync::Arc<crate::rollup::RollupContext>> {
        self.node
            .rollup
            .get()
            .ok_or_else(|| invalid_params("not a rollup node: started without --rollup.config"))
    }
}

impl OptimismApiServer for RpcContext {
    fn sync_status(&self) -> RpcResult<SyncStatus> {
        Ok(self.rollup()?.sync_status())
    }

    fn output_at_block(&self, number: BlockNumberOrTag) -> RpcResult<OutputResponse> {
        let rollup = self.rollup()?;
        let reader = self.reader()?;
        let number = self.resolve_number(&reader, number)?;
        let block = reader
            .block(number)
            .map_err(internal_error)?
            .ok_or_else(|| invalid_params(format!("block {number} not found")))?;
        let block_ref = crate::rollup::block_ref(&rollup.config, &block).map_err(internal_error)?;
        let withdrawal_storage_root = match block.header.withdrawals_root {
            Some(root) => root,
            None => crate::storage::StateAt::at_block(reader, number)
                .and_then(|state| state.account(crate::executor::L2_TO_L1_MESSAGE_PASSER))
                .map_err(internal_error)?
                .map_or(alloy_trie::EMPTY_ROOT_HASH, |account| account.storage_root),
        };
        Ok(OutputResponse {
            version: B256::ZERO,
            output_root: crate::rollup::output_root(
                block.header.state_root,
                withdrawal_storage_root,
                block.hash,
            ),
            block_ref: crate::derive::l2_block_info(&block_ref),
            withdrawal_storage_root,
            state_root: block.header.state_root,
            sync_status: rollup.sync_status(),
        })
    }

    fn rollup_config(&self) -> RpcResult<kona_genesis::RollupConfig> {
        Ok((*self.rollup()?.config).clone())
    }
}
