-- The transactional outbox: one row per applied or retracted chain event and per stored validator
-- result, written in the transaction of the change itself, published to the pipeline's bus by
-- the relay in `seq` order.
--
-- Writers serialise on a transaction-level advisory lock from their first outbox insert to their
-- commit, so rows commit in `seq` order and a relay reading `seq > cursor` never passes over a
-- row that commits later.
CREATE TABLE IF NOT EXISTS ingest_outbox (
    seq         BIGSERIAL   PRIMARY KEY,
    message_id  TEXT        NOT NULL UNIQUE,
    topic       TEXT        NOT NULL,
    payload     JSONB       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Each relay's last published `seq`, advanced only after the bus acknowledged the rows up to it.
CREATE TABLE IF NOT EXISTS outbox_relay_cursor (
    name        TEXT        PRIMARY KEY,
    seq         BIGINT      NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
