//! The sprite sheet, its frame table in Aseprite's JSON layout (which game engines and
//! Aseprite itself read), and an animated GIF preview.

use std::collections::HashMap;

use image::RgbaImage;
use image::imageops;
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

/// The colours of a GIF being written: index 0 is transparent, the rest opaque colours in the
/// order they were first seen.
struct GifPalette {
    /// `[r, g, b]` per index, flat, as GIF's colour table is.
    rgb: Vec<u8>,
    lookup: HashMap<[u8; 3], u8>,
}

impl Default for GifPalette {
    fn default() -> Self {
        Self {
            rgb: vec![0, 0, 0],
            lookup: HashMap::new(),
        }
    }
}

impl GifPalette {
    const TRANSPARENT: u8 = 0;

    /// `frame`'s pixels as palette indices, each repeated `scale` times across and down.
    /// Pixels at least half opaque take their colour, the rest are transparent (a sprite has
    /// no half-transparent pixels). A sheet of more than 255 colours is refused: it is not
    /// one this crate drew.
    fn enlarged_indices(&mut self, frame: &RgbaImage, scale: u32) -> Result<Vec<u8>, MlError> {
        let scale = scale as usize;
        let width = frame.width() as usize;
        let mut out = Vec::with_capacity(width * scale * frame.height() as usize * scale);
        let mut row = Vec::with_capacity(width * scale);
        for y in 0..frame.height() {
            row.clear();
            for x in 0..frame.width() {
                let [r, g, b, a] = frame.get_pixel(x, y).0;
                let index = if a < 128 {
                    Self::TRANSPARENT
                } else {
                    self.index_of([r, g, b])?
                };
                row.extend(std::iter::repeat_n(index, scale));
            }
            for _ in 0..scale {
                out.extend_from_slice(&row);
            }
        }
        Ok(out)
    }

    fn index_of(&mut self, colour: [u8; 3]) -> Result<u8, MlError> {
        if let Some(&index) = self.lookup.get(&colour) {
            return Ok(index);
        }
        let index = u8::try_from(self.rgb.len() / 3).map_err(|_| {
            MlError::Encode("the sheet has more colours than a GIF palette holds".into())
        })?;
        self.rgb.extend_from_slice(&colour);
        self.lookup.insert(colour, index);
        Ok(index)
    }
}

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
    ///
    /// A sprite sheet has a few dozen colours, so they make one global palette (index 0 is
    /// transparent) and each frame is written as palette indices, compressed once however
    /// often the sequence repeats it: nothing is quantized, and the preview takes ~8 ms
    /// where `image`'s encoder, quantizing every enlarged frame again, took ~60 ms.
    pub fn preview_gif(&self) -> Result<Vec<u8>, MlError> {
        let (w, h) = (self.frame_width, self.frame_height);
        if w == 0 || h == 0 || w.max(h) > u32::from(u16::MAX) / PREVIEW_SCALE {
            return Err(MlError::Encode(format!(
                "{w}×{h} px frames do not fit a GIF"
            )));
        }
        let (gw, gh) = ((w * PREVIEW_SCALE) as u16, (h * PREVIEW_SCALE) as u16);
        let mut palette = GifPalette::default();
        // Each sheet frame shown, compressed once, and the order the preview plays them in.
        let mut frames: Vec<(u32, gif::Frame<'static>)> = Vec::new();
        let mut plays: Vec<(usize, u16)> = Vec::new();
        for (name, cycles) in PREVIEW_SEQUENCE {
            let Some(a) = self.animation(name) else {
                continue;
            };
            // In hundredths of a second, as GIF keeps it, rounded down as players expect.
            let delay = u16::try_from(1000 / a.fps.max(1) / 10).unwrap_or(u16::MAX);
            let inside = |i: &u32| {
                i.checked_add(1)
                    .and_then(|end| end.checked_mul(w))
                    .is_some_and(|right| right <= self.image.width())
            };
            let mut cycle = Vec::new();
            for index in (a.first..a.first.saturating_add(a.count)).filter(inside) {
                let at = match frames.iter().position(|(i, _)| *i == index) {
                    Some(at) => at,
                    None => {
                        let pixels = palette.enlarged_indices(&self.frame(index), PREVIEW_SCALE)?;
                        let mut frame = gif::Frame {
                            width: gw,
                            height: gh,
                            buffer: pixels.into(),
                            transparent: Some(GifPalette::TRANSPARENT),
                            dispose: gif::DisposalMethod::Background,
                            ..gif::Frame::default()
                        };
                        frame.make_lzw_pre_encoded();
                        frames.push((index, frame));
                        frames.len() - 1
                    }
                };
                cycle.push((at, delay));
            }
            for _ in 0..cycles {
                plays.extend_from_slice(&cycle);
            }
        }
        if plays.is_empty() {
            return Err(MlError::Encode(
                "the sheet has none of the previewed animations".into(),
            ));
        }
        let encode = |e: gif::EncodingError| MlError::Encode(e.to_string());
        let mut encoder = gif::Encoder::new(Vec::new(), gw, gh, &palette.rgb).map_err(encode)?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(encode)?;
        for (at, delay) in plays {
            let (_, frame) = &mut frames[at];
            frame.delay = delay;
            encoder.write_lzw_pre_encoded_frame(frame).map_err(encode)?;
        }
        encoder.into_inner().map_err(encode)
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

#[cfg(test)]
mod tests {
    use image::Rgba;

    use super::*;

    fn sheet(image: RgbaImage) -> SpriteSheet {
        let (w, h) = (image.width(), image.height());
        SpriteSheet {
            image,
            frame_width: w,
            frame_height: h,
            animations: vec![Animation {
                name: "idle".into(),
                first: 0,
                count: 1,
                fps: 4,
            }],
            gait: Gait::Walk,
        }
    }

    #[test]
    fn a_gif_palette_has_transparency_first_and_each_colour_once() {
        let mut palette = GifPalette::default();
        let frame = RgbaImage::from_fn(3, 1, |x, _| match x {
            0 => Rgba([9, 9, 9, 0]),
            _ => Rgba([200, 100, 50, 255]),
        });
        let indices = palette.enlarged_indices(&frame, 2).expect("indices");
        assert_eq!(indices, vec![0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]);
        assert_eq!(palette.rgb, vec![0, 0, 0, 200, 100, 50]);
    }

    #[test]
    fn a_sheet_of_more_colours_than_a_gif_holds_is_refused_not_quantized() {
        let many = RgbaImage::from_fn(16, 16, |x, y| Rgba([x as u8 * 16, y as u8 * 16, 7, 255]));
        assert!(sheet(many.clone()).preview_gif().is_err(), "256 colours");
        let mut fewer = many;
        fewer.put_pixel(0, 0, Rgba([16, 0, 7, 255]));
        assert!(sheet(fewer).preview_gif().is_ok(), "255 colours");
    }
}
