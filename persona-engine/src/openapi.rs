//! The OpenAPI 3.1 document served at `GET /openapi.json`.
//!
//! The wire types live in other crates (the query crate's `MatchRequest`/`MatchPage`, the SDK's
//! `ValidatorResult`) without OpenAPI derives, so their schemas are declared here once, as
//! documentation-only structs with the same serde shape; a unit test serialises real values
//! and checks every field they produce is in the schema, so the two cannot drift apart
//! silently.

#![allow(dead_code)] // The doc structs exist only for their derived schemas.

use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The document.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "T-Rex persona engine",
        description = "Ranks T-Rex passports by the Persona Matching Score and receives validator results. See docs/persona-api.md."
    ),
    paths(match_passports, validator_results, health, metrics, openapi_json),
    components(schemas(
        MatchRequest, Criterion, Scoring, MatchPage, Match, CriterionScore,
        ValidatorResult, PersonaFact, GatewayAck, ErrorBody, Position, Health
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A target profile: weighted criteria, an optional hard filter, and the page.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct MatchRequest {
    /// The weighted criteria (1 to 32).
    criteria: Vec<Criterion>,
    /// A boolean expression every result must satisfy.
    filter: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
    /// Continue after this position: the previous page's `nextCursor` (an opaque string).
    cursor: Option<String>,
}

/// One weighted criterion, in the SQL-WHERE-subset language.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Criterion {
    /// The expression: boolean for `binary` scoring, numeric otherwise.
    #[schema(example = "cex_vip_level > 3")]
    expr: String,
    /// Its weight, finite and > 0.
    weight: f64,
    /// How its value maps into [0, 1] (default `{"mode": "binary"}`).
    scoring: Option<Scoring>,
}

/// How a criterion's value maps into V ∈ [0, 1], tagged by `mode`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "mode", rename_all = "lowercase")]
enum Scoring {
    /// 1 when the boolean expression holds, else 0.
    Binary,
    /// (x − min) / (max − min), clamped to [0, 1].
    Linear {
        /// The value scoring 0.
        min: f64,
        /// The value scoring 1.
        max: f64,
    },
    /// ln(1 + x) / ln(1 + max), clamped to [0, 1].
    Log {
        /// The value scoring 1.
        max: f64,
    },
}

/// One page of ranked passports.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct MatchPage {
    /// The results, best first.
    matches: Vec<Match>,
    /// Where the next page starts (opaque; pass it back as `cursor`); null when this page was
    /// not full.
    next_cursor: Option<String>,
}

/// One ranked passport.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Match {
    /// The passport id.
    passport_id: i64,
    /// Its Persona Matching Score, 0–100.
    pms: f64,
    /// One entry per criterion, in request order.
    breakdown: Vec<CriterionScore>,
}

/// A criterion's part in a PMS.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CriterionScore {
    /// V(Cᵢ) ∈ [0, 1].
    value: f64,
    /// wᵢ·V(Cᵢ) / Σw × 100.
    points: f64,
}

/// The facts one validation proved about one passport.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ValidatorResult {
    /// The idempotency key: 1 to 128 characters of `[A-Za-z0-9._:-]`.
    #[schema(example = "0x5a0b…:1")]
    id: String,
    /// The passport, a uint256 as a 0x-hex or decimal string.
    passport_id: String,
    /// The validator's signing address.
    validator: String,
    /// When the facts were proven (Unix seconds).
    observed_at: u64,
    /// What was proven; at least one.
    facts: Vec<PersonaFact>,
}

/// One proven fact.
#[derive(Serialize, ToSchema)]
// utoipa does not read `rename_all_fields`: the two multi-word fields are renamed one by one.
#[serde(tag = "kind", rename_all = "camelCase")]
enum PersonaFact {
    /// Total assets on an exchange, in US cents (a decimal string).
    CexTotalAssets {
        exchange: String,
        #[serde(rename = "usdCents")]
        usd_cents: String,
    },
    /// VIP level on an exchange.
    CexVipLevel { exchange: String, level: u32 },
    /// Followers on `twitch` or `x`.
    Followers { platform: String, count: u64 },
    /// YouTube channel subscribers.
    YoutubeSubscribers { count: u64 },
    /// An active paid subscription.
    Subscription { platform: String, plan: String },
    /// Games in the Steam library.
    SteamGames { count: u64 },
    /// Student at this e-mail domain.
    Student { domain: String },
    /// Follows `target` on `platform`.
    SocialFollow { platform: String, target: String },
    /// Transactions with contracts of a category (e.g. `defi`) on a CAIP-2 chain.
    ContractActivity { chain: String, category: String, transactions: u64 },
    /// NFTs held on a CAIP-2 chain.
    NftHoldings { chain: String, count: u64 },
    /// Posts on `platform` matching `query`.
    SocialPosts {
        platform: String,
        query: String,
        #[serde(rename = "matchingPosts")]
        matching_posts: u64,
    },
}

/// The gateway's answer: the result was stored now, or had been before.
#[derive(Serialize, ToSchema)]
struct GatewayAck {
    /// `stored` or `duplicate`.
    #[schema(example = "stored")]
    status: String,
    /// The result's id.
    id: String,
}

/// Every error.
#[derive(Serialize, ToSchema)]
struct ErrorBody {
    /// A stable code: `unauthorized`, `rate_limited`, `body_too_large`, `invalid_request`,
    /// `invalid_query`, `conflict`, `not_found`, `internal`, `unhealthy`.
    error: String,
    /// What went wrong, for a human.
    message: String,
    /// For `invalid_query`: where in the expression named by the message (null when the fault
    /// has no position).
    position: Option<Position>,
}

/// A position in an expression, both 1-based.
#[derive(Serialize, ToSchema)]
struct Position {
    line: u64,
    column: u64,
}

/// Liveness.
#[derive(Serialize, ToSchema)]
struct Health {
    /// `ok`.
    status: String,
}

/// Ranks passports by the Persona Matching Score.
#[utoipa::path(
    post, path = "/v1/match", tag = "match",
    request_body = MatchRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of ranked passports with breakdowns", body = MatchPage),
        (status = 400, description = "Malformed body or invalid query (with position)", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a request is accepted"))),
    )
)]
fn match_passports() {}

/// Receives a validator result (HMAC-signed by a configured client).
#[utoipa::path(
    post, path = "/v1/gateway/validator-results", tag = "gateway",
    request_body = ValidatorResult,
    params(
        ("x-trex-client" = String, Header, description = "The client id"),
        ("x-trex-timestamp" = u64, Header, description = "Unix seconds; within ±300 s of the server"),
        ("x-trex-signature" = String, Header, description = "sha256=<hex HMAC-SHA256(key, \"<timestamp>.\" ‖ body)>"),
    ),
    responses(
        (status = 200, description = "Stored, or already stored under this id", body = GatewayAck),
        (status = 400, description = "Not a valid result", body = ErrorBody),
        (status = 401, description = "Unknown client, stale timestamp or bad signature", body = ErrorBody),
        (status = 409, description = "The id was stored with other content", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
    )
)]
fn validator_results() {}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
fn health() {}

/// Prometheus metrics (text format).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
fn metrics() {}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
fn openapi_json() {}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};
    use serde_json::{Value, json};
    use trex_sdk::persona::PersonaFact as Fact;

    use super::*;

    /// Whether every key of `value` is a property of `schema`, following `$ref`s, array items,
    /// `oneOf` alternatives and `allOf` parts.
    fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.trim_start_matches("#/components/schemas/");
            return fits(doc, &doc["components"]["schemas"][name], value, at);
        }
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            return if alternatives.iter().any(|alt| fits(doc, alt, value, at).is_ok()) {
                Ok(())
            } else {
                Err(format!("{at}: {value} fits no alternative of {schema}"))
            };
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            // An object fits when each key is declared by some part.
            if let Value::Object(object) = value {
                for (key, inner) in object {
                    let declared = parts.iter().any(|part| {
                        fits(doc, part, &json!({ key.clone(): inner.clone() }), at).is_ok()
                    });
                    if !declared {
                        return Err(format!("{at}.{key} missing from {schema}"));
                    }
                }
                return Ok(());
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("{at}: {value} not in {allowed:?}"));
        }
        match value {
            Value::Object(object) => {
                for (key, inner) in object {
                    let prop = schema["properties"]
                        .get(key)
                        .ok_or_else(|| format!("{at}.{key} missing from {schema}"))?;
                    fits(doc, prop, inner, &format!("{at}.{key}"))?;
                }
                Ok(())
            }
            Value::Array(items) => items
                .iter()
                .try_for_each(|item| fits(doc, &schema["items"], item, &format!("{at}[]"))),
            _ => Ok(()),
        }
    }

    fn check(doc: &Value, name: &str, value: &impl Serialize) {
        let value = serde_json::to_value(value).unwrap();
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        if let Err(err) = fits(doc, &schema, &value, name) {
            panic!("{err}");
        }
    }

    #[test]
    fn lists_every_route_and_parses_as_openapi_31() {
        let text = serde_json::to_string(&document()).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let paths: Vec<&str> =
            doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        for route in
            ["/v1/match", "/v1/gateway/validator-results", "/health", "/metrics", "/openapi.json"]
        {
            assert!(paths.contains(&route), "{route} missing from {paths:?}");
        }
        assert_eq!(doc["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
    }

    #[test]
    fn schemas_cover_the_real_wire_types() {
        let doc = serde_json::to_value(document()).unwrap();
        let request = trex_persona_query::MatchRequest {
            criteria: vec![trex_persona_query::Criterion {
                expr: "cex_vip_level > 3".into(),
                weight: 2.0,
                scoring: trex_persona_query::Scoring::Linear { min: 0.0, max: 10.0 },
            }],
            filter: Some("twitch_followers > 10000".into()),
            limit: Some(10),
            cursor: Some(trex_persona_query::Cursor { pms: 50.0, passport_id: 3 }),
        };
        check(&doc, "MatchRequest", &request);
        let page = trex_persona_query::MatchPage {
            matches: vec![trex_persona_query::Match {
                passport_id: 1,
                pms: 75.0,
                breakdown: vec![trex_persona_query::CriterionScore { value: 0.5, points: 25.0 }],
            }],
            next_cursor: Some(trex_persona_query::Cursor { pms: 75.0, passport_id: 1 }),
        };
        check(&doc, "MatchPage", &page);
        let result = trex_sdk::persona::ValidatorResult {
            id: "r:1".into(),
            passport_id: U256::from(7),
            validator: Address::ZERO,
            observed_at: 1,
            facts: vec![
                Fact::CexTotalAssets { exchange: "binance".into(), usd_cents: 5 },
                Fact::CexVipLevel { exchange: "binance".into(), level: 4 },
                Fact::Followers { platform: "twitch".into(), count: 12_000 },
                Fact::YoutubeSubscribers { count: 1 },
                Fact::Subscription { platform: "spotify".into(), plan: "premium".into() },
                Fact::SteamGames { count: 3 },
                Fact::Student { domain: "mit.edu".into() },
                Fact::SocialFollow { platform: "x".into(), target: "trex".into() },
                Fact::ContractActivity {
                    chain: "eip155:1".into(),
                    category: "defi".into(),
                    transactions: 9,
                },
                Fact::NftHoldings { chain: "eip155:1".into(), count: 2 },
                Fact::SocialPosts { platform: "x".into(), query: "trex".into(), matching_posts: 1 },
            ],
        };
        check(&doc, "ValidatorResult", &result);
    }
}
