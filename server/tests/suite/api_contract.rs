//! The API's contract: `GET /api/v1/openapi.json` is an OpenAPI 3.1 document naming every
//! route, with the error shape every failure answers with. (schemathesis then fuzzes the
//! running server against it: `scripts/api-contract.sh`, run by `scripts/test.sh`.)

use serde_json::Value;

use super::common::TestApp;

#[tokio::test]
async fn the_openapi_document_describes_every_route_of_the_api() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("document");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));

    let mut routes: Vec<String> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            "DELETE /api/v1/auth/account",
            "DELETE /api/v1/auth/sessions/{id}",
            "DELETE /api/v1/games/{id}",
            "DELETE /api/v1/images/{id}",
            "GET /api/v1/auth/export",
            "GET /api/v1/auth/profile",
            "GET /api/v1/auth/sessions",
            "GET /api/v1/auth/social/{provider}",
            "GET /api/v1/auth/social/{provider}/callback",
            "GET /api/v1/gallery",
            "GET /api/v1/games",
            "GET /api/v1/games/search",
            "GET /api/v1/games/{id}",
            "GET /api/v1/games/{id}/download",
            "GET /api/v1/games/{id}/events",
            "GET /api/v1/games/{id}/stats",
            "GET /api/v1/images/{id}/art/{look}/{file}",
            "GET /api/v1/images/{id}/status",
            "GET /api/v1/images/{id}/{file}",
            "GET /api/v1/moderation/queue",
            "GET /api/v1/moderation/{item}/photo",
            "GET /api/v1/openapi.json",
            "GET /api/v1/payments/events",
            "GET /api/v1/payments/history",
            "GET /api/v1/payments/offer",
            "GET /api/v1/payments/orders",
            "GET /api/v1/pixel-art/styles",
            "GET /api/v1/pixel-art/{id}/status",
            "GET /api/v1/play/{code}/download",
            "GET /api/v1/play/{code}/game.wasm",
            "GET /api/v1/play/{code}/leaderboard",
            "GET /api/v1/play/{code}/{file}",
            "GET /api/v1/push/key",
            "POST /api/v1/auth/login",
            "POST /api/v1/auth/logout",
            "POST /api/v1/auth/password/forgot",
            "POST /api/v1/auth/password/reset",
            "POST /api/v1/auth/refresh",
            "POST /api/v1/auth/register",
            "POST /api/v1/auth/verify-email",
            "POST /api/v1/auth/verify-email/confirm",
            "POST /api/v1/games",
            "POST /api/v1/games/{id}/feature",
            "POST /api/v1/games/{id}/publish",
            "POST /api/v1/games/{id}/push",
            "POST /api/v1/games/{id}/regenerate",
            "POST /api/v1/games/{id}/retry",
            "POST /api/v1/games/{id}/unpublish",
            "POST /api/v1/images/crop",
            "POST /api/v1/images/remove-background",
            "POST /api/v1/images/upload",
            "POST /api/v1/moderation/games/{id}/hide",
            "POST /api/v1/moderation/{item}/approve",
            "POST /api/v1/moderation/{item}/reject",
            "POST /api/v1/notifications/confirm",
            "POST /api/v1/payments/confirm",
            "POST /api/v1/payments/create-intent",
            "POST /api/v1/payments/refund",
            "POST /api/v1/payments/subscriptions/cancel",
            "POST /api/v1/payments/subscriptions/create",
            "POST /api/v1/payments/webhook",
            "POST /api/v1/pixel-art/animate",
            "POST /api/v1/pixel-art/generate",
            "POST /api/v1/play/{code}/events",
            "POST /api/v1/play/{code}/leaderboard",
            "POST /api/v1/play/{code}/plays",
            "POST /api/v1/play/{code}/report",
            "PUT /api/v1/auth/password",
        ]
    );

    // Every refusal is documented with the one error shape.
    for (route, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for (status, answer) in operation["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        answer["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ApiErrorBody",
                        "{method} {route} {status}"
                    );
                }
            }
        }
    }
    // The shared vocabulary says what it accepts.
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["Theme"]["enum"],
        serde_json::json!(["garden", "house", "beach", "space", "park"])
    );
    assert_eq!(
        schemas["SpriteSize"]["enum"],
        serde_json::json!([32, 48, 64])
    );
    assert_eq!(schemas["LevelCount"]["maximum"], 12);
    assert_eq!(
        schemas["Package"]["enum"],
        serde_json::json!(["free", "basic", "premium", "subscription"])
    );
    assert_eq!(
        schemas["Currency"]["enum"],
        serde_json::json!(["usd", "eur", "gbp", "jpy"])
    );
}
