//! Verified leaderboards, on the embedded defaults and on PostgreSQL + Redis + S3: a run is
//! replayed against the game's own module and kept only when the replay bears it out; forged,
//! truncated, padded and mistimed runs are refused; one time per name; a signed-in player's
//! name is remembered; new levels start a new board; runs are limited per address.

use game_runtime::format::GameData;
use game_runtime::run::{self, Run};
use game_runtime::sim::Buttons;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::common::{TestApp, chelsea, post, register, scale_out_parts, unique_email};

#[tokio::test]
async fn embedded() {
    let app = TestApp::spawn().await;
    runs_are_replayed_ranked_and_refused_when_the_replay_disagrees(&app).await;
}

#[tokio::test]
async fn scaled_out() {
    let Some((db, redis, bucket)) = scale_out_parts().await else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
    })
    .await;
    runs_are_replayed_ranked_and_refused_when_the_replay_disagrees(&app).await;
}

/// A finished one-level game of `client`'s.
async fn ready_game(app: &TestApp, client: &reqwest::Client) -> Value {
    let image = app.upload_photo(client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "park",
                   "difficulty": "easy", "level_count": 1}),
        )
        .await;
    let ready = app
        .wait_until_finished(client, game["id"].as_str().expect("id"))
        .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    ready
}

/// The game's levels, read from the module every player downloads.
async fn game_data(app: &TestApp, code: &str) -> GameData {
    let module = app
        .visitor()
        .get(app.url(&format!("/api/v1/play/{code}/game.wasm")))
        .send()
        .await
        .expect("module")
        .bytes()
        .await
        .expect("bytes");
    let section = game_runtime::assemble::read_section(&module).expect("game data");
    game_runtime::format::decode(section).expect("decodes")
}

async fn board(app: &TestApp, client: &reqwest::Client, code: &str) -> Value {
    let response = client
        .get(app.url(&format!("/api/v1/play/{code}/leaderboard")))
        .send()
        .await
        .expect("board");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    code: &str,
    name: &str,
    steps: u32,
    run: &str,
) -> (StatusCode, Value) {
    let response = post(
        client,
        app,
        &format!("/api/v1/play/{code}/leaderboard"),
        json!({"name": name, "steps": steps, "run": run}),
    )
    .await;
    let status = response.status();
    (status, response.json().await.expect("json"))
}

async fn send_run(
    app: &TestApp,
    client: &reqwest::Client,
    code: &str,
    name: &str,
    run: &Run,
) -> (StatusCode, Value) {
    send(app, client, code, name, run.steps(), &run.encode()).await
}

fn names_and_ranks(board: &Value) -> Vec<(String, u64)> {
    board["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("name").to_owned(),
                e["rank"].as_u64().expect("rank"),
            )
        })
        .collect()
}

fn refused_field(answer: &(StatusCode, Value)) -> &str {
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    answer.1["error"]["field"].as_str().expect("field")
}

async fn runs_are_replayed_ranked_and_refused_when_the_replay_disagrees(app: &TestApp) {
    let player = app.visitor();
    register(app, &player, &unique_email()).await;
    let game = ready_game(app, &player).await;
    let code = game["short_code"].as_str().expect("code");
    let stranger = app.visitor();
    assert_eq!(names_and_ranks(&board(app, &stranger, code).await), []);

    let data = game_data(app, code).await;
    let fast = run::solver_run(&data);
    let buttons: Vec<Buttons> = fast.buttons().collect();
    // Three steps slower: paused and resumed right after the start, the world unchanged.
    let slow = Run::from_buttons(
        [
            Buttons::START,
            Buttons::PAUSE,
            Buttons::NONE,
            Buttons::PAUSE,
        ]
        .into_iter()
        .chain(buttons[1..].iter().copied()),
    );

    // A stranger's believed run: the first time on the board.
    let (status, kept) = send_run(app, &stranger, code, "Slowpoke", &slow).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(
        (kept["rank"].as_u64(), kept["best"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(kept["entry"]["steps"], slow.steps());
    assert_eq!(kept["entry"]["time"], domain::run_time(slow.steps()));

    // The signed-in player's faster run goes first; their name is remembered.
    let (status, kept) = send_run(app, &player, code, "  Speedy ", &fast).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(
        (kept["rank"].as_u64(), kept["best"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(kept["entry"]["name"], "Speedy");
    assert_eq!(
        names_and_ranks(&kept["board"]),
        [("Speedy".to_owned(), 1), ("Slowpoke".to_owned(), 2)]
    );
    assert_eq!(board(app, &player, code).await["your_name"], "Speedy");
    assert!(board(app, &stranger, code).await.get("your_name").is_none());

    // The same name (in any case) slower: believed, but the faster time stays.
    let (status, kept) = send_run(app, &stranger, code, "SPEEDY", &slow).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(
        (kept["rank"].as_u64(), kept["best"].as_bool()),
        (Some(2), Some(false))
    );
    let now = board(app, &stranger, code).await;
    assert_eq!(now["entries"][0]["steps"], fast.steps());
    assert_eq!(now["entries"].as_array().map(Vec::len), Some(2));

    // What the replay does not bear out is refused, saying why, and nothing is kept.
    let truncated = Run::from_buttons(buttons[..buttons.len() - 30].iter().copied());
    let answer = send_run(app, &stranger, code, "Cheat", &truncated).await;
    assert_eq!(refused_field(&answer), "run");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not reach"),
        "{}",
        answer.1
    );
    let padded = Run::from_buttons(buttons.iter().copied().chain([Buttons::RIGHT; 30]));
    assert_eq!(
        refused_field(&send_run(app, &stranger, code, "Cheat", &padded).await),
        "run"
    );
    let no_title = Run::from_buttons(buttons[1..].iter().copied());
    assert_eq!(
        refused_field(&send_run(app, &stranger, code, "Cheat", &no_title).await),
        "run"
    );
    let no_jumps = Run::from_buttons(
        buttons
            .iter()
            .map(|b| Buttons::from_bits(b.bits() & !Buttons::JUMP.bits())),
    );
    assert_eq!(
        refused_field(&send_run(app, &stranger, code, "Cheat", &no_jumps).await),
        "run"
    );
    // A claimed time that is not the run's length.
    let answer = send(
        app,
        &stranger,
        code,
        "Cheat",
        fast.steps() - 60,
        &fast.encode(),
    )
    .await;
    assert_eq!(refused_field(&answer), "steps");
    for junk in ["", "4", "4:0", "99:1", "4:1;2:3", &"2:1,".repeat(200_000)] {
        assert_eq!(
            refused_field(&send(app, &stranger, code, "Cheat", 1, junk).await),
            "run",
            "{junk:.20}"
        );
    }
    for name in ["", "   ", "\u{202e}", &"x".repeat(25), "a\u{7}b"] {
        assert_eq!(
            refused_field(&send_run(app, &stranger, code, name, &fast).await),
            "name",
            "{name:?}"
        );
    }
    let unknown = send_run(app, &stranger, "zzzzzzzzzz", "Cheat", &fast).await;
    assert_eq!(unknown.0, StatusCode::NOT_FOUND);
    assert_eq!(
        names_and_ranks(&board(app, &stranger, code).await),
        [("Speedy".to_owned(), 1), ("Slowpoke".to_owned(), 2)]
    );

    // New levels are a new board: the old times were set on other levels.
    let id = game["id"].as_str().expect("id");
    let remade = post(
        &player,
        app,
        &format!("/api/v1/games/{id}/regenerate"),
        json!({}),
    )
    .await;
    assert_eq!(remade.status(), StatusCode::ACCEPTED);
    let again = app.wait_until_finished(&player, id).await;
    assert_eq!(again["status"], "ready", "{again}");
    assert_eq!(names_and_ranks(&board(app, &stranger, code).await), []);
    let old_run = send_run(app, &stranger, code, "Speedy", &fast).await;
    assert_eq!(
        refused_field(&old_run),
        "run",
        "the old levels' run does not finish the new ones"
    );
    let new_run = run::solver_run(&game_data(app, code).await);
    assert_eq!(
        send_run(app, &stranger, code, "Speedy", &new_run).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn runs_beyond_the_hourly_limit_get_429() {
    let app = TestApp::spawn_with(|c| c.limits.runs_per_hour = 2).await;
    let player = app.visitor();
    let game = ready_game(&app, &player).await;
    let code = game["short_code"].as_str().expect("code");
    let fast = run::solver_run(&game_data(&app, code).await);
    for name in ["One", "Two"] {
        assert_eq!(
            send_run(&app, &player, code, name, &fast).await.0,
            StatusCode::OK
        );
    }
    let (status, body) = send_run(&app, &app.visitor(), code, "Three", &fast).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // A run refused before replaying costs nothing: a bad name is still a 422.
    assert_eq!(
        refused_field(&send_run(&app, &player, code, "", &fast).await),
        "name"
    );
}
