//! One conformance suite for every `Store`: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set (and always under CI).

use std::sync::Arc;

use app::dto::GameStatus;
use chrono::{SubsecRound, Utc};
use server::store::{GameAssets, GameRecord, ImageRecord, PgStore, SqliteStore, Store, StoreError};
use uuid::Uuid;

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
        image_id: image.id,
        short_code: code.into(),
        title: "Chelsea's Great Adventure".into(),
        pet_name: "Chelsea".into(),
        theme: "garden".into(),
        difficulty: "normal".into(),
        level_count: 3,
        seed: u64::MAX - 7,
        style: "game-boy".into(),
        status: GameStatus::Generating,
        failure_reason: None,
        assets: None,
        created_at: Utc::now().trunc_subsecs(3),
        completed_at: None,
        plays: 0,
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
    store.insert_game(&g).await.expect("insert game");
    assert_eq!(store.game(g.id).await.expect("load"), Some(g.clone()));
    assert_eq!(
        store.game_by_code("abcdefghjk").await.expect("load"),
        Some(g.clone())
    );
    assert_eq!(store.game_by_code("zzzzzzzzzz").await.expect("load"), None);

    // Short codes are unique, and the conflict names the field.
    let mut twin = game(&img, "abcdefghjk");
    twin.title = "Twin".into();
    match store.insert_game(&twin).await {
        Err(StoreError::Conflict { field }) => assert_eq!(field, "short_code"),
        other => panic!("expected a short_code conflict, got {other:?}"),
    }

    // Unfinished games are listed oldest first; progress keeps a game generating.
    let later = GameRecord {
        created_at: g.created_at + chrono::Duration::seconds(1),
        ..game(&img, "mnpqrstuvw")
    };
    store.insert_game(&later).await.expect("insert");
    assert_eq!(
        store.generating_games().await.expect("list"),
        vec![g.id, later.id]
    );
    let partial = GameAssets {
        cutout: Some("games/x/cutout.png".into()),
        ..GameAssets::default()
    };
    store.set_game_assets(g.id, &partial).await.expect("assets");
    let loaded = store.game(g.id).await.expect("load").expect("exists");
    assert_eq!(
        (loaded.status, loaded.assets),
        (GameStatus::Generating, Some(partial))
    );

    // Ready and failed are final states with their details.
    let done = GameAssets {
        cutout: Some("c".into()),
        sprite: Some("s".into()),
        sheet: Some("h".into()),
        module: Some("m".into()),
    };
    store.mark_game_ready(g.id, &done).await.expect("ready");
    let ready = store.game(g.id).await.expect("load").expect("exists");
    assert_eq!(
        (ready.status, ready.assets.as_ref()),
        (GameStatus::Ready, Some(&done))
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
        !store.count_play("nosuchcode").await.expect("count"),
        "unknown code"
    );
    store
        .mark_game_failed(later.id, "no pet found")
        .await
        .expect("failed");
    let failed = store.game(later.id).await.expect("load").expect("exists");
    assert_eq!(
        (failed.status, failed.failure_reason.as_deref()),
        (GameStatus::Failed, Some("no pet found"))
    );
    assert!(store.generating_games().await.expect("list").is_empty());

    // A finished game restarts with a new seed, keeping its style; one being made does not.
    assert!(
        store
            .restart_game(failed.id, 77, "nes")
            .await
            .expect("restart")
    );
    let restarted = store.game(failed.id).await.expect("load").expect("exists");
    assert_eq!(
        (restarted.status, restarted.seed, restarted.style.as_str()),
        (GameStatus::Generating, 77, "nes")
    );
    assert_eq!(
        (restarted.failure_reason, restarted.completed_at),
        (None, None)
    );
    assert!(
        !store
            .restart_game(failed.id, 78, "nes")
            .await
            .expect("restart")
    );
    assert_eq!(store.generating_games().await.expect("list"), [failed.id]);
    store
        .mark_game_failed(failed.id, "again")
        .await
        .expect("failed");

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
