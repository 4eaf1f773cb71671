//! End-to-end ingestion throughput of both bus backends, printed as a markdown table.
//!
//! `cargo bench -p trex-persona --bench ingest` (anvil in `.tools/bin`, Postgres at
//! 127.0.0.1:5432, NATS JetStream at 127.0.0.1:4222).
//!
//! One anvil chain is loaded first: `BENCH_PASSPORTS` (default 2000) passports, each created by
//! its own owner, and `BENCH_MINTS` (default 10000) validator-attested badge mints spread over
//! as many classes as needed (one badge per class and passport), mined
//! `BENCH_TXS_PER_BLOCK` (default 100) transactions a block. Then, for each backend, the
//! engine's parts run in-process, built from the same library calls `trex-persona serve` makes
//! (with 0 confirmations), each time in a fresh database:
//!
//! 1. listener alone: `Listener::step` until idle; events/s from the RPC into `chain_events`
//!    (and the outbox);
//! 2. end to end: listener, outbox relay and graph projector together over the bus, from their
//!    start until the projector has processed every event and the graph holds every passport
//!    and badge (`passports`, Σ `persona_features.badge_count`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_network::{Ethereum, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::{DynProvider, Provider, RootProvider, WalletProvider};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use futures::{StreamExt, stream};
use serde_json::Value;
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use trex_persona::service::{PROJECTOR_GROUP, RELAY, connect, migrate_all};
use trex_persona_graph::Projector;
use trex_persona_ingest::{
    IdentityContracts, IngestStore, Listener, ListenerConfig, OutboxRelay, RelayConfig, Step,
};
use trex_persona_pipeline::{BusConfig, NatsBus, NatsConfig};
use trex_sdk::{
    BadgeClient, MintAttestation, TRexBadge, TRexPassport, badge_domain, deploy_identity,
    sign_mint_attestation,
};
use trex_test_support::{Anvil, DEV_KEYS, TestDatabase, wallet_provider};

/// Requests in flight at once while loading the chain.
const CONCURRENCY: usize = 32;
/// Legacy gas price of the load's transactions: above the base fee, which only falls here
/// (blocks stay far below half the gas limit).
const GAS_PRICE: u128 = 2_000_000_000;
/// How often the end-to-end run reads the engine's progress.
const POLL: Duration = Duration::from_millis(250);
/// An end-to-end run whose progress stands still this long has failed.
const STALL: Duration = Duration::from_secs(120);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What the chain is loaded with.
struct Load {
    passports: usize,
    mints: usize,
    per_block: usize,
}

impl Load {
    /// The classes the mints need: a passport holds at most one badge of a class.
    fn classes(&self) -> usize {
        self.mints.div_ceil(self.passports)
    }
}

/// The loaded chain.
struct Chain {
    /// Kept for its lifetime: anvil stops when it is dropped.
    _anvil: Anvil,
    provider: DynProvider<Ethereum>,
    contracts: IdentityContracts,
    /// Logs the listener's filter matches: what it must ingest.
    events: i64,
    blocks: u64,
    load_time: Duration,
}

/// Calls `method` (anvil's own methods have no typed wrapper); any failure ends the bench.
async fn rpc<P, R>(provider: &DynProvider<Ethereum>, method: &'static str, params: P) -> R
where
    P: serde::Serialize + std::fmt::Debug + Clone + Send + Sync + Unpin,
    R: serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + Unpin + 'static,
{
    provider.raw_request(method.into(), params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// A call from `from`, signed by anvil (a dev account or an impersonated one).
fn call(from: Address, to: Address, input: Vec<u8>) -> TransactionRequest {
    TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(input)
        .with_gas_price(GAS_PRICE)
}

/// Sends `txs` without waiting for receipts, `per_block` at a time, each batch mined into one
/// block with `evm_mine` (automine is off); then mines until the pool is empty.
async fn mine_in_blocks(
    provider: &DynProvider<Ethereum>,
    txs: Vec<TransactionRequest>,
    per_block: usize,
) {
    for batch in txs.chunks(per_block.max(1)) {
        stream::iter(batch)
            .for_each_concurrent(CONCURRENCY, |tx| async move {
                let _: B256 = rpc(provider, "eth_sendTransaction", (tx,)).await;
            })
            .await;
        let _: Value = rpc(provider, "evm_mine", ()).await;
    }
    loop {
        let status: Value = rpc(provider, "txpool_status", ()).await;
        let count = |key: &str| {
            status[key]
                .as_str()
                .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        };
        if (count("pending"), count("queued")) == (Some(0), Some(0)) {
            return;
        }
        let _: Value = rpc(provider, "evm_mine", ()).await;
    }
}

/// The gas limit given to every transaction like `tx`: its estimate with a margin (the first
/// of a kind writes the most fresh storage slots).
async fn gas_for(provider: &DynProvider<Ethereum>, tx: &TransactionRequest) -> u64 {
    provider.estimate_gas(tx.clone()).await.expect("eth_estimateGas") * 3 / 2
}

/// Starts anvil, deploys the identity contracts and loads `load` onto it.
async fn load_chain(load: &Load) -> Chain {
    let started = Instant::now();
    let anvil = Anvil::start(&["--auto-impersonate", "--gas-limit", "1000000000"]).await;
    let provider = DynProvider::new(RootProvider::<Ethereum>::new_http(anvil.url.clone()));
    let admin = wallet_provider(&anvil.url, &[DEV_KEYS[0]]);
    let admin_address = admin.default_signer_address();
    let (passport, badge) = deploy_identity(&admin, admin_address).await.expect("deploy");
    let validator: PrivateKeySigner = DEV_KEYS[9].parse().expect("key");
    let badges = BadgeClient::new(badge, admin);
    let mut classes = Vec::new();
    for _ in 0..load.classes() {
        let params = TRexBadge::ClassParams {
            uri: "ipfs://bench".into(),
            points: 10,
            pointsCategory: keccak256("defi"),
            validatorKind: keccak256("TOKEN"),
            paramsHash: B256::repeat_byte(1),
            supplyCap: 0,
            startTime: 0,
            endTime: 0,
            expiry: 0,
        };
        classes.push(badges.create_class(params, vec![validator.address()]).await.expect("class"));
    }
    let _: Value = rpc(&provider, "evm_setAutomine", (false,)).await;

    // One passport per owner: the owners are impersonated addresses that only need gas money.
    let owners: Vec<Address> = (0..load.passports)
        .map(|i| Address::from_word(keccak256(format!("ingest-bench-owner-{i}"))))
        .collect();
    stream::iter(&owners)
        .for_each_concurrent(CONCURRENCY, |owner| {
            let provider = &provider;
            async move {
                let ether = U256::from(10u128.pow(18));
                let _: Value = rpc(provider, "anvil_setBalance", (owner, ether)).await;
            }
        })
        .await;
    let create = TRexPassport::createPassportCall {}.abi_encode();
    let gas = gas_for(&provider, &call(owners[0], passport, create.clone())).await;
    let txs = owners
        .iter()
        .map(|owner| call(*owner, passport, create.clone()).with_gas_limit(gas).with_nonce(0))
        .collect();
    mine_in_blocks(&provider, txs, load.per_block).await;

    // The passports in the order they were created, with their owners (the mint recipients).
    let created = Filter::new()
        .address(passport)
        .event_signature(TRexPassport::PassportCreated::SIGNATURE_HASH)
        .from_block(0);
    let passports: Vec<(U256, Address)> = provider
        .get_logs(&created)
        .await
        .expect("eth_getLogs")
        .iter()
        .map(|log| {
            let event = log.log_decode::<TRexPassport::PassportCreated>().expect("event").inner;
            (event.data.passportId, event.data.owner)
        })
        .collect();
    assert_eq!(passports.len(), load.passports, "passports created");

    let chain_id = provider.get_chain_id().await.expect("chain id");
    let domain = badge_domain(chain_id, badge);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let deadline = U256::from(now + 24 * 3600);
    let mut mints = Vec::with_capacity(load.mints);
    for k in 0..load.mints {
        let (passport_id, owner) = passports[k % load.passports];
        let attestation = MintAttestation {
            classId: classes[k / load.passports],
            passportId: passport_id,
            recipient: owner,
            attestationId: keccak256(k.to_be_bytes()),
            deadline,
        };
        let signature: Bytes =
            sign_mint_attestation(&validator, &domain, &attestation).await.expect("sign");
        let mint = TRexBadge::mintCall {
            classId: attestation.classId,
            passportId: passport_id,
            attestationId: attestation.attestationId,
            deadline,
            signature,
        };
        mints.push(call(admin_address, badge, mint.abi_encode()));
    }
    if let Some(first) = mints.first() {
        let gas = gas_for(&provider, first).await;
        let nonce = provider.get_transaction_count(admin_address).await.expect("nonce");
        for (tx, nonce) in mints.iter_mut().zip(nonce..) {
            tx.set_gas_limit(gas);
            tx.set_nonce(nonce);
        }
    }
    mine_in_blocks(&provider, mints, load.per_block).await;

    let contracts = IdentityContracts { passport, badge };
    let blocks = provider.get_block_number().await.expect("head");
    let logs = provider.get_logs(&contracts.filter(0, blocks)).await.expect("eth_getLogs");
    let minted = logs
        .iter()
        .filter(|log| log.topic0() == Some(&TRexBadge::BadgeMinted::SIGNATURE_HASH))
        .count();
    // A reverted transaction (e.g. out of gas) would silently shrink the load.
    assert_eq!(minted, load.mints, "badges minted");
    Chain {
        _anvil: anvil,
        provider,
        contracts,
        events: logs.len() as i64,
        blocks,
        load_time: started.elapsed(),
    }
}

/// A fresh database migrated like `serve` does it, with the engine's pool on it.
async fn engine_database() -> (TestDatabase, PgPool) {
    let database = TestDatabase::create("persona_ingest_bench").await;
    let pool = connect(database.url()).await.expect("database");
    migrate_all(&pool).await.expect("migrations");
    (database, pool)
}

/// The listener `serve` would run on `pool` with `--confirmations 0`.
async fn listener(chain: &Chain, pool: &PgPool) -> Listener {
    let store = IngestStore::new(pool.clone()).await.expect("ingest store");
    let config = ListenerConfig { confirmations: 0, ..ListenerConfig::new(chain.contracts) };
    Listener::new(chain.provider.clone(), store, config).await.expect("listener")
}

/// How far the engine got, read from its tables.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
struct Progress {
    events: i64,
    outbox: i64,
    relayed: i64,
    processed: i64,
    passports: i64,
    badges: i64,
}

impl Progress {
    async fn read(pool: &PgPool) -> Self {
        sqlx::query_as(
            "SELECT \
               (SELECT count(*) FROM chain_events WHERE retracted_at IS NULL) AS events, \
               (SELECT COALESCE(max(seq), 0) FROM ingest_outbox) AS outbox, \
               (SELECT COALESCE(max(seq), 0) FROM outbox_relay_cursor WHERE name = $1) AS relayed, \
               (SELECT count(*) FROM processed_messages WHERE consumer = $2) AS processed, \
               (SELECT count(*) FROM passports) AS passports, \
               (SELECT COALESCE(sum(badge_count), 0)::bigint FROM persona_features) AS badges",
        )
        .bind(RELAY)
        .bind(trex_persona_graph::CONSUMER)
        .fetch_one(pool)
        .await
        .expect("progress")
    }
}

/// Runs the listener alone until it is idle: how long it took.
async fn listener_alone(chain: &Chain) -> Duration {
    let (_database, pool) = engine_database().await;
    let listener = listener(chain, &pool).await;
    let started = Instant::now();
    while listener.step().await.expect("listener step") != Step::Idle {}
    let elapsed = started.elapsed();
    assert_eq!(Progress::read(&pool).await.events, chain.events, "events ingested");
    pool.close().await;
    elapsed
}

/// When, from the start of an end-to-end run, each stage had every event.
struct Timeline {
    /// Every event in `chain_events` (and the outbox).
    listener: Duration,
    /// The relay's cursor at the end of the outbox: every message on the bus.
    relay: Duration,
    /// Every message processed by the projector, the graph complete.
    graph: Duration,
}

/// Runs listener, relay and projector as `serve` does, on `bus`, until the graph holds the
/// whole load.
async fn end_to_end(chain: &Chain, load: &Load, bus: &BusConfig) -> Timeline {
    let (_database, pool) = engine_database().await;
    let bus = trex_persona_pipeline::connect(bus, &pool).await.expect("bus");
    let listener = listener(chain, &pool).await;
    let relay = OutboxRelay::new(pool.clone(), bus.clone(), RelayConfig::new(RELAY));
    let projector = Projector::new(pool.clone());
    let shutdown = CancellationToken::new();

    let started = Instant::now();
    let mut tasks: JoinSet<(&'static str, Result<(), String>)> = JoinSet::new();
    let stop = shutdown.clone();
    tasks.spawn(async move {
        ("listener", listener.run(stop.cancelled_owned()).await.map_err(|e| e.to_string()))
    });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        ("outbox relay", relay.run(stop.cancelled_owned()).await.map_err(|e| e.to_string()))
    });
    let stop = shutdown.clone();
    tasks.spawn(async move {
        let result = projector.run(bus.as_ref(), PROJECTOR_GROUP, stop.cancelled_owned()).await;
        ("projector", result.map_err(|e| e.to_string()))
    });

    let (mut listened, mut relayed) = (None, None);
    let (mut last, mut moved) = (Progress::default(), Instant::now());
    let graph = loop {
        if let Some(joined) = tasks.try_join_next() {
            panic!("a task stopped before the graph was complete: {joined:?}");
        }
        let progress = Progress::read(&pool).await;
        let at = started.elapsed();
        if progress.events == chain.events {
            listened.get_or_insert(at);
            if progress.relayed >= progress.outbox {
                relayed.get_or_insert(at);
            }
        }
        if (progress.processed, progress.passports, progress.badges)
            == (chain.events, load.passports as i64, load.mints as i64)
        {
            break at;
        }
        if progress != last {
            (last, moved) = (progress, Instant::now());
        }
        assert!(moved.elapsed() < STALL, "no progress for {STALL:?}: {progress:?}");
        tokio::time::sleep(POLL).await;
    };
    shutdown.cancel();
    while let Some(joined) = tasks.join_next().await {
        let (task, result) = joined.expect("task panicked");
        result.unwrap_or_else(|e| panic!("{task}: {e}"));
    }
    pool.close().await;
    let listener = listened.expect("listener done before the graph");
    Timeline { listener, relay: relayed.unwrap_or(graph), graph }
}

/// One backend's results.
struct Row {
    backend: &'static str,
    listener: Duration,
    timeline: Timeline,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            // sqlx reports dropping a throwaway database as a slow statement.
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,sqlx::query=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let load = Load {
        passports: env("BENCH_PASSPORTS", 2_000).max(1),
        mints: env("BENCH_MINTS", 10_000),
        per_block: env("BENCH_TXS_PER_BLOCK", 100),
    };
    let chain = load_chain(&load).await;
    eprintln!(
        "chain loaded in {:.1} s: {} events in {} blocks",
        chain.load_time.as_secs_f64(),
        chain.events,
        chain.blocks
    );

    let tag =
        format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos());
    let nats = NatsConfig {
        stream: format!("INGEST_BENCH_{tag}"),
        subject_prefix: format!("ingest_bench_{tag}"),
        ..NatsConfig::new("nats://127.0.0.1:4222")
    };
    let backends = [
        ("Postgres (`PgBus`)", BusConfig::default()),
        ("NATS JetStream (`NatsBus`)", BusConfig::Nats(nats.clone())),
    ];
    let mut rows = Vec::new();
    for (backend, bus) in &backends {
        let listener = listener_alone(&chain).await;
        let timeline = end_to_end(&chain, &load, bus).await;
        eprintln!("{backend}: end to end in {:.1} s", timeline.graph.as_secs_f64());
        rows.push(Row { backend, listener, timeline });
    }
    NatsBus::connect(nats).await.expect("nats").delete_stream().await.expect("delete stream");

    println!(
        "{} passports and {} badge mints over {} classes: {} identity events in {} blocks \
         ({} transactions a block), loaded in {:.1} s\n",
        load.passports,
        load.mints,
        load.classes(),
        chain.events,
        chain.blocks,
        load.per_block,
        chain.load_time.as_secs_f64()
    );
    println!(
        "| backend | listener alone: events/s | end to end: events/s | end to end time | \
         listener done at | relay done at |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let rate = |d: Duration| chain.events as f64 / d.as_secs_f64();
    for row in &rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.1} s | {:.1} s | {:.1} s |",
            row.backend,
            rate(row.listener),
            rate(row.timeline.graph),
            row.timeline.graph.as_secs_f64(),
            row.timeline.listener.as_secs_f64(),
            row.timeline.relay.as_secs_f64(),
        );
    }
    if let [postgres, nats] = &rows[..] {
        println!(
            "| ratio NATS / Postgres | {:.2} | {:.2} | | | |",
            rate(nats.listener) / rate(postgres.listener),
            rate(nats.timeline.graph) / rate(postgres.timeline.graph),
        );
    }
}
