//! A game's audience on its owner's page: the totals and a chart of plays per day over the
//! last 30 days, drawn as SVG on the server (no chart library reaches the browser).

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::get_game_stats;
use crate::dto::{DayStats, GameStats};

/// The chart's drawing box, in SVG units (it scales to the panel's width).
const WIDTH: u32 = 600;
const HEIGHT: u32 = 120;

#[component]
pub fn StatsPanel(id: Uuid) -> impl IntoView {
    let stats = Resource::new(move || id, |id| get_game_stats(id.to_string()));
    view! {
        <section class="stats" data-testid="game-stats" aria-labelledby="stats-title">
            <h2 id="stats-title">"Audience"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || stats.get().map(|result| match result {
                    Ok(stats) => view! { <Figures stats=stats/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Figures(stats: GameStats) -> impl IntoView {
    let rate = format!("{:.0} %", stats.completion_rate * 100.0);
    view! {
        <dl class="stat-figures">
            <div><dt>"Views"</dt><dd data-testid="stat-views">{stats.views}</dd></div>
            <div><dt>"Plays"</dt><dd data-testid="stat-plays">{stats.plays}</dd></div>
            <div><dt>"Finished"</dt><dd data-testid="stat-completions">{stats.completions}</dd></div>
            <div><dt>"Finish rate"</dt><dd data-testid="stat-rate">{rate}</dd></div>
            <div><dt>"Shares"</dt><dd data-testid="stat-shares">{stats.shares}</dd></div>
        </dl>
        <PlaysChart days=stats.days/>
    }
}

/// One bar per day; the tallest day fills the height.
#[component]
fn PlaysChart(days: Vec<DayStats>) -> impl IntoView {
    let total: u64 = days.iter().map(|d| d.plays).sum();
    let most = days.iter().map(|d| d.plays).max().unwrap_or(0).max(1);
    let busiest = days
        .iter()
        .filter(|d| d.plays > 0)
        .max_by_key(|d| d.plays)
        .map(|d| format!(", most on {} ({})", d.day, d.plays))
        .unwrap_or_default();
    let label = format!(
        "Plays per day over the last {} days: {total} in all{busiest}",
        days.len()
    );
    let n = u32::try_from(days.len()).unwrap_or(1).max(1);
    let slot = WIDTH / n;
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, day)| {
            let height = u32::try_from(day.plays * u64::from(HEIGHT - 4) / most).unwrap_or(HEIGHT);
            // A day without plays still shows as a sliver, so the days read as a row.
            let height = height.max(1);
            let x = u32::try_from(i).unwrap_or(0) * slot + 1;
            view! {
                <rect
                    x=x
                    y=HEIGHT - height
                    width=slot.saturating_sub(2).max(1)
                    height=height
                    data-day=day.day.clone()
                    data-plays=day.plays
                >
                    <title>{format!("{}: {} plays", day.day, day.plays)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="plays-chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label=label.clone()
                data-testid="plays-chart"
            >
                {bars}
            </svg>
            <figcaption>{label}</figcaption>
        </figure>
    }
}
