-- Per-passport features, kept current by the pipeline and read by the match queries
-- (src/query). One row per passport; every column a query can filter or rank on is indexed.
-- NULL in a social/CEX column means "no such account proven", which scores 0 and fails every
-- comparison.

CREATE TABLE IF NOT EXISTS persona_features (
    -- Passport token id (sequential in TRexPassport, so it fits BIGINT).
    passport_id          BIGINT      PRIMARY KEY,
    -- Transactions with known DeFi contracts.
    defi_tx_count        BIGINT      NOT NULL DEFAULT 0 CHECK (defi_tx_count >= 0),
    nft_count            BIGINT      NOT NULL DEFAULT 0 CHECK (nft_count >= 0),
    cex_vip_level        INTEGER     CHECK (cex_vip_level >= 0),
    cex_exchange         TEXT,
    twitch_followers     BIGINT      CHECK (twitch_followers >= 0),
    x_followers          BIGINT      CHECK (x_followers >= 0),
    youtube_subscribers  BIGINT      CHECK (youtube_subscribers >= 0),
    steam_games          INTEGER     CHECK (steam_games >= 0),
    total_points         BIGINT      NOT NULL DEFAULT 0,
    badge_count          INTEGER     NOT NULL DEFAULT 0 CHECK (badge_count >= 0),
    passport_created_at  TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS persona_features_defi_tx_count ON persona_features (defi_tx_count);
CREATE INDEX IF NOT EXISTS persona_features_nft_count ON persona_features (nft_count);
CREATE INDEX IF NOT EXISTS persona_features_cex_vip_level ON persona_features (cex_vip_level);
CREATE INDEX IF NOT EXISTS persona_features_cex_exchange ON persona_features (cex_exchange);
CREATE INDEX IF NOT EXISTS persona_features_twitch_followers ON persona_features (twitch_followers);
CREATE INDEX IF NOT EXISTS persona_features_x_followers ON persona_features (x_followers);
CREATE INDEX IF NOT EXISTS persona_features_youtube_subscribers
    ON persona_features (youtube_subscribers);
CREATE INDEX IF NOT EXISTS persona_features_steam_games ON persona_features (steam_games);
CREATE INDEX IF NOT EXISTS persona_features_total_points ON persona_features (total_points);
CREATE INDEX IF NOT EXISTS persona_features_badge_count ON persona_features (badge_count);
CREATE INDEX IF NOT EXISTS persona_features_passport_created_at
    ON persona_features (passport_created_at);

-- The badge set: one row per held badge class. The primary key serves "badges of a passport",
-- the second index "holders of a class" (has_badge filters).
CREATE TABLE IF NOT EXISTS persona_feature_badges (
    passport_id BIGINT         NOT NULL REFERENCES persona_features (passport_id) ON DELETE CASCADE,
    -- uint256 class id of TRexBadge.
    class_id    NUMERIC(78, 0) NOT NULL CHECK (class_id >= 0),
    PRIMARY KEY (passport_id, class_id)
);
CREATE INDEX IF NOT EXISTS persona_feature_badges_by_class
    ON persona_feature_badges (class_id, passport_id);

-- Points balance by category (the category label the pipeline derives from the bytes32 id).
CREATE TABLE IF NOT EXISTS persona_feature_points (
    passport_id BIGINT NOT NULL REFERENCES persona_features (passport_id) ON DELETE CASCADE,
    category    TEXT   NOT NULL,
    points      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (passport_id, category)
);
CREATE INDEX IF NOT EXISTS persona_feature_points_by_category
    ON persona_feature_points (category, points);
