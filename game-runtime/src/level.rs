//! Tile maps and the seeded generator that builds completable levels from the jump
//! reach of the theme's physics.

use serde::{Deserialize, Serialize};

use crate::physics::{PLAYER_W, Physics, TILE};
use crate::theme::{Difficulty, Theme};

/// Height of every generated level, in tiles (a 224 px high screen).
pub const GENERATED_HEIGHT: u16 = 14;
/// Bounds of generated level widths, in tiles.
pub const MIN_GENERATED_WIDTH: u16 = 60;
pub const MAX_GENERATED_WIDTH: u16 = 150;

/// What fills one 16×16 px cell of a level.
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
}

/// SplitMix64: a tiny, well-mixed generator, so a seed means the same level forever.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (`low` when the range is empty).
    fn range(&mut self, low: i32, high: i32) -> i32 {
        if high <= low {
            return low;
        }
        let span = u64::from(high.abs_diff(low)) + 1;
        low + i32::try_from(self.next() % span).unwrap_or(0)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The knobs a difficulty and level index turn.
struct Params {
    width: i32,
    flat: (i32, i32),
    gap: (i32, i32),
    max_rise: i32,
    max_drop: i32,
    spike_percent: u64,
    stones_percent: u64,
}

impl Params {
    fn new(difficulty: Difficulty, index: u32) -> Params {
        let step = i32::try_from(index.min(8)).unwrap_or(8);
        let (width, per_level) = match difficulty {
            Difficulty::Easy => (60, 15),
            Difficulty::Normal => (70, 20),
            Difficulty::Hard => (80, 25),
        };
        let width = (width + per_level * step).clamp(
            i32::from(MIN_GENERATED_WIDTH),
            i32::from(MAX_GENERATED_WIDTH),
        );
        match difficulty {
            Difficulty::Easy => Params {
                width,
                flat: (5, 9),
                gap: (1, (2 + step / 3).min(3)),
                max_rise: 1,
                max_drop: 2,
                spike_percent: 0,
                stones_percent: 5,
            },
            Difficulty::Normal => Params {
                width,
                flat: (4, 7),
                gap: (1, (3 + step / 3).min(4)),
                max_rise: 2,
                max_drop: 3,
                spike_percent: 15,
                stones_percent: 15,
            },
            Difficulty::Hard => Params {
                width,
                flat: (3, 6),
                gap: (2, 4 + step / 3),
                max_rise: 3,
                max_drop: 4,
                spike_percent: 25,
                stones_percent: 25,
            },
        }
    }
}

/// Share of the ideal jump distance a generated gap may demand: players do not take
/// off at the last sub-pixel at full speed.
const REACH_PERCENT: i32 = 75;
/// Rows the ground surface may use: high enough to leave sky above a jump, low
/// enough to leave two tiles of ground.
const HIGHEST_GROUND: i32 = 6;
const LOWEST_GROUND: i32 = GENERATED_HEIGHT as i32 - 2;
/// Run-up before every jump, in tiles.
const RUNWAY: i32 = 3;

/// What the physics allows the generator to ask of the player.
struct Reach {
    physics: Physics,
    /// Largest step up, in tiles, with margin over the jump apex.
    max_rise: i32,
}

impl Reach {
    fn new(physics: Physics) -> Reach {
        let apex = physics.jump_apex();
        let max_rise = (apex - TILE / 2) / TILE;
        Reach { physics, max_rise }
    }

    /// Widest gap, in tiles, whose far side is `rise` tiles higher (negative: lower).
    fn max_gap(&self, rise: i32) -> i32 {
        if rise > self.max_rise {
            return 0;
        }
        let Some(distance) = self.physics.jump_distance(rise * TILE) else {
            return 0;
        };
        // The hitbox only has to overlap each side, so it spans the gap with its width.
        (distance * REACH_PERCENT / 100 + PLAYER_W) / TILE
    }

    /// Tiles from a ledge to the far end of where a full running jump taken at the
    /// ledge lands, `rise` tiles higher: landing ground that long catches any jump.
    fn landing_tiles(&self, rise: i32) -> i32 {
        let distance = self.physics.jump_distance(rise * TILE).unwrap_or(0);
        (distance + PLAYER_W) / TILE + 2
    }
}

/// Builds the level map column range by column range.
struct Builder {
    level: Level,
}

impl Builder {
    /// Solid from row `surface` down to the bottom, for `len` columns from `x`.
    fn ground(&mut self, x: i32, len: i32, surface: i32) {
        for column in x..x + len {
            for row in surface..i32::from(self.level.height) {
                self.level.set(column, row, Tile::Solid);
            }
        }
    }

    fn platform(&mut self, x: i32, len: i32, row: i32) {
        for column in x..x + len {
            self.level.set(column, row, Tile::Solid);
        }
    }

    fn treats(&mut self, x: i32, len: i32, row: i32) {
        for column in x..x + len {
            self.level.set(column, row, Tile::Treat);
        }
    }
}

/// Generates level `index` of a game. The same arguments always give the same level.
///
/// The map is a sequence of segments: flat runs (with treats, a raised bonus platform
/// or a spike to hop), gaps, steps up and down, and gaps with a stepping-stone
/// platform. Every gap and step is checked against the jump reach of the theme's
/// physics, and every jump has a run-up and room to land, so each level can be
/// completed by construction (`bot::play_level` checks it with the real simulation).
pub fn generate(seed: u64, theme: Theme, difficulty: Difficulty, index: u32) -> Level {
    let params = Params::new(difficulty, index);
    let reach = Reach::new(Physics::for_theme(theme));
    let salt = (u64::from(index) << 8) | ((theme as u64) << 4) | difficulty as u64;
    let mut rng = SplitMix64(seed ^ salt.wrapping_mul(0xA076_1D64_78BD_642F));
    let width = params.width;
    let mut b = Builder {
        level: Level::empty(
            u16::try_from(width).unwrap_or(MAX_GENERATED_WIDTH),
            GENERATED_HEIGHT,
        ),
    };
    let mut surface = LOWEST_GROUND - 1;
    let start = 8;
    b.ground(0, start, surface);
    b.level.spawn = (2, u16::try_from(surface - 1).unwrap_or(0));
    let mut x = start;
    // The last run, with the goal, is at least this long.
    let finish = 10;
    // Near the end, a few smaller segments may still fit where a big one did not.
    let mut misses = 0;
    while misses < 4 {
        let segment = plan_segment(&mut rng, &params, &reach, surface);
        if x + segment.width() > width - finish {
            misses += 1;
            continue;
        }
        surface = segment.build(&mut b, &mut rng, x, surface);
        x += segment.width();
    }

    b.ground(x, width - x, surface);
    decorate_run(&mut b, &mut rng, x, width - x - 6, surface);
    let goal = (width - 4, surface - 1);
    b.level.set(goal.0, goal.1, Tile::Goal);
    b.level.goal = (
        u16::try_from(goal.0).unwrap_or(0),
        u16::try_from(goal.1).unwrap_or(0),
    );
    b.level
}

/// One stretch of level, planned before it is built so it can be checked to fit.
enum Segment {
    /// Flat ground, decorated with treats or a raised platform.
    Flat { len: i32 },
    /// Flat ground with a spike to hop, room to run up and to land.
    Spike { runway: i32, landing: i32 },
    /// A pit, then ground at `next` long enough to catch a full jump.
    Gap { gap: i32, next: i32, landing: i32 },
    /// A pit too wide to jump with a platform on row `row` in the middle.
    Stones {
        first: i32,
        stone: i32,
        row: i32,
        second: i32,
        next: i32,
        landing: i32,
    },
    /// A step up or down to ground at `next`.
    Step { next: i32, len: i32 },
}

impl Segment {
    fn width(&self) -> i32 {
        match *self {
            Segment::Flat { len } | Segment::Step { len, .. } => len,
            Segment::Spike { runway, landing } => runway + 1 + landing,
            Segment::Gap { gap, landing, .. } => gap + landing,
            Segment::Stones {
                first,
                stone,
                second,
                landing,
                ..
            } => first + stone + second + landing,
        }
    }

    /// Builds the segment at column `x` from ground at `surface`; returns the ground
    /// surface it ends on.
    fn build(&self, b: &mut Builder, rng: &mut SplitMix64, x: i32, surface: i32) -> i32 {
        match *self {
            Segment::Flat { len } => {
                b.ground(x, len, surface);
                decorate_run(b, rng, x, len, surface);
                surface
            }
            Segment::Spike { runway, landing } => {
                b.ground(x, runway + 1 + landing, surface);
                b.level.set(x + runway, surface - 1, Tile::Spike);
                b.treats(x + runway, 1, surface - 3);
                surface
            }
            Segment::Gap { gap, next, landing } => {
                if gap >= 2 {
                    b.treats(x + gap / 2, 1, surface.min(next) - 3);
                }
                b.ground(x + gap, landing, next);
                next
            }
            Segment::Stones {
                first,
                stone,
                row,
                second,
                next,
                landing,
            } => {
                b.platform(x + first, stone, row);
                b.treats(x + first, stone, row - 1);
                b.ground(x + first + stone + second, landing, next);
                next
            }
            Segment::Step { next, len } => {
                b.ground(x, len, next);
                next
            }
        }
    }
}

/// Picks the next segment from ground at `surface`, within the difficulty's limits
/// and the physics' reach.
fn plan_segment(rng: &mut SplitMix64, params: &Params, reach: &Reach, surface: i32) -> Segment {
    let max_rise = params.max_rise.min(reach.max_rise);
    let spike = 35 + i32::try_from(params.spike_percent).unwrap_or(0);
    let stones = 70 + i32::try_from(params.stones_percent).unwrap_or(0);
    let roll = rng.range(0, 99);
    if roll < 35 {
        Segment::Flat {
            len: rng.range(params.flat.0, params.flat.1),
        }
    } else if roll < spike {
        Segment::Spike {
            runway: RUNWAY,
            landing: reach.landing_tiles(0) - 1,
        }
    } else if roll < 70 {
        let next = next_surface(rng, surface, max_rise, params.max_drop);
        let rise = surface - next;
        let widest = reach.max_gap(rise).min(params.gap.1);
        let gap = rng.range(params.gap.0.min(widest), widest);
        Segment::Gap {
            gap,
            next,
            landing: (reach.landing_tiles(rise) - gap).max(RUNWAY),
        }
    } else if roll < stones {
        let row = (surface - rng.range(0, max_rise.min(1))).max(HIGHEST_GROUND);
        let first = rng.range(2, reach.max_gap(surface - row).min(params.gap.1).max(2));
        let next = (row + rng.range(0, 1)).min(LOWEST_GROUND);
        let second = rng.range(2, reach.max_gap(row - next).min(params.gap.1).max(2));
        Segment::Stones {
            first,
            stone: rng.range(2, 3),
            row,
            second,
            next,
            landing: (reach.landing_tiles(row - next) - second).max(RUNWAY),
        }
    } else {
        Segment::Step {
            next: next_surface(rng, surface, max_rise, params.max_drop),
            len: rng.range(RUNWAY, params.flat.1.max(RUNWAY)),
        }
    }
}

/// A new ground surface within the allowed rise and drop and the usable rows.
fn next_surface(rng: &mut SplitMix64, surface: i32, max_rise: i32, max_drop: i32) -> i32 {
    (surface + rng.range(-max_rise, max_drop)).clamp(HIGHEST_GROUND, LOWEST_GROUND)
}

/// Treats along a flat run, or over a raised platform in the middle of a long one.
fn decorate_run(b: &mut Builder, rng: &mut SplitMix64, x: i32, len: i32, surface: i32) {
    if len >= 8 && rng.chance(50) {
        // Three rows up leaves two free rows to walk under and is within every
        // theme's jump apex.
        let platform = surface - 3;
        b.platform(x + 3, len - 6, platform);
        b.treats(x + 3, len - 6, platform - 1);
    } else if len >= 3 && rng.chance(60) {
        let row = surface - rng.range(1, 2);
        b.treats(x + 1, len - 2, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_arguments_generate_the_same_level() {
        let a = generate(7, Theme::Beach, Difficulty::Normal, 2);
        let b = generate(7, Theme::Beach, Difficulty::Normal, 2);
        assert_eq!(a, b);
        assert_ne!(a, generate(8, Theme::Beach, Difficulty::Normal, 2));
    }

    #[test]
    fn generated_levels_have_a_goal_a_spawn_and_the_promised_size() {
        for seed in 0..50 {
            for theme in Theme::ALL {
                for difficulty in Difficulty::ALL {
                    for index in [0, 3, 9] {
                        let level = generate(seed, theme, difficulty, index);
                        assert_eq!(level.height, GENERATED_HEIGHT);
                        assert!((MIN_GENERATED_WIDTH..=MAX_GENERATED_WIDTH).contains(&level.width));
                        assert_eq!(
                            level.tiles.len(),
                            usize::from(level.width) * usize::from(level.height)
                        );
                        let (gx, gy) = (i32::from(level.goal.0), i32::from(level.goal.1));
                        assert_eq!(level.get(gx, gy), Some(Tile::Goal));
                        assert_eq!(level.get(gx, gy + 1), Some(Tile::Solid));
                        let (sx, sy) = (i32::from(level.spawn.0), i32::from(level.spawn.1));
                        assert_eq!(level.get(sx, sy), Some(Tile::Empty));
                        assert_eq!(level.get(sx, sy + 1), Some(Tile::Solid));
                    }
                }
            }
        }
    }

    #[test]
    fn harder_levels_are_longer_and_have_wider_gaps() {
        let widest_gap = |level: &Level| {
            let bottom = i32::from(level.height) - 1;
            let mut widest = 0;
            let mut run = 0;
            for x in 0..i32::from(level.width) {
                run = if level.get(x, bottom) == Some(Tile::Solid) {
                    0
                } else {
                    run + 1
                };
                widest = widest.max(run);
            }
            widest
        };
        let easy = generate(1, Theme::Garden, Difficulty::Easy, 0);
        let hard = generate(1, Theme::Garden, Difficulty::Hard, 4);
        assert!(hard.width > easy.width);
        let easy_gap = (0..20)
            .map(|s| widest_gap(&generate(s, Theme::Garden, Difficulty::Easy, 0)))
            .max();
        let hard_gap = (0..20)
            .map(|s| widest_gap(&generate(s, Theme::Garden, Difficulty::Hard, 4)))
            .max();
        assert!(hard_gap > easy_gap, "{hard_gap:?} {easy_gap:?}");
    }
}
