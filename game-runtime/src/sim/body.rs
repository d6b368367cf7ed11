//! Moving a box through the tile map, one axis at a time. Speeds stay below a tile
//! per step (`Physics::validate`, `Level::validate`), so no box tunnels through a tile.

use crate::level::{Level, Tile};
use crate::physics::TILE;

/// A moving box, in sub-pixels: top-left corner, size and velocity.
#[derive(Clone, Copy, Debug)]
pub struct Body {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    pub vx: i32,
    pub vy: i32,
}

/// What stopped a vertical move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    None,
    /// Landed on solid ground or a one-way ledge.
    Floor,
    Ceiling,
}

/// Solid for movement: walls left and right of the map, and `Solid` tiles.
pub fn solid(level: &Level, tx: i32, ty: i32) -> bool {
    if tx < 0 || tx >= i32::from(level.width) {
        return true;
    }
    level.get(tx, ty) == Some(Tile::Solid)
}

/// Something to stand on: solid or a one-way ledge.
pub fn supports(level: &Level, tx: i32, ty: i32) -> bool {
    solid(level, tx, ty) || level.get(tx, ty) == Some(Tile::OneWay)
}

/// True when any tile under the box `x..x+w`, `y..y+h` is solid.
pub fn hits_solid(level: &Level, x: i32, y: i32, w: i32, h: i32) -> bool {
    let (x0, x1) = (x.div_euclid(TILE), (x + w - 1).div_euclid(TILE));
    let (y0, y1) = (y.div_euclid(TILE), (y + h - 1).div_euclid(TILE));
    (y0..=y1).any(|ty| (x0..=x1).any(|tx| solid(level, tx, ty)))
}

/// The tile columns the span `x..x+w` covers.
pub fn columns(x: i32, w: i32) -> core::ops::RangeInclusive<i32> {
    x.div_euclid(TILE)..=(x + w - 1).div_euclid(TILE)
}

/// Moves by `vx`; true when a wall stopped the box (its `vx` is then zero).
pub fn move_x(level: &Level, body: &mut Body) -> bool {
    let mut x = body.x + body.vx;
    let mut hit = false;
    if body.vx > 0 && hits_solid(level, x, body.y, body.w, body.h) {
        x = (x + body.w - 1).div_euclid(TILE) * TILE - body.w;
        hit = true;
    } else if body.vx < 0 && hits_solid(level, x, body.y, body.w, body.h) {
        x = (x.div_euclid(TILE) + 1) * TILE;
        hit = true;
    }
    if hit {
        body.vx = 0;
    }
    body.x = x;
    hit
}

/// Moves by `vy`, landing on solid tiles and on one-way ledges it was above.
pub fn move_y(level: &Level, body: &mut Body) -> Stop {
    let mut y = body.y + body.vy;
    let mut stop = Stop::None;
    if body.vy > 0 {
        let bottom = y + body.h;
        let row = (bottom - 1).div_euclid(TILE);
        let was_above = body.y + body.h <= row * TILE;
        let ledge =
            was_above && columns(body.x, body.w).any(|tx| level.get(tx, row) == Some(Tile::OneWay));
        if ledge || hits_solid(level, body.x, y, body.w, body.h) {
            y = row * TILE - body.h;
            stop = Stop::Floor;
        }
    } else if body.vy < 0 && hits_solid(level, body.x, y, body.w, body.h) {
        y = (y.div_euclid(TILE) + 1) * TILE;
        stop = Stop::Ceiling;
    }
    if stop != Stop::None {
        body.vy = 0;
    }
    body.y = y;
    stop
}

/// True when two boxes overlap.
pub fn overlaps(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    let (ax, ay, aw, ah) = a;
    let (bx, by, bw, bh) = b;
    ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledge_level() -> Level {
        let mut level = Level::empty(8, 8);
        for x in 0..8 {
            level.set(x, 7, Tile::Solid);
        }
        level.set(3, 4, Tile::OneWay);
        level
    }

    fn body(x: i32, y: i32, vy: i32) -> Body {
        Body {
            x,
            y,
            w: 12 * 256,
            h: 14 * 256,
            vx: 0,
            vy,
        }
    }

    #[test]
    fn a_one_way_ledge_holds_from_above_and_lets_through_from_below() {
        let level = ledge_level();
        // Falling onto it from above: lands with the feet on the ledge's top.
        let mut falling = body(3 * TILE, 4 * TILE - 14 * 256 - 100, 300);
        assert_eq!(move_y(&level, &mut falling), Stop::Floor);
        assert_eq!(falling.y + falling.h, 4 * TILE);
        // Rising through it from below: no stop.
        let mut rising = body(3 * TILE, 5 * TILE, -600);
        assert_eq!(move_y(&level, &mut rising), Stop::None);
        // Overlapping it already (jumped into it) and falling: falls through.
        let mut inside = body(3 * TILE, 4 * TILE - 14 * 256 + 200, 300);
        assert_eq!(move_y(&level, &mut inside), Stop::None);
    }

    #[test]
    fn solid_ground_stops_a_fall_and_walls_stop_a_run() {
        let level = ledge_level();
        let mut falling = body(0, 7 * TILE - 14 * 256 - 10, 200);
        assert_eq!(move_y(&level, &mut falling), Stop::Floor);
        assert_eq!(falling.y + falling.h, 7 * TILE);
        let mut running = body(8 * TILE - 12 * 256 - 5, 0, 0);
        running.vx = 100;
        assert!(move_x(&level, &mut running));
        assert_eq!(running.x, 8 * TILE - 12 * 256);
    }
}
