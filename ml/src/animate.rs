//! Animation: poses made by remapping the indexed sprite's rows and columns (squash, stretch,
//! bob, leg shuffle, hop), a palette-remap tint for "hurt", a 1-px outline per frame, mirrored
//! copies facing left, and the frames laid out left to right in one sheet. Remapping indices
//! (never blending colours) keeps every frame on the pixel grid and on the sprite's palette.

use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Int, Tensor, s};
use image::Rgba;

use crate::MlError;
use crate::pixelize::PixelSprite;
use crate::sheet::{Animation, SpriteSheet};
use crate::tensors::{from_f32, from_i64, tensor_to_rgba};

/// Colour the "hurt" frame leans towards before it is snapped back onto the palette.
const HURT_RED: [f32; 3] = [235.0, 40.0, 40.0];
/// How far the "hurt" colours lean towards red.
const HURT_MIX: f32 = 0.4;

/// One frame's deformation of the resting sprite.
#[derive(Debug, Clone, Copy, Default)]
struct Pose {
    /// Rows added to the pet's height (negative squashes), anchored at the feet.
    stretch: i32,
    /// Rows the whole pet is lifted off the ground.
    lift: usize,
    /// Rows the body above the legs is raised, the legs stretching to follow.
    bob: usize,
    /// Columns the front legs move forward and the back legs backward (negative: inward).
    legs: i32,
    /// Columns the whole pet moves right (negative: knocked back left).
    shift: i32,
    /// Drawn in the red-leaning "hurt" colours.
    hurt: bool,
}

/// The sheet layout: (name, fps, poses), in the order the frames appear.
fn animations(sprite_size: usize) -> Vec<(&'static str, u32, Vec<Pose>)> {
    let stretch = (sprite_size / 16).max(2) as i32;
    let rest = Pose::default();
    vec![
        (
            "idle",
            3,
            vec![
                rest,
                Pose {
                    stretch: -1,
                    ..rest
                },
            ],
        ),
        (
            "walk",
            8,
            vec![
                Pose { legs: 1, ..rest },
                Pose { bob: 1, ..rest },
                Pose { legs: -1, ..rest },
                Pose { bob: 1, ..rest },
            ],
        ),
        (
            "run",
            12,
            vec![
                Pose {
                    legs: 2,
                    stretch: -1,
                    ..rest
                },
                Pose {
                    lift: 1,
                    bob: 2,
                    legs: -1,
                    ..rest
                },
                Pose {
                    legs: -2,
                    stretch: -1,
                    ..rest
                },
                Pose {
                    lift: 1,
                    bob: 2,
                    legs: 1,
                    ..rest
                },
            ],
        ),
        ("jump", 10, vec![Pose { stretch, ..rest }]),
        (
            "fall",
            10,
            vec![Pose {
                stretch: 1,
                legs: 1,
                ..rest
            }],
        ),
        (
            "hurt",
            8,
            vec![Pose {
                stretch: -1,
                shift: -1,
                hurt: true,
                ..rest
            }],
        ),
        (
            "celebrate",
            6,
            vec![
                Pose {
                    lift: 2,
                    stretch: 1,
                    ..rest
                },
                Pose {
                    stretch: -1,
                    legs: 1,
                    ..rest
                },
            ],
        ),
    ]
}

/// All frames of all animations in one row, with the frame table: the right-facing
/// animations first under their plain names, then their mirror images as `<name>-left`.
pub(crate) fn sprite_sheet(sprite: &PixelSprite) -> Result<SpriteSheet, MlError> {
    let device = sprite.indices.device();
    let [height, width] = sprite.indices.dims();
    let tint = from_i64(hurt_lookup(sprite), [sprite.palette.len() + 2], &device);

    let mut frames = Vec::new();
    let mut table = Vec::new();
    for (name, fps, poses) in animations(height) {
        table.push(Animation {
            name: name.to_owned(),
            first: frames.len() as u32,
            count: poses.len() as u32,
            fps,
        });
        for pose in poses {
            let mut frame = pose_frame(sprite, &pose);
            if pose.hurt {
                frame = tint
                    .clone()
                    .select(0, frame.reshape([height * width]))
                    .reshape([height, width]);
            }
            frames.push(outlined(frame, sprite));
        }
    }
    let facing_right = frames.len() as u32;
    let mirrored: Vec<Tensor<2, Int>> = frames.iter().map(|f| f.clone().flip([1])).collect();
    frames.extend(mirrored);
    let left: Vec<Animation> = table
        .iter()
        .map(|a| Animation {
            name: format!("{}-left", a.name),
            first: a.first + facing_right,
            ..a.clone()
        })
        .collect();
    table.extend(left);

    let count = frames.len();
    let sheet = Tensor::cat(frames, 1).reshape([height * width * count]); // [H·W·F]
    let image =
        tensor_to_rgba(
            colour_table(sprite)
                .select(0, sheet)
                .reshape([height, width * count, 4]),
        )?;
    Ok(SpriteSheet {
        image,
        frame_width: width as u32,
        frame_height: height as u32,
        animations: table,
    })
}

/// The resting sprite with its outline, as a picture: what the sprite looks like before it moves.
pub(crate) fn still(sprite: &PixelSprite) -> Result<image::RgbaImage, MlError> {
    let [height, width] = sprite.indices.dims();
    let frame = outlined(sprite.indices.clone(), sprite).reshape([height * width]);
    tensor_to_rgba(
        colour_table(sprite)
            .select(0, frame)
            .reshape([height, width, 4]),
    )
}

/// The sprite in one pose, by gathering rows and columns of the resting sprite.
///
/// # Shapes
/// - output: `[H, W]` palette indices
fn pose_frame(sprite: &PixelSprite, pose: &Pose) -> Tensor<2, Int> {
    let device = sprite.indices.device();
    let [height, width] = sprite.indices.dims();
    let content = sprite.content_height;
    let bottom = height - 2; // the feet; the last row is kept for the outline
    let leg_rows = (content / 4).max(2);

    let rows: Vec<i64> = (0..height)
        .map(|y| {
            let lifted = y + pose.lift;
            if lifted > bottom {
                // Below the feet: the always-empty outline row.
                return (height - 1) as i64;
            }
            let above = bottom - lifted;
            let above = match above {
                a if a < leg_rows => a,
                a if a < leg_rows + pose.bob => leg_rows - 1,
                a => a - pose.bob,
            };
            let new_height = (content as i32 + pose.stretch).max(1) as f32;
            let source = ((above as f32 + 0.5) * content as f32 / new_height) as usize;
            if source >= content {
                // Above the pet: the top row is always empty (headroom).
                0
            } else {
                (bottom - source) as i64
            }
        })
        .collect();
    let mut frame = sprite
        .indices
        .clone()
        .select(0, from_i64(rows, [height], &device));

    if pose.legs != 0 {
        let middle = width as i64 / 2;
        let cols: Vec<i64> = (0..width as i64)
            .map(|x| {
                let from = if x < middle {
                    x + pose.legs as i64
                } else {
                    x - pose.legs as i64
                };
                from.clamp(0, width as i64 - 1)
            })
            .collect();
        let legs = frame
            .clone()
            .slice(s![bottom + 1 - leg_rows..bottom + 1, ..])
            .select(1, from_i64(cols, [width], &device));
        frame = frame.slice_assign(s![bottom + 1 - leg_rows..bottom + 1, ..], legs);
    }
    if pose.shift != 0 {
        let cols: Vec<i64> = (0..width as i64)
            .map(|x| (x - pose.shift as i64).clamp(0, width as i64 - 1))
            .collect();
        frame = frame.select(1, from_i64(cols, [width], &device));
    }
    frame
}

/// Adds the 1-px outline: transparent pixels 4-adjacent to the pet (the classic pixel-art
/// outline; 8-adjacency would thicken diagonals).
///
/// # Shapes
/// - `frame`: `[H, W]` palette indices, output the same
fn outlined(frame: Tensor<2, Int>, sprite: &PixelSprite) -> Tensor<2, Int> {
    let [h, w] = frame.dims();
    let opaque = frame.clone().lower_elem(sprite.transparent());
    let solid = opaque.clone().float().reshape([1, 1, h, w]);
    let vertical = max_pool2d(
        solid.clone(),
        MaxPoolOptions::new([3, 1])
            .with_stride([1, 1])
            .with_padding([1, 0]),
    );
    let horizontal = max_pool2d(
        solid,
        MaxPoolOptions::new([1, 3])
            .with_stride([1, 1])
            .with_padding([0, 1]),
    );
    let near = vertical
        .max_pair(horizontal)
        .reshape([h, w])
        .greater_elem(0.5);
    let ring = near.bool_and(opaque.bool_not());
    frame.mask_fill(ring, sprite.outline_index())
}

/// Palette index → index of the palette colour closest to its red-tinted version.
fn hurt_lookup(sprite: &PixelSprite) -> Vec<i64> {
    let rgb = |c: &Rgba<u8>| [0, 1, 2].map(|i| f32::from(c.0[i]));
    let mut lookup: Vec<i64> = sprite
        .palette
        .iter()
        .map(|c| {
            let c = rgb(c);
            let target: [f32; 3] =
                std::array::from_fn(|i| c[i] * (1.0 - HURT_MIX) + HURT_RED[i] * HURT_MIX);
            let distance = |p: &Rgba<u8>| {
                let p = rgb(p);
                (0..3).map(|i| (p[i] - target[i]).powi(2)).sum::<f32>()
            };
            sprite
                .palette
                .iter()
                .enumerate()
                .min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))
                .map_or(0, |(i, _)| i as i64)
        })
        .collect();
    lookup.push(sprite.transparent());
    lookup.push(sprite.outline_index());
    lookup
}

/// RGBA value of every index: the palette, then transparent, then the outline.
///
/// # Shapes
/// - output: `[palette + 2, 4]`, channel values in [0, 255]
fn colour_table(sprite: &PixelSprite) -> Tensor<2> {
    let values: Vec<f32> = sprite
        .palette
        .iter()
        .chain([&Rgba([0, 0, 0, 0]), &sprite.outline])
        .flat_map(|c| c.0.map(f32::from))
        .collect();
    let rows = values.len() / 4;
    from_f32(values, [rows, 4], &sprite.indices.device())
}
