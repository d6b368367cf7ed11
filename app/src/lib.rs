//! PetPixel's web app: the HTML shell, the router and the pages, rendered on the server and
//! hydrated in the browser.

pub mod api;
pub mod browser;
pub mod dto;
pub mod error;
mod pages;
#[cfg(feature = "ssr")]
pub mod port;
pub mod stripe_js;
pub mod web_push;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around every page. `stylesheet` is the style sheet's address as the build
/// named it (by content): the server knows it, the hydrated app never needs to, so it is
/// written here rather than by a component both sides render.
pub fn shell(options: LeptosOptions, stylesheet: String) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href=stylesheet/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: meta tags, the header, the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Playwright waits for this marker: clicks before hydration would be lost.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="icon" href="/favicon.svg"/>
        <Meta name="theme-color" content="#2b2d42"/>
        <Title formatter=|page: String| format!("{page} · PetPixel Games")/>
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"PetPixel"<span>" Games"</span></a>
                <nav>
                    <a href="/games">"Gallery"</a>
                    <a href="/create">"Make a game"</a>
                    <AccountNav/>
                </nav>
            </header>
            <main>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::HomePage/>
                    <Route path=path!("/create") view=pages::CreatePage/>
                    <Route path=path!("/games/:id") view=pages::GamePage/>
                    <Route path=path!("/signup") view=pages::SignUpPage/>
                    <Route path=path!("/login") view=pages::LogInPage/>
                    <Route path=path!("/account") view=pages::AccountPage/>
                    <Route path=path!("/account/payments") view=pages::PaymentsPage/>
                    <Route path=path!("/admin/payments") view=pages::AdminPaymentsPage/>
                    <Route path=path!("/games") view=pages::GalleryPage/>
                    <Route path=path!("/moderation") view=pages::ModerationPage/>
                    <Route path=path!("/my-games") view=pages::MyGamesPage/>
                    <Route path=path!("/verify-email") view=pages::VerifyEmailPage/>
                    <Route path=path!("/confirm-email") view=pages::ConfirmEmailPage/>
                    <Route path=path!("/forgot-password") view=pages::ForgotPasswordPage/>
                    <Route path=path!("/reset-password") view=pages::ResetPasswordPage/>
                    // Rendered whole before it is sent, so the page is the same bytes for every
                    // visitor and shared caches can keep it (a streamed page's chunks arrive
                    // in whatever order its data does).
                    <Route path=path!("/g/:code") view=pages::PlayPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <footer class="site-footer">"Made with Rust, Leptos and Burn."</footer>
        </Router>
    }
}

/// The header's account links. Asked for from the browser after hydration, never rendered on
/// the server: public pages must be the same bytes for everyone, so shared caches may keep
/// them without showing one person's account to another.
#[component]
fn AccountNav() -> impl IntoView {
    // `None` until known; then whether someone is signed in.
    let signed_in = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let account = api::current_account().await.ok().flatten();
            signed_in.set(Some(account.is_some()));
        });
    });
    move || match signed_in.get() {
        Some(true) => view! {
            <a href="/my-games">"My games"</a>
            <a href="/account">"Account"</a>
        }
        .into_any(),
        Some(false) => view! {
            <a href="/login">"Log in"</a>
            <a href="/signup">"Sign up"</a>
        }
        .into_any(),
        None => ().into_any(),
    }
}
