//! The create page: a photo (drag-and-drop or file picker), which is uploaded and cut out at
//! once; a pixel-art style and a way of moving, previewed animated on the pet itself; the
//! pet's name, a world, a difficulty and a number of levels.

use leptos::ev::{DragEvent, PointerEvent, SubmitEvent};
use leptos::html::{Div, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{create_game, crop_image, list_styles, pixel_art, remove_background};
use crate::browser;
use crate::dto::{
    CropRequest, CutoutView, Difficulty, Gait, GameRequest, LevelCount, MAX_PET_NAME_CHARS,
    PetName, PixelArtRequest, PixelArtView, SpriteSize, StudioState, Style, StyleView, Theme,
    UploadedImage,
};
use crate::error::AppError;

/// Where the chosen photo is on its way to a cut-out.
#[derive(Clone, Debug, PartialEq)]
enum PhotoState {
    Empty,
    Working(&'static str),
    Ready(CutoutView),
    Refused(String),
}

#[component]
pub fn CreatePage() -> impl IntoView {
    let file_input = NodeRef::<Input>::new();
    // A phone's camera, opened straight from the page (`capture`); what it takes goes into
    // the photo input like a chosen file.
    let camera_input = NodeRef::<Input>::new();
    let preview = RwSignal::new(None::<String>);
    let photo = RwSignal::new(PhotoState::Empty);
    let style = RwSignal::new(Style::default());
    // `None`: the pet's silhouette chooses how it moves.
    let gait = RwSignal::new(None::<Gait>);
    let art = RwSignal::new(None::<Result<PixelArtView, String>>);
    // Counts photo choices, so a slow answer for an earlier photo cannot replace a later one.
    let choice = RwSignal::new(0u32);
    // The photo as uploaded: crops are always taken from it, as the preview shows it.
    let original = RwSignal::new(None::<UploadedImage>);
    let cropping = RwSignal::new(false);
    let cropper = NodeRef::<Div>::new();
    // The crop being drawn, as fractions of the photo: [x0, y0, x1, y1].
    let crop_box = RwSignal::new(None::<[f64; 4]>);
    let drawing = RwSignal::new(false);
    let styles = Resource::new(|| (), |_| list_styles());
    let pet_name = RwSignal::new(String::new());
    let theme = RwSignal::new(Theme::Garden);
    let difficulty = RwSignal::new(Difficulty::Normal);
    let levels = RwSignal::new(LevelCount::DEFAULT);
    // `None` until picked: the server's default (free, or premium while payments are off).
    let package = RwSignal::new(None::<crate::dto::Package>);
    let email = RwSignal::new(String::new());
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
    // Draws the cut-out pet in the chosen style; a newer request wins over an older one.
    let draw = move || {
        let PhotoState::Ready(cutout) = photo.get_untracked() else {
            return;
        };
        let wanted = style.get_untracked();
        let moving = gait.get_untracked();
        let this_choice = choice.get_untracked();
        art.set(None);
        spawn_local(async move {
            let drawn = pixel_art(PixelArtRequest {
                image_id: cutout.image_id,
                style: wanted,
                size: Some(SpriteSize::PREVIEW),
                dither: None,
                animate: None,
                gait: moving,
            })
            .await;
            let current = style.get_untracked() == wanted && gait.get_untracked() == moving;
            if current && choice.get_untracked() == this_choice {
                art.set(Some(drawn.map_err(|e| e.to_string())));
            }
        });
    };
    // Shows a cut-out (and draws it in the chosen style) or why there is none, unless a later
    // photo was chosen meanwhile.
    let settle = move |this_choice: u32, outcome: Result<CutoutView, AppError>| {
        if choice.get_untracked() != this_choice {
            return;
        }
        match outcome {
            Ok(cutout) => {
                photo.set(PhotoState::Ready(cutout));
                draw();
            }
            Err(e) => photo.set(PhotoState::Refused(e.to_string())),
        }
    };
    // Uploads the photo and cuts the pet out as soon as it is chosen.
    let show_preview = move || {
        error.set(None);
        art.set(None);
        let Some(file) = chosen_file() else {
            return;
        };
        preview.set(browser::object_url(&file));
        original.set(None);
        cropping.set(false);
        photo.set(PhotoState::Working("Uploading your photo…"));
        choice.update(|n| *n += 1);
        let this_choice = choice.get_untracked();
        let current = move || choice.get_untracked() == this_choice;
        spawn_local(async move {
            let cut = async {
                let image = browser::upload_image(&file).await?;
                if current() {
                    original.set(Some(image.clone()));
                    photo.set(PhotoState::Working("Cutting your pet out…"));
                }
                remove_background(image.id).await
            };
            settle(this_choice, cut.await);
        });
    };
    // Where a pointer is over the photo being cropped, as fractions of its size.
    let fraction = move |ev: &PointerEvent| -> Option<(f64, f64)> {
        let rect = cropper.get_untracked()?.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = (f64::from(ev.client_x()) - rect.left()) / rect.width();
        let y = (f64::from(ev.client_y()) - rect.top()) / rect.height();
        Some((x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)))
    };
    // Cuts out the part of the original photo inside the drawn box, as a new photo.
    let use_crop = move || {
        let (Some(image), Some([x0, y0, x1, y1])) =
            (original.get_untracked(), crop_box.get_untracked())
        else {
            return;
        };
        let (w, h) = (f64::from(image.width), f64::from(image.height));
        let left = (x0.min(x1) * w).round();
        let top = (y0.min(y1) * h).round();
        let rect = CropRequest {
            x: left as u32,
            y: top as u32,
            width: ((x0.max(x1) * w).round() - left).max(1.0) as u32,
            height: ((y0.max(y1) * h).round() - top).max(1.0) as u32,
        };
        cropping.set(false);
        art.set(None);
        photo.set(PhotoState::Working("Cutting your pet out of the crop…"));
        choice.update(|n| *n += 1);
        let this_choice = choice.get_untracked();
        spawn_local(async move {
            let cut = async {
                let cropped = crop_image(image.id, rect).await?;
                remove_background(cropped.id).await
            };
            settle(this_choice, cut.await);
        });
    };
    let pick_style = move |id: Style| {
        style.set(id);
        draw();
    };
    let on_camera = move |_| {
        let files = camera_input
            .get_untracked()
            .and_then(|camera| camera.files());
        if let (Some(files), Some(input)) = (files, file_input.get_untracked())
            && files.length() > 0
        {
            input.set_files(Some(&files));
            show_preview();
        }
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
        let image_id = match photo.get_untracked() {
            PhotoState::Ready(cutout) => cutout.image_id,
            PhotoState::Working(_) => {
                error.set(Some(
                    "Your photo is still being cut out; one moment.".into(),
                ));
                return;
            }
            PhotoState::Refused(_) => {
                error.set(Some("Choose another photo of your pet first.".into()));
                return;
            }
            PhotoState::Empty => {
                error.set(Some("Choose a photo of your pet first.".into()));
                return;
            }
        };
        let name = match PetName::parse(&pet_name.get_untracked()) {
            Ok(name) => name,
            Err(why) => {
                error.set(Some(sentence(why)));
                return;
            }
        };

        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let request = GameRequest {
            image_id,
            pet_name: name,
            theme: theme.get_untracked(),
            difficulty: difficulty.get_untracked(),
            level_count: levels.get_untracked(),
            style: Some(style.get_untracked()),
            gait: gait.get_untracked(),
            notify_email: Some(email.get_untracked().trim().to_owned()).filter(|e| !e.is_empty()),
            package: package.get_untracked(),
        };
        spawn_local(async move {
            match create_game(request).await {
                Ok(game) => {
                    // The creator's own answer always carries the id; without it, their games.
                    let to = game
                        .id
                        .map_or_else(|| "/games".to_owned(), |id| format!("/games/{id}"));
                    navigate(&to, NavigateOptions::default())
                }
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };

    // Erasing this part's type keeps the page's view type within the compiler's depth limit.
    let photo_and_style = view! {
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
                    {move || match (photo.get(), preview.get()) {
                        (PhotoState::Ready(cutout), _) => view! {
                            <img class="preview cutout checkerboard" src=cutout.cutout_url alt="Your pet, cut out"/>
                        }.into_any(),
                        (_, Some(url)) => view! { <img class="preview" src=url alt="Your photo"/> }.into_any(),
                        (_, None) => view! {
                            <span class="hint">"Drop a photo of your pet here, or click to choose one"</span>
                        }.into_any(),
                    }}
                </label>
                <label class="button camera">
                    "Take a photo"
                    <input
                        node_ref=camera_input
                        type="file"
                        accept="image/png,image/jpeg,image/webp"
                        capture="environment"
                        on:change=on_camera
                    />
                </label>
                {move || match photo.get() {
                    PhotoState::Working(step) => Some(view! { <p class="progress" role="status">{step}</p> }.into_any()),
                    PhotoState::Refused(reason) => Some(view! {
                        <p class="error photo-error" role="alert">{reason}" Choose another photo."</p>
                    }.into_any()),
                    PhotoState::Ready(cutout) => cutout.notice.map(|notice| view! {
                        <p class="notice" role="status">{notice}</p>
                    }.into_any()),
                    PhotoState::Empty => None,
                }}
                {move || {
                    let settled = matches!(photo.get(), PhotoState::Ready(_) | PhotoState::Refused(_));
                    (settled && original.get().is_some() && !cropping.get()).then(|| view! {
                        <button type="button" class="button crop-start" on:click=move |_| {
                            crop_box.set(None);
                            cropping.set(true);
                        }>"Crop the photo"</button>
                    })
                }}
                {move || cropping.get().then(|| view! {
                    <div class="crop-step">
                        <p class="hint">"Drag a box around your pet, then cut out that part."</p>
                        <div
                            class="cropper"
                            node_ref=cropper
                            on:pointerdown=move |ev: PointerEvent| {
                                if let Some((x, y)) = fraction(&ev) {
                                    ev.prevent_default();
                                    crop_box.set(Some([x, y, x, y]));
                                    drawing.set(true);
                                }
                            }
                            on:pointermove=move |ev: PointerEvent| {
                                if drawing.get_untracked()
                                    && let Some((x, y)) = fraction(&ev)
                                {
                                    crop_box.update(|b| if let Some(b) = b { b[2] = x; b[3] = y; });
                                }
                            }
                            on:pointerup=move |_| drawing.set(false)
                            on:pointerleave=move |_| drawing.set(false)
                        >
                            <img src=move || preview.get().unwrap_or_default() alt="Your photo, to crop" draggable="false"/>
                            {move || crop_box.get().map(|[x0, y0, x1, y1]| view! {
                                <div class="crop-box" style=format!(
                                    "left:{:.3}%;top:{:.3}%;width:{:.3}%;height:{:.3}%",
                                    x0.min(x1) * 100.0, y0.min(y1) * 100.0,
                                    (x1 - x0).abs() * 100.0, (y1 - y0).abs() * 100.0,
                                )></div>
                            })}
                        </div>
                        <p class="actions">
                            <button
                                type="button"
                                class="button primary crop-use"
                                disabled=move || !crop_box.get().is_some_and(|[x0, y0, x1, y1]| (x1 - x0).abs() > 0.05 && (y1 - y0).abs() > 0.05)
                                on:click=move |_| use_crop()
                            >"Cut out this part"</button>
                            <button type="button" class="button" on:click=move |_| cropping.set(false)>"Cancel"</button>
                        </p>
                    </div>
                })}

                <fieldset class="field">
                    <legend>"Pixel-art style"</legend>
                    <Suspense fallback=|| view! { <p>"Loading styles…"</p> }>
                        {move || styles.get().map(|listed| match listed {
                            Ok(list) => view! { <StylePicker styles=list chosen=style on_pick=pick_style/> }.into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        })}
                    </Suspense>
                    <label class="field gait">
                        "How your pet moves"
                        <select name="gait" on:change=move |ev| {
                            gait.set(event_target_value(&ev).parse().ok());
                            draw();
                        }>
                            <option value="" selected=move || gait.get().is_none()>"As its photo suggests"</option>
                            {Gait::ALL.map(|g| view! {
                                <option value=g.as_str() selected=move || gait.get() == Some(g)>{g.name()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    {move || match (photo.get(), art.get()) {
                        (PhotoState::Ready(_), None) => Some(view! {
                            <p class="progress" role="status">"Drawing your pet…"</p>
                        }.into_any()),
                        // Drawing took longer than the server waits (a busy cluster): say so.
                        (PhotoState::Ready(_), Some(Ok(drawn))) if drawn.status != StudioState::Done => Some(view! {
                            <p class="progress" role="status">"Still drawing your pet; pick the style again in a moment."</p>
                        }.into_any()),
                        (PhotoState::Ready(_), Some(Ok(drawn))) => Some(view! {
                            <figure class="style-preview" data-style=drawn.style.id() data-gait=drawn.gait.map(|g| g.as_str())>
                                <img class="pixelated" src=drawn.preview_url.clone() alt="Your pet in this style, animated"/>
                                <figcaption>
                                    <span class="swatches">
                                        {drawn.palette.iter().map(|c| view! {
                                            <span class="swatch" style=format!("background:{c}") title=c.clone()></span>
                                        }).collect_view()}
                                    </span>
                                    <span class="downloads">
                                        <a href=drawn.sheet_url.clone() rel="external" download="">"Sprite sheet"</a>
                                        " · "
                                        <a href=drawn.sheet_json_url.clone() rel="external" download="">"Frame table (Aseprite JSON)"</a>
                                    </span>
                                </figcaption>
                            </figure>
                        }.into_any()),
                        (PhotoState::Ready(_), Some(Err(e))) => Some(view! {
                            <p class="error" role="alert">{e}</p>
                        }.into_any()),
                        _ => None,
                    }}
                </fieldset>
    }
    .into_any();

    view! {
        <Title text="Make a game"/>
        <section class="panel">
            <h1>"Make your pet's game"</h1>
            <form class="create-form" on:submit=on_submit>
                {photo_and_style}

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
                        {Theme::ALL.map(|t| view! {
                            <button
                                type="button"
                                class=format!("theme theme-{t}")
                                data-theme=t.as_str()
                                aria-pressed=move || (theme.get() == t).to_string()
                                on:click=move |_| theme.set(t)
                            >{t.as_str()}</button>
                        }).collect_view()}
                    </div>
                </fieldset>

                <div class="row">
                    <label class="field">
                        "Difficulty"
                        <select name="difficulty" on:change=move |ev| {
                            if let Ok(d) = event_target_value(&ev).parse() {
                                difficulty.set(d);
                            }
                        }>
                            {Difficulty::ALL.map(|d| view! {
                                <option value=d.as_str() selected=move || difficulty.get() == d>{d.as_str()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        "Levels"
                        <input
                            type="number"
                            name="level_count"
                            min="1"
                            max=LevelCount::MAX.to_string()
                            prop:value=move || levels.get().get().to_string()
                            on:input=move |ev| {
                                if let Ok(n) = event_target_value(&ev).parse::<u32>()
                                    && let Ok(count) = LevelCount::try_from(n.clamp(1, LevelCount::MAX))
                                {
                                    levels.set(count);
                                }
                            }
                        />
                    </label>
                </div>

                <super::payments::PackagePicker chosen=package/>

                <label class="field">
                    "Email me when it's ready (optional)"
                    <input
                        type="email"
                        name="notify_email"
                        autocomplete="email"
                        maxlength="254"
                        placeholder="you@example.com"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                    <span class="hint">"We first email a link to confirm the address (not for your account's confirmed address)."</span>
                </label>

                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}

                <button class="button primary" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Starting…" } else { "Make my game" }}
                </button>
            </form>
        </section>
    }
}

/// The styles as buttons with their palettes; styles that take colours from the photo say so.
#[component]
fn StylePicker(
    styles: Vec<StyleView>,
    chosen: RwSignal<Style>,
    on_pick: impl Fn(Style) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="style-picker">
            {styles.into_iter().map(|s| {
                let id = s.id;
                view! {
                    <button
                        type="button"
                        class="style"
                        data-style=id.id()
                        title=s.description.clone()
                        aria-pressed=move || (chosen.get() == id).to_string()
                        on:click=move |_| on_pick(id)
                    >
                        <strong>{s.name.clone()}</strong>
                        <span class="swatches">
                            {match s.palette.clone() {
                                Some(colours) => colours.into_iter().take(16).map(|c| view! {
                                    <span class="swatch" style=format!("background:{c}")></span>
                                }).collect_view().into_any(),
                                None => view! {
                                    <span class="from-photo">{format!("{} colours from your photo", s.colours)}</span>
                                }.into_any(),
                            }}
                        </span>
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// A validation message as a sentence: capitalised, with a full stop.
fn sentence(why: &str) -> String {
    let mut chars = why.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
