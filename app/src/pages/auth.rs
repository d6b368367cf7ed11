//! Signing up and logging in. The forms post to the REST API from the browser (the routes
//! scripts and apps use too), then load the next page whole, so the header is drawn for the
//! signed-in account.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use serde::Serialize;

use leptos_router::hooks::use_query_map;

use crate::api::sign_in_providers;
use crate::browser;

#[derive(Serialize)]
struct Credentials {
    email: String,
    password: String,
}

/// Where a signed-in person lands.
const AFTER_SIGN_IN: &str = "/my-games";

/// One email-and-password form, posted to `endpoint`.
#[component]
fn CredentialsForm(
    endpoint: &'static str,
    submit_label: &'static str,
    new_password: bool,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let body = Credentials {
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match browser::send_json("POST", endpoint, &body).await {
                Ok(()) => browser::go_to(AFTER_SIGN_IN),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
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
            <label>
                "Password"
                <input
                    type="password"
                    name="password"
                    autocomplete={if new_password { "new-password" } else { "current-password" }}
                    minlength={if new_password { "10" } else { "1" }}
                    maxlength="128"
                    required=true
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            {new_password.then(|| view! { <p class="hint">"At least 10 characters; a phrase is best."</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="button primary" type="submit" disabled=move || busy.get()>
                {submit_label}
            </button>
        </form>
    }
}

/// "Continue with Google" and the like, for the configured providers; and what went wrong
/// when a provider sent the person back here (`?error=`).
#[component]
fn ProviderButtons() -> impl IntoView {
    let providers = Resource::new(|| (), |_| sign_in_providers());
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error"));
    view! {
        {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <Suspense fallback=|| ()>
            {move || providers.get().and_then(Result::ok).filter(|p| !p.is_empty()).map(|providers| view! {
                <div class="providers">
                    {providers.into_iter().map(|provider| {
                        let label = match provider.as_str() {
                            "google" => "Continue with Google",
                            "facebook" => "Continue with Facebook",
                            _ => "Continue",
                        };
                        // A whole-page navigation: the provider's page, then back to us.
                        view! {
                            <a class="button provider" rel="external" href=format!("/api/v1/auth/social/{provider}")>{label}</a>
                        }
                    }).collect_view()}
                </div>
                <p class="or">"or with your email"</p>
            })}
        </Suspense>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <section class="panel auth">
            <h1>"Create your account"</h1>
            <p>"Keep your pets' games on every device. Whatever you made before signing up comes with you."</p>
            <ProviderButtons/>
            <CredentialsForm endpoint="/api/v1/auth/register" submit_label="Sign up" new_password=true/>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

#[component]
pub fn LogInPage() -> impl IntoView {
    view! {
        <Title text="Log in"/>
        <section class="panel auth">
            <h1>"Log in"</h1>
            <ProviderButtons/>
            <CredentialsForm endpoint="/api/v1/auth/login" submit_label="Log in" new_password=false/>
            <p><a href="/forgot-password">"Forgotten your password?"</a></p>
            <p>"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}
