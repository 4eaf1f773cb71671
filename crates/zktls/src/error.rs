//! The one error type of this crate.

use alloy_primitives::{Address, B256};

/// Why a Reclaim proof was rejected or a proven value could not be extracted.
///
/// Every check of [`verify`](crate::verify) has a variant of its own, so a caller can show the reason
/// (and tests can assert it) without parsing strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkTlsError {
    /// The proof is not valid JSON or lacks a field the Reclaim SDK always writes.
    #[error("malformed proof JSON: {0}")]
    MalformedJson(String),
    /// A hex field (identifier, signature) is not valid hex of the right length.
    #[error("malformed hex in {field}: {reason}")]
    MalformedHex {
        /// The field that failed to decode, e.g. `claimData.identifier` or `signatures[1]`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An address field (owner, witness id) is not a 20-byte hex address.
    #[error("malformed address in {field}: {value:?}")]
    MalformedAddress {
        /// The field that failed to decode.
        field: String,
        /// The value found there.
        value: String,
    },
    /// `claimData.context` is not empty and not JSON, or its `extractedParameters` are not an object of
    /// strings and numbers.
    #[error("invalid claim context: {0}")]
    InvalidContext(String),
    /// The declared claim identifier is not the keccak of provider, parameters and context.
    #[error(
        "claim identifier mismatch: proof declares {declared}, claim info hashes to {computed}"
    )]
    IdentifierMismatch {
        /// The identifier written in the proof.
        declared: B256,
        /// The identifier recomputed from `provider`, `parameters` and `context`.
        computed: B256,
    },
    /// No trusted witness set is configured for the claim's epoch.
    #[error("no trusted witness set for epoch {0}")]
    UnknownEpoch(u64),
    /// A signature is not a recoverable 65-byte secp256k1 signature.
    #[error("signature {index} is invalid: {reason}")]
    InvalidSignature {
        /// Position of the signature in `signatures`.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A signature recovers to an address that is neither trusted nor listed among the proof's
    /// witnesses: the claim was altered after signing, or the signature is forged.
    #[error(
        "signature {index} does not match the claim (recovers to {recovered}): altered claim or forged signature"
    )]
    SignatureMismatch {
        /// Position of the signature in `signatures`.
        index: usize,
        /// The address the signature recovers to over the claim's sign data.
        recovered: Address,
    },
    /// A signature is valid and by a witness the proof lists, but that witness is not trusted for the
    /// claim's epoch.
    #[error("signature {index} is by {address}, not a trusted witness of epoch {epoch}")]
    UntrustedWitness {
        /// Position of the signature in `signatures`.
        index: usize,
        /// The signing witness.
        address: Address,
        /// The claim's epoch.
        epoch: u64,
    },
    /// Fewer distinct trusted witnesses signed than the configuration requires.
    #[error("{got} distinct trusted witness signature(s), {required} required")]
    TooFewWitnesses {
        /// Distinct trusted witnesses that signed.
        got: usize,
        /// The configured minimum.
        required: usize,
    },
    /// The claim is older than the configured maximum age.
    #[error(
        "claim expired: timestamp {timestamp_s} is more than {max_age_s} s before now ({now_s})"
    )]
    Expired {
        /// The claim's `timestampS`.
        timestamp_s: u64,
        /// The verification time.
        now_s: u64,
        /// The configured maximum age in seconds.
        max_age_s: u64,
    },
    /// The claim is dated further in the future than the allowed clock skew.
    #[error(
        "claim from the future: timestamp {timestamp_s} is more than {skew_s} s after now ({now_s})"
    )]
    FutureTimestamp {
        /// The claim's `timestampS`.
        timestamp_s: u64,
        /// The verification time.
        now_s: u64,
        /// The configured clock skew in seconds.
        skew_s: u64,
    },
    /// The proof was already used once.
    #[error("proof {0} was already used")]
    Replayed(B256),
    /// The claim's `contextMessage` does not name the provider the caller needs.
    #[error("proof is not a `{expected}` proof: its contextMessage names {named:?}")]
    WrongProvider {
        /// The provider id required.
        expected: &'static str,
        /// The claim's `contextMessage`, if any.
        named: Option<String>,
    },
    /// The verifier pins the Reclaim provider definitions it accepts for this provider, and the
    /// claim's `providerHash` is not one of them.
    #[error("providerHash {provider_hash:?} is not a trusted Reclaim provider for `{provider}`")]
    UntrustedProvider {
        /// The T-Rex provider id.
        provider: &'static str,
        /// The claim's `providerHash`, if any.
        provider_hash: Option<String>,
    },
    /// A provider id that this crate does not know.
    #[error("unknown provider id {0:?}")]
    UnknownProvider(String),
    /// An extracted parameter the provider's parser needs is absent.
    #[error("provider {provider} needs extracted parameter {key:?}")]
    MissingParameter {
        /// The provider id.
        provider: &'static str,
        /// The missing key of `extractedParameters`.
        key: &'static str,
    },
    /// An extracted parameter has a value its parser rejects.
    #[error("extracted parameter {key:?} has invalid value {value:?}: {reason}")]
    InvalidValue {
        /// The key of `extractedParameters`.
        key: &'static str,
        /// The value found.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}
