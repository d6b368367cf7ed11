//! "Embed it on your site": the snippet for another site's page, at a fixed size or filling
//! its column (16:9), with a preview of exactly that snippet on request.

use leptos::prelude::*;

use crate::browser;

/// Sizes a snippet may ask for, in CSS pixels.
const WIDTHS: std::ops::RangeInclusive<u32> = 200..=1920;
const HEIGHTS: std::ops::RangeInclusive<u32> = 150..=1080;

/// How big the game is on the other site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbedSize {
    Fixed {
        width: u32,
        height: u32,
    },
    /// As wide as its column, 16:9.
    Responsive,
}

/// The HTML to paste: `url` absolute (a relative one would point at the other site).
pub fn snippet(url: &str, title: &str, size: EmbedSize) -> String {
    let title = title
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    let url = url.replace('"', "%22");
    let frame = r#"allow="autoplay; fullscreen" allowfullscreen"#;
    match size {
        EmbedSize::Fixed { width, height } => format!(
            r#"<iframe src="{url}" width="{}" height="{}" style="border:0" title="{title}" {frame}></iframe>"#,
            width.clamp(*WIDTHS.start(), *WIDTHS.end()),
            height.clamp(*HEIGHTS.start(), *HEIGHTS.end()),
        ),
        EmbedSize::Responsive => format!(
            r#"<div style="position:relative;width:100%;aspect-ratio:16/9"><iframe src="{url}" style="position:absolute;inset:0;width:100%;height:100%;border:0" title="{title}" {frame}></iframe></div>"#
        ),
    }
}

/// A number typed into a size field, or `fallback` while it is not one.
fn parse_size(text: &str, fallback: u32) -> u32 {
    text.trim().parse().unwrap_or(fallback)
}

#[component]
pub fn EmbedBuilder(url: String, title: String) -> impl IntoView {
    let responsive = RwSignal::new(false);
    let width = RwSignal::new(640u32);
    let height = RwSignal::new(360u32);
    let open = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let code = Signal::derive(move || {
        let size = if responsive.get() {
            EmbedSize::Responsive
        } else {
            EmbedSize::Fixed {
                width: width.get(),
                height: height.get(),
            }
        };
        snippet(&url, &title, size)
    });
    let copy = move |_| {
        let text = code.get_untracked();
        leptos::task::spawn_local(async move {
            copied.set(browser::copy_to_clipboard(&text).await);
        });
    };
    // What the other site's page would show: the snippet itself, in a page of its own;
    // drawn only when asked for (it runs a second copy of the game).
    let preview = move || {
        open.get().then(|| {
            let page = format!(
                "<!doctype html><meta charset=\"utf-8\"><body style=\"margin:0\">{}</body>",
                code.get()
            );
            let style = if responsive.get() {
                "width:100%;aspect-ratio:16/9;border:0".to_owned()
            } else {
                format!(
                    "width:{}px;height:{}px;max-width:100%;border:0",
                    width.get().clamp(*WIDTHS.start(), *WIDTHS.end()),
                    height.get().clamp(*HEIGHTS.start(), *HEIGHTS.end())
                )
            };
            view! {
                <iframe class="embed-preview" srcdoc=page style=style
                    title="Preview of the embedded game" allow="autoplay; fullscreen"></iframe>
            }
        })
    };
    view! {
        <section class="embed-builder" aria-labelledby="embed-heading">
            <h2 id="embed-heading">"Embed it on your site"</h2>
            <fieldset class="embed-size">
                <legend>"Size"</legend>
                <label><input type="radio" name="embed-size" value="fixed"
                    prop:checked=move || !responsive.get()
                    on:change=move |_| responsive.set(false)/>" Fixed"</label>
                <label><input type="radio" name="embed-size" value="responsive"
                    prop:checked=move || responsive.get()
                    on:change=move |_| responsive.set(true)/>" Fills the width (16:9)"</label>
                <label class="field">"Width"
                    <input type="number" inputmode="numeric" min=*WIDTHS.start() max=*WIDTHS.end()
                        prop:value=move || width.get().to_string()
                        prop:disabled=move || responsive.get()
                        on:input=move |ev| width.set(parse_size(&event_target_value(&ev), width.get_untracked()))/>
                </label>
                <label class="field">"Height"
                    <input type="number" inputmode="numeric" min=*HEIGHTS.start() max=*HEIGHTS.end()
                        prop:value=move || height.get().to_string()
                        prop:disabled=move || responsive.get()
                        on:input=move |ev| height.set(parse_size(&event_target_value(&ev), height.get_untracked()))/>
                </label>
            </fieldset>
            <label class="field">"Code to paste"
                <textarea class="embed-snippet" readonly rows="3" prop:value=move || code.get()>{code.get_untracked()}</textarea>
            </label>
            <div class="actions">
                <button class="button" type="button" on:click=copy>
                    {move || if copied.get() { "Code copied!" } else { "Copy code" }}
                </button>
                <button class="button" type="button" aria-pressed=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "Hide preview" } else { "Preview" }}
                </button>
            </div>
            <div class="embed-preview-box">{preview}</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_snippet_keeps_its_size_within_bounds_and_escapes_the_title() {
        let url = "https://petpixel.example/embed/abcdefghjk";
        let fixed = snippet(
            url,
            "Rex \"the\" <Dog>",
            EmbedSize::Fixed {
                width: 800,
                height: 450,
            },
        );
        assert!(fixed.starts_with(r#"<iframe src="https://petpixel.example/embed/abcdefghjk""#));
        assert!(fixed.contains(r#"width="800" height="450""#), "{fixed}");
        assert!(
            fixed.contains(r#"title="Rex &quot;the&quot; &lt;Dog>""#),
            "{fixed}"
        );
        let tiny = snippet(
            url,
            "t",
            EmbedSize::Fixed {
                width: 5,
                height: 100_000,
            },
        );
        assert!(tiny.contains(r#"width="200" height="1080""#), "{tiny}");
    }

    #[test]
    fn a_responsive_snippet_fills_its_column_at_16_by_9() {
        let responsive = snippet("https://x.example/embed/c", "t", EmbedSize::Responsive);
        assert!(
            responsive.contains("width:100%;aspect-ratio:16/9"),
            "{responsive}"
        );
        assert!(responsive.contains(r#"<iframe src="https://x.example/embed/c""#));
        assert!(responsive.contains("allowfullscreen"));
    }

    #[test]
    fn a_size_being_typed_keeps_the_last_number() {
        assert_eq!(parse_size("720", 640), 720);
        assert_eq!(parse_size("", 640), 640);
        assert_eq!(parse_size("7x", 640), 640);
    }
}
