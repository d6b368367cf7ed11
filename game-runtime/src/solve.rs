//! The solver: a player over the real simulation that finds a winning input sequence
//! for a level, and the generator loop that keeps only levels it can finish.

use serde::{Deserialize, Serialize};

use crate::generate;
use crate::level::Level;
use crate::physics::Physics;
use crate::sim::{Buttons, State, World, step};
use crate::theme::{Difficulty, Theme};

/// Steps the solver looks ahead when deciding whether running on is safe.
const HORIZON: usize = 32;
/// Longest jump the solver simulates before giving up on it.
const LONGEST_JUMP: usize = 150;
/// Steps jump is held for, longest first: a full jump down to a short hop.
const JUMP_HOLDS: [usize; 4] = [LONGEST_JUMP, 12, 6, 2];
/// Steps the solver may spend standing still in one level (waiting for a platform or
/// an enemy), on top of the running budget.
const WAIT_BUDGET: usize = 1800;
/// Candidates tried per level before falling back to one without moving parts.
pub const MAX_ATTEMPTS: u32 = 12;

/// A recorded input sequence, run-length encoded: `(buttons, steps)` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Playthrough {
    pub runs: Vec<(u8, u16)>,
}

impl Playthrough {
    pub fn from_buttons(buttons: &[Buttons]) -> Playthrough {
        let mut runs: Vec<(u8, u16)> = Vec::new();
        for &b in buttons {
            let bits = b.bits() as u8;
            match runs.last_mut() {
                Some((last, count)) if *last == bits && *count < u16::MAX => *count += 1,
                _ => runs.push((bits, 1)),
            }
        }
        Playthrough { runs }
    }

    /// The buttons of every step, in order.
    pub fn buttons(&self) -> impl Iterator<Item = Buttons> + '_ {
        self.runs.iter().flat_map(|&(bits, count)| {
            core::iter::repeat_n(Buttons::from_bits(u32::from(bits)), usize::from(count))
        })
    }

    /// Steps it lasts.
    pub fn steps(&self) -> usize {
        self.runs.iter().map(|&(_, count)| usize::from(count)).sum()
    }
}

/// A generated level with the proof that it can be finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub level: Level,
    pub playthrough: Playthrough,
    /// Candidates the solver could not finish before this one.
    pub rejected: u32,
}

/// Not even the calm fallback could be finished: a generator bug, reported rather
/// than shipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsolvable {
    pub index: u32,
}

impl core::fmt::Display for Unsolvable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "level {} could not be proven completable",
            self.index + 1
        )
    }
}

impl std::error::Error for Unsolvable {}

/// Level `index` of a game, generated from `seed` and proven completable: candidates
/// are generated until the solver finishes one; after `MAX_ATTEMPTS` the level is
/// made without enemies and moving platforms.
pub fn verified_level(
    seed: u64,
    theme: Theme,
    difficulty: Difficulty,
    index: u32,
) -> Result<Verified, Unsolvable> {
    let physics = Physics::for_theme(theme);
    let attempts = (0..MAX_ATTEMPTS)
        .map(|attempt| (attempt, false))
        .chain((0..2).map(|attempt| (attempt, true)));
    for (rejected, (attempt, calm)) in (0u32..).zip(attempts) {
        let level = generate::candidate(seed, theme, difficulty, index, attempt, calm);
        if let Some(buttons) = play(physics, &level) {
            return Ok(Verified {
                level,
                playthrough: Playthrough::from_buttons(&buttons),
                rejected,
            });
        }
    }
    Err(Unsolvable { index })
}

/// Plays `level` from its spawn, holding right and jumping when it must (as late as
/// is safe, as long as lands safely), waiting when neither is safe. Returns the
/// buttons of a run that reaches the goal without losing a life, or `None`.
pub fn play(physics: Physics, level: &Level) -> Option<Vec<Buttons>> {
    let mut world = World::single(physics, level.clone());
    let budget = usize::from(world.level.width) * 64 + 600 + WAIT_BUDGET;
    let mut recording = Vec::new();
    let mut probe = Probe::new(&world);
    // The safe jump from this step, when the last decision already worked it out.
    let mut known_jump = None;
    // Steps jump is still to be held for; zero when not jumping.
    let mut holding = 0;
    while recording.len() < budget {
        if world.state != State::Playing {
            return Some(recording);
        }
        if world.player.hurt > 0 {
            return None;
        }
        let buttons = if holding > 0 {
            holding -= 1;
            known_jump = None;
            Buttons::RIGHT | Buttons::JUMP
        } else {
            match decide(&world, &probe, known_jump.take()) {
                (Move::Run, jump_later) => {
                    known_jump = jump_later;
                    Buttons::RIGHT
                }
                (Move::Wait, _) => Buttons::NONE,
                (Move::Jump(hold), _) => {
                    holding = hold - 1;
                    Buttons::RIGHT | Buttons::JUMP
                }
            }
        };
        step(&mut world, buttons);
        recording.push(buttons);
        if buttons == Buttons::RIGHT {
            probe.advance();
        } else {
            probe = Probe::new(&world);
        }
        if world.player.on_ground && world.player.vy >= 0 {
            // Release on landing, so the next jump is a fresh press.
            holding = 0;
        }
    }
    None
}

enum Move {
    Run,
    Wait,
    /// Jump, holding the button for this many steps.
    Jump(usize),
}

/// Where holding right leads from the solver's current step, kept up to
/// `HORIZON` steps ahead and slid along while the solver runs, so checking that
/// running on is safe costs one simulated step per real one.
struct Probe {
    world: World,
    /// Steps `world` is ahead of the real one.
    ahead: usize,
    /// Steps in a row that did not move right.
    stalled: usize,
    outcome: Outcome,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Nothing bad within `ahead` steps.
    Open,
    /// The level ends on the way.
    Finishes,
    /// Running on hurts or gets stuck at a wall.
    Fails,
}

impl Probe {
    fn new(world: &World) -> Probe {
        let mut probe = Probe {
            world: world.clone(),
            ahead: 0,
            stalled: 0,
            outcome: Outcome::Open,
        };
        probe.fill();
        probe
    }

    fn fill(&mut self) {
        while self.outcome == Outcome::Open && self.ahead < HORIZON {
            let x = self.world.player.x;
            step(&mut self.world, Buttons::RIGHT);
            self.ahead += 1;
            self.stalled = if self.world.player.x <= x {
                self.stalled + 1
            } else {
                0
            };
            if self.world.state != State::Playing {
                self.outcome = Outcome::Finishes;
            } else if self.world.player.hurt > 0 || self.stalled >= 3 {
                self.outcome = Outcome::Fails;
            }
        }
    }

    /// The real world took one step holding right.
    fn advance(&mut self) {
        self.ahead = self.ahead.saturating_sub(1);
        self.fill();
    }

    fn runs_on_safely(&self) -> bool {
        self.outcome != Outcome::Fails
    }
}

/// The next move, and when it is to run, the safe jump from the step after: run
/// while running on is safe; jump at the last step a safe jump is still possible;
/// otherwise creep on while stopping would still be safe, and wait when it would not.
fn decide(
    world: &World,
    probe: &Probe,
    known_jump: Option<Option<usize>>,
) -> (Move, Option<Option<usize>>) {
    if probe.runs_on_safely() {
        return (Move::Run, None);
    }
    let jump_now = if world.can_jump() {
        known_jump.unwrap_or_else(|| safe_jump(world))
    } else {
        None
    };
    let mut later = world.clone();
    step(&mut later, Buttons::RIGHT);
    let blocked = later.player.x <= world.player.x;
    let hurt_later = later.player.hurt > 0;
    let jump_later = if !blocked && !hurt_later && later.can_jump() {
        safe_jump(&later)
    } else {
        None
    };
    if let Some(hold) = jump_now
        && jump_later.is_none()
    {
        return (Move::Jump(hold), None);
    }
    if !blocked && !hurt_later && (jump_later.is_some() || waits_safely(&later)) {
        return (Move::Run, Some(jump_later));
    }
    match jump_now {
        Some(hold) => (Move::Jump(hold), None),
        None => (Move::Wait, None),
    }
}

/// True when holding right for `HORIZON` steps neither hurts nor stalls.
fn runs_on_safely(world: &World) -> bool {
    Probe::new(world).runs_on_safely()
}

/// True when letting go of every button for `HORIZON` steps does not hurt.
fn waits_safely(world: &World) -> bool {
    let mut world = world.clone();
    for _ in 0..HORIZON {
        step(&mut world, Buttons::NONE);
        if world.player.hurt > 0 {
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
/// can then run on, jump again or wait safely.
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
                    || waits_safely(&world)
                    || JUMP_HOLDS
                        .into_iter()
                        .any(|hold| jump_lands_safely(&world, hold, false)));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_playthrough_round_trips_its_buttons() {
        let buttons = [
            Buttons::RIGHT,
            Buttons::RIGHT,
            Buttons::RIGHT | Buttons::JUMP,
            Buttons::NONE,
            Buttons::RIGHT,
        ];
        let playthrough = Playthrough::from_buttons(&buttons);
        assert_eq!(playthrough.runs.len(), 4);
        assert_eq!(playthrough.steps(), 5);
        assert_eq!(playthrough.buttons().collect::<Vec<_>>(), buttons);
    }

    #[test]
    fn verified_levels_replay_to_the_goal() {
        for seed in 0..5 {
            let verified = verified_level(seed, Theme::Garden, Difficulty::Hard, 5)
                .expect("a completable level");
            let mut world = World::single(Physics::for_theme(Theme::Garden), verified.level);
            for buttons in verified.playthrough.buttons() {
                step(&mut world, buttons);
                assert_eq!(world.player.hurt, 0, "the proof never loses a life");
            }
            assert_eq!(world.state, State::GameComplete);
        }
    }
}
