//! The public gallery: owners publish their games (each enters moderation first), anyone
//! browses what moderators approved — newest or featured, by world and difficulty, paged by
//! keyset so a page costs the same at the hundred-thousandth game; or the most played today
//! and this week, counted from the plays game pages report in a sliding window — and searches
//! it by title, pet name and description.

pub mod ranking;
pub mod routes;
pub mod store;

use std::sync::Arc;

use app::dto::{GalleryCard, GalleryPage, GameView, PublishRequest};
use app::error::AppError;
use app::port::Visitor;
use chrono::{DateTime, Utc};
use domain::{Description, Difficulty, GameStatus, SearchTerms, Theme, Visibility};
use uuid::Uuid;

use crate::accounts::SignedIn;
use crate::games::{Games, game_view};
use crate::urls;
use ranking::{MostPlayed, Ranking, Window};
use store::{After, GalleryStore, ListedGame, PageQuery, Sort};

/// Games a page of the gallery shows unless asked for fewer.
pub const PAGE_SIZE: u32 = 24;
/// The most a page may ask for.
pub const MAX_PAGE_SIZE: u32 = 48;
/// Search answers at most this many games, best first.
pub const SEARCH_LIMIT: u32 = 24;

/// What a gallery page is asked for, as the query string carries it (checked here, so every
/// mistake is a plain 422 naming the parameter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageParams {
    pub sort: Option<String>,
    pub theme: Option<String>,
    pub difficulty: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

pub struct Gallery {
    /// Publishing writes here.
    store: Arc<dyn GalleryStore>,
    /// Listing and search read here: the read replica, when there is one.
    reader: Arc<dyn GalleryStore>,
    /// The most played: counted in SQL, or in Redis's sorted sets when there is one.
    ranking: Arc<dyn Ranking>,
    games: Arc<Games>,
}

impl Gallery {
    pub fn new(
        store: Arc<dyn GalleryStore>,
        reader: Arc<dyn GalleryStore>,
        ranking: Arc<dyn Ranking>,
        games: Arc<Games>,
    ) -> Self {
        Self {
            store,
            reader,
            ranking,
            games,
        }
    }

    /// Counts a play of a public game for the most-played windows. The play itself is
    /// already counted; a ranking that cannot be reached is logged, not the player's problem.
    pub async fn played(&self, game: Uuid) {
        if let Err(e) = self.ranking.played(game, Utc::now()).await {
            tracing::warn!(error = %e, %game, kind = self.ranking.kind(), "a play was not ranked");
        }
    }

    /// Asks for one of the caller's games to be listed: it waits for a moderator (`pending`)
    /// with its description. Publishing needs an account (a moderator's answer goes to it);
    /// asking again while it waits or is listed changes nothing.
    pub async fn publish(
        &self,
        visitor: &Visitor,
        caller: Option<&SignedIn>,
        id: &str,
        request: PublishRequest,
    ) -> Result<GameView, AppError> {
        // Someone else's game is not found, whoever asks; one's own needs an account.
        let game = self.games.owned(visitor, id).await?;
        if caller.is_none() {
            return Err(AppError::Unauthorized(
                "sign up or log in to publish a game".into(),
            ));
        }
        let description = request
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()
            .map_err(|e| AppError::invalid("description", e))?
            .filter(|d| !d.is_empty());
        if game.status != GameStatus::Ready {
            return Err(AppError::invalid(
                "id",
                "only a finished game can be published",
            ));
        }
        match game.visibility {
            Visibility::Pending | Visibility::Public => return Ok(game_view(&game)),
            Visibility::Hidden => {
                return Err(AppError::Conflict {
                    field: "id".into(),
                    message: "a moderator took this game down; it cannot be published again".into(),
                });
            }
            Visibility::Private | Visibility::Rejected => {}
        }
        let published = self
            .store
            .publish(
                game.id,
                description.as_ref().map(Description::as_str),
                Uuid::new_v4(),
                Utc::now(),
            )
            .await?;
        if !published {
            return Err(AppError::Conflict {
                field: "id".into(),
                message: "the game changed while it was being published: try again".into(),
            });
        }
        self.games.view(visitor, id).await
    }

    /// Takes one of the caller's games out of the gallery (or out of the queue): link-only
    /// again.
    pub async fn unpublish(&self, visitor: &Visitor, id: &str) -> Result<GameView, AppError> {
        let game = self.games.owned(visitor, id).await?;
        if matches!(game.visibility, Visibility::Pending | Visibility::Public) {
            self.store.unpublish(game.id, Utc::now()).await?;
        }
        self.games.view(visitor, id).await
    }

    /// A page of the gallery.
    pub async fn page(&self, params: PageParams) -> Result<GalleryPage, AppError> {
        let order = match params.sort.as_deref() {
            None | Some("new") => Order::Listed(Sort::New),
            Some("featured") => Order::Listed(Sort::Featured),
            Some("popular") => Order::MostPlayed(Window::Day),
            Some("popular_week") => Order::MostPlayed(Window::Week),
            Some(_) => {
                return Err(AppError::invalid(
                    "sort",
                    "choose new, featured, popular (today) or popular_week",
                ));
            }
        };
        let theme = params
            .theme
            .as_deref()
            .map(str::parse::<Theme>)
            .transpose()
            .map_err(|e| AppError::invalid("theme", e.to_string()))?;
        let difficulty = params
            .difficulty
            .as_deref()
            .map(str::parse::<Difficulty>)
            .transpose()
            .map_err(|e| AppError::invalid("difficulty", e.to_string()))?;
        let after = params.cursor.as_deref().map(parse_cursor).transpose()?;
        let limit = match params.limit.as_deref() {
            None => PAGE_SIZE,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    AppError::invalid("limit", format!("a number from 1 to {MAX_PAGE_SIZE}"))
                })?,
        };
        let sort = match order {
            Order::Listed(sort) => sort,
            // The most played come on one page: a window's ranking moves under a cursor.
            Order::MostPlayed(_) if after.is_some() => {
                return Err(AppError::invalid(
                    "cursor",
                    "the most played games come on one page",
                ));
            }
            Order::MostPlayed(window) => {
                let games = self
                    .ranking
                    .most_played(&MostPlayed {
                        window,
                        now: Utc::now(),
                        theme,
                        difficulty,
                        limit,
                    })
                    .await?;
                return Ok(GalleryPage {
                    games: games.iter().map(card).collect(),
                    next: None,
                });
            }
        };
        // One more than asked tells whether a next page exists.
        let mut games = self
            .reader
            .page(&PageQuery {
                sort,
                theme,
                difficulty,
                after,
                limit: limit + 1,
            })
            .await?;
        let more = games.len() > limit as usize;
        games.truncate(limit as usize);
        let next = more.then(|| games.last()).flatten().and_then(|last| {
            let at = match sort {
                Sort::New => last.published_at,
                Sort::Featured => last.featured_at,
            }?;
            Some(cursor(at, last.id))
        });
        Ok(GalleryPage {
            games: games.iter().map(card).collect(),
            next,
        })
    }

    /// Public games matching every word of `q` (each as a prefix, so it works as people
    /// type), best first.
    pub async fn search(&self, q: &str) -> Result<GalleryPage, AppError> {
        let terms = SearchTerms::parse(q).map_err(|e| AppError::invalid("q", e))?;
        let games = self.reader.search(&terms, SEARCH_LIMIT).await?;
        Ok(GalleryPage {
            games: games.iter().map(card).collect(),
            next: None,
        })
    }
}

/// What a gallery page is ordered by.
enum Order {
    /// When games were listed or featured, paged by keyset.
    Listed(Sort),
    /// Plays within this window before now, most first.
    MostPlayed(Window),
}

/// A page's position as the API hands it out: the sort time in microseconds and the id.
fn cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}.{}", at.timestamp_micros(), id.simple())
}

fn parse_cursor(text: &str) -> Result<After, AppError> {
    let bad = || AppError::invalid("cursor", "not a cursor this API gave out");
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = Uuid::try_parse(id).map_err(|_| bad())?;
    Ok(After { at, id })
}

/// A listed game as the gallery shows it.
pub fn card(game: &ListedGame) -> GalleryCard {
    let code = &game.short_code;
    GalleryCard {
        short_code: code.clone(),
        title: game.title.clone(),
        pet_name: game.pet_name.clone(),
        description: game.description.clone(),
        theme: game.theme,
        difficulty: game.difficulty,
        level_count: game.level_count,
        plays: game.plays,
        featured: game.featured_at.is_some(),
        published_at: game.published_at.map(crate::billing::rfc3339),
        play: urls::play_page(code),
        preview: game
            .assets
            .as_ref()
            .and_then(|a| a.preview.as_ref())
            .map(|_| urls::game_public_file(code, "preview.gif")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let at = DateTime::from_timestamp_micros(1_796_000_000_123_456).expect("time");
        let id = Uuid::new_v4();
        assert_eq!(parse_cursor(&cursor(at, id)), Ok(After { at, id }));
        for junk in ["", ".", "abc.def", "1.2", "99999999999999999999.x", "1"] {
            assert!(parse_cursor(junk).is_err(), "{junk:?}");
        }
    }
}
