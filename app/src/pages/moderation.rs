//! `/moderation`: the published and reported games waiting for a moderator, oldest first,
//! each with its cut-out, sprite and animated pet beside its title and description: approve a
//! published game into the gallery or reject it, keep a reported game or take it down, with a
//! reason its owner reads. The server decides who may.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::api::{get_moderation_queue, moderate};
use crate::dto::ModerationItem;
use crate::error::AppError;

#[component]
pub fn ModerationPage() -> impl IntoView {
    // Moved by each decision, so the queue is read again without the item.
    let version = RwSignal::new(0u32);
    let queue = Resource::new(move || version.get(), |_| get_moderation_queue());
    let decided = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <Title text="Moderation"/>
        <section class="panel moderation">
            <h1>"Moderation"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || queue.get().map(|result| match result {
                    Ok(queue) if queue.items.is_empty() => view! {
                        <p class="empty" data-testid="queue-empty">"Nothing waits for a moderator."</p>
                    }.into_any(),
                    Ok(queue) => view! {
                        <ul class="moderation-queue">
                            {queue.items.into_iter().map(|item| view! { <QueueItem item decided/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthorized(_)) => view! {
                        <p class="error" role="alert"><a href="/login">"Log in"</a>" as a moderator."</p>
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <p class="error" role="alert">"Only moderators can see the queue."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn QueueItem(item: ModerationItem, decided: Callback<()>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    let id = item.id.to_string();
    let decide = move |reject: Option<String>| {
        let id = id.clone();
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match moderate(id, reject).await {
                Ok(()) => decided.run(()),
                Err(e) => error.set(e.to_string()),
            }
            busy.set(false);
        });
    };
    let approve = {
        let decide = decide.clone();
        move |_| decide(None)
    };
    let reject = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        decide(Some(reason.get_untracked()));
    };
    let game = item.game;
    // A report names its reason after `report: ` (the domain's `ReportReason`).
    let reported = item.reason.strip_prefix("report: ").map(|name| {
        name.parse::<crate::dto::ReportReason>()
            .map_or(name.to_owned(), |r| r.label().to_owned())
    });
    let (keep, remove, what) = match &reported {
        Some(_) => ("Keep the game", "Take it down", "reported"),
        None => ("Approve", "Reject", "published"),
    };
    view! {
        <li class="queue-item" data-testid="queue-item" data-game=item.game_id.to_string() data-kind=what>
            <div class="pictures">
                {item.photo.map(|src| view! { <figure><img class="photo" src=src alt="The photo"/><figcaption>"Photo"</figcaption></figure> })}
                {item.cutout.map(|src| view! { <figure><img class="cutout" src=src alt="The cut-out"/><figcaption>"Cut out"</figcaption></figure> })}
                {item.sprite.map(|src| view! { <figure><img class="sprite pixelated" src=src alt="The sprite"/><figcaption>"Sprite"</figcaption></figure> })}
                {game.preview.map(|src| view! { <figure><img class="preview pixelated" src=src alt="Animated"/><figcaption>"Animated"</figcaption></figure> })}
            </div>
            <h2>{game.title}</h2>
            <p class="hint">{format!("{} · {} · {what} {}", game.pet_name, game.theme.as_str(), item.created_at.get(..10).unwrap_or_default())}</p>
            {reported.map(|why| view! {
                <p class="report-reason"><strong>"Reported: "</strong>{why}</p>
            })}
            {item.note.map(|note| view! { <blockquote class="report-note">{note}</blockquote> })}
            {game.description.map(|d| view! { <p class="description">{d}</p> })}
            <p class="actions">
                <a class="button" href=game.play rel="external" target="_blank">"Play it"</a>
                <button class="button primary" type="button" on:click=approve disabled=move || busy.get()>{keep}</button>
            </p>
            <form class="reject" on:submit=reject>
                <label>
                    "Reason (the owner reads it)"
                    <input
                        type="text"
                        name="reason"
                        maxlength="500"
                        required=true
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </label>
                <button class="button" type="submit" disabled=move || busy.get()>{remove}</button>
            </form>
            <p class="error" role="alert">{move || error.get()}</p>
        </li>
    }
}
