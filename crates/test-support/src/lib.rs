//! Fixtures shared by the workspace's integration tests. Each test gets its own anvil and its own
//! Postgres database, so tests run in parallel without seeing each other's state.

pub mod anvil;
pub mod persona;
pub mod postgres;

pub use anvil::{Anvil, DEV_KEYS, wallet_provider};
pub use postgres::TestDatabase;
