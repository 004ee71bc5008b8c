//! The one error type of the request path. Every failure becomes an OpenAI error body
//! `{"error":{"message","type","code"}}` with a fixed, client-safe message: internals (upstream
//! URLs, provider bodies, keys) go to the log, never to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::ErrorBody;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 `invalid_request_error`: malformed JSON, missing fields, forbidden fields.
    #[error("{0}")]
    InvalidRequest(String),
    /// 400 `invalid_request_error` with a machine-readable code (e.g. `upstream_override`).
    #[error("{message}")]
    InvalidRequestCode { message: String, code: &'static str },
    /// 401: missing or unknown bearer token.
    #[error("invalid or missing API key")]
    Unauthorized,
    /// 401: a signed per-user token that was refused, saying why (expired, wrong audience, ...)
    /// so a host knows whether to mint a new one. Never contains the token.
    #[error("token rejected: {reason}")]
    TokenRejected { reason: String, code: &'static str },
    /// 403 `model_not_allowed`: the model is unknown or not allowed for this client.
    #[error("model `{0}` is not allowed")]
    ModelNotAllowed(String),
    /// 404.
    #[error("not found")]
    NotFound,
    /// 408: the client did not send its body in time.
    #[error("timed out reading the request body")]
    RequestTimeout,
    /// 413: body above `limits.max_body_bytes`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 429 `rate_limited` with `Retry-After` seconds.
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    /// 429 `budget_exceeded`: the client's daily dollar budget is spent.
    #[error("daily budget exceeded")]
    BudgetExceeded { retry_after_secs: u64 },
    /// 429 from the upstream after retries; Retry-After passed on when it sent one.
    #[error("upstream rate limited")]
    UpstreamRateLimited { retry_after_secs: Option<u64> },
    /// 502: the upstream failed (5xx, bad body, connection error) after retries.
    #[error("upstream error: {0}")]
    UpstreamFailed(String),
    /// 504: the upstream did not answer in time.
    #[error("upstream timed out")]
    UpstreamTimeout,
    /// 503 `store_unavailable` with `Retry-After`: the shared store (Redis) did not answer in
    /// time and limits fail closed. The details (never the Redis URL) are logged.
    #[error("rate limit store unavailable")]
    StoreUnavailable { retry_after_secs: u64 },
    /// 500: a bug or an impossible state; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// Status, error `type` and `code` for the body.
    pub fn parts(&self) -> (StatusCode, &'static str, Option<&'static str>) {
        match self {
            AppError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request_error", None),
            AppError::InvalidRequestCode { code, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", Some(code))
            }
            AppError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
            AppError::TokenRejected { code, .. } => (
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                Some(code),
            ),
            AppError::ModelNotAllowed(_) => (
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                Some("model_not_allowed"),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("not_found"),
            ),
            AppError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request_error",
                Some("request_timeout"),
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                Some("request_too_large"),
            ),
            AppError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                Some("rate_limited"),
            ),
            AppError::BudgetExceeded { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                Some("budget_exceeded"),
            ),
            AppError::UpstreamRateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                Some("upstream_rate_limited"),
            ),
            AppError::UpstreamFailed(_) => (
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                Some("upstream_error"),
            ),
            AppError::UpstreamTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_error",
                Some("upstream_timeout"),
            ),
            AppError::StoreUnavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                Some("store_unavailable"),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                Some("internal_error"),
            ),
        }
    }

    /// The message shown to the client: our own words, never an upstream's body or a URL.
    pub fn public_message(&self) -> String {
        match self {
            AppError::InvalidRequest(m) => m.clone(),
            AppError::InvalidRequestCode { message, .. } => message.clone(),
            AppError::UpstreamFailed(_) => "the upstream model provider failed".to_owned(),
            AppError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }

    /// The OpenAI error body for this error.
    pub fn body(&self) -> ErrorBody {
        let (_, kind, code) = self.parts();
        ErrorBody::new(self.public_message(), kind, code)
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs }
            | AppError::BudgetExceeded { retry_after_secs }
            | AppError::StoreUnavailable { retry_after_secs } => Some(*retry_after_secs),
            AppError::UpstreamRateLimited { retry_after_secs } => *retry_after_secs,
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, _, _) = self.parts();
        if status.is_server_error() {
            tracing::warn!(error = %self, "request failed");
        }
        let mut res = (status, axum::Json(self.body())).into_response();
        // The rest of an oversized body may still be on its way: the connection ends here.
        if matches!(self, AppError::PayloadTooLarge) {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(secs) = self.retry_after() {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    async fn render(e: AppError) -> String {
        let res = e.into_response();
        let status = res.status().as_u16();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        format!("{status} {retry:?} {}", String::from_utf8_lossy(&body))
    }

    #[tokio::test]
    async fn errors_render_as_openai_bodies_without_internals() {
        expect![[r#"429 Some("7") {"error":{"message":"rate limit exceeded","type":"rate_limit_error","code":"rate_limited","param":null}}"#]]
            .assert_eq(&render(AppError::RateLimited { retry_after_secs: 7 }).await);
        expect![[r#"429 Some("3600") {"error":{"message":"daily budget exceeded","type":"rate_limit_error","code":"budget_exceeded","param":null}}"#]]
            .assert_eq(&render(AppError::BudgetExceeded { retry_after_secs: 3600 }).await);
        expect![[r#"502 None {"error":{"message":"the upstream model provider failed","type":"upstream_error","code":"upstream_error","param":null}}"#]]
            .assert_eq(&render(AppError::UpstreamFailed("http://10.0.0.1 said sk-secret".into())).await);
        expect![[r#"403 None {"error":{"message":"model `gpt-5` is not allowed","type":"invalid_request_error","code":"model_not_allowed","param":null}}"#]]
            .assert_eq(&render(AppError::ModelNotAllowed("gpt-5".into())).await);
        expect![[r#"413 None {"error":{"message":"request body too large","type":"invalid_request_error","code":"request_too_large","param":null}}"#]]
            .assert_eq(&render(AppError::PayloadTooLarge).await);
        expect![[r#"503 Some("1") {"error":{"message":"rate limit store unavailable","type":"server_error","code":"store_unavailable","param":null}}"#]]
            .assert_eq(&render(AppError::StoreUnavailable { retry_after_secs: 1 }).await);
        expect![[r#"401 None {"error":{"message":"token rejected: expired","type":"invalid_request_error","code":"token_expired","param":null}}"#]]
            .assert_eq(&render(AppError::TokenRejected { reason: "expired".into(), code: "token_expired" }).await);
        expect![[r#"500 None {"error":{"message":"internal error","type":"server_error","code":"internal_error","param":null}}"#]]
            .assert_eq(&render(AppError::Internal("stack".into())).await);
    }
}
