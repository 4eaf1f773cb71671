-- Ids of validator results deleted at their passport holder's request. The raw result goes; its
-- id stays, so a validator re-posting it (a retry after a lost answer) cannot bring it back.
CREATE TABLE IF NOT EXISTS deleted_validator_results (
    id          TEXT        PRIMARY KEY,
    deleted_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
