//! Parsing one expression (a SQL `WHERE` subset, via `sqlparser`) and translating it into a typed
//! SQL fragment over `persona_features AS f` and the lookup joins its function calls need, with
//! every literal moved into a bind parameter.

use crate::catalogue::{self, ArgKind, FEATURES, FUNCTIONS, Lookup, ValueType};
use alloy_primitives::U256;
use sqlparser::{
    ast::{
        BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget,
        ObjectNamePart, Spanned, UnaryOperator, Value,
    },
    dialect::GenericDialect,
    parser::{Parser, ParserError},
    tokenizer::{Span, Token},
};

/// The longest expression accepted, in bytes: queries are short, and the limit bounds parse time.
pub const MAX_EXPR_LEN: usize = 4096;

/// How deep expressions may nest; deeper input is rejected before it can exhaust the stack.
/// sqlparser's own recursion limit does not bound left-deep chains such as `a + a + a ...`, so
/// the translator counts too.
pub const MAX_DEPTH: usize = 64;

/// The most distinct function calls (each one a join) in one request.
pub const MAX_LOOKUPS: usize = 16;

/// A value bound to the compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Bound as `int8`.
    Int(i64),
    /// Bound as `float8`.
    Float(f64),
    /// Bound as `text` (and cast in SQL where another type is meant, e.g. `numeric`).
    Text(String),
}

/// The parameters of a statement being built; `$1` is the first.
#[derive(Debug, Default)]
pub(crate) struct Params(pub(crate) Vec<Param>);

/// The lookup joins of a statement being built: one per distinct function call, shared by every
/// expression of the request.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    /// (function name, argument) of each join, in alias order (`j0`, `j1`, ...).
    calls: Vec<(&'static str, String)>,
    /// The `LEFT JOIN ...` clauses.
    pub(crate) joins: Vec<String>,
}

impl Params {
    /// Adds a parameter and returns its placeholder, with an explicit cast so that Postgres
    /// never has to guess its type.
    pub(crate) fn push(&mut self, param: Param) -> String {
        let cast = match param {
            Param::Int(_) => "int8",
            Param::Float(_) => "float8",
            Param::Text(_) => "text",
        };
        self.0.push(param);
        format!("${}::{cast}", self.0.len())
    }
}

/// A rejected expression: what is wrong and where (line, column; 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) message: String,
    pub(crate) position: Option<(u64, u64)>,
}

impl Invalid {
    fn at(message: impl Into<String>, span: Span) -> Self {
        // sqlparser uses line 0 for nodes without a known location.
        let position = (span.start.line > 0).then_some((span.start.line, span.start.column));
        Self { message: message.into(), position }
    }
}

/// A translated expression.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// The SQL fragment.
    pub(crate) sql: String,
    /// Its type, which the caller checks against what it needs.
    pub(crate) ty: ValueType,
    /// Where the expression starts, for errors about the whole of it.
    pub(crate) position: Option<(u64, u64)>,
    /// Whether the rows where it is true can be found through an index (see [`indexed`]).
    pub(crate) indexed: bool,
}

/// Parses `src` and translates it.
pub(crate) fn compile(
    src: &str,
    params: &mut Params,
    lookups: &mut Lookups,
) -> Result<Compiled, Invalid> {
    if src.len() > MAX_EXPR_LEN {
        return Err(Invalid {
            message: format!("expression is {} bytes long; the limit is {MAX_EXPR_LEN}", src.len()),
            position: None,
        });
    }
    let expr = parse(src)?;
    let (sql, ty) = Translator { params, lookups, depth: 0 }.expr(&expr)?;
    let position = Invalid::at("", expr.span()).position;
    Ok(Compiled { sql, ty, position, indexed: indexed(&expr) })
}

/// Whether Postgres can find the rows where a (type-checked) boolean expression is true through
/// an index rather than a scan: a comparison of an indexed feature column with literals,
/// `has_badge(..)`, or a conjunction with such a part. Conservative: `false` only costs the
/// ranking its shortcut (see `prune`), never correctness.
fn indexed(expr: &Expr) -> bool {
    use BinaryOperator as B;
    match expr {
        Expr::Nested(inner) => indexed(inner),
        Expr::BinaryOp { left, op: B::And, right } => indexed(left) || indexed(right),
        Expr::BinaryOp { left, op: B::Eq | B::Lt | B::LtEq | B::Gt | B::GtEq, right } => {
            (column(left) && literal(right)) || (literal(left) && column(right))
        }
        Expr::Between { expr, negated: false, low, high } => {
            column(expr) && literal(low) && literal(high)
        }
        Expr::In { expr, target: InTarget::List(list), negated: false, .. } => {
            column(expr) && list.iter().all(literal)
        }
        Expr::IsNotNull(inner) => column(inner),
        Expr::Function(call) => matches!(
            call.name.0.as_slice(),
            [ObjectNamePart::Identifier(name)]
                if catalogue::function(&name.value)
                    .is_some_and(|f| matches!(f.lookup, Lookup::Exists { .. }))
        ),
        _ => false,
    }
}

/// A feature that is a plain indexed column of `persona_features` (every such column has a
/// btree index, migration 30001).
fn column(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => column(inner),
        Expr::Identifier(ident) => catalogue::feature(&ident.value).is_some_and(|f| {
            f.sql
                .strip_prefix("f.")
                .is_some_and(|c| c.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()))
        }),
        _ => false,
    }
}

/// A literal that compares with a column without casting the column: an integer (bound as
/// `int8`, in the integer operator family) or a string. A fractional number would cast an
/// integer column to `float8` and lose its index.
fn literal(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => literal(inner),
        Expr::UnaryOp { op: UnaryOperator::Minus | UnaryOperator::Plus, expr } => {
            matches!(&**expr, Expr::Value(v) if matches!(&v.value, Value::Number(text, _) if text.parse::<i64>().is_ok()))
        }
        Expr::Value(v) => match &v.value {
            Value::Number(text, _) => text.parse::<i64>().is_ok(),
            Value::SingleQuotedString(_) => true,
            _ => false,
        },
        _ => false,
    }
}

fn parse(src: &str) -> Result<Expr, Invalid> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(MAX_DEPTH)
        .try_with_sql(src)
        .map_err(|e| parser_error(e, src))?;
    if parser.peek_token_ref().token == Token::EOF {
        return Err(Invalid { message: "empty expression".into(), position: Some((1, 1)) });
    }
    let expr = parser.parse_expr().map_err(|e| parser_error(e, src))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(Invalid::at(
            format!("unexpected `{}` after the end of the expression", next.token),
            next.span,
        ));
    }
    Ok(expr)
}

/// sqlparser reports positions only inside its messages (`… at Line: 1, Column: 5`); split them
/// off so the caller gets them as data. A message without one (e.g. at the end of the input)
/// points just past the last character.
fn parser_error(error: ParserError, src: &str) -> Invalid {
    let message = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => {
            return Invalid {
                message: format!("expression nests deeper than {MAX_DEPTH} levels"),
                position: None,
            };
        }
    };
    if let Some((text, location)) = message.rsplit_once(" at Line: ")
        && let Some((line, column)) = location.split_once(", Column: ")
        && let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse())
        && line > 0
    {
        return Invalid { message: text.to_string(), position: Some((line, column)) };
    }
    Invalid { message, position: Some(end_of(src)) }
}

/// The position just after the last character of `src`.
fn end_of(src: &str) -> (u64, u64) {
    let line = src.split('\n').count() as u64;
    let last = src.rsplit('\n').next().unwrap_or_default();
    (line, last.chars().count() as u64 + 1)
}

struct Translator<'a> {
    params: &'a mut Params,
    lookups: &'a mut Lookups,
    depth: usize,
}

impl Translator<'_> {
    fn expr(&mut self, expr: &Expr) -> Result<(String, ValueType), Invalid> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Invalid::at(
                format!("expression nests deeper than {MAX_DEPTH} levels"),
                expr.span(),
            ));
        }
        let translated = self.node(expr);
        self.depth -= 1;
        translated
    }

    fn node(&mut self, expr: &Expr) -> Result<(String, ValueType), Invalid> {
        match expr {
            Expr::Identifier(ident) => match catalogue::feature(&ident.value) {
                Some(feature) => Ok((feature.sql.to_string(), feature.ty)),
                None => Err(Invalid::at(
                    format!(
                        "unknown feature `{}`; known features: {}",
                        ident.value,
                        feature_names()
                    ),
                    ident.span,
                )),
            },
            Expr::CompoundIdentifier(_) => Err(Invalid::at(
                format!("unknown feature `{expr}`; known features: {}", feature_names()),
                expr.span(),
            )),
            Expr::Value(value) => self.literal(&value.value, value.span),
            Expr::Nested(inner) => {
                let (sql, ty) = self.expr(inner)?;
                Ok((format!("({sql})"), ty))
            }
            Expr::UnaryOp { op, expr: inner } => {
                let (sql, ty) = self.expr(inner)?;
                let (want, sql) = match op {
                    UnaryOperator::Not => (ValueType::Bool, format!("NOT ({sql})")),
                    UnaryOperator::Minus => (ValueType::Number, format!("-({sql})")),
                    UnaryOperator::Plus => (ValueType::Number, sql),
                    _ => return Err(not_allowed(expr)),
                };
                expect(ty, want, inner)?;
                Ok((sql, want))
            }
            Expr::BinaryOp { left, op, right } => self.binary(expr, left, op, right),
            Expr::IsNull(inner) => {
                Ok((format!("({}) IS NULL", self.expr(inner)?.0), ValueType::Bool))
            }
            Expr::IsNotNull(inner) => {
                Ok((format!("({}) IS NOT NULL", self.expr(inner)?.0), ValueType::Bool))
            }
            Expr::In { expr: inner, target, negated, .. } => {
                let list = match target {
                    InTarget::List(list) => list,
                    InTarget::Subquery(_) => return Err(subquery(expr)),
                    _ => return Err(not_allowed(expr)),
                };
                let (sql, ty) = self.expr(inner)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (item_sql, item_ty) = self.expr(item)?;
                    expect(item_ty, ty, item)?;
                    items.push(item_sql);
                }
                let not = if *negated { "NOT " } else { "" };
                Ok((format!("({sql}) {not}IN ({})", items.join(", ")), ValueType::Bool))
            }
            Expr::Between { expr: inner, negated, low, high } => {
                let (sql, ty) = self.expr(inner)?;
                if ty == ValueType::Bool {
                    return Err(mismatch(ValueType::Number, ty, inner));
                }
                let (low_sql, low_ty) = self.expr(low)?;
                expect(low_ty, ty, low)?;
                let (high_sql, high_ty) = self.expr(high)?;
                expect(high_ty, ty, high)?;
                let not = if *negated { "NOT " } else { "" };
                Ok((format!("({sql}) {not}BETWEEN ({low_sql}) AND ({high_sql})"), ValueType::Bool))
            }
            Expr::Function(function) => self.function(expr, function),
            Expr::Subquery(_) | Expr::Exists { .. } => Err(subquery(expr)),
            _ => Err(not_allowed(expr)),
        }
    }

    fn literal(&mut self, value: &Value, span: Span) -> Result<(String, ValueType), Invalid> {
        match value {
            Value::Number(text, _) => {
                Ok((self.params.push(number(text, span)?), ValueType::Number))
            }
            Value::SingleQuotedString(text) => {
                Ok((self.params.push(Param::Text(text.clone())), ValueType::Text))
            }
            // Constants of the language, not user text.
            Value::Boolean(true) => Ok(("TRUE".into(), ValueType::Bool)),
            Value::Boolean(false) => Ok(("FALSE".into(), ValueType::Bool)),
            Value::Null => Err(Invalid::at(
                "NULL is not a value here; write `feature IS NULL` or `feature IS NOT NULL`",
                span,
            )),
            other => Err(Invalid::at(
                format!(
                    "literal `{other}` is not supported; use numbers and 'single-quoted' strings"
                ),
                span,
            )),
        }
    }

    fn binary(
        &mut self,
        whole: &Expr,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
    ) -> Result<(String, ValueType), Invalid> {
        use BinaryOperator as B;
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        match op {
            B::And | B::Or => {
                expect(lt, ValueType::Bool, left)?;
                expect(rt, ValueType::Bool, right)?;
                let op = if *op == B::And { "AND" } else { "OR" };
                Ok((format!("({l}) {op} ({r})"), ValueType::Bool))
            }
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                expect(rt, lt, right)?;
                let sql_op = match op {
                    B::Eq => "=",
                    B::NotEq => "<>",
                    B::Lt => "<",
                    B::LtEq => "<=",
                    B::Gt => ">",
                    _ => ">=",
                };
                if lt == ValueType::Bool && !matches!(op, B::Eq | B::NotEq) {
                    return Err(Invalid::at(
                        "booleans can only be compared with = and !=",
                        whole.span(),
                    ));
                }
                Ok((format!("({l}) {sql_op} ({r})"), ValueType::Bool))
            }
            B::Plus | B::Minus | B::Multiply | B::Divide => {
                expect(lt, ValueType::Number, left)?;
                expect(rt, ValueType::Number, right)?;
                let sql = match op {
                    B::Plus => format!("({l}) + ({r})"),
                    B::Minus => format!("({l}) - ({r})"),
                    B::Multiply => format!("({l}) * ({r})"),
                    // Float division: integer division would truncate, and x / 0 is NULL rather
                    // than an error that aborts the whole ranking.
                    _ => format!("({l})::float8 / NULLIF(({r})::float8, 0)"),
                };
                Ok((sql, ValueType::Number))
            }
            _ => Err(Invalid::at(
                format!(
                    "operator `{op}` is not supported; use AND, OR, NOT, = != < <= > >=, + - * /"
                ),
                whole.span(),
            )),
        }
    }

    fn function(
        &mut self,
        whole: &Expr,
        call: &sqlparser::ast::Function,
    ) -> Result<(String, ValueType), Invalid> {
        let name = match call.name.0.as_slice() {
            [ObjectNamePart::Identifier(ident)] => ident,
            _ => return Err(unknown_function(&call.name.to_string(), whole.span())),
        };
        let Some(def) = catalogue::function(&name.value) else {
            return Err(unknown_function(&name.value, name.span));
        };
        let plain = !call.uses_odbc_syntax
            && matches!(call.parameters, FunctionArguments::None)
            && call.within_group.is_empty()
            && call.filter.is_none()
            && call.null_treatment.is_none()
            && call.over.is_none();
        let args = match &call.args {
            FunctionArguments::List(list)
                if plain && list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
            {
                &list.args
            }
            FunctionArguments::Subquery(_) => return Err(subquery(whole)),
            _ => return Err(not_allowed(whole)),
        };
        let [arg] = args.as_slice() else {
            return Err(Invalid::at(
                format!("function `{}` takes 1 argument, got {}", def.name, args.len()),
                whole.span(),
            ));
        };
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value))) = arg else {
            return Err(Invalid::at(
                format!("the argument of `{}` must be a literal", def.name),
                arg.span(),
            ));
        };
        // The argument as bound: the category, or the class id in canonical decimal (so that
        // `has_badge(0x10)` and `has_badge(16)` share one join).
        let key_value = match (def.arg, &value.value) {
            (ArgKind::Text, Value::SingleQuotedString(text)) => text.clone(),
            (ArgKind::ClassId, Value::SingleQuotedString(text) | Value::Number(text, _)) => {
                class_id(text).ok_or_else(|| {
                    Invalid::at(
                        format!("`{text}` is not a badge class id (a decimal or 0x-hex uint256)"),
                        value.span,
                    )
                })?
            }
            // sqlparser reads an unquoted `0x2a` as a hex literal.
            (ArgKind::ClassId, Value::HexStringLiteral(hex)) => class_id(&format!("0x{hex}"))
                .ok_or_else(|| {
                    Invalid::at(
                        format!("`0x{hex}` is not a badge class id (a uint256)"),
                        value.span,
                    )
                })?,
            (ArgKind::Text, _) => {
                return Err(Invalid::at(
                    format!("the argument of `{}` must be a 'single-quoted' string", def.name),
                    value.span,
                ));
            }
            (ArgKind::ClassId, _) => {
                return Err(Invalid::at(
                    format!("the argument of `{}` must be a badge class id", def.name),
                    value.span,
                ));
            }
        };
        let alias = self.lookup(def, key_value, whole)?;
        let sql = match def.lookup {
            Lookup::Exists { .. } => format!("({alias}.passport_id IS NOT NULL)"),
            Lookup::Value { column, missing, .. } => {
                format!("COALESCE({alias}.{column}, {missing})")
            }
        };
        Ok((sql, def.returns))
    }

    /// The alias of the join for this call, adding the join on its first use.
    fn lookup(
        &mut self,
        def: &catalogue::Function,
        key_value: String,
        whole: &Expr,
    ) -> Result<String, Invalid> {
        let calls = &mut self.lookups.calls;
        if let Some(i) = calls.iter().position(|(n, v)| *n == def.name && *v == key_value) {
            return Ok(format!("j{i}"));
        }
        if calls.len() == MAX_LOOKUPS {
            return Err(Invalid::at(
                format!("more than {MAX_LOOKUPS} distinct function calls in one request"),
                whole.span(),
            ));
        }
        let alias = format!("j{}", calls.len());
        calls.push((def.name, key_value.clone()));
        let mut placeholder = self.params.push(Param::Text(key_value));
        if def.arg == ArgKind::ClassId {
            placeholder.push_str("::numeric");
        }
        let (table, key, expires) = match def.lookup {
            Lookup::Exists { table, key, expires } => (table, key, expires),
            Lookup::Value { table, key, .. } => (table, key, None),
        };
        let mut join = format!(
            "LEFT JOIN {table} {alias} ON {alias}.passport_id = f.passport_id \
             AND {alias}.{key} = {placeholder}"
        );
        if let Some(column) = expires {
            join.push_str(&format!(" AND ({alias}.{column} IS NULL OR {alias}.{column} > now())"));
        }
        self.lookups.joins.push(join);
        Ok(alias)
    }
}

/// A numeric literal: `int8` when it is an integer that fits (so comparisons with integer
/// columns use their indexes), else a finite `float8`.
fn number(text: &str, span: Span) -> Result<Param, Invalid> {
    if let Ok(int) = text.parse::<i64>() {
        return Ok(Param::Int(int));
    }
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() => Ok(Param::Float(float)),
        _ => Err(Invalid::at(format!("`{text}` is not a finite number"), span)),
    }
}

/// A badge class id in decimal, from decimal or `0x` hex text (uint256).
fn class_id(text: &str) -> Option<String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            U256::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) => {
            U256::from_str_radix(text, 10).ok()
        }
        None => None,
    };
    parsed.map(|id| id.to_string())
}

fn expect(got: ValueType, want: ValueType, at: &Expr) -> Result<(), Invalid> {
    if got == want { Ok(()) } else { Err(mismatch(want, got, at)) }
}

fn mismatch(want: ValueType, got: ValueType, at: &Expr) -> Invalid {
    Invalid::at(format!("type mismatch: expected a {want}, found a {got} in `{at}`"), at.span())
}

fn subquery(at: &Expr) -> Invalid {
    Invalid::at("subqueries are not allowed", at.span())
}

fn not_allowed(at: &Expr) -> Invalid {
    let mut shown = at.to_string();
    if shown.len() > 60 {
        let cut = (0..=60).rev().find(|&i| shown.is_char_boundary(i)).unwrap_or(0);
        shown.truncate(cut);
        shown.push('…');
    }
    Invalid::at(format!("`{shown}` is not allowed in a query"), at.span())
}

fn unknown_function(name: &str, span: Span) -> Invalid {
    let known: Vec<_> = FUNCTIONS.iter().map(|f| f.name).collect();
    Invalid::at(format!("unknown function `{name}`; known functions: {}", known.join(", ")), span)
}

fn feature_names() -> String {
    FEATURES.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}
