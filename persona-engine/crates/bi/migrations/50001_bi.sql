-- BI: saved cohorts and their size over time, A/B experiments with exposures and conversions,
-- campaigns with their frozen audiences, and the web sessions of project and user pages.
-- Every row that names a passport is deleted by `trex_persona_bi::delete_passport_data`.

-- A saved cohort: the passports that pass a match request's filter with a PMS of at least
-- `min_pms`. `definition` is a `trex_persona_query::MatchRequest` without limit or cursor.
CREATE TABLE IF NOT EXISTS bi_cohorts (
    id          BIGSERIAL        PRIMARY KEY,
    project     TEXT             NOT NULL CHECK (project <> ''),
    name        TEXT             NOT NULL CHECK (name <> ''),
    definition  JSONB            NOT NULL,
    min_pms     DOUBLE PRECISION NOT NULL CHECK (min_pms >= 0 AND min_pms <= 100),
    created_at  TIMESTAMPTZ      NOT NULL DEFAULT now(),
    UNIQUE (project, name)
);

-- The size of a cohort each time the snapshot job ran.
CREATE TABLE IF NOT EXISTS bi_cohort_snapshots (
    cohort_id  BIGINT      NOT NULL REFERENCES bi_cohorts (id) ON DELETE CASCADE,
    taken_at   TIMESTAMPTZ NOT NULL,
    size       BIGINT      NOT NULL CHECK (size >= 0),
    PRIMARY KEY (cohort_id, taken_at)
);

-- The members as of the latest snapshot, replaced by each snapshot: what users' dashboards show
-- and what a campaign's audience is frozen from.
CREATE TABLE IF NOT EXISTS bi_cohort_members (
    cohort_id    BIGINT NOT NULL REFERENCES bi_cohorts (id) ON DELETE CASCADE,
    passport_id  BIGINT NOT NULL,
    PRIMARY KEY (cohort_id, passport_id)
);
CREATE INDEX IF NOT EXISTS bi_cohort_members_by_passport ON bi_cohort_members (passport_id);

-- An A/B experiment. Arms and weights never change after creation: assignment is a pure
-- function of (key, passport, weights), so changing them would move units between arms.
CREATE TABLE IF NOT EXISTS bi_experiments (
    id           BIGSERIAL          PRIMARY KEY,
    project      TEXT               NOT NULL CHECK (project <> ''),
    key          TEXT               NOT NULL CHECK (key <> ''),
    arm_names    TEXT[]             NOT NULL,
    arm_weights  DOUBLE PRECISION[] NOT NULL,
    status       TEXT               NOT NULL DEFAULT 'draft'
                                    CHECK (status IN ('draft', 'running', 'stopped')),
    created_at   TIMESTAMPTZ        NOT NULL DEFAULT now(),
    UNIQUE (project, key),
    CHECK (cardinality(arm_names) >= 2 AND cardinality(arm_names) = cardinality(arm_weights))
);

-- A passport's arm, recorded on its first exposure.
CREATE TABLE IF NOT EXISTS bi_assignments (
    experiment_id  BIGINT      NOT NULL REFERENCES bi_experiments (id) ON DELETE CASCADE,
    passport_id    BIGINT      NOT NULL,
    arm            INTEGER     NOT NULL CHECK (arm >= 0),
    exposed_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (experiment_id, passport_id)
);
CREATE INDEX IF NOT EXISTS bi_assignments_by_passport ON bi_assignments (passport_id);

-- The first time an exposed passport reached a goal event; later repeats are not counted.
CREATE TABLE IF NOT EXISTS bi_conversions (
    experiment_id  BIGINT      NOT NULL,
    passport_id    BIGINT      NOT NULL,
    event          TEXT        NOT NULL CHECK (event <> ''),
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (experiment_id, event, passport_id),
    FOREIGN KEY (experiment_id, passport_id)
        REFERENCES bi_assignments (experiment_id, passport_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS bi_conversions_by_passport ON bi_conversions (passport_id);

-- A campaign: an audience cohort is offered badges of `badge_class_ids` between the dates.
CREATE TABLE IF NOT EXISTS bi_campaigns (
    id               BIGSERIAL        PRIMARY KEY,
    project          TEXT             NOT NULL CHECK (project <> ''),
    name             TEXT             NOT NULL CHECK (name <> ''),
    audience_cohort  BIGINT           NOT NULL REFERENCES bi_cohorts (id),
    badge_class_ids  NUMERIC(78, 0)[] NOT NULL CHECK (cardinality(badge_class_ids) >= 1),
    starts_at        TIMESTAMPTZ      NOT NULL,
    ends_at          TIMESTAMPTZ      NOT NULL,
    audience_frozen_at TIMESTAMPTZ,
    UNIQUE (project, name),
    CHECK (ends_at > starts_at)
);

-- The audience as frozen from the cohort's members when the campaign started.
CREATE TABLE IF NOT EXISTS bi_campaign_audience (
    campaign_id  BIGINT NOT NULL REFERENCES bi_campaigns (id) ON DELETE CASCADE,
    passport_id  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, passport_id)
);
CREATE INDEX IF NOT EXISTS bi_campaign_audience_by_passport ON bi_campaign_audience (passport_id);

-- Web sessions: a project's (after its API key) or a passport's (after a DID login). Only the
-- keccak256 of the cookie value is stored, so a database read does not yield a usable cookie.
CREATE TABLE IF NOT EXISTS bi_sessions (
    token_hash   BYTEA       PRIMARY KEY,
    project      TEXT,
    passport_id  BIGINT,
    csrf_token   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    CHECK ((project IS NULL) <> (passport_id IS NULL))
);
CREATE INDEX IF NOT EXISTS bi_sessions_by_passport ON bi_sessions (passport_id);

-- Nonces issued for DID logins, each accepted once before it expires.
CREATE TABLE IF NOT EXISTS bi_login_nonces (
    nonce       TEXT        PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL
);
