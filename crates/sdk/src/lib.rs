#![doc = include_str!("../README.md")]

mod bindings;
mod client;
mod eip712;
mod error;

pub use bindings::{ERC1967Proxy, TRexBadge, TRexPassport};
pub use client::{BadgeClient, PassportClient, deploy_identity};
pub use eip712::{
    LinkWallet, MintAttestation, badge_domain, passport_domain, sign_link_wallet,
    sign_mint_attestation, sign_typed,
};
pub use error::{Error, Result};
