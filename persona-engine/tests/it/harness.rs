//! Shared fixtures: the API served in-process on a fresh database, gateway signing, and the
//! `trex-persona` binary as a child process.

use std::{
    num::NonZeroU32,
    process::{Child, Command, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use trex_persona::{ApiKeys, ApiState, GatewayClient, Metrics, RateLimit, router, service};
use trex_sdk::persona::gateway_request;
use trex_test_support::TestDatabase;

/// The gateway client every test configures.
pub(crate) const CLIENT: &str = "validator-1";
/// Its HMAC key (hex).
pub(crate) const CLIENT_KEY: &str = "6b6579206f66207468652076616c696461746f722d312074657374";

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The API served in-process on its own database; stopped on drop.
pub(crate) struct Api {
    pub(crate) url: String,
    pub(crate) pool: PgPool,
    pub(crate) http: reqwest::Client,
    stop: CancellationToken,
    _database: TestDatabase,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Api {
    /// Every crate's tables on a fresh database and the API over them.
    pub(crate) async fn start(per_second: u32, burst: u32, body_limit: usize) -> Self {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let database = TestDatabase::create("trex_persona_http").await;
        let pool = service::connect(database.url()).await.unwrap();
        service::migrate_all(&pool).await.unwrap();
        let clients = [format!("{CLIENT}={CLIENT_KEY}").parse::<GatewayClient>().unwrap()];
        let limit = RateLimit {
            per_second: NonZeroU32::new(per_second).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        };
        let state = ApiState::new(pool.clone(), &clients, limit, Metrics::new());
        let app = router(state, body_limit);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(token.cancelled_owned()).await
        });
        Self { url, pool, http: reqwest::Client::new(), stop, _database: database }
    }

    /// A new API key for `project`.
    pub(crate) async fn key(&self, project: &str) -> String {
        ApiKeys::new(self.pool.clone()).create(project).await.unwrap()
    }

    /// `POST /v1/match` with `body` and an optional bearer key.
    pub(crate) async fn match_raw(&self, key: Option<&str>, body: String) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/v1/match", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        Answer::of(request.send().await.unwrap()).await
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Answer {
        Answer::of(self.http.get(format!("{}{path}", self.url)).send().await.unwrap()).await
    }

    /// Posts `body` to the gateway signed by `client` with `key` at `timestamp`.
    pub(crate) async fn post_result(
        &self,
        client: &str,
        key: &str,
        timestamp: u64,
        body: &str,
    ) -> Answer {
        post_result(&self.http, &self.url, client, key, timestamp, body).await
    }

    /// Rows of `table`.
    pub(crate) async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Posts a signed validator result to the gateway at `url`.
pub(crate) async fn post_result(
    http: &reqwest::Client,
    url: &str,
    client: &str,
    key: &str,
    timestamp: u64,
    body: &str,
) -> Answer {
    let key = hex::decode(key).unwrap();
    let response = gateway_request(http, url, client, &key, timestamp, body.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    Answer::of(response).await
}

/// A response: status, `Retry-After`, JSON (or the text as a JSON string).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<String>,
    pub(crate) json: Value,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let retry_after =
            response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self { status, retry_after, json }
    }
}

/// The `trex-persona` binary, killed (SIGKILL) on drop.
pub(crate) struct Engine {
    child: Child,
    pub(crate) url: String,
}

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The binary with the test's environment (`TREX_PERSONA_*`).
pub(crate) fn command(env: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trex-persona"));
    command.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("RUST_LOG", "info,sqlx=warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

impl Engine {
    /// Starts `trex-persona serve` on `port` and waits until `/health` answers.
    pub(crate) async fn start(env: &[(&str, String)], port: u16) -> Self {
        let mut command = command(env);
        command
            .arg("serve")
            .env("TREX_PERSONA_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command.spawn().expect("the trex-persona binary");
        let engine = Self { child, url: format!("http://127.0.0.1:{port}") };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = http.get(format!("{}/health", engine.url)).send().await
                && response.status().is_success()
            {
                return engine;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("trex-persona did not start");
    }

    /// `kill -9`: no shutdown code runs.
    pub(crate) fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `timeout`.
pub(crate) async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
