//! The result page of one of the visitor's games: progress while it is made, then the
//! sprite and the playable game.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_game, regenerate_game};
use crate::dto::{GameStatus, GameView};

/// How often the page asks whether a game is ready.
const POLL_MS: u32 = 700;

#[component]
pub fn GamePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let game = Resource::new(id, get_game);

    // Poll while the game is being made; each answer schedules the next question.
    Effect::new(move |_| {
        if let Some(Ok(view)) = game.get()
            && view.status == GameStatus::Generating
        {
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                game.refetch();
            });
        }
    });

    view! {
        <Title text="Your game"/>
        <section class="panel">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || game.get().map(|result| match result {
                    Ok(view) => view! { <GameCard game=view refetch=Callback::new(move |()| game.refetch())/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn GameCard(game: GameView, refetch: Callback<()>) -> impl IntoView {
    let status = game.status.as_str();
    let urls = game.urls.clone();
    let id = game.id.clone();
    // New levels: the same pet and settings, a new seed; the page polls until ready.
    let regenerate = Action::new(move |id: &String| regenerate_game(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = regenerate.value().get() {
            refetch.run(());
        }
    });
    let regenerate_error = move || {
        regenerate
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    let finished = game.status != GameStatus::Generating;
    view! {
        <h1>{game.title.clone()}</h1>
        <p class="status" data-status=status>
            {match game.status {
                GameStatus::Generating => "Making your game…".to_owned(),
                GameStatus::Ready => "Your game is ready!".to_owned(),
                GameStatus::Failed => format!(
                    "We could not make this game: {}",
                    game.failure.clone().unwrap_or_default()
                ),
            }}
        </p>
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
        </div>
        {(game.status == GameStatus::Ready).then(|| view! {
            <iframe class="game-frame" src=urls.embed.clone() title="Play the game" allow="autoplay; fullscreen"></iframe>
            <p class="actions">
                <a class="button primary" href=urls.play.clone() rel="external">"Open the game page"</a>
                <a class="button" href=urls.download.clone() rel="external" download="">"Download (plays offline)"</a>
            </p>
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
            {regenerate_error}
        })}
    }
}
