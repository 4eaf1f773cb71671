//! One synthetic user, drawn from seeded distributions.
//!
//! Every user is a pure function of `(seed, passport_id)`, so the writer can regenerate a user
//! once per table instead of holding the whole graph in memory, and any user can be checked alone.
//!
//! Two hidden traits drive the observable features (and are never written):
//! - `defi`, a standard normal: more DeFi transactions, more DeFi points, more often a CEX account
//!   and a higher VIP level there;
//! - `gamefi`, a standard normal: more often a Steam account and more games, more NFTs, more
//!   often a Twitch account, GameFi points and the [`GAMEFI_BADGE_CLASS`] badge — and the
//!   planted label "joined a GameFi launch" that the interest model must recover.

use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, LogNormal, Pareto, StandardNormal};

/// Badge classes `1..=BADGE_CLASSES` hold popularity-ranked general badges (class 1 is the most
/// held; holders fall off as a power law of the rank).
pub const BADGE_CLASSES: u32 = 200;
/// The badge of a GameFi quest, held more often by users with a high hidden GameFi propensity.
pub const GAMEFI_BADGE_CLASS: u32 = 1000;
/// Points categories, in the order a user's points are generated.
pub const POINT_CATEGORIES: [&str; 5] = ["defi", "social", "gamefi", "nft", "quests"];
/// The exchanges a CEX VIP level is proven at, with their shares of CEX users.
pub const EXCHANGES: [(&str, f64); 5] =
    [("binance", 0.5), ("okx", 0.2), ("bybit", 0.15), ("coinbase", 0.1), ("kraken", 0.05)];
/// The interest category of the planted label.
pub const LABEL_CATEGORY: &str = "gamefi";
/// The chain id in the synthetic passports' DIDs (`did:trex:<CHAIN_ID>:<passport id>`).
pub const CHAIN_ID: u64 = 7_777;
/// Passports are created within this many seconds before [`EPOCH`].
pub(crate) const CREATION_WINDOW_SECS: i64 = 2 * 365 * 24 * 3600;
/// A fixed "now" (2026-01-01T00:00:00Z) so that the output does not depend on the clock.
pub const EPOCH: i64 = 1_767_225_600;

/// One generated user: the features row, its badges, points and label.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// Passport id, 1..=N.
    pub passport_id: i64,
    /// Passport creation time, Unix seconds.
    pub created_at: i64,
    /// Transactions with DeFi contracts.
    pub defi_tx_count: i64,
    /// NFTs held.
    pub nft_count: i64,
    /// CEX VIP level and the exchange, when a CEX account is proven.
    pub cex: Option<(i32, &'static str)>,
    /// Twitch followers, when a Twitch account is linked.
    pub twitch_followers: Option<i64>,
    /// X followers, when an X account is linked.
    pub x_followers: Option<i64>,
    /// YouTube subscribers, when a channel is linked.
    pub youtube_subscribers: Option<i64>,
    /// Games in the Steam library, when a Steam account is linked.
    pub steam_games: Option<i32>,
    /// Badge classes held, ascending.
    pub badges: Vec<u32>,
    /// Points by category (only categories with points), in [`POINT_CATEGORIES`] order.
    pub points: Vec<(&'static str, i64)>,
    /// The planted label: joined a GameFi launch.
    pub joined_gamefi_launch: bool,
}

impl Persona {
    /// Draws user `passport_id` of the graph seeded with `seed`.
    pub fn generate(seed: u64, passport_id: i64) -> Self {
        let mut rng = StdRng::seed_from_u64(user_seed(seed, passport_id));
        let defi: f64 = rng.sample(StandardNormal);
        let gamefi: f64 = rng.sample(StandardNormal);
        // General engagement: scales how many badges and points a user collects.
        let engagement: f64 = rng.sample(StandardNormal);

        let created_at = EPOCH - rng.random_range(0..CREATION_WINDOW_SECS);

        // About a third never touched DeFi; the rest are lognormal around e^(2 + 0.9·defi).
        let defi_tx_count = if rng.random_bool(sigmoid(0.8 + 1.2 * defi)) {
            lognormal(&mut rng, 2.0 + 0.9 * defi, 1.1).round() as i64
        } else {
            0
        };
        // Pareto-tailed NFT holdings, heavier for GameFi users.
        let nft_count = if rng.random_bool(sigmoid(-0.3 + 1.0 * gamefi)) {
            (pareto(&mut rng, 1.0, 1.3) * (0.6 * gamefi).exp()).floor().min(100_000.0) as i64
        } else {
            0
        };
        // CEX: rare (about 10 %), more often and at higher levels for DeFi-heavy users.
        let cex = rng.random_bool(sigmoid(-2.6 + 1.2 * defi)).then(|| {
            let level = (rng.sample::<f64, _>(rand_distr::Exp1) * 1.3 + 1.4 * defi.max(0.0))
                .round()
                .min(9.0) as i32;
            (level, pick_exchange(&mut rng))
        });
        let twitch_followers = rng
            .random_bool(sigmoid(-3.0 + 0.8 * gamefi))
            .then(|| pareto(&mut rng, 20.0, 0.9).min(5_000_000.0) as i64);
        let x_followers =
            rng.random_bool(0.3).then(|| pareto(&mut rng, 30.0, 1.1).min(20_000_000.0) as i64);
        let youtube_subscribers =
            rng.random_bool(0.04).then(|| pareto(&mut rng, 10.0, 1.0).min(10_000_000.0) as i64);
        let steam_games = rng
            .random_bool(sigmoid(-2.2 + 1.5 * gamefi))
            .then(|| lognormal(&mut rng, 2.3 + 0.6 * gamefi, 0.9).round().min(5_000.0) as i32);

        let activity = (0.5 * engagement).exp();
        let mut badges: Vec<u32> = (1..=BADGE_CLASSES)
            .filter(|&class| {
                let popularity = 0.35 / f64::from(class).powf(1.1);
                rng.random_bool((popularity * activity).min(1.0))
            })
            .collect();
        if rng.random_bool(sigmoid(-3.0 + 1.6 * gamefi)) {
            badges.push(GAMEFI_BADGE_CLASS);
        }

        let drivers = [defi, engagement, gamefi, 0.5 * gamefi + 0.5 * engagement, engagement];
        let mut points = Vec::new();
        for (&category, driver) in POINT_CATEGORIES.iter().zip(drivers) {
            if rng.random_bool(sigmoid(-1.0 + driver)) {
                points
                    .push((category, lognormal(&mut rng, 4.0 + 0.8 * driver, 1.0).round() as i64));
            }
        }

        let joined_gamefi_launch = rng.random_bool(sigmoid(-3.2 + 2.2 * gamefi));

        Self {
            passport_id,
            created_at,
            defi_tx_count,
            nft_count,
            cex,
            twitch_followers,
            x_followers,
            youtube_subscribers,
            steam_games,
            badges,
            points,
            joined_gamefi_launch,
        }
    }

    /// The passport owner: a deterministic lower-case hex address (not a real key's).
    pub fn owner(&self) -> String {
        let (a, b) = (user_seed(1, self.passport_id), user_seed(2, self.passport_id));
        format!("0x{a:016x}{b:016x}{:08x}", (a ^ b) as u32)
    }

    /// Points over all categories.
    pub fn total_points(&self) -> i64 {
        self.points.iter().map(|(_, p)| p).sum()
    }
}

/// A well-mixed per-user seed (SplitMix64 finaliser) so that neighbouring ids and seeds give
/// unrelated streams.
fn user_seed(seed: u64, passport_id: i64) -> u64 {
    let mut z = seed ^ (passport_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn lognormal(rng: &mut StdRng, mu: f64, sigma: f64) -> f64 {
    LogNormal::new(mu, sigma).expect("sigma is a positive constant").sample(rng)
}

fn pareto(rng: &mut StdRng, scale: f64, shape: f64) -> f64 {
    Pareto::new(scale, shape).expect("scale and shape are positive constants").sample(rng)
}

fn pick_exchange(rng: &mut StdRng) -> &'static str {
    let mut u: f64 = rng.random();
    for (name, share) in EXCHANGES {
        if u < share {
            return name;
        }
        u -= share;
    }
    EXCHANGES[0].0
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: i64 = 50_000;

    fn sample() -> Vec<Persona> {
        (1..=N).map(|id| Persona::generate(7, id)).collect()
    }

    fn share(people: &[Persona], pred: impl Fn(&Persona) -> bool) -> f64 {
        people.iter().filter(|p| pred(p)).count() as f64 / people.len() as f64
    }

    #[test]
    fn same_seed_same_user_other_seed_other_user() {
        for id in [1, 2, 999_999] {
            assert_eq!(Persona::generate(42, id), Persona::generate(42, id));
        }
        let differ = (1..=100).filter(|&id| Persona::generate(1, id) != Persona::generate(2, id));
        assert_eq!(differ.count(), 100);
    }

    #[test]
    fn most_users_have_no_cex_twitch_or_steam_data() {
        let people = sample();
        let cex = share(&people, |p| p.cex.is_some());
        let twitch = share(&people, |p| p.twitch_followers.is_some());
        let steam = share(&people, |p| p.steam_games.is_some());
        assert!((0.05..0.2).contains(&cex), "cex share {cex}");
        assert!((0.02..0.15).contains(&twitch), "twitch share {twitch}");
        assert!((0.1..0.35).contains(&steam), "steam share {steam}");
        let no_defi = share(&people, |p| p.defi_tx_count == 0);
        assert!((0.2..0.45).contains(&no_defi), "no-defi share {no_defi}");
    }

    #[test]
    fn counts_are_heavy_tailed() {
        let people = sample();
        let mut nfts: Vec<i64> = people.iter().map(|p| p.nft_count).collect();
        nfts.sort_unstable();
        let median = nfts[nfts.len() / 2];
        let p999 = nfts[nfts.len() * 999 / 1000];
        assert!(p999 > 50 * median.max(1), "nft median {median}, p99.9 {p999}");
        let big_streamers = share(&people, |p| p.twitch_followers.is_some_and(|f| f > 10_000));
        assert!(big_streamers > 0.0001, "twitch > 10k share {big_streamers}");
    }

    #[test]
    fn badges_follow_class_popularity() {
        let people = sample();
        let holders = |class| share(&people, |p| p.badges.contains(&class));
        let (first, tenth, hundredth) = (holders(1), holders(10), holders(100));
        assert!((0.25..0.5).contains(&first), "class 1 held by {first}");
        assert!(first > 5.0 * tenth && tenth > 5.0 * hundredth, "{first} {tenth} {hundredth}");
        assert!(people.iter().all(|p| p.badges.is_sorted()));
    }

    #[test]
    fn defi_heavy_users_more_often_hold_high_vip_levels() {
        let people = sample();
        let high_vip = |p: &Persona| p.cex.is_some_and(|(level, _)| level > 3);
        let heavy: Vec<Persona> = people.iter().filter(|p| p.defi_tx_count > 50).cloned().collect();
        let light: Vec<Persona> = people.iter().filter(|p| p.defi_tx_count <= 5).cloned().collect();
        let (h, l) = (share(&heavy, high_vip), share(&light, high_vip));
        assert!(h > 4.0 * l, "vip>3 among heavy {h} vs light {l}");
    }

    #[test]
    fn label_is_planted_in_gamefi_features() {
        let people = sample();
        let rate = share(&people, |p| p.joined_gamefi_launch);
        assert!((0.05..0.25).contains(&rate), "label rate {rate}");
        let joined: Vec<Persona> =
            people.iter().filter(|p| p.joined_gamefi_launch).cloned().collect();
        let steam_joined = share(&joined, |p| p.steam_games.is_some());
        let steam_all = share(&people, |p| p.steam_games.is_some());
        assert!(steam_joined > 1.5 * steam_all, "steam {steam_joined} vs {steam_all}");
        let badge_joined = share(&joined, |p| p.badges.contains(&GAMEFI_BADGE_CLASS));
        let badge_all = share(&people, |p| p.badges.contains(&GAMEFI_BADGE_CLASS));
        assert!(badge_joined > 1.5 * badge_all, "badge {badge_joined} vs {badge_all}");
    }
}
