//! What a query may name: the per-passport features and the allowed functions.
//!
//! These two lists are the only source of identifiers and SQL text that reach the compiled
//! statement; a name that is not in them is rejected, and every value a user writes is bound as a
//! parameter.

use std::fmt;

/// The type of a query expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A number (integer or floating point).
    Number,
    /// A string.
    Text,
    /// A truth value.
    Bool,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Number => "number",
            Self::Text => "string",
            Self::Bool => "boolean",
        })
    }
}

/// One per-passport feature a query can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// The name used in queries.
    pub name: &'static str,
    /// The SQL expression over `persona_features AS f` that yields the feature.
    pub sql: &'static str,
    /// Its type.
    pub ty: ValueType,
    /// What it means, for documentation and error messages.
    pub description: &'static str,
}

/// Every feature of the `persona_features` table (the graph crate's migration
/// `30001_features.sql`). Plain columns, so that a comparison with a literal can use the
/// column's index.
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "defi_activity",
        sql: "f.defi_tx_count",
        ty: ValueType::Number,
        description: "transactions with known DeFi contracts",
    },
    Feature {
        name: "nft_count",
        sql: "f.nft_count",
        ty: ValueType::Number,
        description: "NFTs held across linked wallets",
    },
    Feature {
        name: "cex_vip_level",
        sql: "f.cex_vip_level",
        ty: ValueType::Number,
        description: "VIP level proven at a centralised exchange (NULL when none is proven)",
    },
    Feature {
        name: "cex_exchange",
        sql: "f.cex_exchange",
        ty: ValueType::Text,
        description: "the exchange the VIP level was proven at, e.g. 'binance' (NULL when none)",
    },
    Feature {
        name: "twitch_followers",
        sql: "f.twitch_followers",
        ty: ValueType::Number,
        description: "Twitch followers (NULL when no Twitch account is proven)",
    },
    Feature {
        name: "x_followers",
        sql: "f.x_followers",
        ty: ValueType::Number,
        description: "X followers (NULL when no X account is proven)",
    },
    Feature {
        name: "youtube_subscribers",
        sql: "f.youtube_subscribers",
        ty: ValueType::Number,
        description: "YouTube subscribers (NULL when no channel is proven)",
    },
    Feature {
        name: "steam_games",
        sql: "f.steam_games",
        ty: ValueType::Number,
        description: "games in the Steam library (NULL when no Steam account is proven)",
    },
    Feature {
        name: "total_points",
        sql: "f.total_points",
        ty: ValueType::Number,
        description: "points over all categories",
    },
    Feature {
        name: "badge_count",
        sql: "f.badge_count",
        ty: ValueType::Number,
        description: "badges currently held",
    },
    Feature {
        name: "passport_created_at",
        // Seconds since the Unix epoch, so that it compares with plain numbers.
        sql: "extract(epoch FROM f.passport_created_at)::float8",
        ty: ValueType::Number,
        description: "when the passport was created, in Unix seconds",
    },
];

/// Finds a feature by its (case-insensitive) name.
pub fn feature(name: &str) -> Option<&'static Feature> {
    FEATURES.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// What a function's single argument is and how it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A 'single-quoted' string, bound as `text`.
    Text,
    /// A badge class id: a decimal or `0x` hex uint256, as a number or string literal, bound as
    /// `numeric`.
    ClassId,
}

/// How a function reads its table. Every function is a lookup of one row per passport in a table
/// keyed by `(passport_id, <key>)`; each distinct call becomes one `LEFT JOIN` on that key, so
/// Postgres can hash-join a whole category or class at once, and turn the join into an inner
/// join driven by the key's index when a filter requires the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// True when the passport has a row whose `key` equals the argument (and which has not
    /// expired).
    Exists {
        /// The table.
        table: &'static str,
        /// Its key column besides `passport_id`.
        key: &'static str,
        /// A nullable timestamp column after which the row no longer counts.
        expires: Option<&'static str>,
    },
    /// The row's `column` (an SQL expression over the row), or `missing` when there is no row.
    Value {
        /// The table.
        table: &'static str,
        /// Its key column besides `passport_id`.
        key: &'static str,
        /// The value read from the row.
        column: &'static str,
        /// The SQL constant used when the passport has no row.
        missing: &'static str,
    },
}

/// One function a query may call. Its argument must be a literal: it selects a badge class or a
/// category, never a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The name used in queries.
    pub name: &'static str,
    /// Its argument.
    pub arg: ArgKind,
    /// The result type.
    pub returns: ValueType,
    /// How it compiles.
    pub lookup: Lookup,
    /// What it means.
    pub description: &'static str,
}

/// The allow-list of functions. Add a row to extend the language.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "has_badge",
        arg: ArgKind::ClassId,
        returns: ValueType::Bool,
        lookup: Lookup::Exists {
            table: "persona_feature_badges",
            key: "class_id",
            expires: Some("expires_at"),
        },
        description: "whether the passport holds an unexpired badge of the class",
    },
    Function {
        name: "points",
        arg: ArgKind::Text,
        returns: ValueType::Number,
        lookup: Lookup::Value {
            table: "persona_feature_points",
            key: "category",
            column: "points",
            missing: "0",
        },
        description: "the passport's points in a category (0 when none)",
    },
    Function {
        name: "interest",
        arg: ArgKind::Text,
        returns: ValueType::Number,
        lookup: Lookup::Value {
            table: "persona_interest",
            key: "category",
            // Stored as REAL; widened so that comparisons with float8 literals are exact.
            column: "score::float8",
            missing: "0",
        },
        description: "the interest model's predicted interest in a category, 0..1 (0 when unscored)",
    },
];

/// Finds a function by its (case-insensitive) name.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}
