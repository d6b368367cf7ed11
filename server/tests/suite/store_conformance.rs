//! The stores' conformance suite: one test per behaviour, each run against SQLite and
//! PostgreSQL (`conformance!` writes both). SQLite is file-backed in WAL mode with the
//! connections production uses, so the race tests really race; PostgreSQL runs when
//! `TEST_DATABASE_URL` is set (always under CI), each test on a database of its own.

use std::sync::Arc;

use app::dto::{
    Difficulty, Gait, GameStatus, LevelCount, PetName, PipelineStage, ShortCode, Style, Theme,
};
use chrono::{SubsecRound, Utc};
use server::accounts::devices::{DeviceRecord, DeviceStore, Seen, Which};
use server::accounts::store::{AccountStore, RefreshRecord, RefreshUse, UserRecord};
use server::games::store::{
    ClaimedStage, DURATION_BUCKETS_MS, GameAssets, GameRecord, GameStore, JobState, PipelineStore,
    StageOutcome,
};
use server::infra::db::{Db, StoreError};
use server::infra::keys::KeyStore;
use server::infra::links::{LinkStore, Purpose};
use server::notifications::store::{
    EmailNotice, NotificationAdded, NotificationStore, SealedTarget, StoredTarget,
};
use server::photos::store::{ImageRecord, PhotoStore};
use uuid::Uuid;

use super::common::{TempPgDatabase, service_url};

/// A fresh database and what keeps it alive.
struct Fresh {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<TempPgDatabase>,
}

async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::sqlite(&dir.path().join("petpixel.sqlite3"))
        .await
        .expect("sqlite");
    Fresh {
        db,
        _dir: Some(dir),
        _pg: None,
    }
}

async fn postgres() -> Option<Fresh> {
    let admin = service_url("TEST_DATABASE_URL")?;
    let pg = TempPgDatabase::create(&admin).await;
    let db = Db::postgres(&pg.url).await.expect("postgres");
    Some(Fresh {
        db,
        _dir: None,
        _pg: Some(pg),
    })
}

/// One `#[tokio::test]` per behaviour and engine, on a multi-threaded runtime so concurrent
/// callers really run at once.
macro_rules! conformance {
    ($($behaviour:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    let fresh = super::sqlite().await;
                    super::$behaviour(fresh.db.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    let Some(fresh) = super::postgres().await else {
                        return;
                    };
                    super::$behaviour(fresh.db.clone()).await;
                }
            )*
        }
    };
}

conformance!(
    photos_round_trip_and_unknown_ids_are_none,
    deleting_a_photo_keeps_its_games_without_it,
    games_round_trip_by_id_and_by_code,
    a_taken_short_code_is_a_conflict_naming_the_field,
    a_new_game_queues_its_first_stage,
    claims_take_the_oldest_due_stage_once_and_the_queue_counts_them,
    the_lease_holder_advances_the_stage_and_a_used_token_records_nothing,
    an_expired_lease_passes_the_stage_on_and_fences_the_old_holder,
    a_retry_waits_for_its_time_and_keeps_the_error,
    finishing_makes_the_game_ready_and_counts_it_once,
    failing_records_the_reason_and_the_stage,
    plays_count_only_for_ready_games,
    only_a_failed_game_is_tried_again,
    a_finished_game_restarts_with_a_new_seed_and_one_being_made_does_not,
    many_workers_claiming_at_once_never_get_the_same_stage,
    a_games_email_waits_until_the_game_is_ready,
    a_message_is_leased_retried_after_its_pause_and_sent_once,
    devices_subscribe_once_each_up_to_the_limit,
    a_device_subscribing_to_a_ready_game_is_due_at_once_and_a_dead_one_is_given_up,
    devices_subscribing_at_once_cannot_pass_the_limit_together,
    every_node_gets_the_first_key_kept_however_many_race,
    opening_again_finds_the_data_and_nothing_to_migrate,
    accounts_round_trip_and_an_address_has_one,
    a_password_change_and_ending_sessions_move_the_generation_and_revoke_tokens,
    a_refresh_token_is_used_once_and_a_replay_revokes_its_family,
    racing_refreshes_of_one_token_let_exactly_one_through,
    a_visitors_photos_and_games_are_handed_over_and_listed_newest_first,
    only_a_finished_game_is_deleted_and_its_job_goes_with_it,
    an_emailed_link_works_once_for_its_purpose_until_it_expires,
    an_unconfirmed_email_is_never_due_until_its_owner_confirms,
    a_provider_identity_links_to_one_account_and_goes_with_it,
    accounts_are_walked_in_pages_and_resealed,
    notification_targets_are_walked_in_pages_and_resealed,
    devices_are_seen_listed_and_logged_out,
);

fn notice(address: &str, confirmed: bool) -> EmailNotice {
    EmailNotice {
        id: Uuid::new_v4(),
        target: target(address),
        confirmed,
    }
}

/// A stand-in for a sealed target: the store keeps whatever it is given, and finds the same
/// target again by its index alone.
fn target(plain: &str) -> SealedTarget {
    SealedTarget {
        sealed: format!("sealed({plain})"),
        index: format!("index({plain})"),
    }
}

fn stored(plain: &str) -> StoredTarget {
    StoredTarget::Sealed(target(plain))
}

fn code(s: &str) -> ShortCode {
    ShortCode::parse(s).expect("a valid code")
}

/// The `n`th of many distinct valid codes.
fn numbered_code(n: usize) -> String {
    const SYMBOLS: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let symbol = |i: usize| char::from(SYMBOLS[i % SYMBOLS.len()]);
    format!("zz{}{}xxxxxx", symbol(n / SYMBOLS.len()), symbol(n))
}

fn image(visitor: &str) -> ImageRecord {
    let id = Uuid::new_v4();
    ImageRecord {
        id,
        visitor_id: visitor.into(),
        original_key: format!("images/{id}/original.png"),
        content_type: "image/jpeg".into(),
        width: 451,
        height: 300,
        created_at: Utc::now().trunc_subsecs(3),
    }
}

fn game(image: &ImageRecord, short_code: &str) -> GameRecord {
    GameRecord {
        id: Uuid::new_v4(),
        visitor_id: image.visitor_id.clone(),
        image_id: Some(image.id),
        short_code: code(short_code),
        title: "Chelsea's Great Adventure".into(),
        pet_name: PetName::parse("Chelsea").expect("a valid name"),
        theme: Theme::Space,
        difficulty: Difficulty::Hard,
        level_count: LevelCount::try_from(7).expect("valid"),
        // Above i64::MAX: stored in JSON, it must come back whole.
        seed: u64::MAX - 7,
        style: Style::GameBoy,
        gait: Some(Gait::Hop),
        status: GameStatus::Generating,
        failure_reason: None,
        assets: None,
        created_at: Utc::now().trunc_subsecs(3),
        completed_at: None,
        plays: 0,
        // Inserting a game queues its job at the first stage.
        stage: Some(PipelineStage::RemoveBackground),
        package: domain::Package::Basic,
        expires_at: None,
        remakes: 0,
        visibility: domain::Visibility::Private,
        description: None,
        moderation_note: None,
    }
}

/// A photo and a game made from it, stored.
async fn photo_and_game(db: &Db, short_code: &str) -> (ImageRecord, GameRecord) {
    let img = image("visitor-a");
    PhotoStore::insert(db, &img).await.expect("insert photo");
    let g = game(&img, short_code);
    GameStore::insert(db, &g, None, None)
        .await
        .expect("insert game");
    (img, g)
}

/// A moment after everything the tests insert, so every queued stage is due.
fn soon() -> i64 {
    Utc::now().timestamp_millis() + 10_000
}

async fn load(db: &Db, id: Uuid) -> GameRecord {
    GameStore::get(db, id).await.expect("load").expect("exists")
}

async fn claim(db: &Db, worker: &str, now: i64, lease: i64) -> Option<ClaimedStage> {
    PipelineStore::claim(db, worker, now, lease)
        .await
        .expect("claim")
}

fn all_assets() -> GameAssets {
    GameAssets {
        cutout: Some("c".into()),
        sprite: Some("s".into()),
        sheet: Some("h".into()),
        preview: Some("p".into()),
        module: Some("m".into()),
        hires_sheet: Some("h64".into()),
        hires_preview: Some("p64".into()),
    }
}

/// Claims and finishes `game`'s job, which must be the one due.
async fn make_ready(db: &Db, game: &GameRecord, now: i64) {
    let job = claim(db, "w", now, 60_000).await.expect("due");
    assert_eq!(job.game_id, game.id);
    let done = all_assets();
    let finished = StageOutcome::Finished {
        assets: &done,
        duration_ms: 1_500,
    };
    assert!(db.complete(&job, finished, now).await.expect("ready"));
}

async fn photos_round_trip_and_unknown_ids_are_none(db: Db) {
    let img = image("visitor-a");
    PhotoStore::insert(&db, &img).await.expect("insert");
    assert_eq!(PhotoStore::get(&db, img.id).await.expect("load"), Some(img));
    assert_eq!(
        PhotoStore::get(&db, Uuid::new_v4()).await.expect("load"),
        None
    );
}

async fn deleting_a_photo_keeps_its_games_without_it(db: Db) {
    let (img, g) = photo_and_game(&db, "abcdefghjk").await;
    assert!(PhotoStore::delete(&db, img.id).await.expect("delete"));
    assert_eq!(load(&db, g.id).await.image_id, None, "the game is kept");
    assert_eq!(PhotoStore::get(&db, img.id).await.expect("load"), None);
    assert!(!PhotoStore::delete(&db, img.id).await.expect("delete again"));
}

async fn games_round_trip_by_id_and_by_code(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    assert_eq!(load(&db, g.id).await, g);
    assert_eq!(
        db.by_code(&code("abcdefghjk")).await.expect("load"),
        Some(g)
    );
    assert_eq!(db.by_code(&code("zzzzzzzzzz")).await.expect("load"), None);
    assert_eq!(
        GameStore::get(&db, Uuid::new_v4()).await.expect("load"),
        None
    );
}

async fn a_taken_short_code_is_a_conflict_naming_the_field(db: Db) {
    let (img, _) = photo_and_game(&db, "abcdefghjk").await;
    match GameStore::insert(&db, &game(&img, "abcdefghjk"), None, None).await {
        Err(StoreError::Conflict { field }) => assert_eq!(field, "short_code"),
        other => panic!("expected a short_code conflict, got {other:?}"),
    }
}

async fn a_new_game_queues_its_first_stage(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let job = db
        .job(g.id)
        .await
        .expect("job")
        .expect("queued with the game");
    assert_eq!(
        (job.stage, job.state, job.attempts, job.last_error),
        (PipelineStage::RemoveBackground, JobState::Queued, 0, None)
    );
    assert_eq!(
        load(&db, g.id).await.stage,
        Some(PipelineStage::RemoveBackground)
    );
}

async fn claims_take_the_oldest_due_stage_once_and_the_queue_counts_them(db: Db) {
    let (img, first) = photo_and_game(&db, "abcdefghjk").await;
    let later = GameRecord {
        created_at: first.created_at + chrono::Duration::seconds(1),
        ..game(&img, "mnpqrstuvw")
    };
    GameStore::insert(&db, &later, None, None)
        .await
        .expect("insert");
    assert_eq!(
        db.depths().await.expect("depths"),
        [(PipelineStage::RemoveBackground, JobState::Queued, 2)]
    );
    let now = soon();
    let a = claim(&db, "w1", now, 60_000).await.expect("due");
    assert_eq!(
        (a.game_id, a.stage, a.attempts, a.queued_at),
        (
            first.id,
            PipelineStage::RemoveBackground,
            1,
            first.created_at.timestamp_millis()
        )
    );
    let b = claim(&db, "w2", now, 60_000).await.expect("due");
    assert_eq!(b.game_id, later.id);
    assert_ne!(a.token, b.token);
    assert_eq!(claim(&db, "w3", now, 60_000).await, None);
    assert_eq!(
        db.depths().await.expect("depths"),
        [(PipelineStage::RemoveBackground, JobState::Running, 2)]
    );
    assert_eq!(
        db.job(first.id).await.expect("job").expect("row").state,
        JobState::Running
    );
}

async fn the_lease_holder_advances_the_stage_and_a_used_token_records_nothing(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    let held = claim(&db, "w1", now, 60_000).await.expect("due");
    assert!(db.extend(&held, now + 90_000).await.expect("renew"));
    let partial = GameAssets {
        cutout: Some("games/x/cutout.png".into()),
        ..GameAssets::default()
    };
    let advance = StageOutcome::Advance {
        next: PipelineStage::Pixelize,
        assets: &partial,
    };
    assert!(db.complete(&held, advance, now).await.expect("advance"));
    // What the stage made is recorded with the advance; the game is still being made.
    let loaded = load(&db, g.id).await;
    assert_eq!(
        (loaded.status, loaded.assets, loaded.stage),
        (
            GameStatus::Generating,
            Some(partial.clone()),
            Some(PipelineStage::Pixelize)
        )
    );
    // The token is spent: no renewal, and no second outcome (not even its pictures).
    assert!(!db.extend(&held, now + 90_000).await.expect("renew"));
    let stale = GameAssets::default();
    let again = StageOutcome::Advance {
        next: PipelineStage::Animate,
        assets: &stale,
    };
    assert!(!db.complete(&held, again, now).await.expect("stale"));
    assert_eq!(load(&db, g.id).await.assets, Some(partial));
    let job = db.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::Pixelize, JobState::Queued, 0)
    );
}

async fn an_expired_lease_passes_the_stage_on_and_fences_the_old_holder(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    let dying = claim(&db, "w1", now, 1_000).await.expect("due");
    assert_eq!(
        claim(&db, "w2", now + 500, 1_000).await,
        None,
        "still leased"
    );
    let rescuer = claim(&db, "w2", now + 2_000, 1_000).await.expect("expired");
    assert_eq!((rescuer.game_id, rescuer.attempts), (g.id, 2));
    let nothing = GameAssets::default();
    let advance = StageOutcome::Advance {
        next: PipelineStage::Pixelize,
        assets: &nothing,
    };
    assert!(
        !db.complete(&dying, advance, now + 2_100)
            .await
            .expect("fenced")
    );
    assert!(!db.extend(&dying, now + 9_000).await.expect("fenced"));
    assert!(db.extend(&rescuer, now + 9_000).await.expect("renewed"));
}

async fn a_retry_waits_for_its_time_and_keeps_the_error(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    let held = claim(&db, "w1", now, 60_000).await.expect("due");
    let retry = StageOutcome::RetryAt {
        run_at: now + 5_000,
        error: "boom",
    };
    assert!(db.complete(&held, retry, now).await.expect("retry"));
    let job = db.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.state, job.run_at, job.last_error.as_deref()),
        (JobState::Queued, now + 5_000, Some("boom"))
    );
    assert_eq!(
        claim(&db, "w1", now + 4_000, 60_000).await,
        None,
        "not due yet"
    );
    let next = claim(&db, "w1", now + 5_000, 60_000).await.expect("due");
    assert_eq!(next.attempts, 2, "the stage's claims are counted on");
}

async fn finishing_makes_the_game_ready_and_counts_it_once(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    make_ready(&db, &g, now).await;
    let ready = load(&db, g.id).await;
    assert_eq!(
        (ready.status, ready.assets, ready.stage),
        (GameStatus::Ready, Some(all_assets()), None)
    );
    assert!(ready.completed_at.is_some());
    assert_eq!(
        db.job(g.id).await.expect("job").expect("row").state,
        JobState::Done
    );
    let outcomes = db.outcomes().await.expect("outcomes");
    assert_eq!((outcomes.ready, outcomes.failed), (1, 0));
    assert_eq!(outcomes.ready_duration_sum_ms, 1_500);
    // 1.5 s falls in the third bucket (≤ 2 s).
    let slot = DURATION_BUCKETS_MS
        .iter()
        .position(|&bound| 1_500 <= bound)
        .expect("a bucket");
    assert_eq!(outcomes.ready_by_duration[slot], 1);
    assert_eq!(
        claim(&db, "w", now + 60_000, 1_000).await,
        None,
        "nothing left"
    );
}

async fn failing_records_the_reason_and_the_stage(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    let held = claim(&db, "w1", now, 60_000).await.expect("due");
    let failed = StageOutcome::Failed {
        reason: "no pet found",
    };
    assert!(db.complete(&held, failed, now).await.expect("failed"));
    let loaded = load(&db, g.id).await;
    assert_eq!(
        (
            loaded.status,
            loaded.failure_reason.as_deref(),
            loaded.stage
        ),
        (
            GameStatus::Failed,
            Some("no pet found"),
            Some(PipelineStage::RemoveBackground)
        )
    );
    let outcomes = db.outcomes().await.expect("outcomes");
    assert_eq!((outcomes.ready, outcomes.failed), (0, 1));
}

async fn plays_count_only_for_ready_games(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    assert!(
        !db.count_play(&g.short_code).await.expect("count"),
        "not ready"
    );
    make_ready(&db, &g, soon()).await;
    assert!(db.count_play(&g.short_code).await.expect("count"));
    assert!(db.count_play(&g.short_code).await.expect("count"));
    assert_eq!(load(&db, g.id).await.plays, 2);
    assert!(!db.count_play(&code("nsuchcd222")).await.expect("count"));
}

async fn only_a_failed_game_is_tried_again(db: Db) {
    let (img, ready) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    make_ready(&db, &ready, now).await;
    let doomed = game(&img, "mnpqrstuvw");
    GameStore::insert(&db, &doomed, None, None)
        .await
        .expect("insert");
    let held = claim(&db, "w", now, 60_000).await.expect("due");
    let failed = StageOutcome::Failed { reason: "no pet" };
    assert!(db.complete(&held, failed, now).await.expect("failed"));

    assert!(!db.retry(ready.id, now).await.expect("retry"), "ready");
    assert!(db.retry(doomed.id, now).await.expect("retry"));
    let retried = load(&db, doomed.id).await;
    assert_eq!(
        (retried.status, retried.failure_reason),
        (GameStatus::Generating, None)
    );
    let job = db.job(doomed.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::RemoveBackground, JobState::Queued, 0)
    );
    assert!(
        !db.retry(doomed.id, now).await.expect("retry"),
        "generating"
    );
}

async fn a_finished_game_restarts_with_a_new_seed_and_one_being_made_does_not(db: Db) {
    let (img, g) = photo_and_game(&db, "abcdefghjk").await;
    let now = soon();
    make_ready(&db, &g, now).await;
    let busy = game(&img, "mnpqrstuvw");
    GameStore::insert(&db, &busy, None, None)
        .await
        .expect("insert");
    assert!(
        !db.restart(&busy, 78, PipelineStage::RemoveBackground, now)
            .await
            .expect("restart")
    );
    assert!(
        db.restart(&g, 77, PipelineStage::AssembleGame, now)
            .await
            .expect("restart")
    );
    let restarted = load(&db, g.id).await;
    assert_eq!(
        (restarted.status, restarted.seed, restarted.style),
        (GameStatus::Generating, 77, Style::GameBoy)
    );
    assert_eq!(
        (
            restarted.failure_reason,
            restarted.completed_at,
            restarted.stage
        ),
        (None, None, Some(PipelineStage::AssembleGame))
    );
    let job = db.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::AssembleGame, JobState::Queued, 0)
    );
}

async fn many_workers_claiming_at_once_never_get_the_same_stage(db: Db) {
    let img = image("visitor-a");
    PhotoStore::insert(&db, &img).await.expect("insert");
    let mut ids = Vec::new();
    for n in 0..24 {
        let g = game(&img, &numbered_code(n));
        GameStore::insert(&db, &g, None, None)
            .await
            .expect("insert");
        ids.push(g.id);
    }
    let db = Arc::new(db);
    let now = soon();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..16 {
        let db = Arc::clone(&db);
        workers.spawn(async move {
            let mut got = Vec::new();
            while let Some(job) = claim(&db, &format!("w{w}"), now, 60_000).await {
                got.push(job.game_id);
            }
            got
        });
    }
    let mut claimed: Vec<Uuid> = workers.join_all().await.into_iter().flatten().collect();
    claimed.sort();
    ids.sort();
    assert_eq!(claimed, ids, "every due stage claimed exactly once");
}

async fn a_games_email_waits_until_the_game_is_ready(db: Db) {
    let img = image("visitor-a");
    PhotoStore::insert(&db, &img).await.expect("insert");
    let mailed = game(&img, "magedxxxxx");
    GameStore::insert(&db, &mailed, Some(&notice("pet@example.com", true)), None)
        .await
        .expect("insert");
    let now = soon();
    assert_eq!(
        NotificationStore::claim(&db, now, 1_000)
            .await
            .expect("claim"),
        None,
        "waiting for the game"
    );
    make_ready(&db, &mailed, now).await;
    let due = NotificationStore::claim(&db, now, 1_000)
        .await
        .expect("claim")
        .expect("due once the game is ready");
    assert_eq!(
        (due.game_id, due.channel.as_str(), due.target, due.attempts),
        (mailed.id, "email", stored("pet@example.com"), 1)
    );
}

async fn a_message_is_leased_retried_after_its_pause_and_sent_once(db: Db) {
    let img = image("visitor-a");
    PhotoStore::insert(&db, &img).await.expect("insert");
    let mailed = game(&img, "magedxxxxx");
    GameStore::insert(&db, &mailed, Some(&notice("pet@example.com", true)), None)
        .await
        .expect("insert");
    let now = soon();
    make_ready(&db, &mailed, now).await;
    let first = NotificationStore::claim(&db, now, 1_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        NotificationStore::claim(&db, now, 1_000)
            .await
            .expect("claim"),
        None,
        "leased"
    );
    // A sender that died: the lease runs out and the message is claimed again.
    let again = NotificationStore::claim(&db, now + 2_000, 1_000)
        .await
        .expect("claim")
        .expect("expired");
    assert_eq!((again.id, again.attempts), (first.id, 2));
    db.failed(again.id, "smtp down", Some(now + 10_000))
        .await
        .expect("failed");
    assert_eq!(
        NotificationStore::claim(&db, now + 9_000, 1_000)
            .await
            .expect("claim"),
        None,
        "backing off"
    );
    let third = NotificationStore::claim(&db, now + 10_000, 1_000)
        .await
        .expect("claim")
        .expect("due");
    db.sent(third.id, now + 10_001).await.expect("sent");
    assert_eq!(
        NotificationStore::claim(&db, now + 99_000, 1_000)
            .await
            .expect("claim"),
        None,
        "sent once"
    );
    let rows = db.of_game(mailed.id).await.expect("rows");
    assert_eq!(
        rows.iter()
            .map(|r| (r.state.as_str(), r.attempts))
            .collect::<Vec<_>>(),
        [("sent", 3)]
    );
}

async fn devices_subscribe_once_each_up_to_the_limit(db: Db) {
    let (_, g) = photo_and_game(&db, "pushwatxxx").await;
    let t = soon();
    for (device, expected) in [
        ("device-a", NotificationAdded::Added),
        ("device-a", NotificationAdded::AlreadyThere),
        ("device-b", NotificationAdded::Added),
        ("device-c", NotificationAdded::TooMany),
    ] {
        let added = db
            .add(g.id, "push", &target(device), 2, t)
            .await
            .expect("add");
        assert_eq!(added, expected, "{device}");
    }
    assert_eq!(
        db.add(Uuid::new_v4(), "push", &target("device-a"), 2, t)
            .await
            .expect("add"),
        NotificationAdded::NoGame
    );
    assert_eq!(
        NotificationStore::claim(&db, t, 1_000)
            .await
            .expect("claim"),
        None,
        "waiting for the game"
    );
}

async fn a_device_subscribing_to_a_ready_game_is_due_at_once_and_a_dead_one_is_given_up(db: Db) {
    let (_, g) = photo_and_game(&db, "abcdefghjk").await;
    let t = soon();
    make_ready(&db, &g, t).await;
    assert_eq!(
        db.add(g.id, "push", &target("device-z"), 2, t)
            .await
            .expect("add"),
        NotificationAdded::Added
    );
    let due = NotificationStore::claim(&db, t, 1_000)
        .await
        .expect("claim")
        .expect("due at once: the game is ready");
    assert_eq!(
        (due.game_id, due.channel.as_str(), due.target),
        (g.id, "push", stored("device-z"))
    );
    db.failed(due.id, "410 Gone", None).await.expect("failed");
    assert_eq!(
        NotificationStore::claim(&db, t + 999_999, 1_000)
            .await
            .expect("claim"),
        None,
        "given up"
    );
}

async fn devices_subscribing_at_once_cannot_pass_the_limit_together(db: Db) {
    let (_, g) = photo_and_game(&db, "pushcrwdxx").await;
    let db = Arc::new(db);
    let t = soon();
    let mut adds = tokio::task::JoinSet::new();
    for device in 0..8 {
        let db = Arc::clone(&db);
        adds.spawn(async move {
            db.add(g.id, "push", &target(&format!("crowd-{device}")), 2, t)
                .await
                .expect("add")
        });
    }
    let outcomes = adds.join_all().await;
    let added = outcomes
        .iter()
        .filter(|o| **o == NotificationAdded::Added)
        .count();
    assert_eq!(added, 2, "{outcomes:?}");
}

async fn every_node_gets_the_first_key_kept_however_many_race(db: Db) {
    let db = Arc::new(db);
    let t = soon();
    let mut racers = tokio::task::JoinSet::new();
    for candidate in 0..8 {
        let db = Arc::clone(&db);
        racers.spawn(async move {
            db.keep("vapid_private_key", &format!("key-{candidate}"), t)
                .await
                .expect("key")
        });
    }
    let keys = racers.join_all().await;
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(
        db.keep("vapid_private_key", "another", t)
            .await
            .expect("key"),
        keys[0]
    );
}

async fn opening_again_finds_the_data_and_nothing_to_migrate(db: Db) {
    let (img, g) = photo_and_game(&db, "abcdefghjk").await;
    // A second node (or a restart) opening the same database runs the migrations again.
    let again = match &db {
        Db::Sqlite(pool) => {
            let file = pool.connect_options().get_filename().to_owned();
            Db::sqlite(&file).await.expect("reopen")
        }
        Db::Postgres(pool) => {
            let options = pool.connect_options();
            let url = format!(
                "postgres://{}@{}:{}/{}",
                options.get_username(),
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            );
            Db::postgres(&url).await.expect("reconnect")
        }
    };
    assert_eq!(
        PhotoStore::get(&again, img.id).await.expect("load"),
        Some(img)
    );
    assert_eq!(load(&again, g.id).await, g);
}

fn user(index: &str) -> UserRecord {
    UserRecord {
        id: Uuid::new_v4(),
        email_index: index.into(),
        email_sealed: format!("k1.sealed-{index}"),
        name_sealed: None,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        role: domain::Role::User,
        email_verified_at: None,
        session_generation: 0,
        subscription_tier: "free".into(),
        created_at: Utc::now().trunc_subsecs(3),
    }
}

fn refresh(user: &UserRecord, hash: &str, family: Uuid, expires_in_secs: i64) -> RefreshRecord {
    let now = Utc::now().trunc_subsecs(3);
    RefreshRecord {
        token_hash: hash.into(),
        family_id: family,
        user_id: user.id,
        expires_at: now + chrono::Duration::seconds(expires_in_secs),
        created_at: now,
    }
}

async fn accounts_round_trip_and_an_address_has_one(db: Db) {
    let a = user("index-a");
    AccountStore::insert(&db, &a).await.expect("insert");
    assert_eq!(
        AccountStore::get(&db, a.id).await.expect("get"),
        Some(a.clone())
    );
    assert_eq!(
        AccountStore::get(&db, Uuid::new_v4()).await.expect("get"),
        None
    );
    // Found under any of the ring's indexes.
    let found = db
        .by_email_index(&["other-key-index".into(), "index-a".into()])
        .await
        .expect("lookup");
    assert_eq!(found, Some(a.clone()));
    assert_eq!(
        db.by_email_index(&["nope".into()]).await.expect("lookup"),
        None
    );

    let mut twin = user("index-a");
    twin.email_sealed = "k1.another".into();
    let err = AccountStore::insert(&db, &twin).await.expect_err("taken");
    assert!(
        matches!(err, StoreError::Conflict { field: "email" }),
        "{err:?}"
    );

    assert!(
        db.set_role(a.id, domain::Role::Admin, Utc::now())
            .await
            .expect("role")
    );
    let admin = AccountStore::get(&db, a.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(admin.role, domain::Role::Admin);
    assert!(
        !db.set_role(Uuid::new_v4(), domain::Role::Admin, Utc::now())
            .await
            .expect("role")
    );
}

async fn a_password_change_and_ending_sessions_move_the_generation_and_revoke_tokens(db: Db) {
    let a = user("index-gen");
    AccountStore::insert(&db, &a).await.expect("insert");
    let family = Uuid::new_v4();
    db.insert_refresh(&refresh(&a, "hash-1", family, 3600))
        .await
        .expect("refresh");

    let generation = db
        .set_password(a.id, "$argon2id$new", Utc::now())
        .await
        .expect("set")
        .expect("exists");
    assert_eq!(generation, 1);
    let stored = AccountStore::get(&db, a.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(stored.session_generation, 1);
    // Its tokens went with the old password.
    assert_eq!(
        db.use_refresh("hash-1", Utc::now()).await.expect("use"),
        RefreshUse::Replayed
    );

    assert_eq!(
        db.end_sessions(a.id, Utc::now()).await.expect("end"),
        Some(2)
    );
    assert_eq!(
        db.end_sessions(Uuid::new_v4(), Utc::now())
            .await
            .expect("end"),
        None
    );
    assert_eq!(
        db.set_password(Uuid::new_v4(), "x", Utc::now())
            .await
            .expect("set"),
        None
    );
}

async fn a_refresh_token_is_used_once_and_a_replay_revokes_its_family(db: Db) {
    let a = user("index-refresh");
    AccountStore::insert(&db, &a).await.expect("insert");
    let family = Uuid::new_v4();
    db.insert_refresh(&refresh(&a, "first", family, 3600))
        .await
        .expect("insert");
    assert_eq!(
        db.use_refresh("first", Utc::now()).await.expect("use"),
        RefreshUse::Fresh {
            user_id: a.id,
            family_id: family
        }
    );
    db.insert_refresh(&refresh(&a, "second", family, 3600))
        .await
        .expect("insert");
    // The first again: stolen. The whole family is revoked, the second included.
    assert_eq!(
        db.use_refresh("first", Utc::now()).await.expect("use"),
        RefreshUse::Replayed
    );
    assert_eq!(
        db.use_refresh("second", Utc::now()).await.expect("use"),
        RefreshUse::Replayed
    );
    assert_eq!(
        db.use_refresh("unknown", Utc::now()).await.expect("use"),
        RefreshUse::Invalid
    );

    // An expired one is refused; another family is untouched by all this.
    let other = Uuid::new_v4();
    db.insert_refresh(&refresh(&a, "expired", other, -1))
        .await
        .expect("insert");
    db.insert_refresh(&refresh(&a, "live", Uuid::new_v4(), 3600))
        .await
        .expect("insert");
    assert_eq!(
        db.use_refresh("expired", Utc::now()).await.expect("use"),
        RefreshUse::Replayed
    );
    assert!(matches!(
        db.use_refresh("live", Utc::now()).await.expect("use"),
        RefreshUse::Fresh { .. }
    ));
    // Logging a script out revokes its family.
    db.insert_refresh(&refresh(&a, "script", other, 3600))
        .await
        .expect("insert");
    let fam = Uuid::new_v4();
    db.insert_refresh(&refresh(&a, "logout", fam, 3600))
        .await
        .expect("insert");
    db.revoke_family_of("logout", Utc::now())
        .await
        .expect("revoke");
    assert_eq!(
        db.use_refresh("logout", Utc::now()).await.expect("use"),
        RefreshUse::Replayed
    );
}

async fn racing_refreshes_of_one_token_let_exactly_one_through(db: Db) {
    let a = user("index-race");
    AccountStore::insert(&db, &a).await.expect("insert");
    db.insert_refresh(&refresh(&a, "raced", Uuid::new_v4(), 3600))
        .await
        .expect("insert");
    let db = Arc::new(db);
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.use_refresh("raced", Utc::now()).await.expect("use") })
        })
        .collect();
    let mut fresh = 0;
    for t in tries {
        if matches!(t.await.expect("task"), RefreshUse::Fresh { .. }) {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
}

async fn a_visitors_photos_and_games_are_handed_over_and_listed_newest_first(db: Db) {
    let (img, older) = photo_and_game(&db, "hanxyz2223").await;
    let mut newer = game(&img, "hanxyz2224");
    newer.created_at = older.created_at + chrono::Duration::seconds(5);
    GameStore::insert(&db, &newer, None, None)
        .await
        .expect("insert");
    let other = image("visitor-b");
    PhotoStore::insert(&db, &other).await.expect("insert");
    GameStore::insert(&db, &game(&other, "hanxyz2225"), None, None)
        .await
        .expect("insert");

    let listed = GameStore::by_owner(&db, "visitor-a", 10)
        .await
        .expect("list");
    let ids: Vec<Uuid> = listed.iter().map(|g| g.id).collect();
    assert_eq!(ids, [newer.id, older.id]);
    assert_eq!(
        GameStore::by_owner(&db, "visitor-a", 1)
            .await
            .expect("list")
            .len(),
        1
    );

    assert_eq!(
        GameStore::hand_over(&db, "visitor-a", "account-1")
            .await
            .expect("games"),
        2
    );
    assert_eq!(
        PhotoStore::hand_over(&db, "visitor-a", "account-1")
            .await
            .expect("photos"),
        1
    );
    assert!(
        GameStore::by_owner(&db, "visitor-a", 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(db.by_owner("account-1", 10).await.expect("list").len(), 2);
    let moved = PhotoStore::get(&db, img.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(moved.visitor_id, "account-1");
    // Another visitor's things stay theirs.
    assert_eq!(db.by_owner("visitor-b", 10).await.expect("list").len(), 1);
}

async fn only_a_finished_game_is_deleted_and_its_job_goes_with_it(db: Db) {
    let (_, g) = photo_and_game(&db, "dewetez222").await;
    assert!(
        !GameStore::delete(&db, g.id).await.expect("delete"),
        "being made"
    );
    make_ready(&db, &g, soon()).await;
    assert!(GameStore::delete(&db, g.id).await.expect("delete"));
    assert_eq!(GameStore::get(&db, g.id).await.expect("get"), None);
    assert_eq!(db.job(g.id).await.expect("job"), None);
    assert!(
        !GameStore::delete(&db, g.id).await.expect("delete"),
        "already gone"
    );
}

async fn an_emailed_link_works_once_for_its_purpose_until_it_expires(db: Db) {
    let now = Utc::now().trunc_subsecs(3);
    let subject = Uuid::new_v4();
    let later = now + chrono::Duration::hours(1);
    LinkStore::insert(&db, "hash-a", Purpose::VerifyEmail, subject, later, now)
        .await
        .expect("insert");
    // Another purpose, or past its time: nothing.
    assert_eq!(
        db.redeem("hash-a", Purpose::ResetPassword, now)
            .await
            .expect("redeem"),
        None
    );
    assert_eq!(
        db.redeem(
            "hash-a",
            Purpose::VerifyEmail,
            later + chrono::Duration::seconds(1)
        )
        .await
        .expect("redeem"),
        None
    );
    assert_eq!(
        db.redeem("hash-a", Purpose::VerifyEmail, now)
            .await
            .expect("redeem"),
        Some(subject)
    );
    assert_eq!(
        db.redeem("hash-a", Purpose::VerifyEmail, now)
            .await
            .expect("redeem"),
        None,
        "used once"
    );
    // Forgetting the subject's links leaves none.
    LinkStore::insert(&db, "hash-b", Purpose::ResetPassword, subject, later, now)
        .await
        .expect("insert");
    LinkStore::forget(&db, subject).await.expect("forget");
    assert_eq!(
        db.redeem("hash-b", Purpose::ResetPassword, now)
            .await
            .expect("redeem"),
        None
    );
}

async fn an_unconfirmed_email_is_never_due_until_its_owner_confirms(db: Db) {
    let img = image("visitor-a");
    PhotoStore::insert(&db, &img).await.expect("insert");
    let mailed = game(&img, "unsentxxxx");
    let asked = notice("someone@example.com", false);
    GameStore::insert(&db, &mailed, Some(&asked), None)
        .await
        .expect("insert");
    let now = soon();
    make_ready(&db, &mailed, now).await;
    assert_eq!(
        NotificationStore::claim(&db, now, 1_000)
            .await
            .expect("claim"),
        None,
        "not confirmed"
    );
    assert!(
        NotificationStore::confirm(&db, asked.id)
            .await
            .expect("confirm")
    );
    assert!(
        !NotificationStore::confirm(&db, asked.id)
            .await
            .expect("confirm"),
        "once"
    );
    let due = NotificationStore::claim(&db, now, 1_000)
        .await
        .expect("claim")
        .expect("due once confirmed");
    assert_eq!(
        (due.id, due.target),
        (asked.id, stored("someone@example.com"))
    );
    assert!(
        !NotificationStore::confirm(&db, Uuid::new_v4())
            .await
            .expect("confirm"),
        "no such message"
    );
}

async fn a_provider_identity_links_to_one_account_and_goes_with_it(db: Db) {
    let now = Utc::now().trunc_subsecs(3);
    let alice = user("index-alice");
    let bob = user("index-bob");
    AccountStore::insert(&db, &alice).await.expect("insert");
    AccountStore::insert(&db, &bob).await.expect("insert");
    assert_eq!(db.by_identity("google", "sub-1").await.expect("find"), None);
    db.link_identity("google", "sub-1", alice.id, now)
        .await
        .expect("link");
    db.link_identity("facebook", "fb-1", alice.id, now)
        .await
        .expect("link");
    assert_eq!(
        db.by_identity("google", "sub-1").await.expect("find"),
        Some(alice.id)
    );
    assert!(matches!(
        db.link_identity("google", "sub-1", bob.id, now).await,
        Err(StoreError::Conflict { field: "provider" })
    ));
    assert_eq!(
        db.identities_of(alice.id).await.expect("list"),
        ["facebook", "google"]
    );
    AccountStore::delete(&db, alice.id).await.expect("delete");
    assert_eq!(db.by_identity("google", "sub-1").await.expect("find"), None);
    assert_eq!(AccountStore::get(&db, alice.id).await.expect("get"), None);
    assert!(AccountStore::get(&db, bob.id).await.expect("get").is_some());
}

async fn accounts_are_walked_in_pages_and_resealed(db: Db) {
    let mut ids = Vec::new();
    for n in 0..5 {
        let account = user(&format!("index-page-{n}"));
        AccountStore::insert(&db, &account).await.expect("insert");
        ids.push(account.id);
    }
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = db.page(after, 2).await.expect("page");
        walked.extend(page.iter().map(|u| u.id));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(last.id),
            _ => break,
        }
    }
    for id in &ids {
        assert_eq!(
            walked.iter().filter(|w| *w == id).count(),
            1,
            "every account once"
        );
    }
    db.reseal(ids[0], "index-resealed", "new.sealed", Some("new.name"))
        .await
        .expect("reseal");
    let resealed = AccountStore::get(&db, ids[0])
        .await
        .expect("get")
        .expect("there");
    assert_eq!(
        (
            resealed.email_index.as_str(),
            resealed.email_sealed.as_str(),
            resealed.name_sealed.as_deref()
        ),
        ("index-resealed", "new.sealed", Some("new.name"))
    );
}

async fn notification_targets_are_walked_in_pages_and_resealed(db: Db) {
    let (_, g) = photo_and_game(&db, "reseatxxxx").await;
    let t = soon();
    for device in ["device-a", "device-b", "device-c"] {
        db.add(g.id, "push", &target(device), 5, t)
            .await
            .expect("add");
    }
    // A row from before targets were sealed: its plain value, no index.
    let legacy = Uuid::new_v4();
    let insert = "INSERT INTO notifications (id, game_id, channel, target, state, run_at, \
        created_at) VALUES ($1, $2, 'push', 'device-old', 'waiting', 0, 0)";
    match &db {
        Db::Sqlite(pool) => sqlx::query(insert)
            .bind(legacy.to_string())
            .bind(g.id.to_string())
            .execute(pool)
            .await
            .map(drop),
        Db::Postgres(pool) => sqlx::query(insert)
            .bind(legacy)
            .bind(g.id)
            .execute(pool)
            .await
            .map(drop),
    }
    .expect("legacy row");

    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = db.targets_page(after, 2).await.expect("page");
        walked.extend(page.iter().map(|(id, channel, target)| {
            assert_eq!(channel, "push");
            (*id, target.clone())
        }));
        match page.last() {
            Some((last, _, _)) if page.len() == 2 => after = Some(*last),
            _ => break,
        }
    }
    assert_eq!(walked.len(), 4, "every message once: {walked:?}");
    assert!(walked.contains(&(legacy, StoredTarget::Legacy("device-old".into()))));

    // Re-sealed only while it holds what the caller read.
    db.reseal_target(legacy, "something else", &target("device-old"))
        .await
        .expect("reseal");
    let rows = db.of_game(g.id).await.expect("rows");
    let of = |id: Uuid| rows.iter().find(|r| r.id == id).map(|r| r.target.clone());
    assert_eq!(of(legacy), Some(StoredTarget::Legacy("device-old".into())));
    db.reseal_target(legacy, "device-old", &target("device-old"))
        .await
        .expect("reseal");
    let rows = db.of_game(g.id).await.expect("rows");
    let of = |id: Uuid| rows.iter().find(|r| r.id == id).map(|r| r.target.clone());
    assert_eq!(of(legacy), Some(stored("device-old")));
    // Now recognised by its index like any other.
    assert_eq!(
        db.add(g.id, "push", &target("device-old"), 5, t)
            .await
            .expect("add"),
        NotificationAdded::AlreadyThere
    );

    // A message whose target the game holds again under the new index is the duplicate.
    let a = walked
        .iter()
        .find(|(_, target)| *target == stored("device-a"))
        .map(|(id, _)| *id)
        .expect("device-a");
    let b = walked
        .iter()
        .find(|(_, target)| *target == stored("device-b"))
        .map(|(id, _)| *id)
        .expect("device-b");
    db.reseal_target(b, "sealed(device-b)", &target("device-a"))
        .await
        .expect("reseal");
    let rows = db.of_game(g.id).await.expect("rows");
    assert!(rows.iter().all(|r| r.id != b), "the duplicate is gone");
    assert!(
        rows.iter().any(|r| r.id == a),
        "the one it duplicated stays"
    );
    assert_eq!(rows.len(), 3);
}

async fn devices_are_seen_listed_and_logged_out(db: Db) {
    let alice = user("devices-alice");
    let bob = user("devices-bob");
    for account in [&alice, &bob] {
        AccountStore::insert(&db, account).await.expect("insert");
    }
    let then = Utc::now().trunc_subsecs(3) - chrono::Duration::hours(1);
    let device = |owner: &UserRecord, label: &str, seen_minutes_ago: i64| DeviceRecord {
        id: Uuid::new_v4(),
        user_id: owner.id,
        session_sealed: format!("k1.session-{label}"),
        label: label.into(),
        created_at: then,
        last_seen_at: Utc::now().trunc_subsecs(3) - chrono::Duration::minutes(seen_minutes_ago),
    };
    let laptop = device(&alice, "laptop", 1);
    let phone = device(&alice, "phone", 30);
    let tablet = device(&alice, "tablet", 60);
    let bobs = device(&bob, "bob's", 1);
    for d in [&laptop, &phone, &tablet, &bobs] {
        db.insert_device(d).await.expect("insert");
    }
    assert_eq!(
        db.devices_of(alice.id).await.expect("list"),
        [laptop.clone(), phone.clone(), tablet.clone()],
        "most recently seen first"
    );

    // Seen: "last seen" moves only when it is older than the given moment.
    let now = Utc::now().trunc_subsecs(3);
    let five_minutes_ago = now - chrono::Duration::minutes(5);
    let touch = |id| db.touch_device(alice.id, id, now, five_minutes_ago);
    assert_eq!(touch(laptop.id).await.expect("touch"), Seen::Recently);
    assert_eq!(touch(phone.id).await.expect("touch"), Seen::Again);
    assert_eq!(touch(bobs.id).await.expect("touch"), Seen::Gone, "not hers");
    assert_eq!(touch(Uuid::new_v4()).await.expect("touch"), Seen::Gone);
    let listed = db.devices_of(alice.id).await.expect("list");
    assert_eq!(listed[0].id, phone.id, "seen just now");
    assert_eq!(listed[0].last_seen_at, now);

    // Logging out one, then all but one; nobody else's.
    assert!(
        db.remove_devices(bob.id, Which::One(tablet.id))
            .await
            .expect("remove")
            .is_empty()
    );
    let removed = db
        .remove_devices(alice.id, Which::One(tablet.id))
        .await
        .expect("remove");
    assert_eq!(removed.len(), 1);
    assert_eq!(
        removed[0].session_sealed, "k1.session-tablet",
        "what ends its session"
    );
    let removed = db
        .remove_devices(alice.id, Which::AllBut(Some(laptop.id)))
        .await
        .expect("remove");
    assert_eq!(removed.iter().map(|d| d.id).collect::<Vec<_>>(), [phone.id]);
    assert_eq!(
        db.devices_of(alice.id).await.expect("list").len(),
        1,
        "the laptop stays"
    );
    // An account's devices go with it.
    AccountStore::delete(&db, alice.id).await.expect("delete");
    assert!(db.devices_of(alice.id).await.expect("list").is_empty());
    assert_eq!(
        db.remove_devices(bob.id, Which::AllBut(None))
            .await
            .expect("remove")
            .len(),
        1
    );
}
