#![doc = include_str!("../README.md")]

mod error;
mod extract;
mod identifier;
mod proof;
mod replay;
mod verify;

pub use error::ZkTlsError;
pub use extract::{
    Fact, Provider, SocialPlatform, parse_count, parse_email_domain, parse_handle, parse_name,
    parse_query, parse_usd_cents, parse_vip_level,
};
pub use identifier::{canonical_json, claim_identifier, sign_data};
pub use proof::{ClaimData, ReclaimProof, WitnessData};
pub use replay::{InMemorySeenProofs, SeenProofs};
pub use verify::{VerifiedClaim, VerifierConfig, verify, verify_json, verify_once};
