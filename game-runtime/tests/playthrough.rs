//! Generated levels are completable: a bot plays them through the real simulation.

use game_runtime::bot;
use game_runtime::format::{GameData, GameSpec, Sprite};
use game_runtime::sim::{State, World, step};
use game_runtime::theme::{Difficulty, Theme};

fn game(seed: u64, theme: Theme, difficulty: Difficulty) -> GameData {
    GameData::generate(
        &GameSpec {
            title: "Bot run",
            pet_name: "Bot",
            theme,
            difficulty,
            seed,
            level_count: 2,
        },
        Sprite::placeholder(),
    )
}

#[test]
fn a_bot_completes_levels_0_and_1_for_100_seeds_in_every_theme_and_difficulty() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = Theme::ALL
            .into_iter()
            .map(|theme| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for difficulty in Difficulty::ALL {
                        for seed in 0..100 {
                            let data = game(seed, theme, difficulty);
                            for index in 0..2 {
                                let Some(recording) = bot::play_level(&data, index) else {
                                    failures.push(format!(
                                        "{theme:?} {difficulty:?} seed {seed} level {index}"
                                    ));
                                    continue;
                                };
                                // The recording replays to the same finish on a fresh world.
                                let mut world = World::new(&data, index);
                                for &buttons in &recording {
                                    step(&mut world, buttons);
                                }
                                assert_ne!(world.state, State::Playing);
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("worker panicked"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}
