//! Cross-site request refusal, before anything else runs (sessions included).
//!
//! A state-changing request (anything but GET, HEAD, OPTIONS) that a browser marks as coming
//! from another site is refused with 403: `Sec-Fetch-Site: cross-site` or `same-site` (a
//! sibling subdomain is another party), or, from browsers without Fetch Metadata, an `Origin`
//! that is not this site's. Without this, a cross-site form POST arrives without the victim's
//! cookie (SameSite=Lax), the upload makes a fresh visitor, and its `Set-Cookie` replaces the
//! victim's: everything they made would be lost to them.
//!
//! Requests with neither header (scripts and apps, which authenticate with tokens and carry
//! no ambient credentials) are not refused here.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::HttpError;

/// Refuses cross-site state-changing requests with 403.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if is_cross_site(&request) {
        tracing::info!(path = %request.uri().path(), "refused a cross-site request");
        return HttpError(app::error::AppError::Forbidden).into_response();
    }
    next.run(request).await
}

fn is_cross_site(request: &Request) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none` is a person's own action (a bookmark, the address bar).
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    // `Origin` is `scheme://host[:port]`; it must name the host this request was sent to
    // (`null`, from sandboxed frames and local files, never does).
    !origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder()
            .method(method)
            .uri("/api/v1/images/upload")
            .header(header::HOST, "petpixel.test:3000");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn cross_site_writes_are_refused_and_the_rest_pass() {
        type Case<'a> = (Method, &'a [(&'a str, &'a str)], bool);
        let cases: [Case; 11] = [
            (Method::POST, &[("sec-fetch-site", "cross-site")], true),
            (Method::POST, &[("sec-fetch-site", "same-site")], true),
            (Method::DELETE, &[("sec-fetch-site", "cross-site")], true),
            (Method::POST, &[("sec-fetch-site", "same-origin")], false),
            (Method::POST, &[("sec-fetch-site", "none")], false),
            (Method::GET, &[("sec-fetch-site", "cross-site")], false),
            (Method::POST, &[("origin", "http://evil.test")], true),
            (Method::POST, &[("origin", "null")], true),
            (
                Method::PUT,
                &[("origin", "http://petpixel.test:3000")],
                false,
            ),
            (
                Method::POST,
                &[("origin", "https://petpixel.test:3000.evil.test")],
                true,
            ),
            // A script: neither header.
            (Method::POST, &[], false),
        ];
        for (method, headers, refused) in cases {
            assert_eq!(
                is_cross_site(&request(method.clone(), headers)),
                refused,
                "{method} {headers:?}"
            );
        }
    }
}
