//! Making a game from a stored photo: cut out (reusing the studio's cut-out when its owner
//! already made one) and draw the sprite (Burn, on the blocking pool), store the pictures,
//! generate the levels, inject everything into the runtime module.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use game_runtime::format::{Animation, GameData, GameSpec, Sprite};
use game_runtime::theme::{Difficulty, Theme};
use uuid::Uuid;

use crate::blobs::Blobs;
use crate::runtime_assets::GameRuntime;
use crate::store::{GameAssets, GameRecord, Store};
use crate::studio::{Look, Studio, png};

/// Why a game could not be made: `Rejected` is the photo's fault and is told to the visitor
/// as is; anything else is ours, logged, and told as a generic failure.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Internal(String),
}

impl PipelineError {
    pub(crate) fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {e}"))
    }

    /// What the visitor reads.
    pub fn public_reason(&self) -> String {
        match self {
            Self::Rejected(reason) => reason.clone(),
            Self::Internal(_) => "an internal error stopped the pipeline; please try again".into(),
        }
    }
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

    /// Starts making a game in the background.
    pub fn spawn(self: &Arc<Self>, game_id: Uuid) {
        let this = Arc::clone(self);
        tokio::spawn(async move { this.run(game_id).await });
    }

    /// Makes one game to the end, recording success or a plain reason for failure.
    #[tracing::instrument(skip(self))]
    pub async fn run(&self, game_id: Uuid) {
        let started = Instant::now();
        let outcome = self.make(game_id).await;
        let recorded = match &outcome {
            Ok(assets) => self.store.mark_game_ready(game_id, assets).await,
            Err(e) => {
                if let PipelineError::Internal(detail) = e {
                    tracing::error!(%game_id, detail, "game pipeline failed");
                }
                self.store
                    .mark_game_failed(game_id, &e.public_reason())
                    .await
            }
        };
        match recorded {
            Ok(()) => {
                tracing::info!(%game_id, ok = outcome.is_ok(), ms = started.elapsed().as_millis() as u64, "game finished")
            }
            Err(e) => tracing::error!(%game_id, error = %e, "could not record the game's outcome"),
        }
    }

    async fn make(&self, game_id: Uuid) -> Result<GameAssets, PipelineError> {
        let game = self
            .store
            .game(game_id)
            .await
            .map_err(|e| PipelineError::internal("load game", e))?
            .ok_or_else(|| PipelineError::Internal(format!("game {game_id} vanished")))?;
        let image = self
            .store
            .image(game.image_id)
            .await
            .map_err(|e| PipelineError::internal("load image", e))?
            .ok_or_else(|| PipelineError::Rejected("the photo was deleted".into()))?;
        let style = game
            .style
            .parse()
            .map_err(|e| PipelineError::internal("stored style", e))?;
        let cutout = self.studio.cutout(image.id, &image.original_key).await?;
        let art = self.studio.draw(cutout.image, game_look(style)).await?;
        let pictures = Pictures::new(cutout.png.to_vec(), &art)?;

        let prefix = format!("games/{game_id}");
        let previous_module = game.assets.as_ref().and_then(|a| a.module.clone());
        let mut assets = GameAssets::default();
        for (name, bytes, slot) in [
            ("cutout.png", pictures.cutout_png, &mut assets.cutout),
            ("sprite.png", pictures.sprite_png, &mut assets.sprite),
            ("sheet.png", pictures.sheet_png, &mut assets.sheet),
        ] {
            let key = format!("{prefix}/{name}");
            self.blobs
                .put(&key, Bytes::from(bytes))
                .await
                .map_err(|e| PipelineError::internal("store picture", e))?;
            *slot = Some(key);
        }
        self.store
            .set_game_assets(game_id, &assets)
            .await
            .map_err(|e| PipelineError::internal("record pictures", e))?;

        let runtime = Arc::clone(&self.runtime);
        let module =
            tokio::task::spawn_blocking(move || assemble(&game, pictures.sprite, &runtime.module))
                .await
                .map_err(|e| PipelineError::internal("assemble task", e))??;
        // Named by content: the module is served as immutable under this name.
        let key = format!(
            "{prefix}/game-{}.wasm",
            crate::runtime_assets::content_tag(&module)
        );
        self.blobs
            .put(&key, Bytes::from(module))
            .await
            .map_err(|e| PipelineError::internal("store module", e))?;
        // A regenerated game's previous module is named by its old content: remove it.
        if let Some(old) = previous_module.filter(|old| *old != key)
            && let Err(e) = self.blobs.delete(&old).await
        {
            tracing::warn!(%game_id, key = old, error = %e, "could not remove the old module");
        }
        assets.module = Some(key);
        Ok(assets)
    }
}

/// 32-px frames: two 16-px tiles tall, the size a platformer hero reads best at.
fn game_look(style: ml::Style) -> Look {
    Look {
        style,
        size: 32,
        dither: false,
    }
}

struct Pictures {
    cutout_png: Vec<u8>,
    sprite_png: Vec<u8>,
    sheet_png: Vec<u8>,
    sprite: Sprite,
}

impl Pictures {
    fn new(cutout_png: Vec<u8>, art: &ml::PixelArt) -> Result<Self, PipelineError> {
        let sheet = &art.sheet;
        let sprite = Sprite {
            frame_width: to_u16(sheet.frame_width)?,
            frame_height: to_u16(sheet.frame_height)?,
            frame_count: to_u16(sheet.frame_count())?,
            rgba: sheet.image.as_raw().clone(),
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
        Ok(Self {
            cutout_png,
            sprite_png: png(&art.sprite)?,
            sheet_png: png(&sheet.image)?,
            sprite,
        })
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
        pet_name: &game.pet_name,
        theme: Theme::parse(&game.theme).map_err(|e| PipelineError::internal("theme", e))?,
        difficulty: Difficulty::parse(&game.difficulty)
            .map_err(|e| PipelineError::internal("difficulty", e))?,
        seed: game.seed,
        level_count: game.level_count,
    };
    let data =
        GameData::generate(&spec, sprite).map_err(|e| PipelineError::internal("levels", e))?;
    game_runtime::assemble::inject(runtime, &data).map_err(|e| PipelineError::internal("inject", e))
}
