//! The pages our emails link to: confirm an account's address, confirm an address for a
//! game's "it is ready" email, and set a forgotten password (and ask for that link). Each
//! acts only when the person presses its button: mail scanners that open links must not
//! confirm anything on their own.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::Serialize;

use crate::browser;

#[derive(Serialize)]
struct EmailedLink {
    token: String,
}

/// The `?token=` of the link that opened the page.
fn link_token() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get("token").unwrap_or_default()))
}

/// One button that posts the link's token to `endpoint`, then says `done`.
#[component]
fn ConfirmButton(endpoint: &'static str, label: &'static str, done: &'static str) -> impl IntoView {
    let token = link_token();
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let busy = RwSignal::new(false);
    let confirm = move |_| {
        busy.set(true);
        let body = EmailedLink {
            token: token.get_untracked(),
        };
        spawn_local(async move {
            let result = browser::send_json("POST", endpoint, &body).await;
            outcome.set(Some(result.map_err(|e| e.to_string())));
            busy.set(false);
        });
    };
    view! {
        {move || match outcome.get() {
            Some(Ok(())) => view! { <p class="notice" role="status">{done}</p> }.into_any(),
            other => view! {
                {other.and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button class="button primary" type="button" on:click=confirm disabled=move || busy.get()>
                    {label}
                </button>
            }.into_any(),
        }}
    }
}

/// `/verify-email?token=`: the link mailed at sign-up.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <Title text="Confirm your address"/>
        <section class="panel auth">
            <h1>"Confirm your email address"</h1>
            <p>"Confirming lets us email you when your games are ready."</p>
            <ConfirmButton
                endpoint="/api/v1/auth/verify-email/confirm"
                label="Confirm my address"
                done="Thank you: your address is confirmed."
            />
            <p><a href="/account">"Your account"</a></p>
        </section>
    }
}

/// `/confirm-email?token=`: someone asked us to email this address when a game is ready.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    view! {
        <Title text="Email me when it is ready"/>
        <section class="panel auth">
            <h1>"Email you when the game is ready?"</h1>
            <p>"Someone asked us to email this address when their pet's game is ready. We only write if you say yes, and only about that game."</p>
            <ConfirmButton
                endpoint="/api/v1/notifications/confirm"
                label="Yes, email me"
                done="Done: we will email you as soon as the game is ready."
            />
        </section>
    }
}

#[derive(Serialize)]
struct ForgottenPassword {
    email: String,
}

/// `/forgot-password`: asks for a link to set a new password.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = ForgottenPassword {
            email: email.get_untracked(),
        };
        spawn_local(async move {
            let result = browser::send_json("POST", "/api/v1/auth/password/forgot", &body).await;
            outcome.set(Some(result.map_err(|e| e.to_string())));
            busy.set(false);
        });
    };
    view! {
        <Title text="Forgotten password"/>
        <section class="panel auth">
            <h1>"Forgotten your password?"</h1>
            <p>"We will email you a link to choose a new one."</p>
            <form class="auth-form" on:submit=submit>
                <label>
                    "Email"
                    <input
                        type="email"
                        name="email"
                        autocomplete="email"
                        required=true
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </label>
                {move || outcome.get().map(|o| match o {
                    Ok(()) => view! {
                        <p class="notice" role="status">"If an account has this address, a link is on its way. It works for one hour."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                })}
                <button class="button primary" type="submit" disabled=move || busy.get()>"Email me a link"</button>
            </form>
            <p><a href="/login">"Back to log in"</a></p>
        </section>
    }
}

#[derive(Serialize)]
struct PasswordReset {
    token: String,
    password: String,
}

/// `/reset-password?token=`: chooses a new password through the mailed link, and signs in.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = link_token();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let body = PasswordReset {
            token: token.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match browser::send_json("POST", "/api/v1/auth/password/reset", &body).await {
                Ok(()) => browser::go_to("/my-games"),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Title text="Choose a new password"/>
        <section class="panel auth">
            <h1>"Choose a new password"</h1>
            <form class="auth-form" on:submit=submit>
                <label>
                    "New password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        minlength="10"
                        maxlength="128"
                        required=true
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                <p class="hint">"At least 10 characters; a phrase is best. Every device logged in to your account will be logged out."</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button class="button primary" type="submit" disabled=move || busy.get()>"Save and log in"</button>
            </form>
            <p><a href="/forgot-password">"Ask for a new link"</a></p>
        </section>
    }
}
