//! Integration tests of the synthetic generator against a real Postgres.

mod generate;
