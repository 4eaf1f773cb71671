//! Idempotent consumers: the ids a consumer has processed, written with its effects.

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
    let inserted = sqlx::query(
        "INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(message_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
