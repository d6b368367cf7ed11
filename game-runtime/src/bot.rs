//! A playing bot over the real simulation: the solvability check for generated
//! levels, and a source of recorded playthroughs for tests.

use crate::format::GameData;
use crate::sim::{Buttons, State, World, step};

/// Steps the bot looks ahead when deciding whether running on is safe.
const HORIZON: usize = 50;
/// Longest jump the bot simulates before giving up on it.
const LONGEST_JUMP: usize = 150;
/// Steps the bot holds jump for, longest first: a full jump down to a short hop.
const JUMP_HOLDS: [usize; 4] = [LONGEST_JUMP, 12, 6, 2];

/// Plays level `index` of `data` holding right and jumping when it must, as late as
/// is safe, as long as lands safely. Returns the buttons of a winning playthrough
/// (replayed through `World::new(data, index)` and `sim::step` they finish the
/// level), or `None` when the bot failed within a generous step budget.
pub fn play_level(data: &GameData, index: usize) -> Option<Vec<Buttons>> {
    let mut world = World::new(data, index);
    let budget = usize::from(world.level.width) * 64 + 600;
    let mut recording = Vec::new();
    // Steps jump is still to be held for; zero when not jumping.
    let mut holding = 0;
    while recording.len() < budget {
        if world.state != State::Playing {
            return Some(recording);
        }
        if world.player.hurt > 0 {
            return None;
        }
        if holding == 0 && world.can_jump() {
            holding = jump_to_take(&world).unwrap_or(0);
        }
        let buttons = if holding > 0 {
            holding -= 1;
            Buttons::RIGHT | Buttons::JUMP
        } else {
            Buttons::RIGHT
        };
        step(&mut world, buttons);
        recording.push(buttons);
        if world.player.on_ground && world.player.vy >= 0 {
            // Release on landing, so the next jump is a fresh press.
            holding = 0;
        }
    }
    None
}

/// The jump (steps to hold) to take now, if any: when running on leads to harm or a
/// wall, a jump lands safely now, and waiting a step would leave no safe jump or
/// the player is already against a wall.
fn jump_to_take(world: &World) -> Option<usize> {
    if runs_on_safely(world) {
        return None;
    }
    let now = safe_jump(world)?;
    let mut later = world.clone();
    step(&mut later, Buttons::RIGHT);
    let blocked = later.player.x <= world.player.x;
    let can_wait = !blocked && later.can_jump() && safe_jump(&later).is_some();
    (!can_wait).then_some(now)
}

/// True when holding right for `HORIZON` steps neither hurts nor stalls.
fn runs_on_safely(world: &World) -> bool {
    let mut world = world.clone();
    let mut stalled = 0;
    for _ in 0..HORIZON {
        let x = world.player.x;
        step(&mut world, Buttons::RIGHT);
        if world.state != State::Playing {
            return true;
        }
        if world.player.hurt > 0 {
            return false;
        }
        stalled = if world.player.x <= x { stalled + 1 } else { 0 };
        if stalled >= 3 {
            return false;
        }
    }
    true
}

/// The longest of `JUMP_HOLDS` that lands safely from here, somewhere the player
/// can go on from.
fn safe_jump(world: &World) -> Option<usize> {
    JUMP_HOLDS
        .into_iter()
        .find(|&hold| jump_lands_safely(world, hold, true))
}

/// Jumps now holding right, and jump for `hold` steps: true when the player lands
/// unhurt further on (or finishes the level on the way), and, when `look_beyond`,
/// can then run on or jump again safely.
fn jump_lands_safely(world: &World, hold: usize, look_beyond: bool) -> bool {
    let mut world = world.clone();
    let start = world.player.x;
    let mut airborne = false;
    for i in 0..LONGEST_JUMP {
        let buttons = if i < hold {
            Buttons::RIGHT | Buttons::JUMP
        } else {
            Buttons::RIGHT
        };
        step(&mut world, buttons);
        if world.state != State::Playing {
            return true;
        }
        if world.player.hurt > 0 {
            return false;
        }
        airborne |= !world.player.on_ground;
        if airborne && world.player.on_ground {
            return world.player.x > start
                && (!look_beyond
                    || runs_on_safely(&world)
                    || JUMP_HOLDS
                        .into_iter()
                        .any(|hold| jump_lands_safely(&world, hold, false)));
        }
    }
    false
}
