//! The account page: who you are signed in as, your password, and logging out here or
//! everywhere.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use serde::Serialize;

use crate::api::current_account;
use crate::browser;
use crate::dto::AccountView;

#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    view! {
        <Title text="Your account"/>
        <section class="panel account">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || account.get().map(|found| match found {
                    Ok(Some(account)) => view! { <AccountDetails account/> }.into_any(),
                    Ok(None) => view! {
                        <p>"You are not logged in. " <a href="/login">"Log in"</a> " or " <a href="/signup">"create an account"</a> "."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[derive(Serialize)]
struct PasswordChange {
    current_password: Option<String>,
    new_password: String,
}

#[derive(Serialize)]
struct Logout {
    everywhere: bool,
}

#[component]
fn AccountDetails(account: AccountView) -> impl IntoView {
    let has_password = account.has_password;
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        message.set(None);
        let body = PasswordChange {
            current_password: has_password.then(|| current.get_untracked()),
            new_password: new.get_untracked(),
        };
        spawn_local(async move {
            let result = browser::send_json("PUT", "/api/v1/auth/password", &body).await;
            message.set(Some(match result {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    Ok("Password changed. Every other device has been logged out.".into())
                }
                Err(e) => Err(e.to_string()),
            }));
            busy.set(false);
        });
    };
    let log_out = move |everywhere: bool| {
        spawn_local(async move {
            match browser::send_json("POST", "/api/v1/auth/logout", &Logout { everywhere }).await {
                Ok(()) => browser::go_to("/"),
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
        });
    };
    view! {
        <dl class="profile">
            <dt>"Email"</dt>
            <dd data-testid="account-email">{account.email.clone()}</dd>
            <dt>"Email verified"</dt>
            <dd>{if account.email_verified { "Yes" } else { "Not yet" }}</dd>
            <dt>"Role"</dt>
            <dd>{account.role.as_str()}</dd>
            <dt>"Member since"</dt>
            <dd>{account.created_at.get(..10).unwrap_or_default().to_owned()}</dd>
        </dl>
        <h2>{if has_password { "Change your password" } else { "Set a password" }}</h2>
        <form class="auth-form" on:submit=change>
            {has_password.then(|| view! {
                <label>
                    "Current password"
                    <input
                        type="password"
                        name="current_password"
                        autocomplete="current-password"
                        required=true
                        prop:value=move || current.get()
                        on:input=move |ev| current.set(event_target_value(&ev))
                    />
                </label>
            })}
            <label>
                "New password"
                <input
                    type="password"
                    name="new_password"
                    autocomplete="new-password"
                    minlength="10"
                    maxlength="128"
                    required=true
                    prop:value=move || new.get()
                    on:input=move |ev| new.set(event_target_value(&ev))
                />
            </label>
            {move || message.get().map(|m| match m {
                Ok(done) => view! { <p class="notice" role="status">{done}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
            <button class="button primary" type="submit" disabled=move || busy.get()>"Save password"</button>
        </form>
        <h2>"Sessions"</h2>
        <p class="actions">
            <button type="button" class="button" on:click=move |_| log_out(false)>"Log out"</button>
            <button type="button" class="button" on:click=move |_| log_out(true)>"Log out everywhere"</button>
        </p>
    }
}
