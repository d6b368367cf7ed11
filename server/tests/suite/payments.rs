//! Packages and payments, on the embedded defaults and on PostgreSQL + Redis + S3: what each
//! package allows (enforced by the server), webhooks verified, recorded by id and applied once
//! (redelivered, out of order, on two nodes at once, forged), subscriptions across a month
//! boundary with a controllable clock, and — against localstripe, a real Stripe-compatible
//! server behind its fix-up proxy — buying a game (3-D Secure too), a declined card, refunds,
//! the history, a subscription's credits, and an order a lost webhook would have lost.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use server::billing::Billing;
use server::billing::signature::sign;
use server::billing::store::BillingStore;
use server::config::{Config, Payments};
use server::infra::db::Db;
use uuid::Uuid;

use super::common::{
    TestApp, chelsea, post, register, scale_out_parts, service_url, sky, unique_email,
};

const WEBHOOK_SECRET: &str = "whsec_petpixel_test_secret";

/// Payments configured against `api` (a Stripe-compatible server; nothing listens at the
/// default, for tests that only receive webhooks).
fn payments(api: &str) -> Payments {
    Payments {
        secret_key: Some(SecretString::from("sk_test_petpixel")),
        publishable_key: Some("pk_test_petpixel".into()),
        webhook_secret: Some(SecretString::from(WEBHOOK_SECRET)),
        api_base: Some(api.to_owned()),
        ..Payments::default()
    }
}

/// Where no Stripe answers: webhook tests never call it.
const NO_STRIPE: &str = "http://127.0.0.1:9/";

async fn embedded(adjust: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(adjust).await
}

async fn scaled_out(
    adjust: impl FnOnce(&mut Config),
) -> Option<(TestApp, super::common::TempPgDatabase)> {
    let (db, redis, bucket) = scale_out_parts().await?;
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
        adjust(c);
    })
    .await;
    Some((app, db))
}

/// The app's own database, opened beside it.
async fn database(config: &Config) -> Db {
    use secrecy::ExposeSecret;
    match &config.database_url {
        Some(url) => Db::postgres(url.expose_secret()).await.expect("postgres"),
        None => Db::sqlite(&config.data_dir.join("petpixel.sqlite3"))
            .await
            .expect("sqlite"),
    }
}

/// `body` delivered to the app's webhook, signed with `secret` at `at` (seconds).
async fn deliver(app: &TestApp, body: &Value, at: i64, secret: &str) -> reqwest::Response {
    let text = body.to_string();
    reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .header("Stripe-Signature", sign(text.as_bytes(), secret, at))
        .header("Content-Type", "application/json")
        .body(text)
        .send()
        .await
        .expect("deliver")
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created, "livemode": false,
           "api_version": "2026-09-30.endive", "data": {"object": object}})
}

fn invoice(id: &str, customer: &str, subscription: &str, amount: i64) -> Value {
    json!({"id": id, "object": "invoice", "customer": customer, "amount_paid": amount,
           "currency": "usd", "status": "paid",
           "parent": {"subscription_details": {"subscription": subscription}}})
}

fn subscription_object(id: &str, customer: &str, status: &str) -> Value {
    json!({"id": id, "object": "subscription", "customer": customer, "status": status,
           "items": {"data": [{"current_period_end": 1_900_000_000}]}})
}

/// `body` posted as JSON, the answer read as JSON (whatever its status: the tests look at it).
async fn post_json(client: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> Value {
    post(client, app, path, body)
        .await
        .json()
        .await
        .expect("json")
}

async fn history(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = client
        .get(app.url("/api/v1/payments/history"))
        .send()
        .await
        .expect("history");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// A signed-in account whose Stripe customer is `customer` (as its first payment would have
/// made it).
async fn subscriber(app: &TestApp, customer: &str) -> (reqwest::Client, Uuid) {
    let client = app.visitor();
    let account = register(app, &client, &unique_email()).await;
    let user: Uuid = account["id"].as_str().expect("id").parse().expect("uuid");
    database(&app.config)
        .await
        .keep_customer(user, customer, Utc::now())
        .await
        .expect("customer kept");
    (client, user)
}

/// Each behaviour as two tests: on the embedded defaults, and on PostgreSQL + Redis + S3
/// when the environment names them. The app takes webhooks; nothing answers as Stripe.
macro_rules! webhooks_on_both_stacks {
    ($($behaviour:ident),* $(,)?) => {
        mod webhooks_embedded {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let app = super::embedded(|c| c.payments = super::payments(super::NO_STRIPE)).await;
                    super::$behaviour(&app).await;
                }
            )*
        }
        mod webhooks_scaled_out {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some((app, _db)) = super::scaled_out(|c| c.payments = super::payments(super::NO_STRIPE)).await else {
                        return;
                    };
                    super::$behaviour(&app).await;
                }
            )*
        }
    };
}

webhooks_on_both_stacks!(
    an_invoice_credits_its_month_once_however_often_it_arrives,
    forged_stale_and_other_secret_deliveries_change_nothing,
    subscription_events_out_of_order_keep_the_newest_status,
    order_events_only_move_forwards,
    a_payment_no_order_was_waiting_for_is_given_back,
);

async fn an_invoice_credits_its_month_once_however_often_it_arrives(app: &TestApp) {
    let (client, _) = subscriber(app, "cus_once").await;
    let now = Utc::now().timestamp();
    let paid = event(
        "evt_paid_1",
        "invoice.paid",
        now,
        invoice("in_once", "cus_once", "sub_once", 1499),
    );
    let first = deliver(app, &paid, now, WEBHOOK_SECRET).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["outcome"], "5 credits added");
    // Stripe delivers again (it had not seen our 200): nothing more happens.
    let again: Value = deliver(app, &paid, now, WEBHOOK_SECRET)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["outcome"], "received before: nothing done");
    // The same invoice under the older event type, as another event: credited once still.
    let older = event(
        "evt_paid_2",
        "invoice.payment_succeeded",
        now,
        json!({"id": "in_once", "object": "invoice", "customer": "cus_once",
               "subscription": "sub_once", "amount_paid": 1499, "currency": "usd"}),
    );
    let older: Value = deliver(app, &older, now, WEBHOOK_SECRET)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(older["outcome"], "invoice credited before");

    let mine = history(app, &client).await;
    assert_eq!(mine["credits"], 5);
    assert_eq!(mine["tier"], "subscription");
    let orders = mine["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "one receipt for the month: {mine}");
    assert_eq!(orders[0]["package"], "subscription");
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(orders[0]["amount"]["display"], "$14.99");
    assert_eq!(orders[0]["reference"], "in_once");

    // A type we do not act on is acknowledged and recorded.
    let other = event(
        "evt_other",
        "customer.created",
        now,
        json!({"id": "cus_once"}),
    );
    let other = deliver(app, &other, now, WEBHOOK_SECRET).await;
    assert_eq!(other.status(), StatusCode::OK);
    let other: Value = other.json().await.expect("json");
    assert_eq!(other["outcome"], "recorded");
    let recorded = database(&app.config)
        .await
        .event_outcome("evt_other")
        .await
        .expect("read");
    assert_eq!(recorded.as_deref(), Some("recorded"));
}

async fn forged_stale_and_other_secret_deliveries_change_nothing(app: &TestApp) {
    let (client, _) = subscriber(app, "cus_forged").await;
    let now = Utc::now().timestamp();
    let paid = event(
        "evt_forged",
        "invoice.paid",
        now,
        invoice("in_forged", "cus_forged", "sub_forged", 1499),
    );
    // Another endpoint's secret, a stale signature, one from the future, a body changed after
    // signing, no signature at all.
    let other_secret = deliver(app, &paid, now, "whsec_someone_else").await;
    let stale = deliver(app, &paid, now - 301, WEBHOOK_SECRET).await;
    // A minute past the tolerance: `now` ages while the app answers the deliveries before
    // (a busy machine took over a second once), and the future comes closer as it does.
    let future = deliver(app, &paid, now + 360, WEBHOOK_SECRET).await;
    let text = paid.to_string();
    let tampered_body = text.replace("1499", "99999");
    let tampered = reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .header(
            "Stripe-Signature",
            sign(text.as_bytes(), WEBHOOK_SECRET, now),
        )
        .body(tampered_body)
        .send()
        .await
        .expect("deliver");
    let unsigned = reqwest::Client::new()
        .post(app.url("/api/v1/payments/webhook"))
        .body(text)
        .send()
        .await
        .expect("deliver");
    for (name, response) in [
        ("other secret", other_secret),
        ("stale", stale),
        ("future", future),
        ("tampered", tampered),
        ("unsigned", unsigned),
    ] {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "invalid", "{name}: {body}");
    }
    let mine = history(app, &client).await;
    assert_eq!(mine["credits"], 0, "forged events changed nothing");
    assert_eq!(mine["orders"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        database(&app.config)
            .await
            .event_outcome("evt_forged")
            .await
            .expect("read"),
        None,
        "a forged event is not even recorded (the real one may still come)"
    );
    // The real one still works after all that.
    let real = deliver(app, &paid, now, WEBHOOK_SECRET).await;
    assert_eq!(real.status(), StatusCode::OK);
    assert_eq!(history(app, &client).await["credits"], 5);

    // A signed body that is not an event is refused too, and counted.
    let junk = json!({"hello": "world"});
    assert_eq!(
        deliver(app, &junk, now, WEBHOOK_SECRET).await.status(),
        StatusCode::BAD_REQUEST
    );
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let failures = |reason: &str| -> u64 {
        let prefix = format!("webhook_failures_total{{reason=\"{reason}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
    };
    assert_eq!(failures("signature"), 5);
    assert_eq!(failures("unreadable"), 1);
    assert!(
        metrics.lines().any(|l| l == "payments_attempted_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "payments_successful_total 1"),
        "{metrics}"
    );
}

async fn subscription_events_out_of_order_keep_the_newest_status(app: &TestApp) {
    let (client, _) = subscriber(app, "cus_order").await;
    let t = Utc::now().timestamp();
    let send = |id: &'static str, kind: &'static str, created: i64, object: Value| {
        let body = event(id, kind, created, object);
        async move {
            let response = deliver(app, &body, t, WEBHOOK_SECRET).await;
            assert_eq!(response.status(), StatusCode::OK, "{id}");
            let answer: Value = response.json().await.expect("json");
            answer["outcome"].as_str().unwrap_or_default().to_owned()
        }
    };
    // The renewal failed (newest), then the older "paid" invoice arrives late.
    send(
        "evt_past_due",
        "customer.subscription.updated",
        t - 10,
        subscription_object("sub_order", "cus_order", "past_due"),
    )
    .await;
    let late = send(
        "evt_late_invoice",
        "invoice.paid",
        t - 20,
        invoice("in_late", "cus_order", "sub_order", 1499),
    )
    .await;
    assert_eq!(late, "5 credits added", "a paid month still credits");
    let mine = history(app, &client).await;
    assert_eq!(
        mine["tier"], "free",
        "past_due is newer than the late invoice: {mine}"
    );
    assert_eq!(mine["subscription"]["status"], "past_due");
    assert_eq!(mine["credits"], 5);
    // Paid again later: active.
    send(
        "evt_active",
        "customer.subscription.updated",
        t - 5,
        subscription_object("sub_order", "cus_order", "active"),
    )
    .await;
    assert_eq!(history(app, &client).await["tier"], "subscription");
    // Deleted: the tier goes down, and nothing older or later brings it back.
    send(
        "evt_deleted",
        "customer.subscription.deleted",
        t - 2,
        subscription_object("sub_order", "cus_order", "canceled"),
    )
    .await;
    let stale = send(
        "evt_stale_active",
        "customer.subscription.updated",
        t - 1,
        subscription_object("sub_order", "cus_order", "active"),
    )
    .await;
    assert_eq!(stale, "an older or final status: kept the newer");
    let mine = history(app, &client).await;
    assert_eq!(mine["tier"], "free");
    assert_eq!(mine["subscription"]["status"], "canceled");
}

async fn order_events_only_move_forwards(app: &TestApp) {
    use domain::{Currency, OrderStatus, Package};
    use server::billing::store::OrderRecord;
    let client = app.visitor();
    let account = register(app, &client, &unique_email()).await;
    let user: Uuid = account["id"].as_str().expect("id").parse().expect("uuid");
    let db = database(&app.config).await;
    let order = OrderRecord {
        id: Uuid::new_v4(),
        user_id: Some(user),
        package: Package::Basic,
        amount_minor: 499,
        refunded_minor: 0,
        currency: Currency::Usd,
        status: OrderStatus::Pending,
        payment_intent: Some("pi_forwards".into()),
        subscription: None,
        invoice: None,
        game_id: None,
        failure: None,
        created_at: Utc::now(),
        completed_at: None,
    };
    db.insert_order(&order).await.expect("order");
    let t = Utc::now().timestamp();
    let refunded = |id: &'static str, total: i64| {
        event(
            id,
            "charge.refunded",
            t,
            json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_forwards",
                   "amount_refunded": total}),
        )
    };
    // The full refund arrives first, then a partial one, then the payment itself.
    assert_eq!(
        deliver(app, &refunded("evt_r_full", 499), t, WEBHOOK_SECRET)
            .await
            .status(),
        200
    );
    assert_eq!(
        deliver(app, &refunded("evt_r_part", 200), t, WEBHOOK_SECRET)
            .await
            .status(),
        200
    );
    let succeeded = event(
        "evt_pi_ok",
        "payment_intent.succeeded",
        t,
        json!({"id": "pi_forwards", "object": "payment_intent",
               "metadata": {"order_id": order.id.to_string()}}),
    );
    let answer: Value = deliver(app, &succeeded, t, WEBHOOK_SECRET)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(answer["outcome"], "the order was past pending");
    let stored = db.order(order.id).await.expect("read").expect("order");
    assert_eq!(stored.status, OrderStatus::Refunded, "never back to paid");
    assert_eq!(stored.refunded_minor, 499, "the largest total wins");
}

/// Money Stripe took that bought nothing is given back: a second attempt that succeeded for
/// an order paid already, and a payment finished after its game was deleted. Nothing answers
/// as Stripe here, so the refunds stay recorded as owed (the sweep retries them; the
/// localstripe test below sees one made).
async fn a_payment_no_order_was_waiting_for_is_given_back(app: &TestApp) {
    use domain::{Currency, OrderStatus, Package};
    use server::billing::store::OrderRecord;
    let client = app.visitor();
    let account = register(app, &client, &unique_email()).await;
    let user: Uuid = account["id"].as_str().expect("id").parse().expect("uuid");
    let db = database(&app.config).await;
    let pending = |intent: &str, game_id: Option<Uuid>| OrderRecord {
        id: Uuid::new_v4(),
        user_id: Some(user),
        package: Package::Basic,
        amount_minor: 499,
        refunded_minor: 0,
        currency: Currency::Usd,
        status: OrderStatus::Pending,
        payment_intent: Some(intent.into()),
        subscription: None,
        invoice: None,
        game_id,
        failure: None,
        created_at: Utc::now(),
        completed_at: None,
    };
    let t = Utc::now().timestamp();
    let succeeded = |event_id: &str, intent: &str, order: Uuid| {
        event(
            event_id,
            "payment_intent.succeeded",
            t,
            json!({"id": intent, "object": "payment_intent",
                   "metadata": {"order_id": order.to_string()}}),
        )
    };
    let outcome = |body: Value| async move {
        let answer: Value = deliver(app, &body, t, WEBHOOK_SECRET)
            .await
            .json()
            .await
            .expect("json");
        answer["outcome"].as_str().expect("outcome").to_owned()
    };

    // Paid by its first attempt; a second attempt that also went through is not kept.
    let twice = pending("pi_first", None);
    db.insert_order(&twice).await.expect("order");
    assert_eq!(
        outcome(succeeded("evt_first", "pi_first", twice.id)).await,
        "order paid"
    );
    let second = succeeded("evt_second", "pi_second", twice.id);
    assert_eq!(
        outcome(second.clone()).await,
        "a payment the order was not waiting for: refunding it"
    );
    assert_eq!(outcome(second).await, "received before: nothing done");
    // The same news again (the sweep, or another event): still one refund owed.
    let again = db
        .apply(
            None,
            &server::billing::store::Effect::IntentSucceeded {
                intent: "pi_second".into(),
                order: Some(twice.id),
            },
            Utc::now(),
        )
        .await
        .expect("apply");
    assert_eq!(again.unearned, None);
    let stored = db.order(twice.id).await.expect("read").expect("order");
    assert_eq!(stored.status, OrderStatus::Paid);
    assert_eq!(
        stored.payment_intent.as_deref(),
        Some("pi_first"),
        "refunds go to the payment that counts"
    );
    assert_eq!(
        db.unearned_open(10).await.expect("owed"),
        vec!["pi_second".to_owned()]
    );

    // A game waiting for its payment is deleted: its order stops waiting, and a payment that
    // completes anyway is owed back, not kept for a game that is gone.
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                   "difficulty": "easy", "level_count": 2, "package": "basic"}),
        )
        .await;
    assert_eq!(game["status"], "awaiting_payment");
    let game_id: Uuid = game["id"].as_str().expect("id").parse().expect("uuid");
    let orphan = pending("pi_late", Some(game_id));
    db.insert_order(&orphan).await.expect("order");
    let deleted = client
        .delete(app.url(&format!("/api/v1/games/{game_id}")))
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let stored = db.order(orphan.id).await.expect("read").expect("order");
    assert_eq!(stored.status, OrderStatus::Canceled);
    assert_eq!(
        outcome(succeeded("evt_late", "pi_late", orphan.id)).await,
        "a payment the order was not waiting for: refunding it"
    );
    assert_eq!(
        db.order(orphan.id)
            .await
            .expect("read")
            .expect("order")
            .status,
        OrderStatus::Canceled
    );
    assert_eq!(
        db.unearned_open(10).await.expect("owed"),
        vec!["pi_second".to_owned(), "pi_late".to_owned()]
    );
}

/// Two nodes on one PostgreSQL receive the same event at the same moment (Stripe retried
/// while the first delivery was still being applied): it is applied once.
#[tokio::test]
async fn the_same_event_on_two_nodes_at_once_credits_once() {
    let Some((db, redis, bucket)) = scale_out_parts().await else {
        return;
    };
    let node = |bucket: server::config::S3Config| {
        let url = db.url.clone();
        let redis = redis.clone();
        TestApp::spawn_with(move |c| {
            c.database_url = Some(SecretString::from(url));
            c.redis_url = Some(SecretString::from(redis));
            c.s3 = Some(bucket);
            c.jobs.in_process_worker = false;
            c.payments = payments(NO_STRIPE);
        })
    };
    let a = node(bucket.clone()).await;
    let b = node(bucket).await;
    let (client, _) = subscriber(&a, "cus_two_nodes").await;
    for round in 0..5 {
        let now = Utc::now().timestamp();
        let body = event(
            &format!("evt_two_nodes_{round}"),
            "invoice.paid",
            now,
            invoice(
                &format!("in_two_nodes_{round}"),
                "cus_two_nodes",
                "sub_2",
                1499,
            ),
        );
        let (x, y) = tokio::join!(
            deliver(&a, &body, now, WEBHOOK_SECRET),
            deliver(&b, &body, now, WEBHOOK_SECRET)
        );
        let outcomes: Vec<Value> =
            vec![x.json().await.expect("json"), y.json().await.expect("json")];
        let credited = outcomes
            .iter()
            .filter(|o| o["outcome"] == "5 credits added")
            .count();
        assert_eq!(credited, 1, "round {round}: {outcomes:?}");
    }
    assert_eq!(history(&a, &client).await["credits"], 25);
}

/// A subscription renews across a month boundary: the clock is ours, the signatures are made
/// at its time, and a delivery older than the tolerance by that clock is refused.
#[tokio::test]
async fn renewals_across_a_month_boundary_with_a_controllable_clock() {
    let data = tempfile::tempdir().expect("tempdir");
    let db = Db::sqlite(&data.path().join("billing.sqlite3"))
        .await
        .expect("sqlite");
    renew_across_months(db).await;
    if let Some(url) = service_url("TEST_DATABASE_URL") {
        let pg = super::common::TempPgDatabase::create(&url).await;
        renew_across_months(Db::postgres(&pg.url).await.expect("postgres")).await;
    }
}

async fn renew_across_months(db: Db) {
    use server::accounts::store::{AccountStore, UserRecord};
    let user = Uuid::new_v4();
    AccountStore::insert(
        &db,
        &UserRecord {
            id: user,
            email_index: format!("index-{user}"),
            email_sealed: "sealed".into(),
            name_sealed: None,
            password_hash: None,
            role: domain::Role::User,
            email_verified_at: None,
            session_generation: 0,
            subscription_tier: "free".into(),
            created_at: Utc::now(),
        },
    )
    .await
    .expect("account");
    db.keep_customer(user, "cus_months", Utc::now())
        .await
        .expect("customer");
    let december: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 30).unwrap();
    let january: DateTime<Utc> = Utc.with_ymd_and_hms(2027, 1, 1, 0, 4, 45).unwrap();
    let clock = server::clock::Clock::manual(december);
    let billing = Billing::new(
        Arc::new(db.clone()) as Arc<dyn BillingStore>,
        Arc::new(db.clone()),
        server::billing::stripe::Stripe::from_config(&payments(NO_STRIPE)).expect("client"),
        payments(NO_STRIPE),
        clock.clone(),
        Arc::new(tokio::sync::Notify::new()),
        server::infra::changes::Changes::local(),
        Arc::new(server::infra::metrics::Metrics::default()),
    );
    let signed = |body: &Value, at: DateTime<Utc>| {
        let text = body.to_string();
        let header = sign(text.as_bytes(), WEBHOOK_SECRET, at.timestamp());
        (text, header)
    };
    let dec = event(
        "evt_dec",
        "invoice.paid",
        december.timestamp(),
        invoice("in_dec", "cus_months", "sub_months", 1499),
    );
    let (text, header) = signed(&dec, december);
    let outcome = billing
        .webhook(text.as_bytes(), Some(&header))
        .await
        .expect("december");
    assert_eq!(outcome, "5 credits added");
    // Five minutes and a quarter later, in January: December's delivery is stale now.
    clock.set(january);
    let err = billing
        .webhook(text.as_bytes(), Some(&header))
        .await
        .expect_err("stale");
    assert!(err.to_string().contains("300"), "{err}");
    let jan = event(
        "evt_jan",
        "invoice.paid",
        january.timestamp(),
        invoice("in_jan", "cus_months", "sub_months", 1499),
    );
    let (text, header) = signed(&jan, january);
    assert_eq!(
        billing
            .webhook(text.as_bytes(), Some(&header))
            .await
            .expect("january"),
        "5 credits added"
    );
    let account = db.account(user).await.expect("read").expect("account");
    assert_eq!(account.credits, 10);
    assert_eq!(account.tier, "subscription");
    let orders = db.orders_of(user, 10).await.expect("orders");
    let months: Vec<String> = orders
        .iter()
        .map(|o| o.created_at.format("%Y-%m").to_string())
        .collect();
    assert_eq!(
        months,
        ["2027-01", "2026-12"],
        "a receipt per month, newest first"
    );
}

/// Payments off (the embedded default): every package is free, what each allows is still
/// enforced by the server, and the API says payments are off.
#[tokio::test]
async fn packages_are_enforced_and_free_while_payments_are_off() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let offer: Value = client
        .get(app.url("/api/v1/payments/offer"))
        .send()
        .await
        .expect("offer")
        .json()
        .await
        .expect("json");
    assert_eq!(offer["enabled"], false);
    assert_eq!(offer["packages"][0]["package"], "free");
    assert_eq!(offer["packages"][0]["max_levels"], 3);
    assert!(
        offer["packages"][0]["prices"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let ask = |package: &str, levels: u32, style: &str| {
        json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
               "difficulty": "easy", "level_count": levels, "style": style,
               "package": package})
    };
    for (body, field, words) in [
        (
            ask("free", 4, "classic-16"),
            "level_count",
            "up to 3 levels",
        ),
        (ask("free", 2, "pico-8"), "style", "classic-16 or game-boy"),
        (ask("basic", 7, "pico-8"), "level_count", "up to 6 levels"),
    ] {
        let response = client
            .post(app.url("/api/v1/games"))
            .json(&body)
            .send()
            .await
            .expect("create");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["error"]["field"], field);
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(words)),
            "{error}"
        );
    }
    // A free game: made at once, expires in 30 days, no download, one set of new levels.
    let free = app.create_game(&client, ask("free", 1, "game-boy")).await;
    assert_eq!(free["package"], "free");
    assert_eq!(free["status"], "generating");
    let expires: DateTime<Utc> = free["expires_at"]
        .as_str()
        .expect("expires")
        .parse()
        .expect("rfc3339");
    let days = (expires - Utc::now()).num_hours() as f64 / 24.0;
    assert!((29.9..=30.0).contains(&days), "{days} days");
    let id = free["id"].as_str().expect("id");
    let ready = app.wait_until_finished(&client, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let download = client
        .get(app.url(ready["urls"]["download"].as_str().expect("url")))
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), StatusCode::PAYMENT_REQUIRED);
    let regenerate = |id: String| {
        let client = client.clone();
        let url = app.url(&format!("/api/v1/games/{id}/regenerate"));
        async move { client.post(url).send().await.expect("regenerate") }
    };
    assert_eq!(
        regenerate(id.to_owned()).await.status(),
        StatusCode::ACCEPTED
    );
    app.wait_until_finished(&client, id).await;
    let second = regenerate(id.to_owned()).await;
    assert_eq!(second.status(), StatusCode::PAYMENT_REQUIRED);

    // Without a package: premium, at no cost, kept for good, downloadable.
    let default = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                   "difficulty": "easy", "level_count": 12, "style": "pico-8"}),
        )
        .await;
    assert_eq!(default["package"], "premium");
    assert_eq!(default["status"], "generating");
    assert!(default.get("expires_at").is_none_or(Value::is_null));

    // There is nothing to pay.
    let intent = client
        .post(app.url("/api/v1/payments/create-intent"))
        .json(&json!({"game_id": id}))
        .send()
        .await
        .expect("create-intent");
    assert_eq!(intent.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = intent.json().await.expect("json");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("every package is free")),
        "{error}"
    );
    // And no webhook.
    let hook = deliver(&app, &json!({}), Utc::now().timestamp(), WEBHOOK_SECRET).await;
    assert_eq!(hook.status(), StatusCode::NOT_FOUND);
}

/// An expired free game's page says so and offers to keep it; its files stop.
#[tokio::test]
async fn an_expired_free_game_says_so() {
    let app = TestApp::spawn().await;
    let client = app.visitor();
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                   "difficulty": "easy", "level_count": 1, "package": "free"}),
        )
        .await;
    let id = game["id"].as_str().expect("id");
    app.wait_until_finished(&client, id).await;
    // Thirty days pass.
    let db = database(&app.config).await;
    let past = Utc::now() - chrono::Duration::days(1);
    match &db {
        Db::Sqlite(pool) => {
            sqlx::query("UPDATE games SET expires_at = $1 WHERE id = $2")
                .bind(past)
                .bind(id)
                .execute(pool)
                .await
                .expect("expire");
        }
        Db::Postgres(_) => unreachable!("embedded"),
    }
    let view: Value = client
        .get(app.url(&format!("/api/v1/games/{id}")))
        .send()
        .await
        .expect("game")
        .json()
        .await
        .expect("json");
    assert_eq!(view["expired"], true);
    let play = reqwest::get(app.url(view["urls"]["play"].as_str().expect("play")))
        .await
        .expect("play page");
    assert_eq!(play.status(), StatusCode::GONE);
    let page = play.text().await.expect("text");
    assert!(page.contains("expired"), "{page}");
    // A way to keep it, for its owner, through their games: the page is the same for
    // everyone holding the link and names no internal id.
    assert!(
        page.contains(r#"href="/games""#),
        "a way to keep it: {page}"
    );
    assert!(!page.contains(id), "the play page carries the game's id");
    let embed = reqwest::get(app.url(view["urls"]["embed"].as_str().expect("embed")))
        .await
        .expect("embed");
    assert_eq!(embed.status(), StatusCode::GONE);
}

/// With payments on, a paid package needs an account; the free one does not.
#[tokio::test]
async fn buying_needs_an_account() {
    let app = embedded(|c| c.payments = payments(NO_STRIPE)).await;
    let client = app.visitor();
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let ask = |package: &str| {
        json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
               "difficulty": "easy", "level_count": 1, "package": package})
    };
    for package in ["basic", "premium", "subscription"] {
        let response = client
            .post(app.url("/api/v1/games"))
            .json(&ask(package))
            .send()
            .await
            .expect("create");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{package}");
    }
    let free = app.create_game(&client, ask("free")).await;
    assert_eq!(free["status"], "generating");
    // Signed in without credits, a subscription game is refused and nothing is kept.
    register(&app, &client, &unique_email()).await;
    let response = client
        .post(app.url("/api/v1/games"))
        .json(&ask("subscription"))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    let mine: Vec<Value> = client
        .get(app.url("/api/v1/games"))
        .send()
        .await
        .expect("mine")
        .json()
        .await
        .expect("json");
    assert_eq!(mine.len(), 1, "only the free game: {mine:?}");
    // Premium waits for its payment.
    let premium = app.create_game(&client, ask("premium")).await;
    assert_eq!(premium["status"], "awaiting_payment");
    assert_eq!(premium["package"], "premium");
}

// ---- against localstripe --------------------------------------------------------------

/// localstripe: `api` through the fix-up proxy (what the server calls), `server` itself (its
/// configuration routes and what a browser's Stripe.js would call).
struct Peer {
    api: String,
    server: String,
}

fn peer() -> Option<Peer> {
    Some(Peer {
        api: service_url("TEST_STRIPE_API")?,
        server: service_url("TEST_STRIPE_SERVER")?,
    })
}

impl Peer {
    /// Has localstripe deliver its events to `app`'s webhook, signed with our secret.
    async fn hook(&self, app: &TestApp) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/_config/webhooks/{}",
                self.server,
                Uuid::new_v4().simple()
            ))
            .form(&[
                ("url", app.url("/api/v1/payments/webhook")),
                ("secret", WEBHOOK_SECRET.to_owned()),
            ])
            .send()
            .await
            .expect("configure webhook");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// What Stripe.js does with a card typed into its Element and a SetupIntent's secret:
    /// makes the payment method and confirms the setup with it (finishing 3-D Secure).
    async fn save_card(&self, setup_secret: &str, number: &str) -> String {
        let client = reqwest::Client::new();
        let method: Value = client
            .post(format!("{}/v1/payment_methods", self.server))
            .basic_auth("sk_test_petpixel", Some(""))
            .form(&[
                ("type", "card"),
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ])
            .send()
            .await
            .expect("payment method")
            .json()
            .await
            .expect("json");
        let pm = method["id"].as_str().expect("pm id").to_owned();
        let setup = setup_secret.split("_secret_").next().expect("setup id");
        let confirmed: Value = client
            .post(format!("{}/v1/setup_intents/{setup}/confirm", self.server))
            .basic_auth("sk_test_petpixel", Some(""))
            .form(&[("payment_method", pm.as_str())])
            .send()
            .await
            .expect("confirm setup")
            .json()
            .await
            .expect("json");
        if confirmed["status"] == "requires_action" {
            // The bank's challenge, passed (the stand-in's "Complete authentication").
            let done: Value = client
                .post(format!("{}/v1/setup_intents/{setup}/confirm", self.server))
                .basic_auth("sk_test_petpixel", Some(""))
                .send()
                .await
                .expect("authenticate setup")
                .json()
                .await
                .expect("json");
            assert_eq!(done["status"], "succeeded", "{done}");
        } else {
            assert_eq!(confirmed["status"], "succeeded", "{confirmed}");
        }
        pm
    }

    /// The stand-in Stripe.js's 3-D Secure challenge, passed.
    async fn authenticate(&self, client_secret: &str) {
        let intent = client_secret.split("_secret_").next().expect("intent id");
        let response = reqwest::Client::new()
            .post(format!(
                "{}/v1/payment_intents/{intent}/_authenticate?success=true",
                self.server
            ))
            .basic_auth("sk_test_petpixel", Some(""))
            .form(&[("client_secret", client_secret)])
            .send()
            .await
            .expect("authenticate");
        assert!(response.status().is_success(), "{}", response.status());
    }
}

/// Follows one of the caller's games on its event stream (`/games/{id}/events`, which stays
/// open while the game waits for its payment) until `done` holds: each change (the webhook
/// releasing it, a stage, the end) arrives as an event.
async fn game_until(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    follow_until(app, client, &format!("/api/v1/games/{id}/events"), done).await
}

/// Follows the caller's payment history on its event stream (`/payments/events`) until `done`
/// holds: what a webhook or the sweep does to the account in the background arrives as an
/// event.
async fn history_until(
    app: &TestApp,
    client: &reqwest::Client,
    done: impl Fn(&Value) -> bool,
) -> Value {
    follow_until(app, client, "/api/v1/payments/events", done).await
}

/// Reads the server-sent events at `path` until one's data satisfies `done`, for at most two
/// minutes (localstripe's webhooks and the sweep run on their own time).
async fn follow_until(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let follow = async {
        let mut stream = client.get(app.url(path)).send().await.expect("events");
        assert_eq!(stream.status(), StatusCode::OK, "{path}");
        let mut buffer = String::new();
        let mut last = Value::Null;
        while let Some(chunk) = stream.chunk().await.expect("a clean stream") {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if data.is_empty() {
                    continue;
                }
                last = serde_json::from_str(&data.join("\n")).expect("JSON data");
                if done(&last) {
                    return last;
                }
            }
        }
        panic!("{path}'s stream ended at {last}");
    };
    tokio::time::timeout(Duration::from_secs(120), follow)
        .await
        .unwrap_or_else(|_| panic!("{path} did not get there in 120 s"))
}

macro_rules! stripe_on_both_stacks {
    ($($behaviour:ident),* $(,)?) => {
        mod stripe_embedded {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some(peer) = super::peer() else { return };
                    let app = super::embedded(|c| c.payments = super::payments(&peer.api)).await;
                    peer.hook(&app).await;
                    super::$behaviour(&app, &peer).await;
                }
            )*
        }
        mod stripe_scaled_out {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some(peer) = super::peer() else { return };
                    let Some((app, _db)) = super::scaled_out(|c| c.payments = super::payments(&peer.api)).await else {
                        return;
                    };
                    peer.hook(&app).await;
                    super::$behaviour(&app, &peer).await;
                }
            )*
        }
    };
}

stripe_on_both_stacks!(
    a_premium_game_is_made_when_stripe_says_it_is_paid,
    a_declined_card_and_three_d_secure,
    a_subscription_credits_games,
    deleting_an_account_ends_its_subscription,
    a_payment_finished_after_its_game_was_deleted_is_refunded,
);

/// Signs up, uploads, asks for a game with `package`: the client and the game.
async fn buyer_with_game(app: &TestApp, package: &str, levels: u32) -> (reqwest::Client, Value) {
    let client = app.visitor();
    register(app, &client, &unique_email()).await;
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                   "difficulty": "easy", "level_count": levels, "style": "pico-8",
                   "package": package}),
        )
        .await;
    (client, game)
}

async fn a_premium_game_is_made_when_stripe_says_it_is_paid(app: &TestApp, peer: &Peer) {
    let (client, game) = buyer_with_game(app, "premium", 8).await;
    assert_eq!(game["status"], "awaiting_payment");
    let id = game["id"].as_str().expect("id");
    let checkout = post(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id, "currency": "jpy"}),
    )
    .await;
    assert_eq!(checkout.status(), StatusCode::OK);
    let checkout: Value = checkout.json().await.expect("json");
    assert_eq!(
        checkout["order"]["amount"]["amount_minor"], 1500,
        "¥1500: no minor unit"
    );
    assert_eq!(checkout["order"]["amount"]["display"], "¥1500");
    assert_eq!(checkout["publishable_key"], "pk_test_petpixel");
    let order = checkout["order"]["id"].as_str().expect("order").to_owned();
    // Asked again (a reload), the same order resumes; in another currency it is refused.
    let again: Value = post_json(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id, "currency": "jpy"}),
    )
    .await;
    assert_eq!(again["order"]["id"], order);
    // Resumed without naming a currency (a reloaded page), it stays in yen.
    let reloaded: Value = post_json(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await;
    assert_eq!(reloaded["order"]["amount"]["display"], "¥1500");
    let other = post(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id, "currency": "eur"}),
    )
    .await;
    assert_eq!(other.status(), StatusCode::CONFLICT);
    // Someone else cannot pay for it, or see its order.
    let stranger = app.visitor();
    register(app, &stranger, &unique_email()).await;
    let theirs = post(
        &stranger,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let theirs = post(
        &stranger,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order}),
    )
    .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    // Not a payment method.
    let junk = post(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": "4242 4242 4242 4242"}),
    )
    .await;
    assert_eq!(junk.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let pm = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4242424242424242",
        )
        .await;
    let paid: Value = post_json(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": pm}),
    )
    .await;
    assert_eq!(paid["next"], "succeeded", "{paid}");
    // Stripe's webhook, not the answer above, makes the game.
    let made = game_until(app, &client, id, |g| g["status"] != "awaiting_payment").await;
    assert_ne!(made["status"], "awaiting_payment");
    let ready = app.wait_until_finished(&client, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let download = client
        .get(app.url(ready["urls"]["download"].as_str().expect("url")))
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), StatusCode::OK, "premium downloads");
    // Premium draws the pet at 64 px too: a sheet to keep, and its animation.
    for (file, kind) in [("hires_sheet", "image/png"), ("hires_preview", "image/gif")] {
        let url = ready["urls"][file].as_str().expect("a 64-px picture");
        let picture = client.get(app.url(url)).send().await.expect("picture");
        assert_eq!(picture.status(), StatusCode::OK, "{file}");
        assert_eq!(picture.headers()["content-type"], kind);
        if file == "hires_sheet" {
            let sheet =
                image::load_from_memory(&picture.bytes().await.expect("bytes")).expect("a png");
            let small = image::load_from_memory(
                &client
                    .get(app.url(ready["urls"]["sprite_sheet"].as_str().expect("sheet")))
                    .send()
                    .await
                    .expect("sheet")
                    .bytes()
                    .await
                    .expect("bytes"),
            )
            .expect("a png");
            assert!(
                sheet.height() >= 64 && sheet.height() > small.height(),
                "64-px frames: {} vs {}",
                sheet.height(),
                small.height()
            );
        }
    }

    let mine = history(app, &client).await;
    let receipt = &mine["orders"][0];
    assert_eq!(receipt["status"], "paid", "{mine}");
    assert_eq!(receipt["package"], "premium");
    assert_eq!(receipt["game_id"], id);
    assert!(
        receipt["reference"]
            .as_str()
            .is_some_and(|r| r.starts_with("pi_"))
    );
    // Paid already.
    let twice = post(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id, "currency": "jpy"}),
    )
    .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);

    // Refunds are for admins: part, then the rest, then nothing is left.
    let refund = json!({"order_id": order, "amount_minor": 500, "reason": "asked nicely"});
    assert_eq!(
        post(&client, app, "/api/v1/payments/refund", refund.clone())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let admin = app.visitor();
    let email = unique_email();
    register(app, &admin, &email).await;
    server::startup::grant_role(app.config.clone(), &email, "admin")
        .await
        .expect("admin");
    // The admin finds the order by the reference on the buyer's receipt, or by its id; the
    // buyer may not look.
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let orders = |who: &reqwest::Client, q: String| {
        let mut url = reqwest::Url::parse(&app.url("/api/v1/payments/orders")).expect("url");
        url.query_pairs_mut().append_pair("q", &q);
        who.get(url).send()
    };
    assert_eq!(
        orders(&client, reference.clone())
            .await
            .expect("orders")
            .status(),
        StatusCode::FORBIDDEN
    );
    for q in [reference.clone(), order.clone(), String::new()] {
        let found: Value = orders(&admin, q.clone())
            .await
            .expect("orders")
            .json()
            .await
            .expect("json");
        assert!(
            found["orders"]
                .as_array()
                .expect("orders")
                .iter()
                .any(|o| o["id"] == order.as_str()),
            "{q:?}: {found}"
        );
    }
    let nothing: Value = orders(&admin, "pi_nobody".into())
        .await
        .expect("orders")
        .json()
        .await
        .expect("json");
    assert_eq!(nothing["orders"], json!([]));
    assert_eq!(
        orders(&admin, "x".repeat(300))
            .await
            .expect("orders")
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let partial: Value = post(&admin, app, "/api/v1/payments/refund", refund)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(partial["status"], "partially_refunded", "{partial}");
    assert_eq!(partial["refunded"]["display"], "¥500");
    let too_much = post(
        &admin,
        app,
        "/api/v1/payments/refund",
        json!({"order_id": order, "amount_minor": 1001}),
    )
    .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rest: Value = post_json(
        &admin,
        app,
        "/api/v1/payments/refund",
        json!({"order_id": order}),
    )
    .await;
    assert_eq!(rest["status"], "refunded", "{rest}");
    assert_eq!(rest["refunded"]["amount_minor"], 1500);
    let none_left = post(
        &admin,
        app,
        "/api/v1/payments/refund",
        json!({"order_id": order}),
    )
    .await;
    assert_eq!(none_left.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        history(app, &client).await["orders"][0]["status"],
        "refunded"
    );
}

async fn a_declined_card_and_three_d_secure(app: &TestApp, peer: &Peer) {
    let (client, game) = buyer_with_game(app, "basic", 2).await;
    let id = game["id"].as_str().expect("id");
    let checkout: Value = post_json(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await;
    let order = checkout["order"]["id"].as_str().expect("order").to_owned();
    assert_eq!(checkout["order"]["amount"]["display"], "$4.99");
    // A card the bank declines: the order waits for another, the game too.
    let declined = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4000000000000341",
        )
        .await;
    let answer: Value = post_json(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": declined}),
    )
    .await;
    assert_eq!(answer["next"], "declined", "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(answer["order"]["status"], "pending");
    // A card that needs 3-D Secure: the page finishes it with Stripe.js.
    let checkout: Value = post_json(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await;
    assert_eq!(
        checkout["order"]["id"], order,
        "the same order, tried again"
    );
    let secure = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4000002760003184",
        )
        .await;
    let answer: Value = post_json(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": secure}),
    )
    .await;
    assert_eq!(answer["next"], "authenticate", "{answer}");
    let still = game_until(app, &client, id, |_| true).await;
    assert_eq!(
        still["status"], "awaiting_payment",
        "not paid until authenticated"
    );
    peer.authenticate(answer["client_secret"].as_str().expect("client secret"))
        .await;
    game_until(app, &client, id, |g| g["status"] != "awaiting_payment").await;
    let status: Value = post_json(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order}),
    )
    .await;
    assert_eq!(status["order"]["status"], "paid");
    let ready = app.wait_until_finished(&client, id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(
        ready["urls"]["hires_sheet"],
        Value::Null,
        "64 px is premium's"
    );
}

/// The buyer deletes a game while the bank's challenge is still open, then passes it: Stripe
/// took the money, so it is refunded in full (asked of Stripe once, recorded as done).
async fn a_payment_finished_after_its_game_was_deleted_is_refunded(app: &TestApp, peer: &Peer) {
    let (client, game) = buyer_with_game(app, "basic", 2).await;
    let id = game["id"].as_str().expect("id");
    let checkout: Value = post_json(
        &client,
        app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await;
    let order: Uuid = checkout["order"]["id"]
        .as_str()
        .expect("order")
        .parse()
        .expect("uuid");
    let secure = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4000002760003184",
        )
        .await;
    let answer: Value = post_json(
        &client,
        app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": secure}),
    )
    .await;
    assert_eq!(answer["next"], "authenticate", "{answer}");
    let secret = answer["client_secret"].as_str().expect("client secret");
    let intent = secret
        .split("_secret_")
        .next()
        .expect("intent id")
        .to_owned();
    let deleted = client
        .delete(app.url(&format!("/api/v1/games/{id}")))
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    peer.authenticate(secret).await;

    // localstripe's `payment_intent.succeeded` reaches the webhook in the background; the
    // buyer's history shows the payment given back once Stripe has refunded it.
    let mine = history_until(app, &client, |h| {
        h["returned"][0]["refunded_at"].is_string()
    })
    .await;
    let returned = &mine["returned"][0];
    assert_eq!(returned["reference"], intent.as_str(), "{mine}");
    assert_eq!(returned["order_id"], order.to_string(), "{mine}");
    assert_eq!(returned["amount"], checkout["order"]["amount"], "{mine}");
    let db = database(&app.config).await;
    assert_eq!(db.tallies().await.expect("tallies").refunds, 1);
    assert!(db.unearned_open(10).await.expect("owed").is_empty());
    let refunded: Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{intent}", peer.server))
        .basic_auth("sk_test_petpixel", Some(""))
        .send()
        .await
        .expect("intent")
        .json()
        .await
        .expect("json");
    let charge = &refunded["charges"]["data"][0];
    assert_eq!(refunded["status"], "succeeded", "{refunded}");
    assert_eq!(
        charge["amount_refunded"], charge["amount"],
        "refunded in full: {refunded}"
    );
    let stored = db.order(order).await.expect("read").expect("order");
    assert_eq!(
        stored.status,
        domain::OrderStatus::Canceled,
        "the order bought nothing"
    );
    let mine = history(app, &client).await;
    assert!(
        mine["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .all(|o| o["status"] != "paid"),
        "{mine}"
    );
}

async fn a_subscription_credits_games(app: &TestApp, peer: &Peer) {
    let client = app.visitor();
    register(app, &client, &unique_email()).await;
    let first: Value = post_json(
        &client,
        app,
        "/api/v1/payments/subscriptions/create",
        json!({"currency": "gbp"}),
    )
    .await;
    assert_eq!(first["price"]["display"], "£12.99");
    let pm = peer
        .save_card(
            first["setup_client_secret"].as_str().expect("secret"),
            "4242424242424242",
        )
        .await;
    let made = post(
        &client,
        app,
        "/api/v1/payments/subscriptions/create",
        json!({"currency": "gbp", "payment_method": pm}),
    )
    .await;
    assert_eq!(made.status(), StatusCode::OK);
    let made: Value = made.json().await.expect("json");
    assert_eq!(made["subscription"]["status"], "active", "{made}");
    // Its first invoice's webhook brings the month's credits and its receipt; they may reach
    // the stream in separate updates.
    let mine = history_until(app, &client, |h| {
        h["credits"] == 5 && h["orders"][0]["package"] == "subscription"
    })
    .await;
    assert_eq!(mine["tier"], "subscription");
    assert_eq!(mine["orders"][0]["package"], "subscription");
    let twice = post(
        &client,
        app,
        "/api/v1/payments/subscriptions/create",
        json!({"currency": "gbp"}),
    )
    .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    // A game made with a credit is made at once.
    let image = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                   "difficulty": "easy", "level_count": 12, "package": "subscription"}),
        )
        .await;
    assert_eq!(game["status"], "generating", "{game}");
    assert_eq!(history(app, &client).await["credits"], 4);
    // Canceled: the tier goes down, credits cannot be spent.
    let canceled: Value = post_json(
        &client,
        app,
        "/api/v1/payments/subscriptions/cancel",
        json!({}),
    )
    .await;
    assert_eq!(canceled["status"], "canceled", "{canceled}");
    assert_eq!(history(app, &client).await["tier"], "free");
    let refused = client
        .post(app.url("/api/v1/games"))
        .json(
            &json!({"image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                      "difficulty": "easy", "level_count": 1, "package": "subscription"}),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
}

async fn deleting_an_account_ends_its_subscription(app: &TestApp, peer: &Peer) {
    let client = app.visitor();
    register(app, &client, &unique_email()).await;
    let first: Value = post_json(
        &client,
        app,
        "/api/v1/payments/subscriptions/create",
        json!({}),
    )
    .await;
    let pm = peer
        .save_card(
            first["setup_client_secret"].as_str().expect("secret"),
            "4242424242424242",
        )
        .await;
    let made: Value = post_json(
        &client,
        app,
        "/api/v1/payments/subscriptions/create",
        json!({"payment_method": pm}),
    )
    .await;
    let id = made["subscription"]["id"]
        .as_str()
        .expect("subscription id")
        .to_owned();
    let deleted = client
        .delete(app.url("/api/v1/auth/account"))
        .json(&json!({"password": super::common::PASSWORD}))
        .send()
        .await
        .expect("delete account");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let at_stripe: Value = reqwest::Client::new()
        .get(format!("{}/v1/subscriptions/{id}", peer.server))
        .basic_auth("sk_test_petpixel", Some(""))
        .send()
        .await
        .expect("subscription at Stripe")
        .json()
        .await
        .expect("json");
    assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");
}

/// A paid order whose webhook never came is found by the sweep; a paid game that fails for
/// good is refunded by it.
#[tokio::test]
async fn the_sweep_finds_lost_webhooks_and_refunds_failed_games() {
    let Some(peer) = peer() else { return };
    // No webhook is configured for this app: Stripe's word only reaches it by the sweep.
    let app = embedded(|c| {
        c.payments = payments(&peer.api);
        c.payments.reconcile_after_minutes = 0;
        c.payments.sweep_every_secs = 1;
        c.jobs.max_attempts = 1;
    })
    .await;
    let (client, game) = buyer_with_game(&app, "premium", 1).await;
    let id = game["id"].as_str().expect("id");
    let checkout: Value = post(
        &client,
        &app,
        "/api/v1/payments/create-intent",
        json!({"game_id": id}),
    )
    .await
    .json()
    .await
    .expect("json");
    let order = checkout["order"]["id"].as_str().expect("order").to_owned();
    let pm = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4242424242424242",
        )
        .await;
    post(
        &client,
        &app,
        "/api/v1/payments/confirm",
        json!({"order_id": order, "payment_method": pm}),
    )
    .await;
    let ready = game_until(&app, &client, id, |g| g["status"] == "ready").await;
    assert_eq!(ready["package"], "premium");

    // A photo with no pet: the game fails for good, and its payment comes back.
    let image = app.upload_photo(&client, sky(), "sky.png").await;
    let doomed = app
        .create_game(
            &client,
            json!({"image_id": image["id"], "pet_name": "Nobody", "theme": "garden",
                   "difficulty": "easy", "level_count": 1, "package": "basic"}),
        )
        .await;
    let doomed_id = doomed["id"].as_str().expect("id");
    let checkout: Value = post(
        &client,
        &app,
        "/api/v1/payments/create-intent",
        json!({"game_id": doomed_id}),
    )
    .await
    .json()
    .await
    .expect("json");
    let doomed_order = checkout["order"]["id"].as_str().expect("order").to_owned();
    let pm = peer
        .save_card(
            checkout["setup_client_secret"].as_str().expect("secret"),
            "4242424242424242",
        )
        .await;
    post(
        &client,
        &app,
        "/api/v1/payments/confirm",
        json!({"order_id": doomed_order, "payment_method": pm}),
    )
    .await;
    game_until(&app, &client, doomed_id, |g| g["status"] == "failed").await;
    history_until(&app, &client, |h| {
        h["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["id"] == doomed_order.as_str() && o["status"] == "refunded")
    })
    .await;
}
