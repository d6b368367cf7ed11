//! The same journey on the scale-out parts: PostgreSQL, Redis and an S3 server together.

use crate::common::TestApp;
use crate::common::journey;
use secrecy::SecretString;

#[tokio::test]
async fn a_photo_becomes_a_game_on_postgres_redis_and_s3() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (Some(pg), Some(redis), Some(s3)) = (
        crate::common::service_url("TEST_DATABASE_URL"),
        crate::common::service_url("TEST_REDIS_URL"),
        crate::common::service_url("TEST_S3_ENDPOINT"),
    ) else {
        return;
    };
    let db = crate::common::TempPgDatabase::create(&pg).await;
    let bucket = crate::common::create_bucket(&s3).await;
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(SecretString::from(db.url.clone()));
        c.redis_url = Some(SecretString::from(redis));
        c.s3 = Some(bucket);
    })
    .await;
    let health: serde_json::Value = reqwest::get(app.url("/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["parts"]["database"]["engine"], "postgres");
    assert_eq!(
        (
            health["parts"]["blobs"].as_str(),
            health["parts"]["sessions"].as_str()
        ),
        (Some("s3"), Some("redis"))
    );

    let client = app.visitor();
    let game = journey::make_a_game(&app, &client).await;
    journey::assert_game_is_playable(&app, &game).await;
    // Nothing landed on the local disk: every blob is in the bucket.
    assert!(!app.data_dir.path().join("blobs").exists());
}
