//! Making a game from a stored photo, in the four stages the job table tracks. Each stage reads
//! what the one before stored and writes its own results under `games/{id}/` (the same keys and
//! bytes however often it runs), then records the keys on the game:
//!
//! 1. `remove_background`: the cut-out (reusing the studio's cut-out of the photo when its owner
//!    already made one) → `cutout.png`.
//! 2. `pixelize`: the cut-out drawn on the sprite grid in the game's style → `pixels.json`
//!    (the indexed sprite) and `sprite.png`.
//! 3. `animate`: every animation frame → `sheet.png`, `layout.json` (frame size and
//!    animations) and `preview.gif`.
//! 4. `assemble_game`: levels generated from the game's seed and proven, the data injected
//!    into the runtime → `game-{content tag}.wasm`.

use std::sync::Arc;

use app::dto::{Look, PipelineStage};
use bytes::Bytes;
use game_runtime::format::{Animation, GameData, GameSpec, Sprite};
use image::ImageFormat;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::blobs::Blobs;
use crate::runtime_assets::GameRuntime;
use crate::store::{GameAssets, GameRecord, Store};
use crate::studio::Studio;

/// Why a stage failed: `Rejected` is the photo's fault and is told to the owner as is (and not
/// retried); anything else is ours, logged, retried, and told as a generic failure.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Internal(String),
}

impl PipelineError {
    /// What the owner reads when our side failed for good.
    pub const INTERNAL_REASON: &'static str =
        "an internal error stopped the pipeline; please try again";

    pub(crate) fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {e}"))
    }
}

/// A blob store failure is ours (retried), never the photo's.
impl From<crate::blobs::BlobError> for PipelineError {
    fn from(e: crate::blobs::BlobError) -> Self {
        Self::internal("blob store", e)
    }
}

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

pub struct Pipeline {
    store: Arc<dyn Store>,
    blobs: Blobs,
    studio: Arc<Studio>,
    runtime: Arc<GameRuntime>,
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        studio: Arc<Studio>,
        runtime: Arc<GameRuntime>,
    ) -> Self {
        Self {
            store,
            blobs,
            studio,
            runtime,
        }
    }

    /// Where a game made over with new levels starts: the assembly alone when the game's sprite
    /// is stored (games made before stages were stored start from the photo).
    pub async fn restart_stage(&self, game_id: Uuid) -> Result<PipelineStage, PipelineError> {
        match self
            .blobs
            .get(&format!("games/{game_id}/layout.json"))
            .await
        {
            Ok(_) => Ok(PipelineStage::AssembleGame),
            Err(crate::blobs::BlobError::NotFound(_)) => Ok(PipelineStage::RemoveBackground),
            Err(e) => Err(PipelineError::internal("read blob", e)),
        }
    }

    /// Runs one stage of one game.
    pub async fn run_stage(
        &self,
        game_id: Uuid,
        stage: PipelineStage,
    ) -> Result<StageDone, PipelineError> {
        let game = self
            .store
            .game(game_id)
            .await
            .map_err(|e| PipelineError::internal("load game", e))?
            .ok_or_else(|| PipelineError::Internal(format!("game {game_id} vanished")))?;
        let mut assets = game.assets.clone().unwrap_or_default();
        let key = |file: &str| format!("games/{game_id}/{file}");
        match stage {
            PipelineStage::RemoveBackground => {
                let deleted = || PipelineError::Rejected("the photo was deleted".into());
                let image = self
                    .store
                    .image(game.image_id.ok_or_else(deleted)?)
                    .await
                    .map_err(|e| PipelineError::internal("load image", e))?
                    .ok_or_else(deleted)?;
                let cutout = self.studio.cutout(image.id, &image.original_key).await?;
                self.blobs.put(&key("cutout.png"), cutout.png).await?;
                assets.cutout = Some(key("cutout.png"));
            }
            PipelineStage::Pixelize => {
                let cutout = self.blobs.get(&key("cutout.png")).await?;
                let (pixels, sprite_png) = self
                    .studio
                    .pixelize(cutout, Look::for_game(game.style))
                    .await?;
                let pixels = serde_json::to_vec(&pixels)
                    .map_err(|e| PipelineError::internal("encode pixels", e))?;
                self.blobs
                    .put(&key("pixels.json"), Bytes::from(pixels))
                    .await?;
                self.blobs
                    .put(&key("sprite.png"), Bytes::from(sprite_png))
                    .await?;
                assets.sprite = Some(key("sprite.png"));
            }
            PipelineStage::Animate => {
                let pixels: ml::Pixelized =
                    serde_json::from_slice(&self.blobs.get(&key("pixels.json")).await?)
                        .map_err(|e| PipelineError::internal("stored pixels", e))?;
                let animated = self.studio.animate(pixels).await?;
                let sheet = &animated.sheet;
                let layout = SheetLayout {
                    frame_width: to_u16(sheet.frame_width)?,
                    frame_height: to_u16(sheet.frame_height)?,
                    frame_count: to_u16(sheet.frame_count())?,
                    animations: sheet
                        .animations
                        .iter()
                        .map(|a| {
                            Ok(Animation {
                                name: a.name.clone(),
                                first: to_u16(a.first)?,
                                count: to_u16(a.count)?,
                                fps: u8::try_from(a.fps).unwrap_or(u8::MAX),
                            })
                        })
                        .collect::<Result<_, PipelineError>>()?,
                };
                let layout = serde_json::to_vec(&layout)
                    .map_err(|e| PipelineError::internal("encode layout", e))?;
                self.blobs
                    .put(&key("sheet.png"), Bytes::from(animated.png))
                    .await?;
                self.blobs
                    .put(&key("layout.json"), Bytes::from(layout))
                    .await?;
                self.blobs
                    .put(&key("preview.gif"), Bytes::from(animated.gif))
                    .await?;
                assets.sheet = Some(key("sheet.png"));
                assets.preview = Some(key("preview.gif"));
            }
            PipelineStage::AssembleGame => {
                let layout: SheetLayout =
                    serde_json::from_slice(&self.blobs.get(&key("layout.json")).await?)
                        .map_err(|e| PipelineError::internal("stored layout", e))?;
                let sheet = self.blobs.get(&key("sheet.png")).await?;
                let runtime = Arc::clone(&self.runtime);
                let previous_module = assets.module.clone();
                let module = tokio::task::spawn_blocking(move || {
                    let rgba = image::load_from_memory_with_format(&sheet, ImageFormat::Png)
                        .map_err(|e| PipelineError::internal("decode stored sheet", e))?
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
                .map_err(|e| PipelineError::internal("assemble task", e))??;
                // Named by content: the module is served as immutable under this name.
                let module_key = key(&format!(
                    "game-{}.wasm",
                    crate::runtime_assets::content_tag(&module)
                ));
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
            .ok_or_else(|| PipelineError::Internal(format!("no stage after {stage:?}")))?;
        Ok(StageDone::Next { next, assets })
    }
}

fn to_u16(v: u32) -> Result<u16, PipelineError> {
    u16::try_from(v)
        .map_err(|_| PipelineError::Internal(format!("sprite dimension {v} out of range")))
}

/// The game's data (levels generated from the game's seed), injected into a copy of the runtime.
fn assemble(game: &GameRecord, sprite: Sprite, runtime: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let spec = GameSpec {
        title: &game.title,
        pet_name: game.pet_name.as_str(),
        theme: game.theme,
        difficulty: game.difficulty,
        seed: game.seed,
        level_count: game.level_count.get(),
    };
    let data =
        GameData::generate(&spec, sprite).map_err(|e| PipelineError::internal("levels", e))?;
    game_runtime::assemble::inject(runtime, &data).map_err(|e| PipelineError::internal("inject", e))
}

#[cfg(test)]
mod tests {
    use app::dto::{Difficulty, GameStatus, LevelCount, PetName, ShortCode, Style, Theme};
    use chrono::Utc;

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
                    status: GameStatus::Generating,
                    failure_reason: None,
                    assets: None,
                    created_at: Utc::now(),
                    completed_at: None,
                    plays: 0,
                    stage: None,
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
