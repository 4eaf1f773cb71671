//! A throwaway anvil and providers over it.

use std::{
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_network::EthereumWallet;
use alloy_provider::{Provider, ProviderBuilder, WalletProvider};
use alloy_signer_local::PrivateKeySigner;

/// anvil's first dev account (admin of the test deployments).
pub(crate) const DEV_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Kills anvil when the test ends, however it ends.
pub(crate) struct Anvil {
    child: Child,
    /// Its HTTP endpoint.
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn_anvil() -> Anvil {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/bin/anvil");
    let child = Command::new(bin)
        .args(["--port", &port.to_string(), "--chain-id", "7777"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn anvil (.tools/bin/anvil)");
    let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "anvil did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    anvil
}

/// A provider sending from `signer`'s wallet.
pub(crate) fn wallet_provider(
    anvil: &Anvil,
    signer: PrivateKeySigner,
) -> impl Provider + WalletProvider + Clone + 'static {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.url.parse().unwrap())
}

/// Gives `to` 10 ETH from `provider`'s wallet (the same provider as the test's other
/// transactions, so its nonce cache stays right).
pub(crate) async fn fund(provider: &impl Provider, to: alloy_primitives::Address) {
    let tx = alloy_rpc_types_eth::TransactionRequest::default()
        .to(to)
        .value(alloy_primitives::U256::from(10u128.pow(19)));
    provider.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
}

/// The decoded revert name of an SDK error, or its text.
pub(crate) fn reason(err: &trex_sdk::Error) -> String {
    err.reason().unwrap_or_else(|| err.to_string())
}
