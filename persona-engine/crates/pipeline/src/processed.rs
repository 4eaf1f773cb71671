//! Idempotent consumers: the ids a consumer has processed, written with its effects.

use std::collections::HashSet;

use sqlx::PgConnection;

use crate::PipelineError;

/// Records that `consumer` processed `message_id`; returns `false` when it already had (a
/// redelivery), in which case the caller skips the effect.
///
/// Call it inside the transaction that writes the message's effect (pass `&mut tx`), so the
/// effect and the record commit together: a crash before the commit leaves neither, and the
/// redelivered message is processed again. Table: `processed_messages(consumer, message_id,
/// processed_at)`, created by [`migrate`](crate::migrate).
pub async fn mark_processed(
    conn: &mut PgConnection,
    consumer: &str,
    message_id: &str,
) -> Result<bool, PipelineError> {
    Ok(mark_processed_all(conn, consumer, &[message_id]).await?[0])
}

/// [`mark_processed`] for several messages in one statement: per id, in order, whether it is
/// new. An id processed before, or repeated earlier in `message_ids`, is not.
pub async fn mark_processed_all(
    conn: &mut PgConnection,
    consumer: &str,
    message_ids: &[&str],
) -> Result<Vec<bool>, PipelineError> {
    let inserted: HashSet<String> = sqlx::query_scalar(
        "INSERT INTO processed_messages (consumer, message_id) \
         SELECT $1, id FROM unnest($2::text[]) AS ids(id) \
         ON CONFLICT DO NOTHING RETURNING message_id",
    )
    .bind(consumer)
    .bind(message_ids)
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect();
    let mut first = HashSet::new();
    Ok(message_ids.iter().map(|id| inserted.contains(*id) && first.insert(*id)).collect())
}
