//! The game-data format injected into the runtime: magic, version, postcard payload,
//! validated on decode so hostile bytes give an error, never a panic.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::level::Level;
use crate::physics::Physics;
use crate::solve::{self, Playthrough, Unsolvable};
use crate::theme::{Difficulty, Theme};

/// The first bytes of every encoded game.
pub const MAGIC: [u8; 4] = *b"PPGD";
/// The format version this runtime writes and reads. Bump it when the payload's
/// shape changes; old runtimes then show "unsupported version" instead of garbage.
pub const FORMAT_VERSION: u16 = 2;

pub const MAX_LEVELS: usize = 32;
pub const MAX_LEVEL_WIDTH: u16 = 1024;
pub const MAX_LEVEL_HEIGHT: u16 = 64;
pub const MAX_FRAME_SIZE: u16 = 128;
pub const MAX_FRAMES: u16 = 64;
pub const MAX_ANIMATIONS: usize = 16;
pub const MAX_TEXT_CHARS: usize = 80;
/// Longest stored playthrough, in steps (ten minutes).
pub const MAX_PLAYTHROUGH_STEPS: usize = 60 * 60 * 10;

/// The animations the game plays; a missing "run" falls back to "walk", any other to "idle".
pub const ANIMATION_NAMES: [&str; 7] = ["idle", "walk", "run", "jump", "fall", "hurt", "celebrate"];

/// Everything one game needs besides the runtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameData {
    /// The format version: not part of the payload but the header before it, which
    /// `encode` always writes as `FORMAT_VERSION` and `decode` copies here.
    #[serde(skip)]
    pub version: u16,
    pub title: String,
    pub pet_name: String,
    pub theme: Theme,
    pub difficulty: Difficulty,
    /// Stored with the levels, so a game keeps playing the way its levels were
    /// generated for even after the runtime's defaults are retuned.
    pub physics: Physics,
    pub levels: Vec<Level>,
    /// One per level: the solver's winning input from the level's spawn, the proof
    /// that it can be finished, replayed by the page's demo and test hook.
    pub playthroughs: Vec<Playthrough>,
    pub sprite: Sprite,
}

/// The pet's sprite sheet: frames of equal size left to right in one row, RGBA8.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sprite {
    pub frame_width: u16,
    pub frame_height: u16,
    pub frame_count: u16,
    /// `frame_width * frame_count` pixels wide, `frame_height` high, row-major.
    pub rgba: Vec<u8>,
    pub animations: Vec<Animation>,
}

/// A named run of consecutive frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Animation {
    pub name: String,
    pub first: u16,
    pub count: u16,
    pub fps: u8,
}

/// What the server chooses about a game; `GameData::generate` makes the rest.
#[derive(Clone, Copy, Debug)]
pub struct GameSpec<'a> {
    pub title: &'a str,
    pub pet_name: &'a str,
    pub theme: Theme,
    pub difficulty: Difficulty,
    /// Seeds the level generator; the same seed gives the same levels.
    pub seed: u64,
    /// Clamped to `1..=MAX_LEVELS`.
    pub level_count: u32,
}

/// Why bytes are not a game this runtime can play. The `Display` text is shown to
/// players, so it says what happened without internals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Not game data at all.
    BadMagic,
    /// Game data written for another runtime version.
    UnsupportedVersion { found: u16, supported: u16 },
    /// The payload does not decode.
    Malformed,
    /// The payload decodes but breaks a rule, e.g. a sprite of the wrong size.
    Invalid(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::BadMagic => f.write_str("this is not PetPixel game data"),
            FormatError::UnsupportedVersion { found, supported } => write!(
                f,
                "unsupported game data version {found} (this player reads version {supported})"
            ),
            FormatError::Malformed => f.write_str("the game data is damaged"),
            FormatError::Invalid(what) => write!(f, "the game data is invalid: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// Header then postcard payload.
pub fn encode(data: &GameData) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.sprite.rgba.len() + 4096);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    // Serialising plain owned data into a growable buffer cannot fail.
    if let Ok(payload) = postcard::to_allocvec(data) {
        out.extend_from_slice(&payload);
    }
    out
}

/// Reads and validates encoded game data.
pub fn decode(bytes: &[u8]) -> Result<GameData, FormatError> {
    let (magic, rest) = bytes.split_at_checked(4).ok_or(FormatError::BadMagic)?;
    if magic != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let (version, payload) = rest.split_at_checked(2).ok_or(FormatError::Malformed)?;
    let found = u16::from_le_bytes([version[0], version[1]]);
    if found != FORMAT_VERSION {
        return Err(FormatError::UnsupportedVersion {
            found,
            supported: FORMAT_VERSION,
        });
    }
    let (mut data, rest): (GameData, _) =
        postcard::take_from_bytes(payload).map_err(|_| FormatError::Malformed)?;
    if !rest.is_empty() {
        return Err(FormatError::Malformed);
    }
    data.version = found;
    data.validate().map_err(FormatError::Invalid)?;
    Ok(data)
}

impl GameData {
    /// A complete game: levels generated from the spec with the theme's physics,
    /// each proven completable by the solver (`solve::verified_level`).
    pub fn generate(spec: &GameSpec<'_>, sprite: Sprite) -> Result<GameData, Unsolvable> {
        let count = spec.level_count.clamp(1, MAX_LEVELS as u32);
        let (levels, playthroughs) = (0..count)
            .map(|index| {
                solve::verified_level(spec.seed, spec.theme, spec.difficulty, index)
                    .map(|v| (v.level, v.playthrough))
            })
            .collect::<Result<(Vec<_>, Vec<_>), _>>()?;
        Ok(GameData {
            version: FORMAT_VERSION,
            title: spec.title.chars().take(MAX_TEXT_CHARS).collect(),
            pet_name: spec.pet_name.chars().take(MAX_TEXT_CHARS).collect(),
            theme: spec.theme,
            difficulty: spec.difficulty,
            physics: Physics::for_theme(spec.theme),
            levels,
            playthroughs,
            sprite,
        })
    }

    /// The rules `decode` enforces, so the simulation and renderer can index freely.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.title.chars().count() > MAX_TEXT_CHARS
            || self.pet_name.chars().count() > MAX_TEXT_CHARS
        {
            return Err("title or pet name too long");
        }
        self.physics.validate()?;
        if self.levels.is_empty() || self.levels.len() > MAX_LEVELS {
            return Err("wrong number of levels");
        }
        for level in &self.levels {
            level.validate(MAX_LEVEL_WIDTH, MAX_LEVEL_HEIGHT)?;
        }
        if self.playthroughs.len() != self.levels.len()
            || self
                .playthroughs
                .iter()
                .any(|p| p.steps() > MAX_PLAYTHROUGH_STEPS)
        {
            return Err("playthroughs do not match the levels");
        }
        self.sprite.validate()
    }
}

impl Sprite {
    fn validate(&self) -> Result<(), &'static str> {
        let size = 1..=MAX_FRAME_SIZE;
        if !size.contains(&self.frame_width)
            || !size.contains(&self.frame_height)
            || !(1..=MAX_FRAMES).contains(&self.frame_count)
        {
            return Err("sprite size out of range");
        }
        let expected = usize::from(self.frame_width)
            * usize::from(self.frame_height)
            * usize::from(self.frame_count)
            * 4;
        if self.rgba.len() != expected {
            return Err("sprite pixels do not match its size");
        }
        if self.animations.len() > MAX_ANIMATIONS {
            return Err("too many animations");
        }
        let fits = |a: &Animation| {
            a.count > 0
                && a.fps > 0
                && a.name.len() <= MAX_TEXT_CHARS
                && u32::from(a.first) + u32::from(a.count) <= u32::from(self.frame_count)
        };
        if !self.animations.iter().all(fits) {
            return Err("animation outside the sprite sheet");
        }
        Ok(())
    }

    /// The animation called `name`, or "walk" for a missing "run" (sheets made before the
    /// game ran), or "idle", or none (then frame 0 is shown).
    pub fn animation(&self, name: &str) -> Option<&Animation> {
        let find = |name: &str| self.animations.iter().find(|a| a.name == name);
        find(name)
            .or_else(|| if name == "run" { find("walk") } else { None })
            .or_else(|| find("idle"))
    }

    /// The RGBA pixel at `(x, y)` of frame `frame`; transparent outside the sheet.
    pub fn pixel(&self, frame: u16, x: u16, y: u16) -> [u8; 4] {
        let sheet_width = usize::from(self.frame_width) * usize::from(self.frame_count);
        let column = usize::from(frame) * usize::from(self.frame_width) + usize::from(x);
        let at = (usize::from(y) * sheet_width + column) * 4;
        match self.rgba.get(at..at + 4) {
            Some(&[r, g, b, a]) => [r, g, b, a],
            _ => [0; 4],
        }
    }

    /// A small pixel-art dog with a stand and a step frame, for tests, demos and
    /// previews made before the pet's own sprite exists.
    pub fn placeholder() -> Sprite {
        const STAND: [&str; 16] = [
            "................",
            "................",
            "................",
            "...........dd...",
            "..........dbbd..",
            "..........bkbbbk",
            ".d........bbbbbb",
            ".db.......bbbp..",
            "..bbbbbbbbbbb...",
            "..bbbbbbbbbbb...",
            "..bwwwwwwwwbb...",
            "..bbbbbbbbbbb...",
            "..bb.bb..bb.bb..",
            "..bb.bb..bb.bb..",
            "..bb.bb..bb.bb..",
            "..dd.dd..dd.dd..",
        ];
        const STEP: [&str; 4] = [
            "..bb..bb.bb..bb.",
            ".bb...bb..bb.bb.",
            ".bb....bb.bb..bb",
            ".dd....dd..dd.dd",
        ];
        let colour = |c: u8| match c {
            b'b' => [196, 136, 72, 255],
            b'd' => [120, 76, 40, 255],
            b'w' => [248, 240, 224, 255],
            b'k' => [24, 16, 16, 255],
            b'p' => [232, 104, 120, 255],
            _ => [0; 4],
        };
        let mut rgba = Vec::with_capacity(32 * 16 * 4);
        for (y, row) in STAND.iter().enumerate() {
            rgba.extend(row.bytes().flat_map(colour));
            let step = y.checked_sub(12).map_or(*row, |i| STEP[i]);
            rgba.extend(step.bytes().flat_map(colour));
        }
        let animation = |name: &str, first, count, fps| Animation {
            name: name.to_string(),
            first,
            count,
            fps,
        };
        Sprite {
            frame_width: 16,
            frame_height: 16,
            frame_count: 2,
            rgba,
            animations: vec![
                animation("idle", 0, 1, 1),
                animation("walk", 0, 2, 8),
                animation("jump", 1, 1, 1),
                animation("celebrate", 0, 2, 4),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Tile;

    fn sample() -> GameData {
        GameData::generate(
            &GameSpec {
                title: "Biscuit's Big Day",
                pet_name: "Biscuit",
                theme: Theme::Beach,
                difficulty: Difficulty::Normal,
                seed: 99,
                level_count: 3,
            },
            Sprite::placeholder(),
        )
        .expect("a completable game")
    }

    #[test]
    fn game_data_round_trips_through_encode_and_decode() {
        let data = sample();
        let bytes = encode(&data);
        assert_eq!(&bytes[..4], b"PPGD");
        assert_eq!(decode(&bytes), Ok(data));
    }

    #[test]
    fn an_unknown_version_is_refused_with_unsupported_version() {
        let mut bytes = encode(&sample());
        bytes[4..6].copy_from_slice(&7u16.to_le_bytes());
        let error = decode(&bytes).expect_err("version 7 is unknown");
        assert_eq!(
            error,
            FormatError::UnsupportedVersion {
                found: 7,
                supported: FORMAT_VERSION
            }
        );
        assert!(error.to_string().contains("version 7"));
    }

    #[test]
    fn truncated_and_random_bytes_give_errors_without_panicking() {
        let bytes = encode(&sample());
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut state = 0x9E37_79B9_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for _ in 0..2000 {
            let mut noisy = bytes.clone();
            for _ in 0..1 + next() % 8 {
                let at = 6 + next() as usize % (noisy.len() - 6);
                noisy[at] = next() as u8;
            }
            if let Ok(data) = decode(&noisy) {
                assert_eq!(data.validate(), Ok(()));
            }
            let random: Vec<u8> = (0..next() % 300).map(|_| next() as u8).collect();
            let mut with_header = b"PPGD\x01\x00".to_vec();
            with_header.extend_from_slice(&random);
            assert!(decode(&random).is_err());
            let _ = decode(&with_header);
        }
    }

    #[test]
    fn decode_rejects_a_sprite_whose_pixels_do_not_match_its_size() {
        let mut data = sample();
        data.sprite.rgba.pop();
        assert_eq!(
            decode(&encode(&data)),
            Err(FormatError::Invalid("sprite pixels do not match its size"))
        );
    }

    #[test]
    fn decode_rejects_levels_whose_tiles_do_not_match_their_size() {
        let mut data = sample();
        data.levels[1].tiles.push(Tile::Empty);
        assert!(matches!(
            decode(&encode(&data)),
            Err(FormatError::Invalid(_))
        ));
        let mut data = sample();
        data.levels.clear();
        assert!(matches!(
            decode(&encode(&data)),
            Err(FormatError::Invalid(_))
        ));
    }

    #[test]
    fn missing_animations_fall_back_to_walk_for_run_and_to_idle_otherwise() {
        let sprite = Sprite::placeholder();
        assert_eq!(sprite.animation("walk").map(|a| a.count), Some(2));
        assert_eq!(
            sprite.animation("run").map(|a| a.name.as_str()),
            Some("walk")
        );
        assert_eq!(
            sprite.animation("fall").map(|a| a.name.as_str()),
            Some("idle")
        );
    }
}
