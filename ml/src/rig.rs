//! The pet's movable parts, found on the resting sprite's silhouette: its legs (thin shapes
//! standing on the lowest rows, followed up to where they join the body), its head (the upper
//! front: the sprite faces right) and its rear (where a tail is), and from them the gait that
//! suits it.
//!
//! Parts are found and moved on the sprite grid itself, as a pixel artist animates: clusters
//! of pixels are sheared and shifted, never resampled, so every frame stays on the sprite's
//! palette and pixels of parts that do not move stay identical (ADR 0011).

use std::collections::VecDeque;

pub use domain::Gait;

use crate::mask::bounding_box;

/// Palette indices of one frame, row by row; `clear` marks empty cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grid {
    pub width: usize,
    pub height: usize,
    pub cells: Vec<i64>,
    pub clear: i64,
}

impl Grid {
    /// The cell at (x, y); empty outside the canvas.
    pub fn get(&self, x: i64, y: i64) -> i64 {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return self.clear;
        }
        self.cells[y as usize * self.width + x as usize]
    }

    pub fn opaque(&self, x: i64, y: i64) -> bool {
        self.get(x, y) != self.clear
    }

    /// Sets the cell at (x, y); outside the canvas nothing happens.
    pub fn set(&mut self, x: i64, y: i64, value: i64) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.cells[y as usize * self.width + x as usize] = value;
        }
    }

    /// A grid of the same size whose cell (x, y) is this grid's cell `source(x, y)`.
    pub fn remap(&self, source: impl Fn(i64, i64) -> (i64, i64)) -> Grid {
        let mut cells = Vec::with_capacity(self.cells.len());
        for y in 0..self.height as i64 {
            for x in 0..self.width as i64 {
                let (sx, sy) = source(x, y);
                cells.push(self.get(sx, sy));
            }
        }
        Grid {
            cells,
            ..self.clone()
        }
    }
}

/// One leg: its cells on the resting sprite, from its hip down to its foot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leg {
    pub cells: Vec<(usize, usize)>,
    /// Mean column of its cells.
    pub centre: f32,
    /// Its top row, where it joins the body.
    pub hip: usize,
    /// Its lowest row.
    pub foot: usize,
}

impl Leg {
    fn new(cells: Vec<(usize, usize)>) -> Leg {
        let centre = cells.iter().map(|&(x, _)| x as f32).sum::<f32>() / cells.len().max(1) as f32;
        let hip = cells.iter().map(|&(_, y)| y).min().unwrap_or(0);
        let foot = cells.iter().map(|&(_, y)| y).max().unwrap_or(0);
        Leg {
            cells,
            centre,
            hip,
            foot,
        }
    }

    /// Rows from hip to foot.
    pub fn rows(&self) -> usize {
        self.foot + 1 - self.hip
    }

    /// Whether it is long enough to step on: at least `min_rows` long and no wider, on
    /// average, than it is long. A paw hanging over a ledge or tucked under a lying cat is a
    /// squat lump; a leg stands taller than it is wide, even a goat's short one at 48 px.
    fn steps(&self, min_rows: usize) -> bool {
        let rows = self.rows();
        rows >= min_rows && self.cells.len() <= rows * rows
    }
}

/// Where the pet's parts are on the resting sprite. Rows and columns are inclusive bounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rig {
    pub top: usize,
    /// The row the pet stands on (its lowest opaque row).
    pub ground: usize,
    pub left: usize,
    pub right: usize,
    /// The highest hip: where the body ends and the legs begin; `ground + 1` without legs.
    pub belly: usize,
    /// Rear to front (left to right: the sprite faces right).
    pub legs: Vec<Leg>,
    /// The gait that suits the silhouette.
    pub gait: Gait,
}

/// A pet this wide (against its height) without legs lies down or swims rather than hops.
const LONG: f32 = 1.25;
/// Share of the pet's width its lowest row covers when it lies on the ground.
const FLAT: f32 = 0.45;
/// Most of the ground between the legs of a pet that stands on them is daylight; a pet that
/// lies with its paws or tail stretched out rests its body there.
const MAX_RESTING: f32 = 0.5;
/// Legs are at most this share of the pet's height...
const MAX_LEG_SHARE: f32 = 0.6;
/// ...each row of a leg at most this share of its width...
const MAX_LEG_WIDTH: f32 = 0.2;
/// ...and a foot within this share of its height (two rows at least) of the lowest row: a far
/// foot stands higher in the picture than a near one.
const FOOT_SHARE: f32 = 0.125;

/// Whether the pet stands on `legs`: in the lower half of the legs' height, from the
/// rearmost leg to the frontmost, at most [`MAX_RESTING`] of the cells are pet but not leg.
fn stands(rest: &Grid, legs: &[Leg], ground: usize) -> bool {
    let (Some(shortest), Some(rear), Some(front)) = (
        legs.iter().map(Leg::rows).min(),
        legs.iter().map(|l| l.centre.round() as usize).min(),
        legs.iter().map(|l| l.centre.round() as usize).max(),
    ) else {
        return false;
    };
    let rows = (shortest / 2).max(1);
    let leg_cells: std::collections::HashSet<(usize, usize)> =
        legs.iter().flat_map(|l| l.cells.iter().copied()).collect();
    let (mut resting, mut cells) = (0usize, 0usize);
    for y in ground + 1 - rows..=ground {
        for x in rear..=front {
            cells += 1;
            resting += usize::from(rest.opaque(x as i64, y as i64) && !leg_cells.contains(&(x, y)));
        }
    }
    resting as f32 <= MAX_RESTING * cells as f32
}

impl Rig {
    /// Finds the parts of the pet on its resting sprite; `None` when the sprite is empty.
    pub fn find(rest: &Grid) -> Option<Rig> {
        let pet: Vec<bool> = rest.cells.iter().map(|&c| c != rest.clear).collect();
        if !pet.contains(&true) {
            return None;
        }
        let [x0, y0, x1, y1] = bounding_box(&pet, rest.width, rest.height).map(|v| v as usize);
        let (top, ground, left, right) = (y0, y1 - 1, x0, x1 - 1);
        let (width, height) = (right - left + 1, ground - top + 1);
        let legs = find_legs(rest, top, ground, left, right);
        let belly = legs.iter().map(|l| l.hip).min().unwrap_or(ground + 1);
        let long_legs = legs
            .iter()
            .filter(|l| l.steps((height / 10).max(3)))
            .count();
        let gait = if long_legs >= 2 && stands(rest, &legs, ground) {
            Gait::Walk
        } else if width as f32 >= LONG * height as f32 {
            let contact = (left..=right)
                .filter(|&x| rest.opaque(x as i64, ground as i64))
                .count();
            // Paws on its lowest row that are too squat to step on (tucked under a lying
            // cat, hanging over a ledge) still say it rests on something: it lies, not swims.
            // A fish's lower tail lobe is a thin shape too, but above its belly.
            let on_paws = legs.iter().any(|l| l.foot == ground);
            if contact as f32 >= FLAT * width as f32 || on_paws {
                Gait::Crawl
            } else {
                Gait::Swim
            }
        } else {
            Gait::Hop
        };
        Some(Rig {
            top,
            ground,
            left,
            right,
            belly,
            legs,
            gait,
        })
    }

    pub fn width(&self) -> usize {
        self.right - self.left + 1
    }

    pub fn height(&self) -> usize {
        self.ground - self.top + 1
    }

    /// The legs to step with when the owner chose walking for a pet on fewer than two legs
    /// (a paw in the picture is not enough to walk on): the lowest rows split into a rear and
    /// a front half.
    pub fn with_stand_in_legs(mut self, rest: &Grid) -> Rig {
        if self.legs.len() >= 2 {
            return self;
        }
        let rows = (self.height() / 5).max(2).min(self.height());
        self.belly = self.ground + 1 - rows;
        let middle = (self.left + self.right) / 2;
        let halves = [(self.left, middle), (middle + 1, self.right)];
        self.legs = halves
            .iter()
            .map(|&(from, to)| {
                let cells: Vec<(usize, usize)> = (self.belly..=self.ground)
                    .flat_map(|y| (from..=to).map(move |x| (x, y)))
                    .filter(|&(x, y)| rest.opaque(x as i64, y as i64))
                    .collect();
                Leg::new(cells)
            })
            .filter(|l| !l.cells.is_empty())
            .collect();
        self
    }

    /// The rows of the upper body: from the top to halfway down to the legs.
    pub fn upper_rows(&self) -> (usize, usize) {
        (
            self.top,
            self.top + (self.belly.min(self.ground + 1) - self.top) / 2,
        )
    }

    /// The columns of the head: the front two fifths.
    pub fn head_columns(&self) -> (usize, usize) {
        (self.right + 1 - (self.width() * 2 / 5).max(1), self.right)
    }

    /// The columns of the rear, where a tail is: the back three tenths.
    pub fn rear_columns(&self) -> (usize, usize) {
        (self.left, self.left + (self.width() * 3 / 10).max(1) - 1)
    }
}

/// The legs: thin shapes within the lowest rows (the feet), each followed up row by row, by the
/// runs of cells touching it, until it widens into the body or runs into another leg. Rear
/// first.
fn find_legs(rest: &Grid, top: usize, ground: usize, left: usize, right: usize) -> Vec<Leg> {
    let (width, height) = (right - left + 1, ground - top + 1);
    let max_rows = ((height as f32 * MAX_LEG_SHARE) as usize).max(2);
    let max_width = ((width as f32 * MAX_LEG_WIDTH) as usize).max(2);
    let feet_from = ground + 1 - ((height as f32 * FOOT_SHARE) as usize).clamp(2, height);
    let span = |cells: &[(usize, usize)]| {
        let (lo, hi) = cells
            .iter()
            .fold((usize::MAX, 0), |(lo, hi), &(x, _)| (lo.min(x), hi.max(x)));
        hi + 1 - lo
    };
    // Shapes that do not reach the top of the foot rows are loose bits, not legs.
    let mut legs: Vec<Vec<(usize, usize)>> = components(rest, feet_from, ground, left, right)
        .into_iter()
        .filter(|c| span(c) <= max_width && c.iter().any(|&(_, y)| y == feet_from))
        .collect();
    // Each leg's columns in the row below the one being looked at; `None` once it has ended.
    let mut below: Vec<Option<Vec<usize>>> = legs
        .iter()
        .map(|cells| {
            Some(
                cells
                    .iter()
                    .filter(|c| c.1 == feet_from)
                    .map(|c| c.0)
                    .collect(),
            )
        })
        .collect();
    for y in (top..feet_from).rev() {
        if ground + 1 - y > max_rows || below.iter().all(Option::is_none) {
            break;
        }
        // The row's runs of cells, and which legs touch each (a diagonal step counts).
        let runs = runs(rest, y, left, right);
        let touching: Vec<Vec<usize>> = below
            .iter()
            .map(|columns| match columns {
                Some(columns) => (0..runs.len())
                    .filter(|&r| {
                        let (a, b) = runs[r];
                        columns.iter().any(|&x| x + 1 >= a && x <= b + 1)
                    })
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        for leg in 0..legs.len() {
            let Some(_) = below[leg] else { continue };
            let mine = &touching[leg];
            let shared = mine
                .iter()
                .any(|r| (0..legs.len()).any(|other| other != leg && touching[other].contains(r)));
            let wide = mine
                .iter()
                .map(|&r| runs[r].1 + 1 - runs[r].0)
                .sum::<usize>()
                > max_width;
            if mine.is_empty() || shared || wide {
                below[leg] = None;
                continue;
            }
            let columns: Vec<usize> = mine.iter().flat_map(|&r| runs[r].0..=runs[r].1).collect();
            legs[leg].extend(columns.iter().map(|&x| (x, y)));
            below[leg] = Some(columns);
        }
    }
    let mut legs: Vec<Leg> = legs.into_iter().map(Leg::new).collect();
    legs.sort_by(|a, b| a.centre.total_cmp(&b.centre));
    legs
}

/// Runs of opaque cells in row `y` between `left` and `right`, as inclusive column ranges.
fn runs(grid: &Grid, y: usize, left: usize, right: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for x in left..=right + 1 {
        let opaque = x <= right && grid.opaque(x as i64, y as i64);
        match (opaque, start) {
            (true, None) => start = Some(x),
            (false, Some(s)) => {
                runs.push((s, x - 1));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// The 4-connected shapes of opaque cells within rows `from..=to` and columns `left..=right`.
fn components(
    grid: &Grid,
    from: usize,
    to: usize,
    left: usize,
    right: usize,
) -> Vec<Vec<(usize, usize)>> {
    let w = right - left + 1;
    let index = |x: usize, y: usize| (y - from) * w + (x - left);
    let mut seen = vec![false; w * (to - from + 1)];
    let mut shapes = Vec::new();
    for y in from..=to {
        for x in left..=right {
            if seen[index(x, y)] || !grid.opaque(x as i64, y as i64) {
                continue;
            }
            seen[index(x, y)] = true;
            let mut shape = Vec::new();
            let mut queue = VecDeque::from([(x, y)]);
            while let Some((cx, cy)) = queue.pop_front() {
                shape.push((cx, cy));
                let neighbours = [
                    (cx.wrapping_sub(1), cy),
                    (cx + 1, cy),
                    (cx, cy.wrapping_sub(1)),
                    (cx, cy + 1),
                ];
                for (nx, ny) in neighbours {
                    let inside = (left..=right).contains(&nx) && (from..=to).contains(&ny);
                    if inside && !seen[index(nx, ny)] && grid.opaque(nx as i64, ny as i64) {
                        seen[index(nx, ny)] = true;
                        queue.push_back((nx, ny));
                    }
                }
            }
            shapes.push(shape);
        }
    }
    shapes
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A grid drawn with '#' for the pet and '.' for empty cells.
    pub(crate) fn drawn(rows: &[&str]) -> Grid {
        let width = rows[0].len();
        let cells = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| if c == '#' { 0 } else { 1 }))
            .collect();
        Grid {
            width,
            height: rows.len(),
            cells,
            clear: 1,
        }
    }

    /// A side-on dog: a head up front, a tail at the back, four legs.
    pub(crate) const DOG: [&str; 14] = [
        "......................",
        "......................",
        "..................###.",
        ".................####.",
        "..#..............####.",
        "...#############.###..",
        "....###############...",
        "....##############....",
        "....##############....",
        "....##.##.....##.##...",
        "....##.##.....##.##...",
        "....##.##.....##.##...",
        "....##.##.....##.##...",
        "......................",
    ];

    #[test]
    fn a_standing_dog_has_four_legs_and_walks() {
        let rig = Rig::find(&drawn(&DOG)).expect("a pet");
        assert_eq!(rig.gait, Gait::Walk);
        assert_eq!(rig.legs.len(), 4);
        assert_eq!((rig.belly, rig.ground), (9, 12));
        let centres: Vec<f32> = rig.legs.iter().map(|l| l.centre).collect();
        assert_eq!(centres, vec![4.5, 7.5, 14.5, 17.5]);
        assert!(rig.legs.iter().all(|l| l.cells.len() == 8));
    }

    #[test]
    fn a_lying_cat_crawls_a_fish_swims_a_bird_hops() {
        let lying = [
            "..............",
            "..........###.",
            "..#########.#.",
            ".############.",
            ".############.",
            "..............",
        ];
        let fish = [
            "..............",
            "....#####.....",
            "..#########.##",
            ".#############",
            "..#########.##",
            "....#####.....",
            "..............",
        ];
        let bird = [
            "........", "...###..", "..####..", "..####..", "..###...", "..###...", "...#....",
            "...#....", "........",
        ];
        assert_eq!(Rig::find(&drawn(&lying)).map(|r| r.gait), Some(Gait::Crawl));
        // Stretched-out paws and a tail are thin shapes on the ground, but the body lies
        // between them: lying, not standing.
        let stretched = [
            "......................",
            "...................##.",
            "..................####",
            "....##############.##.",
            "...################...",
            "..##################..",
            ".#.################.#.",
            ".#.################.#.",
            ".#.################.#.",
            "......................",
        ];
        let rig = Rig::find(&drawn(&stretched)).expect("a pet");
        assert!(rig.legs.len() >= 2, "{:?}", rig.legs);
        assert_eq!(rig.gait, Gait::Crawl);
        // A kitten on a ledge, its front paws hanging over: two shapes on the ground with
        // daylight between them, but squat lumps, wider than they are long.
        let hanging = [
            "..........................................",
            "..................................####....",
            ".................................######...",
            "..######################################..",
            ".########################################.",
            ".########################################.",
            "..######################################..",
            "..............#######...######............",
            "..............######....######............",
            "...............#####....######............",
            "...............####......####.............",
            "..........................................",
        ];
        let rig = Rig::find(&drawn(&hanging)).expect("a pet");
        assert_eq!(rig.legs.len(), 2, "{:?}", rig.legs);
        assert_eq!(
            rig.gait,
            Gait::Crawl,
            "it lies on its paws, it does not swim"
        );
        assert_eq!(Rig::find(&drawn(&fish)).map(|r| r.gait), Some(Gait::Swim));
        assert_eq!(Rig::find(&drawn(&bird)).map(|r| r.gait), Some(Gait::Hop));
    }

    #[test]
    fn an_empty_sprite_has_no_rig_and_a_legless_one_can_be_given_stand_in_legs() {
        assert_eq!(Rig::find(&drawn(&["....", "...."])), None);
        let blob = drawn(&["......", ".####.", ".####.", ".####.", ".####.", "......"]);
        let rig = Rig::find(&blob).expect("a pet");
        assert!(rig.legs.is_empty());
        let rig = rig.with_stand_in_legs(&blob);
        assert_eq!(rig.legs.len(), 2);
        assert_eq!(rig.belly, 3);
        // A face with one paw in the picture: one leg is not enough to walk on.
        let face = drawn(&[
            "..........",
            "..######..",
            "..######..",
            "..######..",
            "..######..",
            "..######..",
            ".#######..",
            ".#######..",
            ".#..####..",
            ".#..####..",
            "..........",
        ]);
        let rig = Rig::find(&face).expect("a pet");
        assert_eq!(rig.legs.len(), 1);
        assert_eq!(rig.with_stand_in_legs(&face).legs.len(), 2);
    }
}
