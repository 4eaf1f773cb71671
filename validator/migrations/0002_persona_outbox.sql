-- Validation results waiting to be delivered to the persona engine's gateway, written in the
-- same transaction as the attestation whose evidence proved them, so a crash between the
-- attestation and the delivery loses nothing. A row is delivered at least once; the engine
-- dedupes by id.
CREATE TABLE persona_outbox (
    id TEXT PRIMARY KEY,
    body JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    -- Set when the engine refused the result for good (4xx other than 429); kept for operators.
    rejected_reason TEXT
);
CREATE INDEX persona_outbox_pending ON persona_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND rejected_reason IS NULL;
