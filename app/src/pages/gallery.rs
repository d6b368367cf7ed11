//! `/games`: the public gallery — newest or featured games a page at a time, or the most played
//! today and this week, by world and difficulty — and search over titles, pet names and descriptions. Everything the page shows is
//! in its address (`?q=`, `?sort=`, `?theme=`, `?difficulty=`, `?cursor=`), so its forms and
//! links work before the app has loaded and every page can be shared.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{get_gallery, publish_game, search_games, unpublish_game};
use crate::dto::{Difficulty, GalleryCard, GalleryQuery, PublishRequest, Theme, Visibility};

#[component]
pub fn GalleryPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| {
        query
            .read()
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let asked = move || {
        (
            param("q"),
            GalleryQuery {
                sort: param("sort"),
                theme: param("theme"),
                difficulty: param("difficulty"),
                cursor: param("cursor"),
                limit: param("limit"),
            },
        )
    };
    let games = Resource::new(asked, |(q, page)| async move {
        match q {
            Some(q) => search_games(q).await,
            None => get_gallery(page).await,
        }
    });
    let (q, page) = asked();
    // What is in the search box as it is typed, for the suggestions under it.
    let typed = RwSignal::new(String::new());
    // Read from the address each time: following a tab keeps this page and changes the query.
    let tab = move |value: &'static str, label: &'static str| {
        let current = move || param("sort").as_deref().unwrap_or("new") == value;
        view! {
            <a class="tab" href=format!("/games?sort={value}") aria-current=move || current().then_some("page")>{label}</a>
        }
    };
    view! {
        <Title text="Gallery"/>
        <section class="panel gallery">
            <h1>"Gallery"</h1>
            <form class="gallery-search" method="get" action="/games" role="search">
                <label>
                    "Search games"
                    <input type="search" name="q" maxlength="100" value=q.clone().unwrap_or_default()
                        placeholder="A pet's name, a title, a word" autocomplete="off"
                        aria-describedby="search-suggestions-status"
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </label>
                <button class="button" type="submit">"Search"</button>
                <Suggestions typed=typed/>
            </form>
            <nav class="tabs" aria-label="Order">
                {tab("new", "Newest")}{tab("featured", "Featured")}
                {tab("popular", "Popular today")}{tab("popular_week", "This week")}
            </nav>
            <form class="gallery-filters" method="get" action="/games">
                <input type="hidden" name="sort" prop:value=move || param("sort").unwrap_or_else(|| "new".into())/>
                <label>"World"
                    <select name="theme">
                        <option value="">"Any"</option>
                        {Theme::ALL.into_iter().map(|t| view! {
                            <option value=t.as_str() selected=page.theme.as_deref() == Some(t.as_str())>{t.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Difficulty"
                    <select name="difficulty">
                        <option value="">"Any"</option>
                        {Difficulty::ALL.into_iter().map(|d| view! {
                            <option value=d.as_str() selected=page.difficulty.as_deref() == Some(d.as_str())>{d.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button class="button" type="submit">"Show"</button>
            </form>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || games.get().map(|result| match result {
                    Ok(found) if found.games.is_empty() => view! {
                        <p class="empty" data-testid="gallery-empty">"No games here yet."</p>
                    }.into_any(),
                    Ok(found) => {
                        let more = found.next.map(|cursor| {
                            let (_, mut page) = asked();
                            page.cursor = Some(cursor);
                            more_link(&page)
                        });
                        view! {
                            <ul class="gallery-grid">
                                {found.games.into_iter().map(|card| view! { <Card card/> }).collect_view()}
                            </ul>
                            <p class="actions">{more.map(|href| view! { <a class="button" href=href>"More games"</a> })}</p>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The address of the page after: the same filters, from `page.cursor`.
fn more_link(page: &GalleryQuery) -> String {
    let mut href = String::from("/games?");
    for (name, value) in [
        ("sort", &page.sort),
        ("theme", &page.theme),
        ("difficulty", &page.difficulty),
        ("limit", &page.limit),
        ("cursor", &page.cursor),
    ] {
        if let Some(value) = value {
            href.push_str(name);
            href.push('=');
            href.push_str(&encode_query_value(value));
            href.push('&');
        }
    }
    href.pop();
    href
}

/// Percent-encodes what a query value may not carry as is (cursors are digits, `.` and hex;
/// sorts, worlds and difficulties are names: this only guards the rest).
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Letters typed before suggestions are looked for.
const SUGGEST_FROM: usize = 2;
/// Suggestions shown under the search box.
#[cfg(feature = "hydrate")]
const SUGGESTIONS: usize = 5;
/// Typing pauses this long before the server is asked, so a word typed quickly is one search.
#[cfg(feature = "hydrate")]
const SUGGEST_AFTER_MS: u32 = 200;

/// Games matching what is being typed (the search matches word prefixes), as links: the first
/// few, looked up once typing pauses; an answer to an older text is dropped.
#[component]
fn Suggestions(typed: RwSignal<String>) -> impl IntoView {
    let found = RwSignal::new(Vec::<GalleryCard>::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let text = typed.get().trim().to_owned();
        if text.chars().count() < SUGGEST_FROM {
            found.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SUGGEST_AFTER_MS).await;
            if typed.get_untracked().trim() != text {
                return;
            }
            let games = search_games(text.clone())
                .await
                .map(|p| p.games)
                .unwrap_or_default();
            if typed.get_untracked().trim() == text {
                found.set(games.into_iter().take(SUGGESTIONS).collect());
            }
        });
    });
    let status = move || {
        let text = typed.get();
        match found.with(Vec::len) {
            _ if text.trim().chars().count() < SUGGEST_FROM => String::new(),
            0 => String::new(),
            1 => "1 game suggested".to_owned(),
            n => format!("{n} games suggested"),
        }
    };
    view! {
        <p id="search-suggestions-status" class="visually-hidden" aria-live="polite">{status}</p>
        <ul class="suggestions" aria-label="Suggestions" data-testid="suggestions" hidden=move || found.with(Vec::is_empty)>
            {move || found.get().into_iter().map(|card| view! {
                <li><a href=card.play rel="external">{card.title}<span class="hint">{format!(" · {}", card.pet_name)}</span></a></li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Card(card: GalleryCard) -> impl IntoView {
    let alt = format!("{}, animated", card.pet_name);
    let about = format!(
        "{} · {} · {} · {} level{}",
        card.pet_name,
        card.theme.as_str(),
        card.difficulty.as_str(),
        card.level_count.get(),
        if card.level_count.get() == 1 { "" } else { "s" }
    );
    view! {
        <li class="gallery-card" data-testid="gallery-card" data-code=card.short_code.to_string()>
            <a href=card.play rel="external">
                {card.preview.map(|src| view! { <img class="preview pixelated" src=src alt=alt loading="lazy"/> })}
                <strong>{card.title}</strong>
            </a>
            <span class="hint">{about}</span>
            {card.featured.then(|| view! { <span class="badge">"Featured"</span> })}
            {card.description.map(|d| view! { <p class="description">{d}</p> })}
        </li>
    }
}

/// On a finished game's page, for its owner: whether the gallery lists it, and the way to ask
/// for it (a moderator decides), to withdraw it, or why a moderator said no.
#[component]
pub fn PublishPanel(
    id: uuid::Uuid,
    visibility: Visibility,
    description: Option<String>,
    note: Option<String>,
) -> impl IntoView {
    let text = RwSignal::new(description.unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(String::new());
    // What the owner did changes the whole panel: the page is drawn again from the game.
    let after = move |result: Result<crate::dto::GameView, crate::error::AppError>| match result {
        Ok(_) => crate::browser::reload(),
        Err(e) => {
            error.set(e.to_string());
            busy.set(false);
        }
    };
    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let description = Some(text.get_untracked()).filter(|d| !d.trim().is_empty());
        leptos::task::spawn_local(async move {
            after(publish_game(id.to_string(), PublishRequest { description }).await);
        });
    };
    let withdraw = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            after(unpublish_game(id.to_string()).await);
        });
    };
    let state = match visibility {
        Visibility::Private => "Only people with its link can find this game.".to_owned(),
        Visibility::Pending => {
            "Waiting for a moderator before it appears in the gallery.".to_owned()
        }
        Visibility::Public => "In the gallery: anyone can find it.".to_owned(),
        Visibility::Rejected => format!(
            "A moderator did not list it: {}",
            note.clone().unwrap_or_default()
        ),
        Visibility::Hidden => format!(
            "Our moderators took it down: {}",
            note.clone().unwrap_or_default()
        ),
    };
    view! {
        <section class="publish" data-testid="publish" data-visibility=visibility.as_str()>
            <h2>"Gallery"</h2>
            <p data-testid="visibility">{state}</p>
            {visibility.may_publish().then(|| view! {
                <form class="publish-form" on:submit=publish>
                    <label>
                        "Describe your game for the gallery (optional)"
                        <textarea
                            name="description"
                            maxlength="500"
                            rows="3"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))
                        ></textarea>
                    </label>
                    <button class="button primary" type="submit" disabled=move || busy.get()>"Publish to the gallery"</button>
                </form>
            })}
            {matches!(visibility, Visibility::Pending | Visibility::Public).then(|| view! {
                <p class="actions">
                    <button class="button" type="button" on:click=withdraw disabled=move || busy.get()>
                        {if visibility == Visibility::Public { "Take it out of the gallery" } else { "Withdraw" }}
                    </button>
                </p>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
        </section>
    }
}
