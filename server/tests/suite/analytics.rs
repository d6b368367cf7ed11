//! Games' audiences, on the embedded defaults and on PostgreSQL (reading through a read-only
//! replica pool) + Redis + S3: pages' events are counted unless a robot sent them, batches are
//! validated and limited, the owner alone reads the totals and the days, and the upkeep drops
//! months past keeping (whole partitions on PostgreSQL) while the totals stay.

use chrono::{Months, Utc};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use server::analytics::store::{AnalyticsStore, NewEvent};

use super::common::{TestApp, chelsea, scale_out_parts};

/// What a person's browser sends; reqwest sends no `User-Agent` of its own (a robot's mark).
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/131.0.0.0 Safari/537.36";
/// Batches one game takes from one visitor and address an hour, in these tests.
const BATCHES: u32 = 4;

#[tokio::test]
async fn embedded() {
    let app = TestApp::spawn_with(|c| c.limits.events_per_hour = BATCHES).await;
    events_are_counted_for_the_owner_and_old_months_dropped(&app).await;
}

#[tokio::test]
async fn scaled_out() {
    let Some((db, redis, bucket)) = scale_out_parts().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        // The same database through a pool whose transactions are read-only: anything the
        // stats or the gallery wrote through it would fail.
        c.database_read_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
        c.limits.events_per_hour = BATCHES;
    })
    .await;
    events_are_counted_for_the_owner_and_old_months_dropped(&app).await;
}

async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    code: &str,
    body: Value,
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/v1/play/{code}/events")))
        .header("user-agent", BROWSER)
        .json(&body)
        .send()
        .await
        .expect("events")
}

async fn stats(
    client: &reqwest::Client,
    app: &TestApp,
    id: &str,
    query: &str,
) -> reqwest::Response {
    client
        .get(app.url(&format!("/api/v1/games/{id}/stats{query}")))
        .send()
        .await
        .expect("stats")
}

async fn events_are_counted_for_the_owner_and_old_months_dropped(app: &TestApp) {
    let owner = app.visitor();
    let image = app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &owner,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
                   "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let id = game["id"].as_str().expect("id").to_owned();
    let code = game["short_code"].as_str().expect("code").to_owned();

    // Not ready yet: nothing to count.
    let early = send(
        &app.visitor(),
        app,
        &code,
        json!({"events": [{"type": "view"}]}),
    )
    .await;
    assert_eq!(early.status(), StatusCode::NOT_FOUND);
    let ready = app.wait_until_finished(&owner, &id).await;
    assert_eq!(ready["status"], "ready", "{ready}");

    let player = app.visitor();
    let seen = send(
        &player,
        app,
        &code,
        json!({"events": [{"type": "view"}, {"type": "view"}, {"type": "complete"}]}),
    )
    .await;
    assert_eq!(seen.status(), StatusCode::ACCEPTED);
    assert_eq!(
        seen.json::<Value>().await.expect("json"),
        json!({"counted": 3})
    );
    let shared = send(&player, app, &code, json!({"events": [{"type": "share"}]})).await;
    assert_eq!(shared.json::<Value>().await.expect("json")["counted"], 1);
    let played = player
        .post(app.url(&format!("/api/v1/play/{code}/plays")))
        .send()
        .await
        .expect("play");
    assert!(played.status().is_success(), "{}", played.status());

    // Robots are answered and not counted (nor do they spend the visitor's batches).
    for agent in [
        None,
        Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        ),
    ] {
        let mut request = player
            .post(app.url(&format!("/api/v1/play/{code}/events")))
            .json(&json!({"events": [{"type": "view"}]}));
        if let Some(agent) = agent {
            request = request.header("user-agent", agent);
        }
        let robot = request.send().await.expect("robot");
        assert_eq!(robot.status(), StatusCode::ACCEPTED, "{agent:?}");
        assert_eq!(
            robot.json::<Value>().await.expect("json")["counted"],
            0,
            "{agent:?}"
        );
    }

    // Bad batches are refused in words, and count for nothing.
    let many: Vec<Value> = (0..21).map(|_| json!({"type": "view"})).collect();
    for (body, field) in [
        (json!({"events": []}), "events"),
        (json!({"events": many}), "events"),
        (json!({"events": [{"type": "purchase"}]}), ""),
        (json!({"events": [{"type": "view", "extra": 1}]}), ""),
        (json!({"views": 3}), ""),
    ] {
        let refused = send(&player, app, &code, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error: Value = refused.json().await.expect("json");
        if !field.is_empty() {
            assert_eq!(error["error"]["field"], field, "{error}");
        }
    }
    let nowhere = send(
        &player,
        app,
        "zzzzzz",
        json!({"events": [{"type": "view"}]}),
    )
    .await;
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);

    // The owner reads the audience: totals, and today in the last of 30 days.
    let answer = stats(&owner, app, &id, "").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let mine: Value = answer.json().await.expect("json");
    assert_eq!(mine["views"], 2, "{mine}");
    assert_eq!(mine["plays"], 1, "{mine}");
    assert_eq!(mine["completions"], 1, "{mine}");
    assert_eq!(mine["shares"], 1, "{mine}");
    assert_eq!(mine["completion_rate"], 1.0, "{mine}");
    let days = mine["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    let today = Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        days[29],
        json!({"day": today, "views": 2, "plays": 1, "completions": 1}),
        "{mine}"
    );
    assert!(
        days[..29]
            .iter()
            .all(|d| d["views"] == 0 && d["plays"] == 0 && d["completions"] == 0),
        "{mine}"
    );
    let week: Value = stats(&owner, app, &id, "?days=7")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(week["days"].as_array().expect("days").len(), 7);
    for query in ["?days=0", "?days=91", "?days=-1", "?days=week"] {
        let refused = stats(&owner, app, &id, query).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
    }
    // Nobody else does.
    for stranger in [app.visitor(), player.clone()] {
        let hidden = stats(&stranger, app, &id, "").await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    }

    // Batches are limited per visitor and address: two were spent above.
    for _ in 2..BATCHES {
        let more = send(&player, app, &code, json!({"events": [{"type": "view"}]})).await;
        assert_eq!(more.status(), StatusCode::ACCEPTED);
    }
    let over = send(&player, app, &code, json!({"events": [{"type": "view"}]})).await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.headers().contains_key("retry-after"));

    // Months past keeping go; the totals stay. Events in four months' time are kept, and
    // upkeep on that day (keeping two months) drops everything recorded until now.
    let db = server::startup::open_db(&app.config).await.expect("db");
    let game_id = id.parse().expect("uuid");
    let later = Utc::now()
        .checked_add_months(Months::new(4))
        .expect("a later date");
    db.record(&[NewEvent {
        game: game_id,
        kind: "view",
        at: later,
    }])
    .await
    .expect("record");
    let before = db.totals(game_id).await.expect("totals").expect("game");
    assert_eq!(before.views, 2 + u64::from(BATCHES) - 2 + 1);
    let upkept = db.upkeep(later, 2).await.expect("upkeep");
    let left = db
        .days(game_id, Utc::now() - chrono::Duration::days(400))
        .await
        .expect("days");
    let later_day = later.format("%Y-%m-%d").to_string();
    assert_eq!(left.len(), 1, "{left:?} after {upkept:?}");
    assert_eq!(
        (left[0].day.as_str(), left[0].kind.as_str()),
        (later_day.as_str(), "view")
    );
    assert_eq!(db.totals(game_id).await.expect("totals"), Some(before));
    if db.engine() == "postgres" {
        let this_month = format!("analytics_events_y{}", Utc::now().format("%Ym%m"));
        assert!(upkept.dropped.contains(&this_month), "{upkept:?}");
        let that_month = format!("analytics_events_y{}", later.format("%Ym%m"));
        assert!(upkept.made.contains(&that_month), "{upkept:?}");
        // Run again, it has nothing left to do.
        let again = db.upkeep(later, 2).await.expect("upkeep");
        assert!(
            again.made.is_empty() && again.dropped.is_empty(),
            "{again:?}"
        );
    } else {
        assert!(upkept.deleted >= 7, "{upkept:?}");
    }
    // The owner's page of stats still reads (the days are gone, the totals are not).
    let after: Value = stats(&owner, app, &id, "")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["views"], before.views, "{after}");
    assert_eq!(after["days"][29]["views"], 0, "{after}");
}
