//! `pilotfish index --embedder remote` and `search` end to end on real loopback sockets: the
//! built `pilotfish` binary talks to the REAL proxy (`proxy::app` with its authenticating edge),
//! served in process in front of a fake OpenAI embeddings upstream defined here. The fake makes
//! deterministic bag-of-words vectors (hashed tokens, deliberately not unit length, so the CLI's
//! normalisation is exercised), counts requests and inputs, records the key it was sent, and
//! can misbehave on demand (429 once, wrong dimension count, `index` fields that do not line up).
//!
//! The proxy's own retries are off (`max_attempts = 1`) and its response cache is disabled, so
//! every retry and every request the fake counts is the CLI's.

mod support;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

const DIMS: usize = 64;
const TOKEN: &str = "pf-cli-test-token";
const PROVIDER_KEY: &str = "sk-fake-provider-key-42";

/// What the fake upstream does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// 429 with `Retry-After: 1` once, then normal.
    RateLimitOnce,
    /// Vectors one dimension short.
    WrongDimensions,
    /// Every item claims `index: 0`.
    SameIndex,
}

#[derive(Debug)]
struct Fake {
    mode: Mutex<Mode>,
    requests: AtomicUsize,
    inputs: AtomicUsize,
    largest_batch: AtomicUsize,
    /// Every `Authorization` header the upstream received.
    auth: Mutex<Vec<String>>,
}

/// A deterministic, not normalised, bag-of-words vector: each lower-cased alphanumeric token adds
/// 2.0 to a hashed dimension, so texts sharing words point the same way.
fn fake_vector(text: &str, dims: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; dims];
    for token in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        let mut h = DefaultHasher::new();
        token.to_ascii_lowercase().hash(&mut h);
        v[(h.finish() % dims as u64) as usize] += 2.0;
    }
    v
}

async fn embeddings(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        fake.auth.lock().unwrap().push(a.to_owned());
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_owned())
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => return (StatusCode::BAD_REQUEST, "input must be text").into_response(),
    };
    let mode = {
        let mut mode = fake.mode.lock().unwrap();
        let now = *mode;
        if now == Mode::RateLimitOnce {
            *mode = Mode::Normal;
        }
        now
    };
    if mode == Mode::RateLimitOnce {
        let body = json!({"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}});
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            Json(body),
        )
            .into_response();
    }
    fake.inputs.fetch_add(inputs.len(), Ordering::SeqCst);
    fake.largest_batch.fetch_max(inputs.len(), Ordering::SeqCst);
    let dims = if mode == Mode::WrongDimensions {
        DIMS - 1
    } else {
        DIMS
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let index = if mode == Mode::SameIndex { 0 } else { i };
            json!({"object": "embedding", "index": index, "embedding": fake_vector(text, dims)})
        })
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": body["model"],
        "usage": {"prompt_tokens": 1, "total_tokens": 1}}),
    )
    .into_response()
}

struct Harness {
    fake: Arc<Fake>,
    proxy_url: String,
    root: PathBuf,
}

/// The fake upstream, the real proxy in front of it (one client, allowed `embed` only) and a
/// scratch project folder.
async fn start(name: &str, mode: Mode) -> Harness {
    let fake = Arc::new(Fake {
        mode: Mutex::new(mode),
        requests: AtomicUsize::new(0),
        inputs: AtomicUsize::new(0),
        largest_batch: AtomicUsize::new(0),
        auth: Mutex::new(Vec::new()),
    });
    let upstream = support::serve(
        Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(fake.clone()),
    )
    .await;
    let proxy_url = support::proxy_in_front_of(
        upstream,
        PROVIDER_KEY,
        &[("embed", "fake-embedding-model"), ("other", "other-model")],
        TOKEN,
        &["embed"],
    )
    .await;
    Harness {
        fake,
        proxy_url,
        root: project(name),
    }
}

/// A scratch folder with a tiny project in `src/`.
fn project(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pilotfish-remote-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let src = root.join("src");
    std::fs::create_dir_all(&src).expect("temp dir");
    std::fs::write(
        src.join("files.py"),
        "def read_json_file(path):\n    \"\"\"Load a JSON document from disk.\"\"\"\n    import json\n    with open(path) as f:\n        return json.load(f)\n",
    )
    .expect("write");
    std::fs::write(src.join("maths.py"), MATHS).expect("write");
    root
}

const MATHS: &str =
    "def add_numbers(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n";

impl Harness {
    /// Runs the built binary in the project folder; `token` becomes PILOTFISH_TOKEN.
    async fn pilotfish(&self, token: Option<&str>, args: &[&str]) -> Output {
        let mut env = vec![("PILOTFISH_REMOTE_URL", self.proxy_url.as_str())];
        env.extend(token.map(|t| ("PILOTFISH_TOKEN", t)));
        support::pilotfish(&self.root, &env, args).await
    }

    async fn index(&self, token: Option<&str>, extra: &[&str]) -> Output {
        let mut args = vec![
            "index",
            "src",
            "--out",
            "index.pf",
            "--quiet",
            "--embedder",
            "remote",
        ];
        args.extend_from_slice(extra);
        self.pilotfish(token, &args).await
    }

    fn requests(&self) -> usize {
        self.fake.requests.load(Ordering::SeqCst)
    }

    fn inputs(&self) -> usize {
        self.fake.inputs.load(Ordering::SeqCst)
    }
}

use support::stderr;

fn assert_fails_with(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(err.trim().lines().count(), 1, "errors are one line: {err}");
    assert!(!err.contains(TOKEN), "the token leaked: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_and_searches_through_the_proxy_and_never_resends_unchanged_chunks() {
    let h = start("roundtrip", Mode::Normal).await;
    let out = h.index(Some(TOKEN), &["--remote-batch", "2"]).await;
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("embedder remote:embed"), "{err}");
    let (requests, inputs) = (h.requests(), h.inputs());
    assert!(inputs >= 3, "three functions at least: {inputs}");
    assert_eq!(requests, inputs.div_ceil(2), "batches of two");
    assert_eq!(h.fake.largest_batch.load(Ordering::SeqCst), 2);
    // The upstream saw the provider key the proxy holds, never the client token.
    let auth = h.fake.auth.lock().unwrap().clone();
    assert!(
        auth.iter().all(|a| a == &format!("Bearer {PROVIDER_KEY}")),
        "{auth:?}"
    );

    // Vector-only search: the query is embedded through the proxy too.
    let out = h
        .pilotfish(
            Some(TOKEN),
            &[
                "search",
                "--index",
                "index.pf",
                "--mode",
                "vector",
                "--json",
                "-k",
                "1",
                "add numbers",
            ],
        )
        .await;
    assert!(out.status.success(), "search failed: {}", stderr(&out));
    let hits: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(hits[0]["path"], "maths.py", "{hits}");
    assert_eq!(hits[0]["qualified_name"], "add_numbers", "{hits}");
    // Normalised vectors: cosine similarity of at most 1.
    let score = hits[0]["score"].as_f64().expect("score");
    assert!(score > 0.0 && score <= 1.0 + 1e-5, "{score}");
    assert_eq!(h.requests(), requests + 1);

    // Re-indexing the unchanged folder sends nothing.
    let out = h.index(Some(TOKEN), &[]).await;
    assert!(out.status.success(), "re-index failed: {}", stderr(&out));
    assert_eq!(h.requests(), requests + 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("0 embedded"), "{}", stderr(&out));

    // Editing one function sends exactly that function again; a deleted file is dropped.
    std::fs::write(
        h.root.join("src/maths.py"),
        MATHS.replace("return a * b", "return b * a"),
    )
    .unwrap();
    std::fs::remove_file(h.root.join("src/files.py")).unwrap();
    let out = h.index(Some(TOKEN), &[]).await;
    assert!(out.status.success(), "re-index failed: {}", stderr(&out));
    assert_eq!(
        h.inputs(),
        inputs + 1 + 1,
        "the search query and one edited chunk"
    );
    assert!(stderr(&out).contains("1 removed"), "{}", stderr(&out));
    assert!(stderr(&out).contains("indexed 1 files"), "{}", stderr(&out));

    // Batch search embeds its queries through the proxy as well.
    std::fs::write(
        h.root.join("queries.jsonl"),
        "{\"id\":1,\"query\":\"multiply\"}\n{\"id\":2,\"query\":\"add numbers\"}\n",
    )
    .unwrap();
    let out = h
        .pilotfish(
            Some(TOKEN),
            &[
                "search",
                "--index",
                "index.pf",
                "--mode",
                "vector",
                "-k",
                "1",
                "--queries",
                "queries.jsonl",
            ],
        )
        .await;
    assert!(
        out.status.success(),
        "batch search failed: {}",
        stderr(&out)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines[0]["results"][0]["qualified_name"], "multiply");
    assert_eq!(lines[1]["results"][0]["qualified_name"], "add_numbers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_token_is_required_and_checked() {
    let h = start("token", Mode::Normal).await;
    let out = h.index(None, &[]).await;
    assert_fails_with(&out, "set PILOTFISH_TOKEN");
    let out = h.index(Some("not-the-token"), &[]).await;
    assert_fails_with(&out, "rejected the client token");
    assert!(!stderr(&out).contains("not-the-token"));
    let out = h.index(Some(TOKEN), &["--remote-model", "other"]).await;
    assert_fails_with(&out, "does not allow model \"other\"");
    assert_eq!(h.requests(), 0, "nothing reached the upstream");
    assert!(!h.root.join("index.pf").exists(), "no index was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_upstream_is_retried_after_its_retry_after() {
    let h = start("ratelimit", Mode::RateLimitOnce).await;
    let started = Instant::now();
    let out = h
        .index(
            Some(TOKEN),
            &["--remote-backoff-ms", "1", "--remote-concurrency", "1"],
        )
        .await;
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    // The 429's `Retry-After: 1` (passed on by the proxy) was waited for, not the 1 ms backoff.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        stderr(&out).contains("embedder remote:embed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(h.requests(), 2, "one 429, then the batch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_are_clear_errors_and_write_nothing() {
    let h = start("dims", Mode::WrongDimensions).await;
    let out = h
        .index(Some(TOKEN), &["--remote-dimensions", &DIMS.to_string()])
        .await;
    assert_fails_with(
        &out,
        "returned a 63-dimensional embedding, expected 64 dimensions",
    );
    assert!(!h.root.join("index.pf").exists());

    let h = start("index", Mode::SameIndex).await;
    let out = h.index(Some(TOKEN), &[]).await;
    assert_fails_with(&out, "`index` fields do not line up");
    assert!(!h.root.join("index.pf").exists());
}

#[test]
fn unreachable_endpoints_fail_after_the_retries() {
    // A port nothing listens on: bind, note the port, close.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let root = project("unreachable");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pilotfish"))
        .current_dir(&root)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("PILOTFISH_TOKEN", TOKEN)
        .args([
            "index",
            "src",
            "--out",
            "index.pf",
            "--quiet",
            "--embedder",
            "remote",
            "--remote-url",
            &format!("http://{addr}"),
            "--remote-attempts",
            "2",
            "--remote-backoff-ms",
            "1",
        ])
        .output()
        .unwrap();
    assert_fails_with(&out, "failed after 2 attempt(s)");
    assert!(!Path::new(&root.join("index.pf")).exists());
}
