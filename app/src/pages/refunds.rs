//! `/admin/payments`: where an admin finds an order (by its id, the Stripe reference on the
//! buyer's receipt, or among the newest) and refunds all of it or part. The server decides
//! who may; this page only asks.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::api::{get_admin_orders, refund_payment};
use crate::dto::{OrderStatus, OrderView, RefundRequest};
use crate::error::AppError;

#[component]
pub fn AdminPaymentsPage() -> impl IntoView {
    let typed = RwSignal::new(String::new());
    // What the list shows: `None` the newest orders, else a search.
    let search = RwSignal::new(None::<String>);
    // Moved by a refund, so the list is read again with the order's new state.
    let version = RwSignal::new(0u32);
    let orders = Resource::new(
        move || (search.get(), version.get()),
        |(query, _)| get_admin_orders(query),
    );
    let refunded = Callback::new(move |()| version.update(|v| *v += 1));
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = typed.get_untracked().trim().to_owned();
        search.set((!query.is_empty()).then_some(query));
    };
    view! {
        <Title text="Refund payments"/>
        <section class="panel admin-payments">
            <h1>"Refund payments"</h1>
            <form class="order-search" on:submit=find>
                <label>
                    "Order id or Stripe reference"
                    <input
                        type="search"
                        name="q"
                        maxlength="255"
                        placeholder="pi_…, in_… or an order id"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                </label>
                <button class="button" type="submit">"Find"</button>
            </form>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || orders.get().map(|result| match result {
                    Ok(list) if list.orders.is_empty() => view! { <p data-testid="no-orders">"No order matches."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="receipts">
                            <thead><tr><th>"Date"</th><th>"What"</th><th>"Amount"</th><th>"Status"</th><th>"Reference"</th><th>"Refund"</th></tr></thead>
                            <tbody>
                                {list.orders.into_iter().map(|order| view! { <OrderRow order refunded/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(AppError::Unauthorized(_)) => view! {
                        <p class="error" role="alert"><a href="/login">"Log in"</a>" as an admin to refund payments."</p>
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <p class="error" role="alert">"Only admins can refund payments."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One order, with a refund form while some of it is left to give back. An empty amount
/// refunds what is left.
#[component]
fn OrderRow(order: OrderView, refunded: Callback<()>) -> impl IntoView {
    let currency = order.amount.currency;
    let left = order.amount.amount_minor - order.refunded.amount_minor;
    // A subscription's month has an invoice, not a payment intent: Stripe's dashboard refunds it.
    let refundable = matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::PartiallyRefunded
    ) && order
        .reference
        .as_deref()
        .is_some_and(|r| r.starts_with("pi_"))
        && left > 0;
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(String::new());
    let id = order.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = amount.get_untracked();
        let amount_minor = if typed.trim().is_empty() {
            None
        } else if let Some(minor) = currency.parse(&typed) {
            Some(minor)
        } else {
            message.set(format!("Type an amount like {}.", currency.format(left)));
            return;
        };
        let reason = Some(reason.get_untracked().trim().to_owned()).filter(|r| !r.is_empty());
        busy.set(true);
        message.set(String::new());
        spawn_local(async move {
            match refund_payment(RefundRequest {
                order_id: id,
                amount_minor,
                reason,
            })
            .await
            {
                Ok(_) => refunded.run(()),
                Err(e) => message.set(e.to_string()),
            }
            busy.set(false);
        });
    };
    let refunded_text = if order.refunded.amount_minor > 0 {
        format!(" ({} refunded)", order.refunded.display)
    } else {
        String::new()
    };
    view! {
        <tr data-testid="order" data-status=order.status.as_str() data-order=order.id.to_string()>
            <td>{order.created_at.get(..10).unwrap_or_default().to_owned()}</td>
            <td>{order.label}</td>
            <td>{order.amount.display}{refunded_text}</td>
            <td>{order.status.as_str().replace('_', " ")}</td>
            <td><code>{order.reference.unwrap_or_default()}</code></td>
            <td>{if refundable {
                view! {
                    <form class="refund" on:submit=submit>
                        <label>"Amount"
                            <input
                                type="text"
                                name="amount"
                                inputmode="decimal"
                                placeholder=currency.format(left)
                                prop:value=move || amount.get()
                                on:input=move |ev| amount.set(event_target_value(&ev))
                            />
                        </label>
                        <label>"Reason"
                            <input
                                type="text"
                                name="reason"
                                maxlength="500"
                                prop:value=move || reason.get()
                                on:input=move |ev| reason.set(event_target_value(&ev))
                            />
                        </label>
                        <button class="button" type="submit" disabled=move || busy.get()>"Refund"</button>
                        <span class="error" role="alert">{move || message.get()}</span>
                    </form>
                }.into_any()
            } else {
                view! { <span class="hint">"—"</span> }.into_any()
            }}</td>
        </tr>
    }
}
