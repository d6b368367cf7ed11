//! The gallery and moderation, on the embedded defaults and on PostgreSQL + Redis + S3:
//! publishing waits for a moderator; approved games are listed, paged and found by search;
//! rejected and hidden ones are not, and their owners read why; every moderator action is
//! recorded.

use std::sync::Arc;

use domain::Theme;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use server::gallery::ranking::{MostPlayed, Ranking, RedisRanking, SqlRanking, Window};
use server::infra::db::{Db, Id};
use server::moderation::store::ModerationStore;
use uuid::Uuid;

use super::common::{TestApp, chelsea, post, register, scale_out_parts, unique_email};

macro_rules! on_both_stacks {
    ($($behaviour:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let app = super::TestApp::spawn().await;
                    super::$behaviour(&app).await;
                }
            )*
        }
        mod scaled_out {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some((db, redis, bucket)) = super::scale_out_parts().await else {
                        return;
                    };
                    let app = super::TestApp::spawn_with(|c| {
                        c.database_url = Some(super::SecretString::from(db.url.clone()));
                        c.redis_url = Some(super::SecretString::from(redis));
                        c.s3 = Some(bucket);
                    })
                    .await;
                    super::$behaviour(&app).await;
                }
            )*
        }
    };
}

on_both_stacks!(
    a_published_game_is_listed_and_found_once_a_moderator_approves_it,
    a_rejected_game_tells_its_owner_why_and_may_be_sent_again,
    the_gallery_pages_by_keyset_and_filters,
    a_reported_game_is_kept_or_taken_down_by_a_moderator,
);

/// The app's own database, opened beside it.
async fn database(app: &TestApp) -> Db {
    use secrecy::ExposeSecret;
    match &app.config.database_url {
        Some(url) => Db::postgres(url.expose_secret()).await.expect("postgres"),
        None => Db::sqlite(&app.config.data_dir.join("petpixel.sqlite3"))
            .await
            .expect("sqlite"),
    }
}

/// The app's Redis ranking, opened beside it, when the app ranks in Redis.
async fn redis_ranking(app: &TestApp, db: &Db) -> Option<RedisRanking> {
    use secrecy::ExposeSecret;
    let url = app.config.redis_url.as_ref()?;
    let client = redis::Client::open(url.expose_secret()).expect("redis url");
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("redis");
    Some(RedisRanking::new(
        conn,
        server::startup::REDIS_PREFIX,
        Arc::new(db.clone()),
    ))
}

/// A game's id by its short code.
async fn id_of(db: &Db, code: &str) -> Uuid {
    let sql = "SELECT id FROM games WHERE short_code = $1";
    let (id,): (Id,) = match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(code).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_as(sql).bind(code).fetch_one(pool).await,
    }
    .expect("the game's id");
    id.into()
}

/// A signed-in account's client and one finished game of theirs.
async fn owner_with_game(app: &TestApp, pet: &str, theme: &str) -> (reqwest::Client, Value) {
    let client = app.visitor();
    register(app, &client, &unique_email()).await;
    let game = game_of(app, &client, pet, theme).await;
    (client, game)
}

async fn game_of(app: &TestApp, client: &reqwest::Client, pet: &str, theme: &str) -> Value {
    let image = app.upload_photo(client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            client,
            json!({"image_id": image["id"], "pet_name": pet, "theme": theme,
                   "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let ready = app
        .wait_until_finished(client, game["id"].as_str().expect("id"))
        .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    ready
}

/// A signed-in moderator's client and account id.
async fn moderator(app: &TestApp) -> (reqwest::Client, Uuid) {
    let client = app.visitor();
    let email = unique_email();
    let account = register(app, &client, &email).await;
    server::startup::grant_role(app.config.clone(), &email, "moderator")
        .await
        .expect("moderator");
    let id = account["id"].as_str().expect("id").parse().expect("uuid");
    (client, id)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.expect(path)
}

async fn get_json(client: &reqwest::Client, app: &TestApp, path: &str) -> Value {
    let response = get(client, app, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.expect("json")
}

fn codes(page: &Value) -> Vec<String> {
    page["games"]
        .as_array()
        .expect("games")
        .iter()
        .map(|g| g["short_code"].as_str().expect("code").to_owned())
        .collect()
}

/// `who` approves queue item `item`: the answer's status.
async fn approve(who: &reqwest::Client, app: &TestApp, item: &str) -> StatusCode {
    post(
        who,
        app,
        &format!("/api/v1/moderation/{item}/approve"),
        json!({}),
    )
    .await
    .status()
}

/// The queue item waiting for `game`.
async fn item_of(client: &reqwest::Client, app: &TestApp, game: &str) -> String {
    let queue = get_json(client, app, "/api/v1/moderation/queue").await;
    queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["game_id"] == game)
        .unwrap_or_else(|| panic!("{game} is not in the queue: {queue}"))["id"]
        .as_str()
        .expect("item id")
        .to_owned()
}

async fn a_published_game_is_listed_and_found_once_a_moderator_approves_it(app: &TestApp) {
    let (owner, game) = owner_with_game(app, "Chelsea", "garden").await;
    let id = game["id"].as_str().expect("id");
    let code = game["short_code"].as_str().expect("code");
    assert_eq!(game["visibility"], "private", "link-only by default");
    let publish_path = format!("/api/v1/games/{id}/publish");

    // Someone else's game is not theirs to publish; a visitor without an account cannot.
    let stranger = app.visitor();
    register(app, &stranger, &unique_email()).await;
    assert_eq!(
        post(&stranger, app, &publish_path, json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let anonymous = app.visitor();
    let theirs = game_of(app, &anonymous, "Rex", "park").await;
    let anonymous_publish = post(
        &anonymous,
        app,
        &format!(
            "/api/v1/games/{}/publish",
            theirs["id"].as_str().expect("id")
        ),
        json!({}),
    )
    .await;
    assert_eq!(anonymous_publish.status(), StatusCode::UNAUTHORIZED);
    // Too long a description changes nothing.
    let long = post(
        &owner,
        app,
        &publish_path,
        json!({"description": "x".repeat(501)}),
    )
    .await;
    assert_eq!(long.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let pending: Value = post(
        &owner,
        app,
        &publish_path,
        json!({"description": "Chelsea chases butterflies through the marigolds"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(pending["visibility"], "pending", "{pending}");
    assert_eq!(
        pending["description"],
        "Chelsea chases butterflies through the marigolds"
    );
    // Waiting: not listed, not found.
    let anyone = app.visitor();
    assert!(!codes(&get_json(&anyone, app, "/api/v1/gallery").await).contains(&code.to_owned()));
    assert!(codes(&get_json(&anyone, app, "/api/v1/games/search?q=chelsea").await).is_empty());

    // Only moderators see the queue.
    assert_eq!(
        get(&anyone, app, "/api/v1/moderation/queue").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&owner, app, "/api/v1/moderation/queue").await.status(),
        StatusCode::FORBIDDEN
    );
    let (moderator, moderator_id) = moderator(app).await;
    let item = item_of(&moderator, app, id).await;
    let queue = get_json(&moderator, app, "/api/v1/moderation/queue").await;
    let queued = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == item.as_str())
        .expect("the item");
    assert_eq!(queued["reason"], "published");
    assert!(
        queued["cutout"]
            .as_str()
            .is_some_and(|u| u.ends_with("cutout.png"))
    );
    // The owner's photo, beside it, for moderators only.
    let photo_url = queued["photo"].as_str().expect("the photo's address");
    assert_eq!(photo_url, format!("/api/v1/moderation/{item}/photo"));
    let photo = get(&moderator, app, photo_url).await;
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/png");
    let png = photo.bytes().await.expect("bytes");
    assert!(image::load_from_memory(&png).is_ok_and(|p| p.width() > 0));
    assert_eq!(
        get(&owner, app, photo_url).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&anyone, app, photo_url).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        approve(&owner, app, &item).await,
        StatusCode::FORBIDDEN,
        "owners do not approve their own games"
    );
    assert_eq!(
        approve(&moderator, app, &item).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        approve(&moderator, app, &item).await,
        StatusCode::NOT_FOUND,
        "decided once"
    );
    assert_eq!(
        get(&moderator, app, photo_url).await.status(),
        StatusCode::NOT_FOUND,
        "the photo goes with the item once decided"
    );

    // Listed, and found by any word of its title, pet name or description, as a prefix.
    let listed = get_json(&anyone, app, "/api/v1/gallery").await;
    assert_eq!(codes(&listed).first().map(String::as_str), Some(code));
    let card = &listed["games"][0];
    assert_eq!(card["play"], format!("/g/{code}"));
    assert!(
        card["preview"]
            .as_str()
            .is_some_and(|u| u.ends_with("preview.gif"))
    );
    assert_eq!(card["featured"], false);
    for q in ["chel", "CHELSEA", "butterfl marigold", "great adventure"] {
        let found = get_json(&anyone, app, &format!("/api/v1/games/search?q={q}")).await;
        assert_eq!(codes(&found), [code], "{q}");
    }
    for q in ["dragon", "chelsea dragon"] {
        let found = get_json(&anyone, app, &format!("/api/v1/games/search?q={q}")).await;
        assert!(codes(&found).is_empty(), "{q}: {found}");
    }
    // Query syntax of either engine is only words here.
    let odd = get_json(
        &anyone,
        app,
        "/api/v1/games/search?q=chel%22%20OR%20*%3A%20%26%20!",
    )
    .await;
    assert_eq!(
        codes(&odd),
        Vec::<String>::new(),
        "`or` is a word no game has"
    );
    for q in ["", "%20!!%20", &"a".repeat(101)] {
        assert_eq!(
            get(&anyone, app, &format!("/api/v1/games/search?q={q}"))
                .await
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q:?}"
        );
    }

    // Featured by a moderator (only).
    let feature = format!("/api/v1/games/{id}/feature");
    assert_eq!(
        post(&owner, app, &feature, json!({"featured": true}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&moderator, app, &feature, json!({"featured": true}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let featured = get_json(&anyone, app, "/api/v1/gallery?sort=featured").await;
    assert_eq!(codes(&featured), [code]);
    assert_eq!(featured["games"][0]["featured"], true);

    // Taken down: a reason is required; then it is gone from the gallery, search and embed,
    // and its owner reads why and cannot publish it again.
    let hide = format!("/api/v1/moderation/games/{id}/hide");
    assert_eq!(
        post(&moderator, app, &hide, json!({})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        post(
            &moderator,
            app,
            &hide,
            json!({"reason": "A photo of a person, not a pet"})
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert!(codes(&get_json(&anyone, app, "/api/v1/gallery").await).is_empty());
    assert!(codes(&get_json(&anyone, app, "/api/v1/gallery?sort=featured").await).is_empty());
    assert!(codes(&get_json(&anyone, app, "/api/v1/games/search?q=chelsea").await).is_empty());
    let embed = get(&anyone, app, &format!("/embed/{code}")).await;
    assert_eq!(embed.status(), StatusCode::GONE);
    assert!(
        embed
            .text()
            .await
            .expect("text")
            .contains("our moderators took it down")
    );
    let mine = get_json(&owner, app, &format!("/api/v1/games/{id}")).await;
    assert_eq!(mine["visibility"], "hidden");
    assert_eq!(mine["moderation_note"], "A photo of a person, not a pet");
    assert_eq!(
        post(&owner, app, &publish_path, json!({})).await.status(),
        StatusCode::CONFLICT
    );

    // Everything the moderator did is recorded: who, what, why.
    let actions = database(app)
        .await
        .actions(id.parse().expect("uuid"))
        .await
        .expect("actions");
    let done: Vec<(&str, Option<Uuid>, Option<&str>)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.moderator, a.reason.as_deref()))
        .collect();
    assert_eq!(
        done,
        [
            ("approve", Some(moderator_id), None),
            ("feature", Some(moderator_id), None),
            (
                "hide",
                Some(moderator_id),
                Some("A photo of a person, not a pet")
            ),
        ]
    );
}

async fn a_rejected_game_tells_its_owner_why_and_may_be_sent_again(app: &TestApp) {
    let (owner, game) = owner_with_game(app, "Biscuit", "beach").await;
    let id = game["id"].as_str().expect("id");
    let publish = format!("/api/v1/games/{id}/publish");
    assert_eq!(
        post(&owner, app, &publish, json!({})).await.status(),
        StatusCode::OK
    );
    let (moderator, _) = moderator(app).await;
    let item = item_of(&moderator, app, id).await;
    let reject = format!("/api/v1/moderation/{item}/reject");
    assert_eq!(
        post(&moderator, app, &reject, json!({"reason": "  "}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason the owner can read"
    );
    assert_eq!(
        post(
            &moderator,
            app,
            &reject,
            json!({"reason": "The title has a phone number"})
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    let mine = get_json(&owner, app, &format!("/api/v1/games/{id}")).await;
    assert_eq!(mine["visibility"], "rejected");
    assert_eq!(mine["moderation_note"], "The title has a phone number");
    let anyone = app.visitor();
    assert!(codes(&get_json(&anyone, app, "/api/v1/games/search?q=biscuit").await).is_empty());

    // Sent again, it waits once more; withdrawn, it leaves the queue.
    let again: Value = post(&owner, app, &publish, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["visibility"], "pending");
    assert_eq!(again["moderation_note"], Value::Null);
    item_of(&moderator, app, id).await;
    let withdrawn: Value = post(
        &owner,
        app,
        &format!("/api/v1/games/{id}/unpublish"),
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(withdrawn["visibility"], "private");
    let queue = get_json(&moderator, app, "/api/v1/moderation/queue").await;
    assert!(
        queue["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["game_id"] != id),
        "{queue}"
    );
}

async fn the_gallery_pages_by_keyset_and_filters(app: &TestApp) {
    let (owner, _) = owner_with_game(app, "Pip", "space").await;
    let (moderator, _) = moderator(app).await;
    let mut listed = Vec::new();
    for (pet, theme) in [("Pip", "space"), ("Olive", "garden"), ("Mochi", "space")] {
        let game = game_of(app, &owner, pet, theme).await;
        let id = game["id"].as_str().expect("id").to_owned();
        assert_eq!(
            post(
                &owner,
                app,
                &format!("/api/v1/games/{id}/publish"),
                json!({})
            )
            .await
            .status(),
            StatusCode::OK
        );
        let item = item_of(&moderator, app, &id).await;
        assert_eq!(
            approve(&moderator, app, &item).await,
            StatusCode::NO_CONTENT
        );
        listed.push(game["short_code"].as_str().expect("code").to_owned());
    }
    listed.reverse(); // newest first
    let anyone = app.visitor();
    let first = get_json(&anyone, app, "/api/v1/gallery?limit=2").await;
    assert_eq!(codes(&first), listed[..2]);
    let next = first["next"].as_str().expect("a next page");
    let second = get_json(
        &anyone,
        app,
        &format!("/api/v1/gallery?limit=2&cursor={next}"),
    )
    .await;
    assert_eq!(codes(&second), listed[2..]);
    assert_eq!(second["next"], Value::Null, "the last page");

    let space = get_json(&anyone, app, "/api/v1/gallery?theme=space").await;
    assert_eq!(codes(&space), [listed[0].clone(), listed[2].clone()]);
    let none = get_json(&anyone, app, "/api/v1/gallery?theme=space&difficulty=hard").await;
    assert!(codes(&none).is_empty());
    for bad in [
        "sort=best",
        "theme=moon",
        "difficulty=brutal",
        "limit=0",
        "limit=49",
        "limit=two",
        "cursor=nonsense",
    ] {
        let response = get(&anyone, app, &format!("/api/v1/gallery?{bad}")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert!(body["error"]["field"].is_string(), "{bad}: {body}");
    }

    // The most played: plays counted as the game pages report them, in a sliding window.
    let (mochi, olive, pip) = (&listed[0], &listed[1], &listed[2]);
    for (code, plays) in [(pip, 3), (olive, 1)] {
        for _ in 0..plays {
            let played = post(
                &app.visitor(),
                app,
                &format!("/api/v1/play/{code}/plays"),
                json!({}),
            )
            .await;
            assert_eq!(played.status(), StatusCode::NO_CONTENT);
        }
    }
    // Mochi was the rage two days ago: five plays then, none today — kept as the events
    // they would have been, and counted in Redis's windows too when the app ranks there.
    let now = chrono::Utc::now();
    let two_days_ago = now - chrono::Duration::days(2);
    let old_play = "INSERT INTO analytics_events (game_id, event_type, created_at) \
        SELECT id, 'play', $2 FROM games WHERE short_code = $1";
    let db = database(app).await;
    for _ in 0..5 {
        match &db {
            Db::Sqlite(pool) => sqlx::query(old_play)
                .bind(mochi)
                .bind(two_days_ago)
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Postgres(pool) => sqlx::query(old_play)
                .bind(mochi)
                .bind(two_days_ago)
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .expect("an old play");
    }
    let redis_ranking = redis_ranking(app, &db).await;
    if let Some(ranking) = &redis_ranking {
        let id = id_of(&db, mochi).await;
        for _ in 0..5 {
            ranking
                .played_at(id, two_days_ago, now)
                .await
                .expect("an old play ranked");
        }
    }
    let today = get_json(&anyone, app, "/api/v1/gallery?sort=popular").await;
    assert_eq!(codes(&today), [pip.clone(), olive.clone()]);
    assert_eq!(today["next"], Value::Null, "one page");
    let week = get_json(&anyone, app, "/api/v1/gallery?sort=popular_week").await;
    assert_eq!(codes(&week), [mochi.clone(), pip.clone(), olive.clone()]);
    let garden = get_json(
        &anyone,
        app,
        "/api/v1/gallery?sort=popular_week&theme=garden",
    )
    .await;
    assert_eq!(codes(&garden), std::slice::from_ref(olive));
    let one = get_json(&anyone, app, "/api/v1/gallery?sort=popular&limit=1").await;
    assert_eq!(codes(&one), std::slice::from_ref(pip));
    // Conformance: what the app answered from Redis, SQL counts from the same plays.
    if redis_ranking.is_some() {
        let sql = SqlRanking::new(Arc::new(db.clone()));
        for (window, theme, answer) in [
            (Window::Day, None, &today),
            (Window::Week, None, &week),
            (Window::Week, Some(Theme::Garden), &garden),
        ] {
            let counted = sql
                .most_played(&MostPlayed {
                    window,
                    now: chrono::Utc::now(),
                    theme,
                    difficulty: None,
                    limit: 24,
                })
                .await
                .expect("sql ranking");
            let counted: Vec<String> = counted.iter().map(|g| g.short_code.to_string()).collect();
            assert_eq!(counted, codes(answer), "{window:?} {theme:?}");
        }
    }
    let paged = get(
        &anyone,
        app,
        &format!(
            "/api/v1/gallery?sort=popular&cursor={}",
            first["next"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(paged.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// `client` reports the game `code`: the answer as it came.
async fn report(
    client: &reqwest::Client,
    app: &TestApp,
    code: &str,
    body: Value,
) -> reqwest::Response {
    post(client, app, &format!("/api/v1/play/{code}/report"), body).await
}

async fn a_reported_game_is_kept_or_taken_down_by_a_moderator(app: &TestApp) {
    // A link-only game: shared links are reported too, listed or not.
    let (owner, game) = owner_with_game(app, "Pepper", "house").await;
    let id = game["id"].as_str().expect("id");
    let code = game["short_code"].as_str().expect("code");
    let stranger = app.visitor();

    // Bad reports are refused, naming the field, and cost nothing.
    for (body, field) in [
        (json!({"reason": "boring"}), "reason"),
        (json!({"reason": "spam", "note": "x".repeat(501)}), "note"),
        (json!({"reason": "spam", "note": "bell\u{7}"}), "note"),
    ] {
        let answer = report(&stranger, app, code, body).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = answer.json().await.expect("json");
        assert_eq!(error["error"]["field"], field, "{error}");
    }
    let unknown = report(&stranger, app, "zzzzzzzzzz", json!({"reason": "spam"})).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // A report waits for a moderator with its reason and note; kept, the game is untouched.
    let sent = report(
        &stranger,
        app,
        code,
        json!({"reason": "offensive", "note": " Rude title "}),
    )
    .await;
    assert_eq!(
        sent.status(),
        StatusCode::ACCEPTED,
        "{:?}",
        sent.text().await
    );
    let (moderator, moderator_id) = moderator(app).await;
    let queue = get_json(&moderator, app, "/api/v1/moderation/queue").await;
    let item = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["game_id"] == id)
        .unwrap_or_else(|| panic!("the report is not queued: {queue}"))
        .clone();
    assert_eq!(item["reason"], "report: offensive");
    assert_eq!(item["note"], "Rude title");
    let item_id = item["id"].as_str().expect("item");
    assert_eq!(
        approve(&moderator, app, item_id).await,
        StatusCode::NO_CONTENT
    );
    let mine = get_json(&owner, app, &format!("/api/v1/games/{id}")).await;
    assert_eq!(mine["visibility"], "private");
    let embed = get(&stranger, app, &format!("/embed/{code}")).await;
    assert_eq!(embed.status(), StatusCode::OK);

    // Reported again and upheld: taken down, its owner told why, its embed a notice.
    let sent = report(&stranger, app, code, json!({"reason": "someone_elses"})).await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let item = item_of(&moderator, app, id).await;
    let take_down = post(
        &moderator,
        app,
        &format!("/api/v1/moderation/{item}/reject"),
        json!({"reason": "The photo belongs to someone else"}),
    )
    .await;
    assert_eq!(take_down.status(), StatusCode::NO_CONTENT);
    let mine = get_json(&owner, app, &format!("/api/v1/games/{id}")).await;
    assert_eq!(mine["visibility"], "hidden");
    assert_eq!(mine["moderation_note"], "The photo belongs to someone else");
    let embed = get(&stranger, app, &format!("/embed/{code}")).await;
    assert_eq!(embed.status(), StatusCode::GONE);
    let actions = database(app)
        .await
        .actions(id.parse().expect("uuid"))
        .await
        .expect("actions");
    let done: Vec<(&str, Option<Uuid>)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.moderator))
        .collect();
    assert_eq!(
        done,
        [
            ("dismiss_report", Some(moderator_id)),
            ("take_down", Some(moderator_id)),
        ]
    );

    // Each address may send five reports of a game an hour; the sixth waits.
    for _ in 0..3 {
        let sent = report(&app.visitor(), app, code, json!({"reason": "spam"})).await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
    }
    let limited = report(&app.visitor(), app, code, json!({"reason": "spam"})).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
}
