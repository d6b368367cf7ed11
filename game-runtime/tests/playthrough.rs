//! Every generated level is proven completable: the solver finishes it through the
//! real simulation, and its recording replays to the goal without losing a life.

use game_runtime::physics::Physics;
use game_runtime::sim::{State, World, step};
use game_runtime::solve::{self, MAX_ATTEMPTS};
use game_runtime::theme::{Difficulty, Theme};

/// Seeds per theme and difficulty; every level number from 1 to 12 is covered.
const SEEDS: u64 = 1000;

#[test]
fn the_solver_finishes_every_level_for_1000_seeds_in_every_theme_and_difficulty() {
    let jobs: Vec<(Theme, Difficulty)> = Theme::ALL
        .into_iter()
        .flat_map(|theme| Difficulty::ALL.map(|difficulty| (theme, difficulty)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(Vec<String>, u64, u64)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let (mut failures, mut rejected, mut calm) = (Vec::new(), 0, 0);
                    loop {
                        let job = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(theme, difficulty)) = jobs.get(job) else {
                            break;
                        };
                        for seed in 0..SEEDS {
                            let index = (seed % 12) as u32;
                            let name =
                                format!("{theme:?} {difficulty:?} seed {seed} level {index}");
                            match solve::verified_level(seed, theme, difficulty, index) {
                                Err(_) => failures.push(name),
                                Ok(verified) => {
                                    rejected += u64::from(verified.rejected);
                                    calm += u64::from(verified.rejected >= MAX_ATTEMPTS);
                                    let mut world =
                                        World::single(Physics::for_theme(theme), verified.level);
                                    for buttons in verified.playthrough.buttons() {
                                        step(&mut world, buttons);
                                        if world.player.hurt > 0 {
                                            failures.push(format!("{name}: replay hurt"));
                                            break;
                                        }
                                    }
                                    if world.state != State::GameComplete {
                                        failures.push(format!("{name}: replay fell short"));
                                    }
                                }
                            }
                        }
                    }
                    (failures, rejected, calm)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("worker panicked"))
            .collect()
    });
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.0).collect();
    let rejected: u64 = results.iter().map(|r| r.1).sum();
    let calm: u64 = results.iter().map(|r| r.2).sum();
    let levels = SEEDS * 15;
    println!("{levels} levels; {rejected} candidates rejected; {calm} fell back to calm");
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
    // The generator must mostly make levels the solver can finish; a rising rate
    // means it asks for jumps the physics cannot make.
    assert!(
        rejected * 4 < levels,
        "{rejected} rejections for {levels} levels"
    );
    assert!(calm * 50 < levels, "{calm} levels lost their enemies");
}
