//! Throwaway Postgres databases on the local server (127.0.0.1:5432, trust auth).

use std::hash::{BuildHasher, RandomState};

use sqlx::Connection;

/// The server's maintenance database, used to create and drop the test databases.
pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// An empty database of its own for one test, dropped (with its connections) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database named `<prefix>_<random hex>`.
    ///
    /// `prefix` must be a plain SQL identifier (letters, digits, `_`).
    pub async fn create(prefix: &str) -> Self {
        assert!(
            prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "database prefix {prefix:?} is not a plain identifier"
        );
        let name =
            format!("{prefix}_{:016x}", RandomState::new().hash_one(std::time::Instant::now()));
        let mut admin = sqlx::PgConnection::connect(ADMIN_URL)
            .await
            .expect("Postgres at 127.0.0.1:5432 (deploy/test.sh starts it)");
        // The name is checked above to be an identifier.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self { name, url }
    }

    /// The database's connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Own thread and runtime: a drop may run inside (or after) the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(ADMIN_URL).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.ok()
            })
        })
        .join();
    }
}
