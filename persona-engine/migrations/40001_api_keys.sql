-- API keys of the projects that call the match API. Only the SHA-256 of a key is stored: the key
-- itself is shown once, when it is created. A revoked key stays (revoked_at set) so an audit can
-- still tell which project a logged hash belonged to.
CREATE TABLE IF NOT EXISTS api_keys (
    id          BIGSERIAL   PRIMARY KEY,
    project     TEXT        NOT NULL CHECK (length(project) BETWEEN 1 AND 128),
    key_hash    BYTEA       NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS api_keys_by_project ON api_keys (project);
