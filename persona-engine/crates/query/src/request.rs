//! The request and response types of a match, as the HTTP API sends and receives them (JSON,
//! camelCase field names).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::QueryError;

/// The most criteria one request may have.
pub const MAX_CRITERIA: usize = 32;
/// The most results one page may have.
pub const MAX_LIMIT: u32 = 1000;
/// The page size when the request gives none.
pub const DEFAULT_LIMIT: u32 = 100;

/// A target profile: what to rank passports by, what to exclude, and which page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchRequest {
    /// The weighted criteria; 1..=[`MAX_CRITERIA`].
    pub criteria: Vec<Criterion>,
    /// A boolean expression every result must satisfy (a hard filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Page size, 1..=[`MAX_LIMIT`]; [`DEFAULT_LIMIT`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Continue after this result: the previous page's `nextCursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
}

/// One weighted criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Criterion {
    /// The expression: boolean for [`Scoring::Binary`], numeric otherwise.
    pub expr: String,
    /// Its weight, finite and > 0.
    pub weight: f64,
    /// How its value maps into [0, 1]; binary when absent.
    #[serde(default)]
    pub scoring: Scoring,
}

/// How a criterion's value maps into V ∈ [0, 1]. JSON: `{"mode": "binary"}`,
/// `{"mode": "linear", "min": 0, "max": 500}`, `{"mode": "log", "max": 100000}`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Scoring {
    /// A boolean criterion: 1 when it holds, else 0 (also when it is NULL).
    #[default]
    Binary,
    /// A numeric criterion: (x − min) / (max − min), clamped to [0, 1]; NULL scores 0.
    Linear {
        /// The value that scores 0.
        min: f64,
        /// The value that scores 1; greater than `min`.
        max: f64,
    },
    /// A numeric criterion: ln(1 + max(x, 0)) / ln(1 + max), clamped to [0, 1]; NULL scores 0.
    /// For heavy-tailed counts (followers, transactions).
    Log {
        /// The value that scores 1; greater than 0.
        max: f64,
    },
}

/// A position in the ranking: results strictly after it are returned.
///
/// In JSON it is an opaque string. It carries the PMS bit-exactly (a decimal rendering could
/// round, and keyset paging compares for equality on ties).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    /// The PMS of the last result seen.
    pub pms: f64,
    /// Its passport id.
    pub passport_id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}.{}", self.pms.to_bits(), self.passport_id)
    }
}

impl FromStr for Cursor {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        let invalid = || QueryError::InvalidQuery {
            message: "cursor: not a cursor returned by this API".into(),
            position: None,
        };
        let (bits, id) = s.split_once('.').ok_or_else(invalid)?;
        if bits.len() != 16 {
            return Err(invalid());
        }
        let pms = f64::from_bits(u64::from_str_radix(bits, 16).map_err(|_| invalid())?);
        let passport_id = id.parse().map_err(|_| invalid())?;
        if !pms.is_finite() {
            return Err(invalid());
        }
        Ok(Self { pms, passport_id })
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One ranked passport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    /// The passport (its TRexPassport token id).
    pub passport_id: i64,
    /// Its PMS, 0–100.
    pub pms: f64,
    /// One entry per criterion, in request order.
    pub breakdown: Vec<CriterionScore>,
}

/// A criterion's part in a passport's PMS.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CriterionScore {
    /// V(Cᵢ) ∈ [0, 1].
    pub value: f64,
    /// Its contribution to the PMS: wᵢ·V(Cᵢ) / Σ w × 100; the contributions sum to the PMS.
    pub points: f64,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchPage {
    /// The results, best first: PMS descending, then passport id ascending.
    pub matches: Vec<Match>,
    /// Pass as `cursor` to get the next page; `null` when there are no more results.
    #[serde(default)]
    pub next_cursor: Option<Cursor>,
}
