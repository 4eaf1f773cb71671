//! The service's error type. Every variant maps to an HTTP status and a stable machine-readable
//! `code`; the API answers `{"error": {"code": …, "message": …}}` and writes nothing.

use alloy_primitives::{Address, B256, U256};
use axum::http::StatusCode;
use trex_zktls::ZkTlsError;

/// Errors of `trex-validator`.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// A conditions document is malformed or violates the format's rules.
    #[error("invalid conditions: {0}")]
    InvalidConditions(String),
    /// A request body or parameter is malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A request body is larger than the service accepts.
    #[error("request body exceeds the limit of {0} bytes")]
    BodyTooLarge(usize),
    /// No badge class has this id on chain.
    #[error("badge class {0} does not exist")]
    ClassNotFound(U256),
    /// The class exists but nobody registered its conditions document here.
    #[error("no conditions are registered for badge class {0}")]
    ConditionsNotRegistered(U256),
    /// The document's hash differs from the class's on-chain `paramsHash`.
    #[error("conditions hash {actual} differs from badge class {class_id}'s paramsHash {expected}")]
    ParamsHashMismatch {
        /// The class.
        class_id: U256,
        /// On chain.
        expected: B256,
        /// Of the document.
        actual: B256,
    },
    /// The document's kind differs from the class's on-chain `validatorKind`.
    #[error(
        "conditions kind {actual} differs from badge class {class_id}'s validatorKind {expected}"
    )]
    KindMismatch {
        /// The class.
        class_id: U256,
        /// On chain.
        expected: B256,
        /// `keccak256` of the document's kind.
        actual: B256,
    },
    /// The class does not trust this service's signing key, so its attestation would be refused.
    #[error("badge class {class_id} does not trust this validator ({validator})")]
    NotTrusted {
        /// The class.
        class_id: U256,
        /// This service's signer.
        validator: Address,
    },
    /// The class cannot mint to this passport now (window, supply cap, already held, paused).
    #[error("badge class {class_id} cannot mint to passport {passport_id}: {reason}")]
    NotMintable {
        /// The class.
        class_id: U256,
        /// The passport.
        passport_id: U256,
        /// Why not.
        reason: String,
    },
    /// No passport has this id.
    #[error("passport {0} does not exist")]
    PassportNotFound(U256),
    /// The recipient asked for is not the passport's owner.
    #[error("recipient {recipient} is not the owner of passport {passport_id}")]
    RecipientNotOwner {
        /// The passport.
        passport_id: U256,
        /// The address asked for.
        recipient: Address,
    },
    /// The passport does not satisfy the class's conditions.
    #[error("conditions not met: {}", reasons.join("; "))]
    ConditionNotMet {
        /// One line per failed check.
        reasons: Vec<String>,
    },
    /// A check needs evidence the request did not carry.
    #[error("missing evidence: {0}")]
    MissingEvidence(String),
    /// A zkTLS proof failed verification.
    #[error("invalid zkTLS proof: {0}")]
    Proof(#[from] ZkTlsError),
    /// A zkTLS proof is valid but not made for this passport.
    #[error("zkTLS proof is not bound to passport {passport_id}: {reason}")]
    ProofNotBound {
        /// The passport.
        passport_id: U256,
        /// What does not match.
        reason: String,
    },
    /// A zkTLS proof was already used for an attestation.
    #[error("zkTLS proof {0} was already used")]
    ProofReplayed(B256),
    /// An event code was already redeemed.
    #[error("event code {0} was already redeemed")]
    EventCodeRedeemed(B256),
    /// A Solana ownership signature does not verify.
    #[error("invalid Solana signature: {0}")]
    InvalidSolanaSignature(String),
    /// The address or account is already linked to a passport on chain.
    #[error("already linked: {0}")]
    AlreadyLinked(String),
    /// A condition names a chain this service is not configured with.
    #[error("chain `{0}` is not configured on this validator")]
    UnknownChain(String),
    /// An EVM chain did not answer or answered nonsense.
    #[error("chain `{chain}` request failed: {message}")]
    Chain {
        /// Chain name.
        chain: String,
        /// What failed.
        message: String,
    },
    /// The Solana RPC did not answer or answered nonsense.
    #[error("Solana RPC request failed: {0}")]
    Solana(#[from] trex_solana_rpc::SolanaRpcError),
    /// Token metadata could not be fetched or read.
    #[error("token metadata unavailable: {0}")]
    Metadata(String),
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Signing an attestation failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// Invalid configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The listener could not be bound or served.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ValidatorError {
    /// The stable code the API reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidConditions(_) => "invalid_conditions",
            Self::InvalidRequest(_) => "invalid_request",
            Self::BodyTooLarge(_) => "body_too_large",
            Self::ClassNotFound(_) => "unknown_class",
            Self::ConditionsNotRegistered(_) => "conditions_not_registered",
            Self::ParamsHashMismatch { .. } => "params_hash_mismatch",
            Self::KindMismatch { .. } => "kind_mismatch",
            Self::NotTrusted { .. } => "validator_not_trusted",
            Self::NotMintable { .. } => "not_mintable",
            Self::PassportNotFound(_) => "unknown_passport",
            Self::RecipientNotOwner { .. } => "recipient_not_owner",
            Self::ConditionNotMet { .. } => "condition_not_met",
            Self::MissingEvidence(_) => "missing_evidence",
            Self::Proof(_) => "invalid_proof",
            Self::ProofNotBound { .. } => "proof_not_bound",
            Self::ProofReplayed(_) => "proof_replayed",
            Self::EventCodeRedeemed(_) => "event_code_redeemed",
            Self::InvalidSolanaSignature(_) => "invalid_solana_signature",
            Self::AlreadyLinked(_) => "already_linked",
            Self::UnknownChain(_) => "unknown_chain",
            Self::Chain { .. } => "chain_unavailable",
            Self::Solana(_) => "solana_unavailable",
            Self::Metadata(_) => "metadata_unavailable",
            Self::Database(_) | Self::Migrate(_) => "database_error",
            Self::Signing(_) => "signing_failed",
            Self::Config(_) => "config_error",
            Self::Io(_) => "io_error",
        }
    }

    /// The HTTP status the API answers with.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::InvalidConditions(_)
            | Self::InvalidRequest(_)
            | Self::UnknownChain(_)
            | Self::RecipientNotOwner { .. } => StatusCode::BAD_REQUEST,
            Self::ClassNotFound(_)
            | Self::ConditionsNotRegistered(_)
            | Self::PassportNotFound(_) => StatusCode::NOT_FOUND,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ParamsHashMismatch { .. }
            | Self::KindMismatch { .. }
            | Self::NotTrusted { .. }
            | Self::NotMintable { .. }
            | Self::ProofReplayed(_)
            | Self::EventCodeRedeemed(_)
            | Self::AlreadyLinked(_) => StatusCode::CONFLICT,
            Self::ConditionNotMet { .. }
            | Self::MissingEvidence(_)
            | Self::Proof(_)
            | Self::ProofNotBound { .. }
            | Self::InvalidSolanaSignature(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Chain { .. } | Self::Solana(_) | Self::Metadata(_) => StatusCode::BAD_GATEWAY,
            Self::Database(_)
            | Self::Migrate(_)
            | Self::Signing(_)
            | Self::Config(_)
            | Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A chain error for `chain`.
    pub fn chain(chain: &str, err: impl std::fmt::Display) -> Self {
        Self::Chain { chain: chain.to_owned(), message: err.to_string() }
    }
}
