//! How a pet is drawn: the pixel-art style, the sprite's size, dithering, and how its
//! cut-out was made. The image pipeline (`ml`) draws with these; the server and the pages
//! offer and record them.

use serde::{Deserialize, Serialize};

use crate::named_enum;

/// A named look for the sprite's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Style {
    /// Up to 16 colours picked from the photo by k-means.
    #[default]
    Classic16,
    /// The original Game Boy's four greens, by brightness.
    GameBoy,
    /// The best few colours of the NES palette for this pet.
    Nes,
    /// The PICO-8 fantasy console's 16 colours.
    Pico8,
    /// Up to 32 colours from the photo, each one a 15-bit colour a SNES can show.
    Snes32,
    /// Black ink, a grey wash and paper.
    MonoInk,
}

named_enum!(Style, "style", {
    Classic16 => "classic-16",
    GameBoy => "game-boy",
    Nes => "nes",
    Pico8 => "pico-8",
    Snes32 => "snes-32",
    MonoInk => "mono-ink",
});

/// How a pet walks and runs in its sprite sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gait {
    /// Legs step in a trot (a bound when running), the body bobbing a pixel.
    Walk,
    /// The whole pet hops, squashing before and stretching after: a perched bird, a sitting pet.
    Hop,
    /// An inchworm slide, the back drawn in and the front reaching out: a pet lying down.
    Crawl,
    /// A wave runs along the body: a fish, a snake.
    Swim,
}

named_enum!(Gait, "gait", {
    Walk => "walk",
    Hop => "hop",
    Crawl => "crawl",
    Swim => "swim",
});

impl Gait {
    /// The name to show people.
    pub const fn name(self) -> &'static str {
        match self {
            Gait::Walk => "Walks",
            Gait::Hop => "Hops",
            Gait::Crawl => "Crawls",
            Gait::Swim => "Swims",
        }
    }
}

/// The DMG Game Boy's screen, darkest first.
const GAME_BOY: [u32; 4] = [0x0f380f, 0x306230, 0x8bac0f, 0x9bbc0f];

/// PICO-8's 16 colours, in its own order.
const PICO_8: [u32; 16] = [
    0x000000, 0x1d2b53, 0x7e2553, 0x008751, 0xab5236, 0x5f574f, 0xc2c3c7, 0xfff1e8, 0xff004d,
    0xffa300, 0xffec27, 0x00e436, 0x29adff, 0x83769c, 0xff77a8, 0xffccaa,
];

/// The NES 2C02 PPU's 64 entries as emulators commonly show them; the repeated blacks are
/// dropped when the palette is built.
const NES: [u32; 64] = [
    0x7c7c7c, 0x0000fc, 0x0000bc, 0x4428bc, 0x940084, 0xa80020, 0xa81000, 0x881400, //
    0x503000, 0x007800, 0x006800, 0x005800, 0x004058, 0x000000, 0x000000, 0x000000, //
    0xbcbcbc, 0x0078f8, 0x0058f8, 0x6844fc, 0xd800cc, 0xe40058, 0xf83800, 0xe45c10, //
    0xac7c00, 0x00b800, 0x00a800, 0x00a844, 0x008888, 0x000000, 0x000000, 0x000000, //
    0xf8f8f8, 0x3cbcfc, 0x6888fc, 0x9878f8, 0xf878f8, 0xf85898, 0xf87858, 0xfca044, //
    0xf8b800, 0xb8f818, 0x58d854, 0x58f898, 0x00e8d8, 0x787878, 0x000000, 0x000000, //
    0xfcfcfc, 0xa4e4fc, 0xb8b8f8, 0xd8b8f8, 0xf8b8f8, 0xf8a4c0, 0xf0d0b0, 0xfce0a8, //
    0xf8d878, 0xd8f878, 0xb8f8b8, 0xb8f8d8, 0x00fcfc, 0xf8d8f8, 0x000000, 0x000000, //
];

/// Ink, wash and paper, darkest first.
const MONO_INK: [u32; 3] = [0x1b1a1f, 0x8a8478, 0xf3eddc];

impl Style {
    /// The stable kebab-case id the API, the pages and the command line use.
    pub const fn id(self) -> &'static str {
        self.as_str()
    }

    /// The name to show people.
    pub const fn name(self) -> &'static str {
        match self {
            Style::Classic16 => "Classic 16",
            Style::GameBoy => "Game Boy",
            Style::Nes => "NES",
            Style::Pico8 => "PICO-8",
            Style::Snes32 => "SNES 32",
            Style::MonoInk => "Mono ink",
        }
    }

    /// One line on what the sprite will look like.
    pub const fn description(self) -> &'static str {
        match self {
            Style::Classic16 => "Up to 16 colours picked from your photo.",
            Style::GameBoy => "The original Game Boy's four shades of green.",
            Style::Nes => "A handful of colours from the NES console's palette.",
            Style::Pico8 => "The PICO-8 fantasy console's 16 bright colours.",
            Style::Snes32 => "Up to 32 photo colours, each one a SNES can show.",
            Style::MonoInk => "Black ink and a grey wash on paper.",
        }
    }

    /// Most colours in a sprite of this style, outline not counted.
    pub const fn max_colours(self) -> usize {
        match self {
            Style::Classic16 => 16,
            Style::Snes32 => 32,
            // NES sprites had a few colours each; a dozen keeps a photo's pet recognisable.
            Style::Nes => 12,
            Style::GameBoy | Style::Pico8 | Style::MonoInk => self.fixed_colours().len(),
        }
    }

    /// The console's or medium's colours as `0xrrggbb`, as listed (with repeats); empty when
    /// the colours come from the photo alone.
    pub const fn fixed_colours(self) -> &'static [u32] {
        match self {
            Style::Classic16 | Style::Snes32 => &[],
            Style::GameBoy => &GAME_BOY,
            Style::Nes => &NES,
            Style::Pico8 => &PICO_8,
            Style::MonoInk => &MONO_INK,
        }
    }

    /// The distinct fixed colours every pixel is drawn from, as `[r, g, b]`; `None` when the
    /// colours come from the photo.
    pub fn palette(self) -> Option<Vec<[u8; 3]>> {
        let fixed = self.fixed_colours();
        if fixed.is_empty() {
            return None;
        }
        let mut palette: Vec<[u8; 3]> = Vec::with_capacity(fixed.len());
        for &rgb in fixed {
            let [_, r, g, b] = rgb.to_be_bytes();
            if !palette.contains(&[r, g, b]) {
                palette.push([r, g, b]);
            }
        }
        Some(palette)
    }
}

/// Height of a sprite's frame in pixels: 32, 48 or 64 (two, three or four 16-px tiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SpriteSize(u32);

impl SpriteSize {
    pub const ALL: [SpriteSize; 3] = [SpriteSize(32), SpriteSize(48), SpriteSize(64)];
    /// What a game's hero is drawn at: two tiles tall, the size a platformer hero reads best.
    pub const GAME: SpriteSize = SpriteSize(32);
    /// What the studio previews a style at unless asked for another size.
    pub const PREVIEW: SpriteSize = SpriteSize(48);
    /// The detailed sheet premium games come with, to keep.
    pub const HIRES: SpriteSize = SpriteSize(64);

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for SpriteSize {
    type Error = &'static str;

    fn try_from(px: u32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.0 == px)
            .ok_or("choose 32, 48 or 64 pixels")
    }
}

impl From<SpriteSize> for u32 {
    fn from(size: SpriteSize) -> u32 {
        size.0
    }
}

/// How a sprite looks and moves: style, size, dithering and gait. Its [`Look::slug`] names
/// its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Look {
    pub style: Style,
    pub size: SpriteSize,
    /// Ordered (4×4 Bayer) dithering between neighbouring palette colours.
    pub dither: bool,
    /// How the pet walks and runs; `None` lets its silhouette choose.
    pub gait: Option<Gait>,
}

impl Look {
    /// How a game's hero is drawn in `style`, moving with `gait`.
    pub fn for_game(style: Style, gait: Option<Gait>) -> Self {
        Self {
            style,
            size: SpriteSize::GAME,
            dither: false,
            gait,
        }
    }

    /// The folder name of this look's files, e.g. `game-boy-48-dither` or `pico-8-32-hop`
    /// (looks whose gait is chosen from the pet keep the names they had before gaits).
    pub fn slug(&self) -> String {
        let dither = if self.dither { "-dither" } else { "" };
        let gait = self.gait.map(|g| format!("-{g}")).unwrap_or_default();
        format!("{}-{}{dither}{gait}", self.style, self.size.get())
    }

    /// Parses a [`Look::slug`] back; anything else is `None`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        let (rest, gait) = match slug.rsplit_once('-') {
            Some((rest, last)) => match last.parse::<Gait>() {
                Ok(gait) => (rest, Some(gait)),
                Err(_) => (slug, None),
            },
            None => (slug, None),
        };
        let (rest, dither) = match rest.strip_suffix("-dither") {
            Some(rest) => (rest, true),
            None => (rest, false),
        };
        let (style, size) = rest.rsplit_once('-')?;
        Some(Self {
            style: style.parse().ok()?,
            size: SpriteSize::try_from(size.parse::<u32>().ok()?).ok()?,
            dither,
            gait,
        })
    }
}

/// How a pet was cut out of its photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CutoutMethod {
    /// U²-Net-p and matting.
    Neural,
    /// The photo's own transparency.
    PhotoAlpha,
    /// The colour-model fallback, when the net found no plausible pet: possibly rough.
    ColourModel,
}

named_enum!(CutoutMethod, "cut-out method", {
    Neural => "neural",
    PhotoAlpha => "photo-alpha",
    ColourModel => "colour-model",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_look_survives_its_slug_and_odd_slugs_are_refused() {
        for style in Style::ALL {
            for size in SpriteSize::ALL {
                for dither in [false, true] {
                    for gait in Gait::ALL.map(Some).into_iter().chain([None]) {
                        let look = Look {
                            style,
                            size,
                            dither,
                            gait,
                        };
                        assert_eq!(Look::from_slug(&look.slug()), Some(look));
                    }
                }
            }
        }
        for odd in [
            "",
            "game-boy",
            "game-boy-33",
            "nope-48",
            "pico-8-48-dithered",
            "pico-8-48-fly",
            "pico-8-48-hop-dither",
            "pico-8-hop",
            "../x",
        ] {
            assert_eq!(Look::from_slug(odd), None, "{odd}");
        }
    }

    #[test]
    fn fixed_palettes_hold_distinct_colours_and_photo_styles_have_none() {
        assert_eq!(Style::Classic16.palette(), None);
        assert_eq!(Style::GameBoy.palette().map(|p| p.len()), Some(4));
        // The NES list repeats its blacks; the palette keeps one.
        let nes = Style::Nes.palette().expect("fixed");
        assert!(nes.len() < 64);
        assert_eq!(nes.iter().filter(|c| **c == [0, 0, 0]).count(), 1);
        for style in Style::ALL {
            assert!(style.max_colours() > 0, "{style}");
        }
    }

    #[test]
    fn sizes_are_the_three_tile_heights() {
        assert_eq!(SpriteSize::try_from(48), Ok(SpriteSize::PREVIEW));
        assert!(SpriteSize::try_from(40).is_err());
        let err = serde_json::from_str::<SpriteSize>("40").expect_err("refused");
        assert!(err.to_string().contains("32, 48 or 64"), "{err}");
    }
}
