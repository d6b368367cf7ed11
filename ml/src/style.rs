//! How each named look ([`Style`], defined with the rest of the shared vocabulary in
//! `domain`) turns a sprite's colours into palette indices, and its palette as pixels.

use image::Rgba;

pub use domain::Style;

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

pub(crate) fn method(style: Style) -> Method {
    match style {
        Style::Classic16 | Style::Snes32 => Method::KMeans {
            colours: style.max_colours(),
            snes: style == Style::Snes32,
        },
        Style::Nes => Method::Subset {
            colours: style.max_colours(),
        },
        Style::Pico8 => Method::Nearest,
        Style::GameBoy | Style::MonoInk => Method::Ramp,
    }
}

/// The fixed palette every pixel of a sprite in `style` is drawn from (opaque), outline
/// included; `None` when the colours come from the photo.
pub fn palette(style: Style) -> Option<Vec<Rgba<u8>>> {
    style.palette().map(|colours| {
        colours
            .into_iter()
            .map(|[r, g, b]| Rgba([r, g, b, 255]))
            .collect()
    })
}

/// Id, name, description and palette together.
pub fn info(style: Style) -> StyleInfo {
    StyleInfo {
        id: style.id(),
        name: style.name(),
        description: style.description(),
        max_colours: style.max_colours(),
        palette: palette(style),
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
        // A method's colour count is the one the style advertises.
        for style in Style::ALL {
            if let Method::KMeans { colours, .. } | Method::Subset { colours } = method(style) {
                assert_eq!(colours, style.max_colours(), "{style}");
            }
        }
    }

    #[test]
    fn fixed_palettes_have_their_well_known_sizes_without_repeats() {
        let len = |s: Style| palette(s).map(|p| p.len());
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
