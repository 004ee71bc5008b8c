//! The OpenAI-compatible HTTP face of the model: `app(state) -> Router`, so tests can serve it on
//! a real socket of their own and `main.rs` stays a few lines.

mod error;
pub mod queue;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::gguf::Model;
pub use error::ApiError;
pub use queue::{Queue, QueueConfig, Stats};

/// What every handler reads.
#[derive(Debug, Clone)]
pub struct AppState {
    pub model: Arc<Model>,
    /// The id `/v1/models` lists and responses carry.
    pub model_id: String,
    pub queue: Arc<Queue>,
}

impl AppState {
    /// Starts the worker thread for `model` and returns the state to serve it with.
    pub fn start(model: Model, model_id: String, config: QueueConfig) -> std::io::Result<Self> {
        let model = Arc::new(model);
        let queue = Arc::new(Queue::start(model.clone(), config)?);
        Ok(AppState {
            model,
            model_id,
            queue,
        })
    }
}

/// The router: the three OpenAI endpoints, plus `/v1/internal/stats` (the worker's counters, read
/// by tests and benchmarks) and `/health`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/v1/models", get(routes::models))
        .route("/v1/chat/completions", post(routes::chat))
        .route("/v1/completions", post(routes::completions))
        .route("/v1/internal/stats", get(routes::stats))
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}
