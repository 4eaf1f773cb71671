//! Operator-maintained reference data: points-category labels and categorised contracts.

use alloy_primitives::keccak256;
use sqlx::PgPool;

use crate::{
    GraphError,
    store::{self, Lock},
};

/// How many passports' rows one transaction of [`register_category`] re-derives.
const REFRESH_CHUNK: usize = 256;

/// A label or category: 1 to 64 characters of `[a-z0-9_-]`, as queries name them.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Labels the points category `keccak256(label)` (the convention of the badge classes and task
/// issuers) and re-derives the points rows of the passports holding points in it, so queries
/// can name it as `points('<label>')`. Registering a label again is a no-op.
pub async fn register_category(pool: &PgPool, label: &str) -> Result<(), GraphError> {
    if !valid_name(label) {
        return Err(GraphError::invalid("category label (expected [a-z0-9_-], 1-64)", label));
    }
    let category = keccak256(label.as_bytes());
    sqlx::query(
        "INSERT INTO points_categories (category, label) VALUES ($1, $2) \
         ON CONFLICT (category) DO NOTHING",
    )
    .bind(category.as_slice())
    .bind(label)
    .execute(pool)
    .await?;
    let holders: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT passport_id FROM passport_points WHERE category = $1")
            .bind(category.as_slice())
            .fetch_all(pool)
            .await?;
    // In bounded transactions, so the projector is never kept waiting long for a passport.
    for passports in holders.chunks(REFRESH_CHUNK) {
        let mut tx = pool.begin().await?;
        store::lock(&mut tx, &passports.iter().map(|p| Lock::Passport(*p)).collect::<Vec<_>>())
            .await?;
        store::refresh(&mut tx, passports).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Records (or re-categorises) a contract by its CAIP-10 id (`<namespace>:<reference>:<address>`)
/// with a category such as `defi` or `gamefi`.
pub async fn register_contract(
    pool: &PgPool,
    caip10: &str,
    category: &str,
    name: Option<&str>,
) -> Result<(), GraphError> {
    let parts: Vec<&str> = caip10.split(':').collect();
    let well_formed = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !well_formed {
        return Err(GraphError::invalid("CAIP-10 account id", caip10));
    }
    if !valid_name(category) {
        return Err(GraphError::invalid("contract category (expected [a-z0-9_-], 1-64)", category));
    }
    sqlx::query(
        "INSERT INTO contracts (caip10, category, name) VALUES ($1, $2, $3) \
         ON CONFLICT (caip10) DO UPDATE SET category = EXCLUDED.category, name = EXCLUDED.name",
    )
    .bind(caip10)
    .bind(category)
    .bind(name)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::valid_name("defi") && super::valid_name("web3-quests_2"));
        assert!(!super::valid_name("") && !super::valid_name("DeFi") && !super::valid_name("a b"));
    }
}
