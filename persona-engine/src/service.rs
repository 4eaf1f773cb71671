//! Wiring: migrations of every crate, then the chain listener, the outbox relay, the graph
//! projector, the BI refresher, the scheduled jobs and the HTTP server running side by side until
//! shutdown.

use std::time::Duration;

use alloy_network::Ethereum;
use alloy_provider::{DynProvider, Provider, RootProvider};
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};
use trex_persona_ingest::{IdentityContracts, IngestStore, Listener, ListenerConfig, RelayConfig};
use trex_persona_pipeline::{BusConfig, PgBus};
use trex_service_support::redact_url;

use crate::{
    Action, ApiKeys, ChainConfig, Config, Metrics, PersonaError,
    api::{ApiState, router},
};

/// Connects to the engine's database.
pub async fn connect(database_url: &str) -> Result<PgPool, PersonaError> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(database_url)
        .await
        .map_err(|err| {
            PersonaError::Config(format!("database {}: {err}", redact_url(database_url)))
        })
}

/// Runs the migrations of every crate of the engine on `pool`.
pub async fn migrate_all(pool: &PgPool) -> Result<(), PersonaError> {
    let task = |task: &'static str| {
        move |err: &dyn std::fmt::Display| PersonaError::Task { task, message: err.to_string() }
    };
    trex_persona_ingest::migrate(pool).await.map_err(|e| task("ingest migrations")(&e))?;
    trex_persona_pipeline::migrate(pool).await.map_err(|e| task("pipeline migrations")(&e))?;
    trex_persona_graph::migrate(pool).await.map_err(|e| task("graph migrations")(&e))?;
    trex_persona_bi::migrate(pool).await.map_err(|e| task("bi migrations")(&e))?;
    trex_persona_model::migrate(pool).await.map_err(|e| task("model migrations")(&e))?;
    crate::migrate(pool).await
}

/// The chain's provider, its id, and the identity contracts (from the flags, or the predeploys
/// of a known chain id).
pub async fn chain(
    config: &ChainConfig,
) -> Result<(DynProvider<Ethereum>, u64, IdentityContracts), PersonaError> {
    let provider = DynProvider::new(RootProvider::<Ethereum>::new_http(config.l2_rpc.clone()));
    let chain_id = provider.get_chain_id().await.map_err(|err| {
        PersonaError::Config(format!("--l2-rpc does not answer eth_chainId: {err}"))
    })?;
    if let Some(expected) = config.chain_id
        && expected != chain_id
    {
        return Err(PersonaError::Config(format!(
            "--chain-id is {expected} but the RPC reports {chain_id}"
        )));
    }
    let known = trex_sdk::identity_addresses(chain_id);
    let (passport, badge) = match (config.passport, config.badge, known) {
        (Some(passport), Some(badge), _) => (passport, badge),
        (passport, badge, Some(k)) => (passport.unwrap_or(k.passport), badge.unwrap_or(k.badge)),
        _ => {
            return Err(PersonaError::Config(format!(
                "chain {chain_id} has no identity predeploys: set --passport and --badge"
            )));
        }
    };
    Ok((provider, chain_id, IdentityContracts { passport, badge }))
}

/// Reads the ingestion gauges of [`Metrics::ingest`] from the database.
pub(crate) async fn refresh_ingest_metrics(
    pool: &PgPool,
    metrics: &Metrics,
) -> Result<(), PersonaError> {
    let (events, cursor, outbox_written, outbox_published): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM chain_events WHERE retracted_at IS NULL), \
           (SELECT COALESCE(max(block_number), -1) FROM ingest_cursor), \
           (SELECT COALESCE(max(seq), 0) FROM ingest_outbox), \
           (SELECT COALESCE(max(seq), 0) FROM outbox_relay_cursor WHERE name = $1)",
    )
    .bind(RELAY)
    .fetch_one(pool)
    .await?;
    metrics.ingest.with_label_values(&["chain_events"]).set(events);
    metrics.ingest.with_label_values(&["cursor_block"]).set(cursor);
    metrics.ingest.with_label_values(&["outbox_written"]).set(outbox_written);
    metrics.ingest.with_label_values(&["outbox_pending"]).set(outbox_written - outbox_published);
    Ok(())
}

/// The name of the engine's outbox relay (its cursor's key).
pub const RELAY: &str = "bus";

/// The consumer group the engine's projector joins.
pub const PROJECTOR_GROUP: &str = "persona_graph";

/// Runs the engine until `shutdown` is cancelled or a task fails for good: every task stops
/// then, and the first failure is returned.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), PersonaError> {
    let pool = connect(&config.database_url).await?;
    migrate_all(&pool).await?;
    let (provider, chain_id, contracts) = chain(&config.chain).await?;
    let bus = trex_persona_pipeline::connect(&config.bus, &pool)
        .await
        .map_err(|err| PersonaError::Task { task: "bus", message: err.to_string() })?;
    // The bus is behind `dyn Bus`; pruning needs the Postgres backend itself, a second handle
    // on the same tables.
    let prunable_bus = match &config.bus {
        BusConfig::Postgres(pg) => Some(
            PgBus::open(pool.clone(), pg.clone())
                .await
                .map_err(|err| PersonaError::Task { task: "bus", message: err.to_string() })?,
        ),
        BusConfig::Nats(_) => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    info!(
        target: "persona", addr = %listener.local_addr()?, chain_id, passport = %contracts.passport,
        badge = %contracts.badge, bus = ?config.bus, "starting"
    );

    let store = IngestStore::new(pool.clone())
        .await
        .map_err(|err| PersonaError::Task { task: "ingest store", message: err.to_string() })?;
    let mut listener_config = ListenerConfig::new(contracts);
    listener_config.confirmations = config.chain.confirmations;
    listener_config.start_block = config.chain.start_block;
    listener_config.poll_interval = config.chain.poll_interval;
    let chain_listener = Listener::new(provider.clone(), store, listener_config)
        .await
        .map_err(|err| PersonaError::Task { task: "listener", message: err.to_string() })?;
    let relay =
        trex_persona_ingest::OutboxRelay::new(pool.clone(), bus.clone(), RelayConfig::new(RELAY));
    let projector = trex_persona_graph::Projector::new(pool.clone());
    let metrics = Metrics::new();
    let state =
        ApiState::new(pool.clone(), &config.gateway_clients, config.rate_limit, metrics.clone());
    let web_state = crate::web::WebState {
        pool: pool.clone(),
        keys: ApiKeys::new(pool.clone()),
        passports: trex_sdk::PassportClient::new(contracts.passport, provider.clone()),
        domain: web_authority(&config.web_origin),
        origin: config.web_origin.origin().ascii_serialization(),
        secure_cookies: config.web_origin.scheme() == "https",
    };
    let app = router(state, config.body_limit).merge(crate::web::router(web_state));

    let mut tasks: JoinSet<(&'static str, Result<(), String>)> = JoinSet::new();
    let stop = shutdown.clone();
    tasks.spawn(async move {
        ("listener", chain_listener.run(stop.cancelled_owned()).await.map_err(|e| e.to_string()))
    });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        ("outbox relay", relay.run(stop.cancelled_owned()).await.map_err(|e| e.to_string()))
    });
    let stop = shutdown.clone();
    let projector_bus = bus.clone();
    tasks.spawn(async move {
        let result =
            projector.run(projector_bus.as_ref(), PROJECTOR_GROUP, stop.cancelled_owned()).await;
        ("projector", result.map_err(|e| e.to_string()))
    });
    let stop = shutdown.clone();
    let bi_pool = pool.clone();
    let bi_interval = config.bi_interval;
    tasks.spawn(async move { ("bi jobs", bi_jobs(bi_pool, bi_interval, stop).await) });
    let stop = shutdown.clone();
    let jobs = crate::jobs::run(pool.clone(), prunable_bus, config.jobs.clone(), metrics, stop);
    tasks.spawn(async move {
        jobs.await;
        ("scheduled jobs", Ok(()))
    });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        let served =
            axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).await;
        ("http server", served.map_err(|e| e.to_string()))
    });

    let mut failure = None;
    while let Some(joined) = tasks.join_next().await {
        let (task, result) = match joined {
            Ok(done) => done,
            Err(err) => ("task", Err(format!("panicked: {err}"))),
        };
        match result {
            Ok(()) => info!(target: "persona", task, "stopped"),
            Err(message) => {
                error!(target: "persona", task, %message, "failed; stopping the engine");
                failure.get_or_insert(PersonaError::Task { task, message });
            }
        }
        // Whatever ended first, the others stop too: the engine runs whole or not at all.
        shutdown.cancel();
    }
    failure.map_or(Ok(()), Err)
}

/// `host[:port]` of an origin, what a DID login message's domain must be.
fn web_authority(origin: &url::Url) -> String {
    match (origin.host_str(), origin.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}

/// Records every cohort's size and freezes the audiences of campaigns that started, every
/// `interval`, until `shutdown`; a failed round is logged and retried next time.
async fn bi_jobs(
    pool: PgPool,
    interval: Duration,
    shutdown: CancellationToken,
) -> Result<(), String> {
    loop {
        let now = time::OffsetDateTime::now_utc();
        let round = async {
            trex_persona_bi::snapshot_cohorts(&pool, now).await?;
            trex_persona_bi::freeze_audiences(&pool, now).await
        };
        if let Err(err) = round.await {
            error!(target: "persona", %err, "BI snapshot round failed; retrying next interval");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.cancelled() => return Ok(()),
        }
    }
}

/// `api-key create`: a new key for `project`.
pub async fn create_api_key(database_url: &str, project: &str) -> Result<String, PersonaError> {
    let pool = connect(database_url).await?;
    crate::migrate(&pool).await?;
    ApiKeys::new(pool).create(project).await
}

/// `api-key revoke`: one key (`Ok(key)`) or a project's keys (`Err(project)`); how many.
pub async fn revoke_api_key(
    database_url: &str,
    target: &Result<String, String>,
) -> Result<u64, PersonaError> {
    let pool = connect(database_url).await?;
    crate::migrate(&pool).await?;
    let keys = ApiKeys::new(pool);
    match target {
        Ok(key) => keys.revoke(key).await.map(|()| 1),
        Err(project) => keys.revoke_project(project).await,
    }
}

/// `backfill`: ingests `from..=to` in chunks.
pub async fn backfill(
    database_url: &str,
    chain_config: &ChainConfig,
    from: u64,
    to: u64,
    chunk_size: u64,
    concurrency: usize,
) -> Result<trex_persona_ingest::BackfillReport, PersonaError> {
    let pool = connect(database_url).await?;
    migrate_all(&pool).await?;
    let (provider, _, contracts) = chain(chain_config).await?;
    let task = |err: trex_persona_ingest::IngestError| PersonaError::Task {
        task: "backfill",
        message: err.to_string(),
    };
    let store = IngestStore::new(pool).await.map_err(task)?;
    let config = trex_persona_ingest::BackfillConfig { contracts, chunk_size, concurrency };
    trex_persona_ingest::Backfill::new(provider, store, config)
        .await
        .map_err(task)?
        .run(from, to)
        .await
        .map_err(task)
}

/// Carries out a command line's [`Action`]; what a command prints goes to stdout (a created
/// key, once).
pub async fn execute(action: Action, shutdown: CancellationToken) -> Result<(), PersonaError> {
    match action {
        Action::Serve(config) => run(*config, shutdown).await,
        Action::CreateApiKey { database_url, project } => {
            println!("{}", create_api_key(&database_url, &project).await?);
            Ok(())
        }
        Action::RevokeApiKey { database_url, target } => {
            println!("revoked {} key(s)", revoke_api_key(&database_url, &target).await?);
            Ok(())
        }
        Action::Backfill { database_url, chain, from, to, chunk_size, concurrency } => {
            let report = backfill(&database_url, &chain, from, to, chunk_size, concurrency).await?;
            println!("{report:?}");
            Ok(())
        }
    }
}
