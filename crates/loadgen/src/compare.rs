//! Side-by-side benchmark: anvil, then the T-Rex sequencer, same load, one run.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use serde::Serialize;
use tracing::info;

use crate::{
    error::{LoadgenError, Result},
    load::{LoadConfig, Scenario, run_load},
    machine::{Machine, utc_now},
    node::{NodeKind, NodeSpec, RunningNode},
    report::LoadReport,
};

/// The comment lines that enclose the generated section `name` of the benchmarks document.
pub fn section_markers(name: &str) -> (String, String) {
    (format!("<!-- trex-loadgen:{name}:begin -->"), format!("<!-- trex-loadgen:{name}:end -->"))
}

/// The issue's throughput goal: T-Rex includes at least this many times anvil's tx/s.
pub const GOAL_TPS_RATIO: f64 = 5.0;
/// The issue's latency goal: p99 send→inclusion at most the block time plus this many ms.
pub const GOAL_P99_SLACK_MS: f64 = 100.0;
/// The issue's gas goal: sustained ERC-20 transfers of at least this many Mgas/s.
pub const GOAL_ERC20_MGAS: f64 = 100.0;

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// anvil binary.
    pub anvil_bin: PathBuf,
    /// `trex-sequencer` binary; only anvil is measured when `None`.
    pub trex_bin: Option<PathBuf>,
    /// Block gas limit given to both nodes.
    pub gas_limit: u64,
    /// Block time given to both nodes, seconds.
    pub block_time_secs: u64,
    /// Scenarios measured on each node, in order.
    pub scenarios: Vec<Scenario>,
    /// Load settings; `rpc_url` and `scenario` are set per run.
    pub load: LoadConfig,
    /// The command line, recorded in the report.
    pub command_line: String,
    /// Directory to keep the nodes' logs in; they are deleted with the nodes when `None`.
    pub node_log_dir: Option<PathBuf>,
}

/// All runs against one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeResults {
    /// Implementation.
    pub kind: NodeKind,
    /// Binary used.
    pub binary: PathBuf,
    /// One report per scenario.
    pub reports: Vec<LoadReport>,
}

impl NodeResults {
    fn get(&self, scenario: Scenario) -> Option<&LoadReport> {
        self.reports.iter().find(|r| r.scenario == scenario)
    }
}

/// Whether a goal was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// Reached.
    Met,
    /// Measured and missed.
    NotMet,
    /// Not measured in this run.
    NotMeasured,
}

impl GoalStatus {
    fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not met",
            Self::NotMeasured => "not measured",
        }
    }
}

/// One goal of the issue with its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    /// What is asked.
    pub goal: String,
    /// What was measured.
    pub measured: String,
    /// Outcome.
    pub status: GoalStatus,
}

/// Result of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// When it ran (UTC).
    pub date: String,
    /// Where it ran.
    pub machine: Machine,
    /// How it was started.
    pub command: String,
    /// Block gas limit of both nodes.
    pub gas_limit: u64,
    /// Block time of both nodes, seconds.
    pub block_time_secs: u64,
    /// anvil's results.
    pub anvil: NodeResults,
    /// T-Rex's results, if it was measured.
    pub trex: Option<NodeResults>,
    /// The issue's goals.
    pub goals: Vec<Goal>,
}

/// Runs every scenario against anvil, then against the T-Rex sequencer, handing each finished
/// run's report to `on_report` as it completes.
pub async fn run_compare(
    config: &CompareConfig,
    mut on_report: impl FnMut(NodeKind, &LoadReport),
) -> Result<CompareReport> {
    let machine = Machine::detect();
    let date = utc_now();
    let anvil = measure_node(config, NodeKind::Anvil, &config.anvil_bin, &mut on_report).await?;
    let trex = match &config.trex_bin {
        Some(binary) => Some(measure_node(config, NodeKind::Trex, binary, &mut on_report).await?),
        None => None,
    };
    let goals = goals(&anvil, trex.as_ref(), config.block_time_secs, config.load.rate);
    Ok(CompareReport {
        date,
        machine,
        command: config.command_line.clone(),
        gas_limit: config.gas_limit,
        block_time_secs: config.block_time_secs,
        anvil,
        trex,
        goals,
    })
}

async fn measure_node(
    config: &CompareConfig,
    kind: NodeKind,
    binary: &Path,
    on_report: &mut impl FnMut(NodeKind, &LoadReport),
) -> Result<NodeResults> {
    let mut node = RunningNode::start(NodeSpec {
        kind,
        binary: binary.to_owned(),
        gas_limit: config.gas_limit,
        block_time_secs: config.block_time_secs,
        log_dir: config.node_log_dir.clone(),
    })
    .await?;
    let mut reports = Vec::new();
    for &scenario in &config.scenarios {
        let load = LoadConfig { rpc_url: node.url().to_owned(), scenario, ..config.load.clone() };
        info!(node = %kind, %scenario, "measuring");
        let report = run_load(&load).await?;
        node.check_alive()?;
        on_report(kind, &report);
        reports.push(report);
    }
    Ok(NodeResults { kind, binary: binary.to_owned(), reports })
}

fn goals(
    anvil: &NodeResults,
    trex: Option<&NodeResults>,
    block_time_secs: u64,
    rate: Option<f64>,
) -> Vec<Goal> {
    let mut goals = Vec::new();
    let p99_limit = block_time_secs as f64 * 1e3 + GOAL_P99_SLACK_MS;
    let measured_scenarios = Scenario::ALL.into_iter().filter(|s| anvil.get(*s).is_some());
    for scenario in measured_scenarios {
        let pair = (anvil.get(scenario), trex.and_then(|t| t.get(scenario)));
        let (status, measured) = match pair {
            // With a fixed offered rate both nodes include at most that rate: no ratio to read.
            (Some(_), Some(_)) if rate.is_some() => (
                GoalStatus::NotMeasured,
                "offered rate was fixed; see an unthrottled run".to_owned(),
            ),
            (Some(a), Some(t)) if a.included_tps > 0.0 => {
                let ratio = t.included_tps / a.included_tps;
                (
                    met(ratio >= GOAL_TPS_RATIO),
                    format!("{ratio:.2}× ({:.0} vs {:.0} tx/s)", t.included_tps, a.included_tps),
                )
            }
            _ => (GoalStatus::NotMeasured, "—".to_owned()),
        };
        goals.push(Goal {
            goal: format!("{}: included tx/s ≥ {GOAL_TPS_RATIO}× anvil's", scenario.label()),
            measured,
            status,
        });
        let (status, measured) = match pair.1 {
            Some(t) => match &t.latency {
                Some(l) if t.not_included == 0 && t.rejected == 0 => {
                    (met(l.p99_ms <= p99_limit), format!("{:.0} ms", l.p99_ms))
                }
                Some(l) => (
                    GoalStatus::NotMet,
                    format!(
                        "{:.0} ms, but {} rejected and {} never included",
                        l.p99_ms, t.rejected, t.not_included
                    ),
                ),
                None => (GoalStatus::NotMet, "nothing included".to_owned()),
            },
            None => (GoalStatus::NotMeasured, "—".to_owned()),
        };
        goals.push(Goal {
            goal: format!(
                "{}: T-Rex p99 send→inclusion ≤ block time + {GOAL_P99_SLACK_MS} ms ({p99_limit} ms)",
                scenario.label()
            ),
            measured,
            status,
        });
    }
    if anvil.get(Scenario::Erc20).is_none() {
        return goals;
    }
    let (status, measured) = match (trex.and_then(|t| t.get(Scenario::Erc20)), rate) {
        // A burst is over in a block or two: its gas rate says nothing about sustaining it.
        (Some(t), None) => (
            GoalStatus::NotMeasured,
            format!(
                "{:.1} Mgas/s over a {:.1} s burst; a run with a fixed offered rate measures this",
                t.mgas_per_s, t.inclusion_window_s
            ),
        ),
        (Some(t), Some(rate)) if t.rejected > 0 || t.not_included > 0 => (
            GoalStatus::NotMet,
            format!(
                "{:.1} Mgas/s, but it did not keep up with {rate:.0} tx/s: {} rejected, {} never \
                 included",
                t.mgas_per_s, t.rejected, t.not_included
            ),
        ),
        (Some(t), Some(rate)) => (
            met(t.mgas_per_s >= GOAL_ERC20_MGAS),
            format!(
                "{:.1} Mgas/s over {:.1} s at an offered {rate:.0} tx/s",
                t.mgas_per_s, t.inclusion_window_s
            ),
        ),
        (None, _) => (GoalStatus::NotMeasured, "—".to_owned()),
    };
    goals.push(Goal {
        goal: format!("ERC-20 transfers: T-Rex sustains ≥ {GOAL_ERC20_MGAS} Mgas/s"),
        measured,
        status,
    });
    goals
}

const fn met(ok: bool) -> GoalStatus {
    if ok { GoalStatus::Met } else { GoalStatus::NotMet }
}

impl CompareReport {
    /// The results as a markdown section (without the markers).
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let load = self.anvil.reports.first();
        let _ = writeln!(md, "Run of {}.\n", self.date);
        let _ = writeln!(md, "Command:\n\n```sh\n{}\n```\n", self.command);
        let _ = writeln!(md, "Machine: {}.\n", self.machine);
        let _ = writeln!(
            md,
            "Both nodes: block time {} s, block gas limit {} gas (large enough that execution, not \
             the limit, bounds throughput).",
            self.block_time_secs,
            thousands(self.gas_limit)
        );
        if let Some(l) = load {
            let pace = l.offered_rate.map_or("as fast as they go".to_owned(), |r| {
                format!("at an offered {} tx/s", thousands(r.round() as u64))
            });
            let _ = writeln!(
                md,
                "Load per scenario: {} pre-signed transactions from {} funded accounts, \
                 {} concurrent senders, {} transaction(s) per request, sent {pace}.",
                thousands(l.txs as u64),
                thousands(u64::from(l.accounts)),
                l.concurrency,
                l.batch
            );
        }
        let _ = writeln!(md);
        if self.trex.is_none() {
            let _ = writeln!(
                md,
                "**Only anvil was measured in this run; the T-Rex columns are empty, not zero.**\n"
            );
        }
        let scenarios: Vec<Scenario> =
            Scenario::ALL.into_iter().filter(|s| self.anvil.get(*s).is_some()).collect();
        let mut header = "| Metric |".to_owned();
        let mut rule = "|---|".to_owned();
        for s in &scenarios {
            let _ = write!(header, " anvil, {0} | T-Rex, {0} | T-Rex / anvil |", s.label());
            rule.push_str("---:|---:|---:|");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        type Metric = fn(&LoadReport) -> Option<f64>;
        // (row, value, decimals, whether a T-Rex/anvil ratio means something)
        let rows: [(&str, Metric, usize, bool); 12] = [
            ("accepted tx/s", |r| Some(r.accepted_tps), 0, true),
            ("included tx/s", |r| Some(r.included_tps), 0, true),
            ("p50 send→inclusion, ms", |r| r.latency.map(|l| l.p50_ms), 0, true),
            ("p99 send→inclusion, ms", |r| r.latency.map(|l| l.p99_ms), 0, true),
            ("max send→inclusion, ms", |r| r.latency.map(|l| l.max_ms), 0, true),
            ("Mgas/s", |r| Some(r.mgas_per_s), 1, true),
            ("blocks used", |r| Some(r.blocks_used as f64), 0, false),
            ("most txs in one block", |r| Some(r.max_txs_per_block as f64), 0, false),
            ("rejected", |r| Some(r.rejected as f64), 0, false),
            ("accepted, never included", |r| Some(r.not_included as f64), 0, false),
            ("gas limit per tx", |r| Some(r.gas_limit_per_tx as f64), 0, false),
            ("1-min load average at start", |r| r.load_avg_1m, 2, false),
        ];
        for (name, metric, decimals, with_ratio) in rows {
            let _ = write!(md, "| {name} |");
            for s in &scenarios {
                let a = self.anvil.get(*s).and_then(metric);
                let t = self.trex.as_ref().and_then(|t| t.get(*s)).and_then(metric);
                let ratio = match (a, t) {
                    (Some(a), Some(t)) if with_ratio && a > 0.0 => format!("{:.2}×", t / a),
                    _ => "—".to_owned(),
                };
                let _ = write!(md, " {} | {} | {ratio} |", cell(a, decimals), cell(t, decimals));
            }
            let _ = writeln!(md);
        }
        let _ = write!(md, "| receipts sampled ok |");
        for s in &scenarios {
            let receipts = |r: &LoadReport| format!("{}/{}", r.receipts_ok, r.receipts_checked);
            let a = self.anvil.get(*s).map_or("—".to_owned(), receipts);
            let t = self.trex.as_ref().and_then(|t| t.get(*s)).map_or("—".to_owned(), receipts);
            let _ = write!(md, " {a} | {t} | |");
        }
        let _ = writeln!(md);
        let versions: Vec<String> = std::iter::once(&self.anvil)
            .chain(self.trex.as_ref())
            .filter_map(|n| {
                let version = n.reports.first()?.node_version.clone()?;
                Some(format!("{}: `{version}`", n.kind))
            })
            .collect();
        if !versions.is_empty() {
            let _ = writeln!(md, "\nNode versions: {}.", versions.join(", "));
        }
        let _ =
            writeln!(md, "\nGoals of the issue:\n\n| Goal | Measured | Status |\n|---|---|---|");
        for g in &self.goals {
            let _ = writeln!(md, "| {} | {} | {} |", g.goal, g.measured, g.status.label());
        }
        md
    }
}

fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or("—".to_owned(), |v| format!("{v:.decimals$}"))
}

/// `1000000` → `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces the generated section `name` of `existing` (between its
/// [`section_markers`]) with `section`, or appends it when there is none.
pub fn splice_section(existing: &str, name: &str, section: &str) -> String {
    let (begin_marker, end_marker) = section_markers(name);
    let block = format!("{begin_marker}\n{}\n{end_marker}", section.trim_end());
    match (existing.find(&begin_marker), existing.find(&end_marker)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{block}{}", &existing[..begin], &existing[end + end_marker.len()..])
        }
        _ if existing.trim().is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{}\n\n{block}\n", existing.trim_end()),
    }
}

/// Writes `section` into the generated section `name` of the document at `path`, keeping the
/// rest of the file.
pub fn write_docs(path: &Path, name: &str, section: &str) -> Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(LoadgenError::Io { path: path.to_owned(), source });
        }
    };
    std::fs::write(path, splice_section(&existing, name, section))
        .map_err(|source| LoadgenError::Io { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(scenario: Scenario, included_tps: f64, p99_ms: f64, mgas_per_s: f64) -> LoadReport {
        LoadReport {
            rpc_url: "http://127.0.0.1:1".into(),
            node_version: None,
            scenario,
            chain_id: 1,
            txs: 100,
            accounts: 10,
            concurrency: 4,
            batch: 1,
            offered_rate: None,
            gas_limit_per_tx: 21_000,
            max_fee_gwei: 1.0,
            load_avg_1m: Some(0.5),
            setup_txs: 10,
            setup_s: 1.0,
            presign_s: 0.1,
            accepted: 100,
            rejected: 0,
            first_errors: Vec::new(),
            included: 100,
            not_included: 0,
            send_window_s: 0.1,
            inclusion_window_s: 1.0,
            accepted_tps: 1_000.0,
            included_tps,
            latency: Some(crate::LatencySummary {
                samples: 100,
                p50_ms: p99_ms / 2.0,
                p99_ms,
                max_ms: p99_ms,
                mean_ms: p99_ms / 2.0,
            }),
            rpc_latency: None,
            gas_used: 2_100_000,
            mgas_per_s,
            blocks_used: 1,
            max_txs_per_block: 100,
            max_block_gas: 2_100_000,
            receipts_checked: 10,
            receipts_ok: 10,
            receipt_failures: Vec::new(),
            timed_out: false,
            blocks: Vec::new(),
        }
    }

    fn node(kind: NodeKind, reports: Vec<LoadReport>) -> NodeResults {
        NodeResults { kind, binary: "x".into(), reports }
    }

    #[test]
    fn goals_compare_against_anvil_and_the_block_time() {
        let anvil = node(
            NodeKind::Anvil,
            vec![
                report(Scenario::Eth, 1_000.0, 1_500.0, 21.0),
                report(Scenario::Erc20, 500.0, 2_000.0, 25.0),
            ],
        );
        let trex = node(
            NodeKind::Trex,
            vec![
                report(Scenario::Eth, 5_000.0, 1_100.0, 105.0),
                report(Scenario::Erc20, 2_000.0, 1_101.0, 99.9),
            ],
        );
        let all = goals(&anvil, Some(&trex), 1, None);
        let status: Vec<GoalStatus> = all.iter().map(|g| g.status).collect();
        use GoalStatus::*;
        // eth ratio 5.0 (met), eth p99 1100 (met), erc20 ratio 4.0, erc20 p99 1101; a burst's
        // gas rate is not a sustained one.
        assert_eq!(status, vec![Met, Met, NotMet, NotMet, NotMeasured]);
        assert!(all[0].measured.starts_with("5.00×"));

        let only_anvil = goals(&anvil, None, 1, None);
        assert!(only_anvil.iter().all(|g| g.status == NotMeasured));

        // A fixed offered rate caps both nodes: the ratio goals are not measured by such a run,
        // the sustained gas rate is (99.9 Mgas/s: just short).
        let paced = goals(&anvil, Some(&trex), 1, Some(2_000.0));
        let status: Vec<GoalStatus> = paced.iter().map(|g| g.status).collect();
        assert_eq!(status, vec![NotMeasured, Met, NotMeasured, NotMet, NotMet]);

        // Only the scenarios that ran get goals.
        let erc20_only = |kind| node(kind, vec![report(Scenario::Erc20, 500.0, 1_000.0, 150.0)]);
        let paced =
            goals(&erc20_only(NodeKind::Anvil), Some(&erc20_only(NodeKind::Trex)), 1, Some(1.0));
        let status: Vec<GoalStatus> = paced.iter().map(|g| g.status).collect();
        assert_eq!(status, vec![NotMeasured, Met, Met]);

        // Gas rate alone is not enough: the node has to keep up with the offered load.
        let mut overloaded = report(Scenario::Erc20, 500.0, 1_000.0, 400.0);
        overloaded.rejected = 10;
        let paced = goals(
            &erc20_only(NodeKind::Anvil),
            Some(&node(NodeKind::Trex, vec![overloaded])),
            1,
            Some(1.0),
        );
        assert_eq!(paced[2].status, NotMet);
        assert!(paced[2].measured.contains("did not keep up"), "{}", paced[2].measured);
    }

    #[test]
    fn goals_do_not_count_latency_of_a_lossy_run() {
        let anvil = node(NodeKind::Anvil, vec![report(Scenario::Eth, 100.0, 1_500.0, 2.0)]);
        let mut lossy = report(Scenario::Eth, 1_000.0, 500.0, 20.0);
        lossy.not_included = 3;
        let trex = node(NodeKind::Trex, vec![lossy]);
        assert_eq!(goals(&anvil, Some(&trex), 1, None)[1].status, GoalStatus::NotMet);
    }

    #[test]
    fn markdown_marks_missing_trex_columns() {
        let report = CompareReport {
            date: "2026-01-01 00:00 UTC".into(),
            machine: Machine {
                cpus: 2,
                cpu_model: None,
                memory_gib: Some(24.0),
                kernel: None,
                load_avg_1m: None,
            },
            command: "trex-loadgen compare".into(),
            gas_limit: 1_000_000_000,
            block_time_secs: 1,
            anvil: node(NodeKind::Anvil, vec![report(Scenario::Eth, 1_234.0, 900.0, 26.0)]),
            trex: None,
            goals: Vec::new(),
        };
        let md = report.markdown();
        assert!(md.contains("Only anvil was measured"));
        assert!(md.contains("| included tx/s | 1234 | — | — |"));
        assert!(md.contains("1,000,000,000 gas"));
        assert!(md.contains("2 CPUs (nproc), 24.0 GiB memory"));
    }

    #[test]
    fn splice_replaces_only_the_named_section() {
        let (b1, e1) = section_markers("burst");
        let (b2, e2) = section_markers("sustained");
        let doc = format!("# B\n\nintro\n\n{b1}\nold\n{e1}\n\n{b2}\nother\n{e2}\n## Notes\nkeep\n");
        let out = splice_section(&doc, "burst", "new table\n");
        assert_eq!(
            out,
            format!("# B\n\nintro\n\n{b1}\nnew table\n{e1}\n\n{b2}\nother\n{e2}\n## Notes\nkeep\n")
        );
        // Idempotent.
        assert_eq!(splice_section(&out, "burst", "new table"), out);
    }

    #[test]
    fn splice_appends_or_creates() {
        let (b, e) = section_markers("x");
        let out = splice_section("# B\n\nintro\n", "x", "t");
        assert_eq!(out, format!("# B\n\nintro\n\n{b}\nt\n{e}\n"));
        assert!(splice_section("", "x", "t").starts_with("# Benchmarks"));
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_000_000_000), "1,000,000,000");
    }
}
