//! The public page of a game at `/g/{short_code}`: the game, a share link and the embed snippet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::get_game_by_code;
use crate::browser;
use crate::dto::{GameStatus, GameView};
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
                    // A code that names no game (any more) is a 404, for people and crawlers.
                    if e == AppError::NotFound {
                        super::not_found_status();
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
    let share_path = game.urls.play.clone();
    let embed_snippet = format!(
        r#"<iframe src="{}" width="640" height="360" style="border:0" title="{}" allowfullscreen></iframe>"#,
        game.urls.embed,
        game.title.replace('"', "&quot;")
    );
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
                <p>"Free games play for 30 days. Its owner can keep it for good: "
                    <a class="button" href=format!("/games/{}", game.id)>"Keep this game"</a></p>
            </section>
        }
        .into_any();
    }
    view! {
        <Title text=game.title.clone()/>
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
                <button class="button" type="button" on:click=copy>
                    {move || if copied.get() { "Link copied!" } else { "Copy link" }}
                </button>
                {game.package.allowance().download.then(|| view! {
                    <a class="button" href=game.urls.download.clone() rel="external" download="">"Download"</a>
                })}
            </div>
            <label class="field">
                "Embed it on your site"
                <textarea class="embed-snippet" readonly rows="3">{embed_snippet}</textarea>
            </label>
        </section>
    }
    .into_any()
}
