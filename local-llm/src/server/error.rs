//! The one error type handlers return, in OpenAI's error shape. Messages say what the client can
//! change; internal failures are logged to stderr and answered without detail.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::ErrorBody;

use crate::prompt::PromptError;

/// Seconds a client is told to wait when the queue is full: about one short generation.
pub const RETRY_AFTER_SECS: u32 = 2;

#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed or asks for something this model cannot do.
    BadRequest { message: String, code: &'static str },
    /// The queue is full.
    Busy,
    /// A fault on our side.
    Internal(String),
}

impl ApiError {
    pub fn bad(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            code: "invalid_request",
        }
    }
}

impl From<PromptError> for ApiError {
    fn from(e: PromptError) -> Self {
        let code = match e {
            PromptError::TooLong { .. } => "context_length_exceeded",
            PromptError::NoFim { .. } => "fim_unsupported",
            PromptError::Template(_) => "invalid_messages",
            PromptError::Model(ref inner) => return ApiError::Internal(inner.to_string()),
        };
        ApiError::BadRequest {
            message: e.to_string(),
            code,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest { message, code } => (
                StatusCode::BAD_REQUEST,
                Json(ErrorBody::new(message, "invalid_request_error", Some(code))),
            )
                .into_response(),
            ApiError::Busy => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(ErrorBody::new(
                        "the local model is busy and its queue is full; retry shortly",
                        "rate_limit_error",
                        Some("queue_full"),
                    )),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
                response
            }
            ApiError::Internal(detail) => {
                eprintln!("pilotfish-local: internal error: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(ErrorBody::new(
                        "the local model failed",
                        "server_error",
                        None,
                    )),
                )
                    .into_response()
            }
        }
    }
}
