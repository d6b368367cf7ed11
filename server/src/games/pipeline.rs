//! Making a game from a stored photo, in the four stages the job table tracks. Each stage
//! reads what the one before stored and writes its own results under `games/{id}/` (the same
//! keys and bytes however often it runs), then records the keys on the game:
//!
//! 1. `remove_background`: the cut-out (reusing the studio's cut-out of the photo when its
//!    owner already made one) → `cutout.png`.
//! 2. `pixelize`: the cut-out drawn on the sprite grid in the game's style → `pixels.json`
//!    (the indexed sprite) and `sprite.png`; for packages with the 64-px sprite, the same at
//!    64 px → `pixels-64.json`.
//! 3. `animate`: every animation frame → `sheet.png`, `layout.json` (frame size and
//!    animations) and `preview.gif`; at 64 px → `sheet-64.png` and `preview-64.gif`.
//! 4. `assemble_game`: levels generated from the game's seed and proven, the data injected
//!    into the runtime → `game-{content tag}.wasm`.
//!
//! Runs on workers only: the stages need the image models.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use domain::{Look, PipelineStage, SpriteSize};
use game_runtime::format::{Animation, GameData, GameSpec, Sprite};
use image::ImageFormat;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

use super::keys;
use super::store::{ClaimedStage, GameAssets, GameRecord, GameStore, PipelineStore, StageOutcome};
use crate::config::StageTimeouts;
use crate::infra::blobs::Blobs;
use crate::infra::changes::Changes;
use crate::infra::runtime::{GameRuntime, content_tag};
use crate::jobs::{Outcome, Queue, StageError};
use crate::photos::PhotoStore;
use crate::studio::work::StudioWork;

/// The 64-px drawing of a game whose package includes it, between `pixelize` and `animate`.
const HIRES_PIXELS: &str = "pixels-64.json";

/// How a stage ended well.
#[derive(Debug)]
pub enum StageDone {
    /// Queue stage `next`, recording the game's pictures so far.
    Next {
        next: PipelineStage,
        assets: GameAssets,
    },
    /// The game is made, with these assets.
    Finished(GameAssets),
}

/// A sheet's frame size and animations, as the game data needs them.
#[derive(Debug, Serialize, Deserialize)]
struct SheetLayout {
    frame_width: u16,
    frame_height: u16,
    frame_count: u16,
    animations: Vec<Animation>,
}

/// The games' stages as a durable queue.
pub struct GamePipeline {
    pub games: Arc<dyn GameStore>,
    pub jobs: Arc<dyn PipelineStore>,
    pub photos: Arc<dyn PhotoStore>,
    pub blobs: Blobs,
    pub studio: StudioWork,
    pub runtime: Arc<GameRuntime>,
    pub timeouts: StageTimeouts,
    /// Told after every recorded outcome, for the progress streams.
    pub changes: Changes,
    /// Rung when a game is ready: its messages are due.
    pub notifications_due: Arc<Notify>,
}

#[async_trait::async_trait]
impl Queue for GamePipeline {
    type Claim = ClaimedStage;
    type Done = StageDone;

    fn name(&self) -> &'static str {
        "games"
    }

    fn attempts(claim: &ClaimedStage) -> u32 {
        claim.attempts
    }

    async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ClaimedStage>, crate::infra::db::StoreError> {
        self.jobs.claim(worker, now_ms, lease_ms).await
    }

    async fn extend(
        &self,
        claim: &ClaimedStage,
        until_ms: i64,
    ) -> Result<bool, crate::infra::db::StoreError> {
        self.jobs.extend(claim, until_ms).await
    }

    fn time_limit(&self, claim: &ClaimedStage) -> Duration {
        self.timeouts.of(claim.stage)
    }

    #[tracing::instrument(skip_all, fields(game_id = %claim.game_id, stage = claim.stage.as_str()))]
    async fn run(&self, claim: &ClaimedStage) -> Result<StageDone, StageError> {
        self.run_stage(claim.game_id, claim.stage).await
    }

    async fn record(
        &self,
        claim: &ClaimedStage,
        outcome: &Outcome<StageDone>,
        now_ms: i64,
    ) -> Result<bool, crate::infra::db::StoreError> {
        let outcome = match outcome {
            Outcome::Done(StageDone::Next { next, assets }) => StageOutcome::Advance {
                next: *next,
                assets,
            },
            Outcome::Done(StageDone::Finished(assets)) => StageOutcome::Finished {
                assets,
                duration_ms: now_ms.saturating_sub(claim.queued_at).max(0),
            },
            Outcome::RetryAt { run_at, error } => StageOutcome::RetryAt {
                run_at: *run_at,
                error,
            },
            Outcome::Failed { reason, .. } => StageOutcome::Failed { reason },
        };
        self.jobs.complete(claim, outcome, now_ms).await
    }

    async fn recorded(&self, claim: &ClaimedStage, outcome: &Outcome<StageDone>) {
        if let Outcome::Done(StageDone::Finished(_)) = outcome {
            tracing::info!(game_id = %claim.game_id, "game ready");
            self.notifications_due.notify_one();
        }
        self.changes.game(claim.game_id).await;
    }
}

impl GamePipeline {
    /// Runs one stage of one game.
    pub async fn run_stage(
        &self,
        game_id: Uuid,
        stage: PipelineStage,
    ) -> Result<StageDone, StageError> {
        let game = self
            .games
            .get(game_id)
            .await?
            .ok_or_else(|| StageError::Internal(format!("game {game_id} vanished")))?;
        let mut assets = game.assets.clone().unwrap_or_default();
        let key = |file: &str| keys::file(game_id, file);
        match stage {
            PipelineStage::RemoveBackground => {
                let deleted = || StageError::Rejected("the photo was deleted".into());
                let image = self
                    .photos
                    .get(game.image_id.ok_or_else(deleted)?)
                    .await?
                    .ok_or_else(deleted)?;
                let cutout = self.studio.cutout(image.id, &image.original_key).await?;
                self.blobs.put(&key("cutout.png"), cutout.png).await?;
                assets.cutout = Some(key("cutout.png"));
            }
            PipelineStage::Pixelize => {
                let cutout = self.blobs.get(&key("cutout.png")).await?;
                let sprite = self
                    .studio
                    .engine()
                    .pixelize(cutout.clone(), Look::for_game(game.style, game.gait))
                    .await?;
                self.blobs
                    .put(&key("pixels.json"), Bytes::from(sprite.pixels))
                    .await?;
                self.blobs
                    .put(&key("sprite.png"), Bytes::from(sprite.png))
                    .await?;
                assets.sprite = Some(key("sprite.png"));
                if game.package.allowance().hires_sprite {
                    let look = Look {
                        size: SpriteSize::HIRES,
                        ..Look::for_game(game.style, game.gait)
                    };
                    let hires = self.studio.engine().pixelize(cutout, look).await?;
                    self.blobs
                        .put(&key(HIRES_PIXELS), Bytes::from(hires.pixels))
                        .await?;
                }
            }
            PipelineStage::Animate => {
                let pixels = self.blobs.get(&key("pixels.json")).await?;
                let sheet = self.studio.engine().animate(pixels, game.gait).await?;
                let layout = SheetLayout {
                    frame_width: sheet.frame_width,
                    frame_height: sheet.frame_height,
                    frame_count: sheet.frame_count,
                    animations: sheet.animations,
                };
                let layout = serde_json::to_vec(&layout)
                    .map_err(|e| StageError::internal("encode layout", e))?;
                self.blobs
                    .put(&key("sheet.png"), Bytes::from(sheet.png))
                    .await?;
                self.blobs
                    .put(&key("layout.json"), Bytes::from(layout))
                    .await?;
                self.blobs
                    .put(&key("preview.gif"), Bytes::from(sheet.preview_gif))
                    .await?;
                assets.sheet = Some(key("sheet.png"));
                assets.preview = Some(key("preview.gif"));
                if game.package.allowance().hires_sprite {
                    let pixels = self.blobs.get(&key(HIRES_PIXELS)).await?;
                    let hires = self.studio.engine().animate(pixels, game.gait).await?;
                    self.blobs
                        .put(&key("sheet-64.png"), Bytes::from(hires.png))
                        .await?;
                    self.blobs
                        .put(&key("preview-64.gif"), Bytes::from(hires.preview_gif))
                        .await?;
                    assets.hires_sheet = Some(key("sheet-64.png"));
                    assets.hires_preview = Some(key("preview-64.gif"));
                }
            }
            PipelineStage::AssembleGame => {
                let layout: SheetLayout =
                    serde_json::from_slice(&self.blobs.get(&key("layout.json")).await?)
                        .map_err(|e| StageError::internal("stored layout", e))?;
                let sheet = self.blobs.get(&key("sheet.png")).await?;
                let runtime = Arc::clone(&self.runtime);
                let previous_module = assets.module.clone();
                let module = tokio::task::spawn_blocking(move || {
                    let rgba = image::load_from_memory_with_format(&sheet, ImageFormat::Png)
                        .map_err(|e| StageError::internal("decode stored sheet", e))?
                        .to_rgba8()
                        .into_raw();
                    let sprite = Sprite {
                        frame_width: layout.frame_width,
                        frame_height: layout.frame_height,
                        frame_count: layout.frame_count,
                        rgba,
                        animations: layout.animations,
                    };
                    assemble(&game, sprite, &runtime.module)
                })
                .await
                .map_err(|e| StageError::internal("assemble task", e))??;
                // Named by content: the module is served as immutable under this name.
                let module_key = key(&format!("game-{}.wasm", content_tag(&module)));
                self.blobs.put(&module_key, Bytes::from(module)).await?;
                // A regenerated game's previous module is named by its old content: remove it.
                if let Some(old) = previous_module.filter(|old| *old != module_key)
                    && let Err(e) = self.blobs.delete(&old).await
                {
                    tracing::warn!(%game_id, key = old, error = %e, "could not remove the old module");
                }
                assets.module = Some(module_key);
                return Ok(StageDone::Finished(assets));
            }
        }
        let next = stage
            .next()
            .ok_or_else(|| StageError::Internal(format!("no stage after {stage:?}")))?;
        Ok(StageDone::Next { next, assets })
    }
}

/// Where a game made over with new levels starts: the assembly alone when the game's sprite
/// is stored (games made before stages were stored start from the photo).
pub async fn restart_stage(blobs: &Blobs, game_id: Uuid) -> Result<PipelineStage, StageError> {
    match blobs.get(&keys::file(game_id, "layout.json")).await {
        Ok(_) => Ok(PipelineStage::AssembleGame),
        Err(crate::infra::blobs::BlobError::NotFound(_)) => Ok(PipelineStage::RemoveBackground),
        Err(e) => Err(StageError::internal("read blob", e)),
    }
}

/// The game's data (levels generated from the game's seed), injected into a copy of the
/// runtime.
fn assemble(game: &GameRecord, sprite: Sprite, runtime: &[u8]) -> Result<Vec<u8>, StageError> {
    let spec = GameSpec {
        title: &game.title,
        pet_name: game.pet_name.as_str(),
        theme: game.theme,
        difficulty: game.difficulty,
        seed: game.seed,
        level_count: game.level_count.get(),
    };
    let data = GameData::generate(&spec, sprite).map_err(|e| StageError::internal("levels", e))?;
    game_runtime::assemble::inject(runtime, &data).map_err(|e| StageError::internal("inject", e))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::{Difficulty, GameStatus, LevelCount, PetName, ShortCode, Style, Theme};

    use super::*;

    /// The create page offers exactly `Theme::ALL` and `Difficulty::ALL`; each pair must become
    /// a playable module carrying what was asked for.
    #[test]
    fn every_theme_and_difficulty_the_create_page_offers_assembles_a_game() {
        // The smallest valid wasm module: the runtime's real one is a build product.
        let runtime = b"\0asm\x01\0\0\0".to_vec();
        for theme in Theme::ALL {
            for difficulty in Difficulty::ALL {
                let game = GameRecord {
                    id: Uuid::new_v4(),
                    visitor_id: "v".into(),
                    image_id: None,
                    short_code: ShortCode::parse("abcdefghjk").expect("valid"),
                    title: "Pip's Great Adventure".into(),
                    pet_name: PetName::parse("Pip").expect("valid"),
                    theme,
                    difficulty,
                    level_count: LevelCount::try_from(2).expect("valid"),
                    seed: 42,
                    style: Style::default(),
                    gait: None,
                    status: GameStatus::Generating,
                    failure_reason: None,
                    assets: None,
                    created_at: Utc::now(),
                    completed_at: None,
                    plays: 0,
                    stage: None,
                    package: domain::Package::Premium,
                    expires_at: None,
                    remakes: 0,
                    visibility: domain::Visibility::Private,
                    description: None,
                    moderation_note: None,
                };
                let module = assemble(&game, Sprite::placeholder(), &runtime)
                    .unwrap_or_else(|e| panic!("{theme} {difficulty}: {e}"));
                let section = game_runtime::assemble::read_section(&module).expect("injected");
                let data = game_runtime::format::decode(section).expect("decodes");
                assert_eq!((data.theme, data.difficulty), (theme, difficulty));
                assert_eq!(data.levels.len(), 2, "{theme} {difficulty}");
            }
        }
    }
}
