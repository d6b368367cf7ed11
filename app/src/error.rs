//! The one error type of the app boundary: what server functions and the REST API tell a client.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a person can act on. Internal details never travel in it: the server logs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("not found")]
    NotFound,
    /// Not signed in (or a token that is missing, expired or forged), or a wrong password.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, without the permission this needs.
    #[error("you do not have permission to do that")]
    Forbidden,
    /// Something that must be unique already exists (an account with this email).
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// What was asked needs a payment (a package, a credit), or the card was declined.
    #[error("{0}")]
    PaymentRequired(String),
    /// A free game past its time: it stops playing until it is kept with a package.
    #[error("{0}")]
    Expired(String),
    /// A service we depend on (the payment provider) could not be reached: try again later.
    #[error("{0}")]
    Unavailable(String),
    #[error("too many requests: try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("something went wrong on our side; please try again")]
    Internal,
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A stable machine-readable code for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid",
            Self::NotFound => "not_found",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Conflict { .. } => "conflict",
            Self::PaymentRequired(_) => "payment_required",
            Self::Expired(_) => "expired",
            Self::Unavailable(_) => "unavailable",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal => "internal",
            Self::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) | ServerFnErrorErr::Response(e) => Self::Transport(e),
            _ => Self::Internal,
        }
    }
}
