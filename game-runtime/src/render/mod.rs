//! Software renderer: draws a `World` into an RGBA framebuffer the page blits to a
//! canvas. It only reads the simulation.

mod font;
mod look;

use crate::format::{GameData, Sprite};
use crate::level::Tile;
use crate::physics::{PLAYER_H_PX, PLAYER_W_PX, SUBPIXELS, TILE_PX};
use crate::sim::{State, World};
use crate::theme::{Content, Palette, Rgb, Theme};

/// Logical screen size: 25×14 tiles, close to 16:9, scaled up by whole multiples.
pub const SCREEN_WIDTH: usize = 400;
pub const SCREEN_HEIGHT: usize = 224;

const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [24, 20, 32];

/// An RGBA8 image, row-major, opaque.
pub struct Frame {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Frame {
    pub fn new(width: usize, height: usize) -> Frame {
        Frame {
            width,
            height,
            pixels: vec![255; width * height * 4],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// `width * height * 4` bytes, RGBA.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    fn put(&mut self, x: i32, y: i32, colour: Rgb) {
        let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y)) else {
            return;
        };
        if x < self.width && y < self.height {
            let at = (y * self.width + x) * 4;
            self.pixels[at..at + 3].copy_from_slice(&colour);
        }
    }

    fn fill(&mut self, x: i32, y: i32, w: i32, h: i32, colour: Rgb) {
        let x0 = x.clamp(0, self.width as i32);
        let x1 = (x + w).clamp(0, self.width as i32);
        for row in y.max(0)..(y + h).min(self.height as i32) {
            let start = (row as usize * self.width + x0 as usize) * 4;
            let end = (row as usize * self.width + x1 as usize) * 4;
            for pixel in self.pixels[start..end].chunks_exact_mut(4) {
                pixel[..3].copy_from_slice(&colour);
            }
        }
    }

    fn disc(&mut self, cx: i32, cy: i32, r: i32, colour: Rgb) {
        for dy in -r..=r {
            let half = (r * r - dy * dy).isqrt();
            self.fill(cx - half, cy + dy, half * 2 + 1, 1, colour);
        }
    }

    /// Darkens a band of rows, behind overlay text.
    fn dim_rows(&mut self, y: i32, h: i32) {
        let start = (y.max(0) as usize * self.width * 4).min(self.pixels.len());
        let end = ((y + h).max(0) as usize * self.width * 4).min(self.pixels.len());
        for pixel in self.pixels[start..end].chunks_exact_mut(4) {
            for channel in &mut pixel[..3] {
                *channel /= 3;
            }
        }
    }
}

/// How the player plays, which decides what the screens tell them to press.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Controls {
    /// A keyboard (or a gamepad beside one).
    #[default]
    Keys,
    /// A touch screen: the loader's on-screen buttons, and a tap on the picture to start.
    Touch,
}

impl Controls {
    fn start(self) -> &'static str {
        match self {
            Controls::Keys => "PRESS SPACE TO START",
            Controls::Touch => "TAP TO START",
        }
    }

    fn how_to_play(self) -> &'static str {
        match self {
            Controls::Keys => "ARROWS OR A/D MOVE - SPACE OR W JUMPS - P PAUSES",
            Controls::Touch => "LEFT AND RIGHT BUTTONS MOVE - UP BUTTON JUMPS",
        }
    }

    fn play_on(self) -> &'static str {
        match self {
            Controls::Keys => "PRESS P OR ESC TO PLAY ON",
            Controls::Touch => "TAP TO PLAY ON",
        }
    }

    fn play_again(self) -> &'static str {
        match self {
            Controls::Keys => "PRESS SPACE TO PLAY AGAIN",
            Controls::Touch => "TAP TO PLAY AGAIN",
        }
    }
}

/// Draws the current screen of `world`, its words for `controls`.
pub fn draw(frame: &mut Frame, data: &GameData, world: &World, controls: Controls) {
    let palette = crate::theme::palette(data.theme);
    let camera = camera(frame, world);
    draw_backdrop(frame, data.theme, &palette, camera.0, world.steps);
    let content = crate::theme::content(data.theme);
    draw_tiles(frame, world, data.theme, &palette, &content, camera);
    draw_movers(frame, world, &palette, camera);
    for enemy in &world.enemies {
        let at = (
            enemy.x.div_euclid(SUBPIXELS) - camera.0,
            enemy.y.div_euclid(SUBPIXELS) - camera.1,
        );
        look::draw_enemy(frame, &content, enemy, at, world.steps);
    }
    draw_player(frame, &data.sprite, world, camera);
    match world.state {
        State::Title => draw_title(frame, data, world, controls),
        State::Playing => draw_hud(frame, world, &palette, &content),
        State::Paused => {
            draw_hud(frame, world, &palette, &content);
            draw_panel(frame, &[("PAUSED", 2), (controls.play_on(), 1)]);
        }
        State::LevelComplete => {
            draw_hud(frame, world, &palette, &content);
            let mut heading = String::from("LEVEL ");
            push_number(&mut heading, world.level_index as u32 + 1);
            heading.push_str(" COMPLETE!");
            let mut line = String::from(content.treats);
            line.push_str(": ");
            push_number(&mut line, world.treats);
            line.push_str("  SCORE: ");
            push_number(&mut line, world.score);
            draw_panel(frame, &[(&heading, 2), (&line, 1)]);
        }
        State::GameComplete => {
            let heading = format_name("YOU DID IT, ", &data.pet_name, "!");
            let mut line = String::from("ALL LEVELS DONE - SCORE: ");
            push_number(&mut line, world.score);
            let again = if world.state_steps > 30 && blink(world.steps) {
                controls.play_again()
            } else {
                ""
            };
            draw_panel(frame, &[(&heading, 2), (&line, 1), (again, 1)]);
        }
    }
}

/// The screen shown when the game data cannot be played, e.g. an unsupported version.
pub fn draw_error(frame: &mut Frame, message: &str) {
    frame.fill(0, 0, frame.width as i32, frame.height as i32, [40, 24, 40]);
    let mut lines: Vec<(&str, i32)> = vec![("OH NO! THIS GAME CANNOT START", 2)];
    let wrapped = wrap(message, frame.width / 4 - 4);
    lines.extend(wrapped.iter().map(|line| (line.as_str(), 1)));
    draw_panel(frame, &lines);
}

/// Top-left of the view in level pixels: follows the player, stays inside the level,
/// and keeps a level shorter than the screen on the screen's bottom.
fn camera(frame: &Frame, world: &World) -> (i32, i32) {
    let (px, py) = world.player_px();
    let level_w = i32::from(world.level.width) * TILE_PX;
    let level_h = i32::from(world.level.height) * TILE_PX;
    let (w, h) = (frame.width as i32, frame.height as i32);
    let x = (px + PLAYER_W_PX / 2 - w / 2).clamp(0, (level_w - w).max(0));
    let y = if level_h <= h {
        level_h - h
    } else {
        (py + PLAYER_H_PX / 2 - h / 2).clamp(0, level_h - h)
    };
    (x, y)
}

fn mix(a: Rgb, b: Rgb, num: i32, den: i32) -> Rgb {
    let channel = |i: usize| {
        let (a, b) = (i32::from(a[i]), i32::from(b[i]));
        (a + (b - a) * num / den.max(1)) as u8
    };
    [channel(0), channel(1), channel(2)]
}

/// Sky gradient and the theme's scenery, scrolling slower than the level.
fn draw_backdrop(frame: &mut Frame, theme: Theme, palette: &Palette, camera_x: i32, steps: u32) {
    let (w, h) = (frame.width as i32, frame.height as i32);
    for y in 0..h {
        frame.fill(0, y, w, 1, mix(palette.sky_top, palette.sky_bottom, y, h));
    }
    let far = palette.far;
    match theme {
        Theme::Garden => {
            for x in 0..w {
                let t = (x + camera_x / 3).rem_euclid(160);
                let hill = 36 + (t - 80).abs() / 3;
                frame.fill(x, h - hill - 40, 1, hill + 40, far);
            }
        }
        Theme::Park => {
            for x in 0..w {
                let t = (x + camera_x / 2).rem_euclid(72);
                let d = (t - 36).abs();
                let crown = if d < 18 { 64 - d * d / 12 } else { 0 };
                let trunk = if d < 3 { 40 } else { 0 };
                let top = crown
                    .max(trunk)
                    .max(28 + (x / 2 + camera_x / 4).rem_euclid(7));
                frame.fill(x, h - top - 32, 1, top + 32, far);
            }
        }
        Theme::Beach => {
            frame.disc(w - 76, 38, 14, palette.accent);
            let sea = h - 96;
            frame.fill(0, sea, w, h - sea, far);
            for x in 0..w {
                if (x + camera_x / 4 + (steps / 8) as i32).rem_euclid(24) < 8 {
                    frame.put(x, sea, WHITE);
                }
            }
        }
        Theme::House => {
            let light = mix(far, palette.sky_bottom, 1, 2);
            for x in 0..w {
                if (x + camera_x / 2).rem_euclid(32) < 12 {
                    frame.fill(x, 0, 1, h, light);
                }
            }
            let window_x = 160 - (camera_x / 2).rem_euclid(480);
            frame.fill(window_x, 40, 72, 64, palette.ground_dark);
            frame.fill(window_x + 4, 44, 64, 56, [150, 200, 240]);
            frame.fill(window_x + 34, 44, 4, 56, palette.ground_dark);
        }
        Theme::Space => {
            for i in 0..70u32 {
                let hash = i.wrapping_mul(2_654_435_761);
                let x = (hash % 800) as i32 - camera_x / 6;
                let y = ((hash >> 12) % (h as u32 - 40)) as i32;
                let twinkle = (steps / 16 + i).is_multiple_of(9);
                frame.put(x.rem_euclid(w), y, if twinkle { far } else { WHITE });
            }
            frame.disc(300 - (camera_x / 8).rem_euclid(w + 80), 56, 20, far);
        }
    }
}

fn draw_tiles(
    frame: &mut Frame,
    world: &World,
    theme: Theme,
    palette: &Palette,
    content: &Content,
    (cx, cy): (i32, i32),
) {
    let level = &world.level;
    let first_x = cx.div_euclid(TILE_PX);
    let last_x = (cx + frame.width as i32).div_euclid(TILE_PX);
    let first_y = cy.div_euclid(TILE_PX);
    // One row more: a goal's flagpole rises into the tile above it.
    let last_y = (cy + frame.height as i32).div_euclid(TILE_PX) + 1;
    for ty in first_y..=last_y {
        for tx in first_x..=last_x {
            let (sx, sy) = (tx * TILE_PX - cx, ty * TILE_PX - cy);
            match level.get(tx, ty) {
                Some(Tile::Solid) => {
                    let open_above = !matches!(level.get(tx, ty - 1), Some(Tile::Solid) | None);
                    let open_below = level.get(tx, ty + 1) != Some(Tile::Solid);
                    draw_block(
                        frame,
                        theme,
                        palette,
                        (sx, sy),
                        (tx, ty),
                        open_above,
                        open_below,
                    );
                }
                Some(Tile::Treat) => {
                    let bob = [0, 1, 2, 1][((world.steps / 10) as i32 + tx).rem_euclid(4) as usize];
                    look::draw_treat(frame, content, palette, sx + 2, sy + 4 + bob);
                }
                Some(Tile::Goal) => draw_flag(frame, palette, sx, sy, world.steps),
                Some(Tile::Spike) => draw_spike(frame, sx, sy),
                Some(Tile::OneWay) => draw_ledge(frame, palette, sx, sy, TILE_PX),
                Some(Tile::Water) => draw_water(frame, sx, sy, tx, world.steps),
                Some(Tile::Checkpoint) => {
                    let reached = world
                        .checkpoint
                        .is_some_and(|(x, y)| (i32::from(x), i32::from(y)) == (tx, ty));
                    draw_checkpoint(frame, palette, sx, sy, reached);
                }
                Some(Tile::Empty) | None => {}
            }
        }
    }
}

/// A ground block in the theme's own look, with a surface on top when nothing is
/// above it and a dark underside when it hangs in the air.
fn draw_block(
    frame: &mut Frame,
    theme: Theme,
    palette: &Palette,
    (sx, sy): (i32, i32),
    (tx, ty): (i32, i32),
    open_above: bool,
    open_below: bool,
) {
    frame.fill(sx, sy, TILE_PX, TILE_PX, palette.ground);
    let dark = palette.ground_dark;
    match theme {
        // Soil with scattered pebbles.
        Theme::Garden => speckle(frame, (sx, sy), (tx, ty), dark),
        // Paving stones: a staggered grid of joints.
        Theme::Park => {
            let shift = if ty.rem_euclid(2) == 0 { 0 } else { 8 };
            frame.fill(sx, sy + 7, TILE_PX, 1, dark);
            frame.fill(sx + shift, sy, 1, 7, dark);
            frame.fill(sx + (shift + 8) % 16, sy + 8, 1, 8, dark);
            frame.fill(sx, sy + 15, TILE_PX, 1, dark);
        }
        // Sand with wind ripples.
        Theme::Beach => {
            for row in [3, 8, 13] {
                for px in 0..TILE_PX {
                    if (px + tx * TILE_PX + row).rem_euclid(8) < 3 {
                        frame.put(sx + px, sy + row + (px / 4) % 2, dark);
                    }
                }
            }
        }
        // Floorboards: long planks with staggered ends.
        Theme::House => {
            for row in [0, 5, 10] {
                frame.fill(sx, sy + row, TILE_PX, 1, dark);
                let seam = (tx * 5 + row * 3 + ty * 7).rem_euclid(TILE_PX);
                frame.fill(sx + seam, sy + row, 1, 5, dark);
            }
        }
        // Riveted hull plates.
        Theme::Space => {
            frame.fill(sx, sy, TILE_PX, 1, mix(palette.ground, WHITE, 1, 4));
            frame.fill(sx, sy + 15, TILE_PX, 1, dark);
            frame.fill(sx + 15, sy, 1, TILE_PX, dark);
            for (rx, ry) in [(2, 2), (12, 2), (2, 12), (12, 12)] {
                frame.put(sx + rx, sy + ry, dark);
                frame.put(sx + rx + 1, sy + ry, mix(palette.ground, WHITE, 1, 2));
            }
        }
    }
    if open_above {
        draw_surface(frame, theme, palette, (sx, sy), tx);
    }
    if open_below {
        frame.fill(sx, sy + TILE_PX - 2, TILE_PX, 2, dark);
    }
}

/// Dark dots at a tile-dependent scatter: at most one per row.
fn speckle(frame: &mut Frame, (sx, sy): (i32, i32), (tx, ty): (i32, i32), colour: Rgb) {
    for py in 0..TILE_PX {
        // The one `px` with (px * 7 + c) divisible by 23 (10 is 7's inverse mod 23).
        let c = py * 13 + tx * 5 + ty * 3;
        let px = (-c * 10).rem_euclid(23);
        if px < TILE_PX {
            frame.put(sx + px, sy + py, colour);
        }
    }
}

/// The walkable top of a block: grass, a rug's edge, dry sand, or a lit metal rim.
fn draw_surface(frame: &mut Frame, theme: Theme, palette: &Palette, (sx, sy): (i32, i32), tx: i32) {
    let top = palette.ground_top;
    let light = mix(top, WHITE, 1, 3);
    match theme {
        Theme::Garden | Theme::Park => {
            frame.fill(sx, sy, TILE_PX, 4, top);
            frame.fill(sx, sy, TILE_PX, 1, light);
            for px in 0..TILE_PX {
                if (px + tx * TILE_PX).rem_euclid(5) < 2 {
                    frame.put(sx + px, sy + 4, top);
                }
            }
        }
        Theme::House => {
            frame.fill(sx, sy, TILE_PX, 3, top);
            for px in (0..TILE_PX).step_by(4) {
                frame.put(sx + px + (tx & 1) * 2, sy + 3, top);
            }
        }
        Theme::Beach => {
            frame.fill(sx, sy, TILE_PX, 2, light);
            frame.fill(sx, sy + 2, TILE_PX, 1, top);
        }
        Theme::Space => {
            frame.fill(sx, sy, TILE_PX, 2, light);
            frame.fill(sx, sy + 2, TILE_PX, 1, palette.ground_dark);
        }
    }
}

fn draw_bitmap(frame: &mut Frame, x: i32, y: i32, rows: &[&str], colour: Rgb) {
    for (dy, row) in rows.iter().enumerate() {
        for (dx, cell) in row.bytes().enumerate() {
            if cell == b'#' {
                frame.put(x + dx as i32, y + dy as i32, colour);
            }
        }
    }
}

/// A thin plank that holds from above: one-way ledges and moving platforms.
fn draw_ledge(frame: &mut Frame, palette: &Palette, sx: i32, sy: i32, width: i32) {
    frame.fill(sx, sy, width, 5, palette.ground_dark);
    frame.fill(sx, sy, width, 3, palette.ground_top);
    frame.fill(sx, sy, width, 1, mix(palette.ground_top, WHITE, 1, 3));
    for px in (2..width).step_by(8) {
        frame.fill(sx + px, sy + 5, 2, 2, palette.ground_dark);
    }
}

/// Water from four pixels down, with a moving wave line on top.
fn draw_water(frame: &mut Frame, sx: i32, sy: i32, tx: i32, steps: u32) {
    frame.fill(sx, sy + 4, TILE_PX, TILE_PX - 4, [48, 112, 200]);
    frame.fill(sx, sy + 10, TILE_PX, TILE_PX - 10, [32, 88, 176]);
    for px in 0..TILE_PX {
        let crest = (px + tx * TILE_PX + (steps / 6) as i32).rem_euclid(8) < 3;
        frame.put(sx + px, sy + if crest { 3 } else { 4 }, [200, 232, 248]);
    }
}

/// A post with a pennant: grey until reached, then the theme's accent, raised.
fn draw_checkpoint(frame: &mut Frame, palette: &Palette, sx: i32, sy: i32, reached: bool) {
    frame.fill(sx + 7, sy - 6, 2, TILE_PX + 6, [220, 220, 228]);
    let (colour, top) = if reached {
        (palette.accent, sy - 6)
    } else {
        ([140, 140, 150], sy + 4)
    };
    for row in 0..6 {
        frame.fill(sx + 9, top + row, 6 - (row - 3i32).abs(), 1, colour);
    }
}

/// The moving platforms where they are now.
fn draw_movers(frame: &mut Frame, world: &World, palette: &Palette, (cx, cy): (i32, i32)) {
    for (x, y, width) in world.mover_positions() {
        let (sx, sy) = (x.div_euclid(SUBPIXELS) - cx, y.div_euclid(SUBPIXELS) - cy);
        draw_ledge(frame, palette, sx, sy, width / SUBPIXELS);
    }
}

fn draw_flag(frame: &mut Frame, palette: &Palette, sx: i32, sy: i32, steps: u32) {
    let top = sy - TILE_PX;
    frame.fill(sx + 3, top, 2, 2 * TILE_PX, [220, 220, 228]);
    frame.fill(sx + 2, top - 2, 4, 3, palette.accent);
    let wave = ((steps / 12) % 2) as i32;
    for row in 0..10 {
        let len = 11 - (row - 5i32).abs() * 2;
        frame.fill(
            sx + 5,
            top + 1 + row + wave * (row / 5),
            len,
            1,
            palette.accent,
        );
    }
}

fn draw_spike(frame: &mut Frame, sx: i32, sy: i32) {
    for px in 0..TILE_PX {
        let local = px.rem_euclid(8);
        let height = 10 - (2 * local - 7).abs() * 5 / 4;
        frame.fill(sx + px, sy + TILE_PX - height, 1, height, [208, 212, 224]);
        frame.put(sx + px, sy + TILE_PX - height, [96, 96, 112]);
    }
}

/// The animation for the player's situation (the sprite falls back to "walk" for "run" and to
/// "idle" for the rest): on the ground the pet walks while it speeds up or slows down and
/// runs once it is near its top speed.
fn animation_name(world: &World) -> &'static str {
    let p = &world.player;
    match world.state {
        State::LevelComplete | State::GameComplete => "celebrate",
        _ if p.hurt > 0 => "hurt",
        _ if !p.on_ground && p.vy < 0 => "jump",
        _ if !p.on_ground => "fall",
        _ if p.vx.abs() * 4 >= world.physics.max_run * 3 => "run",
        _ if p.vx.abs() > 32 => "walk",
        _ => "idle",
    }
}

/// The sheet's animation the pet is drawn in now (after the sprite's fallbacks) and the
/// frame of the sheet drawn; frame 0 and no name when the sheet has no animations.
pub fn player_frame<'a>(sprite: &'a Sprite, world: &World) -> (&'a str, u16) {
    sprite
        .animation(animation_name(world))
        .map_or(("", 0), |a| {
            let elapsed = u64::from(world.steps) * u64::from(a.fps) / 60;
            (
                a.name.as_str(),
                a.first + (elapsed % u64::from(a.count)) as u16,
            )
        })
}

fn draw_player(frame: &mut Frame, sprite: &Sprite, world: &World, (cx, cy): (i32, i32)) {
    if world.player.hurt > 0 && (world.player.hurt / 4) % 2 == 1 {
        return;
    }
    let (_, index) = player_frame(sprite, world);
    let (px, py) = world.player_px();
    let (fw, fh) = (sprite.frame_width, sprite.frame_height);
    let left = px + PLAYER_W_PX / 2 - i32::from(fw) / 2 - cx;
    let top = py + PLAYER_H_PX - i32::from(fh) - cy;
    for y in 0..fh {
        for x in 0..fw {
            let source_x = if world.player.facing_left {
                fw - 1 - x
            } else {
                x
            };
            let [r, g, b, a] = sprite.pixel(index, source_x, y);
            if a >= 128 {
                frame.put(left + i32::from(x), top + i32::from(y), [r, g, b]);
            }
        }
    }
}

fn draw_hud(frame: &mut Frame, world: &World, palette: &Palette, content: &Content) {
    let mut level = String::from("LEVEL ");
    push_number(&mut level, world.level_index as u32 + 1);
    level.push('/');
    push_number(&mut level, world.level_count() as u32);
    draw_text(frame, 6, 6, 1, palette.text, &level);

    let mut score = String::from("SCORE ");
    push_number(&mut score, world.score);
    draw_text(frame, 84, 6, 1, palette.text, &score);

    let mut treats = String::new();
    push_number(&mut treats, world.treats);
    let centre = frame.width as i32 / 2 + 24;
    look::draw_treat(frame, content, palette, centre, 4);
    draw_text(frame, centre + 16, 6, 1, palette.text, &treats);

    const HEART: [&str; 5] = [".#.#.", "#####", "#####", ".###.", "..#.."];
    for life in 0..i32::from(world.lives) {
        let x = frame.width as i32 - 12 - life * 8;
        draw_bitmap(frame, x + 1, 7, &HEART, INK);
        draw_bitmap(frame, x, 6, &HEART, [232, 64, 88]);
    }
}

fn draw_title(frame: &mut Frame, data: &GameData, world: &World, controls: Controls) {
    let title = wrap(&data.title, 44);
    let starring = format_name("STARRING ", &data.pet_name, "");
    let press = if blink(world.steps) {
        controls.start()
    } else {
        ""
    };
    let mut lines: Vec<(&str, i32)> = title.iter().map(|line| (line.as_str(), 2)).collect();
    lines.push((&starring, 1));
    lines.push((press, 1));
    lines.push((controls.how_to_play(), 1));
    draw_panel(frame, &lines);
}

fn blink(steps: u32) -> bool {
    (steps / 30).is_multiple_of(2)
}

fn format_name(before: &str, name: &str, after: &str) -> String {
    let mut line = String::from(before);
    line.extend(name.chars().take(24).map(|c| c.to_ascii_uppercase()));
    line.push_str(after);
    line
}

/// A dimmed band across the screen's middle with centred lines of `(text, scale)`.
fn draw_panel(frame: &mut Frame, lines: &[(&str, i32)]) {
    let gap = 6;
    let height: i32 = lines
        .iter()
        .map(|&(_, scale)| font::HEIGHT * scale + gap)
        .sum::<i32>()
        + gap;
    let mut y = (frame.height as i32 - height) / 2;
    frame.dim_rows(y, height);
    y += gap;
    for &(text, scale) in lines {
        let x = (frame.width as i32 - text_width(text, scale)) / 2;
        draw_text(frame, x, y, scale, WHITE, text);
        y += font::HEIGHT * scale + gap;
    }
}

fn text_width(text: &str, scale: i32) -> i32 {
    (text.chars().count() as i32 * font::ADVANCE - 1).max(0) * scale
}

/// Text with a one-pixel shadow so it reads on any background.
fn draw_text(frame: &mut Frame, x: i32, y: i32, scale: i32, colour: Rgb, text: &str) {
    for (offset, colour) in [(scale, INK), (0, colour)] {
        for (i, c) in text.chars().enumerate() {
            let glyph = font::glyph(c);
            let left = x + offset + i as i32 * font::ADVANCE * scale;
            for gy in 0..font::HEIGHT {
                for gx in 0..3 {
                    if font::lit(glyph, gx, gy) {
                        frame.fill(
                            left + gx * scale,
                            y + offset + gy * scale,
                            scale,
                            scale,
                            colour,
                        );
                    }
                }
            }
        }
    }
}

/// Appends `n` in decimal, without the formatting machinery.
fn push_number(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut rest = n;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
}

/// Splits text into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().take(width).collect();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(core::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.truncate(6);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::GameSpec;
    use crate::sim::{Buttons, step};
    use crate::theme::Difficulty;

    fn data(theme: Theme) -> GameData {
        GameData::generate(
            &GameSpec {
                title: "Luna in Space",
                pet_name: "Luna",
                theme,
                difficulty: Difficulty::Easy,
                seed: 5,
                level_count: 2,
            },
            Sprite::placeholder(),
        )
        .expect("a completable game")
    }

    fn colours(frame: &Frame) -> usize {
        let mut seen: Vec<&[u8]> = frame.pixels().chunks_exact(4).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn every_theme_draws_title_and_play_screens_with_the_pet_on_them() {
        for theme in Theme::ALL {
            let data = data(theme);
            let mut world = World::title(&data);
            let mut frame = Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT);
            draw(&mut frame, &data, &world, Controls::Keys);
            assert!(colours(&frame) > 8, "{theme:?} title is nearly blank");
            step(&mut world, Buttons::JUMP);
            for _ in 0..30 {
                step(&mut world, Buttons::RIGHT);
            }
            draw(&mut frame, &data, &world, Controls::Keys);
            let fur = [196, 136, 72, 255];
            assert!(
                frame.pixels().chunks_exact(4).any(|p| p == fur),
                "{theme:?}: the pet is not on screen"
            );
        }
    }

    #[test]
    fn a_touch_screen_is_told_to_tap_and_a_keyboard_which_keys() {
        let data = data(Theme::Garden);
        let world = World::title(&data);
        let mut keys = Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT);
        let mut touch = Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT);
        draw(&mut keys, &data, &world, Controls::Keys);
        draw(&mut touch, &data, &world, Controls::Touch);
        assert_ne!(keys.pixels(), touch.pixels(), "the title's words differ");
        for controls in [Controls::Keys, Controls::Touch] {
            for words in [
                controls.start(),
                controls.how_to_play(),
                controls.play_on(),
                controls.play_again(),
            ] {
                // Every word drawable in the font, and within the title panel's width.
                assert!(
                    words
                        .chars()
                        .all(|c| c == ' ' || font::glyph(c) != font::glyph('?') || c == '?'),
                    "{words}"
                );
                assert!(words.len() <= 48, "{words}");
            }
        }
        assert_eq!(Controls::Touch.start(), "TAP TO START");
        assert!(!Controls::Touch.how_to_play().contains("SPACE"));
    }

    #[test]
    fn the_pet_walks_as_it_speeds_up_and_runs_at_full_speed() {
        let data = data(Theme::Park);
        let mut world = World::title(&data);
        step(&mut world, Buttons::JUMP);
        while !world.player.on_ground {
            step(&mut world, Buttons::NONE);
        }
        assert_eq!(animation_name(&world), "idle");
        let mut seen = Vec::new();
        for _ in 0..40 {
            step(&mut world, Buttons::RIGHT);
            if world.player.on_ground && seen.last() != Some(&animation_name(&world)) {
                seen.push(animation_name(&world));
            }
        }
        // The first step is too slow to show as walking.
        assert_eq!(seen, vec!["idle", "walk", "run"]);
    }

    #[test]
    fn the_error_screen_shows_text() {
        let mut frame = Frame::new(SCREEN_WIDTH, SCREEN_HEIGHT);
        draw_error(
            &mut frame,
            "unsupported game data version 7 (this player reads version 1)",
        );
        let white = frame
            .pixels()
            .chunks_exact(4)
            .filter(|p| p[..3] == WHITE)
            .count();
        assert!(white > 200, "{white} white pixels");
    }

    #[test]
    fn numbers_and_wrapping_format_without_std_fmt() {
        let mut s = String::new();
        push_number(&mut s, 0);
        s.push(' ');
        push_number(&mut s, 4_294_967_295);
        assert_eq!(s, "0 4294967295");
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
    }
}
