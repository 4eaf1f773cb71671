//! The Ethereum JSON-RPC server (HTTP and WebSocket on one port) built on jsonrpsee.

mod api;
mod call;
pub mod convert;
mod debug;
pub mod error;
mod eth;
mod fees;
mod filter;
pub mod optimism;
pub(crate) mod pubsub;

pub use api::{EthApiServer, NetApiServer, TxPoolApiServer, Web3ApiServer};

use crate::{
    node::Node,
    storage::{StoreReader, StoredBlock},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use error::{internal_error, invalid_params};
use jsonrpsee::{
    RpcModule,
    core::RpcResult,
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
};
use std::{net::SocketAddr, sync::Arc};

/// Limits and address of the JSON-RPC server.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Where to listen (HTTP and WebSocket).
    pub addr: SocketAddr,
    /// Largest accepted request body, bytes.
    pub max_request_bytes: u32,
    /// Largest response body, bytes.
    pub max_response_bytes: u32,
    /// Most calls in one batch.
    pub max_batch_len: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// Gas cap for `eth_call` and `eth_estimateGas`.
    pub gas_cap: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 9545)),
            max_request_bytes: 5 * 1024 * 1024,
            max_response_bytes: 100 * 1024 * 1024,
            max_batch_len: 1000,
            max_connections: 500,
            gas_cap: 50_000_000,
        }
    }
}

/// What every RPC handler needs: the node and the server's limits.
#[derive(Debug, Clone)]
pub struct RpcContext {
    /// The node.
    pub node: Arc<Node>,
    /// Server limits.
    pub config: RpcConfig,
}

impl RpcContext {
    /// A snapshot of the store.
    pub fn reader(&self) -> RpcResult<StoreReader> {
        self.node.store.reader().map_err(internal_error)
    }

    /// Resolves a block tag or number to a block number that exists.
    ///
    /// `safe` and `finalized` are the rollup's safe (derived from L1 data) and finalized (from
    /// finalized L1 data) heads; a standalone node has no L1, so they are its genesis.
    pub fn resolve_number(&self, reader: &StoreReader, tag: BlockNumberOrTag) -> RpcResult<u64> {
        let head = reader.head_number().map_err(internal_error)?;
        let heads = self.node.rollup.get().map(|rollup| rollup.heads());
        let number = match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => head,
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Safe => heads.map_or(0, |heads| heads.safe_l2.block_info.number),
            BlockNumberOrTag::Finalized => {
                heads.map_or(0, |heads| heads.finalized_l2.block_info.number)
            }
            BlockNumberOrTag::Number(number) => number,
        };
        // A head moved back by an unwind can briefly sit above the local chain.
        let number = if matches!(tag, BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized) {
            number.min(head)
        } else {
            number
        };
        if number > head {
            return Err(invalid_params(format!("block {number} not found (head is {head})")));
        }
        Ok(number)
    }

    /// Resolves a block id (tag, number or hash) to a canonical block number.
    pub fn resolve_id(&self, reader: &StoreReader, id: BlockId) -> RpcResult<u64> {
        match id {
            BlockId::Number(tag) => self.resolve_number(reader, tag),
            BlockId::Hash(hash) => reader
                .block_number(&hash.block_hash)
                .map_err(internal_error)?
                .ok_or_else(|| invalid_params(format!("block {} not found", hash.block_hash))),
        }
    }

    /// The block for a tag or number, `None` past the head.
    pub fn block_by_tag(&self, tag: BlockNumberOrTag) -> RpcResult<Option<StoredBlock>> {
        let reader = self.reader()?;
        let head = reader.head_number().map_err(internal_error)?;
        if matches!(tag, BlockNumberOrTag::Number(n) if n > head) {
            return Ok(None);
        }
        let number = self.resolve_number(&reader, tag)?;
        reader.block(number).map_err(internal_error)
    }
}

/// Subscription ids as geth hands them out: random 128-bit hex quantities.
#[derive(Debug, Clone, Copy)]
struct HexIdProvider;

impl jsonrpsee::core::traits::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        let id = alloy_primitives::U128::from_be_bytes(alloy_primitives::B128::random().0);
        jsonrpsee::types::SubscriptionId::Str(format!("{id:#x}").into())
    }
}

/// All namespaces served by the node.
pub fn build_module(ctx: RpcContext) -> RpcModule<()> {
    let mut module = RpcModule::new(());
    module.merge(EthApiServer::into_rpc(ctx.clone())).expect("unique method names");
    module.merge(NetApiServer::into_rpc(ctx.clone())).expect("unique method names");
    module.merge(Web3ApiServer::into_rpc(ctx.clone())).expect("unique method names");
    module.merge(fees::FeeApiServer::into_rpc(ctx.clone())).expect("unique method names");
    module
        .merge(filter::EthFilterApiServer::into_rpc(filter::EthFilter::new(ctx.clone())))
        .expect("unique method names");
    module
        .merge(pubsub::EthPubSubApiServer::into_rpc(pubsub::EthPubSub::new(ctx.clone())))
        .expect("unique method names");
    module
        .merge(debug::DebugApiServer::into_rpc(debug::DebugRpc::new(ctx.clone())))
        .expect("unique method names");
    module.merge(optimism::OptimismApiServer::into_rpc(ctx.clone())).expect("unique method names");
    module.merge(TxPoolApiServer::into_rpc(ctx)).expect("unique method names");
    module
}

/// Starts the JSON-RPC server; it runs until the handle is stopped.
pub async fn start_server(ctx: RpcContext) -> Result<(SocketAddr, ServerHandle), crate::NodeError> {
    let config = ctx.config.clone();
    let module = build_module(ctx.clone());
    let known: std::collections::HashSet<String> =
        module.method_names().map(str::to_owned).collect();
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .set_id_provider(HexIdProvider)
        .build();
    let cors = tower_http::cors::CorsLayer::permissive();
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .set_rpc_middleware(ctx.node.metrics.rpc_layer(Arc::new(known)))
        .build(config.addr)
        .await
        .map_err(|source| crate::NodeError::Bind {
            what: "JSON-RPC server",
            addr: config.addr,
            source,
        })?;
    let addr = server.local_addr().map_err(|source| crate::NodeError::Bind {
        what: "JSON-RPC server",
        addr: config.addr,
        source,
    })?;
    Ok((addr, server.start(module)))
}
