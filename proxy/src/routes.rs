//! HTTP handlers: the three model endpoints hand their request to `pipeline::run`; the rest
//! (`/v1/models`, `/healthz`, 404, 405) answer here without an upstream.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use protocol::{ModelInfo, ModelList};
use serde_json::Value;

use crate::error::AppError;
use crate::pipeline;
use crate::request::Endpoint;
use crate::state::AppState;

/// The client's address, when the server was started with connect info (the binary is).
fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// `POST /v1/chat/completions`.
pub async fn chat_completions(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Response {
    pipeline::run(state, peer(&extensions), headers, body, Endpoint::Chat).await
}

/// `POST /v1/completions` (fill-in-the-middle with `prompt` + `suffix`).
pub async fn completions(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Response {
    pipeline::run(
        state,
        peer(&extensions),
        headers,
        body,
        Endpoint::Completions,
    )
    .await
}

/// `POST /v1/embeddings`.
pub async fn embeddings(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Response {
    pipeline::run(
        state,
        peer(&extensions),
        headers,
        body,
        Endpoint::Embeddings,
    )
    .await
}

/// `GET /v1/models`: the aliases this caller may use.
pub async fn models(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
) -> Result<Json<ModelList>, AppError> {
    // part B: authenticate (same seam as the model endpoints; refusals are rate-limited).
    let caller = match state.edge.authenticate(&headers) {
        Ok(c) => c,
        Err(e) => return Err(pipeline::refuse(&state, peer(&extensions), e).await),
    };
    let data = state
        .config
        .models
        .iter()
        .filter(|m| caller.allows(&m.alias))
        .map(|m| ModelInfo {
            id: m.alias.clone(),
            object: "model".to_owned(),
            created: 0,
            owned_by: "pilotfish".to_owned(),
        })
        .collect();
    Ok(Json(ModelList {
        object: "list".to_owned(),
        data,
    }))
}

/// `GET /healthz`: liveness, no upstream contact.
pub async fn healthz() -> Json<Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Unknown paths get an OpenAI-shaped 404.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A known path with the wrong method gets an OpenAI-shaped 405 (axum's default has no body).
pub async fn method_not_allowed() -> Response {
    let body = protocol::ErrorBody::new(
        "method not allowed",
        "invalid_request_error",
        Some("method_not_allowed"),
    );
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}
