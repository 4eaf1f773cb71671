//! The model's view of the persona graph: one row of numeric features per passport.

use futures::TryStreamExt;
use ndarray::Array2;
use sqlx::{PgPool, Row};

use crate::Error;

/// Badge classes (by number of holders) and points categories (by number of passports with points)
/// that get a feature column of their own; rarer ones only count through the totals.
pub const TOP_BADGE_CLASSES: i64 = 16;
/// See [`TOP_BADGE_CLASSES`].
pub const TOP_POINT_CATEGORIES: i64 = 16;

/// The columns read from `persona_features`, each turned into a log-scaled count; social and CEX
/// columns also give a "linked" indicator, because NULL (no account) differs from zero.
const BASE: &[(&str, &str, bool)] = &[
    ("defi_tx_count", "defi_tx_count", false),
    ("nft_count", "nft_count", false),
    ("cex_vip_level", "cex_vip_level::bigint", true),
    ("twitch_followers", "twitch_followers", true),
    ("x_followers", "x_followers", true),
    ("youtube_subscribers", "youtube_subscribers", true),
    ("steam_games", "steam_games::bigint", true),
    ("total_points", "total_points", false),
    ("badge_count", "badge_count::bigint", false),
];

/// Raw (log-scaled, not yet standardised) features of every passport, ordered by passport id.
#[derive(Debug, Clone)]
pub(crate) struct Features {
    pub(crate) passport_ids: Vec<i64>,
    pub(crate) names: Vec<String>,
    pub(crate) matrix: Array2<f64>,
}

impl Features {
    /// Reads every passport's features from the graph tables.
    pub(crate) async fn load(pool: &PgPool) -> Result<Self, Error> {
        let badge_classes: Vec<String> = sqlx::query_scalar(
            "SELECT class_id::text FROM persona_feature_badges GROUP BY class_id \
             ORDER BY count(*) DESC, class_id LIMIT $1",
        )
        .bind(TOP_BADGE_CLASSES)
        .fetch_all(pool)
        .await?;
        let categories: Vec<String> = sqlx::query_scalar(
            "SELECT category FROM persona_feature_points GROUP BY category \
             ORDER BY count(*) DESC, category LIMIT $1",
        )
        .bind(TOP_POINT_CATEGORIES)
        .fetch_all(pool)
        .await?;

        let mut names = Vec::new();
        for (name, _, nullable) in BASE {
            names.push(format!("ln1p({name})"));
            if *nullable {
                names.push(format!("has({name})"));
            }
        }
        let badge_offset = names.len();
        names.extend(badge_classes.iter().map(|c| format!("has_badge({c})")));
        let points_offset = names.len();
        names.extend(categories.iter().map(|c| format!("ln1p(points({c}))")));
        let width = names.len();

        let select: Vec<&str> = BASE.iter().map(|(_, sql, _)| *sql).collect();
        let sql = format!(
            "SELECT passport_id, {} FROM persona_features ORDER BY passport_id",
            select.join(", ")
        );
        let mut passport_ids = Vec::new();
        let mut values = Vec::new();
        // The column list is built only from the constant BASE table.
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(pool);
        while let Some(row) = rows.try_next().await? {
            passport_ids.push(row.try_get::<i64, _>(0)?);
            for (i, (_, _, nullable)) in BASE.iter().enumerate() {
                let value: Option<i64> = row.try_get(i + 1)?;
                values.push(ln1p(value.unwrap_or(0)));
                if *nullable {
                    values.push(if value.is_some() { 1.0 } else { 0.0 });
                }
            }
            values.resize(passport_ids.len() * width, 0.0);
        }
        drop(rows);
        let mut matrix = Array2::from_shape_vec((passport_ids.len(), width), values)
            .expect("every row was padded to the width");

        let mut badges = sqlx::query(
            "SELECT passport_id, class_id::text FROM persona_feature_badges \
             WHERE class_id::text = ANY($1)",
        )
        .bind(&badge_classes)
        .fetch(pool);
        while let Some(row) = badges.try_next().await? {
            let (id, class): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if let (Ok(r), Some(c)) =
                (passport_ids.binary_search(&id), badge_classes.iter().position(|x| *x == class))
            {
                matrix[[r, badge_offset + c]] = 1.0;
            }
        }
        drop(badges);

        let mut points = sqlx::query(
            "SELECT passport_id, category, points FROM persona_feature_points \
             WHERE category = ANY($1)",
        )
        .bind(&categories)
        .fetch(pool);
        while let Some(row) = points.try_next().await? {
            let (id, category, value): (i64, String, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let (Ok(r), Some(c)) =
                (passport_ids.binary_search(&id), categories.iter().position(|x| *x == category))
            {
                matrix[[r, points_offset + c]] = ln1p(value);
            }
        }
        Ok(Self { passport_ids, names, matrix })
    }
}

/// ln(1 + x) of a count; negative values (a points debit) count as 0.
fn ln1p(x: i64) -> f64 {
    (x.max(0) as f64).ln_1p()
}
