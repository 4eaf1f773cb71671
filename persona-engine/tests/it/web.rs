//! The BI pages through the router: project login by API key, the project page with seeded
//! data, a DID login signed by a passport's wallet on anvil, the user's dashboard, export and
//! delete with CSRF checks, and a headless Chromium screenshot of the served project page.

use std::process::Command;

use alloy_provider::{Provider, ProviderBuilder, WalletProvider};
use alloy_signer::Signer;
use alloy_signer_local::PrivateKeySigner;
use reqwest::{StatusCode, header, redirect::Policy};
use trex_persona::{
    ApiKeys,
    web::{WebState, router},
};
use trex_sdk::{PassportClient, deploy_identity};
use trex_test_support::{Anvil, DEV_KEYS, TestDatabase, wallet_provider};

fn session_cookie(response: &reqwest::Response, name: &str) -> String {
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .expect("session cookie set");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..start + 64].to_owned()
}

#[tokio::test]
async fn pages_logins_export_delete_and_screenshot() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let db = TestDatabase::create("persona_web").await;
    let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
    // Every crate's tables, as `trex-persona serve` has them: deleting a user's data also
    // reaches the gateway's raw validator results (ingest).
    trex_persona::service::migrate_all(&pool).await.unwrap();

    // A passport on anvil, owned by dev key 1.
    let anvil = Anvil::start(&[]).await;
    let admin = wallet_provider(&anvil.url, &[DEV_KEYS[0]]);
    let admin_address = admin.default_signer_address();
    let (passport_address, _) = deploy_identity(&admin, admin_address).await.unwrap();
    let user_signer: PrivateKeySigner = DEV_KEYS[1].parse().unwrap();
    let user = wallet_provider(&anvil.url, &[DEV_KEYS[1]]);
    let passport_id = PassportClient::new(passport_address, user).create_passport().await.unwrap();
    let passport_id = i64::try_from(passport_id).unwrap();

    // The graph as the projector would leave it (the user holds 12 NFTs, the others 7 to 16),
    // two cohorts, the user a member of one of them only, and two snapshots.
    sqlx::query(
        "INSERT INTO persona_features (passport_id, nft_count, passport_created_at) \
         SELECT id, CASE WHEN id = $1 THEN 12 ELSE id % 10 + 7 END, now() \
         FROM generate_series(1, 40) id",
    )
    .bind(passport_id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO persona_data_points (result_id, fact_index, passport_id, kind, source, value, \
         observed_at, validator) VALUES ('r1', 0, $1, 'cex_vip', 'binance', 4, now(), '0xv')",
    )
    .bind(passport_id)
    .execute(&pool)
    .await
    .unwrap();
    let definition = serde_json::from_value(serde_json::json!({
        "criteria": [{ "expr": "nft_count >= 10", "weight": 1.0 }]
    }))
    .unwrap();
    trex_persona_bi::create_cohort(&pool, "acme", "collectors", &definition, 100.0).await.unwrap();
    let definition = serde_json::from_value(serde_json::json!({
        "criteria": [{ "expr": "nft_count >= 15", "weight": 1.0 }]
    }))
    .unwrap();
    trex_persona_bi::create_cohort(&pool, "acme", "whales", &definition, 100.0).await.unwrap();
    let now = trex_sdk::time::OffsetDateTime::now_utc();
    trex_persona_bi::snapshot_cohorts(&pool, now - trex_sdk::time::Duration::days(1))
        .await
        .unwrap();
    trex_persona_bi::snapshot_cohorts(&pool, now).await.unwrap();
    let key = ApiKeys::new(pool.clone()).create("acme").await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let provider = ProviderBuilder::new().connect_http(anvil.url.clone()).erased();
    let state = WebState {
        pool: pool.clone(),
        keys: ApiKeys::new(pool.clone()),
        passports: PassportClient::new(passport_address, provider),
        domain: addr.to_string(),
        origin: base.clone(),
        secure_cookies: false,
    };
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();

    // Project pages.
    let login = http.get(format!("{base}/bi")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.text().await.unwrap().contains("name=\"key\""));
    let wrong = http
        .post(format!("{base}/bi/login"))
        .form(&[("key", "trex_pk_nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok =
        http.post(format!("{base}/bi/login")).form(&[("key", key.as_str())]).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let project_cookie = session_cookie(&ok, "trex_bi");
    let page = http
        .get(format!("{base}/bi"))
        .header(header::COOKIE, &project_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("collectors") && page.contains("<polyline"), "{page}");
    let forged = http
        .post(format!("{base}/bi/logout"))
        .header(header::COOKIE, &project_cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // DID login.
    let user_address = user_signer.address();
    let message = http
        .get(format!("{base}/me/challenge?address={user_address}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(message.contains(&format!("did:trex:31337:{passport_id}")), "{message}");
    let signature = user_signer.sign_message(message.as_bytes()).await.unwrap();
    let form = [("message", message.clone()), ("signature", signature.to_string())];
    let ok = http.post(format!("{base}/me/login")).form(&form).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let user_cookie = session_cookie(&ok, "trex_me");
    // The nonce is single-use: the same signed message is refused.
    let replay = http.post(format!("{base}/me/login")).form(&form).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    // Another wallet's signature over a fresh message is refused.
    let other = http
        .get(format!("{base}/me/challenge?address={user_address}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stranger: PrivateKeySigner = DEV_KEYS[2].parse().unwrap();
    let bad = stranger.sign_message(other.as_bytes()).await.unwrap();
    let refused = http
        .post(format!("{base}/me/login"))
        .form(&[("message", other), ("signature", bad.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let me = http
        .get(format!("{base}/me"))
        .header(header::COOKIE, &user_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        me.contains(&format!("did:trex:31337:{passport_id}"))
            && me.contains("<li>acme: collectors</li>")
            && !me.contains("whales"),
        "{me}"
    );
    let csrf = csrf_of(&me);
    let export = http
        .post(format!("{base}/me/export"))
        .header(header::COOKIE, &user_cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    let json: serde_json::Value = export.json().await.unwrap();
    assert_eq!(json["data_points"][0]["result_id"], "r1");
    let forged = http
        .post(format!("{base}/me/delete"))
        .header(header::COOKIE, &user_cookie)
        .form(&[("csrf", "0".repeat(64).as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let deleted = http
        .post(format!("{base}/me/delete"))
        .header(header::COOKIE, &user_cookie)
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM persona_data_points WHERE passport_id = $1")
            .bind(passport_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
    let memberships: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bi_cohort_members WHERE passport_id = $1")
            .bind(passport_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(memberships, 0, "cohort memberships are off-chain data too");

    // Headless Chromium on the served project page (saved with the session's HTML, since
    // Chromium's command line cannot send the cookie).
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("bi.html");
    std::fs::write(&html, &page).unwrap();
    let png = dir.path().join("bi.png");
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,900")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("Debian's chromium");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (1280, 900));
    assert!(bytes.len() > 20_000, "{} bytes: blank?", bytes.len());
}
