-- On-chain ingestion: decoded identity events, the listener's durable cursor, the block hashes it
-- needs to detect reorgs, and the backfill's completed chunks.

-- One row per log of TRexPassport / TRexBadge. Keyed by (block_hash, log_index): a log of a
-- reorged-out block and the log at the same height of the new block are different rows, so a
-- retracted event is kept (with `retracted_at`) for audit and downstream retraction, and an
-- idempotent re-insert of the same log is a no-op.
CREATE TABLE IF NOT EXISTS chain_events (
    chain_id      BIGINT      NOT NULL,
    block_hash    BYTEA       NOT NULL,
    log_index     BIGINT      NOT NULL,
    block_number  BIGINT      NOT NULL,
    tx_hash       BYTEA       NOT NULL,
    contract      BYTEA       NOT NULL,
    kind          TEXT        NOT NULL,
    payload       JSONB       NOT NULL,
    -- Unix seconds of the block: consumers date what the event records (badge held since, ...).
    block_timestamp BIGINT    NOT NULL,
    -- How often the event became canonical again after a retraction (a reorg back to its
    -- block); part of its outbox message ids, so every apply/retract pair is a new message.
    incarnation   INT         NOT NULL DEFAULT 0,
    ingested_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    retracted_at  TIMESTAMPTZ,
    PRIMARY KEY (block_hash, log_index)
);

-- The canonical view (retracted_at IS NULL) in chain order, and the range a reorg retracts.
CREATE INDEX IF NOT EXISTS chain_events_by_position
    ON chain_events (chain_id, block_number, log_index)
    WHERE retracted_at IS NULL;

-- The listener's cursor: the last block (number and hash) whose events are all stored. Updated
-- in the same transaction as the events of the range it ends.
CREATE TABLE IF NOT EXISTS ingest_cursor (
    chain_id      BIGINT      PRIMARY KEY,
    block_number  BIGINT      NOT NULL,
    block_hash    BYTEA       NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Hashes of recently ingested blocks (every range end and every block that had events), so a
-- reorg can be walked back to the common ancestor. Pruned below the retention window.
CREATE TABLE IF NOT EXISTS ingest_blocks (
    chain_id      BIGINT NOT NULL,
    block_number  BIGINT NOT NULL,
    block_hash    BYTEA  NOT NULL,
    PRIMARY KEY (chain_id, block_number)
);

-- Backfill chunks whose events are stored (written in the chunk's transaction), so a backfill
-- resumes where it stopped.
CREATE TABLE IF NOT EXISTS backfill_chunks (
    chain_id      BIGINT      NOT NULL,
    from_block    BIGINT      NOT NULL,
    to_block      BIGINT      NOT NULL,
    events        BIGINT      NOT NULL,
    completed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, from_block, to_block)
);
