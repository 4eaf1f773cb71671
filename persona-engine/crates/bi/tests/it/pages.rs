//! The BI pages rendered from seeded data, and a headless Chromium screenshot of them.

use std::{path::Path, process::Command};

use time::{Duration, OffsetDateTime};
use trex_persona_bi::{
    Arm, ExperimentStatus, create_campaign, create_cohort, create_experiment, dashboard, expose,
    freeze_audiences, pages, project_overview, record_conversion, set_status, snapshot_cohorts,
};

use crate::{database, definition, seed_passports};

/// Seeds a cohort with three snapshots, a running experiment with conversions and a campaign;
/// returns the project page.
async fn seeded_project_page(pool: &sqlx::PgPool) -> String {
    seed_passports(pool, 1..61).await;
    let cohort =
        create_cohort(pool, "acme", "collectors", &definition("nft_count >= 7", None), 100.0)
            .await
            .unwrap();
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::days(2);
    snapshot_cohorts(pool, t0).await.unwrap();
    seed_passports(pool, 61..121).await;
    snapshot_cohorts(pool, t0 + Duration::days(1)).await.unwrap();
    seed_passports(pool, 121..301).await;
    snapshot_cohorts(pool, t0 + Duration::days(2)).await.unwrap();

    let arms =
        [Arm { name: "control".into(), weight: 1.0 }, Arm { name: "blue <b>".into(), weight: 1.0 }];
    let exp = create_experiment(pool, "acme", "cta-colour", &arms).await.unwrap();
    set_status(pool, &exp, ExperimentStatus::Running).await.unwrap();
    for p in 1..=300 {
        let arm = expose(pool, &exp, p).await.unwrap();
        if p % [5, 3][arm] == 0 {
            record_conversion(pool, &exp, p, "signup").await.unwrap();
        }
    }
    let campaign = create_campaign(
        pool,
        "acme",
        "spring drop",
        cohort.id,
        &["42".to_owned()],
        t0,
        t0 + Duration::days(10),
    )
    .await
    .unwrap();
    freeze_audiences(pool, t0 + Duration::days(2)).await.unwrap();
    sqlx::query(
        "INSERT INTO badges_held (passport_id, class_id, since, validator, attestation_id) \
         SELECT passport_id, 42, $2, '0x00', '\\x00' FROM bi_campaign_audience \
         WHERE campaign_id = $1 AND passport_id % 3 = 0",
    )
    .bind(campaign.id)
    .bind(t0 + Duration::hours(1))
    .execute(pool)
    .await
    .unwrap();
    let overview = project_overview(pool, "acme", 0.95).await.unwrap();
    pages::project_page(&overview, "csrf-token-1")
}

#[tokio::test]
async fn project_page_renders_charts_and_escapes() {
    let (_db, pool) = database("bi_pages").await;
    let page = seeded_project_page(&pool).await;
    assert!(page.starts_with("<!DOCTYPE html>"));
    for needle in [
        "collectors",
        "aria-label=\"cohort size over time\"",
        "<polyline",
        "cta-colour",
        "difference to control with confidence interval",
        "spring drop",
        "Badge claims",
        "name=\"csrf\" value=\"csrf-token-1\"",
        "blue &lt;b&gt;",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }
    assert!(!page.contains("blue <b>"));
    // No external resource: everything is inline.
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn screenshot(html: &Path, png: &Path) -> Vec<u8> {
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,900")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium (Debian's `chromium` package) must be installed");
    // Its stderr (D-Bus noise in containers) is shown only when it fails.
    assert!(
        out.status.success(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(png).expect("screenshot written")
}

/// The project page and a user's dashboard in headless Chromium: each screenshot is a
/// 1280×900 PNG, and far larger than the screenshot of an empty page (a blank PNG compresses to
/// almost nothing; text and charts do not).
#[tokio::test]
async fn chromium_screenshots_show_charts() {
    let (_db, pool) = database("bi_screens").await;
    let project = seeded_project_page(&pool).await;
    let user = pages::user_dashboard_page(
        &dashboard(&pool, 128).await.unwrap(),
        "did:trex:31628:128",
        "csrf-token-2",
        None,
    );
    let dir = std::env::var_os("TREX_BI_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tempfile::tempdir().unwrap().keep());
    std::fs::create_dir_all(&dir).unwrap();
    let mut sizes = Vec::new();
    for (name, html) in [
        ("blank", "<!DOCTYPE html><html><body></body></html>".to_owned()),
        ("project", project),
        ("user", user),
    ] {
        let html_path = dir.join(format!("{name}.html"));
        std::fs::write(&html_path, html).unwrap();
        let png = screenshot(&html_path, &dir.join(format!("{name}.png")));
        assert_eq!(png_size(&png), (1280, 900), "{name}");
        sizes.push(png.len());
    }
    let blank = sizes[0];
    assert!(sizes[1] > 5 * blank && sizes[2] > 3 * blank, "blank {blank} B, pages {sizes:?}");
}
