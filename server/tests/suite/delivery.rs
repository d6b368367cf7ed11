//! What a browser downloads: the app's files named by their content, cached for good,
//! compressed by the build (brotli, gzip) and sent as the client accepts; pages and API
//! answers compressed as they go; event streams never held back by a compressor.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};

use super::common::{TestApp, chelsea, repo_root};

/// The `/pkg` addresses a page links (style sheet, module glue, wasm), in order.
fn linked_files(page: &str) -> Vec<String> {
    page.split("href=\"/pkg/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|file| format!("/pkg/{file}"))
        .collect()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn the_apps_files_are_named_by_content_kept_for_good_and_precompressed() {
    let app = TestApp::spawn().await;
    // No automatic decompression: reqwest here is built without it, so bodies come raw.
    let client = reqwest::Client::new();
    let page = client
        .get(app.url("/"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    let files = linked_files(&page);
    let kinds: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit_once('.').map_or("", |(_, ext)| ext))
        .collect();
    for ext in ["css", "js", "wasm"] {
        assert!(kinds.contains(&ext), "the page links its {ext}: {files:?}");
    }
    for file in &files {
        let name = file.rsplit('/').next().unwrap_or_default();
        assert!(server::http::assets::content_named(name), "{file}");
        let on_disk = |suffix: &str| {
            std::fs::read(repo_root().join(format!("site{file}{suffix}"))).expect("built file")
        };
        let identity = on_disk("");
        for (accept, encoding, suffix) in [
            ("gzip, deflate, br, zstd", "br", ".br"),
            ("gzip", "gzip", ".gz"),
            ("identity", "", ""),
        ] {
            let response = client
                .get(app.url(file))
                .header(ACCEPT_ENCODING, accept)
                .send()
                .await
                .expect("file");
            assert_eq!(response.status(), StatusCode::OK, "{file} {accept}");
            assert_eq!(
                header(&response, CACHE_CONTROL),
                "public, max-age=31536000, immutable",
                "{file}"
            );
            assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{file}");
            assert!(
                header(&response, VARY)
                    .to_ascii_lowercase()
                    .contains("accept-encoding"),
                "{file}: caches keep one copy per encoding"
            );
            let etag = header(&response, ETAG).to_owned();
            assert!(etag.starts_with("W/\""), "{file}: {etag}");
            let body = response.bytes().await.expect("body");
            assert_eq!(body.as_ref(), on_disk(suffix), "{file} {accept}");
            let decoded = match encoding {
                "br" => brotli(&body),
                "gzip" => gunzip(&body),
                _ => body.to_vec(),
            };
            assert_eq!(decoded, identity, "{file} {accept} decodes to the file");
            if encoding == "br" && identity.len() > 10_000 {
                assert!(body.len() * 2 < identity.len(), "{file}: brotli pays");
            }
            // Held already: 304, no body.
            let again = client
                .get(app.url(file))
                .header(ACCEPT_ENCODING, accept)
                .header(IF_NONE_MATCH, &etag)
                .send()
                .await
                .expect("file");
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{file}");
        }
    }
    // An earlier build's name is gone and nobody is told to keep the answer.
    let old = client
        .get(app.url("/pkg/petpixel.0123456789abcdef.js"))
        .send()
        .await
        .expect("old");
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&old, CACHE_CONTROL), "no-cache");
}

#[tokio::test]
async fn pages_and_answers_are_compressed_as_they_go_but_event_streams_are_not() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");

    // A public page, brotli and gzip: the same page, one weak ETag for both.
    let plain = client.get(app.url("/")).send().await.expect("home");
    assert_eq!(header(&plain, CONTENT_ENCODING), "", "asked for nothing");
    let etag = header(&plain, ETAG).to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let plain = plain.bytes().await.expect("body");
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip")] {
        let response = client
            .get(app.url("/"))
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .expect("home");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding);
        assert_eq!(header(&response, ETAG), etag);
        let body = response.bytes().await.expect("body");
        assert!(body.len() < plain.len(), "{accept} is smaller");
        let decoded = if encoding == "br" {
            brotli(&body)
        } else {
            gunzip(&body)
        };
        assert_eq!(decoded, plain.as_ref());
        let held = client
            .get(app.url("/"))
            .header(ACCEPT_ENCODING, accept)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("home");
        assert_eq!(held.status(), StatusCode::NOT_MODIFIED);
    }

    // An API answer; one too small to gain anything (an empty gallery) goes as it is.
    let document = client
        .get(app.url("/api/v1/openapi.json"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("document");
    assert_eq!(document.status(), StatusCode::OK);
    assert_eq!(header(&document, CONTENT_ENCODING), "br");
    let body: serde_json::Value =
        serde_json::from_slice(&brotli(&document.bytes().await.expect("body"))).expect("json");
    assert!(body["paths"].is_object());
    let empty = client
        .get(app.url("/api/v1/gallery"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("gallery");
    assert_eq!(header(&empty, CONTENT_ENCODING), "");
    let empty: serde_json::Value = empty.json().await.expect("plain json");
    assert_eq!(empty["games"], serde_json::json!([]));

    // A game's progress stream, asked for with brotli: sent as it happens, uncompressed (a
    // compressor would hold the events back until its buffer filled).
    let image: serde_json::Value = app.upload_photo(&client, chelsea(), "chelsea.png").await;
    let game = app
        .create_game(
            &client,
            serde_json::json!({
                "image_id": image["id"], "pet_name": "Chelsea", "theme": "garden",
                "difficulty": "normal", "level_count": 2
            }),
        )
        .await;
    let id = game["id"].as_str().expect("id");
    let mut stream = client
        .get(app.url(&format!("/api/v1/games/{id}/events")))
        .header(ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(header(&stream, CONTENT_TYPE), "text/event-stream");
    assert_eq!(header(&stream, CONTENT_ENCODING), "");
    let first = stream
        .chunk()
        .await
        .expect("a chunk")
        .expect("the first event");
    assert!(
        String::from_utf8_lossy(&first).contains("event: progress"),
        "{first:?}"
    );
}
