//! The edge's guards: cross-site requests are refused before any session is touched
//! (`http::csrf`: the attack where a cross-site upload replaced a visitor's session cookie,
//! over the wire), `/metrics` answers only those allowed to read it, and an https site's
//! cookie and headers keep browsers to it.

use reqwest::StatusCode;
use secrecy::SecretString;

use super::common::{TestApp, chelsea, start_game_at};

fn photo_form() -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(chelsea()).file_name("pet.png");
    reqwest::multipart::Form::new().part("image", part)
}

#[tokio::test]
async fn a_cross_site_upload_is_refused_and_the_victim_keeps_their_session() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let victim = app.visitor();
    let image = app.upload_photo(&victim, chelsea(), "chelsea.png").await;
    let game = start_game_at(&app.base, &victim, &image).await;
    let sessions_before = super::common::session_rows(app.data_dir.path()).await;

    // What the victim's browser sends for the attacker's form: no cookie (SameSite=Lax), and
    // the marks of a cross-site request; older browsers send only the Origin.
    for marks in [
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://attacker.test"),
        ],
        vec![("origin", "http://attacker.test")],
        vec![("origin", "null")],
    ] {
        let mut request = reqwest::Client::new()
            .post(app.url("/api/v1/images/upload"))
            .multipart(photo_form());
        for (name, value) in &marks {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("upload");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{marks:?}");
        assert!(!response.headers().contains_key("set-cookie"), "{marks:?}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    // Server functions too.
    let response = reqwest::Client::new()
        .post(app.url("/_sf/create_game"))
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "request[image_id]={}",
            image["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("server function");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        super::common::session_rows(app.data_dir.path()).await,
        sessions_before,
        "no session was made"
    );

    // The victim's own requests pass, and their game is theirs.
    let own = victim
        .get(app.url(&format!(
            "/api/v1/games/{}",
            game["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("game");
    assert_eq!(own.status(), StatusCode::OK);
    let same_origin = victim
        .post(app.url("/api/v1/images/upload"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.clone())
        .multipart(photo_form())
        .send()
        .await
        .expect("upload");
    assert_eq!(same_origin.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.metrics.token = Some(SecretString::from("scrape-me-please"));
    })
    .await;
    let client = reqwest::Client::new();
    for header in [None, Some("Bearer wrong"), Some("scrape-me-please")] {
        let mut request = client.get(app.url("/metrics"));
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("metrics");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header:?}");
    }
    let response = client
        .get(app.url("/metrics"))
        .header("authorization", "Bearer scrape-me-please")
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("http_requests_total")
    );

    // Without a token, a loopback peer may read them (tests and sidecars connect so).
    let open = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let response = client
        .get(open.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), StatusCode::OK);
}

/// A GET of the API as the client at `address` (through the trusted proxy at 127.0.0.1).
async fn api_get(app: &TestApp, path: &str, address: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .header("x-forwarded-for", address)
        .send()
        .await
        .expect("request")
}

/// An address no other test or run uses: a random /64 of the documentation prefix.
fn fresh_address() -> String {
    let [a, b, ..] = uuid::Uuid::new_v4().into_bytes();
    let [c, d, ..] = uuid::Uuid::new_v4().into_bytes();
    format!(
        "2001:db8:{:x}:{:x}::1",
        u16::from_be_bytes([a, b]),
        u16::from_be_bytes([c, d])
    )
}

#[tokio::test]
async fn api_requests_beyond_the_per_minute_limit_get_429_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.api_per_minute = 5;
        c.limits.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let address = fresh_address();
    for _ in 0..5 {
        let response = api_get(&app, "/api/v1/pixel-art/styles", &address).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let limited = api_get(&app, "/api/v1/pixel-art/styles", &address).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = limited.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    // The document is not counted, nor are pages; another address has its own budget.
    assert_eq!(
        api_get(&app, "/api/v1/openapi.json", &address)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        api_get(&app, "/create", &address).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        api_get(&app, "/api/v1/pixel-art/styles", &fresh_address())
            .await
            .status(),
        StatusCode::OK
    );
    // Another address in the same IPv6 /64 is the same subscriber.
    let neighbour = address.replace("::1", "::2");
    assert_eq!(
        api_get(&app, "/api/v1/pixel-art/styles", &neighbour)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn forwarded_addresses_from_untrusted_peers_are_ignored() {
    // No trusted proxy: every request is 127.0.0.1's, whatever its header claims.
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.api_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        let response = api_get(&app, "/api/v1/push/key", &fresh_address()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = api_get(&app, "/api/v1/push/key", &fresh_address()).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn logins_are_throttled_per_address_across_accounts() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.logins_per_address = 12;
        c.limits.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let address = fresh_address();
    let login = |email: String, address: String| {
        let url = app.url("/api/v1/auth/login");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", address)
                .json(&serde_json::json!({"email": email, "password": "guess guess guess"}))
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    for n in 0..12 {
        let status = login(format!("guess{n}@example.com"), address.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let status = login("guess99@example.com".into(), address.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let status = login("guess99@example.com".into(), fresh_address()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_api_limit_is_shared_by_every_node_through_redis() {
    let Some((db, redis, bucket)) = super::common::scale_out_parts().await else {
        return;
    };
    let node = |worker: bool| {
        let (db, redis, bucket) = (db.url.clone(), redis.clone(), bucket.clone());
        TestApp::spawn_with(move |c| {
            c.database_url = Some(SecretString::from(db));
            c.redis_url = Some(SecretString::from(redis));
            c.s3 = Some(bucket);
            c.jobs.in_process_worker = worker;
            c.limits.api_per_minute = 4;
            c.limits.trusted_proxies = vec!["127.0.0.1".into()];
        })
    };
    let (a, b) = (node(false).await, node(false).await);
    let address = fresh_address();
    for app in [&a, &b, &a, &b] {
        let response = api_get(app, "/api/v1/pixel-art/styles", &address).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    for app in [&a, &b] {
        let response = api_get(app, "/api/v1/pixel-art/styles", &address).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn an_https_site_sends_hsts_and_a_secure_host_only_cookie() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://petpixel.example".into())).await;
    let client = app.visitor();
    let home = client.get(app.url("/")).send().await.expect("home");
    assert_eq!(
        home.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    assert_eq!(home.headers()["referrer-policy"], "same-origin");
    let upload = app.upload(&client, chelsea(), "chelsea.png").await;
    assert_eq!(upload.status(), StatusCode::CREATED);
    let cookie = upload
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-petpixel_session="))
        .expect("the session cookie, __Host- prefixed")
        .to_owned();
    // What the prefix demands: Secure, path /, no Domain.
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("; Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
}

/// The costly calls have quotas, per visitor or account and per client address: games
/// started a day, "new levels" a day, new studio work an hour, plays counted per game an hour.
#[tokio::test]
async fn costly_calls_have_quotas_per_person_and_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.jobs.studio_wait_ms = 10;
        c.limits.games_per_day = 2;
        c.limits.regenerations_per_day = 1;
        c.limits.studio_jobs_per_hour = 1;
        c.limits.plays_per_hour = 2;
    })
    .await;
    let client = app.visitor();
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let start = |client: reqwest::Client, image: serde_json::Value| {
        let url = app.url("/api/v1/games");
        async move {
            client
                .post(url)
                .json(
                    &serde_json::json!({"image_id": image["id"], "pet_name": "Chelsea",
                    "theme": "garden", "difficulty": "easy", "level_count": 1}),
                )
                .send()
                .await
                .expect("create")
        }
    };
    let first: serde_json::Value = start(client.clone(), image.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        start(client.clone(), image.clone()).await.status(),
        StatusCode::ACCEPTED
    );
    let refused = start(client.clone(), image.clone()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Another visitor at the same address shares the address's budget.
    let other = app.visitor();
    let theirs = app.upload_photo(&other, chelsea(), "chelsea.png").await;
    assert_eq!(
        start(other, theirs).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // New levels: the first is spent (the game is still being made, so it is refused as
    // such); the next is over the day's quota.
    let regenerate = || {
        client
            .post(app.url(&format!(
                "/api/v1/games/{}/regenerate",
                first["id"].as_str().expect("id")
            )))
            .send()
    };
    assert_eq!(
        regenerate().await.expect("regenerate").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        regenerate().await.expect("regenerate").status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Studio work: the first new job is queued; asking for it again costs nothing; new work
    // beyond the hour's quota is refused.
    let cut = || {
        client
            .post(app.url("/api/v1/images/remove-background"))
            .json(&serde_json::json!({ "image_id": image["id"] }))
            .send()
    };
    assert_eq!(cut().await.expect("cut").status(), StatusCode::ACCEPTED);
    assert_eq!(cut().await.expect("cut").status(), StatusCode::ACCEPTED);
    let draw = client
        .post(app.url("/api/v1/pixel-art/generate"))
        .json(&serde_json::json!({ "image_id": image["id"], "style": "classic-16" }))
        .send()
        .await
        .expect("generate");
    assert_eq!(draw.status(), StatusCode::TOO_MANY_REQUESTS);

    // Plays: two an hour from one address for one game (this one is not ready: 404 until
    // the quota answers first).
    let play = || {
        app.visitor()
            .post(app.url(&format!(
                "/api/v1/play/{}/plays",
                first["short_code"].as_str().expect("code")
            )))
            .send()
    };
    assert_eq!(play().await.expect("play").status(), StatusCode::NOT_FOUND);
    assert_eq!(play().await.expect("play").status(), StatusCode::NOT_FOUND);
    assert_eq!(
        play().await.expect("play").status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
