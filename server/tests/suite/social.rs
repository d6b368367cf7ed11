//! Signing in through Google (OpenID Connect) and Facebook (OAuth 2) against a real provider
//! run here (oidc-provider-mock, from PyPI), on the embedded defaults and on PostgreSQL +
//! Redis + S3: the whole redirect dance over HTTP, with the provider's own form answered as a
//! person would; the state checked, each callback usable once, accounts linked only by an
//! address the provider vouches for; unconfigured providers not offered.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::common::{TestApp, register, repo_root, scale_out_parts};

struct Provider {
    child: std::process::Child,
    base: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn provider() -> Provider {
    let bin = repo_root().join(".venv/bin/oidc-provider-mock");
    assert!(
        bin.exists(),
        "run scripts/install-tools.sh for oidc-provider-mock"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(bin)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the provider starts");
    let provider = Provider {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let discovery = format!("{}/.well-known/openid-configuration", provider.base);
    while !reqwest::get(&discovery)
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
    {
        assert!(Instant::now() < deadline, "the provider never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    provider
}

/// A browser that does not follow redirects, so each hop is seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn configure(c: &mut server::config::Config, issuer: &str) {
    let provider = server::config::SignInProvider {
        issuer: Some(issuer.to_owned()),
        client_id: "petpixel-test".into(),
        client_secret: SecretString::from("test-secret"),
    };
    c.auth.google = Some(provider.clone());
    c.auth.facebook = Some(provider);
}

async fn set_user(provider: &Provider, sub: &str, claims: Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/users/{sub}", provider.base))
        .json(&claims)
        .send()
        .await
        .expect("set user");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// From "Continue with {provider}" to the provider's redirect back, signing in as `sub` on its
/// form: the callback URL (with code and state) the browser would open.
async fn to_provider_and_back(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    sub: &str,
) -> String {
    let start = client
        .get(app.url(&format!("/api/v1/auth/social/{name}")))
        .send()
        .await
        .expect("start");
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = location(&start);
    // The provider's page is a form; answering it redirects back to us.
    let form = client.get(&authorize).send().await.expect("form");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.expect("html").contains("name=\"sub\""));
    let answered = client
        .post(&authorize)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("sub={sub}"))
        .send()
        .await
        .expect("authorize");
    assert!(answered.status().is_redirection(), "{}", answered.status());
    let back = location(&answered);
    assert!(
        back.starts_with(&app.url(&format!("/api/v1/auth/social/{name}/callback?"))),
        "{back}"
    );
    back
}

async fn profile(app: &TestApp, client: &reqwest::Client) -> Option<Value> {
    let response = client
        .get(app.url("/api/v1/auth/profile"))
        .send()
        .await
        .expect("profile");
    if response.status() != StatusCode::OK {
        return None;
    }
    Some(response.json().await.expect("json"))
}

async fn signs_in_and_links_by_verified_address(app: &TestApp, provider: &Provider) {
    for name in ["google", "facebook"] {
        // A new person: an account made, address confirmed as the provider says.
        let sub = format!("{name}-{}", uuid::Uuid::new_v4().simple());
        let email = format!("{sub}@example.com");
        set_user(
            provider,
            &sub,
            json!({"email": email, "email_verified": true, "name": "Alice"}),
        )
        .await;
        let client = browser();
        let back = to_provider_and_back(app, &client, name, &sub).await;
        let done = client.get(&back).send().await.expect("callback");
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/my-games");
        let account = profile(app, &client).await.expect("signed in");
        assert_eq!(account["email"], email);
        assert_eq!(account["email_verified"], true);
        assert_eq!(account["providers"], json!([name]));
        assert_eq!(account["has_password"], false);

        // The same callback again: its state was used up with the session's copy.
        let replay = browser();
        let again = replay.get(&back).send().await.expect("replay");
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert!(
            location(&again).starts_with("/login?error="),
            "{}",
            location(&again)
        );
        assert!(profile(app, &replay).await.is_none());
    }

    // An account with a password, and a provider identity with its address.
    let sub = format!("linker-{}", uuid::Uuid::new_v4().simple());
    let email = format!("{sub}@example.com");
    let owner = browser();
    register(app, &owner, &email).await;
    // Unverified by the provider: refused, nothing linked.
    set_user(
        provider,
        &sub,
        json!({"email": email, "email_verified": false}),
    )
    .await;
    let client = browser();
    let back = to_provider_and_back(app, &client, "google", &sub).await;
    let refused = client.get(&back).send().await.expect("callback");
    let to = location(&refused);
    assert!(to.starts_with("/login?error="), "{to}");
    assert!(to.contains("link+Google"), "{to}");
    assert!(profile(app, &client).await.is_none());
    // Verified: signs in to that account, which now lists Google.
    set_user(
        provider,
        &sub,
        json!({"email": email, "email_verified": true}),
    )
    .await;
    let back = to_provider_and_back(app, &client, "google", &sub).await;
    let done = client.get(&back).send().await.expect("callback");
    assert_eq!(location(&done), "/my-games");
    let account = profile(app, &client).await.expect("signed in");
    assert_eq!(account["email"], email);
    assert_eq!(account["providers"], json!(["google"]));
    assert_eq!(account["has_password"], true);

    // A forged state is refused.
    let client = browser();
    let back = to_provider_and_back(app, &client, "facebook", &sub).await;
    let forged = back.replace("state=", "state=x");
    let refused = client.get(&forged).send().await.expect("callback");
    assert!(location(&refused).starts_with("/login?error="));
    assert!(profile(app, &client).await.is_none());
}

#[tokio::test]
async fn embedded() {
    let provider = provider().await;
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        configure(c, &provider.base);
    })
    .await;
    signs_in_and_links_by_verified_address(&app, &provider).await;
}

#[tokio::test]
async fn scaled_out() {
    let Some((db, redis, bucket)) = scale_out_parts().await else {
        return;
    };
    let provider = provider().await;
    let app = TestApp::spawn_with(|c| {
        c.jobs.in_process_worker = false;
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
        configure(c, &provider.base);
    })
    .await;
    signs_in_and_links_by_verified_address(&app, &provider).await;
}

#[tokio::test]
async fn providers_not_configured_are_not_offered() {
    let app = TestApp::spawn_with(|c| c.jobs.in_process_worker = false).await;
    let client = browser();
    for path in [
        "/api/v1/auth/social/google",
        "/api/v1/auth/social/facebook",
        "/api/v1/auth/social/google/callback?code=x&state=y",
        "/api/v1/auth/social/myspace",
    ] {
        let response = client.get(app.url(path)).send().await.expect("get");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let login = client.get(app.url("/login")).send().await.expect("login");
    let html = login.text().await.expect("html");
    assert!(!html.contains("Continue with Google"), "not offered");
}
