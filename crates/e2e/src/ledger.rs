//! Checks of the batcher's Postgres ledger against L1.

use crate::devnet::Devnet;
use alloy_primitives::hex;
use sqlx::{Connection, Row};
use std::collections::BTreeSet;

/// Every L1 transaction the ledger holds as confirmed is in the batch inbox on L1, and every
/// batch-inbox transaction on L1 is one the ledger holds as confirmed (or sent, when it landed
/// after the ledger was last updated): the ledger and L1 agree.
pub async fn assert_ledger_matches_l1(devnet: &Devnet) {
    let mut db = sqlx::PgConnection::connect(&devnet.database_url).await.expect("ledger database");
    let rows =
        sqlx::query("SELECT tx_hash, status FROM l1_txs").fetch_all(&mut db).await.expect("l1_txs");
    let mut confirmed = BTreeSet::new();
    let mut known = BTreeSet::new();
    for row in rows {
        let hash: Vec<u8> = row.get("tx_hash");
        let status: String = row.get("status");
        let hash = format!("0x{}", hex::encode(hash));
        if status == "confirmed" {
            confirmed.insert(hash.clone());
        }
        known.insert(hash);
    }
    let on_l1: BTreeSet<String> = devnet
        .inbox_transactions_with_hashes()
        .await
        .into_iter()
        .map(|(_, hash, _)| hash)
        .collect();
    let missing: Vec<_> = confirmed.difference(&on_l1).collect();
    assert!(missing.is_empty(), "ledger says confirmed, L1 does not have: {missing:?}");
    let unknown: Vec<_> = on_l1.difference(&known).collect();
    assert!(unknown.is_empty(), "inbox transactions the ledger does not know: {unknown:?}");
}
