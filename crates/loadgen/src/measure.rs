//! The measured phase: parallel senders, a block watcher, and a receipt check.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinSet};
use tracing::{debug, info, warn};

use crate::{
    error::{LoadgenError, Result},
    rpc::{RpcCall, RpcClient},
    signing::PresignedTx,
};

/// Settings of the measured phase.
#[derive(Debug, Clone)]
pub(crate) struct MeasureOptions {
    /// Parallel sending workers.
    pub(crate) concurrency: usize,
    /// Transactions per request.
    pub(crate) batch: usize,
    /// Offered load in tx/s; as fast as possible when `None`.
    pub(crate) rate: Option<f64>,
    /// Watcher poll interval.
    pub(crate) poll_interval: Duration,
    /// How long to wait for inclusions after the last send.
    pub(crate) inclusion_timeout: Duration,
    /// Receipts to check.
    pub(crate) verify_sample: usize,
}

/// What happened to one transaction, as offsets from the start of the measured phase.
#[derive(Debug, Clone, Default)]
pub(crate) struct TxRecord {
    /// When its send request was issued.
    pub(crate) sent: Duration,
    /// When the node answered the send request.
    pub(crate) answered: Duration,
    /// The node's error, if it rejected the transaction.
    pub(crate) error: Option<String>,
    /// When the watcher first saw it in a block, and that block's number.
    pub(crate) included: Option<(Duration, u64)>,
}

/// One block produced during the measured phase.
#[derive(Debug, Clone)]
pub(crate) struct BlockRecord {
    /// Block number.
    pub(crate) number: u64,
    /// Block timestamp, seconds.
    pub(crate) timestamp: u64,
    /// Gas used by the whole block.
    pub(crate) gas_used: u64,
    /// Transactions in the block.
    pub(crate) tx_count: usize,
    /// Transactions of this run in the block.
    pub(crate) ours: usize,
    /// When the watcher first saw it.
    pub(crate) seen: Duration,
}

/// Outcome of the receipt check.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verification {
    /// Receipts requested.
    pub(crate) checked: usize,
    /// Receipts found with status 1 in the block the watcher saw.
    pub(crate) ok: usize,
    /// Descriptions of the first failures.
    pub(crate) failures: Vec<String>,
}

/// Raw results of the measured phase.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// Per transaction, in pre-signed order.
    pub(crate) txs: Vec<TxRecord>,
    /// Blocks after the starting head, up to the last one watched.
    pub(crate) blocks: Vec<BlockRecord>,
    /// Receipt check.
    pub(crate) verification: Verification,
    /// Whether the watcher gave up before every accepted transaction was included.
    pub(crate) timed_out: bool,
}

/// Failures kept verbatim in the report.
const MAX_RECORDED_FAILURES: usize = 5;

/// Sends `txs` and follows their inclusion.
pub(crate) async fn measure(
    client: &RpcClient,
    txs: Vec<PresignedTx>,
    options: &MeasureOptions,
) -> Result<Measured> {
    let start_block = client.block_number().await?;
    let index: HashMap<B256, usize> = txs.iter().enumerate().map(|(i, tx)| (tx.hash, i)).collect();
    let txs = Arc::new(txs);
    let t0 = Instant::now();

    let (accepted_tx, accepted_rx) = oneshot::channel();
    let watcher = Watcher {
        client,
        index,
        t0,
        poll_interval: options.poll_interval,
        inclusion_timeout: options.inclusion_timeout,
        next_block: start_block + 1,
    };
    let sending = send_all(client, Arc::clone(&txs), options, t0, accepted_tx);
    let (records, watched) = tokio::join!(sending, watcher.run(accepted_rx));
    let mut records = records?;
    let watched = watched?;
    for (i, inclusion) in watched.included.into_iter().enumerate() {
        records[i].included = inclusion;
    }
    let verification = verify(client, &txs, &records, options.verify_sample).await?;
    Ok(Measured {
        txs: records,
        blocks: watched.blocks,
        verification,
        timed_out: watched.timed_out,
    })
}

/// Runs the sending workers; reports which transactions were accepted once all are sent.
async fn send_all(
    client: &RpcClient,
    txs: Arc<Vec<PresignedTx>>,
    options: &MeasureOptions,
    t0: Instant,
    accepted: oneshot::Sender<Vec<bool>>,
) -> Result<Vec<TxRecord>> {
    let next = Arc::new(AtomicUsize::new(0));
    let (batch, rate) = (options.batch, options.rate);
    let mut workers = JoinSet::new();
    for _ in 0..options.concurrency {
        let (client, txs, next) = (client.clone(), Arc::clone(&txs), Arc::clone(&next));
        workers.spawn(async move {
            let mut out = Vec::new();
            loop {
                let start = next.fetch_add(batch, Ordering::Relaxed);
                if start >= txs.len() {
                    break;
                }
                let end = (start + batch).min(txs.len());
                if let Some(rate) = rate {
                    // Open loop: transaction `start` is due `start / rate` after the start.
                    let due = Duration::from_secs_f64(start as f64 / rate);
                    tokio::time::sleep(due.saturating_sub(t0.elapsed())).await;
                }
                let sent = t0.elapsed();
                let outcomes = send_chunk(&client, &txs[start..end]).await;
                let answered = t0.elapsed();
                for (i, error) in (start..end).zip(outcomes) {
                    out.push((i, TxRecord { sent, answered, error, included: None }));
                }
            }
            out
        });
    }
    let mut records = vec![TxRecord::default(); txs.len()];
    while let Some(done) = workers.join_next().await {
        for (i, record) in done? {
            records[i] = record;
        }
    }
    let rejected = records.iter().filter(|r| r.error.is_some()).count();
    info!(sent = records.len(), rejected, "all transactions sent");
    // The watcher only stops early on this signal; if it already returned, nothing is lost.
    let _ = accepted.send(records.iter().map(|r| r.error.is_none()).collect());
    Ok(records)
}

/// Sends one chunk (a single call, or a batch when it holds several) and returns, per
/// transaction, the node's error if it rejected it.
async fn send_chunk(client: &RpcClient, chunk: &[PresignedTx]) -> Vec<Option<String>> {
    let check = |tx: &PresignedTx, answer: Value| match serde_json::from_value::<B256>(answer) {
        Ok(hash) if hash == tx.hash => None,
        Ok(hash) => Some(format!("node returned hash {hash}, expected {}", tx.hash)),
        Err(e) => Some(format!("unexpected eth_sendRawTransaction result: {e}")),
    };
    if let [tx] = chunk {
        return vec![
            match client.call::<Value>("eth_sendRawTransaction", json!([tx.raw_hex])).await {
                Ok(answer) => check(tx, answer),
                Err(e) => Some(e.to_string()),
            },
        ];
    }
    let calls: Vec<_> = chunk
        .iter()
        .map(|tx| RpcCall::new("eth_sendRawTransaction", json!([tx.raw_hex])))
        .collect();
    match client.batch(&calls).await {
        Ok(outcomes) => chunk
            .iter()
            .zip(outcomes)
            .map(|(tx, outcome)| match outcome {
                Ok(answer) => check(tx, answer),
                Err(e) => Some(format!("json-rpc error {}: {}", e.code, e.message)),
            })
            .collect(),
        Err(e) => vec![Some(e.to_string()); chunk.len()],
    }
}

/// Follows new blocks and records when each of our transactions first appears.
struct Watcher<'a> {
    client: &'a RpcClient,
    index: HashMap<B256, usize>,
    t0: Instant,
    poll_interval: Duration,
    inclusion_timeout: Duration,
    next_block: u64,
}

/// What the watcher saw.
struct Watched {
    included: Vec<Option<(Duration, u64)>>,
    blocks: Vec<BlockRecord>,
    timed_out: bool,
}

impl Watcher<'_> {
    async fn run(mut self, mut accepted: oneshot::Receiver<Vec<bool>>) -> Result<Watched> {
        let mut included: Vec<Option<(Duration, u64)>> = vec![None; self.index.len()];
        let mut blocks = Vec::new();
        // Set once sending is over: accepted transactions not yet seen, and when sending ended.
        let mut outstanding: Option<(Vec<bool>, usize, Instant)> = None;
        let mut interval = tokio::time::interval(self.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let head = self.client.block_number().await?;
            if head >= self.next_block {
                let numbers: Vec<u64> = (self.next_block..=head).collect();
                let fetched = self.client.blocks(&numbers).await?;
                let seen = self.t0.elapsed();
                for block in fetched {
                    let block = block.ok_or_else(|| LoadgenError::BadResponse {
                        method: "eth_getBlockByNumber".into(),
                        detail: format!("block at or below head {head} is missing"),
                    })?;
                    let number = block.number.to::<u64>();
                    let mut ours = 0;
                    for hash in &block.transactions {
                        if let Some(&i) = self.index.get(hash)
                            && included[i].is_none()
                        {
                            included[i] = Some((seen, number));
                            ours += 1;
                            if let Some((accepted, remaining, _)) = outstanding.as_mut()
                                && accepted[i]
                            {
                                *remaining -= 1;
                            }
                        }
                    }
                    debug!(number, txs = block.transactions.len(), ours, "block");
                    blocks.push(BlockRecord {
                        number,
                        timestamp: block.timestamp.to(),
                        gas_used: block.gas_used.to(),
                        tx_count: block.transactions.len(),
                        ours,
                        seen,
                    });
                }
                self.next_block = head + 1;
            }
            if outstanding.is_none()
                && let Ok(accepted) = accepted.try_recv()
            {
                let remaining = accepted
                    .iter()
                    .zip(&included)
                    .filter(|(accepted, inclusion)| **accepted && inclusion.is_none())
                    .count();
                outstanding = Some((accepted, remaining, Instant::now()));
            }
            if let Some((_, remaining, sending_done)) = &outstanding {
                if *remaining == 0 {
                    return Ok(Watched { included, blocks, timed_out: false });
                }
                if sending_done.elapsed() > self.inclusion_timeout {
                    warn!(remaining, "giving up waiting for inclusions");
                    return Ok(Watched { included, blocks, timed_out: true });
                }
            }
        }
    }
}

/// Checks the receipts of up to `sample` included transactions, spread evenly over the run.
async fn verify(
    client: &RpcClient,
    txs: &[PresignedTx],
    records: &[TxRecord],
    sample: usize,
) -> Result<Verification> {
    let included: Vec<(usize, u64)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.included.map(|(_, block)| (i, block)))
        .collect();
    let picked = spread(&included, sample);
    let hashes: Vec<B256> = picked.iter().map(|(i, _)| txs[*i].hash).collect();
    let receipts = client.receipts(&hashes).await?;
    let mut verification = Verification { checked: picked.len(), ..Default::default() };
    for ((i, block), receipt) in picked.iter().zip(receipts) {
        let failure = match receipt {
            None => Some(format!("{}: no receipt", txs[*i].hash)),
            Some(r) if r.status.to::<u64>() != 1 => Some(format!("{}: status 0", txs[*i].hash)),
            Some(r) if r.block_number.to::<u64>() != *block => Some(format!(
                "{}: receipt in block {}, watcher saw block {block}",
                txs[*i].hash, r.block_number
            )),
            Some(_) => None,
        };
        match failure {
            None => verification.ok += 1,
            Some(f) if verification.failures.len() < MAX_RECORDED_FAILURES => {
                verification.failures.push(f)
            }
            Some(_) => {}
        }
    }
    Ok(verification)
}

/// Up to `n` items of `items`, evenly spaced and including the first and last.
fn spread<T: Copy>(items: &[T], n: usize) -> Vec<T> {
    if n == 0 || items.is_empty() {
        return Vec::new();
    }
    if n >= items.len() {
        return items.to_vec();
    }
    if n == 1 {
        return vec![items[0]];
    }
    (0..n).map(|k| items[k * (items.len() - 1) / (n - 1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_picks_evenly_including_ends() {
        let items: Vec<u32> = (0..10).collect();
        assert_eq!(spread(&items, 0), Vec::<u32>::new());
        assert_eq!(spread(&items, 1), vec![0]);
        assert_eq!(spread(&items, 2), vec![0, 9]);
        assert_eq!(spread(&items, 4), vec![0, 3, 6, 9]);
        assert_eq!(spread(&items, 50), items);
    }
}
