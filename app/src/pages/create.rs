//! The create page: a photo (drag-and-drop or file picker), the pet's name, a world, a
//! difficulty and a number of levels.

use leptos::ev::{DragEvent, SubmitEvent};
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::create_game;
use crate::browser;
use crate::dto::{DIFFICULTIES, GameRequest, MAX_LEVELS, MAX_PET_NAME_CHARS, THEMES};

#[component]
pub fn CreatePage() -> impl IntoView {
    let file_input = NodeRef::<Input>::new();
    let preview = RwSignal::new(None::<String>);
    let pet_name = RwSignal::new(String::new());
    let theme = RwSignal::new(THEMES[0].to_owned());
    let difficulty = RwSignal::new("normal".to_owned());
    let levels = RwSignal::new(3u32);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let navigate = use_navigate();

    let chosen_file = move || {
        file_input
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
    };
    let show_preview = move || {
        error.set(None);
        preview.set(chosen_file().and_then(|file| browser::object_url(&file)));
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let files = ev.data_transfer().and_then(|dt| dt.files());
        if let (Some(files), Some(input)) = (files, file_input.get_untracked()) {
            input.set_files(Some(&files));
            show_preview();
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(file) = chosen_file() else {
            error.set(Some("Choose a photo of your pet first.".into()));
            return;
        };
        let name = pet_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            error.set(Some("Give your pet a name.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let (theme, difficulty, level_count) = (
            theme.get_untracked(),
            difficulty.get_untracked(),
            levels.get_untracked(),
        );
        spawn_local(async move {
            let created = async {
                let image = browser::upload_image(&file).await?;
                create_game(GameRequest {
                    image_id: image.id,
                    pet_name: name,
                    theme,
                    difficulty,
                    level_count,
                })
                .await
            };
            match created.await {
                Ok(game) => navigate(&format!("/games/{}", game.id), NavigateOptions::default()),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Make a game"/>
        <section class="panel">
            <h1>"Make your pet's game"</h1>
            <form class="create-form" on:submit=on_submit>
                <label
                    class="dropzone"
                    class:dragging=move || dragging.get()
                    on:dragover=move |ev: DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop
                >
                    <input
                        node_ref=file_input
                        type="file"
                        name="image"
                        accept="image/png,image/jpeg,image/webp"
                        on:change=move |_| show_preview()
                    />
                    {move || match preview.get() {
                        Some(url) => view! { <img class="preview" src=url alt="Your photo"/> }.into_any(),
                        None => view! {
                            <span class="hint">"Drop a photo of your pet here, or click to choose one"</span>
                        }.into_any(),
                    }}
                </label>

                <label class="field">
                    "Pet's name"
                    <input
                        type="text"
                        name="pet_name"
                        required
                        maxlength=MAX_PET_NAME_CHARS.to_string()
                        placeholder="Chelsea"
                        prop:value=move || pet_name.get()
                        on:input=move |ev| pet_name.set(event_target_value(&ev))
                    />
                </label>

                <fieldset class="field">
                    <legend>"World"</legend>
                    <div class="theme-picker">
                        {THEMES.iter().map(|&t| view! {
                            <button
                                type="button"
                                class=format!("theme theme-{t}")
                                data-theme=t
                                aria-pressed=move || (theme.get() == t).to_string()
                                on:click=move |_| theme.set(t.to_owned())
                            >{t}</button>
                        }).collect_view()}
                    </div>
                </fieldset>

                <div class="row">
                    <label class="field">
                        "Difficulty"
                        <select name="difficulty" on:change=move |ev| difficulty.set(event_target_value(&ev))>
                            {DIFFICULTIES.iter().map(|&d| view! {
                                <option value=d selected=move || difficulty.get() == d>{d}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        "Levels"
                        <input
                            type="number"
                            name="level_count"
                            min="1"
                            max=MAX_LEVELS.to_string()
                            prop:value=move || levels.get().to_string()
                            on:input=move |ev| {
                                if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                                    levels.set(n.clamp(1, MAX_LEVELS));
                                }
                            }
                        />
                    </label>
                </div>

                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}

                <button class="button primary" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Uploading…" } else { "Make my game" }}
                </button>
            </form>
        </section>
    }
}
