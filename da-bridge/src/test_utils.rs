//! An in-process Celestia node for tests: a jsonrpsee server built on celestia-rpc's own
//! `BlobRpcServer` and `HeaderRpcServer` traits.
//!
//! Blobs live in memory per height. `blob.Submit` recomputes every blob's share commitment with
//! celestia-types (the same code Celestia clients use) and refuses blobs whose commitment does not
//! match, then includes them at a new height with a generated, validly signed header
//! (celestia-types' `ExtendedHeaderGenerator`; the headers' data roots are not tied to the blobs).
//! `blob.GetProof` and `blob.Included` are not implemented (they answer an error). Faults can be
//! injected: fail the next N submits, or let submits hang forever.

use celestia_rpc::{BlobRpcServer, HeaderRpcServer, TxConfig};
use celestia_types::{
    Blob, Commitment, ExtendedHeader, SyncState,
    hash::Hash,
    nmt::{Namespace, NamespaceProof},
    test_utils::ExtendedHeaderGenerator,
};
use jsonrpsee::{
    RpcModule,
    core::{RpcResult, async_trait},
    server::{Server, ServerConfig, ServerHandle},
    types::ErrorObjectOwned,
};
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

/// The error code celestia-node uses for its errors.
const NODE_ERROR: i32 = 1;

#[derive(Debug)]
struct Chain {
    generator: ExtendedHeaderGenerator,
    headers: Vec<ExtendedHeader>,
    blobs: BTreeMap<u64, Vec<Blob>>,
}

#[derive(Debug)]
struct MockState {
    chain: Mutex<Chain>,
    fail_submits: AtomicU32,
    hang_submits: AtomicBool,
    submit_calls: AtomicU32,
}

/// The RPC implementation (cheap to clone).
#[derive(Debug, Clone)]
struct MockRpc(Arc<MockState>);

fn node_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(NODE_ERROR, message, None::<()>)
}

impl MockRpc {
    fn head(&self) -> ExtendedHeader {
        self.0.chain.lock().unwrap().headers.last().cloned().expect("genesis header")
    }

    fn header_at(&self, height: u64) -> Option<ExtendedHeader> {
        let chain = self.0.chain.lock().unwrap();
        chain.headers.iter().find(|h| h.height() == height).cloned()
    }
}

#[async_trait]
impl BlobRpcServer for MockRpc {
    async fn blob_get(
        &self,
        height: u64,
        namespace: Namespace,
        commitment: Commitment,
    ) -> RpcResult<Blob> {
        let chain = self.0.chain.lock().unwrap();
        chain
            .blobs
            .get(&height)
            .and_then(|blobs| {
                blobs.iter().find(|b| b.namespace == namespace && b.commitment == commitment)
            })
            .cloned()
            .ok_or_else(|| node_error("blob: not found"))
    }

    async fn blob_get_all(
        &self,
        height: u64,
        namespaces: Vec<Namespace>,
    ) -> RpcResult<Option<Vec<Blob>>> {
        let chain = self.0.chain.lock().unwrap();
        let found: Vec<Blob> = chain
            .blobs
            .get(&height)
            .into_iter()
            .flatten()
            .filter(|b| namespaces.contains(&b.namespace))
            .cloned()
            .collect();
        Ok((!found.is_empty()).then_some(found))
    }

    async fn blob_get_proof(
        &self,
        _height: u64,
        _namespace: Namespace,
        _commitment: Commitment,
    ) -> RpcResult<Vec<NamespaceProof>> {
        Err(node_error("blob.GetProof is not implemented by the in-process mock"))
    }

    async fn blob_included(
        &self,
        _height: u64,
        _namespace: Namespace,
        _proof: NamespaceProof,
        _commitment: Commitment,
    ) -> RpcResult<bool> {
        Err(node_error("blob.Included is not implemented by the in-process mock"))
    }

    async fn blob_submit(&self, blobs: Vec<Blob>, _opts: TxConfig) -> RpcResult<u64> {
        self.0.submit_calls.fetch_add(1, Ordering::SeqCst);
        if self.0.hang_submits.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self
            .0
            .fail_submits
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(node_error("account sequence mismatch (injected by the mock)"));
        }
        if blobs.is_empty() {
            return Err(node_error("blob: no blobs provided"));
        }
        for blob in &blobs {
            let recomputed = Blob::new(blob.namespace, blob.data.clone(), blob.signer)
                .map_err(|err| node_error(format!("invalid blob: {err}")))?;
            if recomputed.commitment != blob.commitment {
                return Err(node_error("blob: invalid commitment"));
            }
        }
        let mut chain = self.0.chain.lock().unwrap();
        let header = chain.generator.next();
        let height = header.height();
        chain.headers.push(header);
        chain.blobs.insert(height, blobs);
        Ok(height)
    }
}

#[async_trait]
impl HeaderRpcServer for MockRpc {
    async fn header_get_by_hash(&self, hash: Hash) -> RpcResult<ExtendedHeader> {
        let chain = self.0.chain.lock().unwrap();
        chain
            .headers
            .iter()
            .find(|h| h.hash() == hash)
            .cloned()
            .ok_or_else(|| node_error("header: not found"))
    }

    async fn header_get_by_height(&self, height: u64) -> RpcResult<ExtendedHeader> {
        self.header_at(height).ok_or_else(|| node_error("header: not found"))
    }

    async fn header_get_range_by_height(
        &self,
        from: ExtendedHeader,
        to: u64,
    ) -> RpcResult<Vec<ExtendedHeader>> {
        let chain = self.0.chain.lock().unwrap();
        Ok(chain
            .headers
            .iter()
            .filter(|h| h.height() > from.height() && h.height() < to)
            .cloned()
            .collect())
    }

    async fn header_local_head(&self) -> RpcResult<ExtendedHeader> {
        Ok(self.head())
    }

    async fn header_network_head(&self) -> RpcResult<ExtendedHeader> {
        Ok(self.head())
    }

    async fn header_sync_state(&self) -> RpcResult<SyncState> {
        let chain = self.0.chain.lock().unwrap();
        let first = chain.headers.first().expect("genesis header");
        let last = chain.headers.last().expect("genesis header");
        Ok(SyncState {
            id: 1,
            height: last.height(),
            from_height: first.height(),
            to_height: last.height(),
            from_hash: first.hash(),
            to_hash: last.hash(),
            start: first.time(),
            end: last.time(),
            error: None,
        })
    }

    async fn header_sync_wait(&self) -> RpcResult<()> {
        Ok(())
    }

    async fn header_wait_for_height(&self, height: u64) -> RpcResult<ExtendedHeader> {
        loop {
            if let Some(header) = self.header_at(height) {
                return Ok(header);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running in-process Celestia JSON-RPC server; stops when dropped.
#[derive(Debug)]
pub struct MockCelestia {
    state: Arc<MockState>,
    addr: SocketAddr,
    handle: ServerHandle,
}

impl MockCelestia {
    /// Starts the server on a free local port, with a genesis header at height 1 and no blobs.
    pub async fn start() -> std::io::Result<Self> {
        let mut generator = ExtendedHeaderGenerator::new();
        let genesis = generator.next();
        let state = Arc::new(MockState {
            chain: Mutex::new(Chain { generator, headers: vec![genesis], blobs: BTreeMap::new() }),
            fail_submits: AtomicU32::new(0),
            hang_submits: AtomicBool::new(false),
            submit_calls: AtomicU32::new(0),
        });
        let rpc = MockRpc(state.clone());
        let mut module = RpcModule::new(());
        module
            .merge(BlobRpcServer::into_rpc(rpc.clone()))
            .and_then(|()| module.merge(HeaderRpcServer::into_rpc(rpc)))
            .map_err(std::io::Error::other)?;
        let config = ServerConfig::builder().max_request_body_size(64 * 1024 * 1024).build();
        let server = Server::builder().set_config(config).build("127.0.0.1:0").await?;
        let addr = server.local_addr()?;
        let handle = server.start(module);
        Ok(Self { state, addr, handle })
    }

    /// The HTTP URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket URL of the server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Makes the next `n` `blob.Submit` calls fail with a node error.
    pub fn fail_next_submits(&self, n: u32) {
        self.state.fail_submits.store(n, Ordering::SeqCst);
    }

    /// Makes `blob.Submit` calls never answer (`true`) or answer again (`false`).
    pub fn hang_submits(&self, hang: bool) {
        self.state.hang_submits.store(hang, Ordering::SeqCst);
    }

    /// How many `blob.Submit` calls reached the server.
    pub fn submit_calls(&self) -> u32 {
        self.state.submit_calls.load(Ordering::SeqCst)
    }

    /// The blobs included at `height`.
    pub fn blobs_at(&self, height: u64) -> Vec<Blob> {
        self.state.chain.lock().unwrap().blobs.get(&height).cloned().unwrap_or_default()
    }

    /// The latest height.
    pub fn height(&self) -> u64 {
        self.state.chain.lock().unwrap().headers.last().expect("genesis header").height()
    }
}

impl Drop for MockCelestia {
    fn drop(&mut self) {
        // Already stopped is fine.
        let _ = self.handle.stop();
    }
}
