//! What a level is: a tile map plus the things that move in it (enemies, moving
//! platforms). `generate` builds them; `sim` plays them.

use serde::{Deserialize, Serialize};

use crate::physics::TILE;

/// Height of every generated level, in tiles (a 224 px high screen).
pub const GENERATED_HEIGHT: u16 = 14;
/// Bounds of generated level widths, in tiles.
pub const MIN_GENERATED_WIDTH: u16 = 60;
pub const MAX_GENERATED_WIDTH: u16 = 150;
/// Most enemies and moving platforms one level may hold.
pub const MAX_ENEMIES: usize = 64;
pub const MAX_MOVERS: usize = 32;

/// What fills one 16×16 px cell of a level. New kinds are appended: the encoded
/// game data stores the variant's index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tile {
    #[default]
    Empty,
    Solid,
    /// A collectible treat; collecting it leaves `Empty`.
    Treat,
    /// The flag that ends the level.
    Goal,
    /// Hurts on touch.
    Spike,
    /// A ledge that holds from above only: jump up through it, land on it.
    OneWay,
    /// Hurts like a pit (the pet cannot swim).
    Water,
    /// Touched once, the player comes back here after losing a life.
    Checkpoint,
}

/// How an enemy moves. Every kind is defeated by landing on it from above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EnemyKind {
    /// Walks along its ground, turning at walls and ledges.
    Patrol,
    /// Hops on the spot at a steady beat, drifting back and forth.
    Hop,
    /// Flies back and forth along a line, through anything.
    Fly,
}

/// An enemy as placed in a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnemySpawn {
    pub kind: EnemyKind,
    /// The tile it starts in (standing on the tile below, unless it flies).
    pub tile: (u16, u16),
    /// Sub-pixels per step.
    pub speed: u16,
    /// Flyers: tiles travelled from the start before turning back.
    pub range: u8,
    /// Flyers: up and down instead of left and right.
    pub vertical: bool,
}

/// A platform that moves back and forth and carries whoever stands on it. It holds
/// from above only, like a `OneWay` tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mover {
    /// The tile of its left end at the start of the level.
    pub tile: (u16, u16),
    /// Width in tiles.
    pub len: u8,
    /// Tiles travelled before turning back (right, or down when `vertical`).
    pub range: u8,
    pub vertical: bool,
    /// Steps for one trip there and back.
    pub period: u16,
}

/// Back and forth along `0..=reach` at a steady speed, one round trip per `period`
/// steps: the offset after `steps` steps, and whether it is on the way back. Movers
/// and flyers both move this way; in 64 bits so no hostile speed or range overflows.
pub fn swing(steps: u32, period: u32, reach: i32) -> (i32, bool) {
    let period = period.max(2);
    let half = period / 2;
    let phase = steps % period;
    let along = if phase <= half { phase } else { period - phase };
    // `along <= half`, so the offset stays within `reach`.
    let offset = i64::from(reach) * i64::from(along) / i64::from(half);
    (i32::try_from(offset).unwrap_or(reach), phase > half)
}

impl Mover {
    /// Top-left corner in sub-pixels after `steps` steps of the level.
    pub fn position(&self, steps: u32) -> (i32, i32) {
        let reach = i32::from(self.range) * TILE;
        let (offset, _) = swing(steps, u32::from(self.period), reach);
        let (x, y) = (i32::from(self.tile.0) * TILE, i32::from(self.tile.1) * TILE);
        if self.vertical {
            (x, y + offset)
        } else {
            (x + offset, y)
        }
    }

    /// Width in sub-pixels.
    pub fn width(&self) -> i32 {
        i32::from(self.len) * TILE
    }
}

/// One level: a row-major tile map, y growing downwards. Below the map is a pit;
/// left and right of it are walls.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Level {
    pub width: u16,
    pub height: u16,
    pub tiles: Vec<Tile>,
    /// The tile the player starts in (standing on the tile below it).
    pub spawn: (u16, u16),
    /// The tile holding the goal flag.
    pub goal: (u16, u16),
    pub enemies: Vec<EnemySpawn>,
    pub movers: Vec<Mover>,
}

impl Level {
    /// A level of `width`×`height` empty tiles.
    pub fn empty(width: u16, height: u16) -> Level {
        Level {
            width,
            height,
            tiles: vec![Tile::Empty; usize::from(width) * usize::from(height)],
            spawn: (0, 0),
            goal: (0, 0),
            enemies: Vec::new(),
            movers: Vec::new(),
        }
    }

    /// The tile at a tile coordinate; `None` outside the map.
    pub fn get(&self, x: i32, y: i32) -> Option<Tile> {
        let index = self.index(x, y)?;
        self.tiles.get(index).copied()
    }

    pub fn set(&mut self, x: i32, y: i32, tile: Tile) {
        if let Some(cell) = self.index(x, y).and_then(|i| self.tiles.get_mut(i)) {
            *cell = tile;
        }
    }

    fn index(&self, x: i32, y: i32) -> Option<usize> {
        let x = u16::try_from(x).ok().filter(|&x| x < self.width)?;
        let y = u16::try_from(y).ok().filter(|&y| y < self.height)?;
        Some(usize::from(y) * usize::from(self.width) + usize::from(x))
    }

    /// How many treats are still in the level.
    pub fn treats(&self) -> usize {
        self.tiles.iter().filter(|&&t| t == Tile::Treat).count()
    }

    /// The rules decoding enforces, so the simulation and renderer can index freely
    /// and no speed tunnels through a tile.
    pub fn validate(&self, max_width: u16, max_height: u16) -> Result<(), &'static str> {
        if !(1..=max_width).contains(&self.width) || !(1..=max_height).contains(&self.height) {
            return Err("level size out of range");
        }
        if self.tiles.len() != usize::from(self.width) * usize::from(self.height) {
            return Err("level tiles do not match its size");
        }
        let inside = |(x, y): (u16, u16)| x < self.width && y < self.height;
        if !inside(self.spawn) || !inside(self.goal) {
            return Err("spawn or goal outside the level");
        }
        let (gx, gy) = self.goal;
        if self.get(i32::from(gx), i32::from(gy)) != Some(Tile::Goal) {
            return Err("no goal flag at the goal");
        }
        if self.enemies.len() > MAX_ENEMIES || self.movers.len() > MAX_MOVERS {
            return Err("too many enemies or moving platforms");
        }
        let enemies_ok = self
            .enemies
            .iter()
            .all(|e| inside(e.tile) && (1..TILE as u16 / 4).contains(&e.speed) && e.range <= 16);
        if !enemies_ok {
            return Err("enemy out of range");
        }
        let movers_ok = self.movers.iter().all(|m| {
            let reach = i32::from(m.range) * TILE;
            let speed = reach * 2 / i32::from(m.period.max(1));
            inside(m.tile) && (1..=8).contains(&m.len) && m.range <= 16 && m.period >= 2
                // Faster than an eighth of a tile per step would drop riders.
                && speed < TILE / 8
        });
        if !movers_ok {
            return Err("moving platform out of range");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mover_swings_between_its_ends_and_back() {
        let mover = Mover {
            tile: (4, 6),
            len: 3,
            range: 2,
            vertical: false,
            period: 100,
        };
        assert_eq!(mover.position(0), (4 * TILE, 6 * TILE));
        assert_eq!(mover.position(50), (6 * TILE, 6 * TILE));
        assert_eq!(mover.position(25), (5 * TILE, 6 * TILE));
        assert_eq!(mover.position(100), mover.position(0));
        assert_eq!(mover.position(75), mover.position(25));
        let lift = Mover {
            vertical: true,
            ..mover
        };
        assert_eq!(lift.position(50), (4 * TILE, 8 * TILE));
    }

    #[test]
    fn validate_refuses_fast_movers_and_enemies_outside() {
        let mut level = Level::empty(10, 10);
        level.goal = (9, 8);
        level.set(9, 8, Tile::Goal);
        assert_eq!(level.validate(64, 64), Ok(()));
        let mover = Mover {
            tile: (1, 1),
            len: 2,
            range: 8,
            vertical: false,
            period: 4,
        };
        level.movers.push(mover);
        assert_eq!(level.validate(64, 64), Err("moving platform out of range"));
        level.movers[0].period = 400;
        assert_eq!(level.validate(64, 64), Ok(()));
        level.enemies.push(EnemySpawn {
            kind: EnemyKind::Patrol,
            tile: (10, 0),
            speed: 64,
            range: 0,
            vertical: false,
        });
        assert_eq!(level.validate(64, 64), Err("enemy out of range"));
    }
}
