//! Physics tuning as data, the fixed units the simulation counts in, and the jump
//! reach the level generator derives from them.

use serde::{Deserialize, Serialize};

use crate::theme::Theme;

/// Sub-pixel units per pixel: positions and velocities are integers in 1/256 px, so
/// a recorded input sequence replays bit-exactly on every machine.
pub const SUBPIXELS: i32 = 256;
/// Tile edge in pixels.
pub const TILE_PX: i32 = 16;
/// Tile edge in sub-pixels.
pub const TILE: i32 = TILE_PX * SUBPIXELS;
/// Player hitbox in pixels; narrower than a tile so one-tile gaps can be fallen into.
pub const PLAYER_W_PX: i32 = 12;
pub const PLAYER_H_PX: i32 = 14;
pub const PLAYER_W: i32 = PLAYER_W_PX * SUBPIXELS;
pub const PLAYER_H: i32 = PLAYER_H_PX * SUBPIXELS;
/// Simulation steps per second.
pub const STEPS_PER_SECOND: u32 = 60;

/// Movement tuning. Velocities are sub-pixels per step, accelerations sub-pixels per
/// step per step. `validate` keeps every speed below one tile per step so the
/// per-axis collision never tunnels through a tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Physics {
    pub gravity: i32,
    pub max_fall: i32,
    pub max_run: i32,
    pub run_accel: i32,
    pub air_accel: i32,
    /// Slow-down on the ground with no direction held.
    pub friction: i32,
    /// Slow-down in the air with no direction held.
    pub air_friction: i32,
    /// Upward speed given by a jump.
    pub jump_velocity: i32,
    /// Releasing jump while rising faster than this cuts the rise to this speed,
    /// which is what makes a short tap a short hop.
    pub jump_cut: i32,
    /// Steps after walking off a ledge during which a jump still counts.
    pub coyote_steps: u8,
    /// Steps a jump press is remembered before landing.
    pub jump_buffer_steps: u8,
}

impl Physics {
    /// The tuning every theme starts from: about 4 tiles of jump height and 105 px/s.
    pub const STANDARD: Physics = Physics {
        gravity: 72,
        max_fall: 1536,
        max_run: 448,
        run_accel: 24,
        air_accel: 20,
        friction: 40,
        air_friction: 8,
        jump_velocity: 1536,
        jump_cut: 512,
        coyote_steps: 6,
        jump_buffer_steps: 6,
    };

    /// The tuning of a theme: space floats (less gravity, slower fall), wet sand
    /// and polished floors are slippery (slow to speed up and to stop), gardens
    /// and parks play the standard way.
    pub fn for_theme(theme: Theme) -> Physics {
        match theme {
            Theme::Space => Physics {
                gravity: 44,
                max_fall: 1024,
                jump_velocity: 1280,
                ..Physics::STANDARD
            },
            Theme::Beach => Physics {
                run_accel: 14,
                friction: 10,
                ..Physics::STANDARD
            },
            Theme::House => Physics {
                run_accel: 18,
                friction: 16,
                ..Physics::STANDARD
            },
            Theme::Garden | Theme::Park => Physics::STANDARD,
        }
    }

    /// Checks the ranges the simulation relies on (no tunnelling, no stuck player).
    pub fn validate(&self) -> Result<(), &'static str> {
        let speed = 1..TILE;
        let rate = 1..=TILE / 8;
        let ok = speed.contains(&self.max_fall)
            && speed.contains(&self.max_run)
            && speed.contains(&self.jump_velocity)
            && (0..TILE).contains(&self.jump_cut)
            && rate.contains(&self.gravity)
            && rate.contains(&self.run_accel)
            && rate.contains(&self.air_accel)
            && rate.contains(&self.friction)
            && rate.contains(&self.air_friction)
            && self.coyote_steps <= 30
            && self.jump_buffer_steps <= 30;
        if ok {
            Ok(())
        } else {
            Err("physics out of range")
        }
    }

    /// Highest rise of the player's feet, in sub-pixels, with jump held throughout.
    pub fn jump_apex(&self) -> i32 {
        self.arc().map(|(_, height)| height).max().unwrap_or(0)
    }

    /// How far, in sub-pixels, the player's hitbox travels forwards during a running
    /// jump (held throughout) that lands on a surface `rise` sub-pixels above the
    /// take-off surface (negative: below). `None` when that surface is out of reach.
    pub fn jump_distance(&self, rise: i32) -> Option<i32> {
        if self.jump_apex() < rise {
            return None;
        }
        let mut last = None;
        let mut rising = true;
        let mut previous_height = 0;
        for (x, height) in self.arc() {
            if height < previous_height {
                rising = false;
            }
            previous_height = height;
            if !rising && height < rise {
                return last;
            }
            last = Some(x);
        }
        last
    }

    /// The trajectory `(forward distance, height of the feet)` of a full-speed running
    /// jump held throughout, step by step, in the same order of operations as
    /// `sim::step`, until the feet are a screen height below the take-off surface.
    fn arc(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
        let mut x = 0;
        let mut y = 0;
        let mut vy = -self.jump_velocity;
        core::iter::from_fn(move || {
            if y > 16 * TILE {
                return None;
            }
            vy = (vy + self.gravity).min(self.max_fall);
            x += self.max_run;
            y += vy;
            Some((x, -y))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_has_valid_physics() {
        for theme in Theme::ALL {
            assert_eq!(Physics::for_theme(theme).validate(), Ok(()));
        }
    }

    #[test]
    fn a_standard_jump_rises_about_four_tiles_and_reaches_further_downhill() {
        let physics = Physics::STANDARD;
        let apex = physics.jump_apex();
        assert!((3 * TILE..5 * TILE).contains(&apex), "apex {apex}");
        let level = physics.jump_distance(0).expect("reachable");
        let up = physics.jump_distance(2 * TILE).expect("reachable");
        let down = physics.jump_distance(-2 * TILE).expect("reachable");
        assert!(up < level && level < down, "{up} {level} {down}");
        assert_eq!(physics.jump_distance(apex + 1), None);
    }

    #[test]
    fn sand_and_floors_are_slippery() {
        let standard = Physics::STANDARD;
        for theme in [Theme::Beach, Theme::House] {
            let physics = Physics::for_theme(theme);
            assert!(physics.friction < standard.friction);
            assert!(physics.run_accel < standard.run_accel);
        }
    }

    #[test]
    fn space_jumps_float_higher_and_further() {
        let standard = Physics::STANDARD;
        let space = Physics::for_theme(Theme::Space);
        assert!(space.jump_apex() > standard.jump_apex());
        assert!(space.jump_distance(0) > standard.jump_distance(0));
    }
}
