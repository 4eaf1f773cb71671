//! The crate's error type.

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request is malformed: an expression does not parse or type-check, a weight, scoring,
    /// limit or cursor is out of range, or a limit of the language is exceeded. `message` starts
    /// with the part of the request at fault (`criteria[1].expr`, `criteria[0].weight`,
    /// `filter`, `cursor`, ...); `position` is the 1-based (line, column) inside that part's
    /// expression, when the fault has one.
    #[error("invalid query: {message}{}", at(*position))]
    InvalidQuery {
        /// What is wrong, prefixed with the part of the request.
        message: String,
        /// (line, column), both 1-based, inside the expression named by the message.
        position: Option<(u64, u64)>,
    },
    /// The database failed to run a valid query.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn at(position: Option<(u64, u64)>) -> String {
    position.map(|(line, column)| format!(" (line {line}, column {column})")).unwrap_or_default()
}
