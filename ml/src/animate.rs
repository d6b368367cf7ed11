//! Animation: every frame is the resting sprite with its parts moved (see [`crate::rig`]): legs
//! sheared through a step cycle, the body bobbed, the head nodded, the rear wagged, the whole
//! pet squashed, stretched, lifted or waved. Then a 1-px selective outline per frame (see
//! [`crate::outline`]), mirrored copies facing left, and the frames laid out left to right in
//! one sheet. Moving palette indices
//! (never blending colours) keeps every frame on the pixel grid and on the sprite's palette.

use image::{Rgba, RgbaImage};

use crate::MlError;
use crate::outline::Shades;
use crate::pixelize::PixelSprite;
use crate::rig::{Gait, Grid, Rig};
use crate::sheet::{Animation, SpriteSheet};

/// Colour the "hurt" frame leans towards before it is snapped back onto the palette.
const HURT_RED: [f32; 3] = [235.0, 40.0, 40.0];
/// How far the "hurt" colours lean towards red.
const HURT_MIX: f32 = 0.4;
/// How far the "hurt" flash leans towards white.
const FLASH_MIX: f32 = 0.6;
/// Frames in a walk or run cycle.
const CYCLE: usize = 6;
/// How far a foot swings either way when walking, as a share of its leg's length: about 27°.
const WALK_SWING: f32 = 0.5;
/// ... and when running: about 31°.
const RUN_SWING: f32 = 0.6;
/// The most columns a foot swings either way.
const MAX_REACH: i32 = 7;

/// The fewest columns a foot swings either way: over a six-frame cycle a foot then moves two
/// columns a frame (3, 1, -1, -3, -1, 1), which reads as a step at game size; a reach of two
/// moves it one or two and short legs shuffle.
const MIN_REACH: i32 = 3;

/// Columns a foot at the end of a leg `rows` long swings either way: at least [`MIN_REACH`],
/// so that it is seen to move.
fn reach(rows: usize, swing: f32) -> i32 {
    ((rows as f32 * swing).round() as i32).clamp(MIN_REACH, MAX_REACH)
}

/// Where the feet are in one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Legs {
    /// As they rest.
    #[default]
    Rest,
    /// Stepping: `phase` of the cycle in [0, 1), each foot swinging either way by `swing` of
    /// its leg's length (at least two columns, so that it is seen to move), legs in diagonal
    /// pairs (a trot) or rear and front pairs (a bound).
    Step { phase: f32, swing: f32, bound: bool },
    /// Every foot `columns` forward (negative: trailing back) and `lift` rows up.
    Reach { columns: i32, lift: usize },
}

/// Colours a frame is drawn in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Tint {
    #[default]
    None,
    /// Leaning red: hurt.
    Hurt,
    /// Leaning white: the flash after a hit.
    Flash,
}

/// One frame's changes to the resting sprite, applied in the order of the fields: first to
/// the body without its legs, then the legs joined to it, then to the whole pet.
#[derive(Debug, Clone, Copy, Default)]
struct Pose {
    /// The head dips a row.
    nod: bool,
    /// The rear moves this many columns forward (negative: back).
    wag: i32,
    /// Rows the body above the legs is raised, the legs stretching to follow.
    bob: usize,
    legs: Legs,
    /// Rows added to the pet's height (negative squashes), anchored at the feet.
    stretch: i32,
    /// Columns added to the pet's width (negative draws it in), anchored at its front (true) or
    /// rear (false).
    widen: (i32, bool),
    /// A wave along the body: (height in rows, phase in [0, 1)).
    wave: Option<(usize, f32)>,
    /// Rows the whole pet is lifted off the ground.
    lift: usize,
    /// Columns the whole pet moves right (negative: knocked back left).
    shift: i32,
    tint: Tint,
}

/// The sheet layout: (name, fps, poses), in the order the frames appear.
fn animations(rig: &Rig, gait: Gait, sprite_size: usize) -> Vec<(&'static str, u32, Vec<Pose>)> {
    let rest = Pose::default();
    let reach = rig
        .legs
        .iter()
        .map(|l| reach(l.rows(), WALK_SWING))
        .max()
        .unwrap_or(MIN_REACH);
    let hop = (sprite_size / 16).clamp(2, 3);
    let (walk, run) = match gait {
        Gait::Walk => ((10, steps(WALK_SWING, false)), (14, steps(RUN_SWING, true))),
        Gait::Hop => ((8, hops(hop - 1, false)), (12, hops(hop, true))),
        Gait::Crawl => ((6, crawl(false)), (10, crawl(true))),
        Gait::Swim => ((8, waves(1)), (12, waves(2))),
    };
    let stretch = hop as i32;
    vec![
        (
            "idle",
            4,
            vec![
                rest,
                Pose {
                    stretch: -1,
                    ..rest
                },
                Pose { nod: true, ..rest },
                Pose {
                    stretch: -1,
                    nod: true,
                    wag: -1,
                    ..rest
                },
            ],
        ),
        ("walk", walk.0, walk.1),
        ("run", run.0, run.1),
        (
            "jump",
            10,
            [0, -1]
                .map(|wag| Pose {
                    stretch,
                    legs: Legs::Reach {
                        columns: -reach,
                        lift: 0,
                    },
                    wag,
                    ..rest
                })
                .to_vec(),
        ),
        (
            "fall",
            10,
            [0, 1]
                .map(|wag| Pose {
                    stretch: 1,
                    legs: Legs::Reach {
                        columns: reach,
                        lift: 0,
                    },
                    wag,
                    ..rest
                })
                .to_vec(),
        ),
        (
            "hurt",
            8,
            [Tint::Hurt, Tint::Flash]
                .map(|tint| Pose {
                    stretch: -1,
                    shift: -1,
                    tint,
                    ..rest
                })
                .to_vec(),
        ),
        (
            "celebrate",
            8,
            vec![
                Pose {
                    stretch: -2,
                    ..rest
                },
                Pose {
                    lift: hop - 1,
                    stretch: 1,
                    legs: Legs::Reach {
                        columns: 0,
                        lift: 1,
                    },
                    wag: -1,
                    ..rest
                },
                Pose {
                    lift: hop,
                    nod: true,
                    wag: 1,
                    ..rest
                },
                Pose {
                    lift: 1,
                    wag: -1,
                    ..rest
                },
            ],
        ),
    ]
}

/// A step cycle: feet swing `swing` of their leg's length either way; the body rises a row as
/// the legs pass under it.
fn steps(swing: f32, bound: bool) -> Vec<Pose> {
    // The rear swings twice as far running: with one leg a side a trot and a bound step
    // alike, and short legs reach as far at either swing, but a run must still look like one.
    let wag = if bound { 2 } else { 1 };
    (0..CYCLE)
        .map(|t| Pose {
            legs: Legs::Step {
                phase: t as f32 / CYCLE as f32,
                swing,
                bound,
            },
            bob: usize::from(t % 3 == 1),
            wag: if t < CYCLE / 2 { -wag } else { wag },
            ..Pose::default()
        })
        .collect()
}

/// A hop: squash, spring up `height` rows stretched, come down. Running (`run`) squashes and
/// stretches twice as hard and comes down stretched, then squashed: every frame differs from
/// the walking hop's.
fn hops(height: usize, run: bool) -> Vec<Pose> {
    let (push, landing) = (if run { 2 } else { 1 }, height.saturating_sub(1).max(1));
    let frame = |lift: usize, stretch: i32, nod: bool| Pose {
        lift,
        stretch,
        nod,
        ..Pose::default()
    };
    let (fifth, sixth) = if run {
        (frame(landing, 1, true), frame(1, -1, false))
    } else {
        (frame(landing, 0, false), frame(0, 0, false))
    };
    vec![
        frame(0, -push, false),
        frame(1, push, false),
        frame(height, 0, false),
        frame(height, 0, true),
        fifth,
        sixth,
    ]
}

/// An inchworm: the rear draws in, then the front reaches out. Walking draws in by up to two
/// columns and reaches one; running by up to four and three, starting from the rear.
fn crawl(run: bool) -> Vec<Pose> {
    // (columns added to the width, whether the front stays put)
    let widths = if run {
        [
            (-2, false),
            (-3, true),
            (-4, true),
            (-3, true),
            (2, false),
            (3, false),
        ]
    } else {
        [
            (0, true),
            (-1, true),
            (-2, true),
            (-1, true),
            (0, false),
            (1, false),
        ]
    };
    widths
        .into_iter()
        .map(|widen| Pose {
            widen,
            ..Pose::default()
        })
        .collect()
}

/// A wave `height` rows high runs from the head to the tail.
fn waves(height: usize) -> Vec<Pose> {
    (0..CYCLE)
        .map(|t| Pose {
            wave: Some((height, t as f32 / CYCLE as f32)),
            ..Pose::default()
        })
        .collect()
}

/// The resting sprite as a grid.
fn rest_grid(sprite: &PixelSprite) -> Result<Grid, MlError> {
    let [height, width] = sprite.indices.dims();
    Ok(Grid {
        width,
        height,
        cells: sprite
            .indices
            .clone()
            .try_into_vec_as::<i64>()
            .map_err(crate::tensors::backend)?,
        clear: sprite.transparent(),
    })
}

/// All frames of all animations in one row, with the frame table: the right-facing
/// animations first under their plain names, then their mirror images as `<name>-left`.
/// `gait` overrides the one the pet's silhouette suggests.
pub(crate) fn sprite_sheet(
    sprite: &PixelSprite,
    gait: Option<Gait>,
) -> Result<SpriteSheet, MlError> {
    let rest = rest_grid(sprite)?;
    let Some(rig) = Rig::find(&rest) else {
        return Err(MlError::NoSubjectFound("the sprite is empty".into()));
    };
    let gait = gait.unwrap_or(rig.gait);
    let rig = if gait == Gait::Walk {
        rig.with_stand_in_legs(&rest)
    } else {
        rig
    };
    let shades = sprite_shades(sprite)?;
    let tints = [
        (Tint::Hurt, tint_lookup(sprite, HURT_RED, HURT_MIX)),
        (Tint::Flash, tint_lookup(sprite, [255.0; 3], FLASH_MIX)),
    ];

    let mut frames = Vec::new();
    let mut table = Vec::new();
    for (name, fps, poses) in animations(&rig, gait, rest.height) {
        table.push(Animation {
            name: name.to_owned(),
            first: frames.len() as u32,
            count: poses.len() as u32,
            fps,
        });
        for pose in poses {
            let mut frame = posed(&rest, &rig, &pose);
            if let Some((_, lookup)) = tints.iter().find(|(t, _)| *t == pose.tint) {
                for cell in frame.cells.iter_mut().filter(|c| **c != rest.clear) {
                    *cell = lookup[*cell as usize];
                }
            }
            frames.push(shades.outlined(frame));
        }
    }
    let facing_right = frames.len() as u32;
    let mirrored: Vec<Grid> = frames
        .iter()
        .map(|f| f.remap(|x, y| (f.width as i64 - 1 - x, y)))
        .collect();
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

    let (width, height) = (rest.width, rest.height);
    let colours = colour_table(sprite);
    let mut image = RgbaImage::new((width * frames.len()) as u32, height as u32);
    for (i, frame) in frames.iter().enumerate() {
        paint(&mut image, frame, &colours, i * width);
    }
    Ok(SpriteSheet {
        image,
        frame_width: width as u32,
        frame_height: height as u32,
        animations: table,
        gait,
    })
}

/// The resting sprite with its outline, as a picture: what the sprite looks like before it moves.
pub(crate) fn still(sprite: &PixelSprite) -> Result<RgbaImage, MlError> {
    let rest = rest_grid(sprite)?;
    let frame = sprite_shades(sprite)?.outlined(rest);
    let mut image = RgbaImage::new(frame.width as u32, frame.height as u32);
    paint(&mut image, &frame, &colour_table(sprite), 0);
    Ok(image)
}

fn paint(image: &mut RgbaImage, frame: &Grid, colours: &[Rgba<u8>], left: usize) {
    for (i, &cell) in frame.cells.iter().enumerate() {
        let (x, y) = (left + i % frame.width, i / frame.width);
        let colour = colours.get(cell as usize).copied().unwrap_or(Rgba([0; 4]));
        image.put_pixel(x as u32, y as u32, colour);
    }
}

/// The resting sprite in one pose: the body without its legs moved first, then the legs
/// stepped and joined to it, then the whole pet squashed, stretched, waved or moved.
fn posed(rest: &Grid, rig: &Rig, pose: &Pose) -> Grid {
    let mut body = rest.clone();
    for leg in &rig.legs {
        for &(x, y) in &leg.cells {
            body.set(x as i64, y as i64, rest.clear);
        }
    }
    if pose.nod {
        body = nod(&body, rig);
    }
    if pose.wag != 0 {
        body = wag(&body, rig, pose.wag);
    }
    if pose.bob > 0 {
        let rows = pose.bob as i64;
        body = body.remap(|x, y| (x, y + rows));
    }
    let mut frame = with_legs(body, rest, rig, pose.legs, pose.bob);
    if pose.stretch != 0 {
        frame = stretch(&frame, rig, pose.stretch);
    }
    if pose.widen.0 != 0 {
        frame = widen(&frame, rig, pose.widen);
    }
    if let Some((height, phase)) = pose.wave {
        frame = wave(&frame, rig, height, phase);
    }
    let (lift, shift) = (pose.lift as i64, i64::from(pose.shift));
    if lift != 0 || shift != 0 {
        frame = frame.remap(|x, y| (x - shift, y + lift));
    }
    frame
}

/// Where one foot is at `phase` of a step cycle: on the ground moving back from `reach` to
/// `-reach` over the first half, lifted a row swinging forward over the second.
fn foot(phase: f32, reach: i32) -> (f32, usize) {
    let u = phase.rem_euclid(1.0);
    let reach = reach as f32;
    if u < 0.5 {
        (reach * (1.0 - 4.0 * u), 0)
    } else {
        let at = reach * (4.0 * (u - 0.5) - 1.0);
        (at, usize::from(at.abs() < reach))
    }
}

/// Where each foot goes in `legs`: columns forward and rows up.
fn feet(rig: &Rig, legs: Legs) -> Vec<(f32, usize)> {
    let centre = (rig.left + rig.right) as f32 / 2.0;
    let (mut rear, mut front) = (0, 0);
    rig.legs
        .iter()
        .map(|leg| match legs {
            Legs::Rest => (0.0, 0),
            Legs::Reach { columns, lift } => (columns as f32, lift),
            Legs::Step {
                phase,
                swing,
                bound,
            } => {
                // A trot moves diagonal pairs together: the first rear leg with the second
                // front one. A bound moves the rear pair, then the front pair.
                let is_front = leg.centre > centre;
                let nth = if is_front { &mut front } else { &mut rear };
                let offset = match (bound, is_front) {
                    (true, false) => 0.08 * *nth as f32,
                    (true, true) => 0.5 + 0.08 * *nth as f32,
                    (false, false) => 0.5 * (*nth % 2) as f32,
                    (false, true) => 0.5 * ((*nth + 1) % 2) as f32,
                };
                *nth += 1;
                foot(phase + offset, reach(leg.rows(), swing))
            }
        })
        .collect()
}

/// The legs drawn onto the moved `body`: each leg sheared about its hip so that its foot lands
/// where the pose puts it (a shear keeps a thin pixel leg whole where a rotation would break
/// it) and lifted, then stretched up to the body where the body rose `bob` rows.
fn with_legs(body: Grid, rest: &Grid, rig: &Rig, legs: Legs, bob: usize) -> Grid {
    let mut frame = body;
    for (leg, (reach, lift)) in rig.legs.iter().zip(feet(rig, legs)) {
        let rows = (leg.foot - leg.hip).max(1) as f32;
        let mut top: Vec<(i64, i64, i64)> = Vec::new();
        for &(x, y) in &leg.cells {
            let down = (y - leg.hip) as f32;
            let (nx, ny) = (
                x as i64 + (reach * down / rows).round() as i64,
                y as i64 - lift as i64,
            );
            // A lifted leg slides up into the body: its top rows are hidden, not drawn above.
            if ny < leg.hip as i64 {
                continue;
            }
            let value = rest.get(x as i64, y as i64);
            frame.set(nx, ny, value);
            match top.first() {
                Some(&(_, t, _)) if ny > t => {}
                Some(&(_, t, _)) if ny < t => top = vec![(nx, ny, value)],
                _ => top.push((nx, ny, value)),
            }
        }
        for (x, y, value) in top {
            for up in 1..=bob as i64 {
                if frame.opaque(x, y - up) {
                    break;
                }
                frame.set(x, y - up, value);
            }
        }
    }
    frame
}

/// The head dips a row: the upper front moves down, squeezing the neck.
fn nod(frame: &Grid, rig: &Rig) -> Grid {
    let (x0, x1) = rig.head_columns();
    let (top, bottom) = rig.upper_rows();
    frame.remap(|x, y| {
        let inside =
            (x0 as i64..=x1 as i64).contains(&x) && (top as i64..=bottom as i64).contains(&y);
        if inside { (x, y - 1) } else { (x, y) }
    })
}

/// The upper rear (a tail, a rump) moves `columns` forward or back.
fn wag(frame: &Grid, rig: &Rig, columns: i32) -> Grid {
    let (x0, x1) = rig.rear_columns();
    let (top, bottom) = rig.upper_rows();
    let columns = i64::from(columns);
    frame.remap(|x, y| {
        let rows = (top as i64 - 1..=bottom as i64).contains(&y);
        let cols = (x0 as i64 - columns.abs()..=x1 as i64).contains(&x);
        if rows && cols {
            (x - columns, y)
        } else {
            (x, y)
        }
    })
}

/// The pet `rows` taller (negative: shorter), its feet where they were.
fn stretch(frame: &Grid, rig: &Rig, rows: i32) -> Grid {
    let (ground, height) = (rig.ground as i64, rig.height() as f32);
    let new_height = (height + rows as f32).max(1.0);
    frame.remap(|x, y| {
        if y > ground {
            return (x, y);
        }
        let above = ((ground - y) as f32 + 0.5) * height / new_height;
        (x, ground - above as i64)
    })
}

/// The pet `columns` wider (negative: narrower), its front (or rear) where it was.
fn widen(frame: &Grid, rig: &Rig, (columns, front_fixed): (i32, bool)) -> Grid {
    let width = rig.width() as f32;
    let new_width = (width + columns as f32).max(1.0);
    let (left, right) = (rig.left as i64, rig.right as i64);
    frame.remap(|x, y| {
        let from_anchor = if front_fixed { right - x } else { x - left };
        if from_anchor < 0 {
            return (x, y);
        }
        let source = ((from_anchor as f32 + 0.5) * width / new_width) as i64;
        if front_fixed {
            (right - source, y)
        } else {
            (left + source, y)
        }
    })
}

/// A wave `height` rows high along the body, one wavelength nose to tail, at `phase`; the
/// body only ever rises so that it stays above the ground row.
fn wave(frame: &Grid, rig: &Rig, height: usize, phase: f32) -> Grid {
    let (left, width) = (rig.left as f32, rig.width() as f32);
    frame.remap(|x, y| {
        let along = (x as f32 - left) / width;
        let rise = (std::f32::consts::TAU * (along + phase)).sin() * 0.5 + 0.5;
        (x, y + (rise * height as f32).round() as i64)
    })
}

/// Palette index → index of the palette colour closest to its version leaning `mix` of the
/// way towards `towards`; the transparent and outline indices map to themselves.
fn tint_lookup(sprite: &PixelSprite, towards: [f32; 3], mix: f32) -> Vec<i64> {
    let rgb = |c: &Rgba<u8>| [0, 1, 2].map(|i| f32::from(c.0[i]));
    let mut lookup: Vec<i64> = sprite
        .palette
        .iter()
        .map(|c| {
            let c = rgb(c);
            let target: [f32; 3] = std::array::from_fn(|i| c[i] * (1.0 - mix) + towards[i] * mix);
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

/// The outline shades of the sprite's palette.
fn sprite_shades(sprite: &PixelSprite) -> Result<Shades, MlError> {
    Shades::of(&sprite.palette, sprite.outline, &sprite.indices.device())
}

/// RGBA value of every index: the palette, then transparent, then the outline.
fn colour_table(sprite: &PixelSprite) -> Vec<Rgba<u8>> {
    let mut colours = sprite.palette.clone();
    colours.push(Rgba([0, 0, 0, 0]));
    colours.push(sprite.outline);
    colours
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::tests::{DOG, drawn};

    fn dog() -> (Grid, Rig) {
        let rest = drawn(&DOG);
        let rig = Rig::find(&rest).expect("a pet");
        (rest, rig)
    }

    /// The resting dog with its legs in `legs` and nothing else moved.
    fn stepped(rest: &Grid, rig: &Rig, legs: Legs) -> Grid {
        posed(
            rest,
            rig,
            &Pose {
                legs,
                ..Pose::default()
            },
        )
    }

    #[test]
    fn a_step_moves_only_the_legs_and_each_foot_at_least_two_columns_a_frame() {
        let (rest, rig) = dog();
        let frames: Vec<Grid> = steps(WALK_SWING, false)
            .iter()
            .map(|p| stepped(&rest, &rig, p.legs))
            .collect();
        for frame in &frames {
            for y in 0..rig.belly {
                let row = y * rest.width..(y + 1) * rest.width;
                assert_eq!(frame.cells[row.clone()], rest.cells[row], "row {y} is body");
            }
        }
        let feet = |f: &Grid| -> Vec<i64> {
            (0..f.width as i64)
                .filter(|&x| f.opaque(x, rig.ground as i64) || f.opaque(x, rig.ground as i64 - 1))
                .collect()
        };
        for pair in frames.windows(2) {
            assert_ne!(feet(&pair[0]), feet(&pair[1]), "the feet move every frame");
        }
        let first_feet: Vec<(f32, usize)> = (0..CYCLE)
            .map(|t| foot(t as f32 / CYCLE as f32, 3))
            .collect();
        for t in 0..CYCLE {
            let (a, b) = (first_feet[t].0, first_feet[(t + 1) % CYCLE].0);
            assert!((a.round() - b.round()).abs() >= 2.0, "frame {t}: {a} → {b}");
        }
    }

    #[test]
    fn a_trot_moves_diagonal_pairs_together() {
        let (rest, rig) = dog();
        let legs = Legs::Step {
            phase: 0.0,
            swing: WALK_SWING,
            bound: false,
        };
        let frame = stepped(&rest, &rig, legs);
        // Phase 0: the first rear leg (columns 4-5) and the second front leg (17-18) reach
        // forward, three columns at the foot (the least reach); the other two (7-8, 14-15)
        // trail three columns.
        let feet: Vec<i64> = (0..rest.width as i64)
            .filter(|&x| frame.opaque(x, rig.ground as i64))
            .collect();
        assert_eq!(feet, vec![4, 5, 7, 8, 11, 12, 20, 21]);
    }

    #[test]
    fn every_pose_keeps_the_pet_whole_and_on_its_palette() {
        let (rest, rig) = dog();
        let count = rest.cells.iter().filter(|&&c| c != rest.clear).count();
        for gait in Gait::ALL {
            for (name, _, poses) in animations(&rig, gait, 48) {
                for pose in poses {
                    let frame = posed(&rest, &rig, &pose);
                    let drawn = frame.cells.iter().filter(|&&c| c != rest.clear).count();
                    assert!(
                        drawn * 4 >= count * 3 && drawn * 4 <= count * 5,
                        "{gait:?} {name}: {drawn} of {count} cells"
                    );
                    assert!(frame.cells.iter().all(|&c| c == 0 || c == rest.clear));
                }
            }
        }
    }

    #[test]
    fn a_bob_raises_the_body_and_stretches_the_legs_to_it() {
        let (rest, rig) = dog();
        let up = posed(
            &rest,
            &rig,
            &Pose {
                bob: 1,
                ..Pose::default()
            },
        );
        assert_eq!(up.get(10, 7), rest.get(10, 8), "the body rose");
        assert!(
            up.opaque(4, 8) && up.opaque(5, 8),
            "the leg reaches up to it"
        );
        assert!(!up.opaque(10, 8), "between the legs stays empty");
        for x in 0..rest.width as i64 {
            assert_eq!(up.get(x, 12), rest.get(x, 12), "the feet stay");
        }
    }

    #[test]
    fn the_legs_of_a_photographed_dog_are_found_despite_perspective_and_a_tail() {
        // The far front foot stands a row higher in the picture than the near hind one; the
        // tail hangs behind the hind leg; the front legs join each other before the body.
        let dog = drawn(&[
            "..............#.",
            ".............###",
            "...##########...",
            "..###########...",
            ".#.##.....##....",
            "#..##.....##....",
            "#..##.....#.#...",
            "...##.....#.#...",
            "...##.....#.#...",
            "...##.....#.#...",
            "...##.....#.#...",
            "...##...........",
        ]);
        let rig = Rig::find(&dog).expect("a pet");
        assert_eq!(rig.gait, Gait::Walk);
        let legs: Vec<(usize, usize, f32)> =
            rig.legs.iter().map(|l| (l.hip, l.foot, l.centre)).collect();
        // The hind leg is followed up to the highest row a leg may reach (60 % of the height).
        assert_eq!(legs, vec![(5, 11, 3.5), (6, 10, 10.0), (6, 10, 12.0)]);
    }
}
