-- Idempotent consumers: a consumer inserts (consumer, message_id) in the transaction that
-- writes the message's effect; a conflict means the message was already processed.
CREATE TABLE processed_messages (
    consumer     TEXT        NOT NULL,
    message_id   TEXT        NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

-- The embedded bus (PgBus). Every published message, deduplicated by (topic, id); kept until
-- every group acknowledged it and it is older than the retention (PgBus::prune).
CREATE TABLE pipeline_messages (
    seq          BIGSERIAL   PRIMARY KEY,
    topic        TEXT        NOT NULL,
    id           TEXT        NOT NULL,
    payload      JSONB       NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (topic, id)
);
CREATE INDEX pipeline_messages_published_at ON pipeline_messages (published_at);

-- The topics of each consumer group.
CREATE TABLE pipeline_groups (
    group_name    TEXT        NOT NULL,
    topic         TEXT        NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_name, topic)
);
CREATE INDEX pipeline_groups_topic ON pipeline_groups (topic);

-- One row per (group, message) not yet acknowledged. A member claims due rows with
-- FOR UPDATE SKIP LOCKED and leases them until visible_at (the ack deadline); an expired
-- lease makes the row due again (redelivery). The ack deletes the row.
CREATE TABLE pipeline_deliveries (
    group_name TEXT        NOT NULL,
    seq        BIGINT      NOT NULL REFERENCES pipeline_messages (seq) ON DELETE CASCADE,
    attempts   INTEGER     NOT NULL DEFAULT 0,
    visible_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (group_name, seq)
);
-- Pruning asks whether any group still holds a message.
CREATE INDEX pipeline_deliveries_seq ON pipeline_deliveries (seq);
