//! Command line of `trex-persona` and the plain configs it turns into; library code never sees
//! clap.

use std::{net::SocketAddr, num::NonZeroU32, str::FromStr};

use alloy_primitives::Address;
use clap::{Parser, Subcommand};
use url::Url;

use trex_persona_pipeline::BusConfig;

use crate::{PersonaError, RateLimit, jobs::JobsConfig};

/// A client of the validator-result gateway and its HMAC key, `id=<hex key>`.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayClient {
    /// The id the client sends in `x-trex-client`.
    pub id: String,
    /// Its HMAC-SHA256 key.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayClient").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The shortest gateway key accepted, in bytes.
pub const MIN_GATEWAY_KEY_LEN: usize = 16;

impl FromStr for GatewayClient {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, key) = s.split_once('=').ok_or("a gateway client is `id=<hex key>`")?;
        let id = id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(format!("gateway client id `{id}` must be 1..=64 of [A-Za-z0-9._-]"));
        }
        // The key is never echoed back: the message may end up in a log.
        let key = hex::decode(key.trim().trim_start_matches("0x"))
            .map_err(|_| format!("gateway client `{id}`: the key is not hex"))?;
        if key.len() < MIN_GATEWAY_KEY_LEN {
            return Err(format!(
                "gateway client `{id}`: the key must be at least {MIN_GATEWAY_KEY_LEN} bytes"
            ));
        }
        Ok(Self { id: id.to_owned(), key })
    }
}

/// `trex-persona`: ingests T-Rex identity events and validator results, keeps the persona graph
/// current and ranks passports by the Persona Matching Score.
#[derive(Debug, Clone, Parser)]
#[command(name = "trex-persona", version, about)]
pub struct Args {
    /// What to do (default: `serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Postgres URL of the engine's database (migrated at start).
    #[arg(long = "database-url", env = "TREX_PERSONA_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The chain.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The HTTP API.
    #[command(flatten)]
    pub api: ApiArgs,
    /// The scheduled jobs.
    #[command(flatten)]
    pub jobs: JobsArgs,
    /// The pipeline's bus: `postgres` (embedded) or
    /// `nats://host:port[?stream=NAME&prefix=PREFIX]` (JetStream).
    #[arg(long, env = "TREX_PERSONA_BUS", default_value = "postgres", global = true)]
    pub bus: BusConfig,
    /// Seconds a delivery of the bus may stay unacknowledged before it is delivered again: how
    /// long the messages a crashed engine had claimed wait before its successor gets them. (A
    /// JetStream consumer keeps the deadline it was created with.)
    #[arg(
        long = "bus.ack-wait-secs",
        env = "TREX_PERSONA_BUS_ACK_WAIT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub bus_ack_wait_secs: u64,
}

/// The T-Rex L2 the engine reads.
#[derive(Debug, Clone, clap::Args)]
pub struct ChainArgs {
    /// JSON-RPC URL of the T-Rex L2.
    #[arg(long = "l2-rpc", env = "TREX_PERSONA_L2_RPC", global = true)]
    pub l2_rpc: Option<Url>,
    /// The L2's chain id; when given, the RPC must report it.
    #[arg(long = "chain-id", env = "TREX_PERSONA_CHAIN_ID", global = true)]
    pub chain_id: Option<u64>,
    /// TRexPassport proxy (default: the predeploy of the chain id).
    #[arg(long, env = "TREX_PERSONA_PASSPORT", global = true)]
    pub passport: Option<Address>,
    /// TRexBadge proxy (default: the predeploy of the chain id).
    #[arg(long, env = "TREX_PERSONA_BADGE", global = true)]
    pub badge: Option<Address>,
    /// Blocks behind the head that are not ingested yet (reorg safety).
    #[arg(long, env = "TREX_PERSONA_CONFIRMATIONS", default_value_t = 12, global = true)]
    pub confirmations: u64,
    /// First block read when the database has no cursor (the contracts' deployment block).
    #[arg(
        long = "start-block",
        env = "TREX_PERSONA_START_BLOCK",
        default_value_t = 0,
        global = true
    )]
    pub start_block: u64,
    /// Milliseconds between polls of the chain head when caught up.
    #[arg(
        long = "poll-interval-ms",
        env = "TREX_PERSONA_POLL_INTERVAL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub poll_interval_ms: u64,
}

/// The HTTP API.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Address the HTTP API listens on.
    #[arg(long, env = "TREX_PERSONA_LISTEN", default_value = "127.0.0.1:3300", global = true)]
    pub listen: SocketAddr,
    /// A gateway client allowed to post validator results, `id=<hex HMAC key>` (repeatable; in
    /// the environment, comma-separated). Prefer the environment: flags are visible to every
    /// user of the machine. (Parsed after clap, so a malformed value is never echoed.)
    #[arg(
        long = "gateway.client",
        env = "TREX_PERSONA_GATEWAY_CLIENTS",
        value_delimiter = ',',
        hide_env_values = true,
        global = true
    )]
    pub gateway_clients: Vec<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long = "body-limit", env = "TREX_PERSONA_BODY_LIMIT", default_value_t = 64 * 1024, global = true)]
    pub body_limit: usize,
    /// Sustained match requests per second per API key.
    #[arg(long = "rate-limit", env = "TREX_PERSONA_RATE_LIMIT", default_value_t = NonZeroU32::new(20).unwrap(), global = true)]
    pub rate_limit: NonZeroU32,
    /// Match requests per API key that may arrive at once.
    #[arg(long = "rate-burst", env = "TREX_PERSONA_RATE_BURST", default_value_t = NonZeroU32::new(40).unwrap(), global = true)]
    pub rate_burst: NonZeroU32,
    /// The origin browsers reach the web pages at, e.g. `https://persona.example.com` (DID
    /// login messages name it; cookies are `Secure` when it is https). Default: `http://<listen>`.
    #[arg(long = "web.origin", env = "TREX_PERSONA_WEB_ORIGIN", global = true)]
    pub web_origin: Option<Url>,
    /// Seconds between cohort-size snapshots (and freezing of started campaigns' audiences).
    #[arg(
        long = "bi.interval-secs",
        env = "TREX_PERSONA_BI_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub bi_interval_secs: u64,
}

/// The scheduled jobs `serve` runs.
#[derive(Debug, Clone, clap::Args)]
pub struct JobsArgs {
    /// Seconds between retrainings of the interest model of every category with labels (and at
    /// start, a category without a model is trained); 0 disables retraining.
    #[arg(
        long = "model.retrain-interval-secs",
        env = "TREX_PERSONA_MODEL_RETRAIN_INTERVAL_SECS",
        default_value_t = 86_400,
        global = true
    )]
    pub model_retrain_interval_secs: u64,
    /// Seconds the Postgres bus keeps a message every consumer group acknowledged before the
    /// hourly pruning deletes it (also how long a re-published id is recognised as a duplicate).
    #[arg(
        long = "bus.retention-secs",
        env = "TREX_PERSONA_BUS_RETENTION_SECS",
        default_value_t = 7 * 86_400,
        global = true
    )]
    pub bus_retention_secs: u64,
}

impl JobsArgs {
    fn into_config(self) -> Result<JobsConfig, PersonaError> {
        if self.bus_retention_secs == 0 {
            return Err(config_error("--bus.retention-secs must be at least 1"));
        }
        Ok(JobsConfig {
            retrain_interval: (self.model_retrain_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(self.model_retrain_interval_secs)),
            bus_retention: std::time::Duration::from_secs(self.bus_retention_secs),
        })
    }
}

/// What `trex-persona` does.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Ingest, project and serve the HTTP API until SIGTERM or Ctrl-C (the default).
    Serve,
    /// Manage the match API's keys.
    #[command(name = "api-key", subcommand)]
    ApiKey(ApiKeyCommand),
    /// Ingest a historical block range in parallel chunks, idempotently, then exit.
    Backfill {
        /// First block.
        #[arg(long)]
        from: u64,
        /// Last block (inclusive).
        #[arg(long)]
        to: u64,
        /// Blocks per chunk.
        #[arg(long = "chunk-size", default_value_t = 2_000)]
        chunk_size: u64,
        /// Chunks read at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

/// `api-key` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ApiKeyCommand {
    /// Creates a key for a project and prints it (once: only its SHA-256 is stored).
    Create {
        /// The project the key is for.
        #[arg(long)]
        project: String,
    },
    /// Revokes one key, or every key of a project.
    Revoke {
        /// The key to revoke.
        #[arg(long, conflicts_with = "project", required_unless_present = "project")]
        key: Option<String>,
        /// Revoke every key of this project.
        #[arg(long)]
        project: Option<String>,
    },
}

/// Where the chain is and how to follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// The L2's JSON-RPC URL.
    pub l2_rpc: Url,
    /// The chain id the RPC must report, when given.
    pub chain_id: Option<u64>,
    /// TRexPassport override.
    pub passport: Option<Address>,
    /// TRexBadge override.
    pub badge: Option<Address>,
    /// Confirmation depth.
    pub confirmations: u64,
    /// First block without a cursor.
    pub start_block: u64,
    /// Pause between head polls when caught up.
    pub poll_interval: std::time::Duration,
}

/// Everything `serve` needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Postgres URL.
    pub database_url: String,
    /// The chain.
    pub chain: ChainConfig,
    /// The pipeline's bus.
    pub bus: BusConfig,
    /// Gateway clients and their keys.
    pub gateway_clients: Vec<GatewayClient>,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Match requests per API key.
    pub rate_limit: RateLimit,
    /// The origin browsers reach the web pages at (DID login messages are bound to it).
    pub web_origin: Url,
    /// How often cohort sizes are recorded and started campaigns' audiences frozen.
    pub bi_interval: std::time::Duration,
    /// Interest model retraining and bus pruning.
    pub jobs: JobsConfig,
}

/// A checked command.
#[derive(Debug, Clone)]
pub enum Action {
    /// Run the service.
    Serve(Box<Config>),
    /// Create a key for `project` in the database at `database_url`.
    CreateApiKey {
        /// Postgres URL.
        database_url: String,
        /// The project.
        project: String,
    },
    /// Revoke a key or all of a project's keys.
    RevokeApiKey {
        /// Postgres URL.
        database_url: String,
        /// `Ok(key)` or `Err(project)`.
        target: Result<String, String>,
    },
    /// Backfill `from..=to`.
    Backfill {
        /// Postgres URL.
        database_url: String,
        /// The chain.
        chain: ChainConfig,
        /// First block.
        from: u64,
        /// Last block.
        to: u64,
        /// Blocks per chunk.
        chunk_size: u64,
        /// Chunks at once.
        concurrency: usize,
    },
}

fn config_error(message: impl Into<String>) -> PersonaError {
    PersonaError::Config(message.into())
}

impl ChainArgs {
    fn into_config(self) -> Result<ChainConfig, PersonaError> {
        let l2_rpc = self.l2_rpc.ok_or_else(|| config_error("--l2-rpc is required"))?;
        if self.poll_interval_ms == 0 {
            return Err(config_error("--poll-interval-ms must be at least 1"));
        }
        Ok(ChainConfig {
            l2_rpc,
            chain_id: self.chain_id,
            passport: self.passport,
            badge: self.badge,
            confirmations: self.confirmations,
            start_block: self.start_block,
            poll_interval: std::time::Duration::from_millis(self.poll_interval_ms),
        })
    }
}

impl Args {
    /// Checks the flags of the chosen command.
    pub fn into_action(self) -> Result<Action, PersonaError> {
        let database_url = self.database_url.ok_or_else(|| {
            config_error("--database-url (TREX_PERSONA_DATABASE_URL) is required")
        })?;
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                if self.api.body_limit < 1024 {
                    return Err(config_error("--body-limit must be at least 1024 bytes"));
                }
                let gateway_clients = self
                    .api
                    .gateway_clients
                    .iter()
                    .map(|value| value.parse::<GatewayClient>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| config_error(format!("--gateway.client: {err}")))?;
                let mut ids: Vec<&str> = gateway_clients.iter().map(|c| c.id.as_str()).collect();
                ids.sort_unstable();
                if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
                    return Err(config_error(format!(
                        "--gateway.client {} is given twice",
                        pair[0]
                    )));
                }
                let web_origin = match self.api.web_origin {
                    Some(origin) => origin,
                    None => format!("http://{}", self.api.listen)
                        .parse()
                        .map_err(|err| config_error(format!("--listen as an origin: {err}")))?,
                };
                if web_origin.host_str().is_none()
                    || !matches!(web_origin.scheme(), "http" | "https")
                {
                    return Err(config_error("--web.origin must be an http(s) origin"));
                }
                if self.api.bi_interval_secs == 0 {
                    return Err(config_error("--bi.interval-secs must be at least 1"));
                }
                if self.bus_ack_wait_secs == 0 {
                    return Err(config_error("--bus.ack-wait-secs must be at least 1"));
                }
                let ack_wait = std::time::Duration::from_secs(self.bus_ack_wait_secs);
                let mut bus = self.bus;
                match &mut bus {
                    BusConfig::Postgres(pg) => pg.ack_wait = ack_wait,
                    BusConfig::Nats(nats) => nats.ack_wait = ack_wait,
                }
                Ok(Action::Serve(Box::new(Config {
                    listen: self.api.listen,
                    database_url,
                    chain: self.chain.into_config()?,
                    bus,
                    gateway_clients,
                    body_limit: self.api.body_limit,
                    rate_limit: RateLimit {
                        per_second: self.api.rate_limit,
                        burst: self.api.rate_burst,
                    },
                    web_origin,
                    bi_interval: std::time::Duration::from_secs(self.api.bi_interval_secs),
                    jobs: self.jobs.into_config()?,
                })))
            }
            Command::ApiKey(ApiKeyCommand::Create { project }) => {
                Ok(Action::CreateApiKey { database_url, project })
            }
            Command::ApiKey(ApiKeyCommand::Revoke { key, project }) => Ok(Action::RevokeApiKey {
                database_url,
                target: key.ok_or_else(|| project.unwrap_or_default()),
            }),
            Command::Backfill { from, to, chunk_size, concurrency } => {
                if from > to {
                    return Err(config_error(format!("--from {from} is after --to {to}")));
                }
                if chunk_size == 0 || concurrency == 0 {
                    return Err(config_error("--chunk-size and --concurrency must be at least 1"));
                }
                Ok(Action::Backfill {
                    database_url,
                    chain: self.chain.into_config()?,
                    from,
                    to,
                    chunk_size,
                    concurrency,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "00112233445566778899aabbccddeeff";

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = ["trex-persona", "--database-url=postgres://postgres@127.0.0.1/p"];
        Args::try_parse_from(base.iter().chain(extra))
    }

    fn serve(extra: &[&str]) -> Result<Config, PersonaError> {
        let mut args = vec!["--l2-rpc=http://127.0.0.1:9545"];
        args.extend_from_slice(extra);
        match parse(&args).unwrap().into_action()? {
            Action::Serve(config) => Ok(*config),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serve_is_the_default_with_defaults() {
        let config = serve(&[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:3300".parse().unwrap());
        assert_eq!(config.bus, BusConfig::default());
        assert_eq!(config.chain.confirmations, 12);
        assert_eq!(config.chain.start_block, 0);
        assert_eq!(config.body_limit, 64 * 1024);
        assert_eq!(config.rate_limit.per_second.get(), 20);
        assert_eq!(config.rate_limit.burst.get(), 40);
        assert!(config.gateway_clients.is_empty());
    }

    #[test]
    fn repeatable_gateway_clients_and_nats() {
        let config = serve(&[
            &format!("--gateway.client=validator-1={KEY}"),
            "--gateway.client",
            &format!("v2=0x{KEY}"),
            "--bus=nats://127.0.0.1:4222",
            "--confirmations=0",
        ])
        .unwrap();
        assert_eq!(config.gateway_clients.len(), 2);
        assert_eq!(config.gateway_clients[1].id, "v2");
        assert_eq!(config.gateway_clients[1].key, hex::decode(KEY).unwrap());
        assert!(!format!("{config:?}").contains(KEY), "keys are never printed");
        assert!(matches!(config.bus, BusConfig::Nats(_)));
        assert_eq!(config.chain.confirmations, 0);
    }

    #[test]
    fn the_ack_deadline_applies_to_either_bus() {
        let BusConfig::Postgres(pg) = serve(&["--bus.ack-wait-secs=3"]).unwrap().bus else {
            panic!("the default bus is postgres")
        };
        assert_eq!(pg.ack_wait, std::time::Duration::from_secs(3));
        let config = serve(&["--bus=nats://127.0.0.1:4222", "--bus.ack-wait-secs=4"]).unwrap();
        let BusConfig::Nats(nats) = config.bus else { panic!("nats") };
        assert_eq!(nats.ack_wait, std::time::Duration::from_secs(4));
        assert!(serve(&["--bus.ack-wait-secs=0"]).is_err());
    }

    #[test]
    fn job_schedules() {
        let jobs = serve(&[]).unwrap().jobs;
        assert_eq!(jobs.retrain_interval, Some(std::time::Duration::from_secs(86_400)));
        assert_eq!(jobs.bus_retention, std::time::Duration::from_secs(7 * 86_400));
        let jobs = serve(&["--model.retrain-interval-secs=600", "--bus.retention-secs", "3600"])
            .unwrap()
            .jobs;
        assert_eq!(jobs.retrain_interval, Some(std::time::Duration::from_secs(600)));
        assert_eq!(jobs.bus_retention, std::time::Duration::from_secs(3600));
        let disabled = serve(&["--model.retrain-interval-secs=0"]).unwrap().jobs;
        assert_eq!(disabled.retrain_interval, None, "0 disables retraining");
        assert!(serve(&["--bus.retention-secs=0"]).is_err());
        assert!(parse(&["--model.retrain-interval-secs=-1"]).is_err());
    }

    #[test]
    fn gateway_clients_split_like_the_environment_variable() {
        let config = serve(&[&format!("--gateway.client=a={KEY},b={KEY}")]).unwrap();
        assert_eq!(config.gateway_clients.len(), 2);
    }

    #[rstest::rstest]
    #[case::no_equals("--gateway.client=abc")]
    #[case::bad_id("--gateway.client=a b=00112233445566778899aabbccddeeff")]
    #[case::short_key("--gateway.client=a=0011")]
    #[case::not_hex("--gateway.client=a=zz112233445566778899aabbccddeeff")]
    #[case::bus("--bus=kafka://x")]
    fn rejects_bad_flags(#[case] flag: &str) {
        let err = match parse(&["--l2-rpc=http://127.0.0.1:1", flag]) {
            Err(err) => err.to_string(),
            Ok(args) => args.into_action().unwrap_err().to_string(),
        };
        assert!(!err.contains("aabbccddeeff"), "keys are never echoed: {err}");
    }

    #[test]
    fn rejects_bad_values() {
        assert!(
            serve(&[&format!("--gateway.client=a={KEY}"), &format!("--gateway.client=a={KEY}")])
                .is_err()
        );
        assert!(serve(&["--body-limit=10"]).is_err());
        let no_rpc = parse(&[]).unwrap().into_action().unwrap_err().to_string();
        assert!(no_rpc.contains("--l2-rpc"), "{no_rpc}");
        let no_db = Args::try_parse_from(["trex-persona", "serve"]).unwrap().into_action();
        assert!(no_db.unwrap_err().to_string().contains("--database-url"));
    }

    #[test]
    fn subcommands() {
        let action = parse(&["api-key", "create", "--project", "acme"]).unwrap().into_action();
        assert!(
            matches!(action, Ok(Action::CreateApiKey { ref project, .. }) if project == "acme")
        );
        let action = parse(&["api-key", "revoke", "--key", "trex_pk_1"]).unwrap().into_action();
        assert!(
            matches!(action, Ok(Action::RevokeApiKey { target: Ok(ref k), .. }) if k == "trex_pk_1")
        );
        let action = parse(&["api-key", "revoke", "--project", "acme"]).unwrap().into_action();
        assert!(
            matches!(action, Ok(Action::RevokeApiKey { target: Err(ref p), .. }) if p == "acme")
        );
        assert!(parse(&["api-key", "revoke"]).is_err(), "a key or a project");
        let action = parse(&["backfill", "--from=5", "--to=9", "--l2-rpc=http://127.0.0.1:1"])
            .unwrap()
            .into_action();
        assert!(matches!(action, Ok(Action::Backfill { from: 5, to: 9, chunk_size: 2000, .. })));
        let reversed = parse(&["backfill", "--from=9", "--to=5", "--l2-rpc=http://127.0.0.1:1"]);
        assert!(reversed.unwrap().into_action().is_err());
    }
}
