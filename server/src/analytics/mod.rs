//! Games' audiences. Pages and embeds send what they saw (a view, a finished run, a share) in
//! small batches; robots are not counted, each visitor and address may send only so many
//! batches an hour, and one writer per process commits everyone's events together. Plays are
//! counted where they were before (`games`, once per start), into the same table. A game's
//! owner reads its totals and its last days (`GET /api/v1/games/{id}/stats`), from the read
//! replica when there is one. Old months are dropped by [`Analytics::run_upkeep`].

pub mod bots;
pub mod routes;
pub mod store;
pub mod writer;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::dto::{DayStats, EventBatch, EventsCounted, GameStats};
use app::error::AppError;
use app::port::Visitor;
use chrono::{DateTime, Days, Utc};
use domain::GameStatus;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::AnalyticsConfig;
use crate::error::internal;
use crate::games::Games;
use crate::infra::limits::{Quota, parties};
use crate::infra::metrics::Metrics;
use store::{AnalyticsStore, NewEvent};
use writer::{WriteError, Writer};

/// Events one batch may carry.
pub const MOST_PER_BATCH: usize = 20;
/// Days a game's chart may span.
pub const MOST_DAYS: u32 = 90;
/// Days a game's chart spans unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 30;

pub struct Analytics {
    /// Reads (the replica's, when configured).
    reader: Arc<dyn AnalyticsStore>,
    /// Upkeep changes tables: the primary's.
    primary: Arc<dyn AnalyticsStore>,
    writer: Writer,
    games: Arc<Games>,
    batches: Quota,
    clock: Clock,
    config: AnalyticsConfig,
    metrics: Arc<Metrics>,
}

impl Analytics {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        primary: Arc<dyn AnalyticsStore>,
        reader: Arc<dyn AnalyticsStore>,
        games: Arc<Games>,
        batches: Quota,
        clock: Clock,
        config: AnalyticsConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            writer: Writer::start(Arc::clone(&primary)),
            reader,
            primary,
            games,
            batches,
            clock,
            config,
            metrics,
        }
    }

    /// Counts what a page of game `code` saw, unless a robot sent it.
    pub async fn record(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        user_agent: Option<&str>,
        code: &str,
        batch: EventBatch,
    ) -> Result<EventsCounted, AppError> {
        if batch.events.is_empty() || batch.events.len() > MOST_PER_BATCH {
            return Err(AppError::invalid(
                "events",
                format!("send between 1 and {MOST_PER_BATCH} events at a time"),
            ));
        }
        let game = self.games.public(code, client).await?;
        if game.status != GameStatus::Ready {
            return Err(AppError::NotFound);
        }
        let n = batch.events.len() as u64;
        if bots::is_robot(user_agent) {
            self.metrics.page_events("robot", n);
            return Ok(EventsCounted { counted: 0 });
        }
        // Counted per game, as plays are: a page left open elsewhere does not use this one up.
        let parties: Vec<String> = parties(visitor, client)
            .into_iter()
            .map(|party| format!("{}:{party}", game.short_code))
            .collect();
        self.batches.spend(&parties).await?;
        let at = self.clock.now();
        let events = batch
            .events
            .iter()
            .map(|e| NewEvent {
                game: game.id,
                kind: e.kind.as_str(),
                at,
            })
            .collect();
        match self.writer.write(events).await {
            Ok(()) => {
                self.metrics.page_events("counted", n);
                Ok(EventsCounted {
                    counted: u32::try_from(n).unwrap_or(u32::MAX),
                })
            }
            Err(WriteError::Busy) => {
                self.metrics.page_events("dropped", n);
                Err(AppError::Unavailable(
                    "too many events at once: try again in a moment".into(),
                ))
            }
            Err(e) => {
                self.metrics.page_events("failed", n);
                Err(internal("page events", e))
            }
        }
    }

    /// Game `id`'s audience, for its owner: totals, and the last `days` days (UTC) with every
    /// day present.
    pub async fn stats(
        &self,
        visitor: &Visitor,
        id: &str,
        days: Option<u32>,
    ) -> Result<GameStats, AppError> {
        let days = days.unwrap_or(DEFAULT_DAYS);
        if !(1..=MOST_DAYS).contains(&days) {
            return Err(AppError::invalid(
                "days",
                format!("between 1 and {MOST_DAYS} days"),
            ));
        }
        let game = self.games.owned(visitor, id).await?;
        let now = self.clock.now();
        let first = first_day(now, days);
        let totals = self
            .reader
            .totals(game.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let counts = self.reader.days(game.id, first).await?;
        let mut by_day: BTreeMap<String, DayStats> = (0..days)
            .filter_map(|i| first.checked_add_days(Days::new(u64::from(i))))
            .map(|day| {
                let key = day.format("%Y-%m-%d").to_string();
                let empty = DayStats {
                    day: key.clone(),
                    views: 0,
                    plays: 0,
                    completions: 0,
                };
                (key, empty)
            })
            .collect();
        for count in counts {
            if let Some(day) = by_day.get_mut(&count.day) {
                match count.kind.as_str() {
                    "view" => day.views += count.count,
                    "play" => day.plays += count.count,
                    "complete" => day.completions += count.count,
                    _ => {}
                }
            }
        }
        let completion_rate = if totals.plays == 0 {
            0.0
        } else {
            (totals.completions as f64 / totals.plays as f64).min(1.0)
        };
        Ok(GameStats {
            views: totals.views,
            plays: totals.plays,
            completions: totals.completions,
            shares: totals.shares,
            completion_rate,
            days: by_day.into_values().collect(),
        })
    }

    /// Makes the coming months' partitions and drops the months past keeping, now and then
    /// every `analytics.upkeep_every_secs` until `stopped` turns true. Every node runs it;
    /// PostgreSQL's advisory lock lets one at a time change the table.
    pub async fn run_upkeep(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let every = Duration::from_secs(self.config.upkeep_every_secs);
        loop {
            match self
                .primary
                .upkeep(self.clock.now(), self.config.keep_months)
                .await
            {
                Ok(done) if done != store::Upkept::default() => {
                    tracing::info!(?done, "analytics upkeep");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "analytics upkeep"),
            }
            tokio::select! {
                _ = stopped.wait_for(|s| *s) => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// The first moment of the first of the last `days` days (UTC), today included.
fn first_day(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let today = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    today
        .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_starts_at_midnight_days_ago() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T14:30:00Z")
            .expect("time")
            .to_utc();
        assert_eq!(first_day(now, 1).to_rfc3339(), "2026-12-07T00:00:00+00:00");
        assert_eq!(first_day(now, 30).to_rfc3339(), "2026-11-08T00:00:00+00:00");
    }
}
