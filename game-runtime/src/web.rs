//! The browser entry: a `Game` the loader steps at 60 Hz and blits from wasm memory.

use wasm_bindgen::prelude::*;

use crate::format::{self, GameData};
use crate::render::{self, Frame, SCREEN_HEIGHT, SCREEN_WIDTH};
use crate::run::{self, Recorder};
use crate::sim::{self, Buttons, World};

enum Mode {
    Playing {
        data: Box<GameData>,
        world: Box<World>,
        /// While a stored playthrough plays itself: its buttons, and the next one.
        replay: Option<(Vec<Buttons>, usize)>,
        /// The run from the title screen to the last goal, for the leaderboard.
        recorder: Recorder,
    },
    /// The data could not be played; the screen says why.
    Failed(String),
}

/// A run that reached the last goal, as the page sends it to the leaderboard.
#[wasm_bindgen(getter_with_clone)]
pub struct FinishedRun {
    /// The run's text (`run::Run::encode`).
    pub text: String,
    /// Its time in 1/60 s steps.
    pub steps: u32,
    pub score: u32,
}

/// One running game.
#[wasm_bindgen]
pub struct Game {
    mode: Mode,
    frame: Frame,
    controls: render::Controls,
}

#[wasm_bindgen]
impl Game {
    /// Decodes the game data from the module's `petpixel.game` section; the error's
    /// message is fit to show to the player.
    #[wasm_bindgen(constructor)]
    pub fn new(data: &[u8]) -> Result<Game, JsError> {
        let data = format::decode(data).map_err(|e| JsError::new(&e.to_string()))?;
        let world = World::title(&data);
        Ok(Game {
            mode: Mode::Playing {
                data: Box::new(data),
                world: Box::new(world),
                replay: None,
                recorder: Recorder::default(),
            },
            frame: Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT),
            controls: render::Controls::Keys,
        })
    }

    /// A game that only shows `message` on the error screen, for when `new` failed.
    pub fn failed(message: &str) -> Game {
        Game {
            mode: Mode::Failed(message.to_string()),
            frame: Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT),
            controls: render::Controls::Keys,
        }
    }

    /// What the screens tell the player to press: `touch` or `keys`.
    pub fn controls(&self) -> String {
        match self.controls {
            render::Controls::Touch => "touch",
            render::Controls::Keys => "keys",
        }
        .into()
    }

    /// Whether the player has a touch screen: the screens then say "tap" rather than name
    /// keys (the loader draws the buttons).
    pub fn set_touch(&mut self, touch: bool) {
        self.controls = if touch {
            render::Controls::Touch
        } else {
            render::Controls::Keys
        };
    }

    /// One 1/60 s step with the `Buttons` bitset (1 left, 2 right, 4 jump, 8 start,
    /// 16 pause), ignored while a playthrough replays. Returns the step's `Events`
    /// bitset (1 jump, 2 treat, 4 stomp, 8 hurt, 16 checkpoint, 32 goal) for sounds.
    pub fn step(&mut self, buttons: u32) -> u32 {
        let Mode::Playing {
            world,
            replay,
            recorder,
            ..
        } = &mut self.mode
        else {
            return 0;
        };
        let buttons = match replay {
            Some((recorded, next)) => {
                let buttons = recorded.get(*next).copied();
                *next += 1;
                if *next >= recorded.len() {
                    *replay = None;
                }
                buttons.unwrap_or(Buttons::NONE)
            }
            None => Buttons::from_bits(buttons),
        };
        let before = world.state;
        sim::step(world, buttons);
        recorder.step(before, world, buttons);
        world.events.bits()
    }

    /// Plays level `level` (from 0) by itself with the solver's stored playthrough,
    /// the proof the level can be finished; player input resumes when it ends. False
    /// when there is no such level.
    pub fn replay(&mut self, level: u32) -> bool {
        let Mode::Playing {
            data,
            world,
            replay,
            recorder,
        } = &mut self.mode
        else {
            return false;
        };
        let index = level as usize;
        let Some(playthrough) = data.playthroughs.get(index) else {
            return false;
        };
        **world = World::new(data, index);
        *replay = Some((playthrough.buttons().collect(), 0));
        recorder.cancel();
        true
    }

    /// Plays the whole game by itself from the title screen with the solver's proofs, as a
    /// player's input: the run is recorded like a player's (the page's demonstration and
    /// test hook). False when the game failed to load.
    pub fn autoplay(&mut self) -> bool {
        let Mode::Playing {
            data,
            world,
            replay,
            recorder,
        } = &mut self.mode
        else {
            return false;
        };
        **world = World::title(data);
        *replay = Some((run::solver_run(data).buttons().collect(), 0));
        recorder.cancel();
        true
    }

    /// The run that last reached the last goal, once; `undefined` when none has since the
    /// last call.
    pub fn take_run(&mut self) -> Option<FinishedRun> {
        let Mode::Playing { recorder, .. } = &mut self.mode else {
            return None;
        };
        let (run, outcome) = recorder.take_finished()?;
        Some(FinishedRun {
            text: run.encode(),
            steps: outcome.steps,
            score: outcome.score,
        })
    }

    /// Test hook: true while a playthrough replays.
    pub fn replaying(&self) -> bool {
        matches!(
            self.mode,
            Mode::Playing {
                replay: Some(_),
                ..
            }
        )
    }

    /// Draws the current screen into the framebuffer.
    pub fn render(&mut self) {
        match &self.mode {
            Mode::Playing { data, world, .. } => {
                render::draw(&mut self.frame, data, world, self.controls)
            }
            Mode::Failed(message) => render::draw_error(&mut self.frame, message),
        }
    }

    /// Where the RGBA framebuffer (`width() * height() * 4` bytes) lies in memory.
    pub fn frame_ptr(&self) -> *const u8 {
        self.frame.pixels().as_ptr()
    }

    pub fn width(&self) -> u32 {
        self.frame.width() as u32
    }

    pub fn height(&self) -> u32 {
        self.frame.height() as u32
    }

    /// Test hook: the player's hitbox left edge in level pixels.
    pub fn player_x(&self) -> i32 {
        self.world().map_or(0, |w| w.player_px().0)
    }

    /// Test hook: the player's hitbox top edge in level pixels.
    pub fn player_y(&self) -> i32 {
        self.world().map_or(0, |w| w.player_px().1)
    }

    /// Test hook: the current level, from 0.
    pub fn level_index(&self) -> u32 {
        self.world().map_or(0, |w| w.level_index as u32)
    }

    /// Test hook: "title", "playing", "paused", "level_complete", "game_complete"
    /// or "error".
    pub fn state(&self) -> String {
        self.world()
            .map_or("error", |w| w.state.as_str())
            .to_string()
    }

    /// Test hook: points scored.
    pub fn score(&self) -> u32 {
        self.world().map_or(0, |w| w.score)
    }

    /// Test hook: treats collected.
    pub fn treats(&self) -> u32 {
        self.world().map_or(0, |w| w.treats)
    }

    /// Test hook: lives left.
    pub fn lives(&self) -> u32 {
        self.world().map_or(0, |w| u32::from(w.lives))
    }

    /// Test hook: the sheet's animation the pet is drawn in ("idle", "walk", "run", ...).
    pub fn player_animation(&self) -> String {
        match &self.mode {
            Mode::Playing { data, world, .. } => {
                render::player_frame(&data.sprite, world).0.to_string()
            }
            Mode::Failed(_) => String::new(),
        }
    }

    /// Test hook: the frame of the sheet the pet is drawn in, from 0.
    pub fn player_frame(&self) -> u32 {
        match &self.mode {
            Mode::Playing { data, world, .. } => {
                u32::from(render::player_frame(&data.sprite, world).1)
            }
            Mode::Failed(_) => 0,
        }
    }

    /// Levels in the game.
    pub fn level_count(&self) -> u32 {
        self.world().map_or(0, |w| w.level_count() as u32)
    }
}

impl Game {
    fn world(&self) -> Option<&World> {
        match &self.mode {
            Mode::Playing { world, .. } => Some(world),
            Mode::Failed(_) => None,
        }
    }
}
