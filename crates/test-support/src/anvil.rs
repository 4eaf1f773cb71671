//! A throwaway anvil for the integration tests, its dev accounts' keys and providers signing
//! with them.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy_network::EthereumWallet;
use alloy_provider::{Provider, ProviderBuilder, WalletProvider};
use alloy_signer_local::PrivateKeySigner;

/// The private keys of anvil's dev accounts 0..=9 (its default mnemonic).
pub const DEV_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// `.tools/bin/anvil` on a free port (no block time: every transaction mines a block), killed
/// on drop.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    /// Its JSON-RPC URL.
    pub url: url::Url,
}

impl Anvil {
    /// Starts anvil with the extra `args` (e.g. `--chain-id`) and waits until it answers.
    pub async fn start(args: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/bin/anvil");
        let child = Command::new(bin)
            .args(["--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil in .tools/bin");
        let anvil = Self { child, url: format!("http://127.0.0.1:{port}").parse().unwrap() };
        let provider = ProviderBuilder::new().connect_http(anvil.url.clone());
        for _ in 0..400 {
            if provider.get_block_number().await.is_ok() {
                return anvil;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("anvil did not start");
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A provider at `url` signing with `keys` (the first is the default sender).
pub fn wallet_provider(
    url: &url::Url,
    keys: &[&str],
) -> impl Provider + WalletProvider + Clone + use<> {
    let mut signers = keys.iter().map(|key| key.parse::<PrivateKeySigner>().unwrap());
    let mut wallet = EthereumWallet::from(signers.next().expect("a key"));
    signers.for_each(|signer| wallet.register_signer(signer));
    ProviderBuilder::new().wallet(wallet).connect_http(url.clone())
}
