//! The unmeasured setup phase: fees, keys, token deployment, funding, nonces.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor};
use serde_json::json;
use tracing::info;
use trex_bindings::DevToken;

use crate::{
    error::{LoadgenError, Result},
    load::{LoadConfig, Scenario},
    rpc::{RpcCall, RpcClient},
    signing::{self, Fees, Payload, PresignedTx, TxRequest},
};

/// Wei sent by each measured ETH transfer.
pub const ETH_TRANSFER_WEI: u64 = 1;
/// Token base units sent by each measured ERC-20 transfer.
pub const TOKEN_TRANSFER_UNITS: u64 = 1;
/// Extra gas, in percent of the node's estimate, given to contract calls and deployments: the
/// estimate is for one recipient and one sender state, and real calls may touch colder slots.
const CONTRACT_GAS_HEADROOM_PERCENT: u64 = 20;
/// How often setup polls for receipts.
const RECEIPT_POLL: Duration = Duration::from_millis(100);

/// The state the measured phase starts from.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Chain id reported by the node.
    pub(crate) chain_id: u64,
    /// Fee caps for the measured transactions.
    pub(crate) fees: Fees,
    /// Gas limit of each measured transaction.
    pub(crate) gas_limit: u64,
    /// What each measured transaction does.
    pub(crate) payload: Payload,
    /// The funded senders.
    pub(crate) senders: Vec<PrivateKeySigner>,
    /// Next nonce of each sender.
    pub(crate) nonces: Vec<u64>,
    /// Setup transactions sent (deployment, funding, token distribution).
    pub(crate) setup_txs: usize,
}

/// Runs the setup phase for `config` and returns the starting state of the measured phase.
pub(crate) async fn prepare(client: &RpcClient, config: &LoadConfig) -> Result<Prepared> {
    let chain_id = client.chain_id().await?;
    let fees = Fees::from_suggestion(
        client.gas_price().await?,
        client.max_priority_fee().await?,
        config.fee_multiplier,
    );
    let funder = signing::derive_signer(&config.mnemonic, config.funder_index)?;
    let senders =
        signing::derive_signers(&config.mnemonic, config.first_sender_index, config.accounts)?;
    let sender_addresses: Vec<Address> = senders.iter().map(|s| s.address()).collect();
    let mut funder_wallet = FunderWallet {
        nonce: client.pending_nonces(&[funder.address()]).await?[0],
        signer: funder,
        chain_id,
        fees,
    };
    // A fresh address nobody has touched, so estimates price a first-time recipient.
    let probe = Address::from(rand::random::<[u8; 20]>());
    let funder_address = funder_wallet.signer.address();
    let eth_value = U256::from(ETH_TRANSFER_WEI);
    let transfer_gas = client.estimate_gas(funder_address, Some(probe), eth_value, &[]).await?;
    let mut setup_txs = 0;
    let per_sender = config.txs.div_ceil(senders.len()) as u64;

    let payload = match config.scenario {
        Scenario::Eth => Payload::Eth { value: eth_value },
        Scenario::Erc20 => {
            let amount = U256::from(TOKEN_TRANSFER_UNITS);
            // Mint exactly what the senders will transfer.
            let constructor = DevToken::constructorCall {
                name_: "Dev Token".into(),
                symbol_: "DEV".into(),
                initialSupply: amount * U256::from(per_sender) * U256::from(senders.len()),
            };
            let init_code: Bytes =
                [DevToken::BYTECODE.as_ref(), &constructor.abi_encode()].concat().into();
            let deploy_gas = with_headroom(
                client.estimate_gas(funder_address, None, U256::ZERO, &init_code).await?,
            );
            let token = funder_address.create(funder_wallet.nonce);
            let deploy = funder_wallet.sign(TxRequest {
                to: TxKind::Create,
                value: U256::ZERO,
                input: init_code,
                gas_limit: deploy_gas,
            })?;
            send_and_confirm(client, vec![deploy], config).await?;
            setup_txs += 1;
            info!(%token, "DevToken deployed");
            Payload::Erc20 { token, amount }
        }
    };
    let gas_limit = match payload {
        Payload::Eth { .. } => transfer_gas,
        Payload::Erc20 { token, amount } => {
            let call = DevToken::transferCall { to: probe, value: amount }.abi_encode();
            with_headroom(
                client.estimate_gas(funder_address, Some(token), U256::ZERO, &call).await?,
            )
        }
    };

    let eth_value_per_tx = match payload {
        Payload::Eth { value } => value,
        Payload::Erc20 { .. } => U256::ZERO,
    };
    let eth_needed = (fees.max_cost(gas_limit) + eth_value_per_tx) * U256::from(per_sender);
    // Top up to twice the need, so that a follow-up run on the same node rarely needs funding.
    let balances = client.balances(&sender_addresses).await?;
    let mut setup = Vec::new();
    let mut eth_out = U256::ZERO;
    for (address, balance) in sender_addresses.iter().zip(&balances) {
        if *balance < eth_needed {
            let amount = eth_needed * U256::from(2) - *balance;
            eth_out += amount;
            setup.push(funder_wallet.sign(TxRequest {
                to: TxKind::Call(*address),
                value: amount,
                input: Bytes::new(),
                gas_limit: transfer_gas,
            })?);
        }
    }
    if let Payload::Erc20 { token, amount } = payload {
        for address in &sender_addresses {
            let input =
                DevToken::transferCall { to: *address, value: amount * U256::from(per_sender) };
            setup.push(funder_wallet.sign(TxRequest {
                to: TxKind::Call(token),
                value: U256::ZERO,
                input: input.abi_encode().into(),
                gas_limit,
            })?);
        }
    }
    let setup_fees = fees.max_cost(transfer_gas.max(gas_limit)) * U256::from(setup.len());
    let funder_balance = client.balances(&[funder_address]).await?[0];
    let needed = eth_out + setup_fees;
    if funder_balance < needed {
        return Err(LoadgenError::InsufficientFunds {
            funder: funder_address.to_string(),
            balance: funder_balance.to_string(),
            needed: needed.to_string(),
        });
    }
    info!(txs = setup.len(), "funding senders");
    setup_txs += setup.len();
    send_and_confirm(client, setup, config).await?;

    let nonces = client.pending_nonces(&sender_addresses).await?;
    Ok(Prepared { chain_id, fees, gas_limit, payload, senders, nonces, setup_txs })
}

/// `gas` plus [`CONTRACT_GAS_HEADROOM_PERCENT`].
fn with_headroom(gas: u64) -> u64 {
    gas + gas * CONTRACT_GAS_HEADROOM_PERCENT / 100
}

/// The funding account with its next nonce.
struct FunderWallet {
    signer: PrivateKeySigner,
    nonce: u64,
    chain_id: u64,
    fees: Fees,
}

impl FunderWallet {
    fn sign(&mut self, request: TxRequest) -> Result<PresignedTx> {
        let tx =
            signing::sign_request(&self.signer, self.chain_id, self.fees, self.nonce, request)?;
        self.nonce += 1;
        Ok(tx)
    }
}

/// Sends the funder's setup transactions in nonce order, in waves of at most
/// `max_in_flight_per_sender` (one JSON-RPC batch each, so node pools that cap pending
/// transactions per sender accept them all), waiting for every wave's successful receipts.
async fn send_and_confirm(
    client: &RpcClient,
    txs: Vec<PresignedTx>,
    config: &LoadConfig,
) -> Result<()> {
    for wave in txs.chunks(config.max_in_flight_per_sender) {
        let calls: Vec<_> = wave
            .iter()
            .map(|tx| RpcCall::new("eth_sendRawTransaction", json!([tx.raw_hex])))
            .collect();
        for outcome in client.batch(&calls).await? {
            outcome.map_err(|e| LoadgenError::Rpc {
                method: "eth_sendRawTransaction".into(),
                code: e.code,
                message: e.message,
            })?;
        }
        let hashes: Vec<B256> = wave.iter().map(|tx| tx.hash).collect();
        wait_for_receipts(client, &hashes, config.inclusion_timeout).await?;
    }
    Ok(())
}

/// Polls until every transaction in `hashes` has a successful receipt.
async fn wait_for_receipts(client: &RpcClient, hashes: &[B256], timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let mut found: HashSet<B256> = HashSet::with_capacity(hashes.len());
    loop {
        let pending: Vec<B256> = hashes.iter().filter(|h| !found.contains(*h)).copied().collect();
        if pending.is_empty() {
            break;
        }
        for receipt in client.receipts(&pending).await?.into_iter().flatten() {
            if receipt.status.to::<u64>() != 1 {
                return Err(LoadgenError::SetupReverted {
                    hash: receipt.transaction_hash.to_string(),
                });
            }
            found.insert(receipt.transaction_hash);
        }
        if found.len() < hashes.len() {
            if started.elapsed() > timeout {
                return Err(LoadgenError::Timeout {
                    what: format!("{} setup receipts", hashes.len() - found.len()),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_adds_a_fifth() {
        assert_eq!(with_headroom(50_000), 60_000);
        assert_eq!(with_headroom(0), 0);
    }
}
