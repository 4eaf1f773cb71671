//! Test harness: a database per test, a throwaway anvil, a fake L2 and a fake DA server.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::{BlockNumberOrTag, eip2718::Encodable2718};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, address, keccak256};
use alloy_provider::{Provider, RootProvider};
use alloy_signer_local::PrivateKeySigner;
use axum::{
    Router,
    body::Bytes as Body,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, put},
};
use kona_genesis::RollupConfig;
use kona_protocol::{Batch, BatchReader, BlockInfo, Channel, Frame};
use sqlx::PgPool;
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use trex_batcher::{
    Batcher, BatcherError, ChannelConfig, DaPoster, L2Block, L2Source, Ledger, Metrics, SpanParams,
    TxConfig, TxManager,
};
use trex_da_client::DaClient;
use trex_test_support::Anvil;

const CHAIN_ID: u64 = 31628;
const GENESIS_TIME: u64 = 1_700_000_000;
const INBOX: Address = address!("ff00000000000000000000000000000000031628");
const BATCHER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PARAMS: SpanParams = SpanParams { genesis_timestamp: GENESIS_TIME, chain_id: CHAIN_ID };

/// What a test tunes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) frame_size: usize,
    pub(crate) max_channel_duration: u64,
    pub(crate) fallback_after: Duration,
    pub(crate) resubmission_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            frame_size: 400,
            max_channel_duration: 1,
            fallback_after: Duration::from_secs(30),
            resubmission_timeout: Duration::from_secs(60),
        }
    }
}

/// A fake L2 chain (blocks 1..; block 0 is the genesis).
#[derive(Debug, Default)]
pub(crate) struct FakeL2 {
    blocks: Mutex<Vec<L2Block>>,
    safe: Mutex<u64>,
}

fn genesis_hash() -> B256 {
    B256::repeat_byte(0x11)
}

fn random_tx(nonce: u64) -> Bytes {
    let input: Vec<u8> = (0..120).map(|_| rand::random()).collect();
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 1_000,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(nonce),
        input: input.into(),
        ..Default::default()
    };
    let sig = Signature::new(
        U256::from(rand::random::<u64>()),
        U256::from(7u64),
        nonce.is_multiple_of(2),
    );
    let envelope: TxEnvelope = tx.into_signed(sig).into();
    envelope.encoded_2718().into()
}

impl FakeL2 {
    /// Appends `n` blocks with two transactions each; the L1 origin advances every 3 blocks.
    pub(crate) fn push_blocks(&self, n: usize) {
        let mut blocks = self.blocks.lock().unwrap();
        for _ in 0..n {
            let number = blocks.len() as u64 + 1;
            let parent = blocks.last().map_or_else(genesis_hash, |b| b.hash);
            let salt: u64 = rand::random();
            blocks.push(L2Block {
                number,
                hash: keccak256([number.to_be_bytes(), salt.to_be_bytes()].concat()),
                parent_hash: parent,
                timestamp: GENESIS_TIME + number,
                l1_origin_number: number / 3,
                l1_origin_hash: keccak256((number / 3).to_be_bytes()),
                sequence_number: number % 3,
                transactions: vec![random_tx(number * 2), random_tx(number * 2 + 1)],
            });
        }
    }

    /// Replaces the blocks from `from` on with new ones and sets the safe head to `safe`.
    pub(crate) fn reorg_from(&self, from: u64, safe: u64) {
        let count = {
            let mut blocks = self.blocks.lock().unwrap();
            let count = blocks.len() - (from as usize - 1);
            blocks.truncate(from as usize - 1);
            count
        };
        *self.safe.lock().unwrap() = safe;
        self.push_blocks(count);
    }

    /// (timestamp, L1 origin, transactions) of every block, as a batch carries them.
    pub(crate) fn blocks(&self) -> Vec<(u64, u64, Vec<Bytes>)> {
        self.blocks
            .lock()
            .unwrap()
            .iter()
            .map(|b| (b.timestamp, b.l1_origin_number, b.transactions.clone()))
            .collect()
    }
}

#[async_trait::async_trait]
impl L2Source for FakeL2 {
    async fn block(&self, number: u64) -> Result<Option<L2Block>, BatcherError> {
        let blocks = self.blocks.lock().unwrap();
        Ok(number.checked_sub(1).and_then(|i| blocks.get(i as usize)).cloned())
    }

    async fn safe_head(&self) -> Result<(u64, B256), BatcherError> {
        let safe = *self.safe.lock().unwrap();
        let blocks = self.blocks.lock().unwrap();
        let hash = if safe == 0 { genesis_hash() } else { blocks[safe as usize - 1].hash };
        Ok((safe, hash))
    }
}

fn rollup_config() -> RollupConfig {
    trex_batcher::test_utils::rollup_config(CHAIN_ID, GENESIS_TIME)
}

/// Decodes inbox frames with kona back to (timestamp, L1 origin, transactions) per block.
pub(crate) fn decode_blocks(frames: &[Frame]) -> Vec<(u64, u64, Vec<Bytes>)> {
    let cfg = rollup_config();
    let mut order = Vec::new();
    let mut channels: HashMap<[u8; 16], Channel> = HashMap::new();
    for frame in frames {
        let channel = channels.entry(frame.id).or_insert_with(|| {
            order.push(frame.id);
            Channel::new(frame.id, BlockInfo::default())
        });
        channel.add_frame(frame.clone(), BlockInfo::default()).expect("frame fits its channel");
    }
    let mut out = Vec::new();
    for id in order {
        let data = channels[&id].frame_data().expect("complete channel");
        let mut reader = BatchReader::new(data.to_vec(), 100_000_000);
        while let Some(batch) = reader.next_batch(&cfg) {
            let Batch::Span(span) = batch else { panic!("span batches only") };
            out.extend(
                span.batches.into_iter().map(|e| (e.timestamp, e.epoch_num, e.transactions)),
            );
        }
    }
    out
}

/// A DA server storing `keccak` commitments in memory, which can be switched off.
#[derive(Debug, Clone, Default)]
pub(crate) struct FakeDa {
    store: Arc<Mutex<HashMap<Vec<u8>, Vec<u8>>>>,
    up: Arc<AtomicBool>,
    url: String,
}

impl FakeDa {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let da = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            up: Arc::new(AtomicBool::new(true)),
            ..Default::default()
        };
        let app = Router::new()
            .route(
                "/put",
                put(|State(da): State<Self>, body: Body| async move {
                    if !da.up.load(Ordering::SeqCst) {
                        return Err(StatusCode::SERVICE_UNAVAILABLE);
                    }
                    let commitment = [&[0u8][..], keccak256(&body).as_slice()].concat();
                    da.store.lock().unwrap().insert(commitment.clone(), body.to_vec());
                    Ok(commitment)
                }),
            )
            .route(
                "/health",
                get(|State(da): State<Self>| async move {
                    if da.up.load(Ordering::SeqCst) {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                }),
            )
            .route("/get/{c}", get(|Path(_c): Path<String>| async { StatusCode::NOT_FOUND }))
            .with_state(da.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        da
    }

    pub(crate) fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    pub(crate) fn get(&self, commitment: &[u8]) -> Option<Vec<u8>> {
        self.store.lock().unwrap().get(commitment).cloned()
    }
}

/// One test's world: a database, an anvil, a fake L2.
#[derive(Debug)]
pub(crate) struct Ctx {
    anvil: Anvil,
    pub(crate) l1: RootProvider,
    db_name: String,
    db_url: String,
    inspect: Ledger,
    pub(crate) l2: Arc<FakeL2>,
    pub(crate) metrics: Metrics,
}

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl Ctx {
    pub(crate) async fn new(anvil_args: &[&str]) -> Self {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let db_name = format!("trex_batcher_{:016x}", rand::random::<u64>());
        let admin = PgPool::connect(ADMIN_URL).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let db_url = format!("postgres://postgres@127.0.0.1:5432/{db_name}");
        let inspect = Ledger::connect(&db_url).await.unwrap();
        let anvil = Anvil::start(anvil_args).await;
        let l1 = RootProvider::new_http(anvil.url.clone());
        Self {
            anvil,
            l1,
            db_name,
            db_url,
            inspect,
            l2: Arc::new(FakeL2::default()),
            metrics: Metrics::new(),
        }
    }

    pub(crate) fn l1_url(&self) -> &url::Url {
        &self.anvil.url
    }

    pub(crate) fn db_url(&self) -> &str {
        &self.db_url
    }

    /// A rollup.json (kona's serde form) for the fake chain, in `dir`.
    pub(crate) fn write_rollup_config(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let mut cfg = rollup_config();
        cfg.batch_inbox_address = INBOX;
        cfg.seq_window_size = 3600;
        cfg.channel_timeout = 300;
        cfg.granite_channel_timeout = 50;
        let path = dir.join("rollup.json");
        std::fs::write(&path, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
        path
    }

    pub(crate) fn pool(&self) -> &PgPool {
        self.inspect.pool()
    }

    pub(crate) fn batcher_address(&self) -> Address {
        BATCHER_KEY.parse::<PrivateKeySigner>().unwrap().address()
    }

    pub(crate) async fn batcher(&self, da: Option<&FakeDa>, opts: Options) -> Batcher<Arc<FakeL2>> {
        let ledger = Ledger::connect(&self.db_url).await.unwrap();
        let config =
            TxConfig { num_confirmations: 1, resubmission_timeout: opts.resubmission_timeout };
        let txmgr = TxManager::new(
            self.anvil.url.clone(),
            BATCHER_KEY.parse().unwrap(),
            INBOX,
            config,
            self.metrics.clone(),
        )
        .await
        .unwrap();
        let client = da.map(|da| DaClient::new(&da.url, Duration::from_secs(2)).unwrap());
        let poster = DaPoster::new(client, opts.fallback_after, self.metrics.clone());
        let channel = ChannelConfig {
            params: PARAMS,
            target_frame_size: opts.frame_size,
            target_num_frames: 1,
            max_channel_duration: opts.max_channel_duration,
            max_blocks_per_step: 100,
        };
        Batcher::new(self.l2.clone(), ledger, txmgr, poster, channel, self.metrics.clone())
            .await
            .unwrap()
    }

    pub(crate) async fn mine(&self) {
        let _: serde_json::Value = self.l1.raw_request("evm_mine".into(), ()).await.unwrap();
    }

    /// Steps (mining an L1 block after each) until blocks up to `last` are batched and every
    /// transaction is confirmed.
    pub(crate) async fn run_until_settled(&self, batcher: &mut Batcher<Arc<FakeL2>>, last: u64) {
        for _ in 0..200 {
            batcher.step().await.unwrap();
            let open = self.count("SELECT count(*) FROM l1_txs WHERE status <> 'confirmed'").await
                + self.count("SELECT count(*) FROM frames WHERE status = 'pending'").await;
            if batcher.next_block() > last && open == 0 {
                let closed: i64 =
                    self.count("SELECT coalesce(max(last_block), 0) FROM channels").await;
                if closed as u64 >= last {
                    return;
                }
            }
            self.mine().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("batcher did not settle");
    }

    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(self.pool()).await.unwrap()
    }

    /// (hash, calldata) of every batch-inbox transaction on L1, in chain order.
    pub(crate) async fn inbox_txs(&self) -> Vec<(B256, Vec<u8>)> {
        use alloy_consensus::Transaction as _;
        let head = self.l1.get_block_number().await.unwrap();
        let mut out = Vec::new();
        for n in 0..=head {
            let block = self
                .l1
                .get_block_by_number(BlockNumberOrTag::Number(n))
                .full()
                .await
                .unwrap()
                .unwrap();
            for tx in block.transactions.into_transactions() {
                if tx.to() == Some(INBOX) {
                    out.push((*tx.inner.tx_hash(), tx.input().to_vec()));
                }
            }
        }
        out
    }

    pub(crate) async fn inbox_calldata(&self) -> Vec<Vec<u8>> {
        self.inbox_txs().await.into_iter().map(|(_, c)| c).collect()
    }

    pub(crate) async fn ledger_calldata(&self) -> Vec<Vec<u8>> {
        sqlx::query_scalar("SELECT calldata FROM l1_txs ORDER BY nonce")
            .fetch_all(self.pool())
            .await
            .unwrap()
    }

    /// (fee cap, number of signed versions) of the transaction with `nonce`.
    pub(crate) async fn tx_fees(&self, nonce: i64) -> (i64, i32) {
        sqlx::query_as(
            "SELECT max_fee_per_gas, array_length(hashes, 1) FROM l1_txs WHERE nonce = $1",
        )
        .bind(nonce)
        .fetch_one(self.pool())
        .await
        .unwrap()
    }

    /// Ends the test; the database is dropped with the context (also when a test panics).
    pub(crate) async fn cleanup(self) {
        self.inspect.pool().close().await;
    }
}

impl Ctx {
    /// (L1 block number, hash) the ledger records for the transaction with `nonce`.
    pub(crate) async fn inclusion(&self, nonce: i64) -> (u64, B256) {
        let (n, h): (i64, Vec<u8>) =
            sqlx::query_as("SELECT l1_block_number, l1_block_hash FROM l1_txs WHERE nonce = $1")
                .bind(nonce)
                .fetch_one(self.pool())
                .await
                .unwrap();
        (n as u64, B256::from_slice(&h))
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        let name = self.db_name.clone();
        // Own thread and runtime: this may run inside (or after) the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let admin = PgPool::connect(ADMIN_URL).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await.unwrap();
            });
        })
        .join();
    }
}
