//! The running node: shared chain state and the block producer task.

use crate::{
    error::NodeError,
    executor::{BlockAttributes, BlockBuilder, BuiltBlock, CandidateTx, TransactionSource},
    metrics::Metrics,
    pool::{AccountState, BestTransactions, PoolConfig, TxPool, ValidationRules},
    rollup::attributes::l1_fee_params,
    storage::{StateAt, Store, StoredBlock},
};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, address, keccak256};
use std::{
    collections::HashSet,
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
    /// Rollup mode's config and heads; unset in standalone mode.
    pub rollup: std::sync::OnceLock<Arc<crate::rollup::RollupContext>>,
    /// The L1 fee parameters of the head block (rollup mode), for the pool's balance check.
    l1_fee: parking_lot::RwLock<Option<op_revm::L1BlockInfo>>,
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
        let reader = store.reader()?;
        let head = reader.head_number()?;
        metrics.head.set(head as i64);
        let l1_fee = reader.block(head)?.as_ref().and_then(l1_fee_params);
        Ok(Arc::new(Self {
            builder: BlockBuilder::new(chain.clone()),
            chain,
            store,
            pool: TxPool::new(pool),
            producer,
            metrics,
            rollup: std::sync::OnceLock::new(),
            l1_fee: parking_lot::RwLock::new(l1_fee),
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
        let mut rules = ValidationRules::new(self.chain.chain_id(), self.producer.gas_limit, spec);
        rules.l1_fee = self.l1_fee.read().clone();
        rules
    }

    /// Base fee of the next block on top of `head`.
    pub fn next_base_fee(&self, head: &Header) -> u64 {
        self.builder.next_base_fee(head, next_timestamp(head))
    }

    /// Builds, executes and durably commits one block from the transactions pooled now, then
    /// updates the pool and notifies subscribers. Blocking: call from a blocking thread.
    pub fn produce_block(&self) -> Result<Arc<StoredBlock>, NodeError> {
        self.produce_block_until(None)
    }

    /// Like [`Self::produce_block`], but with a `deadline` the block stays open until then: it
    /// executes transactions as they arrive in the pool, and is sealed and committed at the
    /// deadline. Execution thus overlaps the slot, and only the roots and the commit remain
    /// after it. Standalone mode: the timestamp follows the wall clock.
    pub fn produce_block_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Arc<StoredBlock>, NodeError> {
        let started = Instant::now();
        let (parent, parent_hash) = self.head()?;
        let sealed_at = deadline.map_or_else(SystemTime::now, |deadline| {
            SystemTime::now() + deadline.saturating_duration_since(Instant::now())
        });
        let template = BlockTemplate {
            attributes: BlockAttributes {
                timestamp: timestamp_at(sealed_at).max(parent.timestamp),
                gas_limit: self.producer.gas_limit,
                fee_recipient: self.producer.fee_recipient,
                prev_randao: keccak256(parent_hash),
                parent_beacon_block_root: None,
            },
            forced: Vec::new(),
            pool: deadline.map_or(PoolInclusion::Snapshot, PoolInclusion::Until),
        };
        let built = self.build_block(template)?;
        self.commit_built(built, started)
    }

    /// The head header and its hash.
    pub fn head(&self) -> Result<(Header, B256), NodeError> {
        let reader = self.store.reader()?;
        let head = reader.head_number()?;
        let header = reader.header(head)?.ok_or_else(|| NodeError::Execution("no head".into()))?;
        let hash = reader.block_hash(head)?.unwrap_or_else(|| header.hash_slow());
        Ok((header, hash))
    }

    /// Builds (without committing) the block `template` describes on top of the head: its forced
    /// transactions first, in order, then pooled ones as `template.pool` says.
    pub fn build_block(&self, template: BlockTemplate) -> Result<BuiltBlock, NodeError> {
        // Subscribe before the first snapshot so no transaction announced in between is missed.
        let announcements = self.pool.subscribe_pending_transactions();
        let reader = self.store.reader()?;
        let head = reader.head_number()?;
        let parent = reader.header(head)?.ok_or_else(|| NodeError::Execution("no head".into()))?;
        let parent_hash = reader.block_hash(head)?.unwrap_or_else(|| parent.hash_slow());
        let base_fee = self.builder.next_base_fee(&parent, template.attributes.timestamp);
        let deadline = match template.pool {
            PoolInclusion::None | PoolInclusion::Snapshot => None,
            PoolInclusion::Until(deadline) => Some(deadline),
        };
        let pool = (!matches!(template.pool, PoolInclusion::None)).then(|| PoolSource {
            pool: &self.pool,
            base_fee,
            deadline,
            current: self.pool.best_transactions(base_fee),
            announcements,
            offered: HashSet::new(),
            invalid: HashSet::new(),
        });
        let mut source = ForcedThenPool { forced: template.forced.into_iter(), pool };
        self.builder.build(reader, &parent, parent_hash, &template.attributes, &mut source)
    }

    /// Durably commits a block built on the current head, then updates the pool, metrics and
    /// subscribers. `started` is when building began (for the build-time metric).
    pub fn commit_built(
        &self,
        built: BuiltBlock,
        started: Instant,
    ) -> Result<Arc<StoredBlock>, NodeError> {
        self.store.commit_block(&built.block, &built.changes)?;
        *self.l1_fee.write() = l1_fee_params(&built.block);

        let block = Arc::new(built.block);
        let mined: Vec<B256> = block.transactions.iter().map(|tx| tx.inner().tx_hash()).collect();
        let mut senders: Vec<Address> = block.transactions.iter().map(|tx| tx.signer()).collect();
        senders.extend(
            built.rejected.iter().filter_map(|tx| self.pool.get(&tx.hash).map(|tx| tx.sender())),
        );
        let accounts = self.account_states(senders)?;
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
            "committed block"
        );
        let _ = self.new_blocks.send(block.clone());
        Ok(block)
    }

    /// The current nonce and balance of each distinct sender, as the pool tracks them.
    fn account_states(
        &self,
        mut senders: Vec<Address>,
    ) -> Result<Vec<(Address, AccountState)>, NodeError> {
        senders.sort_unstable();
        senders.dedup();
        let state = StateAt::latest(self.store.reader()?);
        let mut accounts = Vec::with_capacity(senders.len());
        for sender in senders {
            let account = state.account(sender)?.unwrap_or_default();
            accounts
                .push((sender, AccountState { nonce: account.nonce, balance: account.balance }));
        }
        Ok(accounts)
    }

    /// Removes the blocks above `number` (an L1 reorg or a block derivation replaced) and returns
    /// their user transactions to the pool, where they are valid again. Blocking.
    pub fn unwind_to(&self, number: u64) -> Result<(), NodeError> {
        let removed = self.store.unwind_to(number)?;
        *self.l1_fee.write() = self.store.reader()?.block(number)?.as_ref().and_then(l1_fee_params);
        let (head, _) = self.head()?;
        let base_fee = self.next_base_fee(&head);
        let rules = self.validation_rules(&head);
        let senders = removed
            .iter()
            .flat_map(|block| block.transactions.iter().map(|tx| tx.signer()))
            .collect();
        let accounts = self.account_states(senders)?;
        self.pool.on_canonical_block(base_fee, &[], accounts.iter().copied());
        let accounts: std::collections::HashMap<_, _> = accounts.into_iter().collect();
        let mut returned = 0usize;
        for tx in removed.iter().flat_map(|block| &block.transactions) {
            if tx.inner().is_deposit() {
                continue;
            }
            let raw = alloy_eips::Encodable2718::encoded_2718(tx.inner());
            let Ok(valid) = crate::pool::validate_raw_transaction(&raw, &rules) else { continue };
            if self.pool.add(valid, accounts[&tx.signer()], base_fee).is_ok() {
                returned += 1;
            }
        }
        self.metrics.head.set(head.number as i64);
        self.metrics.unwound_blocks.inc_by(removed.len() as u64);
        tracing::warn!(to = number, blocks = removed.len(), returned, "unwound blocks");
        Ok(())
    }

    /// Produces a block every `block_time` until `cancel` fires. A failure to build or commit is
    /// fatal: it stops the node rather than serve a chain it could not extend.
    pub async fn run_producer(self: Arc<Self>, cancel: CancellationToken) -> Result<(), NodeError> {
        let block_time = self.producer.block_time;
        let mut deadline = Instant::now() + block_time;
        while !cancel.is_cancelled() {
            let node = self.clone();
            tokio::task::spawn_blocking(move || node.produce_block_until(Some(deadline)))
                .await
                .map_err(|err| NodeError::Execution(format!("block producer panicked: {err}")))??;
            self.pool.remove_expired(Instant::now());
            // Keep the cadence; if sealing ran past a whole slot, start the next one from now.
            deadline += block_time;
            let now = Instant::now();
            if deadline <= now {
                deadline = now + block_time;
            }
        }
        Ok(())
    }
}

/// Timestamps follow the wall clock, never going backwards; with sub-second block times several
/// blocks share a second, as on other fast-block devnets.
fn next_timestamp(parent: &Header) -> u64 {
    timestamp_at(SystemTime::now()).max(parent.timestamp)
}

fn timestamp_at(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Which pooled transactions a block takes after its forced ones.
#[derive(Debug, Clone, Copy)]
pub enum PoolInclusion {
    /// None: the block holds only its forced transactions (derivation, or past the sequencer
    /// drift).
    None,
    /// The pool's best transactions at the time of building.
    Snapshot,
    /// Transactions as they arrive, until the deadline seals the block.
    Until(Instant),
}

/// Everything that decides a block's content (the OP engine API's payload attributes).
#[derive(Debug, Clone)]
pub struct BlockTemplate {
    /// Header fields chosen by the sequencer or by derivation.
    pub attributes: BlockAttributes,
    /// Transactions that go first, in order: the L1-attributes deposit, user deposits, and in
    /// derivation the batch's transactions.
    pub forced: Vec<CandidateTx>,
    /// Pooled transactions after the forced ones.
    pub pool: PoolInclusion,
}

/// The forced transactions in order, then the pool's.
struct ForcedThenPool<'a> {
    forced: std::vec::IntoIter<CandidateTx>,
    pool: Option<PoolSource<'a>>,
}

impl TransactionSource for ForcedThenPool<'_> {
    fn next_candidate(&mut self) -> Option<CandidateTx> {
        self.forced.next().or_else(|| self.pool.as_mut()?.next_candidate())
    }

    fn mark_invalid(&mut self, sender: Address) {
        if let Some(pool) = &mut self.pool {
            pool.mark_invalid(sender);
        }
    }
}

/// How often an open block checks the pool for new transactions while it has none to execute.
const POOL_POLL_INTERVAL: Duration = Duration::from_millis(2);

/// Offers the pool's best transactions to the block builder. Without a deadline it offers one
/// snapshot of the pool; with one it keeps offering transactions as they arrive until then.
struct PoolSource<'a> {
    pool: &'a TxPool,
    base_fee: u64,
    deadline: Option<Instant>,
    current: BestTransactions,
    announcements: broadcast::Receiver<B256>,
    /// Offered in this block already (they stay pooled until the block is committed).
    offered: HashSet<B256>,
    /// Senders whose next transaction could not be included in this block.
    invalid: HashSet<Address>,
}

impl PoolSource<'_> {
    /// Waits until the pool announces new pending transactions (`true`) or the deadline passes.
    fn wait_for_transactions(&mut self, deadline: Instant) -> bool {
        loop {
            let mut announced = false;
            loop {
                match self.announcements.try_recv() {
                    Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => announced = true,
                    Err(broadcast::error::TryRecvError::Empty) => break,
                    Err(broadcast::error::TryRecvError::Closed) => return false,
                }
            }
            if announced {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            std::thread::sleep(POOL_POLL_INTERVAL.min(deadline - now));
        }
    }
}

impl TransactionSource for PoolSource<'_> {
    fn next_candidate(&mut self) -> Option<CandidateTx> {
        loop {
            // The block is sealed at its deadline, however much the pool still holds.
            if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return None;
            }
            for tx in self.current.by_ref() {
                if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    return None;
                }
                if !self.invalid.contains(&tx.sender()) && self.offered.insert(tx.hash()) {
                    return Some(CandidateTx {
                        tx: tx.tx().clone(),
                        encoded: tx.encoded().clone(),
                    });
                }
            }
            let deadline = self.deadline?;
            if !self.wait_for_transactions(deadline) {
                return None;
            }
            self.current = self.pool.best_transactions(self.base_fee);
        }
    }

    fn mark_invalid(&mut self, sender: Address) {
        self.invalid.insert(sender);
        self.current.mark_invalid(sender);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::validate_raw_transaction;
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::Encodable2718;
    use alloy_primitives::{TxKind, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn submit(node: &Node, signer: &PrivateKeySigner, nonce: u64) {
        let tx = TxEip1559 {
            chain_id: node.chain.chain_id(),
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: TxKind::Call(Address::repeat_byte(9)),
            value: U256::from(1u64),
            ..Default::default()
        };
        let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let raw =
            op_alloy_consensus::OpTxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718();
        let reader = node.store.reader().unwrap();
        let head = reader.header(reader.head_number().unwrap()).unwrap().unwrap();
        let valid = validate_raw_transaction(&raw, &node.validation_rules(&head)).unwrap();
        let account = StateAt::latest(reader).account(signer.address()).unwrap().unwrap();
        let state = AccountState { nonce: account.nonce, balance: account.balance };
        node.pool.add(valid, state, node.next_base_fee(&head)).unwrap();
    }

    #[test]
    fn an_open_block_takes_transactions_arriving_before_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let producer = ProducerConfig {
            block_time: Duration::from_secs(1),
            gas_limit: 30_000_000,
            fee_recipient: SEQUENCER_FEE_VAULT,
        };
        let node =
            Node::open(ChainSpec::devnet(), dir.path().into(), producer, PoolConfig::default())
                .unwrap();
        let signer: PrivateKeySigner = DEV_KEY.parse().unwrap();
        submit(&node, &signer, 0);
        let deadline = Instant::now() + Duration::from_millis(600);
        let block = std::thread::scope(|scope| {
            let open = scope.spawn(|| node.produce_block_until(Some(deadline)).unwrap());
            // Arrives while the block is open, after its first transaction was executed.
            std::thread::sleep(Duration::from_millis(200));
            submit(&node, &signer, 1);
            submit(&node, &signer, 2);
            open.join().unwrap()
        });
        assert!(Instant::now() >= deadline, "sealed at the deadline, not before");
        assert_eq!(block.transactions.len(), 3);
        assert!(node.pool.is_empty(), "mined transactions leave the pool");

        // Without a deadline, only what is pooled now goes in.
        submit(&node, &signer, 3);
        let block = node.produce_block().unwrap();
        assert_eq!(block.transactions.len(), 1);
    }
}
