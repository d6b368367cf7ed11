//! The web tier under pressure (`http::pressure`, `http::streams`, `games::guesses`): slow
//! bodies cut off, a full node shedding load with `503` and `Retry-After`, live-update streams
//! capped and ended, code guessing throttled, and no game's internal id in what anyone holding
//! its code is answered.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::common::journey::make_a_game;
use super::common::{TestApp, chelsea, start_game_at};

/// The server's `host:port`.
fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// A request's head declaring a body of `length` bytes, of which none is sent yet.
fn head(app: &TestApp, path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: multipart/form-data; boundary=x\r\n\
         content-length: {length}\r\n\r\n",
        address(app)
    )
}

/// Sends `head`, then one byte of body every `pace` until the server answers; returns what
/// it answered, read until it closed the connection.
async fn trickle(app: &TestApp, head: &str, pace: Duration) -> String {
    let mut socket = TcpStream::connect(address(app)).await.expect("connect");
    socket.write_all(head.as_bytes()).await.expect("head");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut tick = tokio::time::interval(pace);
    let read_all = async {
        loop {
            tokio::select! {
                read = socket.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                },
                // The slow client's pace: what is being tested, not a wait for anything.
                _ = tick.tick(), if answer.is_empty() => {
                    let _ = socket.write_all(b"x").await;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read_all)
        .await
        .expect("the server answered and closed the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A request that has sent its head and one byte of body, and holds the server's place
/// until dropped.
async fn hold(app: &TestApp, path: &str, length: usize) -> TcpStream {
    let mut socket = TcpStream::connect(address(app)).await.expect("connect");
    socket
        .write_all(format!("{}x", head(app, path, length)).as_bytes())
        .await
        .expect("head");
    socket
}

/// Asks `path` until it answers `status`, for at most 30 s (each try is a request: no
/// timed wait between them).
async fn until_status(
    client: &reqwest::Client,
    url: &str,
    status: StatusCode,
) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = client.get(url).send().await.expect("request");
        if response.status() == status {
            return response;
        }
        assert!(Instant::now() < deadline, "{url} never answered {status}");
    }
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_with_408_and_the_connection_closed() {
    let app = TestApp::spawn_with(|c| {
        c.limits.body_grace_secs = 2;
        c.limits.body_min_rate = 1024;
    })
    .await;
    let started = Instant::now();
    // 100,000 bytes at two a second would hold the connection for 14 hours.
    let answer = trickle(
        &app,
        &head(&app, "/api/v1/images/upload", 100_000),
        Duration::from_millis(500),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // The grace period and the little the bytes earned, then cut off.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // A body that arrives at once is untouched.
    let response = app.upload(&app.visitor(), chelsea(), "chelsea.png").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_that_keeps_up_its_rate_is_still_cut_off_at_the_request_timeout() {
    let app = TestApp::spawn_with(|c| {
        // Each byte earns a second: the rate alone would never cut this body off.
        c.limits.body_grace_secs = 1;
        c.limits.body_min_rate = 1;
        c.limits.request_timeout_secs = 3;
    })
    .await;
    let started = Instant::now();
    let answer = trickle(
        &app,
        &head(&app, "/api/v1/images/upload", 100_000),
        Duration::from_millis(300),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_full_node_sheds_with_503_and_retry_after_while_health_answers() {
    let app = TestApp::spawn_with(|c| c.limits.max_in_flight = 1).await;
    let client = reqwest::Client::new();
    let styles = app.url("/api/v1/pixel-art/styles");
    assert_eq!(
        client.get(&styles).send().await.expect("styles").status(),
        StatusCode::OK
    );

    // One upload in flight, its body still coming, holds the node's one place.
    let held = hold(&app, "/api/v1/images/upload", 50_000).await;
    let shed = until_status(&client, &styles, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(
        shed.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = shed.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable");
    // Probes are answered however busy the node is.
    let health = client.get(app.url("/health")).send().await.expect("health");
    assert_eq!(health.status(), StatusCode::OK);

    // The upload goes away: its place is free again.
    drop(held);
    until_status(&client, &styles, StatusCode::OK).await;
}

#[tokio::test]
async fn bodies_beyond_the_memory_budget_are_shed_and_small_requests_are_not() {
    let app = TestApp::spawn_with(|c| c.limits.body_memory_mib = 16).await;
    let client = reqwest::Client::new();
    let upload = app.url("/api/v1/images/upload");
    // 14 MiB declared: reserved before a byte of it is read.
    let held = hold(&app, "/api/v1/images/upload", 14 * 1024 * 1024).await;
    let big = || {
        client
            .post(&upload)
            .header("content-type", "multipart/form-data; boundary=x")
            .body(vec![b'x'; 3 * 1024 * 1024])
    };
    // Waits until the held upload has its reservation: then 3 MiB more does not fit.
    let deadline = Instant::now() + Duration::from_secs(30);
    let shed = loop {
        let response = big().send().await.expect("upload");
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            break response;
        }
        assert!(Instant::now() < deadline, "the second body was never shed");
    };
    assert!(shed.headers().contains_key("retry-after"));
    // Requests without a large body are not affected.
    let styles = client
        .get(app.url("/api/v1/pixel-art/styles"))
        .send()
        .await
        .expect("styles");
    assert_eq!(styles.status(), StatusCode::OK);

    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // Not a photo: refused for what it is, no longer for the memory it would take.
        let status = big().send().await.expect("upload").status();
        if status != StatusCode::SERVICE_UNAVAILABLE {
            assert!(status.is_client_error(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "the budget was never given back");
    }
}

/// A visitor with a game that stays in the making (no worker), so its stream stays open.
async fn a_game_in_the_making(app: &TestApp) -> (reqwest::Client, String) {
    let visitor = app.visitor();
    let image = app.upload_photo(&visitor, chelsea(), "chelsea.png").await;
    let game = start_game_at(&app.base, &visitor, &image).await;
    (visitor, game["id"].as_str().expect("id").to_owned())
}

async fn open_stream(
    app: &TestApp,
    visitor: &reqwest::Client,
    game: &str,
    from: &str,
) -> reqwest::Response {
    visitor
        .get(app.url(&format!("/api/v1/games/{game}/events")))
        .header("x-forwarded-for", from)
        .send()
        .await
        .expect("stream")
}

#[tokio::test]
async fn progress_streams_are_capped_per_address_and_per_node() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.limits.streams_per_address = 2;
        c.limits.streams_total = 3;
    })
    .await;
    let (visitor, game) = a_game_in_the_making(&app).await;
    let first = open_stream(&app, &visitor, &game, "203.0.113.1").await;
    let second = open_stream(&app, &visitor, &game, "203.0.113.1").await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = open_stream(&app, &visitor, &game, "203.0.113.1").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));

    let other = open_stream(&app, &visitor, &game, "203.0.113.2").await;
    assert_eq!(other.status(), StatusCode::OK);
    let full = open_stream(&app, &visitor, &game, "203.0.113.3").await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.headers().contains_key("retry-after"));
    let body: Value = full.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable");
    // The open streams still carry the game.
    let mut first = first;
    let chunk = first.chunk().await.expect("read").expect("an event");
    assert!(String::from_utf8_lossy(&chunk).contains("event: progress"));
}

#[tokio::test]
async fn a_stream_ends_after_its_lifetime_and_its_place_is_given_back() {
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.limits.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.limits.streams_per_address = 1;
        c.limits.stream_lifetime_secs = 1;
    })
    .await;
    let (visitor, game) = a_game_in_the_making(&app).await;
    let stream = open_stream(&app, &visitor, &game, "198.51.100.20").await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        open_stream(&app, &visitor, &game, "198.51.100.20")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The game is still in the making, yet the stream ends by itself.
    let text = tokio::time::timeout(Duration::from_secs(30), stream.text())
        .await
        .expect("the stream ended")
        .expect("read");
    assert!(text.contains("event: progress"), "{text}");
    // Its place is free again: the browser's reconnect is let in.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let again = open_stream(&app, &visitor, &game, "198.51.100.20").await;
        if again.status() == StatusCode::OK {
            break;
        }
        assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(Instant::now() < deadline, "the place was never given back");
    }
}

#[tokio::test]
async fn an_address_guessing_codes_is_refused_and_others_play_on() {
    let app = TestApp::spawn_with(|c| {
        c.limits.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.limits.code_misses_per_hour = 3;
    })
    .await;
    let owner = app.visitor();
    let game = make_a_game(&app, &owner).await;
    let code = game["short_code"].as_str().expect("code");
    let anyone = reqwest::Client::new();
    let ask = |code: &str, from: &str| {
        anyone
            .get(app.url(&format!("/api/v1/play/{code}/leaderboard")))
            .header("x-forwarded-for", from.to_owned())
            .send()
    };
    let guesser = "203.0.113.66";
    // Three misses (one not even a code) are answered as misses.
    for guess in ["2345678923", "nope", "zzzzzzzzzz"] {
        assert_eq!(
            ask(guess, guesser).await.expect("ask").status(),
            StatusCode::NOT_FOUND
        );
    }
    // The fourth is refused, and from then on every lookup by code from that address.
    let refused = ask("3456789234", guesser).await.expect("ask");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let refused = ask(code, guesser).await.expect("ask");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=3600).contains(&wait), "{wait}");
    // The pages too: the embed, and the play page rendered on the server.
    for page in [format!("/embed/{code}"), format!("/g/{code}")] {
        let refused = anyone
            .get(app.url(&page))
            .header("x-forwarded-for", guesser)
            .send()
            .await
            .expect("page");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{page}");
        assert!(refused.headers().contains_key("retry-after"), "{page}");
    }

    // Another address plays the game as before.
    assert_eq!(
        ask(code, "198.51.100.9").await.expect("ask").status(),
        StatusCode::OK
    );
    for page in [format!("/embed/{code}"), format!("/g/{code}")] {
        let played = anyone
            .get(app.url(&page))
            .header("x-forwarded-for", "198.51.100.9")
            .send()
            .await
            .expect("page");
        assert_eq!(played.status(), StatusCode::OK, "{page}");
    }
}

#[tokio::test]
async fn what_anyone_holding_the_code_is_answered_carries_no_internal_id() {
    let app = TestApp::spawn().await;
    let owner = app.visitor();
    let game = make_a_game(&app, &owner).await;
    let id = game["id"]
        .as_str()
        .expect("the owner sees the id")
        .to_owned();
    let code = game["short_code"].as_str().expect("code").to_owned();

    let anyone = reqwest::Client::new();
    let mut answers = Vec::new();
    // Each answer, and whether it names the game (by its code) at all.
    for (path, names_it) in [
        (format!("/g/{code}"), true),
        (format!("/embed/{code}"), true),
        (format!("/api/v1/play/{code}/leaderboard"), false),
    ] {
        let response = anyone.get(app.url(&path)).send().await.expect("get");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        answers.push((path, names_it, response.text().await.expect("text")));
    }
    // What the play page asks when it is reached inside the app.
    let response = anyone
        .post(app.url("/_sf/get_game_by_code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("code={code}"))
        .send()
        .await
        .expect("server function");
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.expect("json");
    assert_eq!(view["short_code"], code.as_str());
    assert!(view.get("id").is_none(), "{view}");
    answers.push(("get_game_by_code".into(), true, view.to_string()));

    for (what, names_it, text) in &answers {
        assert!(!text.contains(&id), "{what} carries the game's id");
        assert!(
            !names_it || text.contains(&code),
            "{what} is about the game"
        );
    }
}
