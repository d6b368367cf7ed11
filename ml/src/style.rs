//! The named looks a sprite can have: palettes picked from the photo by k-means, and the fixed
//! palettes of old consoles and of ink on paper, each with a stable kebab-case id.

use std::fmt;
use std::str::FromStr;

use image::Rgba;

/// How the sprite's colours are chosen. The id ([`Style::id`]) is stable: it is what the API,
/// the UI and the command line use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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

/// What a style is, for listing: the styles endpoint and `petpixel-ml styles` show this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleInfo {
    /// Stable kebab-case id, e.g. `game-boy`.
    pub id: &'static str,
    /// Name to show people, e.g. "Game Boy".
    pub name: &'static str,
    /// One line on what the sprite will look like.
    pub description: &'static str,
    /// Most colours in a sprite of this style, outline not counted.
    pub max_colours: usize,
    /// The fixed palette every pixel is drawn from, or `None` when colours come from the photo.
    pub palette: Option<Vec<Rgba<u8>>>,
}

/// A style id that is not one of [`Style::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown style `{0}`; the styles are {list}", list = Style::id_list())]
pub struct UnknownStyle(pub String);

/// How a style turns the sprite's colours into palette indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// k-means in the photo; `snes` snaps every colour to 15 bits.
    KMeans { colours: usize, snes: bool },
    /// Each pixel takes the nearest colour of the fixed palette.
    Nearest,
    /// k-means in the photo, each centroid snapped to the nearest fixed colour.
    Subset { colours: usize },
    /// Brightness bands: the pet's darkest to lightest tones spread over a dark-to-light ramp.
    Ramp,
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
    /// Every style, in the order they are offered.
    pub const ALL: [Style; 6] = [
        Style::Classic16,
        Style::GameBoy,
        Style::Nes,
        Style::Pico8,
        Style::Snes32,
        Style::MonoInk,
    ];

    /// The stable kebab-case id.
    pub const fn id(self) -> &'static str {
        match self {
            Style::Classic16 => "classic-16",
            Style::GameBoy => "game-boy",
            Style::Nes => "nes",
            Style::Pico8 => "pico-8",
            Style::Snes32 => "snes-32",
            Style::MonoInk => "mono-ink",
        }
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
    pub fn max_colours(self) -> usize {
        match self.method() {
            Method::KMeans { colours, .. } | Method::Subset { colours } => colours,
            Method::Nearest | Method::Ramp => self.fixed().len(),
        }
    }

    /// The fixed palette every pixel of the sprite is drawn from, outline included; `None`
    /// when the colours come from the photo.
    pub fn palette(self) -> Option<Vec<Rgba<u8>>> {
        let fixed = self.fixed();
        if fixed.is_empty() {
            return None;
        }
        let mut palette: Vec<Rgba<u8>> = Vec::with_capacity(fixed.len());
        for &rgb in fixed {
            let [_, r, g, b] = rgb.to_be_bytes();
            let colour = Rgba([r, g, b, 255]);
            if !palette.contains(&colour) {
                palette.push(colour);
            }
        }
        Some(palette)
    }

    /// Id, name, description and palette together.
    pub fn info(self) -> StyleInfo {
        StyleInfo {
            id: self.id(),
            name: self.name(),
            description: self.description(),
            max_colours: self.max_colours(),
            palette: self.palette(),
        }
    }

    pub(crate) fn method(self) -> Method {
        match self {
            Style::Classic16 => Method::KMeans {
                colours: 16,
                snes: false,
            },
            Style::Snes32 => Method::KMeans {
                colours: 32,
                snes: true,
            },
            // NES sprites had a few colours each; a dozen keeps a photo's pet recognisable.
            Style::Nes => Method::Subset { colours: 12 },
            Style::Pico8 => Method::Nearest,
            Style::GameBoy | Style::MonoInk => Method::Ramp,
        }
    }

    fn fixed(self) -> &'static [u32] {
        match self {
            Style::Classic16 | Style::Snes32 => &[],
            Style::GameBoy => &GAME_BOY,
            Style::Nes => &NES,
            Style::Pico8 => &PICO_8,
            Style::MonoInk => &MONO_INK,
        }
    }

    fn id_list() -> String {
        Style::ALL.map(Style::id).join(", ")
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Style {
    type Err = UnknownStyle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Style::ALL
            .into_iter()
            .find(|style| style.id() == s)
            .ok_or_else(|| UnknownStyle(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_parses_back_to_its_style_and_unknown_ids_are_refused() {
        for style in Style::ALL {
            assert_eq!(style.id().parse::<Style>(), Ok(style));
            assert_eq!(style.to_string(), style.id());
        }
        let err = "gameboy".parse::<Style>().expect_err("not an id");
        assert!(err.to_string().contains("game-boy"), "{err}");
    }

    #[test]
    fn fixed_palettes_have_their_well_known_sizes_without_repeats() {
        let len = |s: Style| s.palette().map(|p| p.len());
        assert_eq!(len(Style::GameBoy), Some(4));
        assert_eq!(len(Style::Pico8), Some(16));
        assert_eq!(len(Style::Nes), Some(55));
        assert_eq!(len(Style::MonoInk), Some(3));
        assert_eq!(len(Style::Classic16), None);
        assert_eq!(len(Style::Snes32), None);
        assert_eq!(Style::Classic16.max_colours(), 16);
        assert_eq!(Style::Snes32.max_colours(), 32);
    }
}
