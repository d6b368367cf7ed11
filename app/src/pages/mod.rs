//! The pages of the app, one module each.

mod account;
mod auth;
mod create;
mod email_links;
mod embed_builder;
mod gallery;
mod game;
mod home;
mod moderation;
mod my_games;
mod payments;
mod play;
mod refunds;
mod stats;

pub use account::AccountPage;
pub use auth::{LogInPage, SignUpPage};
pub use create::CreatePage;
pub use email_links::{ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage};
pub use gallery::GalleryPage;
pub use game::GamePage;
pub use home::HomePage;
pub use moderation::ModerationPage;
pub use my_games::MyGamesPage;
pub use payments::PaymentsPage;
pub use play::PlayPage;
pub use refunds::AdminPaymentsPage;

use leptos::prelude::*;
use leptos_meta::Title;

/// Any path that is no page.
/// Answers the page being rendered with 404 (on the server; in the browser, nothing).
fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http_not_found());
    }
}

/// Answers the page being rendered with 429 and when to try again (an address that asked for
/// too many game codes that do not exist).
fn rate_limited_status(retry_after_secs: u64) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::TOO_MANY_REQUESTS);
        if let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
            response.insert_header(axum::http::header::RETRY_AFTER, value);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = retry_after_secs;
}

/// Answers the page being rendered with 410 Gone (a free game past its time).
fn gone_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::GONE);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    not_found_status();
    view! {
        <Title text="Not found"/>
        <section class="panel">
            <h1>"Nothing here"</h1>
            <p>"That page does not exist. " <a href="/">"Go home"</a></p>
        </section>
    }
}

#[cfg(feature = "ssr")]
fn http_not_found() -> axum::http::StatusCode {
    axum::http::StatusCode::NOT_FOUND
}
