//! The browser entry: a `Game` the loader steps at 60 Hz and blits from wasm memory.

use wasm_bindgen::prelude::*;

use crate::format::{self, GameData};
use crate::render::{self, Frame, SCREEN_HEIGHT, SCREEN_WIDTH};
use crate::sim::{self, Buttons, World};

enum Mode {
    Playing {
        data: Box<GameData>,
        world: Box<World>,
    },
    /// The data could not be played; the screen says why.
    Failed(String),
}

/// One running game.
#[wasm_bindgen]
pub struct Game {
    mode: Mode,
    frame: Frame,
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
            },
            frame: Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT),
        })
    }

    /// A game that only shows `message` on the error screen, for when `new` failed.
    pub fn failed(message: &str) -> Game {
        Game {
            mode: Mode::Failed(message.to_string()),
            frame: Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT),
        }
    }

    /// One 1/60 s step with the `Buttons` bitset (1 left, 2 right, 4 jump, 8 start).
    pub fn step(&mut self, buttons: u32) {
        if let Mode::Playing { world, .. } = &mut self.mode {
            sim::step(world, Buttons::from_bits(buttons));
        }
    }

    /// Draws the current screen into the framebuffer.
    pub fn render(&mut self) {
        match &self.mode {
            Mode::Playing { data, world } => render::draw(&mut self.frame, data, world),
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

    /// Test hook: "title", "playing", "level_complete", "game_complete" or "error".
    pub fn state(&self) -> String {
        self.world()
            .map_or("error", |w| w.state.as_str())
            .to_string()
    }

    /// Test hook: treats collected.
    pub fn score(&self) -> u32 {
        self.world().map_or(0, |w| w.score)
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
