//! The Content-Security-Policy of every HTML page, and the headers that go with it.
//!
//! Scripts run only from this site, WebAssembly is compiled by the browser
//! (`'wasm-unsafe-eval'`, no `eval`), and an inline script runs only when its SHA-256 is in
//! the policy. Hashes rather than nonces: a page is the same for everyone (public pages are
//! kept by shared caches and revalidated by ETag), so its policy must be too — and a hash
//! follows from the page's own bytes, which this layer reads anyway.
//!
//! A page that may be framed elsewhere (the embed page) says so with its own
//! `frame-ancestors` directive; every other response may be framed only by this site.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The largest page this reads to hash; pages are a few tens of KB.
const MAX_PAGE_BYTES: usize = 4 << 20;

/// What every response but a page gets: framed only by this site.
const DEFAULT_FRAMING: &str = "frame-ancestors 'self'";

/// How the site is reached, which decides HSTS.
#[derive(Clone, Debug)]
pub struct SitePolicy {
    /// The public URL is `https:`: browsers are told to keep to it (HSTS).
    pub https: bool,
    /// Origins Stripe.js is loaded from and talks to, while payments are on (its script, its
    /// API, its frames); none otherwise.
    pub payments: Vec<String>,
}

pub async fn apply(State(site): State<Arc<SitePolicy>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let mut response = if is_page(response.headers()) {
        with_page_policy(response, &site.payments).await
    } else {
        response
    };
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_FRAMING),
        );
    }
    // Links in our emails carry secrets in their query: no other site is told where the
    // person came from.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if site.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// An HTML document shown in the browser (a download, an attachment, is not).
fn is_page(headers: &HeaderMap) -> bool {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let attachment = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment"));
    html && !attachment
}

async fn with_page_policy(response: Response, payments: &[String]) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "could not read a page to hash its scripts");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // A handler that chose its framing (`frame-ancestors *` for the embed page) keeps it.
    let framing = parts
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("frame-ancestors "))
        .unwrap_or(DEFAULT_FRAMING)
        .to_owned();
    let policy = policy(&inline_script_hashes(&bytes), &framing, payments);
    match HeaderValue::from_str(&policy) {
        Ok(value) => {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        Err(e) => {
            tracing::error!(error = %e, "a page's policy is not a header value");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The policy for a page whose inline scripts hash to `hashes`; `payments` are the origins
/// Stripe.js comes from and talks to (scripts, calls and frames allowed from them only).
pub fn policy(hashes: &[String], framing: &str, payments: &[String]) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for hash in hashes {
        scripts.push_str(" 'sha256-");
        scripts.push_str(hash);
        scripts.push('\'');
    }
    let mut third = String::new();
    for origin in payments {
        third.push(' ');
        third.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src {scripts}{third}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{third}; connect-src 'self'{third}; frame-src 'self'{third}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; {framing}"
    )
}

/// The SHA-256 (base64) of every inline script's text in `html`, in order, once each.
/// A script with `src` runs from the site and needs no hash.
pub fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    let mut hashes: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = find_ignore_case(rest, b"<script") {
        let after_name = &rest[start + b"<script".len()..];
        // `<scripts>` or `<script-x>` is another element.
        if !after_name
            .first()
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
        {
            rest = after_name;
            continue;
        }
        let Some(tag_end) = tag_end(after_name) else {
            break;
        };
        let attributes = &after_name[..tag_end];
        let content_and_more = &after_name[tag_end + 1..];
        let Some(close) = find_ignore_case(content_and_more, b"</script") else {
            break;
        };
        let content = &content_and_more[..close];
        if !has_src(attributes) {
            let hash = STANDARD.encode(Sha256::digest(content));
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        rest = &content_and_more[close..];
    }
    hashes
}

/// Where a tag's `>` is, outside quoted attribute values.
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in tag.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn has_src(attributes: &[u8]) -> bool {
    attributes
        .split(|b| b.is_ascii_whitespace())
        .any(|a| a.len() >= 4 && a[..4].eq_ignore_ascii_case(b"src="))
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(s: &str) -> String {
        STANDARD.encode(Sha256::digest(s.as_bytes()))
    }

    #[test]
    fn inline_scripts_are_hashed_and_scripts_from_files_are_not() {
        let page = r#"<html><head><script type="module" nonce="x">import('/pkg/a.js')</script>
            <script src="/pkg/b.js"></script><SCRIPT>let a = "</p>";</SCRIPT>
            <scripts>not one</scripts><script data-x="a>b">go()</script>
            <script type="module" nonce="x">import('/pkg/a.js')</script></head></html>"#;
        assert_eq!(
            inline_script_hashes(page.as_bytes()),
            [
                sha("import('/pkg/a.js')"),
                sha("let a = \"</p>\";"),
                sha("go()")
            ]
        );
        // A hash the browser computes for the same text: the empty script's is well known.
        assert_eq!(
            inline_script_hashes(b"<script></script>"),
            ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
        );
    }

    #[test]
    fn an_unterminated_script_ends_the_scan_without_a_hash() {
        assert!(inline_script_hashes(b"<script>never closed").is_empty());
        assert!(inline_script_hashes(b"<script type=\"module").is_empty());
    }

    #[test]
    fn the_policy_allows_only_the_site_wasm_and_the_hashed_scripts() {
        let policy = policy(&["abc=".to_owned()], "frame-ancestors *", &[]);
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='; "));
        assert!(!policy.contains("'unsafe-eval'"));
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
        assert!(policy.ends_with("frame-ancestors *"));
        assert!(policy.contains("object-src 'none'"));
        assert!(policy.contains("connect-src 'self';"), "{policy}");
    }

    #[test]
    fn stripe_js_origins_are_allowed_only_while_payments_are_on() {
        let origins = [
            "https://js.stripe.com".to_owned(),
            "https://api.stripe.com".to_owned(),
        ];
        let policy = policy(&[], "frame-ancestors 'self'", &origins);
        assert!(policy.contains(
            "script-src 'self' 'wasm-unsafe-eval' https://js.stripe.com https://api.stripe.com;"
        ));
        assert!(
            policy.contains("connect-src 'self' https://js.stripe.com https://api.stripe.com;")
        );
        assert!(policy.contains("frame-src 'self' https://js.stripe.com https://api.stripe.com;"));
    }
}
