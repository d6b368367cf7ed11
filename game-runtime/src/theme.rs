//! Themes and difficulties a game is made with, and the colours each theme paints.

use serde::{Deserialize, Serialize};

pub use domain::{Difficulty, Theme};

/// What lives in this theme: the treat and the three enemies, as data for the
/// renderer and the HUD.
pub fn content(theme: Theme) -> Content {
    let enemy = |name, body: Rgb, accent: Rgb| EnemyLook { name, body, accent };
    match theme {
        Theme::Garden => Content {
            treats: "BONES",
            treat: TreatShape::Bone,
            patrol: enemy("snail", [176, 120, 200], [248, 216, 120]),
            hop: enemy("frog", [96, 176, 72], [232, 240, 120]),
            fly: enemy("bee", [240, 200, 48], [40, 32, 24]),
        },
        Theme::House => Content {
            treats: "COOKIES",
            treat: TreatShape::Cookie,
            patrol: enemy("robot vacuum", [150, 150, 164], [96, 200, 240]),
            hop: enemy("spring toy", [232, 96, 96], [248, 232, 96]),
            fly: enemy("house fly", [80, 84, 100], [200, 220, 240]),
        },
        Theme::Beach => Content {
            treats: "FISH",
            treat: TreatShape::Fish,
            patrol: enemy("crab", [232, 88, 64], [255, 200, 160]),
            hop: enemy("jumping fish", [80, 160, 232], [240, 240, 120]),
            fly: enemy("gull", [236, 236, 236], [248, 168, 48]),
        },
        Theme::Space => Content {
            treats: "STARS",
            treat: TreatShape::Star,
            patrol: enemy("blob", [120, 232, 120], [40, 120, 56]),
            hop: enemy("moon bunny", [220, 220, 240], [240, 120, 200]),
            fly: enemy("saucer", [160, 160, 200], [120, 232, 248]),
        },
        Theme::Park => Content {
            treats: "BALLS",
            treat: TreatShape::Ball,
            patrol: enemy("hedgehog", [140, 100, 70], [232, 200, 160]),
            hop: enemy("squirrel", [200, 112, 48], [248, 220, 180]),
            fly: enemy("pigeon", [150, 150, 172], [120, 200, 140]),
        },
    }
}

/// The colours the renderer paints this theme with.
pub fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Garden => Palette {
            sky_top: [96, 168, 232],
            sky_bottom: [192, 228, 248],
            far: [120, 184, 112],
            ground_top: [72, 168, 64],
            ground: [136, 92, 56],
            ground_dark: [104, 68, 40],
            accent: [248, 200, 72],
            text: [255, 255, 255],
        },
        Theme::House => Palette {
            sky_top: [236, 212, 168],
            sky_bottom: [248, 232, 200],
            far: [220, 188, 140],
            ground_top: [176, 72, 64],
            ground: [168, 112, 72],
            ground_dark: [132, 84, 52],
            accent: [232, 120, 88],
            text: [64, 40, 32],
        },
        Theme::Beach => Palette {
            sky_top: [80, 176, 240],
            sky_bottom: [200, 236, 248],
            far: [48, 140, 200],
            ground_top: [240, 216, 144],
            ground: [224, 184, 112],
            ground_dark: [200, 156, 88],
            accent: [248, 112, 88],
            text: [255, 255, 255],
        },
        Theme::Space => Palette {
            sky_top: [8, 8, 32],
            sky_bottom: [40, 24, 72],
            far: [72, 56, 120],
            ground_top: [168, 168, 184],
            ground: [104, 104, 124],
            ground_dark: [72, 72, 92],
            accent: [120, 232, 248],
            text: [255, 255, 255],
        },
        Theme::Park => Palette {
            sky_top: [120, 192, 240],
            sky_bottom: [220, 240, 232],
            far: [64, 128, 80],
            ground_top: [96, 184, 72],
            ground: [120, 104, 88],
            ground_dark: [92, 80, 68],
            accent: [232, 88, 120],
            text: [255, 255, 255],
        },
    }
}

/// The collectible a theme draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreatShape {
    Bone,
    Cookie,
    Fish,
    Star,
    Ball,
}

/// How one enemy of a theme looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnemyLook {
    pub name: &'static str,
    pub body: Rgb,
    pub accent: Rgb,
}

/// The things in a theme besides its colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content {
    /// The HUD's name for the collectibles, upper case.
    pub treats: &'static str,
    pub treat: TreatShape,
    pub patrol: EnemyLook,
    pub hop: EnemyLook,
    pub fly: EnemyLook,
}

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// The colours of one theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Palette {
    pub sky_top: Rgb,
    pub sky_bottom: Rgb,
    /// Background scenery (hills, sea, wallpaper, nebulae, trees).
    pub far: Rgb,
    /// The walkable surface of a solid tile.
    pub ground_top: Rgb,
    pub ground: Rgb,
    pub ground_dark: Rgb,
    /// Treats and highlights.
    pub accent: Rgb,
    /// HUD and overlay text.
    pub text: Rgb,
}
