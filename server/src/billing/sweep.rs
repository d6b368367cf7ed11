//! The periodic look at what webhooks may have missed: orders still pending after
//! `payments.reconcile_after_minutes` are looked up at Stripe (a lost webhook does not lose a
//! sale), and paid games that failed for good are refunded, as are payments that bought
//! nothing (an order paid twice, or canceled with its game) whose refund failed before. Every node runs it; the effects
//! are the webhook's, applied once, and an order's automatic refund is recorded once
//! (a unique index) before Stripe is asked.

use std::time::Duration;

use tokio::sync::watch;

use super::Billing;
use super::store::Effect;
use super::stripe::IntentStatus;

/// Orders looked at per sweep, oldest first.
const BATCH: u32 = 50;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Pending orders Stripe said were paid (or canceled).
    pub reconciled: u32,
    /// Paid games that failed, and unearned payments, refunded.
    pub refunded: u32,
}

impl Billing {
    /// Sweeps every `payments.sweep_every_secs` until `stopped` turns true.
    pub async fn run_sweeps(self: std::sync::Arc<Self>, mut stopped: watch::Receiver<bool>) {
        if self.gateway().is_none() {
            return;
        }
        let every = Duration::from_secs(self.payments().sweep_every_secs);
        loop {
            tokio::select! {
                _ = stopped.wait_for(|s| *s) => return,
                () = tokio::time::sleep(every) => {}
            }
            match self.sweep().await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(?swept, "payments sweep");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "payments sweep"),
            }
        }
    }

    /// One sweep.
    pub async fn sweep(&self) -> Result<Swept, app::error::AppError> {
        let Some(stripe) = self.gateway() else {
            return Ok(Swept::default());
        };
        let mut swept = Swept::default();
        let minutes = i64::try_from(self.payments().reconcile_after_minutes).unwrap_or(i64::MAX);
        let before = self.clock().now() - chrono::Duration::minutes(minutes);
        for order in self.store().pending_before(before, BATCH).await? {
            let Some(intent) = &order.payment_intent else {
                continue;
            };
            let found = match stripe.intent(intent).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %e, "could not look the order up");
                    continue;
                }
            };
            let effect = match found.status {
                IntentStatus::Succeeded => Effect::IntentSucceeded {
                    intent: intent.clone(),
                    order: Some(order.id),
                },
                IntentStatus::Canceled => Effect::IntentCanceled {
                    intent: intent.clone(),
                },
                _ => continue,
            };
            let applied = self
                .store()
                .apply(None, &effect, self.clock().now())
                .await?;
            if applied.order.is_some() || applied.outcome == "order canceled" {
                tracing::info!(order = %order.id, outcome = %applied.outcome, "reconciled with Stripe");
                swept.reconciled += 1;
            }
            self.after(&applied).await;
        }
        for intent in self.store().unearned_open(BATCH).await? {
            match self.refund_unearned(stripe, &intent).await {
                Ok(()) => swept.refunded += 1,
                Err(e) => tracing::warn!(intent, error = %e, "refunding an unearned payment"),
            }
        }
        for order in self.store().failed_paid_orders(BATCH).await? {
            let reason = Some("the game could not be made".to_owned());
            match self.refund_order(stripe, &order, None, reason, None).await {
                Ok(_) => swept.refunded += 1,
                Err(e) => tracing::warn!(order = %order.id, error = %e, "automatic refund"),
            }
        }
        Ok(swept)
    }
}
