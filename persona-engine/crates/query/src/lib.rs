#![doc = include_str!("../README.md")]

pub mod catalogue;
mod compile;
mod error;
mod expr;
mod prune;
mod request;

pub use catalogue::ValueType;
pub use compile::{CompiledQuery, MAX_PARAMS, compile, run};
pub use error::QueryError;
pub use expr::{MAX_DEPTH, MAX_EXPR_LEN, MAX_LOOKUPS, Param};
pub use request::{
    Criterion, CriterionScore, Cursor, DEFAULT_LIMIT, MAX_CRITERIA, MAX_LIMIT, Match, MatchPage,
    MatchRequest, Scoring,
};

#[cfg(test)]
mod tests;
