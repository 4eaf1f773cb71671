//! Checking a [`MatchRequest`] and compiling it into one parameterised statement.

use sqlx::{PgPool, Row, postgres::PgRow};

use crate::{
    Criterion, CriterionScore, Cursor, DEFAULT_LIMIT, MAX_CRITERIA, MAX_LIMIT, Match, MatchPage,
    MatchRequest, QueryError, Scoring,
    catalogue::ValueType,
    expr::{self, Invalid, Lookups, Param, Params},
    prune,
};

/// The most bind parameters one statement may have (Postgres allows 65535; a request that needs
/// more is not a target profile).
pub const MAX_PARAMS: usize = 4096;

/// A compiled request: the statement and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    sql: String,
    /// The candidate rankings tried before `sql` (see [`prune`]): the statement restricted to
    /// each branch, and the levels with the bounds that prove them complete.
    branches: Vec<String>,
    levels: Vec<prune::Level>,
    params: Vec<Param>,
    weights: Vec<f64>,
    limit: u32,
}

impl CompiledQuery {
    /// The statement; user input appears only as `$n` placeholders. It returns at most
    /// `limit + 1` rows (the extra one tells whether there is a next page) of
    /// `passport_id int8, pms float8, v0 float8, v1 float8, ...`.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The values of `$1`, `$2`, ....
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// Runs the statement and shapes its rows into a page.
    ///
    /// First ranks the candidate levels of the pruning plan (index-driven, small), each branch
    /// once and a level's new branches concurrently, until a level's page is proven to be the
    /// whole table's; the result is always the statement's.
    pub async fn fetch(&self, pool: &PgPool) -> Result<MatchPage, QueryError> {
        let keep = self.limit as usize + 1;
        let mut best: Vec<(f64, i64, PgRow)> = Vec::new();
        let mut ranked = vec![false; self.branches.len()];
        for level in &self.levels {
            let fresh: Vec<usize> =
                level.branches.iter().copied().filter(|&b| !ranked[b]).collect();
            let pages = futures::future::try_join_all(
                fresh.iter().map(|&b| self.bound(&self.branches[b]).fetch_all(pool)),
            )
            .await?;
            for b in fresh {
                ranked[b] = true;
            }
            for row in pages.into_iter().flatten() {
                best.push((row.try_get(1)?, row.try_get(0)?, row));
            }
            // The statement's order; one passport found by two branches has one score.
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            best.dedup_by_key(|(_, id, _)| *id);
            best.truncate(keep);
            if best.len() == keep && best[keep - 1].0 > level.bound + prune::EPSILON {
                return self.page(best.into_iter().map(|(_, _, row)| row).collect());
            }
        }
        self.fetch_unpruned(pool).await
    }

    /// Runs only [`sql`](Self::sql), scoring every passport the filter admits: the reference
    /// [`fetch`](Self::fetch) must agree with (tests and benchmarks compare them).
    pub async fn fetch_unpruned(&self, pool: &PgPool) -> Result<MatchPage, QueryError> {
        let rows = self.bound(&self.sql).fetch_all(pool).await?;
        self.page(rows)
    }

    /// The candidate levels tried before [`sql`](Self::sql), most selective first: each level's
    /// branch statements (same parameters and columns as `sql`) and the PMS no passport outside
    /// their union exceeds.
    pub fn levels(&self) -> impl Iterator<Item = (Vec<&str>, f64)> {
        self.levels.iter().map(|level| {
            (level.branches.iter().map(|&b| self.branches[b].as_str()).collect(), level.bound)
        })
    }

    fn page(&self, mut rows: Vec<PgRow>) -> Result<MatchPage, QueryError> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let total: f64 = self.weights.iter().sum();
        let matches = rows
            .iter()
            .map(|row| self.shape(row, total))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let next_cursor = match matches.last() {
            Some(last) if more => Some(Cursor { pms: last.pms, passport_id: last.passport_id }),
            _ => None,
        };
        Ok(MatchPage { matches, next_cursor })
    }

    /// Postgres's plan for the statement (`EXPLAIN`, or `EXPLAIN ANALYZE` which runs it), one
    /// line per element: for checking index use and investigating latency.
    pub async fn explain(&self, pool: &PgPool, analyze: bool) -> Result<Vec<String>, QueryError> {
        let explain = if analyze { "EXPLAIN ANALYZE" } else { "EXPLAIN" };
        let rows = self.bound(&format!("{explain} {}", self.sql)).fetch_all(pool).await?;
        Ok(rows.iter().map(|row| row.try_get(0)).collect::<Result<_, _>>()?)
    }

    fn bound<'q>(
        &'q self,
        sql: &str,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        // The text is built only from catalogue entries and placeholders; every user value is in
        // `params`. Not a cached prepared statement: after five runs Postgres may switch such a
        // statement to a generic plan, blind to the values that decide which index is selective
        // (twice as slow on the 1M-user benchmark); an unnamed statement is planned for its values.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).persistent(false);
        for param in &self.params {
            query = match param {
                Param::Int(v) => query.bind(*v),
                Param::Float(v) => query.bind(*v),
                Param::Text(v) => query.bind(v.as_str()),
            };
        }
        query
    }

    fn shape(&self, row: &PgRow, total: f64) -> Result<Match, sqlx::Error> {
        let breakdown = self
            .weights
            .iter()
            .enumerate()
            .map(|(i, weight)| {
                let value: f64 = row.try_get(i + 2)?;
                Ok(CriterionScore { value, points: weight * value / total * 100.0 })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Match { passport_id: row.try_get(0)?, pms: row.try_get(1)?, breakdown })
    }
}

/// Compiles and runs a request: the whole match in one call.
pub async fn run(pool: &PgPool, request: &MatchRequest) -> Result<MatchPage, QueryError> {
    compile(request)?.fetch(pool).await
}

/// Checks a request and compiles it into one statement. Never touches the database.
pub fn compile(request: &MatchRequest) -> Result<CompiledQuery, QueryError> {
    if request.criteria.is_empty() {
        return Err(invalid("criteria: at least one criterion is required", None));
    }
    if request.criteria.len() > MAX_CRITERIA {
        return Err(invalid(
            format!(
                "criteria: {} criteria given; the limit is {MAX_CRITERIA}",
                request.criteria.len()
            ),
            None,
        ));
    }
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit: must be 1..={MAX_LIMIT}, got {limit}"), None));
    }
    let mut params = Params::default();
    let mut lookups = Lookups::default();
    let mut values = Vec::with_capacity(request.criteria.len());
    let mut access = Vec::with_capacity(request.criteria.len());
    for (i, criterion) in request.criteria.iter().enumerate() {
        let (value, test) = criterion_value(i, criterion, &mut params, &mut lookups)?;
        values.push(value);
        access.push((criterion.weight, test));
    }
    let weights: Vec<f64> = request.criteria.iter().map(|c| c.weight).collect();
    let total: f64 = weights.iter().sum();
    if !total.is_finite() {
        return Err(invalid("criteria: the sum of the weights is not finite", None));
    }
    let filter = match &request.filter {
        Some(src) => {
            let expr::Compiled { sql, ty, position, .. } =
                expr::compile(src, &mut params, &mut lookups).map_err(|e| located("filter", e))?;
            want("filter", ty, ValueType::Bool, "a filter", position)?;
            sql
        }
        None => "TRUE".to_owned(),
    };

    let score: Vec<String> = weights
        .iter()
        .enumerate()
        .map(|(i, weight)| format!("{} * s.v{i}", params.push(Param::Float(*weight))))
        .collect();
    let total = params.push(Param::Float(total));
    let after = match request.cursor {
        Some(cursor) => {
            let pms = params.push(Param::Float(cursor.pms));
            let id = params.push(Param::Int(cursor.passport_id));
            // The order is pms DESC, passport_id ASC, so "after" is a lower PMS or, on a tie, a
            // higher id.
            format!("WHERE r.pms < {pms} OR (r.pms = {pms} AND r.passport_id > {id})")
        }
        None => String::new(),
    };
    // One extra row tells whether there is a next page.
    let limit_param = params.push(Param::Int(i64::from(limit) + 1));
    if params.0.len() > MAX_PARAMS {
        return Err(invalid(
            format!("request: {} literals; the limit is {MAX_PARAMS}", params.0.len()),
            None,
        ));
    }
    let values_out: Vec<String> = (0..values.len()).map(|i| format!("s.v{i}")).collect();
    let values_in: Vec<String> =
        values.iter().enumerate().map(|(i, sql)| format!("{sql} AS v{i}")).collect();
    let joins: String = lookups.joins.iter().map(|j| format!(" {j}")).collect();
    let head = format!(
        "SELECT r.* FROM (\
         SELECT s.passport_id, ({score}) / {total} * 100 AS pms, {values_out} FROM (\
         SELECT f.passport_id, {values_in} FROM ",
        score = score.join(" + "),
        values_out = values_out.join(", "),
        values_in = values_in.join(", "),
    );
    let tail = |condition: &str| {
        format!(
            "{joins} WHERE {condition}) s) r {after}ORDER BY r.pms DESC, \
             r.passport_id ASC LIMIT {limit_param}",
            after = if after.is_empty() { after.clone() } else { format!("{after} ") },
        )
    };
    let sql = format!("{head}persona_features f{}", tail(&filter));
    let plan = prune::plan(&access, weights.iter().sum());
    // A branch finds its passports' ids through indexes alone (covering indexes, migration
    // 30003) and reads the feature rows of those only.
    let branches = plan
        .branches
        .iter()
        .map(|conjunction| {
            format!(
                "{head}(SELECT f.passport_id FROM persona_features f{joins} WHERE {conjunction}) c \
                 JOIN persona_features f ON f.passport_id = c.passport_id{}",
                tail(&filter)
            )
        })
        .collect();
    Ok(CompiledQuery { sql, branches, levels: plan.levels, params: params.0, weights, limit })
}

/// The SQL of V(Cᵢ) ∈ [0, 1] for criterion `i` and, for a binary criterion whose rows an index
/// finds, its test (V = 1 exactly where it is true).
fn criterion_value(
    i: usize,
    criterion: &Criterion,
    params: &mut Params,
    lookups: &mut Lookups,
) -> Result<(String, Option<String>), QueryError> {
    if !(criterion.weight.is_finite() && criterion.weight > 0.0) {
        return Err(invalid(
            format!("criteria[{i}].weight: must be a finite number > 0, got {}", criterion.weight),
            None,
        ));
    }
    let label = format!("criteria[{i}].expr");
    let expr::Compiled { sql, ty, position, indexed } =
        expr::compile(&criterion.expr, params, lookups).map_err(|e| located(&label, e))?;
    let value = match criterion.scoring {
        Scoring::Binary => {
            want(&label, ty, ValueType::Bool, "binary scoring", position)?;
            let value = format!("(CASE WHEN {sql} THEN 1 ELSE 0 END)::float8");
            return Ok((value, indexed.then_some(sql)));
        }
        Scoring::Linear { min, max } => {
            want(&label, ty, ValueType::Number, "linear scoring", position)?;
            if !(min.is_finite() && max.is_finite() && max > min) {
                return Err(invalid(
                    format!(
                        "criteria[{i}].scoring: linear needs finite min < max, got {min}..{max}"
                    ),
                    None,
                ));
            }
            let min = params.push(Param::Float(min));
            let max = params.push(Param::Float(max));
            format!(
                "COALESCE(LEAST(GREATEST((({sql})::float8 - {min}) / ({max} - {min}), 0), 1), 0)"
            )
        }
        Scoring::Log { max } => {
            want(&label, ty, ValueType::Number, "log scoring", position)?;
            if !(max.is_finite() && max > 0.0) {
                return Err(invalid(
                    format!("criteria[{i}].scoring: log needs a finite max > 0, got {max}"),
                    None,
                ));
            }
            let max = params.push(Param::Float(max));
            format!("COALESCE(LEAST(ln(1 + GREATEST(({sql})::float8, 0)) / ln(1 + {max}), 1), 0)")
        }
    };
    Ok((value, None))
}

fn invalid(message: impl Into<String>, position: Option<(u64, u64)>) -> QueryError {
    QueryError::InvalidQuery { message: message.into(), position }
}

fn located(label: &str, e: Invalid) -> QueryError {
    invalid(format!("{label}: {}", e.message), e.position)
}

fn want(
    label: &str,
    got: ValueType,
    want: ValueType,
    what: &str,
    position: Option<(u64, u64)>,
) -> Result<(), QueryError> {
    if got == want {
        Ok(())
    } else {
        Err(invalid(format!("{label}: {what} needs a {want} expression, got a {got}"), position))
    }
}
