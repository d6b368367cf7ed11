//! `/pkg` served from memory: the build's files (the app's glue, wasm and style sheet, the
//! game runtime's) with the brotli and gzip copies the build left beside them, read once at
//! start-up. They are a few megabytes and never change while a process runs (a new build is a
//! new process); `tower-http`'s `ServeDir` looked each one up on disk per request, through
//! the blocking thread pool, and held a 2-core node to about 1,800 answers a second.
//!
//! Only the files found at start-up exist here: no path from a request reaches the disk.

use std::collections::HashMap;
use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// One file and the copies the build compressed.
struct StaticFile {
    content_type: HeaderValue,
    identity: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// Everything under one directory, by its path there (`game/loader.js`).
#[derive(Default)]
pub struct StaticFiles {
    files: HashMap<String, StaticFile>,
}

impl StaticFiles {
    /// Reads every file under `dir` (and its `.br` / `.gz` copies); a directory that does not
    /// exist holds nothing.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        if dir.is_dir() {
            read_tree(dir, "", &mut files)?;
        }
        Ok(Self { files })
    }

    /// The file at `path` in the encoding the client accepts best (brotli, gzip, none).
    pub fn answer(&self, path: &str, headers: &HeaderMap) -> Response {
        let Some(file) = self.files.get(path.trim_start_matches('/')) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let accepted = Accepted::from(headers);
        let (body, encoding) = match (&file.br, &file.gzip) {
            (Some(br), _) if accepted.br => (br.clone(), Some("br")),
            (_, Some(gzip)) if accepted.gzip => (gzip.clone(), Some("gzip")),
            _ => (file.identity.clone(), None),
        };
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, file.content_type.clone());
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }
}

fn read_tree(
    dir: &Path,
    prefix: &str,
    files: &mut HashMap<String, StaticFile>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            read_tree(&path, &format!("{prefix}{name}/"), files)?;
            continue;
        }
        // The compressed copies travel with their file.
        if name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        let sibling = |suffix: &str| -> std::io::Result<Option<Bytes>> {
            let copy = dir.join(format!("{name}{suffix}"));
            if copy.is_file() {
                Ok(Some(Bytes::from(std::fs::read(copy)?)))
            } else {
                Ok(None)
            }
        };
        files.insert(
            format!("{prefix}{name}"),
            StaticFile {
                content_type: HeaderValue::from_static(content_type(&name)),
                identity: Bytes::from(std::fs::read(&path)?),
                br: sibling(".br")?,
                gzip: sibling(".gz")?,
            },
        );
    }
    Ok(())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("webmanifest") => "application/manifest+json",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The encodings a request accepts (RFC 9110 §12.5.3: listed without `q=0`).
struct Accepted {
    br: bool,
    gzip: bool,
}

impl From<&HeaderMap> for Accepted {
    fn from(headers: &HeaderMap) -> Self {
        let mut accepted = Accepted {
            br: false,
            gzip: false,
        };
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';').map(str::trim);
                let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
                let refused = parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                match coding.as_str() {
                    "br" => accepted.br = !refused,
                    "gzip" | "x-gzip" => accepted.gzip = !refused,
                    _ => {}
                }
            }
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> (bool, bool) {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("header"),
        );
        let accepted = Accepted::from(&headers);
        (accepted.br, accepted.gzip)
    }

    #[test]
    fn the_encodings_a_request_accepts_are_read_with_their_weights() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), (true, true));
        assert_eq!(accepting("gzip"), (false, true));
        assert_eq!(accepting("br;q=0, gzip;q=0.5"), (false, true));
        assert_eq!(accepting("BR ; q=1.0"), (true, false));
        assert_eq!(accepting("identity"), (false, false));
        assert!(!Accepted::from(&HeaderMap::new()).br);
    }

    #[test]
    fn only_files_found_at_start_up_are_answered_in_the_encoding_accepted() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("game")).expect("dir");
        std::fs::write(dir.path().join("app.js"), b"plain").expect("write");
        std::fs::write(dir.path().join("app.js.br"), b"brotli").expect("write");
        std::fs::write(dir.path().join("game/loader.js"), b"loader").expect("write");
        let files = StaticFiles::load(dir.path()).expect("load");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );

        let app = files.answer("/app.js", &headers);
        assert_eq!(app.status(), StatusCode::OK);
        assert_eq!(app.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(app.headers()[header::CONTENT_TYPE], "text/javascript");
        // No gzip copy: a gzip-only client gets the file itself.
        let mut gzip_only = HeaderMap::new();
        gzip_only.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(
            files
                .answer("/app.js", &gzip_only)
                .headers()
                .get(header::CONTENT_ENCODING)
                .is_none()
        );
        assert_eq!(
            files.answer("/game/loader.js", &headers).status(),
            StatusCode::OK
        );
        for missing in ["/app.js.br", "/../Cargo.toml", "/game", "/nope.js"] {
            assert_eq!(
                files.answer(missing, &headers).status(),
                StatusCode::NOT_FOUND,
                "{missing}"
            );
        }
    }
}
