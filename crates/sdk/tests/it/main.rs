//! Integration tests against a throwaway anvil (chain id 7777) with `deploy_identity`.

mod common;
mod flows;
mod identity;
mod mock_validator;
mod reclaim;
mod siwe;
