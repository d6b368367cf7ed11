//! Hand-made level chunks, one JSON file per theme (`chunks/*.json`), which the
//! generator stitches in between its own segments. Legend of a chunk's rows (the last
//! row is the ground at the height the chunk is placed at):
//!
//! `#` solid · `=` one-way ledge · `o` treat · `^` spike · `.` empty (a pit in the last
//! row) · `P` patroller · `H` hopper · `F` flyer (left and right) · `f` flyer (up and down).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::level::{EnemyKind, Tile};
use crate::theme::{Difficulty, Theme};

/// Tallest chunk, in rows: it must fit above the highest ground.
pub const MAX_ROWS: usize = 6;
pub const MAX_COLUMNS: usize = 16;

/// What one cell of a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Tile(Tile),
    /// An enemy; `bool`: a flyer goes up and down.
    Enemy(EnemyKind, bool),
}

/// One chunk, parsed and checked.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub name: String,
    pub min_difficulty: Difficulty,
    /// Top row first; every row is `width` cells.
    pub rows: Vec<Vec<Cell>>,
}

impl Chunk {
    pub fn width(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

#[derive(Deserialize)]
struct File {
    theme: String,
    chunks: Vec<RawChunk>,
}

#[derive(Deserialize)]
struct RawChunk {
    name: String,
    min_difficulty: String,
    rows: Vec<String>,
}

const SOURCES: [(Theme, &str); 5] = [
    (Theme::Garden, include_str!("../chunks/garden.json")),
    (Theme::House, include_str!("../chunks/house.json")),
    (Theme::Beach, include_str!("../chunks/beach.json")),
    (Theme::Space, include_str!("../chunks/space.json")),
    (Theme::Park, include_str!("../chunks/park.json")),
];

/// The chunks of `theme`. The files are part of the build and checked by the tests,
/// so a bad one here is a build bug: it is left out, and the generator makes do.
pub fn for_theme(theme: Theme) -> &'static [Chunk] {
    static ALL: OnceLock<Vec<(Theme, Vec<Chunk>)>> = OnceLock::new();
    ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|&(theme, json)| (theme, parse(theme, json).unwrap_or_default()))
            .collect()
    })
    .iter()
    .find(|(t, _)| *t == theme)
    .map_or(&[], |(_, chunks)| chunks.as_slice())
}

/// Parses and checks one theme's file.
pub fn parse(theme: Theme, json: &str) -> Result<Vec<Chunk>, String> {
    let file: File = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if file.theme != theme.as_str() {
        return Err(format!(
            "file for {}, expected {}",
            file.theme,
            theme.as_str()
        ));
    }
    file.chunks.into_iter().map(check).collect()
}

fn check(raw: RawChunk) -> Result<Chunk, String> {
    let fail = |why: &str| Err(format!("chunk {:?}: {why}", raw.name));
    let min_difficulty: Difficulty = raw
        .min_difficulty
        .parse()
        .map_err(|e: domain::Unknown| e.to_string())?;
    let width = raw.rows.first().map_or(0, |r| r.chars().count());
    if raw.rows.is_empty() || raw.rows.len() > MAX_ROWS || !(2..=MAX_COLUMNS).contains(&width) {
        return fail("size out of range");
    }
    let mut rows = Vec::with_capacity(raw.rows.len());
    for row in &raw.rows {
        if row.chars().count() != width {
            return fail("rows differ in width");
        }
        let cells: Option<Vec<Cell>> = row.chars().map(cell).collect();
        let Some(cells) = cells else {
            return fail("unknown cell character");
        };
        rows.push(cells);
    }
    let ground = rows.last().map_or(&[][..], Vec::as_slice);
    let solid = |c: Option<&Cell>| c == Some(&Cell::Tile(Tile::Solid));
    if !solid(ground.first()) || !solid(ground.last()) {
        return fail("the ground row must start and end with ground");
    }
    if ground.iter().any(|c| matches!(c, Cell::Enemy(..))) {
        return fail("an enemy in the ground row");
    }
    Ok(Chunk {
        name: raw.name,
        min_difficulty,
        rows,
    })
}

fn cell(c: char) -> Option<Cell> {
    Some(match c {
        '.' => Cell::Tile(Tile::Empty),
        '#' => Cell::Tile(Tile::Solid),
        '=' => Cell::Tile(Tile::OneWay),
        'o' => Cell::Tile(Tile::Treat),
        '^' => Cell::Tile(Tile::Spike),
        'P' => Cell::Enemy(EnemyKind::Patrol, false),
        'H' => Cell::Enemy(EnemyKind::Hop, false),
        'F' => Cell::Enemy(EnemyKind::Fly, false),
        'f' => Cell::Enemy(EnemyKind::Fly, true),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_file_parses_with_chunks_for_every_difficulty() {
        for (theme, json) in SOURCES {
            let chunks = parse(theme, json).unwrap_or_else(|e| panic!("{theme:?}: {e}"));
            assert!(chunks.len() >= 3, "{theme:?}");
            assert!(chunks.iter().any(|c| c.min_difficulty == Difficulty::Easy));
            assert_eq!(for_theme(theme).len(), chunks.len());
        }
    }

    #[test]
    fn bad_chunks_are_refused_with_the_reason() {
        let file = |rows: &str| {
            format!(
                r#"{{"theme":"park","chunks":[{{"name":"x","min_difficulty":"easy","rows":{rows}}}]}}"#
            )
        };
        let error = |rows| parse(Theme::Park, &file(rows)).expect_err("refused");
        assert!(error("[\"..\", \"#\"]").contains("width"));
        assert!(error("[\".#.\", \"..#\"]").contains("ground row"));
        assert!(error("[\"#x#\", \"###\"]").contains("unknown"));
        assert!(error("[\"#P#\"]").contains("enemy"));
        assert!(
            parse(Theme::Beach, &file("[\"###\"]")).is_err(),
            "wrong theme"
        );
    }
}
