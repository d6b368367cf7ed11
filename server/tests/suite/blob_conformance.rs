//! The blob store behaves the same on the local folder and on a real S3 server (moto,
//! `TEST_S3_ENDPOINT`, started by scripts/test.sh).

use bytes::Bytes;
use server::infra::blobs::{BlobError, Blobs};

async fn conformance(blobs: &Blobs) {
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n fake but bytes are bytes");
    blobs
        .put("images/a1/original.png", png.clone())
        .await
        .expect("put");
    blobs
        .put("images/a1/thumb.png", Bytes::from_static(b"t"))
        .await
        .expect("put");
    blobs
        .put("games/g1/game.wasm", Bytes::from_static(b"\0asm"))
        .await
        .expect("put");
    assert_eq!(blobs.get("images/a1/original.png").await.expect("get"), png);
    assert_eq!(
        blobs.list("images").await.expect("list"),
        vec![
            "images/a1/original.png".to_owned(),
            "images/a1/thumb.png".to_owned()
        ]
    );
    blobs
        .put("images/a1/original.png", Bytes::from_static(b"v2"))
        .await
        .expect("overwrite");
    assert_eq!(
        blobs.get("images/a1/original.png").await.expect("get"),
        Bytes::from_static(b"v2")
    );

    blobs
        .delete("images/a1/original.png")
        .await
        .expect("delete");
    blobs
        .delete("images/a1/original.png")
        .await
        .expect("deleting twice is fine");
    assert!(matches!(
        blobs.get("images/a1/original.png").await,
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(
        blobs.put("../escape", Bytes::new()).await,
        Err(BlobError::InvalidKey(_))
    ));
    assert_eq!(blobs.list("").await.expect("list all").len(), 2);
}

#[tokio::test]
async fn local_blobs_conform() {
    let dir = tempfile::tempdir().expect("tempdir");
    conformance(&Blobs::local(dir.path()).expect("local")).await;
}

#[tokio::test]
async fn s3_blobs_conform() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(endpoint) = crate::common::service_url("TEST_S3_ENDPOINT") else {
        return;
    };
    let config = crate::common::create_bucket(&endpoint).await;
    conformance(&Blobs::s3(&config).expect("s3")).await;
}
