//! "My games": every game the caller made, newest first, with its picture, status, plays and
//! what can be done with it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{delete_game, my_games, regenerate_game};
use crate::browser;
use crate::dto::{GameStatus, GameView};

#[component]
pub fn MyGamesPage() -> impl IntoView {
    let games = Resource::new(|| (), |_| my_games());
    let refetch = Callback::new(move |()| games.refetch());
    view! {
        <Title text="My games"/>
        <section class="panel my-games">
            <h1>"My games"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || games.get().map(|listed| match listed {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">
                            "No games yet. " <a href="/create">"Make your pet's first game"</a>
                            ". Games you made on another device appear here once you "
                            <a href="/login">"log in"</a> "."
                        </p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="game-list">
                            {list.into_iter().filter_map(|game| game.id.map(|game_id| view! { <GameRow game game_id refetch/> })).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn GameRow(game: GameView, game_id: uuid::Uuid, refetch: Callback<()>) -> impl IntoView {
    let regenerate = Action::new(move |id: &String| regenerate_game(id.clone()));
    let delete = Action::new(move |id: &String| delete_game(id.clone()));
    Effect::new(move |_| {
        let regenerated = matches!(regenerate.value().get(), Some(Ok(_)));
        let deleted = matches!(delete.value().get(), Some(Ok(())));
        if regenerated || deleted {
            refetch.run(());
        }
    });
    let id = game_id.to_string();
    let picture = game.urls.preview.clone().or(game.urls.sprite.clone());
    let ready = game.status == GameStatus::Ready;
    let finished = game.status != GameStatus::Generating;
    let status = match game.status {
        GameStatus::Ready => "Ready".to_owned(),
        GameStatus::Failed => "Failed".to_owned(),
        GameStatus::Generating => format!("Being made ({}%)", game.progress),
        GameStatus::AwaitingPayment => "Waiting for payment".to_owned(),
    };
    let plays = match game.plays {
        1 => "1 play".to_owned(),
        n => format!("{n} plays"),
    };
    view! {
        <li class="game-row" data-testid="my-game">
            {match picture {
                Some(src) => view! { <img class="pixel" src=src alt=format!("{} in pixel art", game.pet_name) width="96" height="96"/> }.into_any(),
                None => view! { <div class="no-picture" aria-hidden="true"></div> }.into_any(),
            }}
            <div class="game-info">
                <h2><a href=format!("/games/{id}")>{game.title.clone()}</a></h2>
                <p>
                    <span class=format!("status {}", game.status.as_str())>{status}</span>
                    " · " {plays} " · " {game.theme.as_str()} " · " {game.difficulty.as_str()}
                </p>
                <p class="actions">
                    {ready.then(|| view! {
                        <a class="button" href=game.urls.play.clone()>"Play"</a>
                        <a class="button" href=game.urls.download.clone() download="">"Download"</a>
                    })}
                    {finished.then(|| {
                        let id = id.clone();
                        view! {
                            <button type="button" class="button" disabled=move || regenerate.pending().get()
                                on:click=move |_| { regenerate.dispatch(id.clone()); }>
                                "New levels"
                            </button>
                        }
                    })}
                    {finished.then(|| {
                        let id = id.clone();
                        let title = game.title.clone();
                        view! {
                            <button type="button" class="button danger" disabled=move || delete.pending().get()
                                on:click=move |_| {
                                    if browser::confirm(&format!("Delete {title}? Its link, embed and download stop working.")) {
                                        delete.dispatch(id.clone());
                                    }
                                }>
                                "Delete"
                            </button>
                        }
                    })}
                </p>
                {move || regenerate.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                {move || delete.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            </div>
        </li>
    }
}
