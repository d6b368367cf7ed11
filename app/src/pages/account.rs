//! The account page: who you are signed in as (and a new link to confirm the address), your
//! password, the browsers signed in (each can be logged out from here), logging out here or
//! everywhere, downloading your data and deleting the account.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use serde::Serialize;

use crate::api::{current_account, my_sessions, sign_in_providers};
use crate::browser;
use crate::dto::{AccountView, DeviceView};

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

#[derive(Serialize)]
struct Deletion {
    password: Option<String>,
}

#[component]
fn AccountDetails(account: AccountView) -> impl IntoView {
    let has_password = account.has_password;
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    // Moved when other devices were logged out here, so their list is read again.
    let devices_changed = RwSignal::new(0u32);
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
                    devices_changed.update(|n| *n += 1);
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
    let resent = RwSignal::new(false);
    let resend_note = RwSignal::new(None::<Result<String, String>>);
    let resend = move |_| {
        resent.set(true);
        spawn_local(async move {
            let result = browser::send_json("POST", "/api/v1/auth/verify-email", &()).await;
            resend_note.set(Some(match result {
                Ok(()) => Ok(
                    "A link to confirm your address is on its way: open it from your inbox.".into(),
                ),
                Err(e) => Err(e.to_string()),
            }));
        });
    };
    view! {
        <dl class="profile">
            <dt>"Email"</dt>
            <dd data-testid="account-email">{account.email.clone()}</dd>
            <dt>"Email verified"</dt>
            <dd data-testid="email-verified">
                {if account.email_verified { "Yes" } else { "Not yet" }}
                {(!account.email_verified).then(|| view! {
                    " "
                    <button type="button" class="button small" on:click=resend disabled=move || resent.get()>
                        "Send the link again"
                    </button>
                })}
            </dd>
            <dt>"Signs in with"</dt>
            <dd data-testid="sign-in-methods">{sign_in_methods(&account)}</dd>
            <dt>"Role"</dt>
            <dd>{account.role.as_str()}</dd>
            <dt>"Member since"</dt>
            <dd>{account.created_at.get(..10).unwrap_or_default().to_owned()}</dd>
        </dl>
        {move || resend_note.get().map(|m| match m {
            Ok(done) => view! { <p class="notice" role="status">{done}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        })}
        <LinkProviders linked=account.providers.clone()/>
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
        <h2>"Where you are logged in"</h2>
        <SignedInDevices changed=devices_changed/>
        <p class="actions">
            <button type="button" class="button" on:click=move |_| log_out(false)>"Log out"</button>
            <button type="button" class="button" on:click=move |_| log_out(true)>"Log out everywhere"</button>
        </p>
        <h2>"Your data"</h2>
        <p>"Everything you made — photos, games that play offline — and your account's details, in one ZIP file."</p>
        <p class="actions">
            <a class="button" href="/api/v1/auth/export" download="">"Download my data"</a>
            <a class="button" href="/account/payments">"Payments and subscription"</a>
        </p>
        {matches!(account.role, crate::dto::Role::Moderator | crate::dto::Role::Admin).then(|| view! {
            <p class="actions">
                <a class="button" href="/moderation">"Moderation queue"</a>
                {(account.role == crate::dto::Role::Admin).then(|| view! {
                    <a class="button" href="/admin/payments">"Refund payments (admin)"</a>
                })}
            </p>
        })}
        <DeleteAccount has_password/>
    }
}

/// The browsers signed in to the account, each with a button to log it out; read again
/// whenever `changed` moves.
#[component]
fn SignedInDevices(changed: RwSignal<u32>) -> impl IntoView {
    let devices = Resource::new(move || changed.get(), |_| my_sessions());
    let error = RwSignal::new(None::<String>);
    let log_out = move |id: String| {
        error.set(None);
        spawn_local(async move {
            let url = format!("/api/v1/auth/sessions/{id}");
            match browser::send_json("DELETE", &url, &()).await {
                Ok(()) => devices.refetch(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || devices.get().map(|found| match found {
                Ok(list) => view! {
                    <ul class="devices" data-testid="devices">
                        {list.into_iter().map(|device| view! { <Device device log_out/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

#[component]
fn Device(device: DeviceView, log_out: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let id = device.id.to_string();
    let name = format!("Log out {}", device.label);
    view! {
        <li class="device" data-testid="device">
            <strong>{device.label.clone()}</strong>
            {device.current.then(|| view! { " " <span class="badge">"This device"</span> })}
            <br/>
            <small>
                "Logged in " {when(&device.signed_in_at)} " · last active " {when(&device.last_seen_at)}
            </small>
            {(!device.current).then(|| view! {
                " "
                <button type="button" class="button small" aria-label=name on:click=move |_| log_out(id.clone())>
                    "Log out"
                </button>
            })}
        </li>
    }
}

/// "2026-12-06 09:30 UTC" from RFC 3339.
fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// Deleting the account: the password again, and a second "yes".
#[component]
fn DeleteAccount(has_password: bool) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !browser::confirm(
            "Delete your account, with every photo and game? This cannot be undone.",
        ) {
            return;
        }
        busy.set(true);
        error.set(None);
        let body = Deletion {
            password: has_password.then(|| password.get_untracked()),
        };
        spawn_local(async move {
            match browser::send_json("DELETE", "/api/v1/auth/account", &body).await {
                Ok(()) => browser::go_to("/"),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <h2>"Delete your account"</h2>
        <form class="auth-form danger" on:submit=delete>
            <p>"Your account, photos and games are deleted for good, and their links stop working. Download your data first if you want to keep it."</p>
            {has_password.then(|| view! {
                <label>
                    "Your password"
                    <input
                        type="password"
                        name="delete_password"
                        autocomplete="current-password"
                        required=true
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button class="button danger" type="submit" disabled=move || busy.get()>"Delete my account"</button>
        </form>
    }
}

/// "Email and password, Google", as the account signs in.
fn sign_in_methods(account: &AccountView) -> String {
    let mut methods: Vec<&str> = Vec::new();
    if account.has_password {
        methods.push("email and password");
    }
    for provider in &account.providers {
        methods.push(match provider.as_str() {
            "google" => "Google",
            "facebook" => "Facebook",
            other => other,
        });
    }
    methods.join(", ")
}

/// Buttons to link the configured providers the account does not sign in with yet.
#[component]
fn LinkProviders(linked: Vec<String>) -> impl IntoView {
    let offered = Resource::new(|| (), |_| sign_in_providers());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let linked = linked.clone();
                offered.get().and_then(Result::ok).map(move |offered| {
                    let unlinked: Vec<String> = offered.into_iter().filter(|p| !linked.contains(p)).collect();
                    (!unlinked.is_empty()).then(|| view! {
                        <p class="actions linked">
                            {unlinked.into_iter().map(|provider| {
                                let label = match provider.as_str() {
                                    "google" => "Link Google",
                                    "facebook" => "Link Facebook",
                                    _ => "Link",
                                };
                                view! { <a class="button provider" rel="external" href=format!("/api/v1/auth/social/{provider}")>{label}</a> }
                            }).collect_view()}
                        </p>
                    })
                })
            }}
        </Suspense>
    }
}
