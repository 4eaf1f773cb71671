//! The report of one load run, as text and JSON.

use std::{fmt, time::Duration};

use serde::Serialize;

use crate::{
    load::{LoadConfig, Scenario},
    measure::Measured,
    setup::Prepared,
    stats::{LatencySummary, rate},
};

/// Distinct rejection messages kept in a report.
const MAX_ERRORS: usize = 5;

/// One block of the measured window.
#[derive(Debug, Clone, Serialize)]
pub struct BlockReport {
    /// Block number.
    pub number: u64,
    /// Block timestamp, seconds.
    pub timestamp: u64,
    /// Gas used by the block.
    pub gas_used: u64,
    /// Transactions in the block.
    pub txs: usize,
    /// Of which sent by this run.
    pub ours: usize,
    /// When the watcher first saw the block, ms after the measured phase began.
    pub seen_ms: f64,
}

/// Results of one load run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Endpoint measured.
    pub rpc_url: String,
    /// `web3_clientVersion`, if the node answers it.
    pub node_version: Option<String>,
    /// Scenario.
    pub scenario: Scenario,
    /// Chain id.
    pub chain_id: u64,
    /// Measured transactions.
    pub txs: usize,
    /// Sending accounts.
    pub accounts: u32,
    /// Parallel sending workers.
    pub concurrency: usize,
    /// Transactions per send request.
    pub batch: usize,
    /// Offered load in tx/s, if the run was rate-limited.
    pub offered_rate: Option<f64>,
    /// Gas limit of each measured transaction.
    pub gas_limit_per_tx: u64,
    /// Fee cap of each measured transaction, gwei.
    pub max_fee_gwei: f64,
    /// One-minute load average of the machine when the measured phase began.
    pub load_avg_1m: Option<f64>,
    /// Setup transactions sent (funding, deployment, token distribution).
    pub setup_txs: usize,
    /// Setup time, s (not measured).
    pub setup_s: f64,
    /// Pre-signing time, s (not measured).
    pub presign_s: f64,
    /// Transactions the node accepted.
    pub accepted: usize,
    /// Transactions the node rejected.
    pub rejected: usize,
    /// The first distinct rejection messages.
    pub first_errors: Vec<String>,
    /// Transactions seen in a block.
    pub included: usize,
    /// Accepted transactions never seen in a block.
    pub not_included: usize,
    /// First send to last send answer, s.
    pub send_window_s: f64,
    /// First send to last inclusion seen, s.
    pub inclusion_window_s: f64,
    /// `accepted / send_window_s`.
    pub accepted_tps: f64,
    /// `included / inclusion_window_s`.
    pub included_tps: f64,
    /// Send → inclusion seen, over included transactions.
    pub latency: Option<LatencySummary>,
    /// Send → node's answer to `eth_sendRawTransaction`.
    pub rpc_latency: Option<LatencySummary>,
    /// Gas used by the blocks holding this run's transactions.
    pub gas_used: u64,
    /// `gas_used / inclusion_window_s`, millions.
    pub mgas_per_s: f64,
    /// Blocks holding at least one of this run's transactions.
    pub blocks_used: usize,
    /// Most of this run's transactions in one block.
    pub max_txs_per_block: usize,
    /// Most gas used by one block.
    pub max_block_gas: u64,
    /// Receipts checked.
    pub receipts_checked: usize,
    /// Receipts found successful in the block the watcher saw.
    pub receipts_ok: usize,
    /// First receipt check failures.
    pub receipt_failures: Vec<String>,
    /// Whether waiting for inclusions hit the timeout.
    pub timed_out: bool,
    /// Every block the watcher saw.
    pub blocks: Vec<BlockReport>,
}

impl LoadReport {
    /// Computes the report from the raw measurements.
    pub(crate) fn new(
        config: &LoadConfig,
        prepared: &Prepared,
        node_version: Option<String>,
        load_avg_1m: Option<f64>,
        setup_time: Duration,
        presign_time: Duration,
        measured: Measured,
    ) -> Self {
        let txs = &measured.txs;
        let first_send = txs.iter().map(|t| t.sent).min().unwrap_or_default();
        let last_answer = txs.iter().map(|t| t.answered).max().unwrap_or_default();
        let last_inclusion =
            txs.iter().filter_map(|t| t.included.map(|(at, _)| at)).max().unwrap_or(first_send);
        let send_window = last_answer.saturating_sub(first_send);
        let inclusion_window = last_inclusion.saturating_sub(first_send);

        let mut first_errors: Vec<String> = Vec::new();
        for error in txs.iter().filter_map(|t| t.error.as_ref()) {
            if first_errors.len() < MAX_ERRORS && !first_errors.contains(error) {
                first_errors.push(error.clone());
            }
        }
        let accepted = txs.iter().filter(|t| t.error.is_none()).count();
        let included = txs.iter().filter(|t| t.included.is_some()).count();
        let not_included = txs.iter().filter(|t| t.error.is_none() && t.included.is_none()).count();
        let latency = LatencySummary::from_samples(
            txs.iter()
                .filter_map(|t| t.included.map(|(at, _)| at.saturating_sub(t.sent)))
                .collect(),
        );
        let rpc_latency = LatencySummary::from_samples(
            txs.iter().map(|t| t.answered.saturating_sub(t.sent)).collect(),
        );
        let used: Vec<_> = measured.blocks.iter().filter(|b| b.ours > 0).collect();
        let gas_used: u64 = used.iter().map(|b| b.gas_used).sum();

        Self {
            rpc_url: config.rpc_url.clone(),
            node_version,
            scenario: config.scenario,
            chain_id: prepared.chain_id,
            txs: txs.len(),
            accounts: config.accounts,
            concurrency: config.concurrency,
            batch: config.batch,
            offered_rate: config.rate,
            gas_limit_per_tx: prepared.gas_limit,
            max_fee_gwei: prepared.fees.max_fee_per_gas as f64 / 1e9,
            load_avg_1m,
            setup_txs: prepared.setup_txs,
            setup_s: setup_time.as_secs_f64(),
            presign_s: presign_time.as_secs_f64(),
            accepted,
            rejected: txs.len() - accepted,
            first_errors,
            included,
            not_included,
            send_window_s: send_window.as_secs_f64(),
            inclusion_window_s: inclusion_window.as_secs_f64(),
            accepted_tps: rate(accepted as u64, send_window),
            included_tps: rate(included as u64, inclusion_window),
            latency,
            rpc_latency,
            gas_used,
            mgas_per_s: rate(gas_used, inclusion_window) / 1e6,
            blocks_used: used.len(),
            max_txs_per_block: used.iter().map(|b| b.ours).max().unwrap_or(0),
            max_block_gas: used.iter().map(|b| b.gas_used).max().unwrap_or(0),
            receipts_checked: measured.verification.checked,
            receipts_ok: measured.verification.ok,
            receipt_failures: measured.verification.failures,
            timed_out: measured.timed_out,
            blocks: measured
                .blocks
                .iter()
                .map(|b| BlockReport {
                    number: b.number,
                    timestamp: b.timestamp,
                    gas_used: b.gas_used,
                    txs: b.tx_count,
                    ours: b.ours,
                    seen_ms: b.seen.as_secs_f64() * 1e3,
                })
                .collect(),
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} against {} ({}, chain {})",
            self.scenario.label(),
            self.rpc_url,
            self.node_version.as_deref().unwrap_or("unknown client"),
            self.chain_id
        )?;
        writeln!(
            f,
            "  load:        {} txs from {} accounts, concurrency {}, batch {}, gas limit {} per tx, fee cap {:.3} gwei",
            self.txs,
            self.accounts,
            self.concurrency,
            self.batch,
            self.gas_limit_per_tx,
            self.max_fee_gwei
        )?;
        if let Some(rate) = self.offered_rate {
            writeln!(f, "  offered:     {rate:.0} tx/s, spread evenly")?;
        }
        writeln!(
            f,
            "  setup:       {} txs in {:.2} s; pre-signing {:.2} s (neither measured)",
            self.setup_txs, self.setup_s, self.presign_s
        )?;
        if let Some(load) = self.load_avg_1m {
            writeln!(f, "  machine:     1-minute load average {load:.2} at the start")?;
        }
        writeln!(
            f,
            "  accepted:    {} ({:.0} tx/s over {:.3} s), rejected {}",
            self.accepted, self.accepted_tps, self.send_window_s, self.rejected
        )?;
        for error in &self.first_errors {
            writeln!(f, "    error: {error}")?;
        }
        writeln!(
            f,
            "  included:    {} ({:.0} tx/s over {:.3} s), not included {}{}",
            self.included,
            self.included_tps,
            self.inclusion_window_s,
            self.not_included,
            if self.timed_out { " (inclusion wait timed out)" } else { "" }
        )?;
        if let Some(l) = &self.latency {
            writeln!(
                f,
                "  latency:     send→inclusion p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms, mean {:.0} ms",
                l.p50_ms, l.p99_ms, l.max_ms, l.mean_ms
            )?;
        }
        if let Some(l) = &self.rpc_latency {
            writeln!(
                f,
                "  rpc:         send→answer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                l.p50_ms, l.p99_ms, l.max_ms
            )?;
        }
        writeln!(
            f,
            "  gas:         {:.1} Mgas/s ({} gas in {} blocks; max {} of our txs and {} gas in one block)",
            self.mgas_per_s,
            self.gas_used,
            self.blocks_used,
            self.max_txs_per_block,
            self.max_block_gas
        )?;
        write!(
            f,
            "  receipts:    {}/{} sampled receipts ok",
            self.receipts_ok, self.receipts_checked
        )?;
        for failure in &self.receipt_failures {
            write!(f, "\n    failure: {failure}")?;
        }
        Ok(())
    }
}
