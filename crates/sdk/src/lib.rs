#![doc = include_str!("../README.md")]

mod api;
mod bindings;
mod client;
pub mod conditions;
mod eip712;
mod error;
mod networks;
pub mod persona;
mod siwe;
mod solana;
mod validator;

pub use api::{
    AllowlistProof, ConditionsHash, Evidence, LinkSolanaRequest, LinkWeb2Request,
    MintAttestationJson, RegisteredConditions, SignedMintAttestation, SignedSolanaLink,
    SignedWeb2Link, SolanaLinkAttestation, ValidateRequest, ValidatorInfo, Web2LinkAttestation,
};
pub use bindings::{ERC1967Proxy, TRexBadge, TRexPassport};
pub use client::{
    BadgeClient, CategoryPoints, HeldBadge, PassportClient, PassportView, Web2Account,
    deploy_identity,
};
pub use eip712::{
    LinkSolana, LinkWallet, LinkWeb2, MintAttestation, badge_domain, passport_domain,
    sign_link_solana, sign_link_wallet, sign_link_web2, sign_mint_attestation, sign_typed,
};
pub use error::{Error, Result};
pub use networks::{
    DEVNET_CHAIN_ID, IdentityAddresses, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID, identity_addresses,
};
pub use siwe::{
    LoginExpectations, SiweError, SiweMessage, VerifiedLogin, generate_nonce, passport_did,
    verify_login,
};
pub use solana::{
    SolanaLinkProof, SolanaSigner, sign_solana_link, solana_address, solana_address_bytes,
    solana_link_message,
};
pub use validator::{ValidatorApiError, ValidatorClient};
/// Re-exported so callers can build [`SiweMessage`] times and Solana keys without pinning the
/// same versions themselves.
pub use {ed25519_dalek, time};
