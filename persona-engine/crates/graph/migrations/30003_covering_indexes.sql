-- Covering indexes for the match queries' candidate rankings (src/query, prune): a branch finds
-- the ids of the passports meeting its criteria from the indexes alone (index-only scans, no
-- visit of the feature rows) and reads the rows of those few only. The columns that are NULL for
-- most passports (no such account proven) get partial indexes: every comparison a query can
-- make on them implies IS NOT NULL, so Postgres still uses them, and they stay small.

DROP INDEX IF EXISTS persona_features_defi_tx_count;
CREATE INDEX IF NOT EXISTS persona_features_defi_tx_count_ids
    ON persona_features (defi_tx_count) INCLUDE (passport_id);
DROP INDEX IF EXISTS persona_features_nft_count;
CREATE INDEX IF NOT EXISTS persona_features_nft_count_ids
    ON persona_features (nft_count) INCLUDE (passport_id);
DROP INDEX IF EXISTS persona_features_total_points;
CREATE INDEX IF NOT EXISTS persona_features_total_points_ids
    ON persona_features (total_points) INCLUDE (passport_id);
DROP INDEX IF EXISTS persona_features_badge_count;
CREATE INDEX IF NOT EXISTS persona_features_badge_count_ids
    ON persona_features (badge_count) INCLUDE (passport_id);

DROP INDEX IF EXISTS persona_features_cex_vip_level;
CREATE INDEX IF NOT EXISTS persona_features_cex_vip_level_ids
    ON persona_features (cex_vip_level) INCLUDE (passport_id) WHERE cex_vip_level IS NOT NULL;
DROP INDEX IF EXISTS persona_features_cex_exchange;
CREATE INDEX IF NOT EXISTS persona_features_cex_exchange_ids
    ON persona_features (cex_exchange) INCLUDE (passport_id) WHERE cex_exchange IS NOT NULL;
DROP INDEX IF EXISTS persona_features_twitch_followers;
CREATE INDEX IF NOT EXISTS persona_features_twitch_followers_ids
    ON persona_features (twitch_followers) INCLUDE (passport_id)
    WHERE twitch_followers IS NOT NULL;
DROP INDEX IF EXISTS persona_features_x_followers;
CREATE INDEX IF NOT EXISTS persona_features_x_followers_ids
    ON persona_features (x_followers) INCLUDE (passport_id) WHERE x_followers IS NOT NULL;
DROP INDEX IF EXISTS persona_features_youtube_subscribers;
CREATE INDEX IF NOT EXISTS persona_features_youtube_subscribers_ids
    ON persona_features (youtube_subscribers) INCLUDE (passport_id)
    WHERE youtube_subscribers IS NOT NULL;
DROP INDEX IF EXISTS persona_features_steam_games;
CREATE INDEX IF NOT EXISTS persona_features_steam_games_ids
    ON persona_features (steam_games) INCLUDE (passport_id) WHERE steam_games IS NOT NULL;

-- has_badge(class) also tests the expiry: carrying it keeps that lookup index-only.
DROP INDEX IF EXISTS persona_feature_badges_by_class;
CREATE INDEX IF NOT EXISTS persona_feature_badges_by_class_ids
    ON persona_feature_badges (class_id, passport_id) INCLUDE (expires_at);
