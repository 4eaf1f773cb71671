//! Where frames go: to DA with a commitment on L1, or as calldata when DA keeps failing.

use std::time::{Duration, Instant};
use tracing::{info, warn};
use trex_da_client::DaClient;

use crate::{BatcherError, Ledger, LedgerFrame, Metrics};

/// Derivation version 0: `0x00 ‖ frame(s)`.
pub const CALLDATA_VERSION: u8 = 0x00;
/// Alt-DA commitment calldata: `0x01 ‖ commitment`.
pub const DA_COMMITMENT_VERSION: u8 = 0x01;

/// Chooses, per frame, between DA and calldata, with fallback and recovery.
#[derive(Debug)]
pub struct DaPoster {
    client: Option<DaClient>,
    fallback_after: Duration,
    using_da: bool,
    failing_since: Option<Instant>,
    last_probe: Option<Instant>,
    metrics: Metrics,
}

/// How often DA health is probed while frames go to calldata.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

fn calldata_of(frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.len() + 1);
    out.push(CALLDATA_VERSION);
    out.extend_from_slice(frame);
    out
}

fn commitment_calldata(commitment: &[u8]) -> Vec<u8> {
    let mut out = vec![DA_COMMITMENT_VERSION];
    out.extend_from_slice(commitment);
    out
}

impl DaPoster {
    /// A poster using `client` (none = calldata only), falling back to calldata after DA puts
    /// failed for `fallback_after`.
    pub fn new(client: Option<DaClient>, fallback_after: Duration, metrics: Metrics) -> Self {
        metrics.da_mode.set(i64::from(client.is_some()));
        Self {
            using_da: client.is_some(),
            client,
            fallback_after,
            failing_since: None,
            last_probe: None,
            metrics,
        }
    }

    /// Whether frames currently go to DA.
    pub const fn using_da(&self) -> bool {
        self.using_da
    }

    fn switch(&mut self, to_da: bool) {
        self.using_da = to_da;
        self.failing_since = None;
        self.metrics.da_mode.set(i64::from(to_da));
        self.metrics.da_switches.inc();
    }

    /// The inbox calldata for `frame`, putting it to DA (and recording the commitment) when in
    /// DA mode. `None`: DA failed but the fallback delay has not passed yet, retry later.
    pub async fn calldata(
        &mut self,
        ledger: &Ledger,
        frame: &LedgerFrame,
    ) -> Result<Option<Vec<u8>>, BatcherError> {
        if let Some(commitment) = &frame.da_commitment {
            return Ok(Some(commitment_calldata(commitment)));
        }
        let Some(client) = &self.client else { return Ok(Some(calldata_of(&frame.data))) };
        if !self.using_da {
            if self.last_probe.is_some_and(|at| at.elapsed() < PROBE_INTERVAL) {
                return Ok(Some(calldata_of(&frame.data)));
            }
            self.last_probe = Some(Instant::now());
            if client.health().await.is_err() {
                return Ok(Some(calldata_of(&frame.data)));
            }
            info!(target: "batcher::da", "DA healthy again, switching back to DA");
            self.switch(true);
        }
        let Some(client) = &self.client else { return Ok(Some(calldata_of(&frame.data))) };
        match client.put(&calldata_of(&frame.data)).await {
            Ok(commitment) => {
                self.failing_since = None;
                ledger.set_commitment(frame.channel_seq, frame.number, &commitment).await?;
                Ok(Some(commitment_calldata(&commitment)))
            }
            Err(err) => {
                let since = *self.failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= self.fallback_after {
                    warn!(target: "batcher::da", %err, "DA failing for too long, posting calldata");
                    self.switch(false);
                    Ok(Some(calldata_of(&frame.data)))
                } else {
                    warn!(target: "batcher::da", %err, "DA put failed, will retry");
                    Ok(None)
                }
            }
        }
    }
}
