//! The seed's example target profile for the persona engine, shared by its end-to-end tests on a
//! bare chain and on the devnet: "high DeFi activity AND CEX VIP level > 3 AND Twitch followers
//! > 10,000".

use serde_json::{Value, json};

/// Four users' (DeFi transactions, CEX VIP level, Twitch followers): the first two match the
/// seed query (the first better), the third lacks the followers, the fourth the VIP level.
pub const SEED_PROFILES: [(u64, u32, u64); 4] =
    [(500, 5, 50_000), (40, 4, 12_000), (900, 6, 5_000), (700, 2, 20_000)];

/// The validator facts of one profile, as the gateway takes them.
pub fn seed_facts((defi, vip, followers): (u64, u32, u64)) -> Value {
    json!([
        { "kind": "contractActivity", "chain": "eip155:1", "category": "defi", "transactions": defi },
        { "kind": "cexVipLevel", "exchange": "binance", "level": vip },
        { "kind": "followers", "platform": "twitch", "count": followers },
    ])
}

/// The seed's query, with the two thresholds as hard filters and all three as weighted, scaled
/// criteria.
pub fn seed_query() -> Value {
    json!({
        "filter": "cex_vip_level > 3 AND twitch_followers > 10000",
        "criteria": [
            { "expr": "defi_activity", "weight": 3, "scoring": { "mode": "log", "max": 1000 } },
            { "expr": "cex_vip_level", "weight": 1, "scoring": { "mode": "linear", "min": 0, "max": 10 } },
            { "expr": "twitch_followers", "weight": 1, "scoring": { "mode": "log", "max": 1000000 } },
        ],
    })
}

/// The PMS the seed query should give a profile: Σ wᵢ·Vᵢ / Σ w × 100.
pub fn seed_pms((defi, vip, followers): (u64, u32, u64)) -> f64 {
    let log = |x: f64, max: f64| ((1.0 + x).ln() / (1.0 + max).ln()).min(1.0);
    (3.0 * log(defi as f64, 1000.0) + (f64::from(vip) / 10.0).min(1.0) + log(followers as f64, 1e6))
        / 5.0
        * 100.0
}

/// Checks a `/v1/match` page of the seed query: the first two profiles' passports, in that order,
/// each with its PMS and a three-part breakdown whose points sum to it.
pub fn assert_seed_page(page: &Value, passports: [u64; 2]) {
    let matches = page["matches"].as_array().expect("a match page");
    let ids: Vec<u64> = matches.iter().map(|m| m["passportId"].as_u64().unwrap()).collect();
    assert_eq!(ids, passports, "{page}");
    for (result, profile) in matches.iter().zip(SEED_PROFILES) {
        let (want, pms) = (seed_pms(profile), result["pms"].as_f64().unwrap());
        assert!((pms - want).abs() < 1e-6, "pms {pms} != {want}");
        let breakdown = result["breakdown"].as_array().unwrap();
        assert_eq!(breakdown.len(), 3);
        let points: f64 = breakdown.iter().map(|c| c["points"].as_f64().unwrap()).sum();
        assert!((points - pms).abs() < 1e-6, "breakdown {points} != pms {pms}");
    }
}
