//! Integration tests of trex-da-bridge: the HTTP API over both backends (Celestia through an
//! in-process server built on celestia-rpc's server traits), and the real binary.

mod api;
mod binary;
mod celestia;

use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use trex_da_bridge::{DaBackend, Metrics, router, serve};

/// An in-process bridge serving one backend; stops when dropped.
pub(crate) struct Bridge {
    pub(crate) url: String,
    cancel: CancellationToken,
}

impl Bridge {
    pub(crate) async fn start(backend: Arc<dyn DaBackend>, max_body_size: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        let app = router(backend, Metrics::new(), max_body_size);
        tokio::spawn(serve(listener, app, cancel.clone()));
        Self { url, cancel }
    }

    pub(crate) fn client(&self) -> trex_da_client::DaClient {
        trex_da_client::DaClient::new(&self.url, Duration::from_secs(10)).unwrap()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
