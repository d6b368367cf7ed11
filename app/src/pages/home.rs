//! The landing page: what PetPixel does, in three steps.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Your pet stars in its own video game"/>
        <section class="hero">
            <h1>"Your pet, starring in its own video game"</h1>
            <p class="lead">
                "Upload a photo. We cut your pet out, turn it into an animated pixel-art hero and build a "
                "side-scrolling platformer around it — ready to play, share and embed in seconds."
            </p>
            <a class="button primary" href="/create">"Make my pet's game"</a>
        </section>
        <section class="steps">
            <article>
                <h2>"1 · Photo"</h2>
                <p>"Any clear photo of your cat, dog, rabbit or parrot. PNG, JPEG or WebP."</p>
            </article>
            <article>
                <h2>"2 · Pixel hero"</h2>
                <p>"The background is removed and your pet becomes a pixel-art sprite that idles, walks and jumps."</p>
            </article>
            <article>
                <h2>"3 · Play & share"</h2>
                <p>"Pick a world — garden, house, beach, space or park — and a difficulty. Share the link or embed it."</p>
            </article>
        </section>
    }
}
