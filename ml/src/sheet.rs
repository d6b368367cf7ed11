//! The sprite sheet, its frame table in Aseprite's JSON layout (which game engines and
//! Aseprite itself read), and an animated GIF preview.

use image::codecs::gif::{GifEncoder, Repeat};
use image::imageops::{self, FilterType};
use image::{Delay, Frame, RgbaImage};
use serde_json::{Value, json};

use crate::MlError;
use crate::rig::Gait;

/// What the preview GIF plays, in order: each animation's name and how many times its cycle
/// repeats (so that each shows for about a second).
pub const PREVIEW_SEQUENCE: [(&str, u32); 6] = [
    ("idle", 1),
    ("walk", 2),
    ("run", 3),
    ("jump", 1),
    ("fall", 1),
    ("celebrate", 2),
];
/// How much the preview GIF enlarges each frame, so a 32-px sprite is visible on a page.
pub const PREVIEW_SCALE: u32 = 4;
/// GIF encoder speed (1 to 30): sprites have a few dozen colours, so the exact palette is
/// always used and the speed only matters for photos.
const GIF_SPEED: i32 = 10;

/// Animation frames in one row, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct SpriteSheet {
    /// `frame_width × frame count` wide, `frame_height` tall.
    pub image: RgbaImage,
    pub frame_width: u32,
    pub frame_height: u32,
    /// Named runs of frames, in sheet order.
    pub animations: Vec<Animation>,
    /// How the pet walks and runs in it.
    pub gait: Gait,
}

/// A named run of consecutive frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Animation {
    /// "idle", "walk", "run", "jump", "fall", "hurt" or "celebrate" facing right, or one of
    /// those followed by "-left" for the mirror image.
    pub name: String,
    /// Index of the first frame in the sheet.
    pub first: u32,
    /// Number of frames.
    pub count: u32,
    /// Playback speed in frames per second.
    pub fps: u32,
}

impl SpriteSheet {
    /// Number of frames in the sheet.
    pub fn frame_count(&self) -> u32 {
        self.image.width() / self.frame_width.max(1)
    }

    /// Frame `index` of the sheet as an image of its own (empty past the last frame).
    pub fn frame(&self, index: u32) -> RgbaImage {
        let (w, h) = (self.frame_width, self.frame_height);
        imageops::crop_imm(&self.image, index * w, 0, w, h).to_image()
    }

    /// The animation with this name.
    pub fn animation(&self, name: &str) -> Option<&Animation> {
        self.animations.iter().find(|a| a.name == name)
    }

    /// An animated, endlessly looping GIF of [`PREVIEW_SEQUENCE`], each animation at its own
    /// speed, frames enlarged [`PREVIEW_SCALE`] times without smoothing, background transparent.
    pub fn preview_gif(&self) -> Result<Vec<u8>, MlError> {
        let (w, h) = (self.frame_width, self.frame_height);
        if w == 0 || h == 0 || w.max(h) > u32::from(u16::MAX) / PREVIEW_SCALE {
            return Err(MlError::Encode(format!(
                "{w}×{h} px frames do not fit a GIF"
            )));
        }
        let encode = |e: image::ImageError| MlError::Encode(e.to_string());
        let mut bytes = Vec::new();
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, GIF_SPEED);
        encoder.set_repeat(Repeat::Infinite).map_err(encode)?;
        let mut encoded = 0;
        for (name, cycles) in PREVIEW_SEQUENCE {
            let Some(a) = self.animation(name) else {
                continue;
            };
            let delay = Delay::from_numer_denom_ms(1000 / a.fps.max(1), 1);
            let inside = |i: &u32| {
                i.checked_add(1)
                    .and_then(|end| end.checked_mul(w))
                    .is_some_and(|right| right <= self.image.width())
            };
            let frames: Vec<RgbaImage> = (a.first..a.first.saturating_add(a.count))
                .filter(inside)
                .map(|i| {
                    let frame = self.frame(i);
                    imageops::resize(
                        &frame,
                        w * PREVIEW_SCALE,
                        h * PREVIEW_SCALE,
                        FilterType::Nearest,
                    )
                })
                .collect();
            for _ in 0..cycles {
                for frame in &frames {
                    encoder
                        .encode_frame(Frame::from_parts(frame.clone(), 0, 0, delay))
                        .map_err(encode)?;
                    encoded += 1;
                }
            }
        }
        drop(encoder);
        if encoded == 0 {
            return Err(MlError::Encode(
                "the sheet has none of the previewed animations".into(),
            ));
        }
        Ok(bytes)
    }

    /// The frame table in Aseprite's "array" sheet-JSON layout: one entry per frame with its
    /// rectangle and duration in milliseconds, and one `frameTag` per animation.
    pub fn frame_table_json(&self) -> Value {
        let (w, h) = (self.frame_width, self.frame_height);
        let frames: Vec<Value> = self
            .animations
            .iter()
            .flat_map(|a| {
                (0..a.count).map(move |i| {
                    let x = (a.first + i) * w;
                    json!({
                        "filename": format!("{} {}", a.name, i),
                        "frame": { "x": x, "y": 0, "w": w, "h": h },
                        "rotated": false,
                        "trimmed": false,
                        "spriteSourceSize": { "x": 0, "y": 0, "w": w, "h": h },
                        "sourceSize": { "w": w, "h": h },
                        "duration": 1000 / a.fps.max(1),
                    })
                })
            })
            .collect();
        let tags: Vec<Value> = self
            .animations
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "from": a.first,
                    "to": a.first + a.count.saturating_sub(1),
                    "direction": "forward",
                })
            })
            .collect();
        json!({
            "frames": frames,
            "meta": {
                "app": "petpixel-ml",
                "version": env!("CARGO_PKG_VERSION"),
                "image": "sheet.png",
                "format": "RGBA8888",
                "size": { "w": self.image.width(), "h": self.image.height() },
                "scale": "1",
                "frameTags": tags,
                "gait": self.gait.as_str(),
            },
        })
    }
}
