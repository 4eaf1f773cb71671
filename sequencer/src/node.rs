//! The running node: shared chain state and the block producer task.

use crate::{
    error::NodeError,
    executor::{BlockAttributes, BlockBuilder, CandidateTx, TransactionSource},
    metrics::Metrics,
    pool::{AccountState, BestTransactions, PoolConfig, TxPool, ValidationRules},
    storage::{StateAt, Store, StoredBlock},
};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, address, keccak256};
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use trex_chainspec::ChainSpec;

/// The OP-stack `SequencerFeeVault` predeploy: the default recipient of priority fees.
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");

/// How the node produces blocks.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Interval between blocks.
    pub block_time: Duration,
    /// Gas limit of produced blocks.
    pub gas_limit: u64,
    /// Receives priority fees.
    pub fee_recipient: Address,
}

/// Everything the node shares between the producer and the RPC server.
#[derive(Debug)]
pub struct Node {
    /// The chain being run.
    pub chain: Arc<ChainSpec>,
    /// Blocks and state.
    pub store: Store,
    /// Pending transactions.
    pub pool: TxPool,
    /// Block production settings.
    pub producer: ProducerConfig,
    /// Prometheus metrics.
    pub metrics: Metrics,
    builder: BlockBuilder,
    new_blocks: broadcast::Sender<Arc<StoredBlock>>,
}

impl Node {
    /// Opens the datadir (writing genesis on first start) and creates an empty pool.
    pub fn open(
        chain: Arc<ChainSpec>,
        datadir: PathBuf,
        producer: ProducerConfig,
        pool: PoolConfig,
    ) -> Result<Arc<Self>, NodeError> {
        let store = Store::open(&datadir, &chain)?;
        let (new_blocks, _) = broadcast::channel(1024);
        let metrics = Metrics::new();
        metrics.head.set(store.reader()?.head_number()? as i64);
        Ok(Arc::new(Self {
            builder: BlockBuilder::new(chain.clone()),
            chain,
            store,
            pool: TxPool::new(pool),
            producer,
            metrics,
            new_blocks,
        }))
    }

    /// Receives every block after it is committed.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<StoredBlock>> {
        self.new_blocks.subscribe()
    }

    /// Rules raw transactions must pass to enter the pool at the current head.
    pub fn validation_rules(&self, head: &Header) -> ValidationRules {
        let spec = self.chain.spec_id_at(head.timestamp);
        ValidationRules::new(self.chain.chain_id(), self.producer.gas_limit, spec)
    }

    /// Base fee of the next block on top of `head`.
    pub fn next_base_fee(&self, head: &Header) -> u64 {
        self.builder.next_base_fee(head, next_timestamp(head))
    }

    /// Builds, executes and durably commits one block from the pool's best transactions, then
    /// updates the pool and notifies subscribers. Blocking: call from a blocking thread.
    pub fn produce_block(&self) -> Result<Arc<StoredBlock>, NodeError> {
        let started = Instant::now();
        let reader = self.store.reader()?;
        let head = reader.head_number()?;
        let parent = reader.header(head)?.ok_or_else(|| NodeError::Execution("no head".into()))?;
        let parent_hash = reader.block_hash(head)?.unwrap_or_else(|| parent.hash_slow());
        let attributes = BlockAttributes {
            timestamp: next_timestamp(&parent),
            gas_limit: self.producer.gas_limit,
            fee_recipient: self.producer.fee_recipient,
            prev_randao: keccak256(parent_hash),
        };
        let base_fee = self.builder.next_base_fee(&parent, attributes.timestamp);
        let mut source = PoolSource(self.pool.best_transactions(base_fee));
        let built = self.builder.build(reader, &parent, parent_hash, &attributes, &mut source)?;
        self.store.commit_block(&built.block, &built.changes)?;

        let block = Arc::new(built.block);
        let mined: Vec<B256> = block.transactions.iter().map(|tx| tx.inner().tx_hash()).collect();
        let mut senders: Vec<Address> = block.transactions.iter().map(|tx| tx.signer()).collect();
        senders.extend(
            built.rejected.iter().filter_map(|tx| self.pool.get(&tx.hash).map(|tx| tx.sender())),
        );
        senders.sort_unstable();
        senders.dedup();
        let state = StateAt::latest(self.store.reader()?);
        let mut accounts = Vec::with_capacity(senders.len());
        for sender in senders {
            let account = state.account(sender)?.unwrap_or_default();
            accounts
                .push((sender, AccountState { nonce: account.nonce, balance: account.balance }));
        }
        for rejected in &built.rejected {
            tracing::debug!(hash = %rejected.hash, reason = %rejected.reason, "transaction left out of block");
        }
        // An invalid transaction would be retried every block until its sender's state changes.
        let invalid: Vec<B256> =
            built.rejected.iter().filter(|tx| tx.invalid).map(|tx| tx.hash).collect();
        self.pool.remove_transactions(&invalid);
        self.pool.on_canonical_block(
            self.builder.next_base_fee(&block.header, next_timestamp(&block.header)),
            &mined,
            accounts,
        );
        self.metrics.record_block(&block, started.elapsed(), self.pool.status());
        tracing::info!(
            number = block.header.number,
            hash = %block.hash,
            txs = block.transactions.len(),
            gas_used = block.header.gas_used,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "produced block"
        );
        let _ = self.new_blocks.send(block.clone());
        Ok(block)
    }

    /// Produces a block every `block_time` until `cancel` fires. A failure to build or commit is
    /// fatal: it stops the node rather than serve a chain it could not extend.
    pub async fn run_producer(self: Arc<Self>, cancel: CancellationToken) -> Result<(), NodeError> {
        let mut ticker = tokio::time::interval(self.producer.block_time);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            let node = self.clone();
            tokio::task::spawn_blocking(move || node.produce_block())
                .await
                .map_err(|err| NodeError::Execution(format!("block producer panicked: {err}")))??;
            self.pool.remove_expired(Instant::now());
        }
    }
}

/// Timestamps follow the wall clock, never going backwards; with sub-second block times several
/// blocks share a second, as on other fast-block devnets.
fn next_timestamp(parent: &Header) -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    now.max(parent.timestamp)
}

struct PoolSource(BestTransactions);

impl TransactionSource for PoolSource {
    fn next_candidate(&mut self) -> Option<CandidateTx> {
        self.0.next().map(|tx| CandidateTx { tx: tx.tx().clone(), encoded: tx.encoded().clone() })
    }

    fn mark_invalid(&mut self, sender: Address) {
        self.0.mark_invalid(sender);
    }
}
