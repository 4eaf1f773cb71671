//! Evaluation of a conditions rule tree for one passport.
//!
//! Checks only read: chains, the Solana RPC, proofs and the store's record of used evidence.
//! What a successful evaluation would use up (a zkTLS proof, an event code) is returned as
//! [`Consumption`]s, which the service writes in the same transaction as the attestation, so a
//! refused request writes nothing.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc};

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::DynProvider;
use trex_solana_rpc::{SolanaAddress, SolanaRpc};
use trex_zktls::VerifierConfig;

use crate::{
    conditions::{Condition, Rule, ValidatorKind},
    error::ValidatorError,
};

/// What the caller brings besides the passport id: the API's request evidence.
pub use trex_sdk::{AllowlistProof, Evidence};

/// The passport being checked, as read from the T-Rex chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Its id.
    pub passport_id: U256,
    /// Its owner.
    pub owner: Address,
    /// The owner first, then the linked EVM wallets.
    pub wallets: Vec<Address>,
    /// Linked Solana addresses.
    pub solana: Vec<SolanaAddress>,
}

/// Something a met check uses up once the attestation is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Consumption {
    /// A zkTLS proof, by claim identifier.
    ZkTlsProof(B256),
    /// An event code, by `keccak256(code)`.
    EventCode(B256),
}

/// The result of a check or of a rule tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it holds.
    pub met: bool,
    /// What was observed against what was required, one line per check.
    pub reasons: Vec<String>,
    /// What the met checks use up.
    pub consumed: Vec<Consumption>,
}

impl Outcome {
    /// A met check, with what was observed.
    pub fn met(reason: impl Into<String>) -> Self {
        Self { met: true, reasons: vec![reason.into()], consumed: Vec::new() }
    }

    /// An unmet check, with what was observed against what was required.
    pub fn unmet(reason: impl Into<String>) -> Self {
        Self { met: false, reasons: vec![reason.into()], consumed: Vec::new() }
    }

    /// `met` or `unmet` by `condition`.
    pub fn when(condition: bool, reason: impl Into<String>) -> Self {
        if condition { Self::met(reason) } else { Self::unmet(reason) }
    }

    /// Adds something the check uses up when met.
    #[must_use]
    pub fn consuming(mut self, consumption: Consumption) -> Self {
        self.consumed.push(consumption);
        self
    }
}

/// The store's record of evidence already used, read during evaluation.
#[async_trait::async_trait]
pub trait UsedEvidence: Send + Sync {
    /// Whether a zkTLS proof with this claim identifier was already used.
    async fn proof_used(&self, identifier: B256) -> Result<bool, ValidatorError>;
    /// Whether an event code with this hash was already redeemed.
    async fn event_code_redeemed(&self, code_hash: B256) -> Result<bool, ValidatorError>;
}

/// The EVM chains the service reads, by name; `trex` is the T-Rex L2 itself.
#[derive(Debug, Clone, Default)]
pub struct Chains {
    providers: BTreeMap<String, DynProvider<Ethereum>>,
}

impl Chains {
    /// The name of the T-Rex chain, the default of every check's `chain`.
    pub const TREX: &'static str = "trex";

    /// Adds (or replaces) a chain.
    pub fn insert(&mut self, name: impl Into<String>, provider: DynProvider<Ethereum>) {
        self.providers.insert(name.into(), provider);
    }

    /// The provider of `name`.
    pub fn get(&self, name: &str) -> Result<&DynProvider<Ethereum>, ValidatorError> {
        self.providers.get(name).ok_or_else(|| ValidatorError::UnknownChain(name.to_owned()))
    }

    /// Whether `name` is configured.
    pub fn contains(&self, name: &str) -> bool {
        self.providers.contains_key(name)
    }

    /// The configured names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
}

/// Everything a check may read.
#[derive(Clone)]
pub struct Environment {
    /// EVM chains by name.
    pub chains: Chains,
    /// The Solana RPC, when configured.
    pub solana: Option<SolanaRpc>,
    /// Trusted Reclaim witnesses and freshness.
    pub zktls: VerifierConfig,
    /// The TRexPassport contract on the `trex` chain.
    pub passport: Address,
    /// Used proofs and codes.
    pub used: Arc<dyn UsedEvidence>,
    /// Whether token metadata may be fetched from loopback and private networks (otherwise only
    /// public hosts are contacted).
    pub metadata_allow_private_hosts: bool,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("chains", &self.chains.names().collect::<Vec<_>>())
            .field("solana", &self.solana.is_some())
            .field("passport", &self.passport)
            .finish_non_exhaustive()
    }
}

/// One evaluation: who, with what evidence, at what time.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    /// What may be read.
    pub env: &'a Environment,
    /// The passport.
    pub subject: &'a Subject,
    /// The caller's evidence.
    pub evidence: &'a Evidence,
    /// Unix seconds now (proof freshness, allowlist stages).
    pub now: u64,
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<Outcome, ValidatorError>> + Send + 'a>>;

/// Evaluates `rule`: `all` stops at the first unmet rule, `any` at the first met one; the
/// outcome's `consumed` holds only what the met branches use, each item once. Inside `any`, a
/// branch whose evidence the caller did not bring counts as unmet (a user proves one of several
/// alternatives); everywhere else missing evidence is an error that says what to bring.
pub fn evaluate<'a>(rule: &'a Rule, ctx: CheckContext<'a>) -> Pending<'a> {
    Box::pin(async move {
        match rule {
            Rule::Check(condition) => check(condition, ctx).await,
            Rule::All { rules } => {
                let mut all = Outcome { met: true, ..Outcome::default() };
                for rule in rules {
                    let outcome = evaluate(rule, ctx).await?;
                    all.reasons.extend(outcome.reasons);
                    if !outcome.met {
                        all.met = false;
                        all.consumed.clear();
                        return Ok(all);
                    }
                    for item in outcome.consumed {
                        if !all.consumed.contains(&item) {
                            all.consumed.push(item);
                        }
                    }
                }
                Ok(all)
            }
            Rule::Any { rules } => {
                let mut any = Outcome::default();
                for rule in rules {
                    match evaluate(rule, ctx).await {
                        Ok(outcome) if outcome.met => return Ok(outcome),
                        Ok(outcome) => any.reasons.extend(outcome.reasons),
                        Err(ValidatorError::MissingEvidence(what)) => {
                            any.reasons.push(format!("not proven: {what}"));
                        }
                        Err(err) => return Err(err),
                    }
                }
                Ok(any)
            }
        }
    })
}

async fn check(condition: &Condition, ctx: CheckContext<'_>) -> Result<Outcome, ValidatorError> {
    match condition.kind() {
        ValidatorKind::Nft => crate::evm::nft::check(condition, ctx).await,
        ValidatorKind::Token => match condition {
            Condition::SolanaBalance { .. }
            | Condition::SplTokenBalance { .. }
            | Condition::SolanaTxCount { .. } => crate::solana::check(condition, ctx).await,
            _ => crate::evm::token::check(condition, ctx).await,
        },
        ValidatorKind::Web3 => crate::evm::web3::check(condition, ctx).await,
        ValidatorKind::Zktls => crate::zktls::check(condition, ctx).await,
        ValidatorKind::Ecosystem => crate::ecosystem::check(condition, ctx).await,
        ValidatorKind::Social => crate::social::check(condition, ctx).await,
    }
}

/// The error a family's `check` returns for a condition of another family (a dispatch bug).
pub(crate) fn not_mine(family: &str, condition: &Condition) -> ValidatorError {
    ValidatorError::InvalidConditions(format!(
        "`{}` is not a {family} check",
        crate::conditions::check_name(condition)
    ))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;

    use super::*;

    struct NothingUsed;

    #[async_trait::async_trait]
    impl UsedEvidence for NothingUsed {
        async fn proof_used(&self, _: B256) -> Result<bool, ValidatorError> {
            Ok(false)
        }
        async fn event_code_redeemed(&self, _: B256) -> Result<bool, ValidatorError> {
            Ok(false)
        }
    }

    fn env() -> Environment {
        Environment {
            chains: Chains::default(),
            solana: None,
            zktls: VerifierConfig::new(1, 3_600),
            passport: Address::ZERO,
            used: Arc::new(NothingUsed),
            metadata_allow_private_hosts: false,
        }
    }

    fn subject() -> Subject {
        let owner = Address::repeat_byte(1);
        Subject { passport_id: U256::from(1), owner, wallets: vec![owner], solana: Vec::new() }
    }

    /// An event-code check (evaluated without any chain) accepting `code`.
    fn code(code: &str) -> Rule {
        Rule::Check(Condition::EventCode { code_hashes: vec![keccak256(code)] })
    }

    /// A check needing a zkTLS proof, which the evidence below never carries.
    fn proof_needed() -> Rule {
        Rule::Check(Condition::SteamGames { min: 1 })
    }

    async fn run(rule: &Rule, event_code: Option<&str>) -> Result<Outcome, ValidatorError> {
        let (env, subject) = (env(), subject());
        let evidence =
            Evidence { event_code: event_code.map(str::to_owned), ..Evidence::default() };
        evaluate(rule, CheckContext { env: &env, subject: &subject, evidence: &evidence, now: 0 })
            .await
    }

    #[tokio::test]
    async fn all_consumes_each_item_once_and_nothing_when_unmet() {
        let both = Rule::All { rules: vec![code("gm"), code("gm")] };
        let outcome = run(&both, Some("gm")).await.unwrap();
        assert!(outcome.met);
        assert_eq!(outcome.consumed, vec![Consumption::EventCode(keccak256("gm"))]);

        let second_fails = Rule::All { rules: vec![code("gm"), code("other")] };
        let outcome = run(&second_fails, Some("gm")).await.unwrap();
        assert!(!outcome.met);
        assert!(outcome.consumed.is_empty());
        assert_eq!(outcome.reasons.len(), 2);
    }

    #[tokio::test]
    async fn any_takes_the_first_met_branch_and_skips_unproven_ones() {
        let rule = Rule::Any { rules: vec![proof_needed(), code("wrong"), code("gm")] };
        let outcome = run(&rule, Some("gm")).await.unwrap();
        assert!(outcome.met);
        assert_eq!(outcome.consumed, vec![Consumption::EventCode(keccak256("gm"))]);

        let outcome = run(&Rule::Any { rules: vec![proof_needed(), code("wrong")] }, Some("gm"))
            .await
            .unwrap();
        assert!(!outcome.met);
        assert!(outcome.reasons[0].starts_with("not proven:"), "{:?}", outcome.reasons);
    }

    #[tokio::test]
    async fn missing_evidence_outside_any_is_an_error() {
        let err = run(&proof_needed(), None).await.unwrap_err();
        assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
        let err = run(&Rule::All { rules: vec![code("gm")] }, None).await.unwrap_err();
        assert!(matches!(err, ValidatorError::MissingEvidence(_)), "{err}");
    }
}
