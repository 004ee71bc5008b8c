//! The router: the API's routes on top of the shared [`AppState`], wrapped in the edge's
//! HTTP layers (request ids and access logs, then CORS outermost). Nothing else lives here.

use axum::Router;
use axum::routing::{get, post};

use crate::edge::{cors, logging};
use crate::routes;
use crate::state::AppState;

/// The API router: `/v1/*` and `/healthz`. The admin listener (`/metrics`) is separate.
pub fn app(state: AppState) -> Router {
    // Origins were validated at start (main exits 2 on a bad entry); an invalid list here can
    // only mean a hand-built test config, and then no origin is allowed.
    let cors = cors::layer(cors::Allowlist::parse(&state.config.cors.origins).unwrap_or_default());
    let router = Router::new()
        .route("/v1/chat/completions", post(routes::chat_completions))
        .route("/v1/completions", post(routes::completions))
        .route("/v1/embeddings", post(routes::embeddings))
        .route("/v1/models", get(routes::models))
        .route("/healthz", get(routes::healthz))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state);
    // Request ids, redaction and access logs; CORS outermost, so preflights never reach auth.
    logging::layer(router).layer(cors)
}
