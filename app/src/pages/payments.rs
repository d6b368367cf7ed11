//! Paying: the package picker of the create page, the checkout of a game waiting for its
//! payment (or of a free game kept for good), and the payments page — receipts, the
//! subscription, cancelling it. Card data goes from Stripe.js to Stripe only.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::{
    cancel_subscription, confirm_payment, create_payment, get_payment_history, get_payment_offer,
    subscribe,
};
use crate::dto::{
    ConfirmPaymentRequest, CreateIntentRequest, Currency, OrderView, Package, PaymentHistory,
    PaymentOffer, ReturnedPayment, SubscribeRequest,
};
use crate::stripe_js::{self, Card};

/// Where the card field is mounted (one per page).
const CARD_ELEMENT: &str = "card-element";

/// The packages as a choice, with what each allows and costs; says plainly when payments are
/// off (every package is free then).
#[component]
pub fn PackagePicker(chosen: RwSignal<Option<Package>>) -> impl IntoView {
    let offer = Resource::new(|| (), |_| get_payment_offer());
    view! {
        <fieldset class="field packages">
            <legend>"Package"</legend>
            <div><Suspense fallback=|| view! { <p>"Loading packages…"</p> }>
                {move || offer.get().map(|offer| match offer {
                    Ok(offer) => view! { <PackageList offer=offer chosen=chosen/> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense></div>
        </fieldset>
    }
}

#[component]
fn PackageList(offer: PaymentOffer, chosen: RwSignal<Option<Package>>) -> impl IntoView {
    let enabled = offer.enabled;
    let default = if enabled {
        Package::Free
    } else {
        Package::Premium
    };
    let currency = offer.default_currency;
    view! {
        {(!enabled).then(|| view! {
            <p class="hint" data-testid="payments-off">"Payments are off on this site: every package is free."</p>
        })}
        <div class="package-list">
            {offer.packages.into_iter().map(|p| {
                let package = p.package;
                let price = p
                    .prices
                    .iter()
                    .find(|price| price.currency == currency)
                    .map(|price| price.display.clone())
                    .unwrap_or_else(|| "Free".into());
                let price = if package == Package::Subscription && enabled {
                    "1 credit".to_owned()
                } else {
                    price
                };
                let styles = if p.styles.is_some() { "two styles" } else { "every style" };
                let keeps = match p.expires_after_days {
                    Some(days) => format!("plays {days} days"),
                    None => "kept for good".into(),
                };
                let download = if p.download { ", offline download" } else { "" };
                let hires = if p.hires_sprite { ", 64-px sprite sheet" } else { "" };
                // The description stays outside the label, so the radio's name is the package.
                view! {
                    <div class="package" data-package=package.as_str()>
                        <label>
                            <input
                                type="radio"
                                name="package"
                                value=package.as_str()
                                prop:checked=move || chosen.get().unwrap_or(default) == package
                                on:change=move |_| chosen.set(Some(package))
                            />
                            <strong>{p.label}</strong>
                            " · " <span class="price">{price}</span>
                        </label>
                        <span class="hint">{format!("up to {} levels, {styles}, {keeps}{download}{hires}", p.max_levels)}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// Renders its children in the browser only, once the page is live: Stripe.js works there
/// alone, and a form the server never drew has nothing to hydrate (no markers to misalign).
#[component]
pub fn ClientOnly(children: ChildrenFn) -> impl IntoView {
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    move || live.get().then(|| children())
}

/// What the checkout is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Nothing asked of Stripe yet.
    Idle,
    Working(&'static str),
    /// Paid: waiting for Stripe's confirmation to reach the server.
    Paid,
    Failed(String),
}

impl Step {
    /// What the status line says.
    fn text(&self) -> String {
        match self {
            Self::Idle => String::new(),
            Self::Working(what) => (*what).to_owned(),
            Self::Paid => {
                "Payment received. Your game starts as soon as Stripe confirms it.".into()
            }
            Self::Failed(message) => message.clone(),
        }
    }

    /// The status line's role: an alert for a failure, a status otherwise.
    fn role(&self) -> &'static str {
        match self {
            Self::Failed(_) => "alert",
            _ => "status",
        }
    }

    fn class(&self) -> &'static str {
        match self {
            Self::Failed(_) => "error",
            Self::Paid => "status",
            _ => "progress",
        }
    }

    fn busy(&self) -> bool {
        matches!(self, Self::Working(_) | Self::Paid)
    }
}

/// The status line of a payment: one element whose text and role follow `step` (no parts
/// come and go, so nothing is redrawn out of place).
#[component]
fn StepLine(step: RwSignal<Step>, paid_id: &'static str) -> impl IntoView {
    view! {
        <p
            class=move || step.get().class()
            role=move || step.get().role()
            data-testid=move || if step.get() == Step::Paid { paid_id } else { "payment-step" }
            hidden=move || step.get() == Step::Idle
        >
            {move || step.get().text()}
        </p>
    }
}

/// Pays for a game: one waiting for its payment, or a free one kept with `package`. Calls
/// `on_paid` once Stripe took the payment (the game changes when Stripe's webhook arrives).
#[component]
pub fn CheckoutPanel(game_id: Uuid, package: Package, on_paid: Callback<()>) -> impl IntoView {
    let currency = RwSignal::new(None::<Currency>);
    let step = RwSignal::new(Step::Idle);
    let checkout = RwSignal::new(None::<crate::dto::Checkout>);
    let card = StoredValue::new_local(None::<Card>);

    // Starts (or resumes) the order and mounts the card field.
    let start = move || {
        step.set(Step::Working("Preparing the payment…"));
        spawn_local(async move {
            let request = CreateIntentRequest {
                game_id,
                package: Some(package),
                currency: currency.get_untracked(),
            };
            let offer = get_payment_offer().await;
            match (create_payment(request).await, offer) {
                (Ok(started), Ok(offer)) => {
                    if card.with_value(Option::is_none) {
                        let src = offer.stripe_js.unwrap_or_default();
                        match stripe_js::mount(
                            &src,
                            &started.publishable_key,
                            &format!("#{CARD_ELEMENT}"),
                        )
                        .await
                        {
                            Ok(mounted) => card.set_value(Some(mounted)),
                            Err(e) => {
                                step.set(Step::Failed(e));
                                return;
                            }
                        }
                    }
                    checkout.set(Some(started));
                    step.set(Step::Idle);
                }
                (Err(e), _) | (_, Err(e)) => step.set(Step::Failed(e.to_string())),
            }
        });
    };
    let pay = move |_| {
        let Some(started) = checkout.get_untracked() else {
            return;
        };
        let Some(mounted) = card.get_value() else {
            return;
        };
        step.set(Step::Working("Paying…"));
        spawn_local(async move {
            let outcome = async {
                let method = mounted.save_card(&started.setup_client_secret).await?;
                let progress = confirm_payment(ConfirmPaymentRequest {
                    order_id: started.order.id,
                    payment_method: Some(method),
                })
                .await
                .map_err(|e| e.to_string())?;
                match progress.next.as_str() {
                    "authenticate" => {
                        step.set(Step::Working("Waiting for your bank…"));
                        let secret = progress.client_secret.unwrap_or_default();
                        mounted.confirm_with_bank(&secret).await?;
                        Ok(())
                    }
                    "declined" => Err(progress
                        .message
                        .unwrap_or_else(|| "the card was declined".into())),
                    _ => Ok(()),
                }
            }
            .await;
            match outcome {
                Ok(()) => {
                    step.set(Step::Paid);
                    on_paid.run(());
                }
                Err(message) => {
                    step.set(Step::Failed(format!("{message} — try another card")));
                    // A fresh SetupIntent for the next card (the same order).
                    let request = CreateIntentRequest {
                        game_id,
                        package: Some(package),
                        currency: currency.get_untracked(),
                    };
                    if let Ok(again) = create_payment(request).await {
                        checkout.set(Some(again));
                    }
                }
            }
        });
    };
    view! {
        <div class="checkout" data-testid="checkout">
            <CurrencyPicker
                label=format!("Pay for the {} package in", package.label())
                chosen=currency
                locked=Signal::derive(move || checkout.get().is_some())
            />
            <div id=CARD_ELEMENT class="card-field"></div>
            <button
                class="button primary"
                type="button"
                data-testid=move || if checkout.get().is_some() { "pay" } else { "start-payment" }
                disabled=move || step.get().busy()
                on:click=move |ev| if checkout.get_untracked().is_some() { pay(ev) } else { start() }
            >
                {move || match checkout.get() {
                    Some(started) => format!("Pay {}", started.order.amount.display),
                    None => "Continue to payment".to_owned(),
                }}
            </button>
            <StepLine step=step paid_id="paid"/>
        </div>
    }
}

/// The currencies the site sells in, as a choice (the amount shows on the pay button).
#[component]
fn CurrencyPicker(
    label: String,
    chosen: RwSignal<Option<Currency>>,
    locked: Signal<bool>,
) -> impl IntoView {
    view! {
        <label class="field">
            {label}
            <select name="currency" disabled=move || locked.get() on:change=move |ev| {
                chosen.set(event_target_value(&ev).parse().ok());
            }>
                <option value="">"Default"</option>
                {Currency::ALL.map(|c| view! {
                    <option value=c.as_str()>{c.as_str().to_uppercase()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// Waits until Stripe's confirmation has paid the game's order (the account's payments
/// stream says so), then runs `done`; runs it too should the stream break, so the page reads
/// the game again either way.
pub fn when_paid(game: Uuid, done: Callback<()>) {
    #[cfg(feature = "hydrate")]
    spawn_local(async move {
        follow_history(move |history| {
            history
                .orders
                .iter()
                .any(|o| o.game_id == Some(game) && o.status.is_paid())
        })
        .await;
        done.run(());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (game, done);
}

/// Follows the caller's payments stream, handing each new history to `each` until it answers
/// true.
#[cfg(feature = "hydrate")]
async fn follow_history(each: impl FnMut(PaymentHistory) -> bool) -> bool {
    crate::browser::follow("/api/v1/payments/events", "history", each).await
}

/// `/account/payments`: receipts, the subscription and its credits. The page follows the
/// account's payments stream, so a refund, a month's credits or a subscription's new status
/// shows as Stripe's webhook brings it.
#[component]
pub fn PaymentsPage() -> impl IntoView {
    let history = Resource::new(|| (), |_| get_payment_history());
    let live = RwSignal::new(None::<PaymentHistory>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            spawn_local(async move {
                follow_history(move |now| {
                    live.set(Some(now));
                    false
                })
                .await;
            });
        }
    });
    // Subscribing or cancelling changes much of the page: it is drawn again from the new state.
    let refetch = Callback::new(move |()| crate::browser::reload());
    view! {
        <Title text="Payments"/>
        <section class="panel payments">
            <h1>"Payments"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || history.get().map(|result| match result {
                    Ok(first) => {
                        let subscription = first.subscription.clone();
                        let active = subscription
                            .as_ref()
                            .is_some_and(|s| matches!(s.status.as_str(), "active" | "trialing" | "past_due"));
                        let first = StoredValue::new(first);
                        let now = move || live.get().unwrap_or_else(|| first.get_value());
                        view! {
                            <h2>"Subscription"</h2>
                            <p data-testid="subscription-status">{move || match &now().subscription {
                                Some(s) => format!(
                                    "{} a month — {}{}",
                                    s.price.display,
                                    s.status,
                                    s.current_period_end.as_ref().map(|end| format!(", paid until {}", &end[..10.min(end.len())])).unwrap_or_default()
                                ),
                                None => "No subscription.".into(),
                            }}</p>
                            <p data-testid="credits">{move || format!("Premium games left this month: {}", now().credits)}</p>
                            <div class="subscription-action">{if active {
                                view! { <CancelSubscription done=refetch/> }.into_any()
                            } else {
                                view! { <ClientOnly><Subscribe done=refetch/></ClientOnly> }.into_any()
                            }}</div>
                            <h2>"Receipts"</h2>
                            <div class="receipts-list">{move || view! { <Receipts orders=now().orders/> }}</div>
                            {move || {
                                let returned = now().returned;
                                (!returned.is_empty()).then(|| view! {
                                    <h2>"Given back"</h2>
                                    <p>"Payments that bought nothing (a game deleted before its payment arrived, or paid twice), refunded in full."</p>
                                    <Returned payments=returned/>
                                })
                            }}
                        }.into_any()
                    }
                    Err(e) => view! {
                        <p class="error" role="alert">{e.to_string()}</p>
                        <p><a href="/login">"Log in"</a>" to see your payments."</p>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Returned(payments: Vec<ReturnedPayment>) -> impl IntoView {
    view! {
        <table class="receipts">
            <thead><tr><th>"Date"</th><th>"Amount"</th><th>"Status"</th><th>"Reference"</th></tr></thead>
            <tbody>
                {payments.into_iter().map(|p| {
                    let status = if p.refunded_at.is_some() { "refunded" } else { "being refunded" };
                    view! {
                        <tr data-testid="returned" data-status=status>
                            <td>{p.received_at.get(..10).unwrap_or_default().to_owned()}</td>
                            <td>{p.amount.display}</td>
                            <td>{status}</td>
                            <td><code>{p.reference}</code></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Receipts(orders: Vec<OrderView>) -> impl IntoView {
    if orders.is_empty() {
        return view! { <p>"Nothing bought yet."</p> }.into_any();
    }
    view! {
        <table class="receipts">
            <thead><tr><th>"Date"</th><th>"What"</th><th>"Amount"</th><th>"Status"</th><th>"Reference"</th></tr></thead>
            <tbody>
                {orders.into_iter().map(|o| {
                    let refunded = (o.refunded.amount_minor > 0).then(|| format!(" ({} refunded)", o.refunded.display));
                    view! {
                        <tr data-testid="receipt" data-status=o.status.as_str()>
                            <td>{o.created_at.get(..10).unwrap_or_default().to_owned()}</td>
                            <td>{o.game_id.map(|id| view! { <a href=format!("/games/{id}")>{o.label.clone()}</a> }.into_any())
                                .unwrap_or_else(|| o.label.clone().into_any())}</td>
                            <td>{o.amount.display}{refunded}</td>
                            <td>{o.status.as_str().replace('_', " ")}</td>
                            <td><code>{o.reference.unwrap_or_default()}</code></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Subscribe(done: Callback<()>) -> impl IntoView {
    let currency = RwSignal::new(None::<Currency>);
    let step = RwSignal::new(Step::Idle);
    let card = StoredValue::new_local(None::<Card>);
    let secret = RwSignal::new(None::<String>);
    let price = RwSignal::new(String::new());
    let start = move |_| {
        step.set(Step::Working("Preparing…"));
        spawn_local(async move {
            let request = SubscribeRequest {
                currency: currency.get_untracked(),
                payment_method: None,
            };
            let offer = get_payment_offer().await;
            match (subscribe(request).await, offer) {
                (Ok(first), Ok(offer)) => {
                    let src = offer.stripe_js.unwrap_or_default();
                    if card.with_value(Option::is_none) {
                        match stripe_js::mount(
                            &src,
                            &first.publishable_key,
                            &format!("#{CARD_ELEMENT}"),
                        )
                        .await
                        {
                            Ok(mounted) => card.set_value(Some(mounted)),
                            Err(e) => return step.set(Step::Failed(e)),
                        }
                    }
                    price.set(first.price.display.clone());
                    secret.set(first.setup_client_secret);
                    step.set(Step::Idle);
                }
                (Err(e), _) | (_, Err(e)) => step.set(Step::Failed(e.to_string())),
            }
        });
    };
    let confirm = move |_| {
        let (Some(setup), Some(mounted)) = (secret.get_untracked(), card.get_value()) else {
            return;
        };
        step.set(Step::Working("Subscribing…"));
        spawn_local(async move {
            let outcome = async {
                let method = mounted.save_card(&setup).await?;
                subscribe(SubscribeRequest {
                    currency: currency.get_untracked(),
                    payment_method: Some(method),
                })
                .await
                .map_err(|e| e.to_string())
            }
            .await;
            match outcome {
                Ok(_) => {
                    step.set(Step::Working(
                        "Subscribed: waiting for the first month's credits…",
                    ));
                    // The month's credits arrive with the invoice's webhook: the page is drawn
                    // again once the payments stream brings them.
                    #[cfg(feature = "hydrate")]
                    follow_history(|h| h.credits > 0).await;
                    done.run(());
                }
                Err(message) => step.set(Step::Failed(message)),
            }
        });
    };
    view! {
        <div class="subscribe">
            <p>"Premium games every month, paid monthly; cancel any time."</p>
            <CurrencyPicker label="Price".to_owned() chosen=currency locked=Signal::derive(move || secret.get().is_some())/>
            <div id=CARD_ELEMENT class="card-field"></div>
            <button
                class="button primary"
                type="button"
                data-testid=move || if secret.get().is_some() { "confirm-subscription" } else { "start-subscription" }
                disabled=move || step.get().busy()
                on:click=move |ev| if secret.get_untracked().is_some() { confirm(ev) } else { start(ev) }
            >
                {move || if secret.get().is_some() {
                    format!("Pay {} a month and subscribe", price.get())
                } else {
                    "Subscribe".to_owned()
                }}
            </button>
            <StepLine step=step paid_id="subscribed"/>
        </div>
    }
}

#[component]
fn CancelSubscription(done: Callback<()>) -> impl IntoView {
    let cancel = Action::new(|_: &()| cancel_subscription());
    Effect::new(move |_| {
        if let Some(Ok(_)) = cancel.value().get() {
            done.run(());
        }
    });
    view! {
        <button class="button" type="button" data-testid="cancel-subscription"
            disabled=move || cancel.pending().get()
            on:click=move |_| { cancel.dispatch(()); }>"Cancel subscription"</button>
        <p class="error" role="alert" hidden=move || !matches!(cancel.value().get(), Some(Err(_)))>
            {move || cancel.value().get().and_then(Result::err).map(|e| e.to_string()).unwrap_or_default()}
        </p>
    }
}
