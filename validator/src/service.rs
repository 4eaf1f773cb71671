//! The validator's operations, independent of HTTP: register a class's conditions, validate a
//! passport and sign a mint attestation, check a Solana or Web2 ownership proof and sign a link
//! attestation. Each either issues an attestation (recorded with what it used up, in one
//! transaction) or fails with a [`ValidatorError`] having written nothing.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_network::Ethereum;
use alloy_primitives::{B256, U256, keccak256};
use alloy_provider::{DynProvider, Provider, RootProvider};
use serde::Deserialize;
use tracing::{info, warn};
use trex_sdk::persona::ValidatorResult;
use trex_sdk::{
    ConditionsHash, LinkSolana, LinkSolanaRequest, LinkWeb2, LinkWeb2Request, MintAttestation,
    MintAttestationJson, SignedMintAttestation, SignedSolanaLink, SignedWeb2Link,
    SolanaLinkAttestation, ValidateRequest, ValidatorInfo, Web2LinkAttestation,
};
use trex_service_support::redact_url;
use trex_solana_rpc::{SolanaAddress, SolanaRpc, link_message, verify_signature};
use trex_zktls::{Fact, Provider as ZkTlsProvider, ReclaimProof, VerifierConfig, ZkTlsError};

use crate::{
    attest::Attester,
    chain::{Head, IdentityChain},
    conditions::{ClassConditions, Condition, params_hash},
    config::{Config, identity_predeploys},
    error::ValidatorError,
    evaluate::{Chains, CheckContext, Consumption, Environment, evaluate},
    metrics::Metrics,
    proofs::verify_bound,
    store::{AttestationKind, IssuedAttestation, RegisteredConditions, Store},
};

/// The chain a check reads, when it reads one: an EVM chain name, or `solana`.
fn chain_of(condition: &Condition) -> Option<&str> {
    match condition {
        Condition::NftBalance { chain, .. }
        | Condition::NftMetadata { chain, .. }
        | Condition::NftHoldingDuration { chain, .. }
        | Condition::NftTransferCount { chain, .. }
        | Condition::NativeBalance { chain, .. }
        | Condition::Erc20Balance { chain, .. }
        | Condition::TxCount { chain, .. }
        | Condition::Erc20HoldingDuration { chain, .. }
        | Condition::ContractTransactions { chain, .. }
        | Condition::ContractEvents { chain, .. } => Some(chain),
        Condition::SolanaBalance { .. }
        | Condition::SplTokenBalance { .. }
        | Condition::SolanaTxCount { .. } => Some(SOLANA),
        _ => None,
    }
}

/// A request body as a JSON document and its parsed, checked conditions.
fn parse_document(json: &str) -> Result<(serde_json::Value, ClassConditions), ValidatorError> {
    let document: serde_json::Value = serde_json::from_str(json)
        .map_err(|err| ValidatorError::InvalidConditions(err.to_string()))?;
    let conditions = ClassConditions::from_value(&document)?;
    Ok((document, conditions))
}

/// The name under which a missing Solana RPC is reported.
const SOLANA: &str = "solana";

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The validator service.
#[derive(Debug, Clone)]
pub struct Validator {
    chain: IdentityChain,
    env: Environment,
    store: Store,
    attester: Attester,
    ttl: Duration,
    metrics: Metrics,
    /// Whether proven facts are queued for the persona engine.
    forward_results: bool,
}

impl Validator {
    /// Connects to the database (migrating it) and the chains of `config`. The identity
    /// addresses default to the predeploys of the L2's chain id.
    pub async fn connect(config: &Config) -> Result<Self, ValidatorError> {
        let store = Store::connect(&config.database_url).await.map_err(|err| {
            ValidatorError::Config(format!("database {}: {err}", redact_url(&config.database_url)))
        })?;
        let l2 = DynProvider::new(RootProvider::<Ethereum>::new_http(config.l2_rpc.clone()));
        let chain_id = l2.get_chain_id().await.map_err(|err| {
            ValidatorError::Config(format!("--l2-rpc does not answer eth_chainId: {err}"))
        })?;
        let predeploys = identity_predeploys(chain_id);
        let (passport, badge) = match (config.passport, config.badge, predeploys) {
            (Some(passport), Some(badge), _) => (passport, badge),
            (passport, badge, Some((p, b))) => (passport.unwrap_or(p), badge.unwrap_or(b)),
            _ => {
                return Err(ValidatorError::Config(format!(
                    "chain {chain_id} has no identity predeploys: set --passport and --badge"
                )));
            }
        };
        let mut chains = Chains::default();
        chains.insert(Chains::TREX, l2.clone());
        for extra in &config.chains {
            chains.insert(
                extra.name.clone(),
                DynProvider::new(RootProvider::<Ethereum>::new_http(extra.url.clone())),
            );
        }
        let chain = IdentityChain::new(l2, chain_id, passport, badge);
        match chain.contracts_deployed().await {
            Ok(true) => {}
            Ok(false) => warn!(
                target: "validator", %passport, %badge,
                "no contract code at the identity addresses yet; requests will fail until there is"
            ),
            Err(err) => warn!(target: "validator", %err, "could not read the identity contracts"),
        }
        if config.zktls.provider_hashes.is_empty() {
            // Without a pin, anyone can define a Reclaim provider that "proves" a number read from
            // a page they control; acceptable against the devnet's test witness only.
            warn!(
                target: "validator",
                "no zkTLS provider definition is pinned: proofs from any Reclaim provider are \
                 accepted; set --zktls.provider-hash for production"
            );
        }
        if config.metadata_allow_private_hosts {
            warn!(
                target: "validator",
                "token metadata may be fetched from loopback and private networks \
                 (--metadata.allow-private-hosts)"
            );
        }
        let solana = config.solana_rpc.clone().map(SolanaRpc::new);
        let attester = Attester::new(config.signer.clone(), chain_id, passport, badge);
        info!(
            target: "validator", validator = %attester.address(), chain_id, %passport, %badge,
            chains = ?chains.names().collect::<Vec<_>>(), solana = solana.is_some(), "ready"
        );
        Ok(Self::new(
            chain,
            chains,
            solana,
            config.zktls.clone(),
            store,
            attester,
            config.attestation_ttl,
        )
        .with_metadata_private_hosts(config.metadata_allow_private_hosts)
        .with_result_forwarding(config.persona.is_some()))
    }

    /// Assembles a service from its parts (`chains` must hold [`Chains::TREX`]).
    pub fn new(
        chain: IdentityChain,
        chains: Chains,
        solana: Option<SolanaRpc>,
        zktls: VerifierConfig,
        store: Store,
        attester: Attester,
        ttl: Duration,
    ) -> Self {
        let env = Environment {
            chains,
            solana,
            zktls,
            passport: chain.passport(),
            used: Arc::new(store.clone()),
            metadata_allow_private_hosts: false,
        };
        Self { chain, env, store, attester, ttl, metrics: Metrics::new(), forward_results: false }
    }

    /// Queues the facts proven by each mint's zkTLS evidence for the persona engine (see
    /// [`crate::persona`]); off by default.
    pub const fn with_result_forwarding(mut self, forward: bool) -> Self {
        self.forward_results = forward;
        self
    }

    /// Lets token metadata be fetched from loopback and private networks (off by default).
    #[must_use]
    pub const fn with_metadata_private_hosts(mut self, allow: bool) -> Self {
        self.env.metadata_allow_private_hosts = allow;
        self
    }

    /// The store.
    pub const fn store(&self) -> &Store {
        &self.store
    }

    /// The metrics.
    pub const fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// What the service signs for and reads.
    pub fn info(&self) -> ValidatorInfo {
        ValidatorInfo {
            validator: self.attester.address(),
            chain_id: self.chain.chain_id(),
            passport: self.chain.passport(),
            badge: self.chain.badge(),
            chains: self.env.chains.names().map(str::to_owned).collect(),
            solana: self.env.solana.is_some(),
            attestation_ttl: self.ttl.as_secs(),
        }
    }

    /// Parses and checks a document and returns what a class declaring it must store.
    pub fn hash_conditions(json: &str) -> Result<ConditionsHash, ValidatorError> {
        let (document, conditions) = parse_document(json)?;
        Ok(ConditionsHash {
            params_hash: params_hash(&document),
            validator_kind: conditions.kind.id(),
            kind: conditions.kind.name().to_owned(),
        })
    }

    /// Registers the conditions document of `class_id` after checking it against the chain: the
    /// class exists, its `validatorKind` and `paramsHash` match the document, every chain the
    /// document reads is configured here, and the class trusts this validator. Registering the
    /// same document again changes nothing.
    pub async fn register_conditions(
        &self,
        class_id: U256,
        json: &str,
    ) -> Result<trex_sdk::RegisteredConditions, ValidatorError> {
        let (document, conditions) = parse_document(json)?;
        let class = self.chain.class(class_id).await?;
        let kind = conditions.kind.id();
        if class.validatorKind != kind {
            return Err(ValidatorError::KindMismatch {
                class_id,
                expected: class.validatorKind,
                actual: kind,
            });
        }
        let params_hash = params_hash(&document);
        if class.paramsHash != params_hash {
            return Err(ValidatorError::ParamsHashMismatch {
                class_id,
                expected: class.paramsHash,
                actual: params_hash,
            });
        }
        for chain in conditions.checks().into_iter().filter_map(chain_of) {
            let configured = if chain == SOLANA {
                self.env.solana.is_some()
            } else {
                self.env.chains.contains(chain)
            };
            if !configured {
                return Err(ValidatorError::UnknownChain(chain.to_owned()));
            }
        }
        self.require_trusted(class_id).await?;
        self.store.register(class_id, params_hash, conditions.kind, &document).await?;
        info!(target: "validator", %class_id, %params_hash, kind = conditions.kind.name(), "conditions registered");
        Ok(trex_sdk::RegisteredConditions {
            class_id,
            params_hash,
            kind: conditions.kind.name().to_owned(),
            conditions: None,
        })
    }

    /// The registered document of `class_id`.
    pub async fn conditions(&self, class_id: U256) -> Result<RegisteredConditions, ValidatorError> {
        self.store
            .conditions(class_id)
            .await?
            .ok_or(ValidatorError::ConditionsNotRegistered(class_id))
    }

    async fn require_trusted(&self, class_id: U256) -> Result<(), ValidatorError> {
        let validator = self.attester.address();
        if self.chain.is_trusted(class_id, validator).await? {
            Ok(())
        } else {
            Err(ValidatorError::NotTrusted { class_id, validator })
        }
    }

    /// The deadline of an attestation issued at `head`.
    fn deadline(&self, head: Head) -> u64 {
        head.timestamp.saturating_add(self.ttl.as_secs())
    }

    /// Checks `request.passport_id` against the conditions of `class_id` and, when they are met
    /// and a mint would go through, signs a `MintAttestation` and records it with the evidence
    /// it used up.
    pub async fn validate(
        &self,
        class_id: U256,
        request: &ValidateRequest,
    ) -> Result<SignedMintAttestation, ValidatorError> {
        let class = self.chain.class(class_id).await?;
        let registered = self.conditions(class_id).await?;
        if registered.params_hash != class.paramsHash {
            // The chain was redeployed under the registered document: register it again.
            return Err(ValidatorError::ParamsHashMismatch {
                class_id,
                expected: class.paramsHash,
                actual: registered.params_hash,
            });
        }
        let subject = self.chain.subject(request.passport_id).await?;
        if let Some(recipient) = request.recipient
            && recipient != subject.owner
        {
            return Err(ValidatorError::RecipientNotOwner {
                passport_id: request.passport_id,
                recipient,
            });
        }
        self.require_trusted(class_id).await?;
        let head = self.chain.head().await?;
        self.chain.check_mintable(class_id, &class, subject.passport_id, head).await?;

        let ctx = CheckContext {
            env: &self.env,
            subject: &subject,
            evidence: &request.evidence,
            now: unix_now(),
        };
        let outcome = evaluate(&registered.conditions.rule, ctx).await?;
        if !outcome.met {
            return Err(ValidatorError::ConditionNotMet { reasons: outcome.reasons });
        }

        // A mint after the class's window closes fails anyway: do not promise more.
        let mut deadline = self.deadline(head);
        if class.endTime != 0 {
            deadline = deadline.min(class.endTime);
        }
        let attestation = MintAttestation {
            classId: class_id,
            passportId: subject.passport_id,
            recipient: subject.owner,
            attestationId: Attester::new_id(),
            deadline: U256::from(deadline),
        };
        let signature = self.attester.sign_mint(&attestation).await?;
        let kind = AttestationKind::Mint { class_id, recipient: subject.owner };
        let forward = self
            .forward_results
            .then(|| {
                crate::persona::result_of(
                    attestation.attestationId,
                    subject.passport_id,
                    self.attester.address(),
                    &request.evidence.zktls_proofs,
                    &outcome.consumed,
                    &self.env.zktls,
                    ctx.now,
                )
            })
            .flatten();
        let issued = IssuedAttestation {
            id: attestation.attestationId,
            passport_id: subject.passport_id,
            kind,
            deadline,
            signature: signature.clone(),
        };
        self.record(&issued, &outcome.consumed, forward.as_ref()).await?;
        Ok(SignedMintAttestation {
            attestation: MintAttestationJson::from(&attestation),
            signature,
            validator: self.attester.address(),
            reasons: outcome.reasons,
        })
    }

    /// Checks the Solana key's signature of the link message and that the address is not linked
    /// yet, then signs a `LinkSolana` attestation.
    pub async fn link_solana(
        &self,
        request: &LinkSolanaRequest,
    ) -> Result<SignedSolanaLink, ValidatorError> {
        let address: SolanaAddress = request
            .solana_address
            .parse()
            .map_err(|err| ValidatorError::InvalidRequest(format!("solanaAddress: {err}")))?;
        let subject = self.chain.subject(request.passport_id).await?;
        let message = link_message(&address, self.chain.chain_id(), subject.passport_id);
        verify_signature(&address, message.as_bytes(), &request.signature)
            .map_err(|err| ValidatorError::InvalidSolanaSignature(err.to_string()))?;
        self.chain.check_solana_unlinked(address).await?;

        let deadline = self.deadline(self.chain.head().await?);
        let attestation = LinkSolana {
            passportId: subject.passport_id,
            solanaAddress: address.to_b256(),
            attestationId: Attester::new_id(),
            deadline: U256::from(deadline),
        };
        let signature = self.attester.sign_link_solana(&attestation).await?;
        let kind = AttestationKind::LinkSolana { solana_address: address.to_b256() };
        let issued = IssuedAttestation {
            id: attestation.attestationId,
            passport_id: subject.passport_id,
            kind,
            deadline,
            signature: signature.clone(),
        };
        self.record(&issued, &[], None).await?;
        Ok(SignedSolanaLink {
            attestation: SolanaLinkAttestation::from(&attestation),
            signature,
            validator: self.attester.address(),
        })
    }

    /// Checks a Reclaim proof of provider `web2-account` — valid, bound to the passport, unused,
    /// of the named platform — and that neither the account nor the passport's slot on that
    /// platform is linked yet, then signs a `LinkWeb2` attestation over `keccak256(handle)` and
    /// uses the proof up. The handle itself is neither stored nor returned.
    pub async fn link_web2(
        &self,
        request: &LinkWeb2Request,
    ) -> Result<SignedWeb2Link, ValidatorError> {
        let platform = request.platform.trim().to_ascii_lowercase();
        if platform.is_empty() {
            return Err(ValidatorError::InvalidRequest("platform is empty".into()));
        }
        let proof = ReclaimProof::deserialize(&request.proof)
            .map_err(|err| ZkTlsError::MalformedJson(err.to_string()))?;
        let subject = self.chain.subject(request.passport_id).await?;
        let proven = verify_bound(
            &proof,
            ZkTlsProvider::Web2Account,
            &subject,
            &self.env.zktls,
            self.env.used.as_ref(),
            unix_now(),
        )
        .await?;
        let Fact::Web2Account { platform: proven_platform, handle } = &proven.fact else {
            return Err(ValidatorError::InvalidRequest(
                "the proof does not prove a Web2 account".into(),
            ));
        };
        if *proven_platform != platform {
            return Err(ValidatorError::ProofNotBound {
                passport_id: subject.passport_id,
                reason: format!("the proof is of a {proven_platform} account, not {platform}"),
            });
        }
        let platform_id = platform_id(&platform);
        let handle_hash = keccak256(handle.as_bytes());
        self.chain
            .check_web2_unlinked(subject.passport_id, &platform, platform_id, handle_hash)
            .await?;

        let deadline = self.deadline(self.chain.head().await?);
        let attestation = LinkWeb2 {
            passportId: subject.passport_id,
            platform: platform_id,
            handleHash: handle_hash,
            attestationId: Attester::new_id(),
            deadline: U256::from(deadline),
        };
        let signature = self.attester.sign_link_web2(&attestation).await?;
        let kind = AttestationKind::LinkWeb2 { platform: platform_id, handle_hash };
        let consumed = [Consumption::ZkTlsProof(proven.identifier)];
        let issued = IssuedAttestation {
            id: attestation.attestationId,
            passport_id: subject.passport_id,
            kind,
            deadline,
            signature: signature.clone(),
        };
        self.record(&issued, &consumed, None).await?;
        Ok(SignedWeb2Link {
            attestation: Web2LinkAttestation::from(&attestation),
            signature,
            validator: self.attester.address(),
        })
    }

    /// Records an issued attestation with what it used up, and counts it.
    async fn record(
        &self,
        issued: &IssuedAttestation,
        consumed: &[Consumption],
        forward: Option<&ValidatorResult>,
    ) -> Result<(), ValidatorError> {
        self.store.issue(issued, consumed, forward).await?;
        let IssuedAttestation { id, passport_id, kind, deadline, .. } = issued;
        self.metrics.attestations.with_label_values(&[kind.name()]).inc();
        info!(target: "validator", attestation = %id, %passport_id, r#type = kind.name(), deadline, "attestation issued");
        Ok(())
    }
}

/// `keccak256` of the lower-case platform name: the `platform` TRexPassport stores.
pub fn platform_id(platform: &str) -> B256 {
    keccak256(platform.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_decimal_ids_and_default_evidence() {
        let request: ValidateRequest = serde_json::from_str(r#"{"passportId":"7"}"#).unwrap();
        assert_eq!(request.passport_id, U256::from(7));
        assert_eq!(request.evidence, trex_sdk::Evidence::default());
        assert!(serde_json::from_str::<ValidateRequest>(r#"{"passportId":"7","x":1}"#).is_err());
    }

    #[test]
    fn chains_of_checks() {
        let doc = ClassConditions::from_json(
            r#"{"version":1,"kind":"TOKEN","rule":{"type":"any","rules":[
                {"type":"tx_count","min":1},
                {"type":"native_balance","chain":"sepolia","min":"1"},
                {"type":"solana_balance","min":1}]}}"#,
        )
        .unwrap();
        let chains: Vec<_> = doc.checks().into_iter().filter_map(chain_of).collect();
        assert_eq!(chains, ["trex", "sepolia", "solana"]);
    }

    #[test]
    fn platform_ids_are_lower_case_hashes() {
        assert_eq!(platform_id("Twitch"), keccak256("twitch"));
    }
}
