//! A database of its own with the graph schema, and hand-built feature rows.

use sqlx::{PgPool, postgres::PgPoolOptions};
use trex_persona_query::{Criterion, MatchRequest, Scoring};
use trex_test_support::TestDatabase;

/// A fresh database with the graph crate's tables. Keep the [`TestDatabase`] alive as long as
/// the pool.
pub(crate) async fn database() -> (TestDatabase, PgPool) {
    let db = TestDatabase::create("query").await;
    let pool = PgPoolOptions::new().max_connections(4).connect(db.url()).await.unwrap();
    // The query crate owns no tables: it reads the graph crate's.
    trex_persona_graph::migrate(&pool).await.unwrap();
    (db, pool)
}

/// One passport's feature rows.
#[derive(Debug, Default, Clone)]
pub(crate) struct Persona {
    pub(crate) id: i64,
    pub(crate) defi: i64,
    pub(crate) nfts: i64,
    pub(crate) vip: Option<i32>,
    pub(crate) exchange: Option<&'static str>,
    pub(crate) twitch: Option<i64>,
    /// (class id, expired)
    pub(crate) badges: Vec<(u64, bool)>,
    pub(crate) points: Vec<(&'static str, i64)>,
    pub(crate) interest: Vec<(&'static str, f32)>,
}

impl Persona {
    pub(crate) fn new(id: i64) -> Self {
        Self { id, ..Self::default() }
    }

    pub(crate) async fn insert(&self, pool: &PgPool) {
        sqlx::query(
            "INSERT INTO persona_features (passport_id, defi_tx_count, nft_count, cex_vip_level, \
             cex_exchange, twitch_followers, badge_count, passport_created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, now())",
        )
        .bind(self.id)
        .bind(self.defi)
        .bind(self.nfts)
        .bind(self.vip)
        .bind(self.exchange)
        .bind(self.twitch)
        .bind(self.badges.len() as i32)
        .execute(pool)
        .await
        .unwrap();
        for (class, expired) in &self.badges {
            sqlx::query(
                "INSERT INTO persona_feature_badges (passport_id, class_id, expires_at) \
                 VALUES ($1, $2::text::numeric, \
                 CASE WHEN $3 THEN now() - interval '1 day' ELSE NULL END)",
            )
            .bind(self.id)
            .bind(class.to_string())
            .bind(*expired)
            .execute(pool)
            .await
            .unwrap();
        }
        for (category, points) in &self.points {
            sqlx::query(
                "INSERT INTO persona_feature_points (passport_id, category, points) \
                 VALUES ($1, $2, $3)",
            )
            .bind(self.id)
            .bind(*category)
            .bind(*points)
            .execute(pool)
            .await
            .unwrap();
        }
        for (category, score) in &self.interest {
            sqlx::query(
                "INSERT INTO persona_interest (passport_id, category, score, model_version) \
                 VALUES ($1, $2, $3, 'test')",
            )
            .bind(self.id)
            .bind(*category)
            .bind(*score)
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

pub(crate) async fn insert_all(pool: &PgPool, personas: &[Persona]) {
    for persona in personas {
        persona.insert(pool).await;
    }
}

pub(crate) fn binary(expr: &str, weight: f64) -> Criterion {
    Criterion { expr: expr.into(), weight, scoring: Scoring::Binary }
}

pub(crate) fn request(criteria: Vec<Criterion>, filter: Option<&str>) -> MatchRequest {
    MatchRequest { criteria, filter: filter.map(Into::into), limit: None, cursor: None }
}

/// The passports of a page, in order.
pub(crate) fn ids(page: &trex_persona_query::MatchPage) -> Vec<i64> {
    page.matches.iter().map(|m| m.passport_id).collect()
}
