//! The pixel-art studio: a photo's pet cut out, drawn in any style, size and dithering
//! ("looks") and animated, each made once and kept beside the photo; the styles on offer; the
//! files of each result, for the photo's owner.
//!
//! Web nodes never run the models: a request queues the work as a studio job
//! (`studio_jobs`, one row per photo and piece of work, so any number of requests for the
//! same work cost one computation), wakes this process's worker if it has one, and waits for
//! the job's change notice. Workers make the results (`work`) on their own queue, with their
//! own slots, so the studio cannot starve games of workers, nor games the studio.

pub mod engine;
pub mod jobs;
pub mod routes;
pub mod store;
pub mod work;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::dto::{
    CutoutMethod, CutoutView, ImageStatus, Look, PixelArtRequest, PixelArtView, SpriteSize,
    StudioState, Style, StyleView,
};
use app::error::AppError;
use app::port::Visitor;
use bytes::Bytes;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use uuid::Uuid;

use crate::clock::now_ms;
use crate::error::{blob_read, internal};
use crate::infra::blobs::Blobs;
use crate::infra::changes::{Change, Changes};
use crate::infra::limits::{Quota, parties};
use crate::jobs::StageError;
use crate::photos::{ImageRecord, Photos, keys, uploaded_view};
use crate::urls;
use store::{StudioJob, StudioStore};
use work::{ANIMATION_FILES, ArtMeta, CutoutMeta, SPRITE_FILES, hex, read_json};

/// A piece of studio work on one photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Work {
    /// The pet cut out of the photo.
    Cutout,
    /// The cut-out drawn on a sprite grid in a look: the still sprite and its palette.
    Sprite(Look),
    /// A look's sprite animated: the sheet, its frame table and the animated preview.
    Animation(Look),
}

impl Work {
    /// Parses [`Work`]'s `Display` form back: `cutout`, `sprite:{look}`, `animation:{look}`.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "cutout" {
            return Some(Self::Cutout);
        }
        let (kind, look) = s.split_once(':')?;
        let look = Look::from_slug(look)?;
        match kind {
            "sprite" => Some(Self::Sprite(look)),
            "animation" => Some(Self::Animation(look)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cutout => f.write_str("cutout"),
            Self::Sprite(look) => write!(f, "sprite:{}", look.slug()),
            Self::Animation(look) => write!(f, "animation:{}", look.slug()),
        }
    }
}

/// What the owner reads next to a cut-out made by the fallback.
const FALLBACK_NOTICE: &str = "We could not find the whole pet with our usual method, so this \
    cut-out may be rough. A photo showing the whole pet, with some background around it, \
    works best.";

/// A waiting request re-reads its job this often even without a notice, in case one was lost.
const RECHECK: Duration = Duration::from_secs(2);

impl From<StageError> for AppError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Rejected(reason) => AppError::invalid("image", reason),
            StageError::Internal(detail) => internal("image pipeline", detail),
        }
    }
}

/// What a request that waited for studio work gets: the result once done (failed work is
/// the request's error), or where the work stands when the wait ran out.
pub enum Waited<D, P> {
    Done(D),
    Pending(P),
}

pub struct Studio {
    photos: Arc<Photos>,
    blobs: Blobs,
    store: Arc<dyn StudioStore>,
    changes: Changes,
    /// Rung when work is queued, so this process's worker (if it has one) starts at once.
    queued: Arc<Notify>,
    /// How long a request waits for its work before answering with its status.
    wait: Duration,
    /// New work a person may ask for in an hour.
    quota: Quota,
}

impl Studio {
    pub fn new(
        photos: Arc<Photos>,
        blobs: Blobs,
        store: Arc<dyn StudioStore>,
        changes: Changes,
        queued: Arc<Notify>,
        wait: Duration,
        quota: Quota,
    ) -> Self {
        Self {
            photos,
            blobs,
            store,
            changes,
            queued,
            wait,
            quota,
        }
    }

    /// The pixel-art styles on offer.
    pub fn styles() -> Vec<StyleView> {
        Style::ALL
            .into_iter()
            .map(|style| StyleView {
                id: style,
                name: style.name().to_owned(),
                description: style.description().to_owned(),
                colours: u32::try_from(style.max_colours()).unwrap_or(u32::MAX),
                palette: style
                    .palette()
                    .map(|colours| colours.into_iter().map(hex).collect()),
            })
            .collect()
    }

    /// One of the visitor's photos and what has been made of it so far.
    pub async fn image_status(&self, visitor: &Visitor, id: Uuid) -> Result<ImageStatus, AppError> {
        let image = self.photos.owned(visitor, id).await?;
        let job = self.store.find(image.id, &Work::Cutout).await?;
        self.status_of(&image, job.as_ref()).await
    }

    async fn status_of(
        &self,
        image: &ImageRecord,
        job: Option<&StudioJob>,
    ) -> Result<ImageStatus, AppError> {
        let meta = read_json::<CutoutMeta>(&self.blobs, &keys::cutout_meta(image.id)).await?;
        let looks = self
            .blobs
            .list(&keys::looks(image.id))
            .await
            .map_err(|e| internal("list looks", e))?
            .iter()
            .filter_map(|key| key.strip_suffix("/art.json"))
            .filter_map(|folder| folder.rsplit('/').next())
            .filter_map(Look::from_slug)
            .map(|look| look.slug())
            .collect();
        // The blob is what was made (also by a game's pipeline); the job, what was asked.
        let background = match (&meta, job) {
            (Some(_), _) => "done",
            (None, Some(job)) => job.state.as_str(),
            (None, None) => "pending",
        };
        Ok(ImageStatus {
            image: uploaded_view(image),
            background: background.to_owned(),
            background_failure: job.and_then(|j| j.failure.clone()),
            cutout: meta.map(|meta| cutout_view(image.id, &meta)),
            looks,
        })
    }

    /// Cuts the pet out of one of the visitor's photos (once; later calls reuse it).
    #[tracing::instrument(skip_all)]
    pub async fn remove_background(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        image_id: Uuid,
    ) -> Result<Waited<CutoutView, ImageStatus>, AppError> {
        let image = self.photos.named_in_request(visitor, image_id).await?;
        let parties = parties(visitor, client);
        let job = self.request(image.id, Work::Cutout, &parties).await?;
        let (job, finished) = self.wait_for(job, self.deadline()).await?;
        failed_as_error(&job)?;
        let status = self.status_of(&image, Some(&job)).await?;
        Ok(match (finished, status.cutout.clone()) {
            (true, Some(cutout)) => Waited::Done(cutout),
            _ => Waited::Pending(status),
        })
    }

    /// Draws the cut-out pet in a look (once per look) and, unless asked not to, animates it.
    #[tracing::instrument(skip_all)]
    pub async fn pixel_art(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        request: PixelArtRequest,
    ) -> Result<Waited<PixelArtView, PixelArtView>, AppError> {
        let look = Look {
            style: request.style,
            size: request.size.unwrap_or(SpriteSize::PREVIEW),
            dither: request.dither.unwrap_or(false),
            gait: request.gait,
        };
        let image = self
            .photos
            .named_in_request(visitor, request.image_id)
            .await?;
        let parties = parties(visitor, client);
        let sprite = self.request(image.id, Work::Sprite(look), &parties).await?;
        let animation = if request.animate.unwrap_or(true) {
            Some(
                self.request(image.id, Work::Animation(look), &parties)
                    .await?,
            )
        } else {
            None
        };
        // One wait for the whole request, however many jobs it asked for.
        let deadline = self.deadline();
        let (sprite, mut finished) = self.wait_for(sprite, deadline).await?;
        let animation = match animation {
            Some(job) => {
                let (job, done) = self.wait_for(job, deadline).await?;
                finished &= done;
                Some(job)
            }
            None => None,
        };
        self.art_view(&image, look, &sprite, animation.as_ref(), finished)
            .await
    }

    /// Animates a drawn look, named by the id `generate` answered with.
    #[tracing::instrument(skip_all)]
    pub async fn animate(
        &self,
        visitor: &Visitor,
        client: Option<IpAddr>,
        id: Uuid,
    ) -> Result<Waited<PixelArtView, PixelArtView>, AppError> {
        let (image, look, sprite) = self.owned_sprite(visitor, id, "id").await?;
        let job = self
            .request(image.id, Work::Animation(look), &parties(visitor, client))
            .await?;
        let (job, finished) = self.wait_for(job, self.deadline()).await?;
        self.art_view(&image, look, &sprite, Some(&job), finished)
            .await
    }

    /// Where a drawn look stands, named by the id `generate` answered with.
    pub async fn pixel_art_status(
        &self,
        visitor: &Visitor,
        id: &str,
    ) -> Result<PixelArtView, AppError> {
        let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
        let (image, look, sprite) = match self.owned_sprite(visitor, id, "id").await {
            Err(AppError::Invalid { .. }) => return Err(AppError::NotFound),
            other => other?,
        };
        let animation = self.store.find(image.id, &Work::Animation(look)).await?;
        let failed = [Some(&sprite), animation.as_ref()]
            .into_iter()
            .flatten()
            .find(|job| job.state == StudioState::Failed);
        // The status of failed work is a status, not an error.
        if let Some(failed) = failed {
            return Ok(failed_art_view(&image, look, &sprite, failed));
        }
        match self
            .art_view(&image, look, &sprite, animation.as_ref(), true)
            .await?
        {
            Waited::Done(view) | Waited::Pending(view) => Ok(view),
        }
    }

    /// One file of a look drawn from one of the visitor's photos.
    pub async fn art_file(
        &self,
        visitor: &Visitor,
        image_id: Uuid,
        look: &str,
        file: &str,
    ) -> Result<Bytes, AppError> {
        let image = self.photos.owned(visitor, image_id).await?;
        let look = Look::from_slug(look).ok_or(AppError::NotFound)?;
        if !SPRITE_FILES.contains(&file) && !ANIMATION_FILES.contains(&file) {
            return Err(AppError::NotFound);
        }
        self.blobs
            .get(&keys::art(image.id, &look, file))
            .await
            .map_err(blob_read)
    }

    /// A sprite job of the visitor's, with its photo and look; anything else is refused as
    /// the request's `field`.
    async fn owned_sprite(
        &self,
        visitor: &Visitor,
        id: Uuid,
        field: &str,
    ) -> Result<(ImageRecord, Look, StudioJob), AppError> {
        let unknown = || AppError::invalid(field, "unknown pixel art: generate it first");
        let job = self.store.get(id).await?.ok_or_else(unknown)?;
        let Work::Sprite(look) = job.work else {
            return Err(unknown());
        };
        let image = match self.photos.owned(visitor, job.image_id).await {
            Err(AppError::NotFound) => return Err(unknown()),
            other => other?,
        };
        Ok((image, look, job))
    }

    /// The job for `work`: what exists, or new work, which costs `parties` one of their
    /// hourly quota (asking again for work done or under way costs nothing) and wakes this
    /// process's worker.
    async fn request(
        &self,
        image_id: Uuid,
        work: Work,
        parties: &[String],
    ) -> Result<StudioJob, AppError> {
        if self.store.find(image_id, &work).await?.is_none() {
            self.quota.spend(parties).await?;
        }
        let (job, queued) = self.store.request(image_id, &work, now_ms()).await?;
        if queued {
            self.queued.notify_one();
        }
        Ok(job)
    }

    /// When a request that starts waiting now stops waiting.
    fn deadline(&self) -> Instant {
        Instant::now() + self.wait
    }

    /// Waits until `job` is done or failed, or `deadline` passes; the bool says it finished.
    async fn wait_for(
        &self,
        job: StudioJob,
        deadline: Instant,
    ) -> Result<(StudioJob, bool), AppError> {
        let finished =
            |job: &StudioJob| matches!(job.state, StudioState::Done | StudioState::Failed);
        if finished(&job) {
            return Ok((job, true));
        }
        // Listen before reading again, so a change between the two is not missed.
        let mut notices = self.changes.subscribe();
        loop {
            let job = self
                .store
                .get(job.id)
                .await?
                .ok_or_else(|| AppError::invalid("image_id", "the photo was deleted"))?;
            if finished(&job) {
                return Ok((job, true));
            }
            if Instant::now() >= deadline {
                return Ok((job, false));
            }
            let recheck = (Instant::now() + RECHECK).min(deadline);
            loop {
                match tokio::time::timeout_at(recheck, notices.recv()).await {
                    Ok(Ok(Change::Studio(id))) if id == job.id => break,
                    Ok(Ok(_)) => {}
                    // Fell behind, or the time to look again came: read the job.
                    Ok(Err(RecvError::Lagged(_))) | Err(_) => break,
                    Ok(Err(RecvError::Closed)) => return Ok((job, false)),
                }
            }
        }
    }

    async fn art_view(
        &self,
        image: &ImageRecord,
        look: Look,
        sprite: &StudioJob,
        animation: Option<&StudioJob>,
        finished: bool,
    ) -> Result<Waited<PixelArtView, PixelArtView>, AppError> {
        failed_as_error(sprite)?;
        if let Some(animation) = animation {
            failed_as_error(animation)?;
        }
        let meta =
            read_json::<ArtMeta>(&self.blobs, &keys::art(image.id, &look, "art.json")).await?;
        let file = |name| urls::art_file(image.id, &look, name);
        let animated = animation.is_some_and(|a| a.state == StudioState::Done);
        let view = PixelArtView {
            id: sprite.id,
            image_id: image.id,
            style: look.style,
            size: look.size,
            dither: look.dither,
            gait: look.gait,
            status: combined(sprite, animation),
            failure: None,
            status_url: urls::pixel_art_status(sprite.id),
            sprite_url: meta.as_ref().map(|_| file("sprite.png")),
            palette: meta.map(|m| m.palette).unwrap_or_default(),
            sheet_url: animated.then(|| file("sheet.png")),
            sheet_json_url: animated.then(|| file("sheet.json")),
            preview_url: animated.then(|| file("preview.gif")),
        };
        Ok(if finished {
            Waited::Done(view)
        } else {
            Waited::Pending(view)
        })
    }
}

/// A look whose sprite or animation failed, as its status reports it.
fn failed_art_view(
    image: &ImageRecord,
    look: Look,
    sprite: &StudioJob,
    failed: &StudioJob,
) -> PixelArtView {
    PixelArtView {
        id: sprite.id,
        image_id: image.id,
        style: look.style,
        size: look.size,
        dither: look.dither,
        gait: look.gait,
        status: StudioState::Failed,
        failure: Some(
            failed
                .failure
                .clone()
                .unwrap_or_else(|| StageError::INTERNAL_REASON.to_owned()),
        ),
        status_url: urls::pixel_art_status(sprite.id),
        sprite_url: None,
        palette: Vec::new(),
        sheet_url: None,
        sheet_json_url: None,
        preview_url: None,
    }
}

/// The state of a look asked for: failed if either part failed, done once every part asked
/// for is, running while any runs.
fn combined(sprite: &StudioJob, animation: Option<&StudioJob>) -> StudioState {
    let states: Vec<StudioState> = std::iter::once(sprite.state)
        .chain(animation.map(|a| a.state))
        .collect();
    if states.contains(&StudioState::Failed) {
        StudioState::Failed
    } else if states.iter().all(|s| *s == StudioState::Done) {
        StudioState::Done
    } else if states.contains(&StudioState::Running) || states.contains(&StudioState::Done) {
        StudioState::Running
    } else {
        StudioState::Queued
    }
}

/// Failed work as the error its requester gets: the photo's fault in its words, ours plainly.
fn failed_as_error(job: &StudioJob) -> Result<(), AppError> {
    match (&job.state, &job.failure) {
        (StudioState::Failed, Some(reason)) if job.rejected => {
            Err(AppError::invalid("image", reason.clone()))
        }
        (StudioState::Failed, _) => Err(AppError::Internal),
        _ => Ok(()),
    }
}

/// A cut-out as clients see it.
fn cutout_view(image_id: Uuid, meta: &CutoutMeta) -> CutoutView {
    CutoutView {
        image_id,
        notice: (meta.method == CutoutMethod::ColourModel).then(|| FALLBACK_NOTICE.to_owned()),
        method: meta.method,
        cutout_url: urls::image_file(image_id, "cutout.png"),
        mask_url: urls::image_file(image_id, "mask.png"),
    }
}
