//! One load run against one endpoint: setup, pre-signing, measured phase, report.

use std::{fmt, str::FromStr, time::Duration, time::Instant};

use rand::SeedableRng;
use serde::Serialize;
use tracing::info;

use crate::{
    error::{LoadgenError, Result},
    machine::load_average_1m,
    measure::{self, MeasureOptions},
    report::LoadReport,
    rpc::RpcClient,
    setup,
    signing::{self, SigningPlan},
};

/// Which kind of transaction the measured phase sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Plain ETH value transfers (21,000 gas each).
    Eth,
    /// `DevToken.transfer` calls (an OpenZeppelin ERC-20).
    Erc20,
}

impl Scenario {
    /// Both scenarios, in reporting order.
    pub const ALL: [Self; 2] = [Self::Eth, Self::Erc20];

    /// Human label used in tables.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Eth => "ETH transfer",
            Self::Erc20 => "ERC-20 transfer",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eth => "eth",
            Self::Erc20 => "erc20",
        })
    }
}

impl FromStr for Scenario {
    type Err = LoadgenError;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "eth" => Ok(Self::Eth),
            "erc20" => Ok(Self::Erc20),
            other => Err(LoadgenError::Config(format!(
                "unknown scenario {other:?}; expected `eth` or `erc20`"
            ))),
        }
    }
}

/// Settings of one load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// JSON-RPC HTTP endpoint.
    pub rpc_url: String,
    /// What to send.
    pub scenario: Scenario,
    /// Number of measured transactions.
    pub txs: usize,
    /// Number of sending accounts.
    pub accounts: u32,
    /// Parallel sending workers.
    pub concurrency: usize,
    /// Transactions per `eth_sendRawTransaction` request (1 = no JSON-RPC batching).
    pub batch: usize,
    /// Offered load in tx/s, spread evenly over the run; as fast as possible when `None`.
    pub rate: Option<f64>,
    /// BIP-39 mnemonic of the funder and the senders.
    pub mnemonic: String,
    /// Derivation index of the funding account (funded in genesis).
    pub funder_index: u32,
    /// Derivation index of the first sender; senders use `first_sender_index..+accounts`.
    pub first_sender_index: u32,
    /// Most transactions of one sender sent before earlier ones are included: setup sends the
    /// funder's transactions in waves of this size, and the measured phase requires
    /// `ceil(txs / accounts)` to fit. Node pools cap pending transactions per sender (the T-Rex
    /// sequencer's default is 64).
    pub max_in_flight_per_sender: usize,
    /// Fee cap as a multiple of the node's `eth_gasPrice`.
    pub fee_multiplier: u64,
    /// How long to wait after the last send for the remaining transactions to be included.
    pub inclusion_timeout: Duration,
    /// How often the watcher polls `eth_blockNumber`.
    pub poll_interval: Duration,
    /// How many included transactions get their receipt checked.
    pub verify_sample: usize,
    /// Seed for recipient addresses; a random one when `None`.
    pub seed: Option<u64>,
}

impl LoadConfig {
    fn validate(&self) -> Result<()> {
        let fail = |m: &str| Err(LoadgenError::Config(m.to_owned()));
        if self.txs == 0 {
            return fail("--txs must be at least 1");
        }
        if self.accounts == 0 {
            return fail("--accounts must be at least 1");
        }
        if self.concurrency == 0 || self.batch == 0 {
            return fail("--concurrency and --batch must be at least 1");
        }
        if self.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            return fail("--rate must be a positive number of tx/s");
        }
        if self.fee_multiplier == 0 {
            return fail("--fee-multiplier must be at least 1");
        }
        if self.max_in_flight_per_sender == 0 {
            return fail("--max-in-flight-per-sender must be at least 1");
        }
        let per_sender = self.txs.div_ceil(self.accounts as usize);
        if per_sender > self.max_in_flight_per_sender {
            return Err(LoadgenError::Config(format!(
                "{} txs over {} accounts is {per_sender} per sender, above \
                 --max-in-flight-per-sender {}; use at least {} accounts",
                self.txs,
                self.accounts,
                self.max_in_flight_per_sender,
                self.txs.div_ceil(self.max_in_flight_per_sender)
            )));
        }
        let senders_end = self.first_sender_index.checked_add(self.accounts);
        if self.funder_index >= self.first_sender_index
            && senders_end.is_some_and(|end| self.funder_index < end)
        {
            return fail("the funder's index lies inside the senders' index range");
        }
        Ok(())
    }
}

/// Runs one load: funds the senders (and deploys the token for ERC-20), pre-signs `txs`
/// transactions, sends them and follows their inclusion, then reports.
pub async fn run_load(config: &LoadConfig) -> Result<LoadReport> {
    config.validate()?;
    let client = RpcClient::new(config.rpc_url.clone())?;
    let node_version =
        client.call::<String>("web3_clientVersion", serde_json::json!([])).await.ok();

    let setup_started = Instant::now();
    let prepared = setup::prepare(&client, config).await?;
    let setup_time = setup_started.elapsed();
    info!(?setup_time, senders = prepared.senders.len(), "setup done");

    let signing_started = Instant::now();
    let plan = SigningPlan {
        chain_id: prepared.chain_id,
        fees: prepared.fees,
        gas_limit: prepared.gas_limit,
        payload: prepared.payload,
        senders: &prepared.senders,
        start_nonces: &prepared.nonces,
        count: config.txs,
    };
    let mut rng = match config.seed {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
        None => rand::rngs::StdRng::from_os_rng(),
    };
    let txs = signing::presign(&plan, &mut rng)?;
    let signing_time = signing_started.elapsed();
    info!(?signing_time, txs = txs.len(), "pre-signed");

    let options = MeasureOptions {
        concurrency: config.concurrency,
        batch: config.batch,
        rate: config.rate,
        poll_interval: config.poll_interval,
        inclusion_timeout: config.inclusion_timeout,
        verify_sample: config.verify_sample,
    };
    let load_avg_1m = load_average_1m();
    let measured = measure::measure(&client, txs, &options).await?;

    Ok(LoadReport::new(
        config,
        &prepared,
        node_version,
        load_avg_1m,
        setup_time,
        signing_time,
        measured,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LoadConfig {
        LoadConfig {
            rpc_url: "http://127.0.0.1:8545".into(),
            scenario: Scenario::Eth,
            txs: 10,
            accounts: 2,
            concurrency: 1,
            batch: 1,
            rate: None,
            mnemonic: signing::DEV_MNEMONIC.into(),
            funder_index: 0,
            first_sender_index: 1000,
            max_in_flight_per_sender: 64,
            fee_multiplier: 3,
            inclusion_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(10),
            verify_sample: 1,
            seed: None,
        }
    }

    #[test]
    fn scenario_round_trips_through_strings() {
        for scenario in Scenario::ALL {
            assert_eq!(scenario.to_string().parse::<Scenario>().unwrap(), scenario);
        }
        assert_eq!("ERC20".parse::<Scenario>().unwrap(), Scenario::Erc20);
        assert!("uniswap".parse::<Scenario>().is_err());
    }

    #[test]
    fn validation_rejects_overlapping_funder_and_senders() {
        assert!(config().validate().is_ok());
        let overlapping = LoadConfig { funder_index: 1001, ..config() };
        assert!(overlapping.validate().is_err());
        let empty = LoadConfig { txs: 0, ..config() };
        assert!(empty.validate().is_err());
        let stalled = LoadConfig { rate: Some(0.0), ..config() };
        assert!(stalled.validate().is_err());
    }

    #[test]
    fn validation_keeps_each_sender_under_the_in_flight_cap() {
        let at_cap = LoadConfig { txs: 128, accounts: 2, ..config() };
        assert!(at_cap.validate().is_ok());
        let over = LoadConfig { txs: 129, accounts: 2, ..config() };
        let err = over.validate().unwrap_err().to_string();
        assert!(err.contains("use at least 3 accounts"), "{err}");
    }
}
