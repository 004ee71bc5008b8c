//! `pilotfish complete` and `pilotfish chat` end to end on real loopback sockets: the built
//! binary talks to the REAL proxy (`proxy::app` with its authenticating edge), served in process
//! in front of a fake OpenAI upstream defined here that streams SSE chunk by chunk, records what
//! it was sent, notices when its stream is dropped, and can fail mid-stream.
//!
//! What must hold: the completion is cut at the end of its line and the upstream's stream is
//! dropped long before it would have ended (the connection was closed, so generation stops); the
//! chat answer streams to stdout whole, and the upstream received the question and the imported
//! definition under the provider key; a failure mid-stream is a one-line error, never text.

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

const TOKEN: &str = "pf-cli-complete-token";
const PROVIDER_KEY: &str = "sk-fake-provider-key-77";
/// The stream's filler after the useful line: far more than any test waits for.
const FILLER_CHUNKS: usize = 80;

/// What the fake streams next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The useful text, then filler lines one every 25 ms.
    Normal,
    /// Two chunks of text, a pause (so the proxy has relayed them and committed to the stream),
    /// then the connection breaks.
    BreakMidStream,
}

#[derive(Debug)]
struct Fake {
    mode: Mutex<Mode>,
    /// Request bodies, in order.
    bodies: Mutex<Vec<Value>>,
    auth: Mutex<Vec<String>>,
    /// Chunks written to the last stream.
    sent: Arc<AtomicUsize>,
    /// The last stream was dropped by its reader before it ended.
    dropped: Arc<AtomicBool>,
}

/// Sets `dropped` when the response stream is dropped before its last chunk.
struct DropGuard {
    dropped: Arc<AtomicBool>,
    finished: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }
}

fn chunk(path: &str, text: &str) -> Bytes {
    let value = if path.ends_with("chat/completions") {
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake",
               "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    } else {
        json!({"id": "c1", "object": "text_completion", "created": 1, "model": "fake",
               "choices": [{"index": 0, "text": text, "finish_reason": null}]})
    };
    Bytes::from(format!("data: {value}\n\n"))
}

fn finish_chunk(path: &str) -> Bytes {
    let choice = if path.ends_with("chat/completions") {
        json!({"index": 0, "delta": {}, "finish_reason": "stop"})
    } else {
        json!({"index": 0, "text": "", "finish_reason": "stop"})
    };
    let value = json!({"id": "c1", "object": "chunk", "created": 1, "model": "fake",
        "choices": [choice], "usage": {"prompt_tokens": 321, "completion_tokens": 9, "total_tokens": 330}});
    Bytes::from(format!("data: {value}\n\ndata: [DONE]\n\n"))
}

async fn stream_answer(
    State(fake): State<Arc<Fake>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        fake.auth.lock().unwrap().push(a.to_owned());
    }
    fake.bodies.lock().unwrap().push(body);
    let path = uri.path().to_string();
    let mode = *fake.mode.lock().unwrap();
    let useful: Vec<&str> = if path.ends_with("chat/completions") {
        vec![
            "The settings come ",
            "from `load_config` ",
            "in app/config.py:4.",
        ]
    } else {
        vec!["load_con", "fig(path)\n", "    print(settings)\n"]
    };
    fake.sent.store(0, Ordering::SeqCst);
    fake.dropped.store(false, Ordering::SeqCst);
    let guard = DropGuard {
        dropped: fake.dropped.clone(),
        finished: false,
    };
    let sent = fake.sent.clone();
    let total = useful.len() + FILLER_CHUNKS;
    let stream = futures::stream::unfold((0usize, guard), move |(i, mut guard)| {
        let (path, sent) = (path.clone(), sent.clone());
        let useful = useful.clone();
        async move {
            let item: Result<Bytes, std::io::Error> = match (mode, i) {
                (Mode::BreakMidStream, 2) => {
                    // Pending once makes hyper flush the two chunks before the connection breaks.
                    tokio::task::yield_now().await;
                    guard.finished = true;
                    Err(std::io::Error::other("upstream died"))
                }
                (Mode::BreakMidStream, 3..) => return None,
                (_, i) if i < useful.len() => Ok(chunk(&path, useful[i])),
                (_, i) if i < total => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                    Ok(chunk(&path, "    filler = 1\n"))
                }
                (_, i) if i == total => {
                    guard.finished = true;
                    Ok(finish_chunk(&path))
                }
                _ => return None,
            };
            sent.fetch_add(1, Ordering::SeqCst);
            Some((item, (i + 1, guard)))
        }
    });
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

struct Harness {
    fake: Arc<Fake>,
    proxy_url: String,
    root: PathBuf,
}

async fn start(name: &str) -> Harness {
    let fake = Arc::new(Fake {
        mode: Mutex::new(Mode::Normal),
        bodies: Mutex::new(Vec::new()),
        auth: Mutex::new(Vec::new()),
        sent: Arc::new(AtomicUsize::new(0)),
        dropped: Arc::new(AtomicBool::new(false)),
    });
    let upstream = support::serve(
        Router::new()
            .route("/v1/completions", post(stream_answer))
            .route("/v1/chat/completions", post(stream_answer))
            .with_state(fake.clone()),
    )
    .await;
    let proxy_url = support::proxy_in_front_of(
        upstream,
        PROVIDER_KEY,
        &[("autocomplete", "fake-coder"), ("chat", "fake-chat")],
        TOKEN,
        &["autocomplete", "chat"],
    )
    .await;
    let harness = Harness {
        fake,
        proxy_url,
        root: project(name),
    };
    let out = harness
        .pilotfish(
            None,
            &[
                "index",
                ".",
                "--out",
                "index.pf",
                "--quiet",
                "--embedder",
                "hashed",
            ],
        )
        .await;
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    harness
}

/// `app/main.py` imports `load_config` from `app/config.py`; the cursor goes after `settings = `.
fn project(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pilotfish-ask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("app")).expect("temp dir");
    std::fs::write(
        root.join("app/config.py"),
        "import json\n\n\ndef load_config(path):\n    \"\"\"Read the settings file the service starts with.\"\"\"\n    with open(path) as handle:\n        return json.load(handle)\n",
    )
    .expect("write");
    std::fs::write(
        root.join("app/main.py"),
        "from app.config import load_config\n\n\ndef start(path):\n    settings = \n    return settings\n",
    )
    .expect("write");
    root
}

impl Harness {
    async fn pilotfish(&self, token: Option<&str>, args: &[&str]) -> Output {
        let mut env = vec![("PILOTFISH_PROXY_URL", self.proxy_url.as_str())];
        env.extend(token.map(|t| ("PILOTFISH_TOKEN", t)));
        support::pilotfish(&self.root, &env, args).await
    }

    fn last_body(&self) -> Value {
        self.fake
            .bodies
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }

    /// Waits (bounded) for the upstream's stream to be dropped by the proxy.
    async fn stream_dropped(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.fake.dropped.load(Ordering::SeqCst) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

use support::stderr;

const CURSOR: [&str; 6] = [
    "--index",
    "index.pf",
    "--file",
    "app/main.py",
    "--at",
    "5:16",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_stops_at_the_end_of_its_line_and_the_upstream_stream_is_dropped() {
    let h = start("complete").await;
    let mut args = vec!["complete", "--json"];
    args.extend_from_slice(&CURSOR);
    let out = h.pilotfish(Some(TOKEN), &args).await;
    assert!(out.status.success(), "complete failed: {}", stderr(&out));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(
        answer["suggestion"]["text"], "load_config(path)",
        "{answer:#}"
    );
    assert_eq!(answer["suggestion"]["mode"], "single");
    assert_eq!(answer["suggestion"]["stop"], "end_of_line");
    assert_eq!(answer["stream"]["stopped_early"], true);

    // The request was a FIM prompt with the imported definition, for the routing alias.
    let body = h.last_body();
    assert_eq!(body["model"], "fake-coder", "the proxy resolved the alias");
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(prompt.contains("<|fim_prefix|>") && prompt.contains("<|fim_middle|>"));
    assert!(prompt.contains("Read the settings file the service starts with."));
    assert_eq!(body["stream"], true);

    // Closing the connection reached the upstream: its stream was dropped, unfinished.
    assert!(h.stream_dropped().await, "the upstream never saw the abort");
    let sent = h.fake.sent.load(Ordering::SeqCst);
    assert!(sent < FILLER_CHUNKS / 2, "{sent} chunks were generated");
    let auth = h.fake.auth.lock().unwrap().clone();
    assert!(
        auth.iter().all(|a| a == &format!("Bearer {PROVIDER_KEY}")),
        "{auth:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_the_whole_answer_and_sends_the_question_with_its_context() {
    let h = start("chat").await;
    let mut args = vec!["chat", "Where do the settings come from?"];
    args.extend_from_slice(&CURSOR);
    let out = h.pilotfish(Some(TOKEN), &args).await;
    assert!(out.status.success(), "chat failed: {}", stderr(&out));
    let filler = "    filler = 1\n".repeat(FILLER_CHUNKS);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("The settings come from `load_config` in app/config.py:4.{filler}\n")
    );
    let err = stderr(&out);
    assert!(err.contains("321 prompt tokens"), "usage reported: {err}");
    assert!(err.contains("app/config.py:4-7"), "context listed: {err}");

    let body = h.last_body();
    assert_eq!(body["model"], "fake-chat");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "system");
    let all: String = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(all.contains("Where do the settings come from?"));
    assert!(all.contains("Read the settings file the service starts with."));
    assert!(!all.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_breaks_is_a_one_line_error_not_text() {
    let h = start("broken").await;
    *h.fake.mode.lock().unwrap() = Mode::BreakMidStream;
    let mut args = vec!["chat", "Where do the settings come from?"];
    args.extend_from_slice(&CURSOR);
    let out = h.pilotfish(Some(TOKEN), &args).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("stream failed"), "{err}");
    // What arrived before the break was streamed; the error is not appended to it as text.
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text, "The settings come from `load_config` ", "{err}");
    assert!(!err.contains(TOKEN) && !err.contains(PROVIDER_KEY), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_proxy_refuses_and_the_error_says_what_to_set() {
    let h = start("no-token").await;
    let mut args = vec!["complete"];
    args.extend_from_slice(&CURSOR);
    let out = h.pilotfish(None, &args).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("401") && err.contains("PILOTFISH_TOKEN"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        h.fake.bodies.lock().unwrap().is_empty(),
        "the upstream was called"
    );
}
