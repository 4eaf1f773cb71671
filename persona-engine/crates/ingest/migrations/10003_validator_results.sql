-- Validator results posted to the off-chain gateway, one row per result id (the idempotency key).
CREATE TABLE IF NOT EXISTS validator_results (
    id           TEXT          PRIMARY KEY,
    passport_id  NUMERIC(78,0) NOT NULL,
    validator    BYTEA         NOT NULL,
    observed_at  TIMESTAMPTZ   NOT NULL,
    -- The whole result as posted (its JSON form); a repost must match it to be a duplicate.
    body         JSONB         NOT NULL,
    -- The gateway client that posted it.
    client       TEXT          NOT NULL,
    received_at  TIMESTAMPTZ   NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS validator_results_by_passport
    ON validator_results (passport_id, observed_at);
