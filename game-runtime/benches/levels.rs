//! Level generation, the solver's proof and game assembly, timed.
//!
//!     cargo bench -p game-runtime --bench levels [-- SEEDS]
//!
//! Prints candidates generated per second (the baseline: generation alone), levels
//! generated *and* proven per second, the share of candidates the solver rejected,
//! the time to build a 12-level game, the time to inject its data into the
//! runtime module against a plain copy of the module, and what the leaderboard's
//! replay of a run costs: the 12-level game's whole run, and the worst a client can
//! send (`run::MAX_STEPS` steps that never finish), against the solver's own run.

use std::time::{Duration, Instant};

use game_runtime::assemble;
use game_runtime::format::{self, GameData, GameSpec, Sprite};
use game_runtime::generate;
use game_runtime::run::{self, Run};
use game_runtime::sim::Buttons;
use game_runtime::solve;
use game_runtime::theme::{Difficulty, Theme};

fn main() {
    let seeds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(40);
    let cases: Vec<(u64, Theme, Difficulty, u32)> = (0..seeds)
        .flat_map(|seed| {
            Theme::ALL.into_iter().flat_map(move |theme| {
                Difficulty::ALL.map(move |difficulty| (seed, theme, difficulty, (seed % 12) as u32))
            })
        })
        .collect();

    let start = Instant::now();
    for &(seed, theme, difficulty, index) in &cases {
        std::hint::black_box(generate::candidate(
            seed, theme, difficulty, index, 0, false,
        ));
    }
    let generation = start.elapsed();

    let start = Instant::now();
    let mut rejected = 0u64;
    for &(seed, theme, difficulty, index) in &cases {
        match solve::verified_level(seed, theme, difficulty, index) {
            Ok(v) => rejected += u64::from(v.rejected),
            Err(e) => eprintln!("{theme:?} {difficulty:?} seed {seed}: {e}"),
        }
    }
    let verified = start.elapsed();
    let levels = cases.len() as f64;
    let per_level = |d: Duration| d.as_secs_f64() * 1e3 / levels;
    println!(
        "levels: {} (seeds 0..{seeds} x 5 themes x 3 difficulties, level = seed % 12)",
        cases.len()
    );
    println!(
        "  generate only        {:8.3} ms/level  {:8.0} levels/s",
        per_level(generation),
        levels / generation.as_secs_f64()
    );
    println!(
        "  generate + prove     {:8.3} ms/level  {:8.0} levels/s  ({:.0}x generation alone)",
        per_level(verified),
        levels / verified.as_secs_f64(),
        verified.as_secs_f64() / generation.as_secs_f64().max(1e-9)
    );
    println!(
        "  candidates rejected  {rejected} of {} ({:.1} %)",
        cases.len() as u64 + rejected,
        rejected as f64 * 100.0 / (levels + rejected as f64)
    );

    let spec = |seed| GameSpec {
        title: "Bench",
        pet_name: "Bench",
        theme: Theme::Park,
        difficulty: Difficulty::Hard,
        seed,
        level_count: 12,
    };
    let runs = 5;
    let start = Instant::now();
    let mut game = None;
    for seed in 0..runs {
        game = Some(GameData::generate(&spec(seed), Sprite::placeholder()).expect("completable"));
    }
    println!(
        "game: 12 hard levels generated and proven in {:.1} ms (mean of {runs})",
        start.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
    let Some(game) = game else { return };

    let whole = run::solver_run(&game);
    let rounds = 20;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(run::verify(&game, &whole).expect("believed"));
    }
    let replay = start.elapsed() / rounds;
    // Right and jump held for half an hour from the start: it never reaches the last goal,
    // so every step allowed is simulated before it is refused.
    let worst = Run::from_buttons(std::iter::once(Buttons::START).chain(std::iter::repeat_n(
        Buttons::RIGHT | Buttons::JUMP,
        run::MAX_STEPS as usize - 1,
    )));
    let start = Instant::now();
    let refused = run::verify(&game, &worst);
    let worst_time = start.elapsed();
    println!(
        "replay: the 12-level game's whole run ({} steps, {:.0} s of play) in {:.2} ms, {:.2} us/step",
        whole.steps(),
        f64::from(whole.steps()) / 60.0,
        replay.as_secs_f64() * 1e3,
        replay.as_secs_f64() * 1e6 / f64::from(whole.steps()),
    );
    println!(
        "replay: the longest run accepted ({} steps) in {:.1} ms ({:.1}x the whole game's run): {}",
        worst.steps(),
        worst_time.as_secs_f64() * 1e3,
        worst_time.as_secs_f64() / replay.as_secs_f64().max(1e-12),
        refused.map_or_else(|e| e.to_string(), |_| "believed".into()),
    );

    let runtime_path = "site/pkg/game/petpixel_game_bg.wasm";
    let runtime = std::fs::read(runtime_path)
        .or_else(|_| std::fs::read(format!("../{runtime_path}")))
        .unwrap_or_else(|_| {
            println!(
                "assembly: {runtime_path} not built (scripts/build.sh); using an empty module"
            );
            b"\0asm\x01\0\0\0".to_vec()
        });
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(runtime.clone());
    }
    let copy = start.elapsed() / rounds;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(assemble::inject(&runtime, &game).expect("a module"));
    }
    let inject = start.elapsed() / rounds;
    println!(
        "assembly: inject {} KB of game data into a {} KB runtime: {:.3} ms ({:.1}x a plain copy of the module, {:.3} ms)",
        format::encode(&game).len() / 1024,
        runtime.len() / 1024,
        inject.as_secs_f64() * 1e3,
        inject.as_secs_f64() / copy.as_secs_f64().max(1e-12),
        copy.as_secs_f64() * 1e3,
    );
}
