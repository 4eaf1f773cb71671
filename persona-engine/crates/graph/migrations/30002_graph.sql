-- The persona graph: what the projector derived from chain events and validator results.
--
-- Every passport-scoped table carries `passport_id` (the distribution key when sharded, see
-- docs/persona-graph.md). Passport-scoped rows are never edited in place: after each message the
-- projector re-derives the touched passport's rows from `graph_chain_events` (chain state) and
-- `persona_data_points` (off-chain facts), so redelivery, reordering and retraction cannot leave
-- a counter off by one. Timestamps are block times (chain) or proof times (off-chain).

-- Every identity event the projector has seen, per incarnation. The ingest side publishes a log
-- as `chain.apply:<rest>` and its retraction as `chain.retract:<rest>`, where <rest> is
-- `<chainId>:<blockHash>:<logIndex>` plus `:<n>` when the log became canonical again after a
-- retraction (a reorg back): <rest> is the incarnation. A log is live while one of its
-- incarnations is applied and not retracted; whatever order apply and retract arrive in, the
-- retracted incarnation stays retracted.
CREATE TABLE IF NOT EXISTS graph_chain_events (
    chain_id       BIGINT      NOT NULL,
    block_hash     BYTEA       NOT NULL,
    log_index      BIGINT      NOT NULL,
    incarnation    TEXT        NOT NULL,
    block_number   BIGINT      NOT NULL,
    block_time     TIMESTAMPTZ NOT NULL,
    -- NULL for class events (ClassCreated), which belong to no passport.
    passport_id    BIGINT,
    -- Set for class events, so a class can be re-derived from its own events.
    class_id       NUMERIC(78, 0),
    kind           TEXT        NOT NULL,
    -- The `trex_persona_ingest::ChainEvent` JSON.
    event          JSONB       NOT NULL,
    applied        BOOLEAN     NOT NULL DEFAULT false,
    retracted      BOOLEAN     NOT NULL DEFAULT false,
    -- The `chain.apply` message (NULL while only the retraction has arrived).
    apply_message  TEXT,
    PRIMARY KEY (chain_id, block_hash, log_index, incarnation)
);
CREATE INDEX IF NOT EXISTS graph_chain_events_by_passport
    ON graph_chain_events (passport_id, chain_id, block_number, log_index)
    WHERE applied AND NOT retracted;
CREATE INDEX IF NOT EXISTS graph_chain_events_by_class
    ON graph_chain_events (class_id) WHERE class_id IS NOT NULL AND applied AND NOT retracted;

-- Passports (TRexPassport.PassportCreated).
CREATE TABLE IF NOT EXISTS passports (
    passport_id     BIGINT      PRIMARY KEY,
    chain_id        BIGINT      NOT NULL,
    -- did:trex:<chainId>:<passportId>, as TRexPassport.did() returns it.
    did             TEXT        NOT NULL UNIQUE,
    owner           TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    created_block   BIGINT      NOT NULL,
    source_message  TEXT
);
CREATE INDEX IF NOT EXISTS passports_by_owner ON passports (owner);

-- Wallets, by CAIP-10 account id: `eip155:<chainId>:<EIP-55 address>` for EVM wallets (the
-- passport owner, relation 'owner', and linked wallets, relation 'linked'), and
-- `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:<base58 key>` for Solana addresses. The contract
-- keeps a wallet on one passport; the key includes the passport so a transient overlap while
-- messages arrive out of order is representable.
CREATE TABLE IF NOT EXISTS wallets (
    passport_id     BIGINT      NOT NULL,
    caip10          TEXT        NOT NULL,
    namespace       TEXT        NOT NULL CHECK (namespace IN ('eip155', 'solana')),
    relation        TEXT        NOT NULL CHECK (relation IN ('owner', 'linked')),
    since           TIMESTAMPTZ NOT NULL,
    source_message  TEXT,
    PRIMARY KEY (passport_id, caip10)
);
CREATE INDEX IF NOT EXISTS wallets_by_caip10 ON wallets (caip10);

-- Web2 accounts: keccak256 of the platform name and of the handle, as on chain; never a handle.
CREATE TABLE IF NOT EXISTS web2_accounts (
    passport_id     BIGINT      NOT NULL,
    platform_hash   BYTEA       NOT NULL,
    -- The platform's name when its hash is a known one (e.g. 'twitch'), else NULL.
    platform        TEXT,
    handle_hash     BYTEA       NOT NULL,
    since           TIMESTAMPTZ NOT NULL,
    source_message  TEXT,
    PRIMARY KEY (passport_id, platform_hash)
);
CREATE INDEX IF NOT EXISTS web2_accounts_by_account ON web2_accounts (platform_hash, handle_hash);

-- Labels of points categories (bytes32 on chain, keccak256 of the label by convention; a
-- left-aligned ASCII bytes32 is labelled with its text). Unknown categories are labelled
-- '0x<hex>'. Seeded with the common ones; `register_category` adds more.
CREATE TABLE IF NOT EXISTS points_categories (
    category  BYTEA PRIMARY KEY,
    label     TEXT  NOT NULL UNIQUE
);
INSERT INTO points_categories (category, label) VALUES
    ('\x99b6c68d677d3cdb82a74f6b2505208e25a692638accf1d7a62669954fe08d9a', 'general'),
    ('\x87ef372fa0bc18c38f3c64ff4da209c8dac3db34cdaf2b35aa10008cbe46579f', 'defi'),
    ('\x7f5a84c16bc07b40da7929fc7ae9a2de775c677d1b899699c12f93cf189625d5', 'gamefi'),
    ('\x7dd481eb4b63b94bb55e6b98aabb06c3b8484f82a4d656d6bca0b0cf9b446be0', 'nft'),
    ('\x3ae7be79adfacb03b53e8631fa030f3a07d1e0805fdcfcbafe24d21fdf6d87d8', 'social'),
    ('\xc29d36dd63627dc93ec285fe099bd95d33d0899cfb44b7678ec13b565824586d', 'cex'),
    ('\x8510acf858a6208b10ca6a42b601609d333cd69cb8f62bc06998b9ca193225be', 'dao'),
    ('\x033d214a7c63ad0ebd322697d0ae9662f548cb21a426f70f837bd9e1b007ef08', 'education'),
    ('\xac9a0b347d3bf969db5afb4e1ecfc708ce94b87f5d52d14fcdcc14a3293a3e08', 'loyalty')
ON CONFLICT DO NOTHING;

-- Badge classes (TRexBadge.ClassCreated). Not passport-scoped: a reference table when sharded.
CREATE TABLE IF NOT EXISTS badge_classes (
    class_id         NUMERIC(78, 0) PRIMARY KEY CHECK (class_id >= 0),
    chain_id         BIGINT         NOT NULL,
    issuer           TEXT           NOT NULL,
    validator_kind   BYTEA          NOT NULL,
    params_hash      BYTEA          NOT NULL,
    points_category  BYTEA          NOT NULL,
    points           NUMERIC(78, 0) NOT NULL,
    supply_cap       BIGINT         NOT NULL,
    start_time       BIGINT         NOT NULL,
    end_time         BIGINT         NOT NULL,
    expiry           BIGINT         NOT NULL,
    uri              TEXT           NOT NULL,
    created_at       TIMESTAMPTZ    NOT NULL,
    source_message   TEXT
);
CREATE INDEX IF NOT EXISTS badge_classes_by_issuer ON badge_classes (issuer);
CREATE INDEX IF NOT EXISTS badge_classes_by_category ON badge_classes (points_category);

-- Badges held (minted and not revoked).
CREATE TABLE IF NOT EXISTS badges_held (
    passport_id     BIGINT         NOT NULL,
    class_id        NUMERIC(78, 0) NOT NULL,
    since           TIMESTAMPTZ    NOT NULL,
    -- NULL when the badge never expires.
    expires_at      TIMESTAMPTZ,
    validator       TEXT           NOT NULL,
    attestation_id  BYTEA          NOT NULL,
    source_message  TEXT,
    PRIMARY KEY (passport_id, class_id)
);
CREATE INDEX IF NOT EXISTS badges_held_by_class ON badges_held (class_id, passport_id);

-- Points per passport and raw bytes32 category: credits minus debits of the live events.
CREATE TABLE IF NOT EXISTS passport_points (
    passport_id  BIGINT         NOT NULL,
    category     BYTEA          NOT NULL,
    points       NUMERIC(80, 0) NOT NULL,
    PRIMARY KEY (passport_id, category)
);

-- Contracts with a known category (e.g. 'defi', 'gamefi'), by CAIP-10 id. Reference data
-- maintained by operators (`register_contract`); validators count activity per category.
CREATE TABLE IF NOT EXISTS contracts (
    caip10    TEXT PRIMARY KEY,
    category  TEXT NOT NULL,
    name      TEXT
);
CREATE INDEX IF NOT EXISTS contracts_by_category ON contracts (category);

-- Off-chain facts, one row per fact of a validator result. `source` is the exchange, platform,
-- chain (CAIP-2) or e-mail domain the fact is about; `subject` narrows it (the contracts'
-- category, the plan, the followed account, the searched text), '' when nothing does; `value`
-- is the count, level or amount (NULL for facts that are only true). The latest fact of a
-- (passport, kind, source, subject) is the one with the greatest observed_at (then result id).
CREATE TABLE IF NOT EXISTS persona_data_points (
    result_id    TEXT           NOT NULL,
    fact_index   INTEGER        NOT NULL,
    passport_id  BIGINT         NOT NULL,
    kind         TEXT           NOT NULL,
    source       TEXT           NOT NULL,
    subject      TEXT           NOT NULL DEFAULT '',
    value        NUMERIC(40, 0),
    observed_at  TIMESTAMPTZ    NOT NULL,
    validator    TEXT           NOT NULL,
    -- The `validator.result` message that carried it.
    source_message TEXT,
    PRIMARY KEY (result_id, fact_index)
);
CREATE INDEX IF NOT EXISTS persona_data_points_latest
    ON persona_data_points (passport_id, kind, source, subject, observed_at DESC, result_id DESC);
CREATE INDEX IF NOT EXISTS persona_data_points_by_kind ON persona_data_points (kind, source, subject);

-- Edges of the graph, derived from the tables above and rewritten with them: passport -owns->
-- wallet, passport -linked-> wallet | web2 account, passport -holds-> badge class, passport
-- -proved-> data point. Ids: passports by DID, wallets by CAIP-10, web2 accounts as
-- 'web2:<platform hex>:<handle hex>', badge classes by decimal class id, data points as
-- '<result id>#<fact index>'.
CREATE TABLE IF NOT EXISTS graph_edges (
    passport_id     BIGINT NOT NULL,
    src_kind        TEXT   NOT NULL,
    src_id          TEXT   NOT NULL,
    rel             TEXT   NOT NULL,
    dst_kind        TEXT   NOT NULL,
    dst_id          TEXT   NOT NULL,
    -- The message whose event or result the edge stems from.
    source_message  TEXT,
    PRIMARY KEY (passport_id, src_kind, src_id, rel, dst_kind, dst_id)
);
CREATE INDEX IF NOT EXISTS graph_edges_by_dst ON graph_edges (dst_kind, dst_id, rel);

-- Messages the projector can never apply (malformed payload, unknown topic, a number out of
-- range): acknowledged so they do not block the queue, kept here with the reason.
CREATE TABLE IF NOT EXISTS graph_rejected_messages (
    message_id   TEXT        PRIMARY KEY,
    topic        TEXT        NOT NULL,
    payload      JSONB       NOT NULL,
    error        TEXT        NOT NULL,
    rejected_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Predicted interest per passport and category, written by the model crate and read by queries.
CREATE TABLE IF NOT EXISTS persona_interest (
    passport_id    BIGINT      NOT NULL,
    category       TEXT        NOT NULL,
    score          REAL        NOT NULL CHECK (score >= 0 AND score <= 1),
    model_version  TEXT        NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (passport_id, category)
);
CREATE INDEX IF NOT EXISTS persona_interest_by_category ON persona_interest (category, score);

-- The badge set's expiry, so a query can ignore expired badges.
ALTER TABLE persona_feature_badges ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ;
