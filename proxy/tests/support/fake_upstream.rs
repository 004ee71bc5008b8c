//! A fake LLM provider on 127.0.0.1:0 that speaks the real wire formats: OpenAI
//! (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, SSE with `[DONE]` and
//! `include_usage`), Anthropic (`/v1/messages`, named SSE events) and Ollama's OpenAI-compatible
//! API (under `/ollama/v1/`). A shared [`Behaviour`] handle tells it to misbehave; it counts hits,
//! records the headers and bodies it saw, and notices when a client dropped a request early.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// How the fake answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Correct answers.
    Normal,
    /// Never answers (not even headers).
    Stall,
    /// Streams: the first `n` chunks, then the connection breaks (no `[DONE]`).
    DropAfter(usize),
    /// Streams: the first `n` chunks, then silence forever.
    StallAfter(usize),
    /// This status with an OpenAI error body (and `Retry-After` when given).
    Status { code: u16, retry_after: Option<u64> },
    /// This status with exactly this body (sent as `application/json`, valid JSON or not).
    ErrorBody { code: u16, body: String },
    /// Anthropic's 529 `overloaded_error`.
    Overloaded,
    /// Anthropic stream: `message_start`, then an in-stream `overloaded_error` event.
    InStreamOverloaded,
    /// Headers only after this delay.
    SlowHeaders(Duration),
    /// Chat streams: `reasoning` bytes of `delta.reasoning_content` (all `R`), then `content`
    /// bytes of `delta.content` (all `Q`), in pieces of [`HUGE_PIECE`] bytes, generated as they
    /// are sent so the fake itself holds no more than one piece (memory tests measure the proxy).
    Huge { reasoning: usize, content: usize },
}

/// Bytes of text per chunk in [`Mode::Huge`].
pub const HUGE_PIECE: usize = 4096;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Shared control and observation handle.
#[derive(Debug)]
pub struct Behaviour {
    mode: Mutex<Mode>,
    /// Requests left that get `mode`; afterwards `Normal`. `usize::MAX` = always.
    remaining: AtomicUsize,
    /// Delay before the first byte of every answer (benchmarks).
    pub first_byte_delay: Mutex<Duration>,
    /// Content chunks per streamed answer.
    pub chunks: AtomicUsize,
    /// When set, completions, chat and messages answer this text (in `chunks` pieces) instead of
    /// `w0 w1 …`: a browser test needs code a parse check accepts.
    pub script: Mutex<Option<String>>,
    /// Scripts that follow `script`: each answer moves the next one up, so a browser test can
    /// script a model that answers wrong first and right second without racing the page.
    pub then: Mutex<VecDeque<String>>,
    /// A pause before each streamed event, so a client sees the answer arrive piece by piece
    /// and can cancel it half-way.
    pub event_delay: Mutex<Duration>,
    hits: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    cancelled: AtomicUsize,
    cancel_notify: Notify,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            mode: Mutex::new(Mode::Normal),
            remaining: AtomicUsize::new(usize::MAX),
            first_byte_delay: Mutex::new(Duration::ZERO),
            chunks: AtomicUsize::new(5),
            script: Mutex::new(None),
            then: Mutex::new(VecDeque::new()),
            event_delay: Mutex::new(Duration::ZERO),
            hits: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            cancelled: AtomicUsize::new(0),
            cancel_notify: Notify::new(),
        }
    }
}

impl Behaviour {
    /// Every following request gets `mode`.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.remaining.store(usize::MAX, Ordering::SeqCst);
    }

    /// The next `n` requests get `mode`, later ones are answered normally.
    pub fn set_for(&self, n: usize, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.remaining.store(n, Ordering::SeqCst);
    }

    pub fn set_first_byte_delay(&self, d: Duration) {
        *self.first_byte_delay.lock().unwrap() = d;
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Requests received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests whose client went away before the answer was complete.
    pub fn cancellations(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves when (or immediately if) a request was dropped by its client.
    pub async fn cancelled(&self) {
        self.cancel_notify.notified().await
    }

    fn mode_for_next(&self) -> Mode {
        let left = self.remaining.load(Ordering::SeqCst);
        if left == 0 {
            return Mode::Normal;
        }
        if left != usize::MAX {
            self.remaining.fetch_sub(1, Ordering::SeqCst);
        }
        self.mode.lock().unwrap().clone()
    }
}

/// Counts a cancellation when dropped while armed (the client went away mid-answer).
struct CancelGuard {
    behaviour: Arc<Behaviour>,
    armed: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if self.armed {
            self.behaviour.cancelled.fetch_add(1, Ordering::SeqCst);
            self.behaviour.cancel_notify.notify_one();
        }
    }
}

/// A running fake provider.
#[derive(Debug, Clone)]
pub struct FakeUpstream {
    pub addr: SocketAddr,
    pub behaviour: Arc<Behaviour>,
}

impl FakeUpstream {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeUpstream {
        let behaviour = Arc::new(Behaviour::default());
        let app = Router::new()
            .route("/v1/{*rest}", post(openai))
            .route("/ollama/v1/{*rest}", post(ollama))
            .with_state(behaviour.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeUpstream { addr, behaviour }
    }

    /// Base URL of the OpenAI and Anthropic APIs (`http://127.0.0.1:PORT/v1`).
    pub fn v1(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL of the Ollama OpenAI-compatible API.
    pub fn ollama_v1(&self) -> String {
        format!("http://{}/ollama/v1", self.addr)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    OpenAi,
    Ollama,
}

async fn openai(
    State(b): State<Arc<Behaviour>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if rest == "messages" {
        return anthropic(b, headers, body).await;
    }
    serve_openai(b, Flavor::OpenAi, &rest, headers, body).await
}

async fn ollama(
    State(b): State<Arc<Behaviour>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_openai(b, Flavor::Ollama, &rest, headers, body).await
}

/// Records the request and applies the failure modes shared by all wire formats. Returns the
/// mode for the streaming part, or the response to send instead.
async fn intake(
    b: &Arc<Behaviour>,
    path: &str,
    headers: HeaderMap,
    body: &Bytes,
) -> Result<(Value, Mode), Response> {
    b.hits.fetch_add(1, Ordering::SeqCst);
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    b.seen.lock().unwrap().push(Seen {
        path: path.to_owned(),
        headers,
        body: json.clone(),
    });
    let mode = b.mode_for_next();
    let delay = *b.first_byte_delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match mode {
        Mode::Stall => {
            let _guard = CancelGuard {
                behaviour: b.clone(),
                armed: true,
            };
            std::future::pending::<()>().await;
            unreachable!()
        }
        Mode::SlowHeaders(d) => {
            let mut guard = CancelGuard {
                behaviour: b.clone(),
                armed: true,
            };
            tokio::time::sleep(d).await;
            guard.armed = false;
            Ok((json, Mode::Normal))
        }
        Mode::Status { code, retry_after } => {
            let status = StatusCode::from_u16(code).unwrap();
            let body = json!({"error": {"message": format!("fake status {code}"), "type": "server_error", "code": null}});
            let mut res = (status, axum::Json(body)).into_response();
            if let Some(s) = retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, s.into());
            }
            Err(res)
        }
        Mode::ErrorBody { code, body } => {
            let status = StatusCode::from_u16(code).unwrap();
            Err((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Mode::Overloaded => {
            let body = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
            Err((StatusCode::from_u16(529).unwrap(), axum::Json(body)).into_response())
        }
        other => Ok((json, other)),
    }
}

/// The text the fake "generates": chunk i is `w{i} `.
fn words(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("w{i} ")).collect()
}

/// The answer in `n` streamed pieces: the scripted text cut at character boundaries into pieces
/// of about equal length, or [`words`].
fn pieces(b: &Behaviour, n: usize) -> Vec<String> {
    let text = {
        let mut script = b.script.lock().unwrap();
        let text = script.clone();
        if let Some(next) = b.then.lock().unwrap().pop_front() {
            *script = Some(next);
        }
        text
    };
    let Some(text) = text else {
        return words(n);
    };
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(n.max(1)).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// An SSE body of `events`, applying the streaming failure modes; the guard reports a client that
/// drops the body before its end.
fn sse(b: &Arc<Behaviour>, events: Vec<String>, mode: Mode, content_start: usize) -> Response {
    let guard = CancelGuard {
        behaviour: b.clone(),
        armed: true,
    };
    let (cut, stall) = match mode {
        Mode::DropAfter(n) => (Some(content_start + n), false),
        Mode::StallAfter(n) => (Some(content_start + n), true),
        _ => (None, false),
    };
    let delay = *b.event_delay.lock().unwrap();
    let stream = async_stream::stream! {
        // Rebind so the whole guard (not just its `armed` field) lives in, and dies with, the body.
        let mut guard = guard;
        for (i, ev) in events.into_iter().enumerate() {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if Some(i) == cut {
                if stall {
                    std::future::pending::<()>().await;
                }
                // Returning Pending once makes hyper flush what was written so far, so the
                // chunks before the cut really reach the client before the connection breaks.
                tokio::task::yield_now().await;
                // Ending the body with an error makes hyper abort the connection mid-message.
                guard.armed = false;
                yield Err(std::io::Error::other("fake upstream dropped the connection"));
                return;
            }
            yield Ok::<Bytes, std::io::Error>(Bytes::from(ev));
        }
        guard.armed = false;
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// A chat stream of `reasoning` then `content` bytes in [`HUGE_PIECE`]-byte deltas, made lazily.
fn huge(
    b: &Arc<Behaviour>,
    reasoning: usize,
    content: usize,
    chunk: impl Fn(Value, Value) -> String + Send + 'static,
    usage: Option<Value>,
) -> Response {
    let guard = CancelGuard {
        behaviour: b.clone(),
        armed: true,
    };
    let stream = async_stream::stream! {
        let mut guard = guard;
        yield Ok::<Bytes, std::io::Error>(Bytes::from(chunk(json!({"role": "assistant"}), Value::Null)));
        for (total, field, letter) in [(reasoning, "reasoning_content", "R"), (content, "content", "Q")] {
            let mut sent = 0;
            while sent < total {
                let piece = HUGE_PIECE.min(total - sent);
                sent += piece;
                yield Ok(Bytes::from(chunk(json!({ field: letter.repeat(piece) }), Value::Null)));
            }
        }
        yield Ok(Bytes::from(chunk(json!({}), json!("stop"))));
        if let Some(u) = &usage {
            yield Ok(Bytes::from(format!("data: {u}\n\n")));
        }
        yield Ok(Bytes::from_static(b"data: [DONE]\n\n"));
        guard.armed = false;
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn serve_openai(
    b: Arc<Behaviour>,
    flavor: Flavor,
    path: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (req, mode) = match intake(&b, path, headers, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let stream = req.get("stream").and_then(Value::as_bool) == Some(true);
    let include_usage = req
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let n = b.chunks.load(Ordering::SeqCst);
    let fp = match flavor {
        Flavor::OpenAi => "fp_fake",
        Flavor::Ollama => "fp_ollama",
    };
    match path {
        "chat/completions" => {
            let id = "chatcmpl-fake1";
            if !stream {
                return axum::Json(json!({
                    "id": id, "object": "chat.completion", "created": 1700000000, "model": model,
                    "system_fingerprint": fp,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": pieces(&b, n).concat()},
                                 "logprobs": null, "finish_reason": "stop"}],
                    "usage": usage(9, n as u64),
                }))
                .into_response();
            }
            let chunk_model = model.clone();
            let chunk = move |delta: Value, finish: Value| {
                let mut c = json!({"id": id, "object": "chat.completion.chunk", "created": 1700000000,
                    "model": chunk_model, "system_fingerprint": fp,
                    "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
                if include_usage && flavor == Flavor::OpenAi {
                    c["usage"] = Value::Null;
                }
                format!("data: {c}\n\n")
            };
            if let Mode::Huge { reasoning, content } = mode {
                let usage = include_usage.then(|| {
                    json!({"id": id, "object": "chat.completion.chunk", "created": 1700000000,
                        "model": model, "choices": [], "usage": usage(9, (reasoning + content) as u64 / 4)})
                });
                return huge(&b, reasoning, content, chunk, usage);
            }
            let mut events = vec![chunk(
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            )];
            events.extend(
                pieces(&b, n)
                    .iter()
                    .map(|w| chunk(json!({"content": w}), Value::Null)),
            );
            events.push(chunk(json!({}), json!("stop")));
            if include_usage {
                let u = json!({"id": id, "object": "chat.completion.chunk", "created": 1700000000,
                    "model": model, "system_fingerprint": fp, "choices": [], "usage": usage(9, n as u64)});
                events.push(format!("data: {u}\n\n"));
            }
            events.push("data: [DONE]\n\n".to_owned());
            sse(&b, events, mode, 1)
        }
        "completions" => {
            let suffix = req.get("suffix").and_then(Value::as_str).unwrap_or("");
            let scripted = b.script.lock().unwrap().is_some();
            let text = match scripted {
                true => pieces(&b, n).concat(),
                false => format!("{}<{}>", words(n).concat(), suffix.len()),
            };
            if !stream {
                return axum::Json(json!({
                    "id": "cmpl-fake1", "object": "text_completion", "created": 1700000000, "model": model,
                    "system_fingerprint": fp,
                    "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": "stop"}],
                    "usage": usage(7, n as u64),
                }))
                .into_response();
            }
            let chunk = |text: &str, finish: Value| {
                let c = json!({"id": "cmpl-fake1", "object": "text_completion", "created": 1700000000,
                    "model": model, "system_fingerprint": fp,
                    "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}]});
                format!("data: {c}\n\n")
            };
            let mut events: Vec<String> = pieces(&b, n)
                .iter()
                .map(|w| chunk(w, Value::Null))
                .collect();
            events.push(chunk("", json!("stop")));
            if include_usage {
                let u = json!({"id": "cmpl-fake1", "object": "text_completion", "created": 1700000000,
                    "model": model, "choices": [], "usage": usage(7, n as u64)});
                events.push(format!("data: {u}\n\n"));
            }
            events.push("data: [DONE]\n\n".to_owned());
            sse(&b, events, mode, 0)
        }
        "embeddings" => {
            let inputs = match req.get("input") {
                Some(Value::Array(a)) => a.len(),
                _ => 1,
            };
            let base64 = req.get("encoding_format").and_then(Value::as_str) == Some("base64");
            let data: Vec<Value> = (0..inputs)
                .map(|i| {
                    let v = [0.25f32, -0.5, i as f32];
                    let embedding = if base64 {
                        let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
                    } else {
                        json!(v)
                    };
                    json!({"object": "embedding", "index": i, "embedding": embedding})
                })
                .collect();
            axum::Json(json!({"object": "list", "data": data, "model": model,
                "usage": {"prompt_tokens": 4, "total_tokens": 4}}))
            .into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    }
}

async fn anthropic(b: Arc<Behaviour>, headers: HeaderMap, body: Bytes) -> Response {
    let (req, mode) = match intake(&b, "messages", headers, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let n = b.chunks.load(Ordering::SeqCst);
    if req.get("stream").and_then(Value::as_bool) != Some(true) {
        return axum::Json(json!({
            "id": "msg_fake1", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": pieces(&b, n).concat()}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 11, "output_tokens": n},
        }))
        .into_response();
    }
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut events = vec![ev(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_fake1", "type": "message", "role": "assistant",
            "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 11, "output_tokens": 1}}}),
    )];
    if mode == Mode::InStreamOverloaded {
        events.push(ev(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ));
        return sse(&b, events, Mode::Normal, 0);
    }
    events.push(ev(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ));
    events.push(ev("ping", json!({"type": "ping"})));
    let content_start = events.len();
    events.extend(pieces(&b, n).iter().map(|w| {
        ev(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}),
        )
    }));
    events.push(ev(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(ev(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": n}}),
    ));
    events.push(ev("message_stop", json!({"type": "message_stop"})));
    sse(&b, events, mode, content_start)
}
