//! The key-holding, OpenAI-compatible LLM gateway that browsers talk to.
//!
//! `app(state)` is the whole API as an axum `Router`, so tests serve it on a loopback socket and
//! the binary is a thin `main.rs`. The request path (config, routes, upstreams, SSE, retries) never
//! knows provider keys beyond `upstream`, and never lets a client choose where a request goes.

// part A: the request path.
pub mod app;
pub mod config;
pub mod error;
pub mod retry;
pub mod routes;
pub mod stream;
pub mod upstream;

pub use app::{AppState, app};
pub use config::{Config, ConfigError};
pub use error::AppError;

// part B: the edge (clients, CORS, SSRF guard, shared store, limits, cost, cache).
pub mod auth;
pub mod cache;
pub mod cors;
pub mod cost;
pub mod edge;
pub mod guard;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod store;
