//! Enemies: patrollers, hoppers and flyers, moved by the same tile collision as the
//! player.

use super::body::{self, Body, Stop};
use crate::level::{self, EnemyKind, EnemySpawn, Level};
use crate::physics::{Physics, SUBPIXELS, TILE};

pub const ENEMY_W_PX: i32 = 12;
pub const ENEMY_H_PX: i32 = 12;
pub const ENEMY_W: i32 = ENEMY_W_PX * SUBPIXELS;
pub const ENEMY_H: i32 = ENEMY_H_PX * SUBPIXELS;
/// Steps a hopper waits on the ground between hops.
pub const HOP_BEAT: u16 = 60;
/// A hop's upward speed: about two tiles high under standard gravity.
const HOP_VELOCITY: i32 = 1024;
/// Enemies sleep until the player comes this close (sub-pixels, about a screen and
/// a half), so each one meets the player the way the level was made, however long
/// the player took to get there.
const WAKE_DISTANCE: i32 = 36 * TILE;
/// Steps a defeated enemy stays on screen, squashed.
pub const SQUASHED_STEPS: u16 = 24;

/// One enemy while the level plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Enemy {
    pub kind: EnemyKind,
    /// Top-left of the hitbox, sub-pixels.
    pub x: i32,
    pub y: i32,
    vx: i32,
    vy: i32,
    pub on_ground: bool,
    pub facing_left: bool,
    home: (i32, i32),
    speed: i32,
    range: i32,
    vertical: bool,
    timer: u16,
    awake: bool,
    /// Steps since it was defeated; zero while it is about.
    pub defeated: u16,
}

impl Enemy {
    pub fn spawn(spawn: &EnemySpawn) -> Enemy {
        let x = i32::from(spawn.tile.0) * TILE + (TILE - ENEMY_W) / 2;
        let y = (i32::from(spawn.tile.1) + 1) * TILE - ENEMY_H;
        Enemy {
            kind: spawn.kind,
            x,
            y,
            vx: 0,
            vy: 0,
            on_ground: false,
            facing_left: true,
            home: (x, y),
            speed: i32::from(spawn.speed),
            range: i32::from(spawn.range) * TILE,
            vertical: spawn.vertical,
            timer: 0,
            awake: false,
            defeated: 0,
        }
    }

    pub fn alive(&self) -> bool {
        self.defeated == 0
    }

    /// The box that hurts the player: the hitbox inset by two pixels, so a graze is
    /// a miss.
    pub fn hurt_box(&self) -> (i32, i32, i32, i32) {
        let inset = 2 * SUBPIXELS;
        (
            self.x + inset,
            self.y + inset,
            ENEMY_W - 2 * inset,
            ENEMY_H - inset,
        )
    }

    /// Advances the enemy one step; `steps` is the level's step count, which sets
    /// where a flyer is on its line, and `player_x` wakes it.
    pub fn update(&mut self, level: &Level, physics: &Physics, steps: u32, player_x: i32) {
        if !self.alive() {
            self.defeated = self.defeated.saturating_add(1);
            return;
        }
        self.awake |= (player_x - self.x).abs() < WAKE_DISTANCE;
        if !self.awake {
            return;
        }
        match self.kind {
            EnemyKind::Patrol => self.patrol(level, physics),
            EnemyKind::Hop => self.hop(level, physics),
            EnemyKind::Fly => self.fly(steps),
        }
        if self.y > i32::from(level.height) * TILE {
            // Fell out of the level: gone, with no squash to show.
            self.defeated = SQUASHED_STEPS;
        }
    }

    fn direction(&self) -> i32 {
        if self.facing_left { -1 } else { 1 }
    }

    fn patrol(&mut self, level: &Level, physics: &Physics) {
        self.vx = self.direction() * self.speed;
        let mut turn = self.move_body(level, physics);
        if self.on_ground {
            // Turn back at a ledge rather than walk off it.
            let ahead = if self.facing_left {
                self.x - 1
            } else {
                self.x + ENEMY_W
            };
            let below = (self.y + ENEMY_H).div_euclid(TILE);
            turn |= !body::supports(level, ahead.div_euclid(TILE), below);
        }
        if turn {
            self.facing_left = !self.facing_left;
        }
    }

    fn hop(&mut self, level: &Level, physics: &Physics) {
        if self.on_ground {
            self.vx = 0;
            self.timer += 1;
            if self.timer >= HOP_BEAT {
                self.timer = 0;
                self.vy = -HOP_VELOCITY;
                self.facing_left = !self.facing_left;
            }
        } else {
            self.vx = self.direction() * self.speed;
        }
        if self.move_body(level, physics) {
            self.facing_left = !self.facing_left;
        }
    }

    /// Gravity and tile collision; true when a wall stopped it.
    fn move_body(&mut self, level: &Level, physics: &Physics) -> bool {
        self.vy = (self.vy + physics.gravity).min(physics.max_fall);
        let mut b = Body {
            x: self.x,
            y: self.y,
            w: ENEMY_W,
            h: ENEMY_H,
            vx: self.vx,
            vy: self.vy,
        };
        let hit_wall = body::move_x(level, &mut b);
        self.on_ground = body::move_y(level, &mut b) == Stop::Floor;
        (self.x, self.y, self.vx, self.vy) = (b.x, b.y, b.vx, b.vy);
        hit_wall
    }

    fn fly(&mut self, steps: u32) {
        let half = (self.range / self.speed.max(1)).max(1);
        let (offset, returning) = level::swing(steps, half.unsigned_abs() * 2, self.range);
        self.facing_left = returning;
        if self.vertical {
            self.y = self.home.1 - offset;
        } else {
            self.x = self.home.0 + offset;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Tile;

    fn floor(width: u16) -> Level {
        let mut level = Level::empty(width, 8);
        for x in 0..i32::from(width) {
            level.set(x, 7, Tile::Solid);
        }
        level
    }

    fn spawn(kind: EnemyKind, x: u16) -> EnemySpawn {
        EnemySpawn {
            kind,
            tile: (x, 6),
            speed: 64,
            range: 3,
            vertical: false,
        }
    }

    #[test]
    fn a_patroller_turns_at_ledges_and_never_falls() {
        let mut level = floor(20);
        for x in 0..5 {
            level.set(x, 7, Tile::Empty);
        }
        for x in 12..20 {
            level.set(x, 7, Tile::Empty);
        }
        let mut enemy = Enemy::spawn(&spawn(EnemyKind::Patrol, 8));
        let (mut left, mut right) = (i32::MAX, i32::MIN);
        for _ in 0..2000 {
            enemy.update(&level, &Physics::STANDARD, 0, enemy.x);
            left = left.min(enemy.x);
            right = right.max(enemy.x + ENEMY_W);
        }
        assert!(enemy.alive());
        assert!(left >= 5 * TILE - ENEMY_W / 2, "{left}");
        assert!(right <= 12 * TILE + ENEMY_W / 2, "{right}");
        assert!(right - left > 5 * TILE, "it walks the platform");
    }

    #[test]
    fn a_hopper_leaves_the_ground_on_its_beat() {
        let level = floor(20);
        let mut enemy = Enemy::spawn(&spawn(EnemyKind::Hop, 8));
        let ground = enemy.y;
        let mut highest = ground;
        for _ in 0..u32::from(HOP_BEAT) * 2 {
            enemy.update(&level, &Physics::STANDARD, 0, enemy.x);
            highest = highest.min(enemy.y);
        }
        let rise = (ground - highest) / SUBPIXELS;
        assert!((16..48).contains(&rise), "{rise} px");
    }

    #[test]
    fn an_enemy_sleeps_until_the_player_comes_near() {
        let level = floor(200);
        let mut enemy = Enemy::spawn(&spawn(EnemyKind::Patrol, 150));
        let start = enemy;
        for _ in 0..100 {
            enemy.update(&level, &Physics::STANDARD, 0, 0);
        }
        assert_eq!(enemy, start);
        enemy.update(&level, &Physics::STANDARD, 0, 140 * TILE);
        assert_ne!(enemy, start);
    }

    #[test]
    fn a_flyer_swings_along_its_range_ignoring_tiles() {
        let level = floor(20);
        let mut enemy = Enemy::spawn(&spawn(EnemyKind::Fly, 8));
        let home = enemy.x;
        let mut furthest = 0;
        for step in 0..400 {
            enemy.update(&level, &Physics::STANDARD, step, enemy.x);
            furthest = furthest.max(enemy.x - home);
            assert!(enemy.x >= home);
        }
        assert_eq!(furthest, 3 * TILE);
    }
}
