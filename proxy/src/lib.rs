//! The key-holding, OpenAI-compatible LLM gateway that browsers talk to.
//!
//! `app(state)` is the whole API as an axum `Router`, so tests serve it on a loopback socket and
//! the binary is a thin `main.rs`. The request path (config, routes, upstreams, SSE, retries) never
//! knows provider keys beyond `upstream`, and never lets a client choose where a request goes.
//!
//! Read from the top down; no file imports one listed above it:
//! - `app`: the router, wrapped in the edge's HTTP layers;
//! - `routes`, then `pipeline`: the handlers, and the named steps of a model request;
//! - `stream`, `retry`: SSE towards the client; retries and fallbacks before the first byte;
//! - `charge`: the reservation admission made, settled exactly once however a request ends;
//! - `state`: what everything shares (`AppState`, `Caller`, the `Edge` seam);
//! - `upstream`: the providers behind one trait; `usage`: reported or estimated token usage;
//! - `request`: the typed request, parsed once; `config` and `error` at the bottom.
//!
//! `edge` (part B) plugs into `state::Edge` from above: clients, CORS, SSRF guard, limits,
//! cost, cache, store, metrics and logs.

// part A: the request path.
pub mod app;
pub mod charge;
pub mod config;
pub mod error;
pub mod pipeline;
pub mod request;
pub mod retry;
pub mod routes;
pub mod state;
pub mod stream;
pub mod upstream;
pub mod usage;

pub use app::app;
pub use config::{Config, ConfigError};
pub use error::AppError;
pub use state::AppState;

// part B: the edge (clients, CORS, SSRF guard, shared store, limits, cost, cache).
pub mod edge;
