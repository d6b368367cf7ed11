//! Verified leaderboards. A finished run arrives as its input log; the server replays it
//! through the game's own simulation (`game_runtime::run::verify`, natively) against the
//! module the game is played from, and keeps the time only if the replay reaches the last
//! goal in exactly the steps claimed. Forged, truncated and impossible runs are refused with
//! the reason. Replays are bounded in steps (`run::MAX_STEPS`), run off the async threads and
//! a few at a time, and each client address may send only so many an hour.

pub mod routes;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;

use app::dto::{Leaderboard, LeaderboardEntry, RunRecorded, RunSubmission};
use app::error::AppError;
use app::port::Visitor;
use chrono::Utc;
use domain::{GameStatus, PlayerName, run_time};
use game_runtime::format::GameData;
use game_runtime::run::{self, Run};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::error::internal;
use crate::games::Games;
use crate::games::store::GameRecord;
use crate::infra::limits::Quota;
use store::{Entry, LeaderboardStore, NewEntry};

/// Times a board shows.
pub const TOP: u32 = 10;
/// Replays run at once in this process; more wait their turn.
const REPLAYS_AT_ONCE: usize = 2;

pub struct Leaderboards {
    store: Arc<dyn LeaderboardStore>,
    games: Arc<Games>,
    /// Runs one client address may send to one game's board in an hour.
    runs: Quota,
    replays: Semaphore,
}

impl Leaderboards {
    pub fn new(store: Arc<dyn LeaderboardStore>, games: Arc<Games>, runs: Quota) -> Self {
        Self {
            store,
            games,
            runs,
            replays: Semaphore::new(REPLAYS_AT_ONCE),
        }
    }

    /// The board of a game's current levels; with the name a signed-in caller last used.
    pub async fn board(
        &self,
        code: &str,
        caller: Option<&SignedIn>,
        client: Option<IpAddr>,
    ) -> Result<Leaderboard, AppError> {
        let (game, module) = self.game(code, client).await?;
        let your_name = match caller {
            Some(caller) => self.store.player_name(caller.id).await?,
            None => None,
        };
        Ok(Leaderboard {
            entries: self.top(&game, &module).await?,
            your_name,
        })
    }

    /// Replays a finished run and, when believed, keeps its time under `name`.
    pub async fn submit(
        &self,
        code: &str,
        caller: Option<&SignedIn>,
        client: Option<IpAddr>,
        submission: RunSubmission,
    ) -> Result<RunRecorded, AppError> {
        // Everything that costs nothing is checked before anything that does.
        let name = PlayerName::parse(&submission.name).map_err(|e| AppError::invalid("name", e))?;
        let run =
            Run::parse(&submission.run).map_err(|e| AppError::invalid("run", e.to_string()))?;
        if run.steps() != submission.steps {
            return Err(AppError::invalid(
                "steps",
                format!(
                    "the run lasts {} steps, not the {} claimed",
                    run.steps(),
                    submission.steps
                ),
            ));
        }
        let (game, module) = self.game(code, client).await?;
        if let Some(ip) = client {
            let party = format!(
                "{}:{}",
                game.short_code,
                crate::http::client_ip::limit_key(ip)
            );
            self.runs.spend(&[party]).await?;
        }
        let data = self.data(&game).await?;
        // Kept as sent: the proof a time can be replayed from again.
        let text = run.encode();
        let outcome = {
            let _turn = self
                .replays
                .acquire()
                .await
                .map_err(|e| internal("replay queue", e))?;
            tokio::task::spawn_blocking(move || run::verify(&data, &run))
                .await
                .map_err(|e| internal("replay", e))?
                .map_err(|refusal| AppError::invalid("run", refusal.to_string()))?
        };
        let at = Utc::now();
        let kept = self
            .store
            .record(&NewEntry {
                id: Uuid::new_v4(),
                game: game.id,
                module: &module,
                name: &name,
                user: caller.map(|c| c.id),
                steps: outcome.steps,
                score: outcome.score,
                run: &text,
                at,
            })
            .await?;
        let rank = self
            .store
            .faster_than(game.id, &module, outcome.steps)
            .await?
            + 1;
        let entry = LeaderboardEntry {
            rank,
            name: name.as_str().to_owned(),
            steps: outcome.steps,
            time: run_time(outcome.steps),
            score: outcome.score,
            at: crate::billing::rfc3339(at),
        };
        let your_name = caller.map(|_| name.as_str().to_owned());
        Ok(RunRecorded {
            rank,
            best: kept,
            entry,
            board: Leaderboard {
                entries: self.top(&game, &module).await?,
                your_name,
            },
        })
    }

    /// A game whose board may be seen and added to: ready, still playing, not taken down;
    /// and the module its levels are played from.
    async fn game(
        &self,
        code: &str,
        client: Option<IpAddr>,
    ) -> Result<(GameRecord, String), AppError> {
        let game = self.games.playable(code, client).await?;
        if game.status != GameStatus::Ready || game.visibility.taken_down() {
            return Err(AppError::NotFound);
        }
        let Some(module) = game.assets.as_ref().and_then(|a| a.module.clone()) else {
            return Err(AppError::NotFound);
        };
        Ok((game, module))
    }

    /// The game's levels as its module carries them.
    async fn data(&self, game: &GameRecord) -> Result<GameData, AppError> {
        let module = self.games.module(game).await?;
        let section = game_runtime::assemble::read_section(&module)
            .ok_or_else(|| internal("leaderboard", "the module has no game data"))?;
        game_runtime::format::decode(section).map_err(|e| internal("leaderboard", e))
    }

    async fn top(
        &self,
        game: &GameRecord,
        module: &str,
    ) -> Result<Vec<LeaderboardEntry>, AppError> {
        let entries = self.store.top(game.id, module, TOP).await?;
        Ok(ranked(&entries))
    }
}

/// A time as the account's data export lists it.
#[derive(serde::Serialize)]
struct ExportedTime {
    game: String,
    name: String,
    steps: u32,
    time: String,
    score: u32,
    at: String,
}

/// An account's times: exported with its data, erased with it. Anonymous players' times are
/// not linked to anyone, so there is nothing to hand over at sign-up.
#[async_trait::async_trait]
impl crate::accounts::Belongings for Leaderboards {
    fn kind(&self) -> &'static str {
        "leaderboard times"
    }

    async fn hand_over(&self, _from: &Visitor, _to: &Visitor) -> Result<u64, AppError> {
        Ok(0)
    }

    /// `leaderboards.json`: the name last played under and every time set.
    async fn export(
        &self,
        owner: &Visitor,
        zip: &mut crate::accounts::export::Export,
    ) -> Result<(), AppError> {
        let Ok(user) = Uuid::parse_str(&owner.0) else {
            return Ok(());
        };
        let times: Vec<ExportedTime> = self
            .store
            .entries_of(user)
            .await?
            .into_iter()
            .map(|(game, e)| ExportedTime {
                game,
                time: run_time(e.steps),
                name: e.name,
                steps: e.steps,
                score: e.score,
                at: crate::billing::rfc3339(e.at),
            })
            .collect();
        let name = self.store.player_name(user).await?;
        zip.add_json(
            "leaderboards.json",
            &serde_json::json!({ "player_name": name, "times": times }),
        )
        .await
    }

    async fn erase(&self, owner: &Visitor) -> Result<u64, AppError> {
        let Ok(user) = Uuid::parse_str(&owner.0) else {
            return Ok(0);
        };
        Ok(self.store.erase(user).await?)
    }
}

/// Entries fastest first with their ranks: equal times share the better rank.
fn ranked(entries: &[Entry]) -> Vec<LeaderboardEntry> {
    let mut out: Vec<LeaderboardEntry> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let rank = match out.last() {
            Some(last) if last.steps == entry.steps => last.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(LeaderboardEntry {
            rank,
            name: entry.name.clone(),
            steps: entry.steps,
            time: run_time(entry.steps),
            score: entry.score,
            at: crate::billing::rfc3339(entry.at),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_share_a_rank() {
        let at = Utc::now();
        let entry = |name: &str, steps| Entry {
            name: name.into(),
            steps,
            score: 0,
            at,
        };
        let ranks: Vec<u32> = ranked(&[entry("a", 100), entry("b", 100), entry("c", 130)])
            .iter()
            .map(|e| e.rank)
            .collect();
        assert_eq!(ranks, [1, 1, 3]);
    }
}
