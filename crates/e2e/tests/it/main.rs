//! End-to-end tests of the rollup pipeline (real processes; see the crate README).

mod deposits;
mod faults;
mod persona;
mod pipeline;
