//! The access matrix: every API route that names a resource (a photo, a look, a game, a
//! public code) × every kind of caller — the owner (by session and by token), another user,
//! an anonymous visitor, a moderator, an admin — answers the status the table says. The
//! table's routes are checked against the OpenAPI document, so a new route without an entry
//! fails this test until someone decides who may reach it.
//!
//! An account's own things (its signed-in browsers) are the account's: anyone signed in as
//! another gets 404, an anonymous caller 401.
//!
//! Moderators and admins reach other people's things only through moderation's own routes
//! (the queue, approving, rejecting, featuring, taking down); through the owners' routes they
//! are anyone else: 404, which also says nothing about whether the thing exists.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::common::{PASSWORD, TestApp, chelsea, log_in, register};
use super::push::Device;

/// Who may reach a route.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// The owner gets this status; everyone else 404.
    Owner(u16),
    /// Everyone gets this status (a game's public files, by code).
    Public(u16),
    /// The owner's account gets this status; other accounts 404; anonymous callers 401.
    Account(u16),
    /// Moderators and admins get this status; other accounts (the owner's too) 403;
    /// anonymous callers 401.
    Moderators(u16),
}

/// Every route with a path parameter, in the order they are tried (what changes things
/// last), with who may reach it.
const MATRIX: [(&str, Access); 29] = [
    // The owner logs out another browser of theirs.
    ("DELETE /api/v1/auth/sessions/{id}", Access::Account(204)),
    ("GET /api/v1/images/{id}/status", Access::Owner(200)),
    ("GET /api/v1/images/{id}/{file}", Access::Owner(200)),
    (
        "GET /api/v1/images/{id}/art/{look}/{file}",
        Access::Owner(200),
    ),
    ("GET /api/v1/pixel-art/{id}/status", Access::Owner(200)),
    ("GET /api/v1/games/{id}", Access::Owner(200)),
    ("GET /api/v1/games/{id}/download", Access::Owner(200)),
    ("GET /api/v1/games/{id}/events", Access::Owner(200)),
    ("GET /api/v1/games/{id}/stats", Access::Owner(200)),
    ("GET /api/v1/play/{code}/game.wasm", Access::Public(200)),
    ("GET /api/v1/play/{code}/{file}", Access::Public(200)),
    ("GET /api/v1/play/{code}/download", Access::Public(200)),
    ("POST /api/v1/play/{code}/plays", Access::Public(204)),
    ("GET /api/v1/play/{code}/leaderboard", Access::Public(200)),
    // A run that does not finish the game: refused alike whoever sends it.
    ("POST /api/v1/play/{code}/leaderboard", Access::Public(422)),
    ("POST /api/v1/play/{code}/report", Access::Public(202)),
    ("POST /api/v1/play/{code}/events", Access::Public(202)),
    ("POST /api/v1/games/{id}/push", Access::Owner(201)),
    // Publishing needs the owner's account; the game then waits for a moderator, so until
    // one approves it there is nothing listed to feature or hide.
    ("POST /api/v1/games/{id}/publish", Access::Owner(200)),
    ("POST /api/v1/games/{id}/feature", Access::Moderators(404)),
    (
        "POST /api/v1/moderation/games/{id}/hide",
        Access::Moderators(404),
    ),
    // An item no one queued.
    (
        "GET /api/v1/moderation/{item}/photo",
        Access::Moderators(404),
    ),
    (
        "POST /api/v1/moderation/{item}/approve",
        Access::Moderators(404),
    ),
    (
        "POST /api/v1/moderation/{item}/reject",
        Access::Moderators(404),
    ),
    ("POST /api/v1/games/{id}/unpublish", Access::Owner(200)),
    // Only a failed game is tried again: the owner is told so, others learn nothing.
    ("POST /api/v1/games/{id}/retry", Access::Owner(422)),
    ("POST /api/v1/games/{id}/regenerate", Access::Owner(202)),
    ("DELETE /api/v1/games/{id}", Access::Owner(204)),
    ("DELETE /api/v1/images/{id}", Access::Owner(204)),
];

/// The ids the routes are tried with.
struct Owned {
    image: String,
    look: String,
    look_id: String,
    game: String,
    code: String,
    /// Another browser signed in to the owner's account.
    device: String,
}

impl Owned {
    fn path(&self, template: &str) -> String {
        // A photo's own files are its copies; a look's and a game's, the sprite.
        let file = if template == "/api/v1/images/{id}/{file}" {
            "thumbnail.png"
        } else {
            "sprite.png"
        };
        let id = if template.starts_with("/api/v1/auth/sessions/") {
            &self.device
        } else if template.starts_with("/api/v1/images/") {
            &self.image
        } else if template.starts_with("/api/v1/pixel-art/") {
            &self.look_id
        } else {
            &self.game
        };
        template
            .replace("{id}", id)
            .replace("{look}", &self.look)
            .replace("{file}", file)
            .replace("{code}", &self.code)
            .replace("{item}", "00000000-0000-4000-8000-000000000000")
    }
}

/// A caller: a client with its own cookies, and a bearer token when it calls as a script.
struct Caller {
    name: &'static str,
    client: reqwest::Client,
    token: Option<String>,
}

impl Caller {
    async fn call(&self, app: &TestApp, method: &Method, path: &str, body: Option<&Value>) -> u16 {
        let mut request = self.client.request(method.clone(), app.url(path));
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request").status().as_u16()
    }
}

async fn post_json(client: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> Value {
    let response = client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// A signed-in account, granted `role` first when it is not a plain user.
async fn account(app: &TestApp, role: &str) -> reqwest::Client {
    let client = app.visitor();
    let email = format!("{role}.{}@example.com", uuid::Uuid::new_v4().simple());
    register(app, &client, &email).await;
    if role != "user" {
        server::startup::grant_role(app.config.clone(), &email, role)
            .await
            .expect("granted");
    }
    client
}

#[tokio::test]
async fn every_resource_route_answers_each_kind_of_caller_as_the_table_says() {
    let app = TestApp::spawn_with(|c| {
        c.push.allowed_hosts = vec!["127.0.0.1".into()];
        c.push.allow_http = true;
        c.push.allow_private_addresses = true;
    })
    .await;

    // The table covers exactly the document's routes with a path parameter.
    let document: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("document")
        .json()
        .await
        .expect("json");
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        // A sign-in provider's name is not something anyone owns (accounts.rs and
        // social.rs test those routes).
        .filter(|(path, _)| path.contains('{') && !path.contains("{provider}"))
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let table: BTreeSet<String> = MATRIX
        .iter()
        .map(|(route, _)| (*route).to_owned())
        .collect();
    assert_eq!(
        documented, table,
        "every route naming a resource needs an entry in MATRIX"
    );

    // The owner makes a photo, a cut-out, a look and a game, then signs up: all of it is
    // the account's. The same account also calls as a script, with a token.
    let owner = app.visitor();
    let image = app.upload_photo(&owner, chelsea(), "chelsea.png").await;
    let image_id = image["id"].as_str().expect("id").to_owned();
    post_json(
        &owner,
        &app,
        "/api/v1/images/remove-background",
        json!({"image_id": image_id}),
    )
    .await;
    let art = post_json(
        &owner,
        &app,
        "/api/v1/pixel-art/generate",
        json!({"image_id": image_id, "style": "game-boy", "animate": false}),
    )
    .await;
    let status: Value = owner
        .get(app.url(&format!("/api/v1/images/{image_id}/status")))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    let game = super::common::start_game_at(&app.base, &owner, &image).await;
    let game_id = game["id"].as_str().expect("id").to_owned();
    let ready = app.wait_until_finished(&owner, &game_id).await;
    assert_eq!(ready["status"], "ready");
    let mut owned = Owned {
        image: image_id,
        look: status["looks"][0].as_str().expect("a look").to_owned(),
        look_id: art["id"].as_str().expect("id").to_owned(),
        game: game_id,
        code: ready["short_code"].as_str().expect("code").to_owned(),
        device: String::new(),
    };
    let email = format!("owner.{}@example.com", uuid::Uuid::new_v4().simple());
    register(&app, &owner, &email).await;
    let pair = post_json(
        &reqwest::Client::new(),
        &app,
        "/api/v1/auth/login",
        json!({"email": email, "password": PASSWORD, "token": true}),
    )
    .await;
    // The owner logs in on a second browser too.
    let second = app.visitor();
    assert_eq!(log_in(&second, &app, &email, PASSWORD).await.status(), 200);
    let devices: Value = owner
        .get(app.url("/api/v1/auth/sessions"))
        .send()
        .await
        .expect("sessions")
        .json()
        .await
        .expect("json");
    owned.device = devices
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["current"] == false)
        .and_then(|d| d["id"].as_str())
        .expect("the second browser")
        .to_owned();

    let others = [
        Caller {
            name: "another user",
            client: account(&app, "user").await,
            token: None,
        },
        Caller {
            name: "anonymous",
            client: reqwest::Client::new(),
            token: None,
        },
        Caller {
            name: "moderator",
            client: account(&app, "moderator").await,
            token: None,
        },
        Caller {
            name: "admin",
            client: account(&app, "admin").await,
            token: None,
        },
    ];
    let by_session = Caller {
        name: "owner",
        client: owner,
        token: None,
    };
    let by_token = Caller {
        name: "owner by token",
        client: reqwest::Client::new(),
        token: Some(pair["access_token"].as_str().expect("token").to_owned()),
    };
    let push = Device::new("http://127.0.0.1:9/push".into()).subscription();
    let feature = json!({"featured": true});
    let reason = json!({"reason": "checked by the access matrix"});
    let empty = json!({});
    let unfinished_run = json!({"name": "Matrix", "steps": 1, "run": "8:1"});
    let report = json!({"reason": "other", "note": "checked by the access matrix"});
    let seen = json!({"events": [{"type": "view"}]});

    let mut checks = 0;
    for (route, access) in MATRIX {
        let (method, template) = route.split_once(' ').expect("METHOD path");
        let method: Method = method.parse().expect("method");
        let path = owned.path(template);
        let body = if route.ends_with("/push") {
            Some(&push)
        } else if route.ends_with("/feature") {
            Some(&feature)
        } else if route.ends_with("/reject") || route.ends_with("/hide") {
            Some(&reason)
        } else if route.ends_with("/publish") {
            Some(&empty)
        } else if route == "POST /api/v1/play/{code}/leaderboard" {
            Some(&unfinished_run)
        } else if route.ends_with("/report") {
            Some(&report)
        } else if route == "POST /api/v1/play/{code}/events" {
            Some(&seen)
        } else {
            None
        };
        // Everyone else first: they must change nothing the owner then finds.
        for caller in &others {
            let expected = match access {
                Access::Account(_) | Access::Moderators(_) if caller.name == "anonymous" => 401,
                Access::Moderators(status) if matches!(caller.name, "moderator" | "admin") => {
                    status
                }
                Access::Moderators(_) => 403,
                Access::Owner(_) | Access::Account(_) => 404,
                Access::Public(status) => status,
            };
            let got = caller.call(&app, &method, &path, body).await;
            assert_eq!(got, expected, "{} {route}", caller.name);
            checks += 1;
        }
        let expected = match access {
            Access::Owner(status) | Access::Public(status) | Access::Account(status) => status,
            // The owner is a plain user.
            Access::Moderators(_) => 403,
        };
        // The token caller tries only what changes nothing, so the session's answer is the
        // first of its kind.
        if method == Method::GET {
            let got = by_token.call(&app, &method, &path, body).await;
            assert_eq!(got, expected, "{} {route}", by_token.name);
            checks += 1;
        }
        if route == "DELETE /api/v1/games/{id}" {
            // New levels were asked for just before: delete once they are made.
            app.wait_until_finished(&by_session.client, &owned.game)
                .await;
        }
        let got = by_session.call(&app, &method, &path, body).await;
        assert_eq!(got, expected, "{} {route}", by_session.name);
        checks += 1;
    }
    eprintln!(
        "access matrix: {} routes x 6 kinds of caller, {checks} checks",
        MATRIX.len()
    );
    assert_eq!(
        StatusCode::NOT_FOUND,
        by_session
            .client
            .get(app.url(&format!("/api/v1/games/{}", owned.game)))
            .send()
            .await
            .expect("gone")
            .status()
    );
}
