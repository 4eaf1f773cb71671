//! The BI web pages: a thin axum layer over `trex_persona_bi` (data and HTML rendering live
//! there).
//!
//! Authentication:
//! - project pages (`/bi`): the project's API key is POSTed once from a form (never put in a
//!   URL, so it stays out of logs and history) and exchanged for a session cookie;
//! - the user's dashboard (`/me`): a DID login, an EIP-4361 message bound to the passport and
//!   signed by its owner or a linked wallet, verified server-side with `trex_sdk::verify_login`
//!   against a single-use nonce.
//!
//! Session cookies are `HttpOnly; SameSite=Strict; Path=/` (plus `Secure` when configured) and
//! hold a random token whose hash is the session's key in Postgres. Every POST that changes
//! state also carries the session's CSRF token in a form field.

use alloy_primitives::{Address, U256, hex};
use alloy_provider::{DynProvider, Provider};
use axum::{
    Form, Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;
use trex_persona_bi::{self as bi, BiError, Principal, Session, pages};
use trex_sdk::{
    LoginExpectations, PassportClient, SiweMessage, generate_nonce, time::OffsetDateTime,
    verify_login,
};

use crate::ApiKeys;

/// How long a session lasts.
const SESSION_TTL: trex_sdk::time::Duration = trex_sdk::time::Duration::hours(8);
/// How long a login message may be signed for.
const LOGIN_TTL: trex_sdk::time::Duration = trex_sdk::time::Duration::minutes(10);
/// The cookie of a project's session.
const PROJECT_COOKIE: &str = "trex_bi";
/// The cookie of a passport's session.
const USER_COOKIE: &str = "trex_me";
/// Confidence level of the experiment intervals shown.
const LEVEL: f64 = 0.95;

/// What the pages need.
#[derive(Debug, Clone)]
pub struct WebState {
    /// The engine's database (graph, BI and `api_keys` tables).
    pub pool: PgPool,
    /// The projects' API keys.
    pub keys: ApiKeys,
    /// The passport contract, for DID logins (signature and wallet checks).
    pub passports: PassportClient<DynProvider>,
    /// The authority the browser sees (`persona.example.com`); a login message for another
    /// domain is refused.
    pub domain: String,
    /// The origin (`https://persona.example.com`), the login message's URI.
    pub origin: String,
    /// Add `Secure` to cookies (set whenever the pages are served over HTTPS).
    pub secure_cookies: bool,
}

/// The pages' routes: `/bi`, `/bi/login`, `/bi/logout`, `/me`, `/me/login`, `/me/challenge`,
/// `/me/export`, `/me/delete`, `/me/logout`.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/bi", get(project_page))
        .route("/bi/login", post(project_login))
        .route("/bi/logout", post(project_logout))
        .route("/me", get(user_page))
        .route("/me/login", get(user_login_page).post(user_login))
        .route("/me/challenge", get(user_challenge))
        .route("/me/export", post(user_export))
        .route("/me/delete", post(user_delete))
        .route("/me/logout", post(user_logout))
        .with_state(Arc::new(state))
}

type AppState = State<Arc<WebState>>;

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &WebState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}");
    // Names are constants and values hex tokens: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn page(status: StatusCode, html: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn error_page(e: &BiError) -> Response {
    let status = match e {
        BiError::NotFound { .. } => StatusCode::NOT_FOUND,
        BiError::Invalid { .. } | BiError::Stats(_) | BiError::Query(_) => StatusCode::BAD_REQUEST,
        BiError::Conflict(_) => StatusCode::CONFLICT,
        _ => {
            tracing::error!(error = %e, "BI page failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::message_page("Error", "The page could not be built; try again later."),
            );
        }
    };
    page(status, pages::message_page("Error", &e.to_string()))
}

async fn session_of(
    state: &WebState,
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<Session>, BiError> {
    match cookie(headers, name) {
        Some(token) => bi::find_session(&state.pool, &token).await,
        None => Ok(None),
    }
}

async fn project_page(State(state): AppState, headers: HeaderMap) -> Response {
    match session_of(&state, &headers, PROJECT_COOKIE).await {
        Ok(Some(Session { principal: Principal::Project(project), csrf_token })) => {
            match bi::project_overview(&state.pool, &project, LEVEL).await {
                Ok(overview) => page(StatusCode::OK, pages::project_page(&overview, &csrf_token)),
                Err(e) => error_page(&e),
            }
        }
        Ok(_) => page(StatusCode::OK, pages::project_login_page(None)),
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
struct KeyForm {
    key: String,
}

async fn project_login(State(state): AppState, Form(form): Form<KeyForm>) -> Response {
    let Ok(key) = state.keys.authenticate(form.key.trim()).await else {
        return page(
            StatusCode::UNAUTHORIZED,
            pages::project_login_page(Some("That API key is not valid.")),
        );
    };
    match bi::create_session(&state.pool, Principal::Project(key.project), SESSION_TTL).await {
        Ok((token, _)) => {
            let cookie = set_cookie(&state, PROJECT_COOKIE, &token, SESSION_TTL.whole_seconds());
            ([(header::SET_COOKIE, cookie)], Redirect::to("/bi")).into_response()
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// The session of `cookie_name` if the form's CSRF token is its own.
async fn checked_session(
    state: &WebState,
    headers: &HeaderMap,
    cookie_name: &str,
    form: &CsrfForm,
) -> Result<Session, Response> {
    match session_of(state, headers, cookie_name).await {
        Ok(Some(session)) if session.csrf_ok(&form.csrf) => Ok(session),
        Ok(_) => Err(page(
            StatusCode::FORBIDDEN,
            pages::message_page(
                "Forbidden",
                "Not signed in, or the form is stale: reload the page.",
            ),
        )),
        Err(e) => Err(error_page(&e)),
    }
}

async fn logout(
    state: &WebState,
    headers: &HeaderMap,
    name: &str,
    form: &CsrfForm,
    to: &str,
) -> Response {
    if let Err(response) = checked_session(state, headers, name, form).await {
        return response;
    }
    if let Some(token) = cookie(headers, name)
        && let Err(e) = bi::end_session(&state.pool, &token).await
    {
        return error_page(&e);
    }
    ([(header::SET_COOKIE, set_cookie(state, name, "", 0))], Redirect::to(to)).into_response()
}

async fn project_logout(
    State(state): AppState,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    logout(&state, &headers, PROJECT_COOKIE, &form, "/bi").await
}

async fn user_page(State(state): AppState, headers: HeaderMap) -> Response {
    match session_of(&state, &headers, USER_COOKIE).await {
        Ok(Some(Session { principal: Principal::Passport(id), csrf_token })) => {
            match bi::dashboard(&state.pool, id).await {
                Ok(d) => {
                    let did = did(&state, id).await;
                    page(StatusCode::OK, pages::user_dashboard_page(&d, &did, &csrf_token, None))
                }
                Err(e) => error_page(&e),
            }
        }
        Ok(_) => Redirect::to("/me/login").into_response(),
        Err(e) => error_page(&e),
    }
}

async fn did(state: &WebState, passport_id: i64) -> String {
    let chain = state.passports.provider().get_chain_id().await.unwrap_or_default();
    trex_sdk::passport_did(chain, U256::from(passport_id as u64))
}

#[derive(Deserialize)]
struct AddressQuery {
    address: Option<String>,
}

/// Builds a login message for `address`, bound to its passport, with a fresh stored nonce.
async fn challenge(state: &WebState, address: &str) -> Result<String, String> {
    let address: Address = address.trim().parse().map_err(|_| "not an EVM address".to_owned())?;
    let passport = state
        .passports
        .passport_of_wallet(address)
        .await
        .map_err(|e| format!("the passport contract could not be read: {e}"))?;
    if passport.is_zero() {
        return Err(format!("{address} is not a wallet of any passport"));
    }
    let chain_id = state.passports.provider().get_chain_id().await.map_err(|e| e.to_string())?;
    let nonce = generate_nonce();
    bi::store_nonce(&state.pool, &nonce, LOGIN_TTL).await.map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    let mut message = SiweMessage::new(
        state.domain.clone(),
        address,
        format!("{}/me", state.origin),
        chain_id,
        nonce,
        now,
    )
    .bind_passport(passport);
    message.statement = Some("Sign in to your T-Rex persona dashboard.".into());
    message.expiration_time = Some(now + LOGIN_TTL);
    message.to_message().map_err(|e| e.to_string())
}

async fn user_login_page(State(state): AppState, Query(q): Query<AddressQuery>) -> Response {
    match q.address {
        None => page(StatusCode::OK, pages::user_login_page(None, None)),
        Some(address) => match challenge(&state, &address).await {
            Ok(message) => page(StatusCode::OK, pages::user_login_page(Some(&message), None)),
            Err(e) => page(StatusCode::BAD_REQUEST, pages::user_login_page(None, Some(&e))),
        },
    }
}

async fn user_challenge(State(state): AppState, Query(q): Query<AddressQuery>) -> Response {
    match challenge(&state, q.address.as_deref().unwrap_or_default()).await {
        Ok(message) => ([(header::CACHE_CONTROL, "no-store")], message).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    message: String,
    signature: String,
}

async fn user_login(State(state): AppState, Form(form): Form<LoginForm>) -> Response {
    let refuse = |reason: String| {
        page(StatusCode::UNAUTHORIZED, pages::user_login_page(None, Some(&reason)))
    };
    let Ok(parsed) = form.message.parse::<SiweMessage>() else {
        return refuse("The message is not an EIP-4361 sign-in message.".into());
    };
    let Ok(signature) = hex::decode(form.signature.trim()) else {
        return refuse("The signature is not hex.".into());
    };
    // The nonce is taken before the check, so a message is accepted at most once.
    match bi::consume_nonce(&state.pool, &parsed.nonce).await {
        Ok(true) => {}
        Ok(false) => return refuse("This login message was already used or has expired.".into()),
        Err(e) => return error_page(&e),
    }
    let expected = LoginExpectations {
        domain: state.domain.clone(),
        nonce: parsed.nonce.clone(),
        now: OffsetDateTime::now_utc(),
    };
    let login = match verify_login(&form.message, &signature, &expected, &state.passports).await {
        Ok(login) => login,
        Err(e) => return refuse(format!("Sign-in refused: {e}")),
    };
    let Ok(passport_id) = i64::try_from(login.passport_id) else {
        return refuse("The passport id is out of range.".into());
    };
    match bi::create_session(&state.pool, Principal::Passport(passport_id), SESSION_TTL).await {
        Ok((token, _)) => {
            let cookie = set_cookie(&state, USER_COOKIE, &token, SESSION_TTL.whole_seconds());
            ([(header::SET_COOKIE, cookie)], Redirect::to("/me")).into_response()
        }
        Err(e) => error_page(&e),
    }
}

async fn passport_session(
    state: &WebState,
    headers: &HeaderMap,
    form: &CsrfForm,
) -> Result<i64, Response> {
    match checked_session(state, headers, USER_COOKIE, form).await?.principal {
        Principal::Passport(id) => Ok(id),
        Principal::Project(_) => Err(page(
            StatusCode::FORBIDDEN,
            pages::message_page("Forbidden", "Sign in with your passport."),
        )),
    }
}

async fn user_export(
    State(state): AppState,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let id = match passport_session(&state, &headers, &form).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    match bi::export_offchain(&state.pool, id).await {
        Ok(export) => {
            let disposition = format!("attachment; filename=\"trex-passport-{id}-offchain.json\"");
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                serde_json::to_string_pretty(&export).unwrap_or_default(),
            )
                .into_response()
        }
        Err(e) => error_page(&e),
    }
}

async fn user_delete(
    State(state): AppState,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let id = match passport_session(&state, &headers, &form).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    if form.confirm.as_deref() != Some("yes") {
        return page(
            StatusCode::BAD_REQUEST,
            pages::message_page("Not deleted", "Tick the confirmation box to delete your data."),
        );
    }
    match bi::delete_passport_data(&state.pool, id).await {
        Ok(rows) => page(
            StatusCode::OK,
            pages::message_page(
                "Deleted",
                &format!(
                    "Your off-chain data is deleted ({rows} records). On-chain data stays on chain."
                ),
            ),
        ),
        Err(e) => error_page(&e),
    }
}

async fn user_logout(
    State(state): AppState,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    logout(&state, &headers, USER_COOKIE, &form, "/me/login").await
}
