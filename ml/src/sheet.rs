//! The sprite sheet and its frame table in Aseprite's JSON layout, which game engines and
//! Aseprite itself read.

use image::RgbaImage;
use serde_json::{Value, json};

/// Animation frames in one row, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct SpriteSheet {
    /// `frame_width × frame count` wide, `frame_height` tall.
    pub image: RgbaImage,
    pub frame_width: u32,
    pub frame_height: u32,
    /// Named runs of frames, in sheet order.
    pub animations: Vec<Animation>,
}

/// A named run of consecutive frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Animation {
    /// "idle", "walk", "jump", "fall", "hurt" or "celebrate".
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

    /// The animation with this name.
    pub fn animation(&self, name: &str) -> Option<&Animation> {
        self.animations.iter().find(|a| a.name == name)
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
            },
        })
    }
}
