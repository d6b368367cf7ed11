//! One conformance suite for every `Store`: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set (and always under CI).

use std::sync::Arc;

use app::dto::{
    Difficulty, GameStatus, LevelCount, PetName, PipelineStage, ShortCode, Style, Theme,
};
use chrono::{SubsecRound, Utc};
use server::store::{
    GameAssets, GameRecord, ImageRecord, JobOutcome, JobState, NotificationAdded, PgStore,
    SqliteStore, Store, StoreError,
};
use uuid::Uuid;

fn code(s: &str) -> ShortCode {
    ShortCode::parse(s).expect("a valid code")
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

fn game(image: &ImageRecord, code: &str) -> GameRecord {
    GameRecord {
        id: Uuid::new_v4(),
        visitor_id: image.visitor_id.clone(),
        image_id: Some(image.id),
        short_code: ShortCode::parse(code).expect("a valid code"),
        title: "Chelsea's Great Adventure".into(),
        pet_name: PetName::parse("Chelsea").expect("a valid name"),
        theme: Theme::Garden,
        difficulty: Difficulty::Normal,
        level_count: LevelCount::DEFAULT,
        seed: u64::MAX - 7,
        style: Style::GameBoy,
        status: GameStatus::Generating,
        failure_reason: None,
        assets: None,
        created_at: Utc::now().trunc_subsecs(3),
        completed_at: None,
        plays: 0,
        // Inserting a game queues its job at the first stage.
        stage: Some(PipelineStage::RemoveBackground),
    }
}

async fn conformance(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");

    // Images round-trip exactly, and unknown ids are None.
    let img = image("visitor-a");
    store.insert_image(&img).await.expect("insert image");
    assert_eq!(store.image(img.id).await.expect("load"), Some(img.clone()));
    assert_eq!(store.image(Uuid::new_v4()).await.expect("load"), None);

    // Games round-trip, including a seed above i64::MAX.
    let g = game(&img, "abcdefghjk");
    store.insert_game(&g, None).await.expect("insert game");
    assert_eq!(store.game(g.id).await.expect("load"), Some(g.clone()));
    assert_eq!(
        store.game_by_code(&code("abcdefghjk")).await.expect("load"),
        Some(g.clone())
    );
    assert_eq!(
        store.game_by_code(&code("zzzzzzzzzz")).await.expect("load"),
        None
    );

    // Short codes are unique, and the conflict names the field.
    let mut twin = game(&img, "abcdefghjk");
    twin.title = "Twin".into();
    match store.insert_game(&twin, None).await {
        Err(StoreError::Conflict { field }) => assert_eq!(field, "short_code"),
        other => panic!("expected a short_code conflict, got {other:?}"),
    }

    // A new game's job is queued at the first stage; progress keeps the game generating.
    let later = GameRecord {
        created_at: g.created_at + chrono::Duration::seconds(1),
        ..game(&img, "mnpqrstuvw")
    };
    store
        .insert_game(&later, Some("owner@example.com"))
        .await
        .expect("insert");
    let job = store
        .job(g.id)
        .await
        .expect("job")
        .expect("queued with the game");
    assert_eq!(
        (job.stage, job.state, job.attempts, job.last_error),
        (PipelineStage::RemoveBackground, JobState::Queued, 0, None)
    );
    assert_eq!(
        store.game(g.id).await.expect("load").expect("exists").stage,
        Some(PipelineStage::RemoveBackground)
    );
    let partial = GameAssets {
        cutout: Some("games/x/cutout.png".into()),
        ..GameAssets::default()
    };

    // Claims take the oldest due job first, each job once.
    let now = Utc::now().timestamp_millis() + 10_000;
    let first = store
        .claim_job("w1", now, 60_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        (first.game_id, first.stage, first.attempts),
        (g.id, PipelineStage::RemoveBackground, 1)
    );
    assert_eq!(first.queued_at, g.created_at.timestamp_millis());
    let second = store
        .claim_job("w2", now, 60_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(second.game_id, later.id);
    assert_ne!(first.token, second.token);
    assert_eq!(
        store.claim_job("w3", now, 60_000).await.expect("claim"),
        None
    );
    assert_eq!(
        store.queue_depths().await.expect("depths"),
        [(PipelineStage::RemoveBackground, JobState::Running, 2)]
    );
    assert_eq!(
        store.job(g.id).await.expect("job").expect("row").state,
        JobState::Running
    );

    // The holder renews and advances; a used token records nothing more.
    assert!(
        store
            .extend_lease(&first, now + 90_000)
            .await
            .expect("renew")
    );
    let advance = |next| JobOutcome::Advance {
        next,
        assets: &partial,
    };
    assert!(
        store
            .complete_job(&first, advance(PipelineStage::Pixelize), now)
            .await
            .expect("advance")
    );
    // What the stage made is recorded with the advance; the game is still being made.
    let loaded = store.game(g.id).await.expect("load").expect("exists");
    assert_eq!(
        (loaded.status, loaded.assets),
        (GameStatus::Generating, Some(partial.clone()))
    );
    assert!(
        !store
            .extend_lease(&first, now + 90_000)
            .await
            .expect("renew")
    );
    let stale = GameAssets::default();
    assert!(
        !store
            .complete_job(
                &first,
                JobOutcome::Advance {
                    next: PipelineStage::Animate,
                    assets: &stale
                },
                now
            )
            .await
            .expect("stale")
    );
    assert_eq!(
        store
            .game(g.id)
            .await
            .expect("load")
            .expect("exists")
            .assets,
        Some(partial.clone()),
        "a used token records no pictures either"
    );
    let job = store.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::Pixelize, JobState::Queued, 0)
    );

    // A lease that runs out (its worker died) lets another worker claim the job; the old
    // holder's outcome is then refused, so nothing is applied twice.
    let dying = store
        .claim_job("w1", now, 1_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(dying.game_id, g.id);
    assert_eq!(
        store
            .claim_job("w2", now + 500, 1_000)
            .await
            .expect("claim"),
        None,
        "still leased"
    );
    let rescuer = store
        .claim_job("w2", now + 2_000, 1_000)
        .await
        .expect("claim")
        .expect("expired");
    assert_eq!(
        (rescuer.game_id, rescuer.stage, rescuer.attempts),
        (g.id, PipelineStage::Pixelize, 2)
    );
    assert!(
        !store
            .complete_job(&dying, advance(PipelineStage::Animate), now + 2_100)
            .await
            .expect("fenced")
    );
    assert!(
        !store
            .extend_lease(&dying, now + 9_000)
            .await
            .expect("fenced")
    );

    // A retry waits for its time and keeps the error.
    assert!(
        store
            .complete_job(
                &rescuer,
                JobOutcome::RetryAt {
                    run_at: now + 5_000,
                    error: "boom"
                },
                now + 2_200
            )
            .await
            .expect("retry")
    );
    let job = store.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.state, job.run_at, job.last_error.as_deref()),
        (JobState::Queued, now + 5_000, Some("boom"))
    );
    assert_eq!(
        store
            .claim_job("w1", now + 4_000, 60_000)
            .await
            .expect("claim"),
        None,
        "not due yet"
    );
    let last = store
        .claim_job("w1", now + 5_000, 60_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(last.attempts, 3);

    // Ready and failed are final states with their details, recorded by the lease holder.
    let done = GameAssets {
        cutout: Some("c".into()),
        sprite: Some("s".into()),
        sheet: Some("h".into()),
        preview: Some("p".into()),
        module: Some("m".into()),
    };
    assert!(
        store
            .complete_job(
                &last,
                JobOutcome::Finished {
                    assets: &done,
                    duration_ms: 1234
                },
                now + 6_000
            )
            .await
            .expect("ready")
    );
    let ready = store.game(g.id).await.expect("load").expect("exists");
    assert_eq!(
        (ready.status, ready.assets.as_ref(), ready.stage),
        (GameStatus::Ready, Some(&done), None)
    );
    assert_eq!(
        store.job(g.id).await.expect("job").expect("row").state,
        JobState::Done
    );
    assert!(ready.completed_at.is_some());
    assert_eq!(ready.plays, 0);
    assert!(store.count_play(&ready.short_code).await.expect("count"));
    assert!(store.count_play(&ready.short_code).await.expect("count"));
    assert_eq!(
        store.game(g.id).await.expect("load").expect("exists").plays,
        2
    );
    assert!(
        !store.count_play(&code("nosuchcod2")).await.expect("count"),
        "unknown code"
    );
    assert!(
        store
            .complete_job(
                &second,
                JobOutcome::Failed {
                    reason: "no pet found"
                },
                now
            )
            .await
            .expect("failed")
    );
    let failed = store.game(later.id).await.expect("load").expect("exists");
    assert_eq!(
        (
            failed.status,
            failed.failure_reason.as_deref(),
            failed.stage
        ),
        (
            GameStatus::Failed,
            Some("no pet found"),
            Some(PipelineStage::RemoveBackground)
        )
    );
    assert_eq!(
        store
            .claim_job("w1", now + 60_000, 1_000)
            .await
            .expect("claim"),
        None,
        "nothing left"
    );

    // A failed game is tried again from the stage that failed; a ready one is not.
    assert!(!store.retry_game(g.id, now).await.expect("retry"));
    assert!(store.retry_game(later.id, now).await.expect("retry"));
    let retried = store.game(later.id).await.expect("load").expect("exists");
    assert_eq!(
        (retried.status, retried.failure_reason),
        (GameStatus::Generating, None)
    );
    let job = store.job(later.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::RemoveBackground, JobState::Queued, 0)
    );
    assert!(
        !store.retry_game(later.id, now).await.expect("retry"),
        "already generating"
    );

    // A finished game restarts with a new seed, keeping its style; one being made does not.
    assert!(
        !store
            .restart_game(
                later.id,
                78,
                Style::Nes,
                PipelineStage::RemoveBackground,
                now
            )
            .await
            .expect("restart")
    );
    assert!(
        store
            .restart_game(g.id, 77, Style::Nes, PipelineStage::AssembleGame, now)
            .await
            .expect("restart")
    );
    let restarted = store.game(g.id).await.expect("load").expect("exists");
    assert_eq!(
        (restarted.status, restarted.seed, restarted.style.as_str()),
        (GameStatus::Generating, 77, "nes")
    );
    assert_eq!(
        (
            restarted.failure_reason,
            restarted.completed_at,
            restarted.stage
        ),
        (None, None, Some(PipelineStage::AssembleGame))
    );
    let job = store.job(g.id).await.expect("job").expect("row");
    assert_eq!(
        (job.stage, job.state, job.attempts),
        (PipelineStage::AssembleGame, JobState::Queued, 0)
    );

    // Many workers claiming at once never get the same job.
    let mut ids = Vec::new();
    for n in 0..12 {
        let extra = game(&img, &format!("zz{n:02}xxxxxx"));
        store.insert_game(&extra, None).await.expect("insert");
        ids.push(extra.id);
    }
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..20 {
        let store = Arc::clone(&store);
        workers.spawn(async move {
            let mut got = Vec::new();
            while let Some(job) = store
                .claim_job(&format!("w{w}"), now + 120_000, 60_000)
                .await
                .expect("claim")
            {
                got.push(job.game_id);
            }
            got
        });
    }
    let mut claimed: Vec<Uuid> = workers.join_all().await.into_iter().flatten().collect();
    claimed.sort();
    let mut expected = ids;
    expected.extend([g.id, later.id]);
    expected.sort();
    assert_eq!(claimed, expected, "every due job claimed exactly once");

    // A game's message becomes due when the game is ready, in the same transaction.
    let mailed = game(&img, "mailedxxxx");
    store
        .insert_game(&mailed, Some("pet@example.com"))
        .await
        .expect("insert");
    // After the claims above, whose leases run to now + 180 s.
    let later_now = now + 150_000;
    assert_eq!(
        store
            .claim_notification(later_now, 1_000)
            .await
            .expect("claim"),
        None,
        "waiting"
    );
    let job = store
        .claim_job("w", later_now, 60_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(job.game_id, mailed.id);
    assert!(
        store
            .complete_job(
                &job,
                JobOutcome::Finished {
                    assets: &done,
                    duration_ms: 1
                },
                later_now
            )
            .await
            .expect("ready")
    );
    let first = store
        .claim_notification(later_now, 1_000)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        (
            first.game_id,
            first.channel.as_str(),
            first.target.as_str(),
            first.attempts
        ),
        (mailed.id, "email", "pet@example.com", 1)
    );
    assert_eq!(
        store
            .claim_notification(later_now, 1_000)
            .await
            .expect("claim"),
        None,
        "leased"
    );
    // A sender that died: the lease runs out and the message is claimed again.
    let again = store
        .claim_notification(later_now + 2_000, 1_000)
        .await
        .expect("claim")
        .expect("expired");
    assert_eq!((again.id, again.attempts), (first.id, 2));
    store
        .notification_failed(again.id, "smtp down", Some(later_now + 10_000))
        .await
        .expect("failed");
    assert_eq!(
        store
            .claim_notification(later_now + 9_000, 1_000)
            .await
            .expect("claim"),
        None,
        "backing off"
    );
    let third = store
        .claim_notification(later_now + 10_000, 1_000)
        .await
        .expect("claim")
        .expect("due");
    store
        .notification_sent(third.id, later_now + 10_001)
        .await
        .expect("sent");
    assert_eq!(
        store
            .claim_notification(later_now + 99_000, 1_000)
            .await
            .expect("claim"),
        None,
        "sent once"
    );

    // Devices subscribe to a game's push: waiting while it is made, due at once once it is
    // ready; the same device twice is one row, and a game holds at most `max` per channel.
    let pushed = game(&img, "pushwaitxx");
    store.insert_game(&pushed, None).await.expect("insert");
    let t = later_now + 100_000;
    for (target, expected) in [
        ("device-a", NotificationAdded::Added),
        ("device-a", NotificationAdded::AlreadyThere),
        ("device-b", NotificationAdded::Added),
        ("device-c", NotificationAdded::TooMany),
    ] {
        let added = store
            .add_notification(pushed.id, "push", target, 2, t)
            .await
            .expect("add");
        assert_eq!(added, expected, "{target}");
    }
    assert_eq!(
        store
            .add_notification(Uuid::new_v4(), "push", "device-a", 2, t)
            .await
            .expect("add"),
        NotificationAdded::NoGame
    );
    assert_eq!(
        store.claim_notification(t, 1_000).await.expect("claim"),
        None,
        "waiting for the game"
    );
    assert_eq!(
        store
            .add_notification(mailed.id, "push", "device-z", 2, t)
            .await
            .expect("add"),
        NotificationAdded::Added
    );
    let due = store
        .claim_notification(t, 1_000)
        .await
        .expect("claim")
        .expect("due at once: the game is ready");
    assert_eq!(
        (due.game_id, due.channel.as_str(), due.target.as_str()),
        (mailed.id, "push", "device-z")
    );
    store
        .notification_failed(due.id, "410 Gone", None)
        .await
        .expect("failed");
    assert_eq!(
        store
            .claim_notification(t + 999_999, 1_000)
            .await
            .expect("claim"),
        None,
        "given up"
    );

    // Devices subscribing at once cannot pass the limit together.
    let crowded = game(&img, "pushcrowdx");
    store.insert_game(&crowded, None).await.expect("insert");
    let crowded = crowded.id;
    let mut adds = tokio::task::JoinSet::new();
    for device in 0..6 {
        let store = Arc::clone(&store);
        adds.spawn(async move {
            store
                .add_notification(crowded, "push", &format!("crowd-{device}"), 2, t)
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

    // The first key kept under a name is the one every node gets, however many race.
    let mut racers = tokio::task::JoinSet::new();
    for candidate in 0..8 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            store
                .server_key("vapid_private_key", &format!("key-{candidate}"), t)
                .await
                .expect("key")
        });
    }
    let keys = racers.join_all().await;
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(
        store
            .server_key("vapid_private_key", "another", t)
            .await
            .expect("key"),
        keys[0]
    );

    // Deleting a photo that games were made from keeps the games, without it.
    assert!(store.delete_image(img.id).await.expect("delete"));
    assert_eq!(
        store
            .game(g.id)
            .await
            .expect("load")
            .expect("kept")
            .image_id,
        None
    );
    assert_eq!(store.image(img.id).await.expect("load"), None);

    // Deleting an image that no game uses works; a missing one reports false.
    let lone = image("visitor-b");
    store.insert_image(&lone).await.expect("insert");
    assert!(store.delete_image(lone.id).await.expect("delete"));
    assert!(!store.delete_image(lone.id).await.expect("delete again"));
}

#[tokio::test]
async fn sqlite_store_conforms() {
    conformance(Arc::new(SqliteStore::in_memory().await.expect("sqlite"))).await;
}

#[tokio::test]
async fn sqlite_store_keeps_data_in_its_file_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db.sqlite3");
    let img = image("v");
    SqliteStore::open(&path)
        .await
        .expect("open")
        .insert_image(&img)
        .await
        .expect("insert");
    let reopened = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(reopened.image(img.id).await.expect("load"), Some(img));
}

#[tokio::test]
async fn postgres_store_conforms() {
    let Some(admin) = crate::common::service_url("TEST_DATABASE_URL") else {
        return;
    };
    let db = crate::common::TempPgDatabase::create(&admin).await;
    conformance(Arc::new(PgStore::connect(&db.url).await.expect("postgres"))).await;
    // Migrations are idempotent: a second replica starting up finds nothing to do.
    PgStore::connect(&db.url).await.expect("second connect");
}
