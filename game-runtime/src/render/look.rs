//! The pixel art of the things in a level besides the pet: treats per theme and
//! the three enemies, as bitmaps coloured from the theme's data.

use super::Frame;
use crate::level::EnemyKind;
use crate::sim::{ENEMY_H_PX, ENEMY_W_PX, Enemy, SQUASHED_STEPS};
use crate::theme::{Content, Palette, Rgb, TreatShape};

const INK: Rgb = [24, 20, 32];
const WHITE: Rgb = [255, 255, 255];

/// Rows of cells: `#` body, `a` accent, `d` outline, `w` white, `k` ink, `.` clear.
type Bitmap = [&'static str; 12];

const PATROL: [Bitmap; 2] = [
    [
        "............",
        "....dddd....",
        "..dd####dd..",
        ".d########d.",
        ".d#wk##wk#d.",
        "d##wk##wk##d",
        "d##########d",
        "d#aaaaaaaa#d",
        "d##########d",
        ".dddddddddd.",
        "..d.d..d.d..",
        "..d.d..d.d..",
    ],
    [
        "............",
        "....dddd....",
        "..dd####dd..",
        ".d########d.",
        ".d#wk##wk#d.",
        "d##wk##wk##d",
        "d##########d",
        "d#aaaaaaaa#d",
        "d##########d",
        ".dddddddddd.",
        ".d.d....d.d.",
        "d.d......d.d",
    ],
];

const HOP: [Bitmap; 2] = [
    [
        "............",
        "............",
        "..dd....dd..",
        ".dwkd..dwkd.",
        ".d##dddd##d.",
        "d##########d",
        "d#aaaaaaaa#d",
        "d##########d",
        ".d########d.",
        "..d######d..",
        ".dd.d..d.dd.",
        "dd..d..d..dd",
    ],
    [
        "..dd....dd..",
        ".dwkd..dwkd.",
        ".d##dddd##d.",
        "d##########d",
        "d#aaaaaaaa#d",
        "d##########d",
        ".d########d.",
        "..d######d..",
        "...d.dd.d...",
        "...d....d...",
        "..dd....dd..",
        "............",
    ],
];

const FLY: [Bitmap; 2] = [
    [
        "ww........ww",
        "www......www",
        ".www.dd.www.",
        "..wddddddw..",
        ".d########d.",
        "d###wk#####d",
        "d##########d",
        "d#a#a#a#a##d",
        ".d########d.",
        "..dddddddd..",
        "............",
        "............",
    ],
    [
        "............",
        "............",
        ".....dd.....",
        "...dddddd...",
        ".d########d.",
        "d###wk#####d",
        "d##########d",
        "d#a#a#a#a##d",
        ".d########d.",
        "wwwddddddwww",
        ".www....www.",
        "..w......w..",
    ],
];

fn draw_cells(frame: &mut Frame, x: i32, y: i32, rows: &[&str], colours: Colours, flip: bool) {
    for (dy, row) in rows.iter().enumerate() {
        let width = row.len() as i32;
        for (dx, cell) in row.bytes().enumerate() {
            let colour = match cell {
                b'#' => colours.body,
                b'a' => colours.accent,
                b'd' => colours.outline,
                b'w' => WHITE,
                b'k' => INK,
                _ => continue,
            };
            let dx = dx as i32;
            let column = if flip { width - 1 - dx } else { dx };
            frame.put(x + column, y + dy as i32, colour);
        }
    }
}

#[derive(Clone, Copy)]
struct Colours {
    body: Rgb,
    accent: Rgb,
    outline: Rgb,
}

/// An enemy at screen position `(sx, sy)` (top-left of its hitbox); squashed flat
/// for a moment after a stomp.
pub fn draw_enemy(
    frame: &mut Frame,
    content: &Content,
    enemy: &Enemy,
    (sx, sy): (i32, i32),
    steps: u32,
) {
    let (look, bitmaps) = match enemy.kind {
        EnemyKind::Patrol => (content.patrol, &PATROL),
        EnemyKind::Hop => (content.hop, &HOP),
        EnemyKind::Fly => (content.fly, &FLY),
    };
    let colours = Colours {
        body: look.body,
        accent: look.accent,
        outline: super::mix(look.body, INK, 2, 3),
    };
    if !enemy.alive() {
        if enemy.defeated < SQUASHED_STEPS {
            let flat = &bitmaps[0][8..];
            draw_cells(
                frame,
                sx,
                sy + ENEMY_H_PX - flat.len() as i32,
                flat,
                colours,
                false,
            );
        }
        return;
    }
    let frame_index = match enemy.kind {
        EnemyKind::Hop => usize::from(!enemy.on_ground),
        EnemyKind::Patrol | EnemyKind::Fly => ((steps / 8) % 2) as usize,
    };
    let bitmap = &bitmaps[frame_index];
    let x = sx + (ENEMY_W_PX - 12) / 2;
    draw_cells(frame, x, sy, bitmap, colours, !enemy.facing_left);
}

/// The theme's treat with its top-left at `(x, y)`, about 12×8 pixels.
pub fn draw_treat(frame: &mut Frame, content: &Content, palette: &Palette, x: i32, y: i32) {
    const BONE: [&str; 8] = [
        "............",
        "dd........dd",
        "dwd......dwd",
        ".dwwwwwwwwd.",
        ".dwwwwwwwwd.",
        "dwd......dwd",
        "dd........dd",
        "............",
    ];
    const COOKIE: [&str; 8] = [
        "...dddddd...",
        "..d######d..",
        ".d##k###k#d.",
        ".d########d.",
        ".d#k###k##d.",
        ".d####k###d.",
        "..d######d..",
        "...dddddd...",
    ];
    const FISH: [&str; 8] = [
        "............",
        "....dddd..d.",
        "..dd####dd#d",
        ".d#k#######d",
        ".d########d#",
        "..dd####dd#d",
        "....dddd..d.",
        "............",
    ];
    const STAR: [&str; 8] = [
        ".....dd.....",
        ".....##.....",
        "..dd####dd..",
        "dd########dd",
        "..d######d..",
        "..d##dd##d..",
        ".d#dd..dd#d.",
        ".dd......dd.",
    ];
    const BALL: [&str; 8] = [
        "....dddd....",
        "..dd####dd..",
        ".dw######wd.",
        ".d#ww##ww#d.",
        ".d###ww###d.",
        ".dw######wd.",
        "..dd####dd..",
        "....dddd....",
    ];
    let (rows, body): (&[&str], Rgb) = match content.treat {
        TreatShape::Bone => (&BONE, [250, 244, 228]),
        TreatShape::Cookie => (&COOKIE, [216, 160, 88]),
        TreatShape::Fish => (&FISH, [248, 152, 56]),
        TreatShape::Star => (&STAR, palette.accent),
        TreatShape::Ball => (&BALL, [208, 232, 72]),
    };
    let colours = Colours {
        body,
        accent: palette.accent,
        outline: super::mix(body, INK, 3, 5),
    };
    draw_cells(frame, x, y, rows, colours, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bitmap_row_is_twelve_cells_wide() {
        for bitmap in PATROL.iter().chain(&HOP).chain(&FLY) {
            assert!(bitmap.iter().all(|row| row.len() == 12));
        }
    }
}
