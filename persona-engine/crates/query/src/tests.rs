//! Parsing, type-checking and compiling requests, and the errors of bad ones.

use proptest::prelude::*;
use rstest::rstest;

use crate::{
    Criterion, Cursor, MAX_CRITERIA, MAX_DEPTH, MAX_EXPR_LEN, MAX_LIMIT, MAX_LOOKUPS, MatchRequest,
    Param, QueryError, Scoring, compile,
};

fn criterion(expr: &str) -> Criterion {
    Criterion { expr: expr.into(), weight: 1.0, scoring: Scoring::Binary }
}

fn request(criteria: Vec<Criterion>, filter: Option<&str>) -> MatchRequest {
    MatchRequest { criteria, filter: filter.map(Into::into), limit: None, cursor: None }
}

/// The message and position of an invalid request.
fn rejected(request: &MatchRequest) -> (String, Option<(u64, u64)>) {
    match compile(request) {
        Err(QueryError::InvalidQuery { message, position }) => (message, position),
        other => panic!("expected an invalid query, got {other:?}"),
    }
}

fn rejected_expr(expr: &str) -> (String, Option<(u64, u64)>) {
    rejected(&request(vec![criterion(expr)], None))
}

/// The seed's example: high DeFi activity AND CEX VIP level > 3 AND Twitch followers > 10,000.
fn seed_example() -> MatchRequest {
    serde_json::from_value(serde_json::json!({
        "criteria": [
            { "expr": "defi_activity", "weight": 2, "scoring": { "mode": "log", "max": 1000 } },
            { "expr": "cex_vip_level > 3", "weight": 1 },
            { "expr": "twitch_followers > 10000", "weight": 1 }
        ],
        "limit": 10
    }))
    .unwrap()
}

#[test]
fn seed_example_compiles_to_one_parameterised_statement() {
    let compiled = compile(&seed_example()).unwrap();
    let sql = compiled.sql();
    assert!(sql.contains("FROM persona_features f WHERE TRUE"), "{sql}");
    assert!(sql.contains("ORDER BY r.pms DESC, r.passport_id ASC LIMIT"), "{sql}");
    assert!(sql.contains("ln(1 + GREATEST((f.defi_tx_count)::float8, 0))"), "{sql}");
    assert!(sql.contains("(f.cex_vip_level) > ($"), "{sql}");
    // No literal of the request is in the text.
    assert!(!sql.contains("1000") && !sql.contains("10000"), "{sql}");
    assert_eq!(
        compiled.params(),
        [
            Param::Float(1000.0),
            Param::Int(3),
            Param::Int(10000),
            Param::Float(2.0),
            Param::Float(1.0),
            Param::Float(1.0),
            Param::Float(4.0),
            Param::Int(11),
        ]
    );
}

#[test]
fn badge_form_of_the_seed_example_joins_the_badge_table_once() {
    let request = request(
        vec![criterion("has_badge(42)"), criterion("has_badge('0x2a') AND cex_vip_level > 3")],
        Some("has_badge(42)"),
    );
    let compiled = compile(&request).unwrap();
    let sql = compiled.sql();
    assert_eq!(sql.matches("LEFT JOIN persona_feature_badges").count(), 1, "{sql}");
    assert!(sql.contains("j0.class_id = $1::text::numeric"), "{sql}");
    assert_eq!(compiled.params()[0], Param::Text("42".into()));
}

#[test]
fn every_function_compiles_to_a_join() {
    let request = request(
        vec![
            Criterion {
                expr: "points('defi') + points('gaming')".into(),
                weight: 1.0,
                scoring: Scoring::Linear { min: 0.0, max: 500.0 },
            },
            Criterion {
                expr: "interest('gamefi')".into(),
                weight: 1.0,
                scoring: Scoring::Linear { min: 0.0, max: 1.0 },
            },
        ],
        Some("HAS_BADGE(7) OR interest('gamefi') > 0.5"),
    );
    let sql = compile(&request).unwrap().sql().to_owned();
    assert_eq!(sql.matches("LEFT JOIN persona_feature_points").count(), 2, "{sql}");
    assert_eq!(sql.matches("LEFT JOIN persona_interest").count(), 1, "{sql}");
    assert_eq!(sql.matches("LEFT JOIN persona_feature_badges").count(), 1, "{sql}");
}

#[test]
fn cursor_and_limit_are_parameters() {
    let mut request = seed_example();
    request.limit = Some(5);
    request.cursor = Some(Cursor { pms: 37.5, passport_id: 9 });
    let compiled = compile(&request).unwrap();
    assert!(compiled.sql().contains("WHERE r.pms < $"), "{}", compiled.sql());
    assert!(compiled.params().ends_with(&[Param::Float(37.5), Param::Int(9), Param::Int(6)]));
}

#[test]
fn json_is_camel_case_and_the_cursor_round_trips_bit_exactly() {
    let pms = 100.0 / 3.0;
    let page = crate::MatchPage {
        matches: vec![crate::Match {
            passport_id: 7,
            pms,
            breakdown: vec![crate::CriterionScore { value: 1.0, points: pms }],
        }],
        next_cursor: Some(Cursor { pms, passport_id: 7 }),
    };
    let json = serde_json::to_value(&page).unwrap();
    assert_eq!(json["matches"][0]["passportId"], 7);
    assert_eq!(json["matches"][0]["breakdown"][0]["value"], 1.0);
    let cursor = json["nextCursor"].as_str().unwrap();
    let back: Cursor = cursor.parse().unwrap();
    assert_eq!(back.pms.to_bits(), pms.to_bits());
    assert_eq!(serde_json::from_value::<crate::MatchPage>(json).unwrap(), page);

    let last = crate::MatchPage { matches: vec![], next_cursor: None };
    assert_eq!(serde_json::to_value(&last).unwrap()["nextCursor"], serde_json::Value::Null);
}

#[rstest]
#[case::not_a_cursor("abc")]
#[case::short_bits("0.1")]
#[case::nan("7ff8000000000000.1")]
#[case::bad_id("4049000000000000.x")]
fn bad_cursors_are_rejected(#[case] text: &str) {
    let error = text.parse::<Cursor>().unwrap_err();
    assert!(error.to_string().contains("cursor"), "{error}");
    let json = serde_json::json!({ "criteria": [{ "expr": "TRUE", "weight": 1 }], "cursor": text });
    assert!(serde_json::from_value::<MatchRequest>(json).is_err());
}

#[rstest]
#[case::unknown_field(serde_json::json!({ "criteria": [], "sql": "x" }))]
#[case::unknown_mode(serde_json::json!({ "criteria": [{ "expr": "x", "weight": 1, "scoring": { "mode": "exp" } }] }))]
#[case::unknown_scoring_field(serde_json::json!({ "criteria": [{ "expr": "x", "weight": 1, "scoring": { "mode": "log", "max": 1, "min": 0 } }] }))]
#[case::weight_as_string(serde_json::json!({ "criteria": [{ "expr": "x", "weight": "1" }] }))]
fn malformed_json_is_rejected(#[case] json: serde_json::Value) {
    assert!(serde_json::from_value::<MatchRequest>(json).is_err());
}

#[rstest]
#[case::unknown_feature("defi_activity > 3 AND folowers > 10", "unknown feature `folowers`", (1, 23))]
#[case::unknown_function("has_badges(3)", "unknown function `has_badges`", (1, 1))]
#[case::second_line("cex_vip_level > 3\n  AND nope", "unknown feature `nope`", (2, 7))]
#[case::type_mismatch("cex_exchange > 3", "type mismatch: expected a string, found a number", (1, 16))]
#[case::not_on_number("NOT nft_count", "expected a boolean, found a number", (1, 5))]
#[case::parse_error("cex_vip_level > ", "Expected: an expression", (1, 17))]
#[case::trailing("nft_count > 1 nft_count", "unexpected `nft_count`", (1, 15))]
#[case::subquery("nft_count IN (SELECT 1)", "subqueries are not allowed", (1, 1))]
#[case::null_literal("nft_count = NULL", "IS NULL", (1, 13))]
#[case::placeholder("nft_count > $1", "literal `$1` is not supported", (1, 13))]
#[case::column_arg("points(cex_exchange) > 1", "must be a literal", (1, 8))]
#[case::bad_class("has_badge('0xzz')", "is not a badge class id", (1, 11))]
#[case::arity("points('a', 'b') > 1", "takes 1 argument, got 2", (1, 1))]
#[case::like("cex_exchange LIKE 'b%'", "is not allowed", (1, 1))]
#[case::compound("f.nft_count > 1", "unknown feature `f.nft_count`", (1, 1))]
#[case::empty("   ", "empty expression", (1, 1))]
fn invalid_expressions_are_located(
    #[case] expr: &str,
    #[case] message: &str,
    #[case] position: (u64, u64),
) {
    let (got, at) = rejected_expr(expr);
    assert!(got.starts_with("criteria[0].expr: "), "{got}");
    assert!(got.contains(message), "{got:?} does not contain {message:?}");
    assert_eq!(at, Some(position), "{got}");
}

#[test]
fn the_part_of_the_request_is_named() {
    let (message, at) =
        rejected(&request(vec![criterion("nft_count > 1"), criterion("zzz")], None));
    assert!(message.starts_with("criteria[1].expr: unknown feature `zzz`"), "{message}");
    assert_eq!(at, Some((1, 1)));

    let (message, at) = rejected(&request(vec![criterion("nft_count > 1")], Some("nft_count")));
    assert!(message.starts_with("filter: a filter needs a boolean expression"), "{message}");
    assert_eq!(at, Some((1, 1)));

    let numeric = Criterion {
        expr: "nft_count > 1".into(),
        weight: 1.0,
        scoring: Scoring::Log { max: 10.0 },
    };
    let (message, _) = rejected(&request(vec![numeric], None));
    assert!(message.starts_with("criteria[0].expr: log scoring needs a number"), "{message}");
}

#[rstest]
#[case::zero_weight(Criterion { expr: "TRUE".into(), weight: 0.0, scoring: Scoring::Binary }, "criteria[0].weight")]
#[case::negative_weight(Criterion { expr: "TRUE".into(), weight: -1.0, scoring: Scoring::Binary }, "criteria[0].weight")]
#[case::nan_weight(Criterion { expr: "TRUE".into(), weight: f64::NAN, scoring: Scoring::Binary }, "criteria[0].weight")]
#[case::infinite_weight(Criterion { expr: "TRUE".into(), weight: f64::INFINITY, scoring: Scoring::Binary }, "criteria[0].weight")]
#[case::empty_range(Criterion { expr: "nft_count".into(), weight: 1.0, scoring: Scoring::Linear { min: 5.0, max: 5.0 } }, "criteria[0].scoring")]
#[case::log_zero(Criterion { expr: "nft_count".into(), weight: 1.0, scoring: Scoring::Log { max: 0.0 } }, "criteria[0].scoring")]
fn bad_weights_and_scorings_are_rejected(#[case] criterion: Criterion, #[case] part: &str) {
    let (message, at) = rejected(&request(vec![criterion], None));
    assert!(message.starts_with(part), "{message}");
    assert_eq!(at, None);
}

#[test]
fn limits_are_enforced() {
    let (message, _) = rejected(&request(vec![], None));
    assert!(message.contains("at least one criterion"), "{message}");

    let many = vec![criterion("TRUE"); MAX_CRITERIA + 1];
    let (message, _) = rejected(&request(many, None));
    assert!(message.contains("the limit is 32"), "{message}");

    for limit in [0, MAX_LIMIT + 1] {
        let mut req = request(vec![criterion("TRUE")], None);
        req.limit = Some(limit);
        let (message, _) = rejected(&req);
        assert!(message.starts_with("limit:"), "{message}");
    }

    let long = format!("nft_count > {}", "1".repeat(MAX_EXPR_LEN));
    let (message, _) = rejected_expr(&long);
    assert!(message.contains("bytes long"), "{message}");

    // Left-deep chains are not bounded by the parser's recursion limit; the translator's is.
    let chain = vec!["nft_count"; MAX_DEPTH + 1].join(" + ");
    let (message, at) = rejected(&request(
        vec![Criterion { expr: chain, weight: 1.0, scoring: Scoring::Log { max: 1.0 } }],
        None,
    ));
    assert!(message.contains("nests deeper than"), "{message}");
    assert!(at.is_some());

    let nested = format!("{}TRUE{}", "(".repeat(200), ")".repeat(200));
    let (message, _) = rejected_expr(&nested);
    assert!(message.contains("nests deeper than"), "{message}");

    let calls: Vec<String> = (0..=MAX_LOOKUPS).map(|i| format!("has_badge({i})")).collect();
    let (message, _) = rejected_expr(&calls.join(" OR "));
    assert!(message.contains("distinct function calls"), "{message}");
}

/// A valid expression of the given type, from a small grammar.
fn valid_bool() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just("nft_count".to_owned()),
        Just("twitch_followers".to_owned()),
        Just("points('defi')".to_owned()),
        Just("interest('gamefi')".to_owned()),
        (0i64..1_000_000).prop_map(|n| n.to_string()),
        (0.0f64..1.0).prop_map(|x| format!("{x}")),
    ];
    let number = number.prop_recursive(3, 8, 2, |inner| {
        (inner.clone(), prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")], inner)
            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
    });
    let leaf = prop_oneof![
        (number.clone(), prop_oneof![Just(">"), Just("<="), Just("="), Just("<>")], number)
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (0u64..1000).prop_map(|id| format!("has_badge({id})")),
        "[a-z' ]{0,8}".prop_map(|s| format!("cex_exchange = '{}'", s.replace('\'', "''"))),
        Just("cex_vip_level IS NOT NULL".to_owned()),
        Just("steam_games BETWEEN 1 AND 10".to_owned()),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), prop_oneof![Just("AND"), Just("OR")], inner.clone())
                .prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

proptest! {
    #[test]
    fn random_valid_requests_compile(
        exprs in proptest::collection::vec(valid_bool(), 1..6),
        weights in proptest::collection::vec(0.001f64..100.0, 6),
        filter in proptest::option::of(valid_bool()),
    ) {
        let criteria = exprs
            .into_iter()
            .zip(weights)
            .map(|(expr, weight)| Criterion { expr, weight, scoring: Scoring::Binary })
            .collect();
        let req = MatchRequest { criteria, filter, limit: Some(50), cursor: None };
        let compiled = compile(&req);
        prop_assert!(compiled.is_ok(), "{:?} -> {:?}", req, compiled);
    }

    #[test]
    fn garbage_never_panics(expr in "\\PC{0,200}", filter in "[ -~]{0,100}") {
        let _ = compile(&request(vec![criterion(&expr)], Some(&filter)));
    }

    #[test]
    fn sql_like_garbage_never_panics(
        tokens in proptest::collection::vec(
            prop_oneof![
                Just("("), Just(")"), Just("AND"), Just("NOT"), Just("+"), Just("'x'"), Just("1"),
                Just("nft_count"), Just("has_badge("), Just("points("), Just(","), Just("IN"),
                Just("SELECT"), Just("IS"), Just("NULL"), Just("BETWEEN"), Just("0x1f"),
                Just("--"), Just("/*"), Just("$1"), Just(";"), Just("\n"),
            ],
            0..60,
        ),
    ) {
        let _ = compile(&request(vec![criterion(&tokens.join(" "))], None));
    }
}

/// The reference (`docs/persona-query.md`) shows the SQL emitted for the seed example; keep it
/// true.
#[test]
fn documented_sql_is_what_the_compiler_emits() {
    let doc = include_str!("../../../../docs/persona-query.md");
    let block = doc
        .split("```sql\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("an sql block in docs/persona-query.md");
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let compiled = compile(&seed_example()).unwrap();
    assert_eq!(squeeze(block), squeeze(compiled.sql()));
}
