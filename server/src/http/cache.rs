//! Shared-cache headers for the public pages (`/`, `/g/{code}`, `/embed/{code}`): the same for
//! everyone, fetched without a cookie and answered without one, so a CDN or proxy may keep
//! them for a short while (`s-maxage`) and browsers revalidate them with an ETag (304, no
//! body). Everything else keeps the router's `no-cache` or says otherwise itself.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::infra::runtime::content_tag;

/// The largest page this buffers to tag; pages are a few tens of KB.
const MAX_PAGE_BYTES: usize = 4 << 20;

/// How long a shared cache may keep a public page, in seconds; `None` for other paths. The
/// home page changes with a deploy; a game's pages as it is made or played.
fn shared_max_age(path: &str) -> Option<u32> {
    let one_segment = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    if path == "/" {
        Some(300)
    } else if one_segment("/g/") || one_segment("/embed/") {
        Some(60)
    } else {
        None
    }
}

/// A weak ETag for `tag`: the answer may go out compressed or not (`Content-Encoding` is
/// chosen per request), and only a weak validator may name every encoding of one content.
pub fn weak_etag(tag: &str) -> String {
    format!("W/\"{tag}\"")
}

/// Whether an `If-None-Match` header names `etag` or `*`: the client holds it. The comparison
/// is weak, as RFC 9110 asks of `If-None-Match`: `W/"x"` and `"x"` match.
pub fn etag_matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(etag);
    if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| opaque(t) == wanted || t.trim() == "*"))
}

/// The answer `parts` described, as a 304 for a client that holds it: its validators and
/// caching headers kept, no body (nor a length or encoding of one).
pub fn not_modified(mut parts: axum::http::response::Parts) -> Response {
    parts.status = StatusCode::NOT_MODIFIED;
    for stale in [header::CONTENT_LENGTH, header::CONTENT_ENCODING] {
        parts.headers.remove(stale);
    }
    Response::from_parts(parts, Body::empty())
}

pub async fn public_pages(request: Request, next: Next) -> Response {
    let Some(max_age) = shared_max_age(request.uri().path()) else {
        return next.run(request).await;
    };
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    // A page that failed, or one that sets a cookie, is nobody else's to keep.
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "could not read a page to tag it");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = weak_etag(&content_tag(&bytes));
    let headers = &mut parts.headers;
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age=0, s-maxage={max_age}")) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if etag_matches(if_none_match.as_ref(), &etag) {
        return not_modified(parts);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = weak_etag("abc");
        assert_eq!(etag, "W/\"abc\"");
        for held in ["W/\"abc\"", "\"abc\"", "\"x\", W/\"abc\"", "*"] {
            let header = HeaderValue::from_str(held).expect("header");
            assert!(etag_matches(Some(&header), &etag), "{held}");
        }
        for other in ["W/\"abd\"", "\"ab\"", "abc", ""] {
            let header = HeaderValue::from_str(other).expect("header");
            assert!(!etag_matches(Some(&header), &etag), "{other}");
        }
        assert!(!etag_matches(None, &etag));
    }

    #[test]
    fn only_the_public_pages_are_shared() {
        assert_eq!(shared_max_age("/"), Some(300));
        assert_eq!(shared_max_age("/g/abcdefghjk"), Some(60));
        assert_eq!(shared_max_age("/embed/abcdefghjk"), Some(60));
        for private in [
            "/create",
            "/games/x",
            "/g/",
            "/g/a/b",
            "/api/v1/games",
            "/embed",
        ] {
            assert_eq!(shared_max_age(private), None, "{private}");
        }
    }
}
