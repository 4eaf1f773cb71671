//! Command line of `trex-loadgen`.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use eyre::WrapErr;
use trex_loadgen::{
    CompareConfig, DEV_MNEMONIC, LoadConfig, Scenario, run_compare, run_load, write_docs,
};

/// Benchmark load generator for T-Rex Chain.
#[derive(Debug, Parser)]
#[command(name = "trex-loadgen", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure one scenario against a running JSON-RPC endpoint.
    Run(RunArgs),
    /// Start anvil and the T-Rex sequencer in turn, measure both, and write the comparison.
    Compare(CompareArgs),
}

/// Settings of the load itself, shared by `run` and `compare`.
#[derive(Debug, Args)]
struct LoadArgs {
    /// Measured transactions (pre-signed before the measured phase).
    #[arg(long, env = "TREX_LOADGEN_TXS", default_value_t = 20_000)]
    txs: usize,
    /// Funded sending accounts; transactions go round-robin over them.
    #[arg(long, env = "TREX_LOADGEN_ACCOUNTS", default_value_t = 400)]
    accounts: u32,
    /// Parallel sending workers.
    #[arg(long, env = "TREX_LOADGEN_CONCURRENCY", default_value_t = 32)]
    concurrency: usize,
    /// Transactions per eth_sendRawTransaction request; above 1, JSON-RPC batches are used.
    #[arg(long, env = "TREX_LOADGEN_BATCH", default_value_t = 1)]
    batch: usize,
    /// Offered load in tx/s, spread evenly over the run (open loop); as fast as possible when
    /// absent.
    #[arg(long, env = "TREX_LOADGEN_RATE")]
    rate: Option<f64>,
    /// Mnemonic of the funder and the senders.
    #[arg(long, env = "TREX_LOADGEN_MNEMONIC", default_value = DEV_MNEMONIC, hide_default_value = true)]
    mnemonic: String,
    /// Derivation index of the funder (must be funded in genesis).
    #[arg(long, env = "TREX_LOADGEN_FUNDER_INDEX", default_value_t = 0)]
    funder_index: u32,
    /// Derivation index of the first sender.
    #[arg(long, env = "TREX_LOADGEN_FIRST_SENDER_INDEX", default_value_t = 1000)]
    first_sender_index: u32,
    /// Most transactions of one sender in a node's pool at once: setup sends the funder's
    /// transactions in waves of this size, and txs / accounts must not exceed it. Keep it at or
    /// below the node's per-sender pool cap (64 for trex-sequencer by default).
    #[arg(long, env = "TREX_LOADGEN_MAX_IN_FLIGHT_PER_SENDER", default_value_t = 64)]
    max_in_flight_per_sender: usize,
    /// Fee cap as a multiple of the node's eth_gasPrice.
    #[arg(long, env = "TREX_LOADGEN_FEE_MULTIPLIER", default_value_t = 3)]
    fee_multiplier: u64,
    /// Seconds to wait, after the last send, for the remaining inclusions (also the setup
    /// receipt timeout).
    #[arg(long, env = "TREX_LOADGEN_INCLUSION_TIMEOUT", default_value_t = 120)]
    inclusion_timeout_secs: u64,
    /// Milliseconds between eth_blockNumber polls of the block watcher.
    #[arg(long, env = "TREX_LOADGEN_POLL_MS", default_value_t = 10)]
    poll_ms: u64,
    /// Included transactions whose receipt is checked afterwards.
    #[arg(long, env = "TREX_LOADGEN_VERIFY_SAMPLE", default_value_t = 200)]
    verify_sample: usize,
    /// Seed for the random recipients (random when absent).
    #[arg(long, env = "TREX_LOADGEN_SEED")]
    seed: Option<u64>,
}

impl LoadArgs {
    fn into_config(self, rpc_url: String, scenario: Scenario) -> LoadConfig {
        LoadConfig {
            rpc_url,
            scenario,
            txs: self.txs,
            accounts: self.accounts,
            concurrency: self.concurrency,
            batch: self.batch,
            rate: self.rate,
            mnemonic: self.mnemonic,
            funder_index: self.funder_index,
            first_sender_index: self.first_sender_index,
            max_in_flight_per_sender: self.max_in_flight_per_sender,
            fee_multiplier: self.fee_multiplier,
            inclusion_timeout: Duration::from_secs(self.inclusion_timeout_secs),
            poll_interval: Duration::from_millis(self.poll_ms),
            verify_sample: self.verify_sample,
            seed: self.seed,
        }
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    /// JSON-RPC HTTP endpoint.
    #[arg(long, env = "TREX_LOADGEN_RPC", default_value = "http://127.0.0.1:9545")]
    rpc: String,
    /// What to send: `eth` (value transfers) or `erc20` (DevToken transfers).
    #[arg(long, env = "TREX_LOADGEN_SCENARIO", default_value = "eth")]
    scenario: Scenario,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// anvil binary (`deploy/install-tools.sh` puts one in `.tools/bin/`).
    #[arg(long, env = "TREX_ANVIL_BIN", default_value = ".tools/bin/anvil")]
    anvil_bin: PathBuf,
    /// trex-sequencer binary; without it only anvil is measured.
    #[arg(long, env = "TREX_SEQUENCER_BIN")]
    trex_bin: Option<PathBuf>,
    /// Block gas limit of both nodes.
    #[arg(long, env = "TREX_LOADGEN_GAS_LIMIT", default_value_t = 1_000_000_000)]
    gas_limit: u64,
    /// Block time of both nodes, whole seconds.
    #[arg(long, env = "TREX_LOADGEN_BLOCK_TIME", default_value_t = 1)]
    block_time: u64,
    /// Scenarios, comma separated, in order.
    #[arg(
        long,
        env = "TREX_LOADGEN_SCENARIOS",
        value_delimiter = ',',
        default_value = "eth,erc20"
    )]
    scenarios: Vec<Scenario>,
    /// Markdown file whose generated section receives the results.
    #[arg(long, env = "TREX_LOADGEN_DOCS", default_value = "docs/benchmarks.md")]
    docs: PathBuf,
    /// Name of the generated section of the docs file to replace (between
    /// `<!-- trex-loadgen:NAME:begin -->` and `<!-- trex-loadgen:NAME:end -->`).
    #[arg(long, env = "TREX_LOADGEN_DOCS_SECTION", default_value = "burst")]
    docs_section: String,
    /// Keep the nodes' logs in this directory (`anvil.log`, `t-rex.log`) instead of deleting
    /// them with the nodes.
    #[arg(long, env = "TREX_LOADGEN_NODE_LOG_DIR")]
    node_log_dir: Option<PathBuf>,
    /// Do not write the results into the docs file.
    #[arg(long)]
    no_docs: bool,
    /// Print the full comparison as JSON at the end.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    load: LoadArgs,
}

impl Cli {
    /// Runs the chosen command. `command_line` is recorded in comparison reports.
    pub(crate) async fn run(self, command_line: String) -> eyre::Result<()> {
        match self.command {
            Command::Run(args) => {
                let config = args.load.into_config(args.rpc, args.scenario);
                let report = run_load(&config).await?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    println!("{report}");
                }
            }
            Command::Compare(args) => {
                let config = CompareConfig {
                    anvil_bin: args.anvil_bin,
                    trex_bin: args.trex_bin,
                    gas_limit: args.gas_limit,
                    block_time_secs: args.block_time,
                    scenarios: args.scenarios,
                    load: args.load.into_config(String::new(), Scenario::Eth),
                    command_line,
                    node_log_dir: args.node_log_dir,
                };
                let report = run_compare(&config, |node, report| {
                    println!("[{node}] {report}\n");
                })
                .await?;
                let markdown = report.markdown();
                println!("{markdown}");
                if !args.no_docs {
                    write_docs(&args.docs, &args.docs_section, &markdown)
                        .wrap_err_with(|| format!("updating {}", args.docs.display()))?;
                    println!("results written to {}", args.docs.display());
                }
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                }
            }
        }
        Ok(())
    }
}

/// Quotes `args` for a POSIX shell, naming the program by its file name.
pub(crate) fn shell_command(args: impl IntoIterator<Item = String>) -> String {
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            let arg = if i == 0 {
                std::path::Path::new(&arg)
                    .file_name()
                    .map_or(arg.clone(), |n| n.to_string_lossy().into_owned())
            } else {
                arg
            };
            let plain = !arg.is_empty()
                && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c));
            if plain { arg } else { format!("'{}'", arg.replace('\'', r"'\''")) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_defaults_match_the_issue() {
        let cli = Cli::try_parse_from(["trex-loadgen", "run", "--scenario", "erc20"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("expected run") };
        assert_eq!(args.scenario, Scenario::Erc20);
        assert_eq!(args.rpc, "http://127.0.0.1:9545");
        assert_eq!(args.load.txs, 20_000);
        assert_eq!(args.load.accounts, 400);
        assert_eq!(args.load.max_in_flight_per_sender, 64);
        assert_eq!(args.load.concurrency, 32);
        assert_eq!(args.load.batch, 1);
        assert_eq!(args.load.mnemonic, DEV_MNEMONIC);
        let config = args.load.into_config(args.rpc, args.scenario);
        assert_eq!(config.poll_interval, Duration::from_millis(10));
    }

    #[test]
    fn compare_parses_binaries_and_scenarios() {
        let cli = Cli::try_parse_from([
            "trex-loadgen",
            "compare",
            "--anvil-bin",
            "/x/anvil",
            "--trex-bin",
            "/x/trex-sequencer",
            "--scenarios",
            "erc20",
            "--txs",
            "300",
            "--batch",
            "10",
        ])
        .unwrap();
        let Command::Compare(args) = cli.command else { panic!("expected compare") };
        assert_eq!(args.anvil_bin, PathBuf::from("/x/anvil"));
        assert_eq!(args.trex_bin, Some(PathBuf::from("/x/trex-sequencer")));
        assert_eq!(args.scenarios, vec![Scenario::Erc20]);
        assert_eq!(args.gas_limit, 1_000_000_000);
        assert_eq!(args.load.txs, 300);
        assert_eq!(args.load.batch, 10);
    }

    #[test]
    fn rejects_unknown_scenarios() {
        assert!(Cli::try_parse_from(["trex-loadgen", "run", "--scenario", "nft"]).is_err());
    }

    #[test]
    fn shell_command_quotes_what_needs_it() {
        let args = ["/long/path/trex-loadgen", "compare", "--mnemonic", "a b", "it's"];
        assert_eq!(
            shell_command(args.map(String::from)),
            r"trex-loadgen compare --mnemonic 'a b' 'it'\''s'"
        );
    }
}
