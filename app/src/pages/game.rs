//! The result page of one of the visitor's games: progress while it is made, then the
//! sprite and the playable game.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_game, push_key, regenerate_game, retry_game, subscribe_push};
use crate::dto::{GameStatus, GameView, Package, PipelineStage};
use crate::web_push::{self, Support};
use uuid::Uuid;

/// How long the page waits before asking again when live progress is unavailable.
const POLL_MS: u32 = 700;

#[component]
pub fn GamePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let game = Resource::new(id, get_game);
    // The newest view the live stream brought, newer than the resource's while it is set.
    let live = RwSignal::new(None::<GameView>);
    let streaming = StoredValue::new(false);

    // While the game is being made, follow its progress stream; without one (or when it
    // breaks), ask again after a moment. SSR renders the status as it is, and the page works
    // by reloading until the app is live.
    Effect::new(move |_| {
        if let Some(Ok(view)) = game.get()
            && view.status == GameStatus::Generating
            && !streaming.get_value()
        {
            streaming.set_value(true);
            leptos::task::spawn_local(async move {
                let finished = match view.id {
                    Some(id) => follow_progress(&id.to_string(), live).await,
                    None => false,
                };
                streaming.set_value(false);
                if !finished {
                    gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                    live.set(None);
                    game.refetch();
                }
            });
        }
    });
    let refetch = Callback::new(move |()| {
        live.set(None);
        game.refetch();
    });
    // Kept here rather than in the card, which is redrawn with every stage. Effects run in the
    // browser only, so the server (and hydration) render the offer hidden.
    let push = RwSignal::new(PushOffer::Hidden);
    Effect::new(move |_| {
        push.set(match web_push::support() {
            Support::Available => PushOffer::Offered,
            Support::Blocked => PushOffer::Blocked,
            Support::Unavailable => PushOffer::Hidden,
        });
    });

    view! {
        <Title text="Your game"/>
        <section class="panel">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || game.get().map(|result| match result.map(|view| live.get().filter(|l| l.id == view.id).unwrap_or(view)) {
                    Ok(view) => match view.id {
                        Some(game_id) => view! { <GameCard game=view game_id refetch=refetch push=push/> }.into_any(),
                        None => view! { <p class="error" role="alert">"This game could not be found."</p> }.into_any(),
                    },
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Follows `GET /api/v1/games/{id}/events` into `live` until the game is finished (true), or
/// the stream cannot be opened or breaks first (false).
#[cfg(feature = "hydrate")]
async fn follow_progress(id: &str, live: RwSignal<Option<GameView>>) -> bool {
    crate::browser::follow(
        &format!("/api/v1/games/{id}/events"),
        "progress",
        |view: GameView| {
            let done = view.status != GameStatus::Generating;
            live.set(Some(view));
            done
        },
    )
    .await
}

/// Effects run in the browser only; this keeps the server build free of the browser API.
#[cfg(not(feature = "hydrate"))]
async fn follow_progress(_id: &str, _live: RwSignal<Option<GameView>>) -> bool {
    false
}

#[component]
fn GameCard(
    game: GameView,
    game_id: Uuid,
    refetch: Callback<()>,
    push: RwSignal<PushOffer>,
) -> impl IntoView {
    let status = game.status.as_str();
    let urls = game.urls.clone();
    let id = game_id.to_string();
    // New levels: the same pet and settings, a new seed; the page polls until ready.
    let regenerate = Action::new(move |id: &String| regenerate_game(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = regenerate.value().get() {
            refetch.run(());
        }
    });
    // Try again: a failed game goes back to the stage that failed.
    let retry = Action::new(move |id: &String| retry_game(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = retry.value().get() {
            refetch.run(());
        }
    });
    let action_error = move || {
        regenerate
            .value()
            .get()
            .or_else(|| retry.value().get())
            .and_then(Result::err)
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    let finished = matches!(game.status, GameStatus::Ready | GameStatus::Failed);
    let failed = game.status == GameStatus::Failed;
    let retry_id = game_id.to_string();
    view! {
        <h1>{game.title.clone()}</h1>
        <p class="status" data-status=status>
            {match game.status {
                GameStatus::Generating => "Making your game…".to_owned(),
                GameStatus::AwaitingPayment => "Waiting for payment".to_owned(),
                GameStatus::Ready => "Your game is ready!".to_owned(),
                GameStatus::Failed => format!(
                    "We could not make this game: {}",
                    game.failure.clone().unwrap_or_default()
                ),
            }}
        </p>
        {(game.status == GameStatus::AwaitingPayment).then(|| {
            let id = game_id;
            // Once Stripe's confirmation has paid the order, the page is drawn again from it.
            let reload = Callback::new(|()| crate::browser::reload());
            let paid = Callback::new(move |()| super::payments::when_paid(id, reload));
            let package = game.package;
            view! {
                <super::payments::ClientOnly>
                    <super::payments::CheckoutPanel game_id=game_id package=package on_paid=paid/>
                </super::payments::ClientOnly>
            }
        })}
        {(game.status == GameStatus::Ready && game.package == Package::Free).then(|| {
            let id = game_id;
            let reload = Callback::new(|()| crate::browser::reload());
            let kept = Callback::new(move |()| super::payments::when_paid(id, reload));
            let open = RwSignal::new(game.expired);
            view! {
                <div class="keep" data-testid="keep-game">
                    <p>{if game.expired {
                        "This free game has expired: keep it for good with the Basic package.".to_owned()
                    } else {
                        format!(
                            "A free game plays until {}. Keep it for good with the Basic package (and download it).",
                            game.expires_at.clone().unwrap_or_default().get(..10).unwrap_or_default()
                        )
                    }}</p>
                    {move || if open.get() {
                        view! { <super::payments::CheckoutPanel game_id=id package=Package::Basic on_paid=kept/> }.into_any()
                    } else {
                        view! { <button class="button" type="button" on:click=move |_| open.set(true)>"Keep this game"</button> }.into_any()
                    }}
                </div>
            }
        })}
        {(!matches!(game.status, GameStatus::Ready | GameStatus::AwaitingPayment)).then(|| view! { <Progress stage=game.stage percent=game.progress failed=failed/> })}
        // Live updates need the app; until it has loaded (or without JavaScript) a plain link
        // shows the newest state.
        {(game.status == GameStatus::Generating).then(|| view! {
            <p class="hint">"This page follows the stages as they finish. "
                <a href=format!("/games/{}", game_id) rel="external">"Refresh"</a></p>
            <NotifyMe id=game_id.to_string() state=push/>
        })}
        <div class="pictures">
            {urls.cutout.clone().map(|src| view! {
                <figure><img class="cutout" src=src alt="Your pet, cut out"/><figcaption>"Cut out"</figcaption></figure>
            })}
            {urls.sprite.clone().map(|src| view! {
                <figure><img class="sprite pixelated" src=src alt="Your pet as pixel art"/><figcaption>"Pixel hero"</figcaption></figure>
            })}
            {urls.sprite_sheet.clone().map(|src| view! {
                <figure><img class="sheet pixelated" src=src alt="Animation frames"/><figcaption>"Animation frames"</figcaption></figure>
            })}
            {urls.preview.clone().map(|src| view! {
                <figure><img class="preview pixelated" src=src alt="Your pet, animated"/><figcaption>"Animated"</figcaption></figure>
            })}
            {urls.hires_preview.clone().map(|src| view! {
                <figure data-testid="hires"><img class="hires pixelated" src=src alt="Your pet, animated at 64 pixels"/>
                    <figcaption>"64-px hero "{urls.hires_sheet.clone().map(|sheet| view! {
                        <a href=sheet rel="external" download=format!("{}-64px-sheet.png", game.short_code)>"Download the sheet"</a>
                    })}</figcaption></figure>
            })}
        </div>
        {(game.status == GameStatus::Ready).then(|| view! {
            // Named: the checkout for keeping the game loads Stripe.js on this page, and the
            // stand-in Stripe.js the tests use reads every frame's name.
            <iframe class="game-frame" name="game" src=urls.embed.clone() title="Play the game" allow="autoplay; fullscreen"></iframe>
            <p class="actions">
                <a class="button primary" href=urls.play.clone() rel="external">"Open the game page"</a>
                {game.package.allowance().download.then(|| view! {
                    <a class="button" href=urls.download.clone() rel="external" download="">"Download (plays offline)"</a>
                })}
            </p>
        })}
        {failed.then(|| view! {
            <p class="actions">
                <button
                    class="button primary"
                    type="button"
                    disabled=move || retry.pending().get()
                    on:click=move |_| { retry.dispatch(retry_id.clone()); }
                >
                    "Try again"
                </button>
            </p>
        })}
        {(game.status == GameStatus::Ready).then(|| view! { <super::stats::StatsPanel id=game_id/> })}
        {(game.status == GameStatus::Ready).then(|| view! {
            <super::gallery::PublishPanel
                id=game_id
                visibility=game.visibility
                description=game.description.clone()
                note=game.moderation_note.clone()
            />
        })}
        {finished.then(|| view! {
            <p class="actions">
                <button
                    class="button"
                    type="button"
                    disabled=move || regenerate.pending().get()
                    on:click=move |_| { regenerate.dispatch(id.clone()); }
                >
                    "New levels"
                </button>
                " Same pet and settings, a fresh layout."
            </p>
        })}
        {action_error}
    }
}

/// The named stages with the current one (or the one that failed) marked, and a bar filled to
/// match.
#[component]
fn Progress(stage: Option<PipelineStage>, percent: u8, failed: bool) -> impl IntoView {
    let at = stage.map_or(0, PipelineStage::index);
    view! {
        <div class="progress" data-stage=stage.map(PipelineStage::as_str)>
            <div
                class="bar"
                role="progressbar"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=percent
                aria-valuetext=stage.map(PipelineStage::label)
            >
                <span style=format!("width: {percent}%")></span>
            </div>
            <ol class="stages">
                {PipelineStage::ALL.into_iter().map(|s| {
                    let state = match s.index().cmp(&at) {
                        std::cmp::Ordering::Less => "done",
                        std::cmp::Ordering::Equal if failed => "failed",
                        std::cmp::Ordering::Equal => "current",
                        std::cmp::Ordering::Greater => "todo",
                    };
                    view! { <li class=state data-stage=s.as_str()>{s.label()}</li> }
                }).collect_view()}
            </ol>
        </div>
    }
}

/// Where the page's "notify me" offer stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PushOffer {
    /// Not offered: the browser cannot, or the page has not checked yet.
    Hidden,
    /// The person turned notifications off for the site.
    Blocked,
    Offered,
    Asking,
    Subscribed,
    Failed(String),
}

impl PushOffer {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Hidden => "hidden",
            Self::Blocked => "blocked",
            Self::Offered => "offered",
            Self::Asking => "asking",
            Self::Subscribed => "subscribed",
            Self::Failed(_) => "failed",
        }
    }
}

/// "Notify me when it's ready": offered while a game is being made, when the person has a
/// reason to leave the page. Permission is asked on their click, never on arrival.
#[component]
fn NotifyMe(id: String, state: RwSignal<PushOffer>) -> impl IntoView {
    let ask = move |_| {
        state.set(PushOffer::Asking);
        let id = id.clone();
        leptos::task::spawn_local(async move {
            let outcome = async {
                let key = push_key().await.map_err(|e| e.to_string())?;
                let subscription = web_push::subscribe(&key).await.map_err(|e| e.0)?;
                subscribe_push(id, subscription)
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            state.set(match outcome {
                Ok(_) => PushOffer::Subscribed,
                Err(message) => PushOffer::Failed(message),
            });
        });
    };
    let button = move || {
        view! {
            <button class="button" type="button" on:click=ask.clone()>
                "Notify me on this device when it's ready"
            </button>
        }
    };
    view! {
        <div class="notify" data-push=move || state.get().as_str()>
            {move || match state.get() {
                PushOffer::Hidden => ().into_any(),
                PushOffer::Offered => view! {
                    {button()}
                    <p class="hint">"Close the page if you like: we'll send a notification."</p>
                }.into_any(),
                PushOffer::Asking => view! { <p class="hint">"Asking your browser…"</p> }.into_any(),
                PushOffer::Subscribed => view! {
                    <p class="ok" role="status">
                        "We'll send a notification to this device when the game is ready."
                    </p>
                }.into_any(),
                PushOffer::Blocked => view! {
                    <p class="hint">"Notifications are turned off for this site in your browser."</p>
                }.into_any(),
                PushOffer::Failed(message) => view! {
                    <p class="error" role="alert">{message}</p>
                    {button()}
                }.into_any(),
            }}
        </div>
    }
}
