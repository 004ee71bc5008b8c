//! Structured JSON logs with a request id, and nothing secret in them.
//!
//! - Every request gets an `x-request-id` (kept if the client sent a sane one, a UUID v4
//!   otherwise), echoed in the response and recorded on the request's span, so every log line
//!   of one request can be joined.
//! - Request and response headers are never logged; `Authorization`, `x-api-key`, `Cookie` are
//!   additionally marked sensitive so any layer that does print headers shows `Sensitive`.
//! - Bodies are not logged (prompts are user data) unless `logging.log_bodies = true`
//!   (see `edge::ProxyEdge::guard`).
//! - Provider keys live in `secrecy::SecretString` (see `config`), whose `Debug` is redacted.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, Request, Response, header};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers whose values must never reach a log.
pub fn sensitive_headers() -> [HeaderName; 4] {
    [
        header::AUTHORIZATION,
        HeaderName::from_static("x-api-key"),
        header::COOKIE,
        header::PROXY_AUTHORIZATION,
    ]
}

/// Installs the process-wide JSON subscriber writing to stdout. `RUST_LOG` overrides `level`.
/// Only the binary calls this; a second call (e.g. from a test) is a harmless no-op.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .try_init();
}

/// Wraps the public API with request ids, redaction and one access-log line per request.
/// Layers run outside-in: the id is set before the trace span is made, so the span has it.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<Body>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // The path only: query strings can carry secrets (`?key=`), and no route of ours
            // takes one.
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        })
        .on_request(|_: &Request<Body>, _: &Span| {})
        .on_response(|res: &Response<Body>, latency: Duration, _: &Span| {
            tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "response");
        });
    let sensitive: Arc<[HeaderName]> = Arc::new(sensitive_headers());
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(tower::util::MapRequestLayer::new(drop_unsafe_request_id))
        .layer(SetSensitiveRequestHeadersLayer::from_shared(sensitive))
}

/// A client-sent request id is kept only if it is short and plain (`[A-Za-z0-9._-]`, at most
/// 128 bytes); anything else is replaced by a fresh UUID, so a client cannot stuff a log line
/// with megabytes or with text shaped like other log fields.
fn drop_unsafe_request_id(mut req: Request<Body>) -> Request<Body> {
    let unsafe_id = req.headers().get(&REQUEST_ID).is_some_and(|v| {
        let b = v.as_bytes();
        b.is_empty()
            || b.len() > 128
            || !b
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    });
    if unsafe_id {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn request_ids_are_made_or_kept_and_echoed() {
        let app = layer(Router::new().route("/x", get(|| async { "ok" })));
        let res = app
            .clone()
            .oneshot(Request::get("/x").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "{id}");
        let res = app
            .oneshot(
                Request::get("/x")
                    .header("x-request-id", "abc-123")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        for bad in ["a b", "x\"}{\"level\":\"ERROR", &"y".repeat(129)] {
            let res = layer(Router::new().route("/x", get(|| async { "ok" })))
                .oneshot(
                    Request::get("/x")
                        .header("x-request-id", bad)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let id = res.headers()["x-request-id"].to_str().unwrap();
            assert_eq!(id.len(), 36, "{bad} -> {id}");
        }
    }
}
