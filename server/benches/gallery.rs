//! The gallery and search at scale: 100,000 listed games (and a day of plays), then the time
//! of each query the gallery page makes, p50 and p99 over many runs, on the embedded default
//! (SQLite) or PostgreSQL. The baseline is the first page of the newest games, measured in the
//! same run: a page deep in the gallery should cost what the first does (keyset paging), and
//! the ratio column says whether it does.
//!
//! `cargo bench -p server --bench gallery [-- GAMES [RUNS]]` (default 100000 games, 200 runs)
//! - `BENCH_DATABASE_URL=postgres://…/postgres`: PostgreSQL instead (a database is made for
//!   the run on that server and dropped after).
//! - `BENCH_REDIS_URL=redis://…`: the most played from Redis's sorted sets too, the same
//!   plays counted there (under a prefix of the run's own, deleted after).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::{Difficulty, SearchTerms, Theme};
use server::gallery::ranking::{MostPlayed, Ranking, RedisRanking, Window};
use server::gallery::store::{After, GalleryStore, PageQuery, PopularQuery, Sort};
use server::infra::db::{Db, Id};
use uuid::Uuid;

const PAGE: u32 = 24;
const THEMES: [&str; 5] = ["garden", "house", "beach", "space", "park"];
const DIFFICULTIES: [&str; 3] = ["easy", "normal", "hard"];
const PETS: [&str; 8] = [
    "Rex", "Bella", "Milo", "Luna", "Chelsea", "Biscuit", "Pepper", "Ziggy",
];
const WORDS: [&str; 6] = ["brave", "sleepy", "speedy", "fluffy", "tiny", "grumpy"];
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A distinct ten-character short code for game `i`.
fn code(mut i: u64) -> String {
    let mut out = [b'2'; 10];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(i % ALPHABET.len() as u64) as usize];
        i /= ALPHABET.len() as u64;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Game {
    id: Uuid,
    code: String,
    title: String,
    pet: String,
    description: String,
    theme: &'static str,
    difficulty: &'static str,
    published_at: DateTime<Utc>,
    featured_at: Option<DateTime<Utc>>,
}

fn games(n: u64, now: DateTime<Utc>) -> Vec<Game> {
    (0..n)
        .map(|i| {
            let pet = format!("{}{}", PETS[(i % 8) as usize], i % 1000);
            let word = WORDS[(i % 6) as usize];
            Game {
                id: Uuid::new_v4(),
                code: code(i),
                title: format!("{pet}'s {word} adventure"),
                description: format!("A {word} pet in world {}", i % 97),
                pet,
                theme: THEMES[(i % 5) as usize],
                difficulty: DIFFICULTIES[(i % 3) as usize],
                // One listed every 30 s, newest last.
                published_at: now - chrono::Duration::seconds(30 * (n - i) as i64),
                featured_at: (i % 50 == 0).then(|| now - chrono::Duration::seconds((n - i) as i64)),
            }
        })
        .collect()
}

const INSERT: &str = "INSERT INTO games (id, visitor_id, short_code, title, description, \
    pet_name, theme, difficulty, level_count, package_type, game_url, config, status, \
    visibility, published_at, featured_at) VALUES ($1, 'bench', $2, $3, $4, $5, $6, $7, 3, \
    'free', '/g/bench', '{}', 'ready', 'public', $8, $9)";
const PLAY: &str = "INSERT INTO analytics_events (game_id, event_type, created_at) \
    VALUES ($1, 'play', $2)";

/// A day of plays: 50,000 spread over the first 2,000 games (game i² mod 2,000: garden, house
/// and park games only, as squares mod 5 are 0, 1 and 4).
fn plays(games: &[Game], now: DateTime<Utc>) -> Vec<(Uuid, DateTime<Utc>)> {
    (0..50_000u64)
        .map(|i| {
            let game = &games[(i * i % 2_000) as usize % games.len()];
            (
                game.id,
                now - chrono::Duration::seconds((i % 86_000) as i64),
            )
        })
        .collect()
}

async fn seed(db: &Db, games: &[Game], now: DateTime<Utc>) -> anyhow::Result<()> {
    let plays = plays(games, now);
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for g in games {
                sqlx::query(INSERT)
                    .bind(Id(g.id))
                    .bind(&g.code)
                    .bind(&g.title)
                    .bind(&g.description)
                    .bind(&g.pet)
                    .bind(g.theme)
                    .bind(g.difficulty)
                    .bind(g.published_at)
                    .bind(g.featured_at)
                    .execute(&mut *tx)
                    .await?;
            }
            for (game, at) in &plays {
                sqlx::query(PLAY)
                    .bind(Id(*game))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Db::Postgres(pool) => {
            let col = |f: fn(&Game) -> String| games.iter().map(f).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO games (id, visitor_id, short_code, title, description, pet_name, \
                 theme, difficulty, level_count, package_type, game_url, config, status, \
                 visibility, published_at, featured_at) SELECT id, 'bench', code, title, \
                 description, pet, theme, difficulty, 3, 'free', '/g/bench', '{}', 'ready', \
                 'public', published, featured FROM UNNEST($1::uuid[], $2::text[], $3::text[], \
                 $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], \
                 $9::timestamptz[]) AS t(id, code, title, description, pet, theme, difficulty, \
                 published, featured)",
            )
            .bind(games.iter().map(|g| g.id).collect::<Vec<_>>())
            .bind(col(|g| g.code.clone()))
            .bind(col(|g| g.title.clone()))
            .bind(col(|g| g.description.clone()))
            .bind(col(|g| g.pet.clone()))
            .bind(col(|g| g.theme.to_owned()))
            .bind(col(|g| g.difficulty.to_owned()))
            .bind(games.iter().map(|g| g.published_at).collect::<Vec<_>>())
            .bind(games.iter().map(|g| g.featured_at).collect::<Vec<_>>())
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO analytics_events (game_id, event_type, created_at) \
                 SELECT game, 'play', at FROM UNNEST($1::uuid[], $2::timestamptz[]) AS t(game, at)",
            )
            .bind(plays.iter().map(|p| p.0).collect::<Vec<_>>())
            .bind(plays.iter().map(|p| p.1).collect::<Vec<_>>())
            .execute(pool)
            .await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs `query` `runs` times (after a few to warm up): p50 and p99, and how many games the
/// last run found.
async fn time<F, Fut>(runs: usize, mut query: F) -> anyhow::Result<(Duration, Duration, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    for _ in 0..runs.min(10) {
        query().await?;
    }
    let mut took = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs {
        let start = Instant::now();
        found = query().await?;
        took.push(start.elapsed());
    }
    took.sort();
    Ok((percentile(&took, 0.5), percentile(&took, 0.99), found))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: u64 = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let runs: usize = args.get(1).map_or(Ok(200), |a| a.parse())?;
    let data = tempfile::tempdir()?;
    let (db, engine, drop_after) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) => {
            let name = format!("petpixel_bench_gallery_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await?;
            let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
            let db = Db::postgres(&format!("{base}/{name}")).await?;
            (db, "PostgreSQL", Some((admin, name)))
        }
        Err(_) => (
            Db::sqlite(&data.path().join("bench.sqlite3")).await?,
            "SQLite",
            None,
        ),
    };
    let now = Utc::now();
    let all = games(n, now);
    let start = Instant::now();
    seed(&db, &all, now).await?;
    println!(
        "{engine}: {n} listed games and 50,000 plays seeded in {:.1} s; {runs} runs each",
        start.elapsed().as_secs_f64()
    );

    // The cursor halfway down the newest-first order: the game listed n/2 from the end.
    let middle = &all[(n / 2) as usize];
    let deep = After {
        at: middle.published_at,
        id: middle.id,
    };
    let page = |sort, theme, difficulty, after| PageQuery {
        sort,
        theme,
        difficulty,
        after,
        limit: PAGE + 1,
    };
    let common = SearchTerms::parse("fluf").map_err(anyhow::Error::msg)?;
    let rare = SearchTerms::parse("pepper6 spee").map_err(anyhow::Error::msg)?;
    let db = &db;
    let mut rows: Vec<(&str, Duration, Duration, usize)> = Vec::new();
    macro_rules! measure {
        ($label:expr, $query:expr) => {{
            let (p50, p99, found) = time(runs, || async { Ok($query.await?.len()) }).await?;
            rows.push(($label, p50, p99, found));
        }};
    }
    measure!(
        "newest, first page",
        db.page(&page(Sort::New, None, None, None))
    );
    measure!(
        "newest, a page halfway down",
        db.page(&page(Sort::New, None, None, Some(deep)))
    );
    measure!(
        "world + difficulty, first page",
        db.page(&page(
            Sort::New,
            Some(Theme::Space),
            Some(Difficulty::Hard),
            None
        ))
    );
    measure!(
        "featured, first page",
        db.page(&page(Sort::Featured, None, None, None))
    );
    measure!("search \"fluf\" (1 in 6 games)", db.search(&common, PAGE));
    measure!("search \"pepper6 spee\" (a few)", db.search(&rare, PAGE));
    let today = |theme, difficulty| PopularQuery {
        since: now - chrono::Duration::hours(24),
        theme,
        difficulty,
        limit: PAGE,
    };
    measure!("most played today", db.popular(&today(None, None)));
    measure!(
        "most played today, house + hard",
        db.popular(&today(Some(Theme::House), Some(Difficulty::Hard)))
    );
    let redis = match std::env::var("BENCH_REDIS_URL") {
        Ok(url) => {
            let conn = redis::aio::ConnectionManager::new(redis::Client::open(url)?).await?;
            let prefix = format!("petpixel-bench:{}:", std::process::id());
            let ranking = RedisRanking::new(conn.clone(), &prefix, Arc::new(db.clone()));
            let start = Instant::now();
            for (game, at) in plays(&all, now) {
                ranking.played_at(game, at, now).await?;
            }
            println!(
                "Redis: the same 50,000 plays ranked in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            Some((ranking, conn, prefix))
        }
        Err(_) => None,
    };
    if let Some((ranking, _, _)) = &redis {
        let today = |theme, difficulty| MostPlayed {
            window: Window::Day,
            now,
            theme,
            difficulty,
            limit: PAGE,
        };
        measure!(
            "most played today (Redis)",
            ranking.most_played(&today(None, None))
        );
        measure!(
            "most played today, house + hard (Redis)",
            ranking.most_played(&today(Some(Theme::House), Some(Difficulty::Hard)))
        );
    }

    let baseline = rows[0].1;
    println!(
        "{:<40} {:>9} {:>9} {:>7} {:>6}",
        "query", "p50 ms", "p99 ms", "x first", "games"
    );
    for (label, p50, p99, found) in &rows {
        println!(
            "{label:<40} {:>9.3} {:>9.3} {:>7.2} {:>6}",
            ms(*p50),
            ms(*p99),
            p50.as_secs_f64() / baseline.as_secs_f64(),
            found
        );
    }
    if let Some((_, mut conn, prefix)) = redis {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(keys)
                .query_async::<()>(&mut conn)
                .await?;
        }
    }
    if let Some((admin, name)) = drop_after {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
    }
    Ok(())
}
