//! The game-data format is a contract with every game already made: this fixture,
//! written by the current version, must keep decoding to the same data, and encoding
//! the same data must give the same bytes. A failure here means the payload's shape
//! changed: bump `FORMAT_VERSION`, document it in README.md, and re-bless with
//! `PETPIXEL_BLESS=1 cargo test -p game-runtime --test format_schema`.

use game_runtime::format::{self, FORMAT_VERSION, FormatError, GameData, Sprite};
use game_runtime::level::{EnemyKind, EnemySpawn, Level, Mover, Tile};
use game_runtime::physics::Physics;
use game_runtime::solve::Playthrough;
use game_runtime::theme::{Difficulty, Theme};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/game-v2.ppgd");

/// A small game touching every part of the format, built by hand so generator
/// changes do not move it.
fn sample() -> GameData {
    let mut level = Level::empty(12, 6);
    for x in 0..12 {
        level.set(x, 5, Tile::Solid);
    }
    level.set(3, 3, Tile::OneWay);
    level.set(4, 4, Tile::Treat);
    level.set(5, 4, Tile::Spike);
    level.set(6, 5, Tile::Water);
    level.set(7, 4, Tile::Checkpoint);
    level.set(10, 4, Tile::Goal);
    level.spawn = (1, 4);
    level.goal = (10, 4);
    level.enemies = vec![
        EnemySpawn {
            kind: EnemyKind::Patrol,
            tile: (8, 4),
            speed: 64,
            range: 0,
            vertical: false,
        },
        EnemySpawn {
            kind: EnemyKind::Fly,
            tile: (9, 2),
            speed: 80,
            range: 3,
            vertical: true,
        },
    ];
    level.movers = vec![Mover {
        tile: (2, 2),
        len: 3,
        range: 2,
        vertical: false,
        period: 170,
    }];
    GameData {
        version: FORMAT_VERSION,
        title: "Biscuit's Big Day".into(),
        pet_name: "Biscuit".into(),
        theme: Theme::Beach,
        difficulty: Difficulty::Normal,
        physics: Physics::for_theme(Theme::Beach),
        levels: vec![level],
        playthroughs: vec![Playthrough {
            runs: vec![(2, 40), (6, 12), (2, 80)],
        }],
        sprite: Sprite::placeholder(),
    }
}

#[test]
fn the_version_2_fixture_decodes_and_re_encodes_byte_for_byte() {
    let encoded = format::encode(&sample());
    if std::env::var_os("PETPIXEL_BLESS").is_some() {
        std::fs::write(FIXTURE, &encoded).expect("write the fixture");
    }
    let fixture = std::fs::read(FIXTURE).expect("the fixture exists (see the module docs)");
    assert_eq!(&fixture[..6], b"PPGD\x02\x00", "magic and version 2");
    assert_eq!(format::decode(&fixture), Ok(sample()));
    assert!(
        encoded == fixture,
        "the encoding changed without a version bump"
    );
}

#[test]
fn data_of_another_version_is_refused_by_its_number() {
    let mut fixture = std::fs::read(FIXTURE).expect("the fixture exists");
    fixture[4..6].copy_from_slice(&1u16.to_le_bytes());
    assert_eq!(
        format::decode(&fixture),
        Err(FormatError::UnsupportedVersion {
            found: 1,
            supported: FORMAT_VERSION
        })
    );
}
