//! Forwarding of proven facts to the persona engine's gateway.
//!
//! When a mint attestation is issued on zkTLS evidence, the facts those proofs showed (follower
//! counts, VIP levels, …) are queued as a [`ValidatorResult`] in the same transaction as the
//! attestation; the [`Forwarder`] posts queued results with the HMAC of
//! [`trex_sdk::persona`] and retries until the engine answers. The engine dedupes by result id
//! (the attestation id), so a repeated delivery after a crash changes nothing there.

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::watch;
use tracing::{info, warn};
use trex_sdk::persona::{PersonaFact, ValidatorResult, gateway_request};
use trex_zktls::{ReclaimProof, VerifierConfig, verify};
use url::Url;

use crate::{evaluate::Consumption, store::Store};

/// Where and as whom results are delivered.
#[derive(Clone)]
pub struct PersonaSink {
    /// The engine's base URL.
    pub url: Url,
    /// The client id the engine knows this validator by.
    pub client: String,
    /// The client's HMAC key.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for PersonaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonaSink").field("url", &self.url).field("client", &self.client).finish()
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The engine stored it (or had it already).
    Delivered,
    /// The engine refused it for good; kept with the reason, not retried.
    Rejected(String),
    /// Try again later (network error, 5xx, 429).
    Retry,
}

/// The facts the zkTLS proofs used by an attestation showed, as a [`ValidatorResult`] with the
/// attestation's id; `None` when they showed none the persona graph keeps.
///
/// The proofs were verified moments ago by the evaluation that consumed them; they are verified
/// again here (a pure signature check) rather than threading facts through every check.
pub fn result_of(
    attestation_id: B256,
    passport_id: U256,
    validator: Address,
    proofs: &[serde_json::Value],
    consumed: &[Consumption],
    zktls: &VerifierConfig,
    now: u64,
) -> Option<ValidatorResult> {
    let mut facts = Vec::new();
    for value in proofs {
        let Ok(proof) = ReclaimProof::deserialize(value) else { continue };
        let Some(provider) = proof.named_provider() else { continue };
        let Ok(claim) = verify(&proof, zktls, now) else { continue };
        if !consumed.contains(&Consumption::ZkTlsProof(claim.identifier)) {
            continue;
        }
        if let Some(fact) = provider.extract(&claim).ok().as_ref().and_then(PersonaFact::from_zktls)
        {
            facts.push(fact);
        }
    }
    (!facts.is_empty()).then(|| ValidatorResult {
        id: format!("{attestation_id:#x}"),
        passport_id,
        validator,
        observed_at: now,
        facts,
    })
}

/// Delivers queued results until shut down.
#[derive(Debug, Clone)]
pub struct Forwarder {
    store: Store,
    sink: PersonaSink,
    http: reqwest::Client,
}

impl Forwarder {
    /// A forwarder of `store`'s queue to `sink`.
    pub fn new(store: Store, sink: PersonaSink) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a TLS backend is compiled in");
        Self { store, sink, http }
    }

    /// Polls the queue every `interval` and delivers what is due, until `shutdown` turns true.
    pub async fn run(self, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        info!(target: "validator::persona", url = %self.sink.url, "forwarding results to the persona engine");
        while !*shutdown.borrow() {
            if let Err(err) = self.deliver_due().await {
                warn!(target: "validator::persona", %err, "reading the persona outbox failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One pass over the due results; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, crate::ValidatorError> {
        let mut delivered = 0;
        for result in self.store.due_persona_results(100).await? {
            let outcome = self.post(&result).await;
            if outcome == DeliveryOutcome::Delivered {
                delivered += 1;
            } else {
                warn!(target: "validator::persona", id = %result.id, ?outcome, "persona result not delivered");
            }
            self.store.persona_delivery(&result.id, &outcome).await?;
        }
        Ok(delivered)
    }

    async fn post(&self, result: &ValidatorResult) -> DeliveryOutcome {
        let body = serde_json::to_vec(result).expect("results serialise");
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let response = gateway_request(
            &self.http,
            self.sink.url.as_str(),
            &self.sink.client,
            &self.sink.key,
            timestamp,
            body,
        )
        .send()
        .await;
        match response {
            Err(_) => DeliveryOutcome::Retry,
            Ok(response) if response.status().is_success() => DeliveryOutcome::Delivered,
            Ok(response)
                if response.status().is_server_error()
                    || response.status() == StatusCode::TOO_MANY_REQUESTS
                    // A wrong key or clock is an operator's fix away: keep the result.
                    || response.status() == StatusCode::UNAUTHORIZED =>
            {
                DeliveryOutcome::Retry
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                DeliveryOutcome::Rejected(format!(
                    "{status}: {}",
                    text.chars().take(500).collect::<String>()
                ))
            }
        }
    }
}
