//! The rollup driver: one task that owns the chain's head in rollup mode. It reads L1 in order and
//! derives the safe chain (verifying blocks it already has, building those it lacks, replacing
//! those that differ), and as the sequencer it also extends the unsafe chain every block time.

use crate::{
    derive::{DeriveError, DerivedBatch, Deriver, L1BlockRef, L2BlockRef, l2_block_info},
    executor::{BlockAttributes, CandidateTx},
    node::{BlockTemplate, Node, PoolInclusion, SEQUENCER_FEE_VAULT},
    rollup::{
        RollupContext, RollupError, RollupMode, attributes, block_ref,
        l1::{L1Client, L1Header},
        system_config::SystemConfigHistory,
    },
};
use alloy_consensus::transaction::SignerRecoverable;
use alloy_eips::{BlockNumberOrTag, Decodable2718, Encodable2718};
use alloy_primitives::{B256, Bytes};
use kona_genesis::{RollupConfig, SystemConfig};
use kona_protocol::BlockInfo;
use op_alloy_consensus::OpTxEnvelope;
use serde::{Deserialize, Serialize};
use std::{
    collections::{HashMap, VecDeque},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio_util::sync::CancellationToken;
use trex_da_client::{DaClient, DaClientError};

/// Settings of the rollup driver.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// Sequencer or replica.
    pub mode: RollupMode,
    /// L1 blocks the sequencer waits before adopting an L1 block as an origin.
    pub l1_confirmations: u64,
    /// How often to poll L1 when there is nothing to do.
    pub poll_interval: Duration,
    /// Where the finalized checkpoint is kept across restarts.
    pub checkpoint_path: PathBuf,
}

/// A point derivation can restart from: the safe head after reading L1 up to `l1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    l1: L1BlockRef,
    safe: L2BlockRef,
}

/// How long one round waits for L1's heads before it sequences without L1 (a stalled L1 must not
/// stall block production).
const L1_HEADS_TIMEOUT: Duration = Duration::from_secs(1);

/// Most L2 blocks derived or verified in one go before the sequencer gets its turn.
const DERIVE_BUDGET: usize = 64;

/// The driver.
pub struct RollupDriver {
    node: Arc<Node>,
    ctx: Arc<RollupContext>,
    config: Arc<RollupConfig>,
    system: SystemConfigHistory,
    settings: DriverConfig,
    l1: L1Client,
    da: Option<DaClient>,
    deriver: Deriver,
    /// Newest last; the oldest is the finalized one.
    checkpoints: VecDeque<Checkpoint>,
    safe: L2BlockRef,
    finalized: L2BlockRef,
    headers: HashMap<B256, L1Header>,
    l1_head: u64,
    /// The local head as last published.
    unsafe_head: Option<L2BlockRef>,
}

impl std::fmt::Debug for RollupDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RollupDriver").field("safe", &self.safe).finish_non_exhaustive()
    }
}

impl RollupDriver {
    /// A driver for `node`, restarting derivation from the persisted finalized checkpoint (or the
    /// rollup genesis).
    pub async fn new(
        node: Arc<Node>,
        ctx: Arc<RollupContext>,
        settings: DriverConfig,
        l1: L1Client,
        da: Option<DaClient>,
    ) -> Result<Self, RollupError> {
        let config = ctx.config.clone();
        let genesis_system = config
            .genesis
            .system_config
            .ok_or_else(|| RollupError::Config("genesis.system_config is missing".into()))?;
        let system = SystemConfigHistory::new(config.genesis.l1.number, genesis_system);
        let start = match load_checkpoint(&settings.checkpoint_path)? {
            Some(checkpoint) => checkpoint,
            None => {
                let reader = node.store.reader()?;
                let genesis = reader
                    .block(config.genesis.l2.number)?
                    .ok_or_else(|| RollupError::Config("L2 genesis block missing".into()))?;
                if genesis.hash != config.genesis.l2.hash {
                    return Err(RollupError::Config(format!(
                        "rollup genesis.l2.hash {} is not this chain's genesis {}",
                        config.genesis.l2.hash, genesis.hash
                    )));
                }
                let l1_genesis =
                    l1.header_by_hash(config.genesis.l1.hash).await?.ok_or_else(|| {
                        RollupError::Config(format!(
                            "L1 node does not know the rollup's L1 genesis block {}",
                            config.genesis.l1.hash
                        ))
                    })?;
                Checkpoint { l1: l1_genesis.block_ref(), safe: block_ref(&config, &genesis)? }
            }
        };
        let origin = Self::origin_ref(&l1, &start.safe).await?;
        let deriver = Deriver::new(config.clone(), start.safe, origin);
        tracing::info!(safe = start.safe.number, l1 = start.l1.number, mode = ?settings.mode, "rollup driver starting");
        Ok(Self {
            node,
            ctx,
            config,
            system,
            settings,
            l1,
            da,
            deriver,
            checkpoints: VecDeque::from([start]),
            safe: start.safe,
            finalized: start.safe,
            headers: HashMap::new(),
            l1_head: 0,
            unsafe_head: None,
        })
    }

    async fn origin_ref(l1: &L1Client, safe: &L2BlockRef) -> Result<L1BlockRef, RollupError> {
        let origin = l1.header_by_hash(safe.l1_origin.hash).await?.ok_or_else(|| {
            RollupError::L1(format!(
                "L1 origin {} of the safe head is unknown",
                safe.l1_origin.hash
            ))
        })?;
        Ok(origin.block_ref())
    }

    /// Runs until `cancel` fires. Temporary failures (L1 or DA unreachable) are retried; others
    /// stop the node.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<(), crate::NodeError> {
        while !cancel.is_cancelled() {
            match self.step().await {
                Ok(true) => {}
                Ok(false) => {
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                    }
                }
                Err(err) if err.is_temporary() => {
                    tracing::warn!(%err, "rollup driver: retrying");
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = tokio::time::sleep(self.settings.poll_interval * 4) => {}
                    }
                }
                Err(err) => {
                    return Err(crate::NodeError::Execution(format!("rollup driver: {err}")));
                }
            }
        }
        Ok(())
    }

    /// One round: derive what L1 allows, then (sequencer) produce the next block when its slot
    /// has come. Returns whether anything happened.
    pub async fn step(&mut self) -> Result<bool, RollupError> {
        // The sequencer keeps producing blocks on its current L1 origin while L1 is unreachable;
        // derivation waits for L1 to come back.
        let refreshed = tokio::time::timeout(L1_HEADS_TIMEOUT, self.refresh_l1_heads())
            .await
            .unwrap_or_else(|_| Err(RollupError::L1("no answer for the L1 heads in time".into())));
        let l1_reachable = match refreshed {
            Ok(()) => true,
            Err(err) if err.is_temporary() && self.settings.mode == RollupMode::Sequencer => {
                tracing::warn!(%err, "L1 unreachable: sequencing on the current L1 origin");
                false
            }
            Err(err) => return Err(err),
        };
        let mut progressed = false;
        for _ in 0..DERIVE_BUDGET {
            if !l1_reachable || !self.derive_once().await? {
                break;
            }
            progressed = true;
        }
        if self.settings.mode == RollupMode::Sequencer && self.slot_has_come()? {
            self.sequence_block(l1_reachable).await?;
            progressed = true;
        }
        self.publish_heads()?;
        Ok(progressed)
    }

    async fn refresh_l1_heads(&mut self) -> Result<(), RollupError> {
        self.l1_head = self.l1.tag_number(BlockNumberOrTag::Latest).await?;
        let finalized = self.l1.tag_number(BlockNumberOrTag::Finalized).await?;
        // The newest checkpoint whose L1 data is final gives the finalized L2 head; older ones
        // are no longer needed to recover from a reorg.
        while self.checkpoints.len() > 1 && self.checkpoints[1].l1.number <= finalized {
            self.checkpoints.pop_front();
        }
        let oldest = self.checkpoints[0];
        if oldest.l1.number <= finalized && oldest.safe.number > self.finalized.number {
            self.finalized = oldest.safe;
            save_checkpoint(&self.settings.checkpoint_path, &oldest)?;
        }
        let (head, finalized) = tokio::try_join!(
            self.l1.header_by_number(self.l1_head),
            self.l1.header_by_number(finalized)
        )?;
        self.ctx.update(|heads| {
            if let Some(head) = head {
                heads.head_l1 = block_info(&head.block_ref());
                heads.safe_l1 = heads.head_l1;
            }
            if let Some(finalized) = finalized {
                heads.finalized_l1 = block_info(&finalized.block_ref());
            }
        });
        Ok(())
    }

    fn publish_heads(&mut self) -> Result<(), RollupError> {
        let reader = self.node.store.reader()?;
        let head = reader.head_number()?;
        let hash = reader.block_hash(head)?;
        // Decoding the head block again for every round would cost more than the round itself
        // on large blocks: the reference is kept until the head changes.
        let unsafe_head = match self.unsafe_head {
            Some(known) if Some(known.hash) == hash => known,
            _ => match reader.block(head)? {
                Some(block) => block_ref(&self.config, &block)?,
                None => self.safe,
            },
        };
        self.unsafe_head = Some(unsafe_head);
        let current = self.deriver.l1_cursor();
        let metrics = &self.node.metrics;
        metrics.safe_head.set(self.safe.number as i64);
        metrics.finalized_head.set(self.finalized.number as i64);
        metrics.l1_derived.set(current.map_or(0, |block| block.number) as i64);
        self.ctx.update(|heads| {
            heads.unsafe_l2 = l2_block_info(&unsafe_head);
            heads.safe_l2 = l2_block_info(&self.safe);
            heads.finalized_l2 = l2_block_info(&self.finalized);
            if let Some(current) = current {
                heads.current_l1 = block_info(&current);
            }
        });
        Ok(())
    }

    /// Derives (or verifies) one L2 block, or reads one more L1 block. False when L1 has nothing
    /// new.
    async fn derive_once(&mut self) -> Result<bool, RollupError> {
        match self.deriver.next_batch(&self.safe) {
            Ok(Some(batch)) => {
                self.apply_batch(batch).await?;
                return Ok(true);
            }
            Ok(None) => {}
            Err(err @ DeriveError::SafeHeadMismatch { .. }) => {
                tracing::warn!(%err, "safe head outside derivation's L1 window");
                self.reset_after_l1_reorg().await?;
                return Ok(true);
            }
            Err(err) => return Err(RollupError::Derivation(err.to_string())),
        }
        let next = self.deriver.l1_cursor().map_or(self.config.genesis.l1.number, |b| b.number + 1);
        if next > self.l1_head {
            return Ok(false);
        }
        let Some(header) = self.l1.header_by_number(next).await? else { return Ok(false) };
        let block = header.block_ref();
        self.headers.insert(block.hash, header);
        let batcher_data = self.batcher_data(&block).await?;
        match self.deriver.push_l1_block(block, batcher_data) {
            Ok(()) => {}
            // The pushed block does not continue what derivation read: L1 reorganised.
            Err(err @ (DeriveError::Reorg { .. } | DeriveError::NotNext { .. })) => {
                tracing::warn!(%err, "L1 changed under derivation");
                self.reset_after_l1_reorg().await?;
                return Ok(true);
            }
            Err(err) => return Err(RollupError::Derivation(err.to_string())),
        }
        if self.deriver.is_idle() {
            let checkpoint = Checkpoint { l1: block, safe: self.safe };
            if self.checkpoints.back() != Some(&checkpoint) {
                self.checkpoints.push_back(checkpoint);
            }
        }
        Ok(true)
    }

    /// The system config after L1 block `number`, reading `ConfigUpdate` logs up to it first.
    async fn system_config_at(&mut self, number: u64) -> Result<SystemConfig, RollupError> {
        // Most blocks per log query, as L1 nodes cap eth_getLogs ranges.
        const LOG_RANGE: u64 = 5_000;
        while self.system.applied_to() < number {
            let from = self.system.applied_to() + 1;
            let to = number.min(from + LOG_RANGE - 1);
            let logs =
                self.l1.config_updates(self.config.l1_system_config_address, from, to).await?;
            self.system.apply(to, logs);
        }
        Ok(self.system.at(number))
    }

    /// The batcher's data in an L1 block, alt-DA commitments resolved through the DA bridge.
    async fn batcher_data(&mut self, block: &L1BlockRef) -> Result<Vec<Bytes>, RollupError> {
        let batcher = self.system_config_at(block.number).await?.batcher_address;
        let block = block.hash;
        let calldata = self
            .l1
            .inbox_calldata(block, self.config.batch_inbox_address, batcher)
            .await?
            .ok_or_else(|| RollupError::L1(format!("L1 block {block} disappeared")))?;
        let mut data = Vec::with_capacity(calldata.len());
        for input in calldata {
            match input.first() {
                Some(0x00) => data.push(input),
                Some(0x01) => {
                    let Some(da) = &self.da else {
                        tracing::warn!(%block, "alt-DA commitment on L1 but no --da-url: skipped");
                        continue;
                    };
                    match da.get(&input[1..]).await {
                        Ok(frames) => data.push(Bytes::copy_from_slice(&frames)),
                        Err(DaClientError::NotFound(_)) => {
                            tracing::warn!(%block, commitment = %Bytes::copy_from_slice(&input[1..]), "DA data not found: skipped");
                        }
                        Err(err) => return Err(RollupError::Da(err.to_string())),
                    }
                }
                other => {
                    tracing::warn!(%block, version = ?other, "unknown batcher data version: skipped");
                }
            }
        }
        Ok(data)
    }

    /// L1 reorged under derivation: go back to the newest checkpoint still on L1's chain.
    async fn reset_after_l1_reorg(&mut self) -> Result<(), RollupError> {
        while let Some(checkpoint) = self.checkpoints.back().copied() {
            if self.l1.is_canonical(checkpoint.l1.number, checkpoint.l1.hash).await?
                || self.checkpoints.len() == 1
            {
                break;
            }
            self.checkpoints.pop_back();
        }
        let checkpoint = *self.checkpoints.back().expect("the finalized checkpoint stays");
        // Config updates in the replaced L1 blocks are read again.
        self.system.rewind(checkpoint.safe.l1_origin.number);
        tracing::warn!(
            l1 = checkpoint.l1.number,
            safe = checkpoint.safe.number,
            "L1 reorg: derivation restarts from checkpoint"
        );
        self.safe = checkpoint.safe;
        let origin = Self::origin_ref(&self.l1, &checkpoint.safe).await?;
        self.deriver = Deriver::new(self.config.clone(), checkpoint.safe, origin);
        Ok(())
    }

    async fn header(&mut self, hash: B256) -> Result<L1Header, RollupError> {
        if let Some(header) = self.headers.get(&hash) {
            return Ok(header.clone());
        }
        let header = self
            .l1
            .header_by_hash(hash)
            .await?
            .ok_or_else(|| RollupError::L1(format!("L1 block {hash} unknown")))?;
        if self.headers.len() > 4096 {
            self.headers.clear();
        }
        self.headers.insert(hash, header.clone());
        Ok(header)
    }

    /// The forced transactions and header fields of the block after `parent` with L1 origin
    /// `origin`.
    async fn template(
        &mut self,
        parent: &L2BlockRef,
        origin: &L1Header,
        timestamp: u64,
        pool: PoolInclusion,
    ) -> Result<BlockTemplate, RollupError> {
        let new_epoch = origin.hash != parent.l1_origin.hash;
        let sequence_number = if new_epoch { 0 } else { parent.sequence_number + 1 };
        let system = self.system_config_at(origin.header.number).await?;
        let mut forced = vec![attributes::l1_info_deposit(
            &self.config,
            &system,
            sequence_number,
            origin,
            timestamp,
        )?];
        if new_epoch {
            forced
                .extend(self.l1.deposits(origin.hash, self.config.deposit_contract_address).await?);
        }
        Ok(BlockTemplate {
            attributes: BlockAttributes {
                timestamp,
                gas_limit: system.gas_limit,
                fee_recipient: SEQUENCER_FEE_VAULT,
                prev_randao: origin.header.mix_hash,
                parent_beacon_block_root: origin.header.parent_beacon_block_root,
            },
            forced,
            pool,
        })
    }

    /// Makes the block after the safe head the one `batch` describes: keeps a matching unsafe
    /// block, replaces a differing one (and everything after it), or builds it.
    async fn apply_batch(&mut self, batch: DerivedBatch) -> Result<(), RollupError> {
        let origin = self.header(batch.epoch.hash).await?;
        let parent = self.safe;
        let mut template =
            self.template(&parent, &origin, batch.timestamp, PoolInclusion::None).await?;
        let deposits = template.forced.len();
        for raw in &batch.transactions {
            match batch_candidate(raw) {
                Ok(candidate) => template.forced.push(candidate),
                Err(err) => {
                    tracing::warn!(%err, "undecodable transaction in batch: block keeps its deposits only");
                    template.forced.truncate(deposits);
                    break;
                }
            }
        }
        let reader = self.node.store.reader()?;
        if let Some(existing) = reader.block(parent.number + 1)? {
            if existing.header.parent_hash == parent.hash && matches_template(&existing, &template)
            {
                self.safe = block_ref(&self.config, &existing)?;
                return Ok(());
            }
            tracing::warn!(number = existing.header.number, hash = %existing.hash, "unsafe block differs from the L1-derived one: replacing it");
            self.unwind_to(parent.number).await?;
        }
        let node = self.node.clone();
        let block = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut built = node.build_block(template.clone())?;
            // Holocene: a batch with a transaction that cannot be included becomes a block of
            // its deposits only.
            if !built.rejected.is_empty() {
                tracing::warn!(rejected = built.rejected.len(), reason = %built.rejected[0].reason, "batch transaction invalid: block keeps its deposits only");
                template.forced.truncate(deposits);
                built = node.build_block(template)?;
            }
            node.commit_built(built, started)
        })
        .await
        .map_err(|err| RollupError::Derivation(format!("block builder panicked: {err}")))??;
        self.safe = block_ref(&self.config, &block)?;
        Ok(())
    }

    /// Unwinds the local chain to `number`, returning the unwound user transactions to the pool.
    async fn unwind_to(&mut self, number: u64) -> Result<(), RollupError> {
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || node.unwind_to(number))
            .await
            .map_err(|err| RollupError::Derivation(format!("unwind panicked: {err}")))??;
        Ok(())
    }

    /// Whether the sequencer's next block is due (its slot started: the wall clock reached the
    /// parent's timestamp).
    fn slot_has_come(&self) -> Result<bool, RollupError> {
        let (parent, _) = self.node.head()?;
        Ok(unix_now() >= parent.timestamp)
    }

    /// Sequences the block after the head: picks the L1 origin, opens the block with its deposits
    /// and keeps it open for pooled transactions until its timestamp.
    async fn sequence_block(&mut self, l1_reachable: bool) -> Result<(), RollupError> {
        let reader = self.node.store.reader()?;
        let head = reader
            .block(reader.head_number()?)?
            .ok_or_else(|| RollupError::Derivation("no head block".into()))?;
        let mut parent = block_ref(&self.config, &head)?;
        // An L1 reorg may have removed the origin of unsafe blocks: drop them first.
        while l1_reachable
            && parent.number > self.safe.number
            && !self.l1.is_canonical(parent.l1_origin.number, parent.l1_origin.hash).await?
        {
            tracing::warn!(
                number = parent.number,
                origin = parent.l1_origin.number,
                "L1 origin reorged out: unwinding unsafe block"
            );
            self.unwind_to(parent.number - 1).await?;
            let block = self
                .node
                .store
                .reader()?
                .block(parent.number - 1)?
                .ok_or_else(|| RollupError::Derivation("unwound below the chain".into()))?;
            parent = block_ref(&self.config, &block)?;
        }
        let timestamp = parent.timestamp + self.config.block_time;
        let current = self.header(parent.l1_origin.hash).await?;
        let adoptable = self.l1_head.saturating_sub(self.settings.l1_confirmations);
        let mut origin = current.clone();
        let mut next_available = false;
        if l1_reachable
            && current.header.number < adoptable
            && let Some(next) = self.l1.header_by_number(current.header.number + 1).await?
        {
            next_available = true;
            if next.header.timestamp <= timestamp {
                origin = next;
            }
        }
        let drifted = timestamp > origin.header.timestamp + self.config.max_sequencer_drift;
        if drifted && !next_available {
            tracing::warn!(
                timestamp,
                origin = origin.header.number,
                "past the sequencer drift: block without user transactions"
            );
        }
        let now = SystemTime::now();
        let seal_at = UNIX_EPOCH + Duration::from_secs(timestamp);
        let pool = if drifted {
            PoolInclusion::None
        } else {
            match seal_at.duration_since(now) {
                Ok(left) => PoolInclusion::Until(Instant::now() + left),
                // Behind the wall clock (catching up): take what is pooled now.
                Err(_) => PoolInclusion::Snapshot,
            }
        };
        let template = self.template(&parent, &origin, timestamp, pool).await?;
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let built = node.build_block(template)?;
            node.commit_built(built, started)
        })
        .await
        .map_err(|err| RollupError::Derivation(format!("block builder panicked: {err}")))??;
        Ok(())
    }
}

/// A batch transaction as a block candidate; deposits are not allowed in batches.
fn batch_candidate(raw: &Bytes) -> Result<CandidateTx, RollupError> {
    let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref())
        .map_err(|err| RollupError::Derivation(format!("undecodable: {err}")))?;
    if envelope.is_deposit() {
        return Err(RollupError::Derivation("deposit transaction in a batch".into()));
    }
    let signer = envelope
        .recover_signer()
        .map_err(|err| RollupError::Derivation(format!("bad signature: {err}")))?;
    Ok(CandidateTx {
        tx: alloy_consensus::transaction::Recovered::new_unchecked(envelope, signer),
        encoded: raw.clone(),
    })
}

/// Whether a stored block is exactly what `template` describes (execution is deterministic, so
/// equal inputs on the same parent give the same block).
fn matches_template(block: &crate::storage::StoredBlock, template: &BlockTemplate) -> bool {
    let attributes = &template.attributes;
    let header = &block.header;
    header.timestamp == attributes.timestamp
        && header.gas_limit == attributes.gas_limit
        && header.beneficiary == attributes.fee_recipient
        && header.mix_hash == attributes.prev_randao
        && header.parent_beacon_block_root.unwrap_or_default()
            == attributes.parent_beacon_block_root.unwrap_or_default()
        && block.transactions.len() == template.forced.len()
        && block
            .transactions
            .iter()
            .zip(&template.forced)
            .all(|(tx, forced)| tx.inner().encoded_2718() == forced.encoded.as_ref())
}

fn block_info(block: &L1BlockRef) -> BlockInfo {
    BlockInfo {
        hash: block.hash,
        number: block.number,
        parent_hash: block.parent_hash,
        timestamp: block.timestamp,
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn load_checkpoint(path: &std::path::Path) -> Result<Option<Checkpoint>, RollupError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|err| {
            RollupError::Config(format!("corrupt checkpoint {}: {err}", path.display()))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(RollupError::Config(format!("cannot read {}: {err}", path.display()))),
    }
}

/// Written to a temporary file and renamed, so a crash leaves the old or the new checkpoint.
fn save_checkpoint(path: &std::path::Path, checkpoint: &Checkpoint) -> Result<(), RollupError> {
    let io = |err: std::io::Error| {
        RollupError::Config(format!("cannot write checkpoint {}: {err}", path.display()))
    };
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec(checkpoint).expect("serializable");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}
