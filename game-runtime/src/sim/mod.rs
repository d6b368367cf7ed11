//! The pure fixed-step game simulation: `step(&mut World, Buttons)` at 60 Hz in
//! integer sub-pixels, so recorded input replays bit-exactly.

mod body;
mod enemy;

use std::rc::Rc;

pub use enemy::{ENEMY_H_PX, ENEMY_W_PX, Enemy, SQUASHED_STEPS};

use self::body::{Body, Stop};
use crate::format::GameData;
use crate::level::{Level, Tile};
use crate::physics::{PLAYER_H, PLAYER_W, Physics, SUBPIXELS, TILE};

/// The buttons held during one step, as a bitset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Buttons(u8);

impl Buttons {
    pub const NONE: Buttons = Buttons(0);
    pub const LEFT: Buttons = Buttons(1);
    pub const RIGHT: Buttons = Buttons(2);
    pub const JUMP: Buttons = Buttons(4);
    pub const START: Buttons = Buttons(8);
    pub const PAUSE: Buttons = Buttons(16);

    /// Buttons from the loader's bitset; unknown bits are ignored.
    pub fn from_bits(bits: u32) -> Buttons {
        Buttons((bits & 0x1F) as u8)
    }

    pub fn bits(self) -> u32 {
        u32::from(self.0)
    }

    /// True when any of `other`'s buttons is held.
    pub fn any(self, other: Buttons) -> bool {
        self.0 & other.0 != 0
    }

    /// The buttons held now that were not held in `previous`.
    pub fn pressed_since(self, previous: Buttons) -> Buttons {
        Buttons(self.0 & !previous.0)
    }
}

impl core::ops::BitOr for Buttons {
    type Output = Buttons;
    fn bitor(self, other: Buttons) -> Buttons {
        Buttons(self.0 | other.0)
    }
}

/// What happened during a step, for the page to play sounds: a bitset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Events(u8);

impl Events {
    pub const NONE: Events = Events(0);
    pub const JUMP: Events = Events(1);
    pub const TREAT: Events = Events(2);
    pub const STOMP: Events = Events(4);
    pub const HURT: Events = Events(8);
    pub const CHECKPOINT: Events = Events(16);
    pub const GOAL: Events = Events(32);

    pub fn bits(self) -> u32 {
        u32::from(self.0)
    }

    pub fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    fn add(&mut self, other: Events) {
        self.0 |= other.0;
    }
}

/// Which screen the game is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Title,
    Playing,
    /// Play is frozen until pause (or start) is pressed again.
    Paused,
    /// The level's goal was reached; the next level loads after a short celebration.
    LevelComplete,
    /// The last level's goal was reached.
    GameComplete,
}

impl State {
    /// The name the page's test hook reports.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Title => "title",
            State::Playing => "playing",
            State::Paused => "paused",
            State::LevelComplete => "level_complete",
            State::GameComplete => "game_complete",
        }
    }
}

/// Lives at the start of a level; losing the last one restarts the level.
pub const START_LIVES: u8 = 3;
/// Steps the hurt animation plays before the player respawns.
pub const HURT_STEPS: u16 = 45;
/// Steps of celebration before the next level loads by itself.
pub const LEVEL_COMPLETE_STEPS: u32 = 150;
/// Steps before a button press may skip an overlay, so a held jump does not skip it.
const OVERLAY_LOCK_STEPS: u32 = 30;
/// Points for a treat and for a stomped enemy.
pub const TREAT_POINTS: u32 = 10;
pub const STOMP_POINTS: u32 = 50;
/// A stomp counts when the player's feet were at most this far into the enemy.
const STOMP_DEPTH: i32 = 6 * SUBPIXELS;

/// The player: a hitbox with its top-left corner at `x`, `y` (sub-pixels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Player {
    pub x: i32,
    pub y: i32,
    pub vx: i32,
    pub vy: i32,
    pub on_ground: bool,
    pub facing_left: bool,
    /// Steps left in which a jump is still allowed after leaving the ground.
    pub coyote: u8,
    /// Steps left in which an early jump press is still honoured.
    pub jump_buffer: u8,
    /// Steps left of the hurt animation; the player does not move meanwhile.
    pub hurt: u16,
    /// The moving platform the player stands on, which carries it.
    pub riding: Option<u8>,
}

/// Everything that changes while playing. Rendering only reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct World {
    pub physics: Physics,
    levels: Rc<[Level]>,
    pub level_index: usize,
    /// The current level, with the treats collected so far removed.
    pub level: Level,
    pub enemies: Vec<Enemy>,
    pub player: Player,
    pub state: State,
    /// Steps since the state last changed.
    pub state_steps: u32,
    /// Points: treats and stomps.
    pub score: u32,
    /// Treats collected in the whole game.
    pub treats: u32,
    /// Score and treats when the level began, restored when it restarts.
    at_level_start: (u32, u32),
    pub lives: u8,
    /// Steps since the world was made; drives animations.
    pub steps: u32,
    /// Steps played in this level; moves the platforms and flyers.
    pub level_steps: u32,
    /// The checkpoint touched last in this level.
    pub checkpoint: Option<(u16, u16)>,
    /// What happened in the last step.
    pub events: Events,
    previous: Buttons,
}

impl World {
    /// A world playing level `level_index` (clamped to the last level).
    pub fn new(data: &GameData, level_index: usize) -> World {
        World::with_levels(data.physics, data.levels.clone().into(), level_index)
    }

    /// A world with one level, as the solver plays it.
    pub fn single(physics: Physics, level: Level) -> World {
        World::with_levels(physics, vec![level].into(), 0)
    }

    fn with_levels(physics: Physics, levels: Rc<[Level]>, level_index: usize) -> World {
        let level_index = level_index.min(levels.len().saturating_sub(1));
        let level = levels
            .get(level_index)
            .cloned()
            .unwrap_or_else(|| Level::empty(1, 1));
        let mut world = World {
            physics,
            levels,
            level_index,
            level,
            enemies: Vec::new(),
            player: Player::default(),
            state: State::Playing,
            state_steps: 0,
            score: 0,
            treats: 0,
            at_level_start: (0, 0),
            lives: START_LIVES,
            steps: 0,
            level_steps: 0,
            checkpoint: None,
            events: Events::NONE,
            previous: Buttons::NONE,
        };
        world.load_level(level_index);
        world
    }

    /// A world on the title screen, which starts level 0 on jump or start.
    pub fn title(data: &GameData) -> World {
        World {
            state: State::Title,
            ..World::new(data, 0)
        }
    }

    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// True when a jump pressed now would take off (on the ground or in coyote time).
    pub fn can_jump(&self) -> bool {
        self.state == State::Playing
            && self.player.hurt == 0
            && (self.player.on_ground || self.player.coyote > 0)
    }

    /// The player's position in whole pixels (top-left of the hitbox).
    pub fn player_px(&self) -> (i32, i32) {
        (
            self.player.x.div_euclid(SUBPIXELS),
            self.player.y.div_euclid(SUBPIXELS),
        )
    }

    /// Top-left corners of the moving platforms now, in sub-pixels.
    pub fn mover_positions(&self) -> impl Iterator<Item = (i32, i32, i32)> + '_ {
        self.level.movers.iter().map(|m| {
            let (x, y) = m.position(self.level_steps);
            (x, y, m.width())
        })
    }

    /// Standing in tile `(tx, ty)`, on the tile below it.
    fn place_at(&mut self, (tx, ty): (u16, u16)) {
        self.player = Player {
            x: i32::from(tx) * TILE + (TILE - PLAYER_W) / 2,
            y: (i32::from(ty) + 1) * TILE - PLAYER_H,
            on_ground: true,
            ..Player::default()
        };
        self.enemies = self.level.enemies.iter().map(Enemy::spawn).collect();
    }

    fn load_level(&mut self, index: usize) {
        if let Some(level) = self.levels.get(index) {
            self.level = level.clone();
            self.level_index = index;
        }
        self.at_level_start = (self.score, self.treats);
        self.checkpoint = None;
        self.level_steps = 0;
        self.place_at(self.level.spawn);
    }

    fn set_state(&mut self, state: State) {
        self.state = state;
        self.state_steps = 0;
    }

    fn hurt(&mut self) {
        self.player.hurt = HURT_STEPS;
        self.player.vx = 0;
        self.player.vy = 0;
        self.player.riding = None;
        self.lives = self.lives.saturating_sub(1);
        self.events.add(Events::HURT);
    }

    fn respawn(&mut self) {
        if self.lives == 0 {
            self.lives = START_LIVES;
            (self.score, self.treats) = self.at_level_start;
            self.load_level(self.level_index);
        } else {
            self.place_at(self.checkpoint.unwrap_or(self.level.spawn));
        }
    }

    fn player_body(&self) -> Body {
        let p = &self.player;
        Body {
            x: p.x,
            y: p.y,
            w: PLAYER_W,
            h: PLAYER_H,
            vx: p.vx,
            vy: p.vy,
        }
    }

    fn set_player_body(&mut self, b: &Body) {
        let p = &mut self.player;
        (p.x, p.y, p.vx, p.vy) = (b.x, b.y, b.vx, b.vy);
    }
}

/// Advances the world by one 1/60 s step with `buttons` held.
pub fn step(world: &mut World, buttons: Buttons) {
    let pressed = buttons.pressed_since(world.previous);
    world.previous = buttons;
    world.events = Events::NONE;
    world.steps = world.steps.wrapping_add(1);
    world.state_steps = world.state_steps.saturating_add(1);
    let go = pressed.any(Buttons::JUMP | Buttons::START);
    let unlocked = world.state_steps > OVERLAY_LOCK_STEPS;
    match world.state {
        State::Title if go => world.set_state(State::Playing),
        State::Title => {}
        State::Playing if pressed.any(Buttons::PAUSE) => world.set_state(State::Paused),
        State::Playing => play(world, buttons, pressed),
        State::Paused if pressed.any(Buttons::PAUSE | Buttons::START) => {
            world.set_state(State::Playing);
        }
        State::Paused => {}
        State::LevelComplete if world.state_steps >= LEVEL_COMPLETE_STEPS || (go && unlocked) => {
            world.load_level(world.level_index + 1);
            world.set_state(State::Playing);
        }
        State::LevelComplete => {}
        State::GameComplete if go && unlocked => {
            (world.score, world.treats) = (0, 0);
            world.lives = START_LIVES;
            world.load_level(0);
            world.set_state(State::Title);
        }
        State::GameComplete => {}
    }
}

fn play(world: &mut World, buttons: Buttons, pressed: Buttons) {
    world.level_steps = world.level_steps.wrapping_add(1);
    update_enemies(world);
    if world.player.hurt > 0 {
        world.player.hurt -= 1;
        if world.player.hurt == 0 {
            world.respawn();
        }
        return;
    }
    ride(world);
    steer(world, buttons, pressed);

    let before = world.player;
    let mut b = world.player_body();
    body::move_x(&world.level, &mut b);
    let stop = body::move_y(&world.level, &mut b);
    world.set_player_body(&b);
    world.player.on_ground = stop == Stop::Floor;
    world.player.riding = None;
    if stop == Stop::None && before.vy >= 0 {
        land_on_mover(world, before.y + PLAYER_H);
    }

    touch_enemies(world, &before, buttons);
    if world.player.hurt == 0 {
        touch_tiles(world);
    }
    let bottom_of_level = i32::from(world.level.height) * TILE;
    if world.state == State::Playing && world.player.hurt == 0 && world.player.y > bottom_of_level {
        world.hurt();
    }
}

/// Running, jumping (with buffer and coyote time) and gravity from the buttons.
fn steer(world: &mut World, buttons: Buttons, pressed: Buttons) {
    let physics = world.physics;
    let p = &mut world.player;
    let direction = i32::from(buttons.any(Buttons::RIGHT)) - i32::from(buttons.any(Buttons::LEFT));
    if direction != 0 {
        let accel = if p.on_ground {
            physics.run_accel
        } else {
            physics.air_accel
        };
        p.vx = (p.vx + direction * accel).clamp(-physics.max_run, physics.max_run);
        p.facing_left = direction < 0;
    } else {
        let friction = if p.on_ground {
            physics.friction
        } else {
            physics.air_friction
        };
        p.vx = p.vx.signum() * (p.vx.abs() - friction).max(0);
    }

    if pressed.any(Buttons::JUMP) {
        p.jump_buffer = physics.jump_buffer_steps;
    } else {
        p.jump_buffer = p.jump_buffer.saturating_sub(1);
    }
    if p.jump_buffer > 0 && (p.on_ground || p.coyote > 0) {
        p.vy = -physics.jump_velocity;
        p.jump_buffer = 0;
        p.coyote = 0;
        world.events.add(Events::JUMP);
    } else if p.on_ground {
        p.coyote = physics.coyote_steps;
    } else {
        p.coyote = p.coyote.saturating_sub(1);
    }
    if !buttons.any(Buttons::JUMP) && p.vy < -physics.jump_cut {
        p.vy = -physics.jump_cut;
    }
    p.vy = (p.vy + physics.gravity).min(physics.max_fall);
}

/// The platform under the player carries it by the distance it moved this step.
fn ride(world: &mut World) {
    let Some(index) = world.player.riding else {
        return;
    };
    let Some(mover) = world.level.movers.get(usize::from(index)) else {
        return;
    };
    let now = mover.position(world.level_steps);
    let before = mover.position(world.level_steps.wrapping_sub(1));
    let mut b = world.player_body();
    b.vx = now.0 - before.0;
    body::move_x(&world.level, &mut b);
    b.y += now.1 - before.1;
    b.vx = world.player.vx;
    world.set_player_body(&b);
}

/// Lands the player on a moving platform its feet passed through this step.
fn land_on_mover(world: &mut World, previous_bottom: i32) {
    let p = world.player;
    let bottom = p.y + PLAYER_H;
    let landing = world.level.movers.iter().enumerate().find_map(|(i, m)| {
        let (x, top) = m.position(world.level_steps);
        let (_, top_before) = m.position(world.level_steps.wrapping_sub(1));
        // A rising platform meets the feet early: allow for its own move.
        let reach = top + (top_before - top).max(0);
        let over = p.x < x + m.width() && x < p.x + PLAYER_W;
        (over && previous_bottom <= reach && bottom >= top).then_some((i, top))
    });
    if let Some((index, top)) = landing {
        let p = &mut world.player;
        p.y = top - PLAYER_H;
        p.vy = 0;
        p.on_ground = true;
        p.riding = u8::try_from(index).ok();
    }
}

fn update_enemies(world: &mut World) {
    let (level, physics, steps) = (&world.level, &world.physics, world.level_steps);
    for enemy in &mut world.enemies {
        enemy.update(level, physics, steps, world.player.x);
    }
}

/// Stomps (falling onto an enemy from above) and hurts (any other touch).
fn touch_enemies(world: &mut World, before: &Player, buttons: Buttons) {
    if world.player.hurt > 0 {
        return;
    }
    let p = world.player;
    let player_box = (p.x, p.y, PLAYER_W, PLAYER_H);
    let previous_bottom = before.y + PLAYER_H;
    let mut hurt = false;
    for enemy in world.enemies.iter_mut().filter(|e| e.alive()) {
        if !body::overlaps(player_box, enemy.hurt_box()) {
            continue;
        }
        let falling = before.vy > 0 || p.vy > 0;
        if falling && previous_bottom <= enemy.y + STOMP_DEPTH {
            enemy.defeated = 1;
            world.score += STOMP_POINTS;
            world.events.add(Events::STOMP);
            // Holding jump bounces high, as if jumping off the enemy.
            let bounce = if buttons.any(Buttons::JUMP) {
                world.physics.jump_velocity
            } else {
                world.physics.jump_velocity * 2 / 3
            };
            world.player.vy = -bounce;
            world.player.on_ground = false;
        } else {
            hurt = true;
        }
    }
    if hurt {
        world.hurt();
    }
}

/// Treats, spikes, water, checkpoints and the goal under the player.
fn touch_tiles(world: &mut World) {
    let p = world.player;
    let (y0, y1) = (p.y.div_euclid(TILE), (p.y + PLAYER_H - 1).div_euclid(TILE));
    for ty in y0..=y1 {
        for tx in body::columns(p.x, PLAYER_W) {
            match world.level.get(tx, ty) {
                Some(Tile::Treat) => {
                    world.level.set(tx, ty, Tile::Empty);
                    world.score += TREAT_POINTS;
                    world.treats += 1;
                    world.events.add(Events::TREAT);
                }
                Some(Tile::Spike) if touches_hazard(&p, tx, ty, 6) => {
                    world.hurt();
                    return;
                }
                Some(Tile::Water) if touches_hazard(&p, tx, ty, 4) => {
                    world.hurt();
                    return;
                }
                Some(Tile::Checkpoint) => {
                    let here = (u16::try_from(tx).ok(), u16::try_from(ty).ok());
                    if let (Some(x), Some(y)) = here
                        && world.checkpoint != Some((x, y))
                    {
                        world.checkpoint = Some((x, y));
                        world.events.add(Events::CHECKPOINT);
                    }
                }
                Some(Tile::Goal) => {
                    if world.level_index + 1 < world.levels.len() {
                        world.set_state(State::LevelComplete);
                    } else {
                        world.set_state(State::GameComplete);
                    }
                    world.player.vx = 0;
                    world.events.add(Events::GOAL);
                    return;
                }
                _ => {}
            }
        }
    }
}

/// Spikes and water hurt only where they are drawn: the lower part of the tile from
/// `top_px` down, inset at the sides, so a near miss is a miss.
fn touches_hazard(p: &Player, tx: i32, ty: i32, top_px: i32) -> bool {
    let inset = 3 * SUBPIXELS;
    let left = tx * TILE + inset;
    let right = (tx + 1) * TILE - inset;
    let top = ty * TILE + top_px * SUBPIXELS;
    let bottom = (ty + 1) * TILE;
    p.x < right && p.x + PLAYER_W > left && p.y < bottom && p.y + PLAYER_H > top
}

#[cfg(test)]
mod tests {
    use std::hash::{DefaultHasher, Hash, Hasher};

    use super::*;
    use crate::format::{GameData, Sprite};
    use crate::physics::TILE_PX;
    use crate::theme::{Difficulty, Theme};

    /// A flat floor on row 10 of a 40×14 level, spawn at column 2, goal far right.
    fn flat_level() -> Level {
        let mut level = Level::empty(40, 14);
        for x in 0..40 {
            for y in 10..14 {
                level.set(x, y, Tile::Solid);
            }
        }
        level.spawn = (2, 9);
        level.goal = (38, 9);
        level.set(38, 9, Tile::Goal);
        level
    }

    fn data_with(levels: Vec<Level>) -> GameData {
        let mut data = GameData::generate(
            &crate::format::GameSpec {
                title: "Test",
                pet_name: "Rex",
                theme: Theme::Garden,
                difficulty: Difficulty::Normal,
                seed: 1,
                level_count: 1,
            },
            Sprite::placeholder(),
        )
        .expect("a completable game");
        data.levels = levels;
        data
    }

    fn run(world: &mut World, buttons: Buttons, steps: usize) {
        for _ in 0..steps {
            step(world, buttons);
        }
    }

    /// Highest rise of the feet above the floor, in pixels, jumping from rest with jump
    /// held for `hold` steps.
    fn jump_height(hold: usize) -> i32 {
        let mut world = World::new(&data_with(vec![flat_level()]), 0);
        run(&mut world, Buttons::NONE, 2);
        let floor = world.player.y;
        let mut highest = floor;
        for i in 0..120 {
            let buttons = if i < hold {
                Buttons::JUMP
            } else {
                Buttons::NONE
            };
            step(&mut world, buttons);
            highest = highest.min(world.player.y);
        }
        (floor - highest) / SUBPIXELS
    }

    #[test]
    fn a_held_jump_rises_between_three_and_five_tiles_as_the_physics_predicts() {
        let height = jump_height(200);
        assert!((3 * TILE_PX..5 * TILE_PX).contains(&height), "{height}");
        let predicted = Physics::STANDARD.jump_apex() / SUBPIXELS;
        assert!((height - predicted).abs() <= 2, "{height} vs {predicted}");
    }

    #[test]
    fn releasing_jump_early_gives_a_lower_jump() {
        let short = jump_height(4);
        let long = jump_height(200);
        assert!(short > 0);
        assert!(short * 2 < long, "short {short}, long {long}");
    }

    #[test]
    fn coyote_time_allows_a_jump_a_few_steps_after_leaving_a_ledge() {
        let mut level = flat_level();
        for x in 6..40 {
            for y in 10..14 {
                level.set(x, y, Tile::Empty);
            }
        }
        let ledge = 6 * TILE;
        let walk_off = |late: u8| {
            let mut world = World::new(&data_with(vec![level.clone()]), 0);
            let mut airborne = 0;
            for _ in 0..200 {
                let off_ledge = world.player.x >= ledge && !world.player.on_ground;
                if off_ledge {
                    airborne += 1;
                }
                let jump = off_ledge && airborne > late;
                step(
                    &mut world,
                    if jump { Buttons::JUMP } else { Buttons::RIGHT },
                );
                if jump {
                    return world.player.vy < 0;
                }
            }
            false
        };
        assert!(walk_off(2), "a jump two steps late still takes off");
        assert!(
            !walk_off(Physics::STANDARD.coyote_steps + 2),
            "but not much later"
        );
    }

    #[test]
    fn an_early_jump_press_is_buffered_until_landing() {
        let mut world = World::new(&data_with(vec![flat_level()]), 0);
        step(&mut world, Buttons::JUMP);
        let floor = 10 * TILE - PLAYER_H;
        while !(world.player.vy > 0 && floor - world.player.y < 2 * world.player.vy) {
            step(&mut world, Buttons::NONE);
            assert!(world.steps < 200, "never came down");
        }
        assert!(!world.player.on_ground);
        let mut landed = false;
        for _ in 0..Physics::STANDARD.jump_buffer_steps {
            step(&mut world, Buttons::JUMP);
            landed |= world.player.y == floor || world.player.vy < 0;
            if world.player.vy < 0 {
                assert!(landed);
                return;
            }
        }
        panic!("the buffered jump never took off");
    }

    #[test]
    fn the_player_stops_at_walls() {
        let mut level = flat_level();
        for y in 6..10 {
            level.set(10, y, Tile::Solid);
        }
        let mut world = World::new(&data_with(vec![level]), 0);
        run(&mut world, Buttons::RIGHT, 240);
        assert_eq!(world.player.x, 10 * TILE - PLAYER_W);
        assert_eq!(world.player.vx, 0);
        run(&mut world, Buttons::LEFT, 400);
        assert_eq!(world.player.x, 0, "the level's left edge is a wall too");
    }

    #[test]
    fn falling_into_a_pit_costs_a_life_and_respawns_at_the_start() {
        let mut level = flat_level();
        for y in 10..14 {
            level.set(6, y, Tile::Empty);
            level.set(7, y, Tile::Empty);
        }
        let mut world = World::new(&data_with(vec![level]), 0);
        let spawn = world.player;
        let mut fell = false;
        for _ in 0..400 {
            step(&mut world, Buttons::RIGHT);
            if world.player.hurt > 0 {
                fell = true;
                break;
            }
        }
        assert!(fell);
        assert_eq!(world.lives, START_LIVES - 1);
        run(&mut world, Buttons::NONE, usize::from(HURT_STEPS));
        assert_eq!((world.player.x, world.player.y), (spawn.x, spawn.y));
    }

    #[test]
    fn treats_score_once_and_the_goal_completes_the_game() {
        let mut level = flat_level();
        level.set(5, 9, Tile::Treat);
        level.set(6, 9, Tile::Treat);
        let mut world = World::new(&data_with(vec![level.clone(), level]), 0);
        run(&mut world, Buttons::RIGHT, 120);
        assert_eq!((world.treats, world.score), (2, 2 * TREAT_POINTS));
        assert_eq!(world.level.treats(), 0);
        let run_to_goal = |world: &mut World| {
            while world.state == State::Playing && world.steps < 2000 {
                step(world, Buttons::RIGHT);
            }
        };
        run_to_goal(&mut world);
        assert_eq!(world.state, State::LevelComplete);
        run(&mut world, Buttons::NONE, LEVEL_COMPLETE_STEPS as usize);
        assert_eq!((world.state, world.level_index), (State::Playing, 1));
        run_to_goal(&mut world);
        assert_eq!(world.state, State::GameComplete);
        assert_eq!((world.treats, world.score), (4, 4 * TREAT_POINTS));
    }

    fn enemy_at(kind: crate::level::EnemyKind, x: u16) -> crate::level::EnemySpawn {
        crate::level::EnemySpawn {
            kind,
            tile: (x, 9),
            speed: 32,
            range: 0,
            vertical: false,
        }
    }

    #[test]
    fn landing_on_an_enemy_defeats_it_and_bounces_but_walking_into_it_hurts() {
        let mut level = flat_level();
        level
            .enemies
            .push(enemy_at(crate::level::EnemyKind::Patrol, 8));
        let data = data_with(vec![level]);

        let mut walker = World::new(&data, 0);
        for _ in 0..300 {
            step(&mut walker, Buttons::RIGHT);
            if walker.player.hurt > 0 {
                break;
            }
        }
        assert_eq!(walker.lives, START_LIVES - 1, "running into it hurts");
        assert!(walker.enemies[0].alive());

        // Jump from where a full jump comes down on the enemy.
        let mut stomper = World::new(&data, 0);
        let mut stomped = false;
        for i in 0..400 {
            let jump = (20..60).contains(&i);
            step(
                &mut stomper,
                if jump {
                    Buttons::RIGHT | Buttons::JUMP
                } else {
                    Buttons::RIGHT
                },
            );
            if stomper.events.contains(Events::STOMP) {
                stomped = true;
                assert!(stomper.player.vy < 0, "the stomp bounces");
                break;
            }
            assert_eq!(stomper.player.hurt, 0, "hurt at step {i}");
        }
        assert!(stomped, "never landed on the enemy");
        assert!(!stomper.enemies[0].alive());
        assert_eq!(stomper.score, STOMP_POINTS);
    }

    #[test]
    fn a_one_way_ledge_is_jumped_through_from_below_and_stood_on() {
        let mut level = flat_level();
        for x in 3..8 {
            level.set(x, 7, Tile::OneWay);
        }
        let mut world = World::new(&data_with(vec![level]), 0);
        run(&mut world, Buttons::RIGHT, 6);
        run(&mut world, Buttons::JUMP, 40);
        run(&mut world, Buttons::NONE, 60);
        assert!(world.player.on_ground);
        assert_eq!(world.player.y + PLAYER_H, 7 * TILE, "standing on the ledge");
    }

    #[test]
    fn a_moving_platform_carries_the_player_standing_on_it() {
        let mut level = flat_level();
        level.movers.push(crate::level::Mover {
            tile: (2, 8),
            len: 3,
            range: 4,
            vertical: false,
            period: 400,
        });
        let mut world = World::new(&data_with(vec![level]), 0);
        // Hop up onto the platform, which starts under the spawn.
        run(&mut world, Buttons::JUMP, 20);
        run(&mut world, Buttons::NONE, 40);
        assert!(world.player.riding.is_some(), "on the platform");
        let x = world.player.x;
        run(&mut world, Buttons::NONE, 100);
        assert!(world.player.riding.is_some());
        assert!(
            world.player.x - x > 3 * TILE / 2,
            "carried {}",
            world.player.x - x
        );
    }

    #[test]
    fn after_a_checkpoint_a_lost_life_restarts_there() {
        let mut level = flat_level();
        level.set(6, 9, Tile::Checkpoint);
        for y in 10..14 {
            level.set(12, y, Tile::Water);
            level.set(13, y, Tile::Empty);
        }
        level.set(12, 13, Tile::Water);
        let mut world = World::new(&data_with(vec![level]), 0);
        while world.player.hurt == 0 {
            step(&mut world, Buttons::RIGHT);
            assert!(world.steps < 600, "never fell in");
        }
        assert_eq!(world.checkpoint, Some((6, 9)));
        run(&mut world, Buttons::NONE, usize::from(HURT_STEPS));
        assert_eq!(world.player_px().0 / TILE_PX, 6);
    }

    #[test]
    fn pause_freezes_play_until_pressed_again() {
        let mut world = World::new(&data_with(vec![flat_level()]), 0);
        run(&mut world, Buttons::RIGHT, 10);
        step(&mut world, Buttons::PAUSE);
        assert_eq!(world.state, State::Paused);
        let frozen = world.player;
        run(&mut world, Buttons::RIGHT, 50);
        assert_eq!(world.player, frozen);
        step(&mut world, Buttons::PAUSE);
        assert_eq!(world.state, State::Playing);
    }

    #[test]
    fn the_title_screen_waits_for_a_press() {
        let data = data_with(vec![flat_level()]);
        let mut world = World::title(&data);
        run(&mut world, Buttons::RIGHT, 30);
        assert_eq!(world.state, State::Title);
        step(&mut world, Buttons::JUMP);
        assert_eq!(world.state, State::Playing);
        step(&mut world, Buttons::JUMP);
        assert!(
            world.player.on_ground,
            "the press that starts does not jump"
        );
    }

    #[test]
    fn replaying_recorded_buttons_gives_an_identical_world() {
        let data = GameData::generate(
            &crate::format::GameSpec {
                title: "Replay",
                pet_name: "Rex",
                theme: Theme::Park,
                difficulty: Difficulty::Hard,
                seed: 42,
                level_count: 2,
            },
            Sprite::placeholder(),
        )
        .expect("a completable game");
        // A pseudo-random but fixed recording.
        let mut bits = 0x1234_5678_u32;
        let recording: Vec<Buttons> = (0..3000)
            .map(|_| {
                bits ^= bits << 13;
                bits ^= bits >> 17;
                bits ^= bits << 5;
                Buttons::from_bits(bits >> 28) | Buttons::RIGHT
            })
            .collect();
        let play = || {
            let mut world = World::title(&data);
            for &buttons in &recording {
                step(&mut world, buttons);
            }
            let mut hasher = DefaultHasher::new();
            world.hash(&mut hasher);
            (hasher.finish(), world)
        };
        let (first_hash, first) = play();
        let (second_hash, second) = play();
        assert_eq!(first_hash, second_hash);
        assert_eq!(first, second);
        assert!(first.steps == 3000 && first.player.x > 0);
    }
}
