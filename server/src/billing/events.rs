//! Stripe's webhook events, read for the few fields we act on. Reading only those (rather
//! than the whole object as one API version's SDK types it) keeps events readable whatever
//! API version the account renders them in: `invoice.subscription` moved under `parent` in
//! 2025, `current_period_end` moved onto subscription items, ids may come expanded.

use domain::Currency;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::store::Effect;

/// An event's envelope.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// An event of a type we act on whose object lacks what acting needs.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} event {id}: {problem}")]
pub struct Unreadable {
    pub id: String,
    pub kind: String,
    pub problem: String,
}

impl Event {
    /// What the event asks of our records; `Effect::Nothing` for types we only record.
    /// `credits` is what a paid subscription invoice adds.
    pub fn effect(&self, credits: u32) -> Result<Effect, Unreadable> {
        let object = &self.data.object;
        let unreadable = |problem: &str| Unreadable {
            id: self.id.clone(),
            kind: self.kind.clone(),
            problem: problem.to_owned(),
        };
        let id = || text(object, "id").ok_or_else(|| unreadable("no object id"));
        Ok(match self.kind.as_str() {
            "payment_intent.succeeded" => Effect::IntentSucceeded {
                intent: id()?,
                order: object
                    .pointer("/metadata/order_id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok()),
            },
            "payment_intent.payment_failed" => Effect::IntentFailed {
                intent: id()?,
                message: object
                    .pointer("/last_payment_error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("the payment failed")
                    .to_owned(),
            },
            "payment_intent.canceled" => Effect::IntentCanceled { intent: id()? },
            "charge.refunded" => Effect::Refunded {
                intent: reference(object, "payment_intent")
                    .ok_or_else(|| unreadable("a charge without its payment intent"))?,
                total: object
                    .get("amount_refunded")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| unreadable("no amount_refunded"))?,
            },
            // `invoice.payment_succeeded` is what older accounts (and localstripe) send; the
            // invoice's id makes the two one: an invoice credits its month once.
            "invoice.paid" | "invoice.payment_succeeded" => {
                let subscription = reference(object, "subscription").or_else(|| {
                    object
                        .pointer("/parent/subscription_details/subscription")
                        .and_then(id_of)
                });
                let Some(subscription) = subscription else {
                    // An invoice of its own, not a subscription's: nothing of ours.
                    return Ok(Effect::Nothing);
                };
                let currency = text(object, "currency")
                    .and_then(|c| c.parse::<Currency>().ok())
                    .ok_or_else(|| unreadable("a currency this site does not sell in"))?;
                Effect::InvoicePaid {
                    invoice: id()?,
                    subscription,
                    customer: reference(object, "customer")
                        .ok_or_else(|| unreadable("no customer"))?,
                    amount: object
                        .get("amount_paid")
                        .and_then(Value::as_i64)
                        .ok_or_else(|| unreadable("no amount_paid"))?,
                    currency,
                    credits,
                    at: self.created,
                }
            }
            kind @ ("customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted") => {
                let status = if kind == "customer.subscription.deleted" {
                    "canceled".to_owned()
                } else {
                    text(object, "status").ok_or_else(|| unreadable("no status"))?
                };
                let period_end = object
                    .get("current_period_end")
                    .and_then(Value::as_i64)
                    .or_else(|| {
                        object
                            .pointer("/items/data/0/current_period_end")
                            .and_then(Value::as_i64)
                    })
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
                Effect::SubscriptionChanged {
                    id: id()?,
                    customer: reference(object, "customer")
                        .ok_or_else(|| unreadable("no customer"))?,
                    status,
                    current_period_end: period_end,
                    at: self.created,
                }
            }
            _ => Effect::Nothing,
        })
    }
}

fn text(object: &Value, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A field that holds another object's id, or the object itself (expanded).
fn reference(object: &Value, key: &str) -> Option<String> {
    object.get(key).and_then(id_of)
}

fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(_) => value.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str, object: Value) -> Event {
        serde_json::from_value(json!({
            "id": "evt_1", "type": kind, "created": 1_800_000_000,
            "data": {"object": object}, "livemode": false,
        }))
        .expect("event")
    }

    #[test]
    fn payment_intent_events_name_the_intent_and_order() {
        let order = Uuid::new_v4();
        let e = event(
            "payment_intent.succeeded",
            json!({"id": "pi_1", "metadata": {"order_id": order.to_string()}}),
        );
        assert_eq!(
            e.effect(5),
            Ok(Effect::IntentSucceeded {
                intent: "pi_1".into(),
                order: Some(order)
            })
        );
        let e = event(
            "payment_intent.payment_failed",
            json!({"id": "pi_1", "last_payment_error": {"message": "Your card was declined."}}),
        );
        assert_eq!(
            e.effect(5),
            Ok(Effect::IntentFailed {
                intent: "pi_1".into(),
                message: "Your card was declined.".into()
            })
        );
    }

    #[test]
    fn a_refunded_charge_gives_the_total_refunded_expanded_or_not() {
        for intent in [
            json!("pi_9"),
            json!({"id": "pi_9", "object": "payment_intent"}),
        ] {
            let e = event(
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": intent, "amount_refunded": 250}),
            );
            assert_eq!(
                e.effect(5),
                Ok(Effect::Refunded {
                    intent: "pi_9".into(),
                    total: 250
                })
            );
        }
    }

    #[test]
    fn invoices_are_read_in_old_and_new_shapes() {
        let old = event(
            "invoice.payment_succeeded",
            json!({"id": "in_1", "subscription": "sub_1", "customer": "cus_1",
                   "amount_paid": 2300, "currency": "jpy"}),
        );
        let new = event(
            "invoice.paid",
            json!({"id": "in_1", "customer": {"id": "cus_1"}, "amount_paid": 2300,
                   "currency": "jpy",
                   "parent": {"subscription_details": {"subscription": "sub_1"}}}),
        );
        let expected = Effect::InvoicePaid {
            invoice: "in_1".into(),
            subscription: "sub_1".into(),
            customer: "cus_1".into(),
            amount: 2300,
            currency: Currency::Jpy,
            credits: 5,
            at: 1_800_000_000,
        };
        assert_eq!(old.effect(5), Ok(expected.clone()));
        assert_eq!(new.effect(5), Ok(expected));
        let own = event("invoice.paid", json!({"id": "in_2", "customer": "cus_1"}));
        assert_eq!(own.effect(5), Ok(Effect::Nothing));
        let chf = event(
            "invoice.paid",
            json!({"id": "in_3", "subscription": "sub_1", "customer": "cus_1",
                   "amount_paid": 100, "currency": "chf"}),
        );
        assert!(chf.effect(5).is_err());
    }

    #[test]
    fn subscription_events_carry_their_status_and_period() {
        let e = event(
            "customer.subscription.updated",
            json!({"id": "sub_1", "customer": "cus_1", "status": "past_due",
                   "items": {"data": [{"current_period_end": 1_802_000_000}]}}),
        );
        let Ok(Effect::SubscriptionChanged {
            status,
            current_period_end,
            at,
            ..
        }) = e.effect(5)
        else {
            panic!("not a subscription change");
        };
        assert_eq!(status, "past_due");
        assert_eq!(
            current_period_end.map(|t| t.timestamp()),
            Some(1_802_000_000)
        );
        assert_eq!(at, 1_800_000_000);
        let deleted = event(
            "customer.subscription.deleted",
            json!({"id": "sub_1", "customer": "cus_1", "status": "active"}),
        );
        assert!(matches!(
            deleted.effect(5),
            Ok(Effect::SubscriptionChanged { status, .. }) if status == "canceled"
        ));
    }

    #[test]
    fn other_types_are_only_recorded_and_broken_ones_are_unreadable() {
        assert_eq!(
            event("customer.created", json!({"id": "cus_1"})).effect(5),
            Ok(Effect::Nothing)
        );
        let broken = event("payment_intent.succeeded", json!({"amount": 5})).effect(5);
        assert!(broken.is_err());
    }
}
