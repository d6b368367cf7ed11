//! The seeded level generator: segments sized from the jump reach of the theme's
//! physics, scaled by difficulty and level number, with enemies, moving platforms,
//! hazards and a checkpoint. `solve` checks every candidate with the real simulation.

use crate::chunks::{self, Cell, Chunk};
use crate::level::{
    EnemyKind, EnemySpawn, GENERATED_HEIGHT, Level, MAX_ENEMIES, MAX_GENERATED_WIDTH,
    MIN_GENERATED_WIDTH, Mover, Tile,
};
use crate::physics::{PLAYER_W, Physics, TILE};
use crate::theme::{Difficulty, Theme};

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
    /// Chance that a flat run gets an enemy.
    enemy_percent: u64,
    /// The kinds of enemy this level may have.
    enemy_kinds: &'static [EnemyKind],
    /// Enemy speed, sub-pixels per step.
    enemy_speed: u16,
    /// Chance that a stepping stone is a moving platform.
    mover_percent: u64,
    /// False for the calm fallback: no enemies at all, chunks' included.
    enemies: bool,
}

const PATROL: &[EnemyKind] = &[EnemyKind::Patrol];
const WALKERS: &[EnemyKind] = &[EnemyKind::Patrol, EnemyKind::Hop];
const ALL_KINDS: &[EnemyKind] = &[EnemyKind::Patrol, EnemyKind::Hop, EnemyKind::Fly];

impl Params {
    fn new(difficulty: Difficulty, index: u32) -> Params {
        let step = i32::try_from(index.min(8)).unwrap_or(8);
        let step_u = u64::try_from(step).unwrap_or(8);
        let (width, per_level) = match difficulty {
            Difficulty::Easy => (60, 15),
            Difficulty::Normal => (70, 20),
            Difficulty::Hard => (80, 25),
        };
        let width = (width + per_level * step).clamp(
            i32::from(MIN_GENERATED_WIDTH),
            i32::from(MAX_GENERATED_WIDTH),
        );
        let speed = |base: i32, per: i32| u16::try_from(base + per * step).unwrap_or(64);
        match difficulty {
            Difficulty::Easy => Params {
                width,
                flat: (5, 9),
                gap: (1, (2 + step / 3).min(3)),
                max_rise: 1,
                max_drop: 2,
                spike_percent: 0,
                stones_percent: 5,
                enemy_percent: 20 + 4 * step_u,
                enemy_kinds: if step >= 3 { WALKERS } else { PATROL },
                enemy_speed: speed(40, 4),
                mover_percent: if step >= 4 { 30 } else { 0 },
                enemies: true,
            },
            Difficulty::Normal => Params {
                width,
                flat: (4, 7),
                gap: (1, (3 + step / 3).min(4)),
                max_rise: 2,
                max_drop: 3,
                spike_percent: 15,
                stones_percent: 15,
                enemy_percent: 35 + 5 * step_u,
                enemy_kinds: if step >= 2 { ALL_KINDS } else { WALKERS },
                enemy_speed: speed(56, 6),
                mover_percent: 40,
                enemies: true,
            },
            Difficulty::Hard => Params {
                width,
                flat: (3, 6),
                gap: (2, 4 + step / 3),
                max_rise: 3,
                max_drop: 4,
                spike_percent: 25,
                stones_percent: 25,
                enemy_percent: 70 + 3 * step_u,
                enemy_kinds: ALL_KINDS,
                enemy_speed: speed(72, 8),
                mover_percent: 60,
                enemies: true,
            },
        }
    }

    /// The same level without anything that moves: the fallback when the solver
    /// rejects every candidate with enemies and platforms.
    fn calm(mut self) -> Params {
        self.enemy_percent = 0;
        self.mover_percent = 0;
        self.enemies = false;
        self
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
/// No enemy starts this close to the spawn, in tiles.
const SAFE_START: i32 = 12;
/// Tiles a moving platform travels.
const MOVER_RANGE: i32 = 2;
/// Moving platform speed, sub-pixels per step.
const MOVER_SPEED: i32 = 96;
/// Chance that the next segment is one of the theme's hand-made chunks.
const CHUNK_PERCENT: i32 = 15;

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
struct Builder<'a> {
    level: Level,
    params: &'a Params,
    rng: SplitMix64,
    /// Whether the checkpoint has been placed.
    checkpoint: bool,
}

impl Builder<'_> {
    /// Solid from row `surface` down to the bottom, for `len` columns from `x`.
    fn ground(&mut self, x: i32, len: i32, surface: i32) {
        for column in x..x + len {
            for row in surface..i32::from(self.level.height) {
                self.level.set(column, row, Tile::Solid);
            }
        }
    }

    fn row(&mut self, x: i32, len: i32, row: i32, tile: Tile) {
        for column in x..x + len {
            self.level.set(column, row, tile);
        }
    }

    fn enemy(&mut self, kind: EnemyKind, (x, y): (i32, i32), range: u8, vertical: bool) {
        if !self.params.enemies || self.level.enemies.len() >= MAX_ENEMIES || x < SAFE_START {
            return;
        }
        let (Ok(x), Ok(y)) = (u16::try_from(x), u16::try_from(y)) else {
            return;
        };
        self.level.enemies.push(EnemySpawn {
            kind,
            tile: (x, y),
            speed: self.params.enemy_speed,
            range,
            vertical,
        });
    }

    /// Decorates a flat run of `len` columns from `x` on ground at `surface`: the
    /// checkpoint past half way, else maybe an enemy (when `enemies`), then treats or a
    /// raised ledge.
    fn decorate_run(&mut self, x: i32, len: i32, surface: i32, enemies: bool) {
        if !self.checkpoint && len >= 3 && x * 2 > i32::from(self.level.width) {
            self.checkpoint = true;
            self.level.set(x + 1, surface - 1, Tile::Checkpoint);
            return;
        }
        if enemies && len >= 4 && self.rng.chance(self.params.enemy_percent) {
            self.place_enemy(x, len, surface);
        }
        if len >= 8 && self.rng.chance(50) {
            // Three rows up leaves two free rows to walk under and is within every
            // theme's jump apex; one-way, so it can be jumped onto from below.
            let platform = surface - 3;
            self.row(x + 3, len - 6, platform, Tile::OneWay);
            self.row(x + 3, len - 6, platform - 1, Tile::Treat);
        } else if len >= 3 && self.rng.chance(60) {
            let row = surface - self.rng.range(1, 2);
            self.row(x + 1, len - 2, row, Tile::Treat);
        }
    }

    fn place_enemy(&mut self, x: i32, len: i32, surface: i32) {
        let kinds = self.params.enemy_kinds;
        let pick = self
            .rng
            .range(0, i32::try_from(kinds.len()).unwrap_or(1) - 1);
        let kind = kinds
            .get(usize::try_from(pick).unwrap_or(0))
            .copied()
            .unwrap_or(EnemyKind::Patrol);
        match kind {
            EnemyKind::Patrol | EnemyKind::Hop => {
                self.enemy(kind, (x + len - 2, surface - 1), 0, false);
            }
            EnemyKind::Fly => {
                // Up and down from the ground, or left and right above head height.
                let vertical = self.rng.chance(50);
                let (row, range) = if vertical {
                    (surface - 1, 3)
                } else {
                    (surface - 2, u8::try_from(len / 2).unwrap_or(2))
                };
                self.enemy(kind, (x + 1, row), range, vertical);
            }
        }
    }
}

/// Candidate `attempt` for level `index` of a game. The same arguments always give
/// the same level. `calm` leaves out enemies and moving platforms.
///
/// The map is a sequence of segments: flat runs (with treats, a raised ledge, an
/// enemy or a spike to hop), gaps (over water on some themes), steps up and down,
/// and pits with a stepping stone or a moving platform. Every gap and step is
/// sized from the jump reach of the theme's physics with a run-up and room to land;
/// whether the enemies and platforms leave a way through is for `solve` to check.
pub fn candidate(
    seed: u64,
    theme: Theme,
    difficulty: Difficulty,
    index: u32,
    attempt: u32,
    calm: bool,
) -> Level {
    build(seed, theme, difficulty, index, attempt, calm).0
}

/// `candidate`, with the names of the chunks it used.
fn build(
    seed: u64,
    theme: Theme,
    difficulty: Difficulty,
    index: u32,
    attempt: u32,
    calm: bool,
) -> (Level, Vec<&'static str>) {
    let params = Params::new(difficulty, index);
    let params = if calm { params.calm() } else { params };
    let reach = Reach::new(Physics::for_theme(theme));
    let chunks: Vec<&Chunk> = chunks::for_theme(theme)
        .iter()
        .filter(|c| c.min_difficulty as u8 <= difficulty as u8)
        .collect();
    let salt = (u64::from(attempt) << 16)
        | (u64::from(index) << 8)
        | ((theme as u64) << 4)
        | difficulty as u64;
    let width = params.width;
    let mut b = Builder {
        level: Level::empty(
            u16::try_from(width).unwrap_or(MAX_GENERATED_WIDTH),
            GENERATED_HEIGHT,
        ),
        params: &params,
        rng: SplitMix64(seed ^ salt.wrapping_mul(0xA076_1D64_78BD_642F)),
        checkpoint: false,
    };
    let mut used = Vec::new();
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
        let segment = plan_segment(&mut b.rng, &params, &reach, &chunks, surface);
        if x + segment.width() > width - finish {
            misses += 1;
            continue;
        }
        if let Segment::Chunk(chunk) = segment {
            used.push(chunk.name.as_str());
        }
        surface = segment.build(&mut b, x, surface);
        x += segment.width();
    }

    b.ground(x, width - x, surface);
    // No enemy guards the goal.
    b.decorate_run(x, width - x - 6, surface, false);
    let goal = (width - 4, surface - 1);
    b.level.set(goal.0, goal.1, Tile::Goal);
    b.level.goal = (
        u16::try_from(goal.0).unwrap_or(0),
        u16::try_from(goal.1).unwrap_or(0),
    );
    if has_water(theme, seed ^ u64::from(index)) {
        flood_pits(&mut b.level);
    }
    (b.level, used)
}

/// Beaches always have water in their pits; gardens and parks have ponds in some
/// levels; houses and space have plain drops.
fn has_water(theme: Theme, seed: u64) -> bool {
    match theme {
        Theme::Beach => true,
        Theme::Garden | Theme::Park => seed.is_multiple_of(2),
        Theme::House | Theme::Space => false,
    }
}

/// Fills the bottom row of every pit with water.
fn flood_pits(level: &mut Level) {
    let bottom = i32::from(level.height) - 1;
    for x in 0..i32::from(level.width) {
        if level.get(x, bottom) == Some(Tile::Empty) {
            level.set(x, bottom, Tile::Water);
        }
    }
}

/// One stretch of level, planned before it is built so it can be checked to fit.
enum Segment {
    /// Flat ground, decorated with treats, a raised ledge or an enemy.
    Flat { len: i32 },
    /// Flat ground with a spike to hop, room to run up and to land.
    Spike { runway: i32, landing: i32 },
    /// A pit, then ground at `next` long enough to catch a full jump.
    Gap { gap: i32, next: i32, landing: i32 },
    /// A pit too wide to jump with a platform on row `row` in the middle, standing
    /// or moving `MOVER_RANGE` tiles to the right and back.
    Stones {
        first: i32,
        stone: i32,
        row: i32,
        moving: bool,
        second: i32,
        next: i32,
        landing: i32,
    },
    /// A step up or down to ground at `next`.
    Step { next: i32, len: i32 },
    /// One of the theme's hand-made chunks, its last row on the ground.
    Chunk(&'static Chunk),
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
                moving,
                second,
                landing,
                ..
            } => first + stone + if moving { MOVER_RANGE } else { 0 } + second + landing,
            Segment::Chunk(chunk) => i32::try_from(chunk.width()).unwrap_or(0),
        }
    }

    /// Builds the segment at column `x` from ground at `surface`; returns the ground
    /// surface it ends on.
    fn build(&self, b: &mut Builder<'_>, x: i32, surface: i32) -> i32 {
        match *self {
            Segment::Flat { len } => {
                b.ground(x, len, surface);
                b.decorate_run(x, len, surface, true);
                surface
            }
            Segment::Spike { runway, landing } => {
                b.ground(x, runway + 1 + landing, surface);
                b.level.set(x + runway, surface - 1, Tile::Spike);
                b.row(x + runway, 1, surface - 3, Tile::Treat);
                surface
            }
            Segment::Gap { gap, next, landing } => {
                if gap >= 2 {
                    b.row(x + gap / 2, 1, surface.min(next) - 3, Tile::Treat);
                }
                b.ground(x + gap, landing, next);
                next
            }
            Segment::Stones {
                first,
                stone,
                row,
                moving,
                second,
                next,
                landing,
            } => {
                let travel = if moving { MOVER_RANGE } else { 0 };
                if moving {
                    b.level.movers.push(Mover {
                        tile: (
                            u16::try_from(x + first).unwrap_or(0),
                            u16::try_from(row).unwrap_or(0),
                        ),
                        len: u8::try_from(stone).unwrap_or(2),
                        range: MOVER_RANGE as u8,
                        vertical: false,
                        period: u16::try_from(MOVER_RANGE * TILE * 2 / MOVER_SPEED).unwrap_or(200),
                    });
                } else {
                    b.row(x + first, stone, row, Tile::Solid);
                }
                b.row(x + first, stone + travel, row - 2, Tile::Treat);
                b.ground(x + first + stone + travel + second, landing, next);
                next
            }
            Segment::Step { next, len } => {
                b.ground(x, len, next);
                if len >= 4 {
                    b.decorate_run(x, len, next, true);
                }
                next
            }
            Segment::Chunk(chunk) => {
                b.chunk(chunk, x, surface);
                surface
            }
        }
    }
}

impl Builder<'_> {
    /// Copies a chunk in with its last row at `surface`; ground cells there reach
    /// down to the bottom, empty ones are pits.
    fn chunk(&mut self, chunk: &Chunk, x: i32, surface: i32) {
        let height = i32::try_from(chunk.rows.len()).unwrap_or(0);
        for (r, row) in (0..).zip(&chunk.rows) {
            let ty = surface - (height - 1 - r);
            for (c, &cell) in (0..).zip(row) {
                let tx = x + c;
                match cell {
                    Cell::Tile(Tile::Solid) if r == height - 1 => self.ground(tx, 1, surface),
                    Cell::Tile(tile) => self.level.set(tx, ty, tile),
                    Cell::Enemy(kind, vertical) => {
                        let range = if kind == EnemyKind::Fly { 3 } else { 0 };
                        self.enemy(kind, (tx, ty), range, vertical);
                    }
                }
            }
        }
    }
}

/// Picks the next segment from ground at `surface`, within the difficulty's limits
/// and the physics' reach.
fn plan_segment(
    rng: &mut SplitMix64,
    params: &Params,
    reach: &Reach,
    chunks: &[&'static Chunk],
    surface: i32,
) -> Segment {
    if !chunks.is_empty() && rng.range(0, 99) < CHUNK_PERCENT {
        let pick = rng.range(0, i32::try_from(chunks.len()).unwrap_or(1) - 1);
        if let Some(&chunk) = chunks.get(usize::try_from(pick).unwrap_or(0)) {
            let fits = surface + 1 >= i32::try_from(chunk.rows.len()).unwrap_or(i32::MAX);
            if fits {
                return Segment::Chunk(chunk);
            }
        }
    }
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
            moving: rng.chance(params.mover_percent),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn level(seed: u64, theme: Theme, difficulty: Difficulty, index: u32) -> Level {
        candidate(seed, theme, difficulty, index, 0, false)
    }

    #[test]
    fn the_same_arguments_generate_the_same_level() {
        let a = level(7, Theme::Beach, Difficulty::Normal, 2);
        assert_eq!(a, level(7, Theme::Beach, Difficulty::Normal, 2));
        assert_ne!(a, level(8, Theme::Beach, Difficulty::Normal, 2));
        assert_ne!(
            a,
            candidate(7, Theme::Beach, Difficulty::Normal, 2, 1, false)
        );
    }

    #[test]
    fn generated_levels_have_a_goal_a_spawn_and_the_promised_size() {
        for seed in 0..50 {
            for theme in Theme::ALL {
                for difficulty in Difficulty::ALL {
                    for index in [0, 3, 9] {
                        let level = level(seed, theme, difficulty, index);
                        assert_eq!(
                            level.validate(MAX_GENERATED_WIDTH, GENERATED_HEIGHT),
                            Ok(())
                        );
                        assert!(level.width >= MIN_GENERATED_WIDTH);
                        let (gx, gy) = (i32::from(level.goal.0), i32::from(level.goal.1));
                        assert_eq!(level.get(gx, gy + 1), Some(Tile::Solid));
                        let (sx, sy) = (i32::from(level.spawn.0), i32::from(level.spawn.1));
                        assert_eq!(level.get(sx, sy), Some(Tile::Empty));
                        assert_eq!(level.get(sx, sy + 1), Some(Tile::Solid));
                        assert!(
                            level
                                .enemies
                                .iter()
                                .all(|e| i32::from(e.tile.0) >= SAFE_START),
                            "an enemy at the spawn"
                        );
                    }
                }
            }
        }
    }

    fn widest_gap(level: &Level) -> i32 {
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
    }

    #[test]
    fn harder_and_later_levels_are_longer_wider_and_busier() {
        let sum = |difficulty, index, measure: &dyn Fn(&Level) -> usize| -> usize {
            (0..40)
                .map(|s| measure(&level(s, Theme::Garden, difficulty, index)))
                .sum()
        };
        let enemies = |l: &Level| l.enemies.len();
        let movers = |l: &Level| l.movers.len();
        let gap = |l: &Level| usize::try_from(widest_gap(l)).unwrap_or(0);
        let width = |l: &Level| usize::from(l.width);
        assert!(sum(Difficulty::Hard, 4, &width) > sum(Difficulty::Easy, 0, &width));
        assert!(sum(Difficulty::Hard, 4, &gap) > sum(Difficulty::Easy, 0, &gap));
        assert!(sum(Difficulty::Easy, 6, &enemies) > sum(Difficulty::Easy, 0, &enemies));
        assert!(sum(Difficulty::Hard, 0, &enemies) > sum(Difficulty::Normal, 0, &enemies));
        assert!(sum(Difficulty::Normal, 0, &enemies) > sum(Difficulty::Easy, 0, &enemies));
        assert!(sum(Difficulty::Hard, 2, &movers) > sum(Difficulty::Easy, 2, &movers));
        let flyers = |l: &Level| {
            l.enemies
                .iter()
                .filter(|e| e.kind == EnemyKind::Fly)
                .count()
        };
        assert_eq!(
            sum(Difficulty::Easy, 8, &flyers),
            0,
            "easy games have no flyers"
        );
        assert!(sum(Difficulty::Hard, 0, &flyers) > 0);
    }

    #[test]
    fn levels_use_the_themes_hand_made_chunks() {
        for theme in Theme::ALL {
            let mut easy: Vec<&str> = (0..40)
                .flat_map(|s| build(s, theme, Difficulty::Easy, 2, 0, false).1)
                .collect();
            easy.sort_unstable();
            easy.dedup();
            assert!(easy.len() >= 2, "{theme:?} used {easy:?}");
            let hard_only: Vec<&str> = chunks::for_theme(theme)
                .iter()
                .filter(|c| c.min_difficulty == Difficulty::Hard)
                .map(|c| c.name.as_str())
                .collect();
            assert!(
                easy.iter().all(|name| !hard_only.contains(name)),
                "{theme:?}"
            );
        }
    }

    #[test]
    fn calm_candidates_have_nothing_that_moves() {
        for seed in 0..20 {
            let level = candidate(seed, Theme::Park, Difficulty::Hard, 8, 0, true);
            assert!(level.enemies.is_empty() && level.movers.is_empty());
        }
    }

    #[test]
    fn beaches_have_water_in_their_pits_and_houses_do_not() {
        let water = |theme| {
            (0..10)
                .flat_map(|s| level(s, theme, Difficulty::Normal, 3).tiles)
                .filter(|&t| t == Tile::Water)
                .count()
        };
        assert!(water(Theme::Beach) > 0);
        assert_eq!(water(Theme::House), 0);
    }

    #[test]
    fn most_levels_have_a_checkpoint_past_half_way() {
        let with_checkpoint = (0..50)
            .filter(|&s| {
                let level = level(s, Theme::Space, Difficulty::Normal, 4);
                level.tiles.iter().enumerate().any(|(i, &t)| {
                    t == Tile::Checkpoint
                        && i % usize::from(level.width) * 2 > usize::from(level.width)
                })
            })
            .count();
        assert!(with_checkpoint >= 45, "{with_checkpoint} of 50");
    }
}
