//! `ValidJson`: a JSON body deserialized into a typed request, whose refusal names the field
//! that failed (`{"error": {"field": "theme", ...}}`), so the domain types' own parsing is
//! the validation and a client learns exactly what to fix.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::HttpError;

pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || mime.to_ascii_lowercase().ends_with("+json")
            });
        if !is_json {
            return Err(HttpError::invalid(
                "body",
                "send the request as JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| HttpError::invalid("body", e.body_text()))?;
        parse(&bytes).map(ValidJson)
    }
}

/// A query string deserialized into typed parameters; a refusal (a parameter given twice, a
/// value of the wrong kind) is a 422 naming `query`, like every other bad input, rather than
/// axum's plain-text 400.
pub struct ValidQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(query)| ValidQuery(query))
            .map_err(|e| HttpError::invalid("query", e.body_text()))
    }
}

/// Deserializes `bytes`, naming the field of the first error (`body` for the whole document:
/// malformed JSON, a missing field).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        // `.` is the whole document (a missing field); `?` an unknown place (bad syntax).
        let path = e.path().to_string();
        let field = if path == "." || path.contains('?') {
            "body"
        } else {
            &path
        };
        HttpError::invalid(field, without_position(&e.inner().to_string()))
    })?;
    json.end()
        .map_err(|e| HttpError::invalid("body", without_position(&e.to_string())))?;
    Ok(value)
}

/// serde_json ends its messages with " at line L column C", which means nothing to a person
/// who sent one line of JSON from a script.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Request {
        theme: app::dto::Theme,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        levels: app::dto::LevelCount,
    }

    fn field_and_message(json: &str) -> (String, String) {
        let err = parse::<Request>(json.as_bytes()).expect_err("refused");
        match err.0 {
            app::error::AppError::Invalid { field, message } => (field, message),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn the_failing_field_is_named_without_a_position() {
        let (field, message) = field_and_message(r#"{"theme": "moon", "inner": {"levels": 1}}"#);
        assert_eq!(field, "theme");
        assert!(
            message.starts_with("unknown theme: choose one of"),
            "{message}"
        );
        let (field, message) = field_and_message(r#"{"theme": "park", "inner": {"levels": 0}}"#);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("inner.levels", "choose between 1 and 12 levels")
        );
    }

    #[test]
    fn whole_document_errors_name_the_body() {
        assert_eq!(field_and_message(r#"{"theme": "park"}"#).0, "body");
        assert_eq!(field_and_message("{not json").0, "body");
        assert_eq!(
            field_and_message(r#"{"theme": "park", "inner": {"levels": 1}} trailing"#).0,
            "body"
        );
    }
}
