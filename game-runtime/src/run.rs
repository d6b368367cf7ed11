//! Finished runs for the leaderboard. The page's [`Recorder`] keeps the buttons of every
//! step from the one that leaves the title screen to the one that reaches the last goal;
//! the server [`verify`]s a run by replaying it through the same simulation from the title
//! screen and believes only what the replay shows. The simulation is fixed-step integer
//! arithmetic, so the replay is bit-exact on any machine.
//!
//! A run travels as text, run-length encoded: `bits:steps` pairs joined by commas
//! (`8:1,2:45,6:12` is start for a step, right for 45, right and jump for 12).

use core::fmt;

use crate::format::GameData;
use crate::sim::{Buttons, State, World, step};

/// The longest run accepted, in steps: half an hour at 60 steps a second.
pub const MAX_STEPS: u32 = 60 * 60 * 30;
/// The most changes of buttons a run may have (a player changes them a few times a second).
pub const MAX_CHANGES: usize = 20_000;
/// The longest text a run may be: `MAX_CHANGES` pairs of `31:65535` and their commas.
pub const MAX_TEXT: usize = MAX_CHANGES * 9;

/// A run: the buttons of each step, run-length encoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    changes: Vec<(u8, u16)>,
    steps: u32,
}

/// Why a run was not believed. The `Display` text is shown to the player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The text is not a run (`what` says where).
    Malformed(&'static str),
    Empty,
    TooLong,
    /// Its first step does not leave the title screen.
    NotFromTitle,
    /// The replay reached the last goal at `at` steps, before the run ended.
    FinishedEarly {
        at: u32,
    },
    /// The replay did not reach the last goal.
    Unfinished,
    /// The run says it took `claimed` steps; its replay took `replayed`.
    WrongTime {
        claimed: u32,
        replayed: u32,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(what) => write!(f, "this is not a recorded run ({what})"),
            Refusal::Empty => f.write_str("the run is empty"),
            Refusal::TooLong => write!(
                f,
                "the run is longer than the longest kept ({} minutes)",
                MAX_STEPS / 3600
            ),
            Refusal::NotFromTitle => f.write_str("the run does not start from the title screen"),
            Refusal::FinishedEarly { at } => {
                write!(f, "the run reaches the goal at step {at}, before it ends")
            }
            Refusal::Unfinished => f.write_str("the run does not reach the last goal"),
            Refusal::WrongTime { claimed, replayed } => write!(
                f,
                "the run says it took {claimed} steps but its replay took {replayed}"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl Run {
    /// A run of these buttons, one per step.
    pub fn from_buttons(buttons: impl IntoIterator<Item = Buttons>) -> Run {
        let mut run = Run::default();
        for b in buttons {
            run.push(b);
        }
        run
    }

    fn push(&mut self, buttons: Buttons) {
        let bits = buttons.bits() as u8;
        self.steps = self.steps.saturating_add(1);
        match self.changes.last_mut() {
            Some((last, count)) if *last == bits && *count < u16::MAX => *count += 1,
            _ => self.changes.push((bits, 1)),
        }
    }

    /// Steps the run lasts.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The buttons of every step, in order.
    pub fn buttons(&self) -> impl Iterator<Item = Buttons> + '_ {
        self.changes.iter().flat_map(|&(bits, count)| {
            core::iter::repeat_n(Buttons::from_bits(u32::from(bits)), usize::from(count))
        })
    }

    /// The run as text (see the module's documentation).
    pub fn encode(&self) -> String {
        use core::fmt::Write;
        let mut text = String::with_capacity(self.changes.len() * 6);
        for (i, (bits, count)) in self.changes.iter().enumerate() {
            let comma = if i > 0 { "," } else { "" };
            // Writing to a String cannot fail.
            let _ = write!(text, "{comma}{bits}:{count}");
        }
        text
    }

    /// Reads a run's text, refusing anything over the limits before allocating for it.
    pub fn parse(text: &str) -> Result<Run, Refusal> {
        if text.is_empty() {
            return Err(Refusal::Empty);
        }
        if text.len() > MAX_TEXT {
            return Err(Refusal::TooLong);
        }
        let mut run = Run::default();
        for pair in text.split(',') {
            let (bits, count) = pair
                .split_once(':')
                .ok_or(Refusal::Malformed("a pair without a colon"))?;
            let bits: u8 = digits(bits)
                .and_then(|b| b.parse().ok())
                .filter(|b| u32::from(*b) == Buttons::from_bits(u32::from(*b)).bits())
                .ok_or(Refusal::Malformed("buttons are a number from 0 to 31"))?;
            let count: u16 = digits(count)
                .and_then(|c| c.parse().ok())
                .filter(|c| *c > 0)
                .ok_or(Refusal::Malformed("a count is a number from 1 to 65535"))?;
            if run.changes.len() == MAX_CHANGES {
                return Err(Refusal::TooLong);
            }
            run.steps = run.steps.saturating_add(u32::from(count));
            if run.steps > MAX_STEPS {
                return Err(Refusal::TooLong);
            }
            run.changes.push((bits, count));
        }
        Ok(run)
    }
}

/// `text` when it is only ASCII digits (`str::parse` also takes a sign).
fn digits(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

/// What a believed run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Steps from leaving the title screen to the last goal: the run's time.
    pub steps: u32,
    pub score: u32,
    pub treats: u32,
}

/// Replays `run` from the title screen of `data`'s game. It is believed when its first step
/// leaves the title screen and its last step, and no earlier one, reaches the last goal. The
/// work is bounded by [`MAX_STEPS`], which `Run::parse` enforces.
pub fn verify(data: &GameData, run: &Run) -> Result<Outcome, Refusal> {
    if run.steps == 0 {
        return Err(Refusal::Empty);
    }
    if run.steps > MAX_STEPS {
        return Err(Refusal::TooLong);
    }
    let mut world = World::title(data);
    for (at, buttons) in (1u32..).zip(run.buttons()) {
        step(&mut world, buttons);
        if at == 1 && world.state != State::Playing {
            return Err(Refusal::NotFromTitle);
        }
        if world.state == State::GameComplete {
            if at != run.steps {
                return Err(Refusal::FinishedEarly { at });
            }
            return Ok(Outcome {
                steps: at,
                score: world.score,
                treats: world.treats,
            });
        }
    }
    Err(Refusal::Unfinished)
}

/// Keeps the run being played on the page: started by the step that leaves the title screen,
/// finished by the step that reaches the last goal, dropped when the game is replaced (a
/// level's proof replaying) or the run grows past [`MAX_STEPS`].
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    current: Option<Run>,
    finished: Option<(Run, Outcome)>,
}

impl Recorder {
    /// Notes one step: the state before it, the world after it and the buttons it was given.
    pub fn step(&mut self, before: State, world: &World, buttons: Buttons) {
        if before == State::Title && world.state == State::Playing {
            self.current = Some(Run::default());
        }
        let Some(run) = &mut self.current else {
            return;
        };
        run.push(buttons);
        if world.state == State::GameComplete {
            let outcome = Outcome {
                steps: run.steps,
                score: world.score,
                treats: world.treats,
            };
            self.finished = self.current.take().map(|run| (run, outcome));
        } else if run.steps > MAX_STEPS || run.changes.len() > MAX_CHANGES {
            self.current = None;
        }
    }

    /// Forgets the run in progress.
    pub fn cancel(&mut self) {
        self.current = None;
    }

    /// The run finished last and what the page saw it do, once.
    pub fn take_finished(&mut self) -> Option<(Run, Outcome)> {
        self.finished.take()
    }
}

/// The whole game as the solver plays it, from the title screen: start, then each level's
/// stored proof, waiting out the celebration between levels. A real run (tests, and the
/// page's demonstration hook).
pub fn solver_run(data: &GameData) -> Run {
    let mut run = Run::default();
    // Start rather than jump leaves the title: the first level's proof may begin with a
    // jump, which must count as a new press.
    run.push(Buttons::START);
    for (index, playthrough) in data.playthroughs.iter().enumerate() {
        for buttons in playthrough.buttons() {
            run.push(buttons);
        }
        if index + 1 < data.playthroughs.len() {
            // The next level loads by itself after the celebration; its first step is
            // taken with nothing held, as the proof was recorded.
            for _ in 0..crate::sim::LEVEL_COMPLETE_STEPS {
                run.push(Buttons::NONE);
            }
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{GameSpec, Sprite};
    use crate::theme::{Difficulty, Theme};

    fn game(levels: u32, seed: u64) -> GameData {
        GameData::generate(
            &GameSpec {
                title: "Pip",
                pet_name: "Pip",
                theme: Theme::Park,
                difficulty: Difficulty::Normal,
                seed,
                level_count: levels,
            },
            Sprite::placeholder(),
        )
        .expect("a game")
    }

    #[test]
    fn the_solvers_whole_game_is_believed_with_its_time() {
        for (levels, seed) in [(1, 1), (3, 7)] {
            let data = game(levels, seed);
            let run = solver_run(&data);
            let outcome = verify(&data, &run).expect("believed");
            assert_eq!(outcome.steps, run.steps());
            let proofs: usize = data.playthroughs.iter().map(|p| p.steps()).sum();
            let waits = (levels as usize - 1) * crate::sim::LEVEL_COMPLETE_STEPS as usize;
            assert_eq!(run.steps() as usize, 1 + proofs + waits);
        }
    }

    #[test]
    fn text_round_trips_and_junk_is_refused_in_words() {
        let run = Run::from_buttons([
            Buttons::START,
            Buttons::RIGHT,
            Buttons::RIGHT,
            Buttons::RIGHT | Buttons::JUMP,
        ]);
        assert_eq!(run.encode(), "8:1,2:2,6:1");
        assert_eq!(Run::parse(&run.encode()), Ok(run));
        for junk in [
            "2", "2:", ":3", "2:0", "32:1", "-1:2", "+2:3", "2:65536", "2:1,", "a:b", "2:1;3:1",
        ] {
            assert!(
                matches!(Run::parse(junk), Err(Refusal::Malformed(_))),
                "{junk:?}"
            );
        }
        assert_eq!(Run::parse(""), Err(Refusal::Empty));
    }

    #[test]
    fn runs_over_the_limits_are_refused_before_replaying() {
        let long = vec!["2:65535"; (MAX_STEPS / 65535 + 1) as usize].join(",");
        assert_eq!(Run::parse(&long), Err(Refusal::TooLong));
        let busy = vec!["2:1,0:1"; MAX_CHANGES / 2 + 1].join(",");
        assert_eq!(Run::parse(&busy), Err(Refusal::TooLong));
        assert_eq!(Run::parse(&"2".repeat(MAX_TEXT + 1)), Err(Refusal::TooLong));
    }

    #[test]
    fn forged_truncated_and_impossible_runs_are_refused() {
        let data = game(2, 3);
        let run = solver_run(&data);
        let buttons: Vec<Buttons> = run.buttons().collect();

        // Truncated: the last steps cut off never reach the goal.
        let truncated = Run::from_buttons(buttons[..buttons.len() - 20].iter().copied());
        assert_eq!(verify(&data, &truncated), Err(Refusal::Unfinished));
        // Padded: steps after the goal would make a claimed time longer than the play.
        let mut padded = buttons.clone();
        padded.extend([Buttons::NONE; 5]);
        assert_eq!(
            verify(&data, &Run::from_buttons(padded)),
            Err(Refusal::FinishedEarly { at: run.steps() })
        );
        // Not from the title: the first level's proof alone, without the start press.
        let no_start = Run::from_buttons(buttons[1..].iter().copied());
        assert_eq!(verify(&data, &no_start), Err(Refusal::NotFromTitle));
        // Impossible: the same number of steps with the jumps taken out falls short.
        let forged = Run::from_buttons(buttons.iter().enumerate().map(|(i, b)| {
            if i == 0 {
                *b
            } else {
                Buttons::from_bits(b.bits() & !Buttons::JUMP.bits())
            }
        }));
        assert_eq!(verify(&data, &forged), Err(Refusal::Unfinished));
        assert_eq!(verify(&data, &Run::default()), Err(Refusal::Empty));
    }

    #[test]
    fn the_recorder_keeps_exactly_the_run_the_replay_believes() {
        let data = game(2, 5);
        let expected = solver_run(&data);
        let mut world = World::title(&data);
        let mut recorder = Recorder::default();
        // Idle on the title screen first, then the run, then the end screen's idle steps.
        let steps = core::iter::repeat_n(Buttons::NONE, 40)
            .chain(expected.buttons())
            .chain(core::iter::repeat_n(Buttons::NONE, 10));
        for buttons in steps {
            let before = world.state;
            step(&mut world, buttons);
            recorder.step(before, &world, buttons);
        }
        let (recorded, seen) = recorder.take_finished().expect("a finished run");
        assert_eq!(recorded, expected);
        assert!(recorder.take_finished().is_none(), "handed out once");
        assert_eq!(verify(&data, &recorded), Ok(seen));
        assert_eq!(seen.steps, expected.steps());

        // A run interrupted (a proof replaying) is never finished.
        let mut world = World::title(&data);
        let mut recorder = Recorder::default();
        for (i, buttons) in expected.buttons().enumerate() {
            if i == 100 {
                recorder.cancel();
            }
            let before = world.state;
            step(&mut world, buttons);
            recorder.step(before, &world, buttons);
        }
        assert!(recorder.take_finished().is_none());
    }
}
