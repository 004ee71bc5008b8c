//! The tests' fake provider (`tests/support/fake_upstream.rs`) as a process, for the browser
//! end-to-end tests: `cargo xtask test` starts it, points a real `pilotfish-proxy` at it, and the
//! Playwright tests drive it over a small control API on a second loopback port.
//!
//! Prints one JSON line once both listen: `{"upstream": "http://127.0.0.1:P/v1", "control":
//! "http://127.0.0.1:Q"}`. Control API (JSON bodies):
//! - `POST /script {"text": "...", "chunks": 8, "event_delay_ms": 40}`: what completions and chat
//!   answer next, in how many streamed pieces, with what pause before each event; with
//!   `"then": ["...", ...]`, the answers after the next one, in order (the last one stays);
//! - `POST /mode {"mode": "normal" | "stall" | "drop_after" | "stall_after" | "status", "n": 3,
//!   "code": 500, "times": 1}`: misbehave (`times` requests, or always when absent);
//! - `GET /stats`: `{"hits", "cancellations", "paths"}` so far (tests compare before and after).
//!
//! Run: `cargo run -p pilotfish-proxy --example fake_upstream`.

// The proxy tests use all of it; this process only what the browser tests need.
#[allow(dead_code)]
#[path = "../tests/support/fake_upstream.rs"]
mod fake_upstream;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use fake_upstream::{Behaviour, FakeUpstream, Mode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Script {
    text: Option<String>,
    #[serde(default)]
    then: Vec<String>,
    chunks: Option<usize>,
    event_delay_ms: Option<u64>,
}

#[derive(Deserialize)]
struct ModeRequest {
    mode: String,
    n: Option<usize>,
    code: Option<u16>,
    times: Option<usize>,
}

async fn script(State(b): State<Arc<Behaviour>>, Json(s): Json<Script>) -> StatusCode {
    *b.script.lock().unwrap() = s.text;
    *b.then.lock().unwrap() = s.then.into();
    b.chunks
        .store(s.chunks.unwrap_or(5).max(1), Ordering::SeqCst);
    *b.event_delay.lock().unwrap() = Duration::from_millis(s.event_delay_ms.unwrap_or(0));
    StatusCode::NO_CONTENT
}

async fn mode(
    State(b): State<Arc<Behaviour>>,
    Json(m): Json<ModeRequest>,
) -> Result<StatusCode, (StatusCode, String)> {
    let n = m.n.unwrap_or(0);
    let mode = match m.mode.as_str() {
        "normal" => Mode::Normal,
        "stall" => Mode::Stall,
        "drop_after" => Mode::DropAfter(n),
        "stall_after" => Mode::StallAfter(n),
        "status" => Mode::Status {
            code: m.code.unwrap_or(500),
            retry_after: None,
        },
        other => return Err((StatusCode::BAD_REQUEST, format!("unknown mode {other:?}"))),
    };
    match m.times {
        Some(times) => b.set_for(times, mode),
        None => b.set(mode),
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn stats(State(b): State<Arc<Behaviour>>) -> Json<Value> {
    let paths: Vec<String> = b.seen().into_iter().map(|s| s.path).collect();
    Json(json!({"hits": b.hits(), "cancellations": b.cancellations(), "paths": paths}))
}

#[tokio::main]
async fn main() {
    let fake = FakeUpstream::start().await;
    let control = Router::new()
        .route("/script", post(script))
        .route("/mode", post(mode))
        .route("/stats", get(stats))
        .with_state(fake.behaviour.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the control port");
    let control_addr = listener.local_addr().expect("control address");
    println!(
        "{}",
        json!({"upstream": fake.v1(), "control": format!("http://{control_addr}")})
    );
    axum::serve(listener, control)
        .await
        .expect("control server");
}
