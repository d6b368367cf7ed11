//! The public page of a game at `/g/{short_code}`: the game, its leaderboard, sharing (the
//! system's share sheet, or the link copied), the embed snippet and a report form. Its head
//! carries Open Graph and Twitter card tags, so a shared link unfurls with the pet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::api::{get_game_by_code, get_leaderboard, report_game};
use crate::browser;
use crate::dto::{GameStatus, GameView, Leaderboard, ReportReason, ReportRequest};
use crate::error::AppError;

#[component]
pub fn PlayPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let game = Resource::new(code, get_game_by_code);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || game.get().map(|result| match result {
                Ok(view) => view! { <PlayCard game=view/> }.into_any(),
                Err(e) => {
                    // A code that names no game (any more) is a 404, for people and crawlers;
                    // an address refused for guessing codes is told so, with when to retry.
                    match e {
                        AppError::NotFound => super::not_found_status(),
                        AppError::RateLimited { retry_after_secs } => {
                            super::rate_limited_status(retry_after_secs)
                        }
                        _ => {}
                    }
                    view! {
                        <Title text="Game not found"/>
                        <section class="panel"><p class="error" role="alert">{e.to_string()}</p></section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn PlayCard(game: GameView) -> AnyView {
    let copied = RwSignal::new(false);
    // What the share button says: what happened last.
    let share_label = RwSignal::new("Share");
    let share_path = game.urls.play.clone();
    let share_url = game.urls.share.clone();
    let share_title = game.title.clone();
    let events_url = format!("/api/v1/play/{}/events", game.short_code);
    let share = move |_| {
        let path = share_url.clone().unwrap_or_else(|| share_path.clone());
        let title = share_title.clone();
        let events_url = events_url.clone();
        spawn_local(async move {
            let origin = window().location().origin().unwrap_or_default();
            let url = if path.starts_with('/') {
                format!("{origin}{path}")
            } else {
                path
            };
            let label = match browser::share_link(&title, &url).await {
                Some(true) => "Shared!",
                // The sheet was closed without sharing.
                Some(false) => "Share",
                // No share sheet here: the link is copied instead.
                None if browser::copy_to_clipboard(&url).await => "Link copied!",
                None => "Share",
            };
            share_label.set(label);
            if label != "Share" {
                // Counted among the game's shares for its owner; a refusal changes nothing here.
                let shared = crate::dto::EventBatch {
                    events: vec![crate::dto::PageEvent {
                        kind: crate::dto::PageEventKind::Share,
                    }],
                };
                let _ = browser::send_json("POST", &events_url, &shared).await;
            }
        });
    };
    let share_path = game.urls.play.clone();
    // Pasted on another site, a relative address would point at that site.
    let embed_url = game
        .urls
        .share_embed
        .clone()
        .unwrap_or_else(|| game.urls.embed.clone());
    let copy = move |_| {
        let path = share_path.clone();
        spawn_local(async move {
            let origin = window().location().origin().unwrap_or_default();
            copied.set(browser::copy_to_clipboard(&format!("{origin}{path}")).await);
        });
    };
    if game.expired {
        super::gone_status();
        return view! {
            <Title text=game.title.clone()/>
            <section class="panel play" data-status="expired">
                <h1>{game.title.clone()}</h1>
                <p class="status">"This free game has expired."</p>
                // The page is the same for everyone holding the link: the owner finds the
                // game (and its "Keep this game") among their own.
                <p>"Free games play for 30 days. Its owner can keep it for good from their games: "
                    <a class="button" href="/games">"Keep this game"</a></p>
            </section>
        }
        .into_any();
    }
    let summary = game
        .description
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| {
            format!(
                "A platformer starring {}, made from a photo. Play it in your browser.",
                game.pet_name
            )
        });
    view! {
        <Title text=game.title.clone()/>
        <Meta name="description" content=summary.clone()/>
        <Meta property="og:type" content="website"/>
        <Meta property="og:site_name" content="PetPixel Games"/>
        <Meta property="og:title" content=game.title.clone()/>
        <Meta property="og:description" content=summary.clone()/>
        <Meta name="twitter:card" content="summary"/>
        <Meta name="twitter:title" content=game.title.clone()/>
        <Meta name="twitter:description" content=summary/>
        {game.urls.share.clone().map(|url| view! {
            <Meta property="og:url" content=url.clone()/>
            <Link rel="canonical" href=url/>
        })}
        {game.urls.share_image.clone().map(|image| view! {
            <Meta property="og:image" content=image.clone()/>
            <Meta property="og:image:alt" content=format!("{}, cut out of its photo", game.pet_name)/>
            <Meta name="twitter:image" content=image/>
        })}
        <section class="panel play">
            <h1>{game.title.clone()}</h1>
            <p class="plays">{match game.plays {
                0 => "Not played yet".to_owned(),
                1 => "Played once".to_owned(),
                n => format!("Played {n} times"),
            }}</p>
            {match game.status {
                GameStatus::Ready => view! {
                    <iframe class="game-frame" src=game.urls.embed.clone() title="Play the game" allow="autoplay; fullscreen"></iframe>
                }.into_any(),
                GameStatus::Generating => view! { <p class="status" data-status="generating">"This game is still being made."</p> }.into_any(),
                GameStatus::Failed => view! { <p class="status" data-status="failed">"This game could not be made."</p> }.into_any(),
                GameStatus::AwaitingPayment => view! { <p class="status" data-status="awaiting_payment">"This game is made once it is paid for."</p> }.into_any(),
            }}
            <div class="share">
                <button class="button primary" type="button" data-testid="share" on:click=share>
                    {move || share_label.get()}
                </button>
                <button class="button" type="button" on:click=copy>
                    {move || if copied.get() { "Link copied!" } else { "Copy link" }}
                </button>
                {game.package.allowance().download.then(|| view! {
                    <a class="button" href=game.urls.download.clone() rel="external" download="">"Download"</a>
                })}
            </div>
            {(game.status == GameStatus::Ready).then(|| view! { <LeaderboardPanel code=game.short_code.to_string()/> })}
            <super::embed_builder::EmbedBuilder url=embed_url title=game.title.clone()/>
            <ReportForm code=game.short_code.to_string()/>
        </section>
    }
    .into_any()
}

/// The game's ten fastest verified runs (each replayed by the server before it was kept).
#[component]
fn LeaderboardPanel(code: String) -> impl IntoView {
    let board = Resource::new(move || code.clone(), get_leaderboard);
    view! {
        <section class="leaderboard" aria-labelledby="leaderboard-title">
            <h2 id="leaderboard-title">"Fastest runs"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || board.get().map(|result| match result {
                    Ok(board) => board_list(board),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
            <p class="hint">"Finish the game to set a time: every run is replayed before it counts."</p>
        </section>
    }
}

fn board_list(board: Leaderboard) -> AnyView {
    if board.entries.is_empty() {
        return view! { <p class="empty">"No times yet: be the first."</p> }.into_any();
    }
    view! {
        <ol class="board">
            {board.entries.into_iter().map(|entry| view! {
                <li data-rank=entry.rank>
                    <span class="rank">{entry.rank}</span>
                    <span class="name">{entry.name}</span>
                    <span class="time">{entry.time}</span>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// "Report this game": a reason and an optional note for the moderators. Opened by the
/// embed's report link (`#report`).
#[component]
fn ReportForm(code: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let sent = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    Effect::new(move |_| {
        if window().location().hash().is_ok_and(|h| h == "#report") {
            open.set(true);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(reason) = reason.get_untracked().parse::<ReportReason>() else {
            error.set("Choose a reason.".into());
            return;
        };
        let text = note.get_untracked();
        let request = ReportRequest {
            reason,
            note: (!text.trim().is_empty()).then_some(text),
        };
        let code = code.clone();
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match report_game(code, request).await {
                Ok(_) => sent.set(true),
                Err(e) => error.set(e.to_string()),
            }
            busy.set(false);
        });
    };
    view! {
        <details id="report" class="report" prop:open=move || open.get()>
            <summary>"Report this game"</summary>
            <form on:submit=submit>
                <label class="field">
                    "What is wrong?"
                    <select name="reason" required=true on:change=move |ev| reason.set(event_target_value(&ev))>
                        <option value="" selected=true disabled=true>"Choose a reason"</option>
                        {ReportReason::ALL.map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    "Anything the moderators should know (optional)"
                    <textarea name="note" maxlength="500" rows="3"
                        prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </label>
                <button class="button" type="submit" disabled=move || busy.get() || sent.get()>"Send the report"</button>
            </form>
            <p class="error" role="alert">{move || error.get()}</p>
            <p class="status" role="status">{move || if sent.get() { "Thank you: a moderator will look at this game." } else { "" }}</p>
        </details>
    }
}
