//! The pages of the app, one module each.

mod account;
mod auth;
mod create;
mod game;
mod home;
mod my_games;
mod play;

pub use account::AccountPage;
pub use auth::{LogInPage, SignUpPage};
pub use create::CreatePage;
pub use game::GamePage;
pub use home::HomePage;
pub use my_games::MyGamesPage;
pub use play::PlayPage;

use leptos::prelude::*;
use leptos_meta::Title;

/// Any path that is no page.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http_not_found());
    }
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
