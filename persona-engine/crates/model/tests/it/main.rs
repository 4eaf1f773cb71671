//! Integration tests of the interest model against a real Postgres.

mod train;
