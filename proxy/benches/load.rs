//! Load generator for the proxy (the release binary, spawned as a child process) against a
//! fake upstream on loopback with a fixed 50 ms first byte.
//!
//! Measures, in one run:
//! 1. proxy overhead: p50/p99 latency of non-streaming chat calls via the proxy vs. directly to
//!    the fake, interleaved one by one so both see the same machine state; in the plain set-up
//!    (no cache, no limits) with a short and a 100 KB prompt, with the response cache on (every
//!    request a miss, and every request a hit), and with rate limits and a budget kept in a real
//!    `redis-server` (`tests/support/redis_server.rs`, as the Redis tests start it);
//! 2. requests/s through the proxy at 64 concurrent connections (and directly, for reference);
//! 3. 1,000 concurrent streams held open (the fake paces each stream over ~2 s), errors, and
//!    the proxy's peak resident memory (`VmHWM` from `/proc/<pid>/status`).
//!
//! The fake here is deliberately tiny and local to the bench: the test-suite fake
//! (`tests/support`) sends a stream's chunks back to back, while holding 1,000 streams open at
//! once needs paced chunks. Run: `cargo bench -p pilotfish-proxy --bench load`
//! (`LOAD_QUICK=1` for a short smoke run). Prints a Markdown table.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

// The tests' own Redis starter; the bench uses only `start_redis`.
#[allow(dead_code)]
#[path = "../tests/support/redis_server.rs"]
mod redis_server;

const FIRST_BYTE: Duration = Duration::from_millis(50);
const STREAM_CHUNKS: usize = 10;
const CHUNK_GAP: Duration = Duration::from_millis(200);
const TOKEN: &str = "pf-bench-token";

#[derive(Default)]
struct Fake {
    open_streams: AtomicUsize,
    max_open_streams: AtomicUsize,
}

/// Decrements the open-stream count however the stream ends.
struct OpenGuard(Arc<Fake>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn fake_chat(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
    tokio::time::sleep(FIRST_BYTE).await;
    if body["stream"] != json!(true) {
        return Json(json!({"id": "b", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello from the fake"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}}))
        .into_response();
    }
    let now = fake.open_streams.fetch_add(1, Ordering::SeqCst) + 1;
    fake.max_open_streams.fetch_max(now, Ordering::SeqCst);
    let guard = OpenGuard(fake.clone());
    let events = futures::stream::unfold(0usize, move |i| async move {
        if i > STREAM_CHUNKS {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(CHUNK_GAP).await;
        }
        let line = if i == STREAM_CHUNKS {
            "data: [DONE]\n\n".to_owned()
        } else {
            let c = json!({"id": "b", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}, "finish_reason": null}]});
            format!("data: {c}\n\n")
        };
        Some((Ok::<_, std::io::Error>(line), i + 1))
    })
    .chain(futures::stream::once(async move {
        drop(guard);
        Ok(String::new())
    }));
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(events),
    )
        .into_response()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn call(http: &reqwest::Client, url: &str, body: &Value) -> Result<Duration, String> {
    let t = Instant::now();
    let res = http
        .post(url)
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("status {}", res.status()));
    }
    res.bytes().await.map_err(|e| e.to_string())?;
    Ok(t.elapsed())
}

/// Requests completed by `conns` workers looping for `dur`, and errors.
async fn throughput(
    http: &reqwest::Client,
    url: &str,
    conns: usize,
    dur: Duration,
) -> (f64, usize) {
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]});
    let ok = Arc::new(AtomicUsize::new(0));
    let err = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let (http, url, body, ok, err) = (
                http.clone(),
                url.to_owned(),
                body.clone(),
                ok.clone(),
                err.clone(),
            );
            tokio::spawn(async move {
                while start.elapsed() < dur {
                    match call(&http, &url, &body).await {
                        Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(_) => err.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed) as f64 / secs,
        err.load(Ordering::Relaxed),
    )
}

fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A release `pilotfish-proxy` child process in front of the fake, killed when dropped.
struct Proxy {
    /// Held for its `kill_on_drop`.
    _child: Child,
    pid: u32,
    url: String,
}

impl Proxy {
    /// Starts the proxy with `cache` as its `[cache]` table and `client_limits` added to its one
    /// client, and waits for its "api listening" log line.
    async fn start(
        dir: &std::path::Path,
        name: &str,
        upstream: std::net::SocketAddr,
        cache: &str,
        client_limits: &str,
    ) -> Proxy {
        let config = format!(
            r#"listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[limits]
idle_timeout_ms = 30000
{cache}
[logging]
level = "info"
[[providers]]
name = "fake"
kind = "openai-compatible"
base_url = "http://{upstream}/v1"
[[models]]
alias = "chat"
provider = "fake"
model = "fake-model"
input_usd_per_mtok = 0.15
output_usd_per_mtok = 0.60
[[clients]]
name = "bench"
token_sha256 = "{}"
models = ["chat"]
{client_limits}
"#,
            proxy::edge::auth::token_sha256_hex(TOKEN)
        );
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pilotfish-proxy"))
            .arg("--config")
            .arg(&path)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut api = None;
        while api.is_none() {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("proxy exited during start");
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["fields"]["message"] == "api listening" {
                api = v["fields"]["addr"].as_str().map(str::to_owned);
            }
        }
        // Keep draining the access log (one line per request), as a deployment would.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Proxy {
            _child: child,
            pid,
            url: format!("http://{}/v1/chat/completions", api.unwrap()),
        }
    }
}

/// Latency percentiles of one set-up: p50 and p99 directly to the fake and via the proxy.
struct Overhead {
    label: String,
    samples: usize,
    direct: (Duration, Duration),
    proxy: (Duration, Duration),
}

/// Interleaves `samples` calls directly and via the proxy, one at a time, after a warm-up;
/// `body(i)` is the i-th request body (the same for both sides).
async fn overhead(
    http: &reqwest::Client,
    label: &str,
    direct: &str,
    via_proxy: &str,
    samples: usize,
    body: impl Fn(usize) -> Value,
) -> Overhead {
    for i in 0..20 {
        call(http, direct, &body(i)).await.unwrap();
        call(http, via_proxy, &body(i)).await.unwrap();
    }
    let (mut d, mut p) = (Vec::new(), Vec::new());
    for i in 20..20 + samples {
        let body = body(i);
        d.push(call(http, direct, &body).await.unwrap());
        p.push(call(http, via_proxy, &body).await.unwrap());
    }
    d.sort();
    p.sort();
    Overhead {
        label: label.to_owned(),
        samples,
        direct: (percentile(&d, 0.5), percentile(&d, 0.99)),
        proxy: (percentile(&p, 0.5), percentile(&p, 0.99)),
    }
}

/// `b - a` in milliseconds, signed (a cache hit is faster than the upstream).
fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:.2}", (b.as_secs_f64() - a.as_secs_f64()) * 1000.0)
}

/// A prompt of about `bytes` bytes: source-like lines, so the JSON is what an IDE sends.
fn prompt_of(bytes: usize) -> String {
    let line = "    total = compute_total(order.items, tax_rate=0.2)  # keep the running sum\n";
    line.repeat(bytes / line.len() + 1)[..bytes].to_owned()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = std::env::var_os("LOAD_QUICK").is_some();
    let (samples, rps_dur, streams) = if quick {
        (50, Duration::from_secs(2), 100)
    } else {
        (1000, Duration::from_secs(10), 1000)
    };
    // The set-ups added for issue 14 take half as many samples each, to keep the run short.
    let extra_samples = samples / 2;

    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(fake_chat))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let plain = Proxy::start(
        dir.path(),
        "plain",
        upstream,
        "[cache]\nenabled = false",
        "",
    )
    .await;
    let pid = plain.pid;
    let via_proxy = plain.url.clone();
    let direct = format!("http://{upstream}/v1/chat/completions");

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2048)
        .build()
        .unwrap();
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "hello"}]});

    // 1. Overhead, interleaved one request at a time, per set-up.
    let mut rows = vec![
        overhead(
            &http,
            "plain (no cache, no limits), short prompt",
            &direct,
            &via_proxy,
            samples,
            |_| body.clone(),
        )
        .await,
    ];
    let big = prompt_of(100 * 1024);
    rows.push(
        overhead(
            &http,
            "plain, 100 KB prompt",
            &direct,
            &via_proxy,
            extra_samples,
            |_| json!({"model": "chat", "messages": [{"role": "user", "content": big}]}),
        )
        .await,
    );
    let cached = Proxy::start(dir.path(), "cache", upstream, "[cache]\nenabled = true", "").await;
    // Temperature 0 is what the cache stores; a counter in the prompt makes every call a miss.
    rows.push(
        overhead(
            &http,
            "response cache on (memory), every request a miss",
            &direct,
            &cached.url,
            extra_samples,
            |i| json!({"model": "chat", "temperature": 0, "messages": [{"role": "user", "content": format!("hello {i}")}]}),
        )
        .await,
    );
    rows.push(
        overhead(
            &http,
            "response cache on (memory), every request a hit",
            &direct,
            &cached.url,
            extra_samples,
            |_| json!({"model": "chat", "temperature": 0, "messages": [{"role": "user", "content": "hello"}]}),
        )
        .await,
    );
    drop(cached);
    let redis = redis_server::start_redis().await;
    let limited = Proxy::start(
        dir.path(),
        "redis",
        upstream,
        &format!("[cache]\nenabled = false\nredis_url = \"{}\"", redis.url),
        "rpm = 1000000\ntpm = 1000000000\ndaily_budget_usd = 1000000.0",
    )
    .await;
    rows.push(
        overhead(
            &http,
            "rpm, tpm and daily budget kept in Redis (cache off)",
            &direct,
            &limited.url,
            extra_samples,
            |_| body.clone(),
        )
        .await,
    );
    drop(limited);
    let shared = Proxy::start(
        dir.path(),
        "redis-cache",
        upstream,
        &format!("[cache]\nenabled = true\nredis_url = \"{}\"", redis.url),
        "rpm = 1000000\ntpm = 1000000000\ndaily_budget_usd = 1000000.0",
    )
    .await;
    rows.push(
        overhead(
            &http,
            "limits and response cache in Redis, every request a hit",
            &direct,
            &shared.url,
            extra_samples,
            |_| json!({"model": "chat", "temperature": 0, "messages": [{"role": "user", "content": "hello from redis"}]}),
        )
        .await,
    );
    drop(shared);
    drop(redis);

    // 2. Throughput at 64 connections.
    let (rps_direct, err_direct) = throughput(&http, &direct, 64, rps_dur).await;
    let (rps_proxy, err_proxy) = throughput(&http, &via_proxy, 64, rps_dur).await;

    // 3. Concurrent streams.
    let stream_body = json!({"model": "chat", "stream": true,
        "messages": [{"role": "user", "content": "stream please"}]});
    let started = Instant::now();
    let tasks: Vec<_> = (0..streams)
        .map(|_| {
            let (http, url, body) = (http.clone(), via_proxy.clone(), stream_body.clone());
            tokio::spawn(async move {
                let res = http
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !res.status().is_success() {
                    return Err(format!("status {}", res.status()));
                }
                let text = res.text().await.map_err(|e| e.to_string())?;
                let chunks = text.matches("\"content\":\"tok").count();
                if chunks == STREAM_CHUNKS && text.trim_end().ends_with("data: [DONE]") {
                    Ok(())
                } else {
                    Err(format!("incomplete stream: {chunks} chunks"))
                }
            })
        })
        .collect();
    let mut stream_errors = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            stream_errors.push(e);
        }
    }
    let stream_secs = started.elapsed().as_secs_f64();
    let hwm_kb = proc_status_kb(pid, "VmHWM:");
    let rss_kb = proc_status_kb(pid, "VmRSS:");
    drop(plain);

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    println!(
        "machine: {cpu}, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "fake upstream first byte: {} ms; samples: {samples}; quick: {quick}",
        FIRST_BYTE.as_millis()
    );
    println!();
    println!(
        "| set-up | samples | direct p50 (ms) | via proxy p50 (ms) | overhead p50 (ms) | direct p99 (ms) | via proxy p99 (ms) | overhead p99 (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | **{}** | {} | {} | **{}** |",
            r.label,
            r.samples,
            ms(r.direct.0),
            ms(r.proxy.0),
            signed_ms(r.direct.0, r.proxy.0),
            ms(r.direct.1),
            ms(r.proxy.1),
            signed_ms(r.direct.1, r.proxy.1)
        );
    }
    println!();
    println!("| measure | direct to fake | via proxy |");
    println!("|---|---|---|");
    println!(
        "| requests/s at 64 connections ({} s) | {rps_direct:.0} ({err_direct} errors) | {rps_proxy:.0} ({err_proxy} errors) |",
        rps_dur.as_secs()
    );
    println!();
    println!(
        "| concurrent streams | held at once (upstream max) | errors | wall time (s) | proxy VmHWM (MiB) | proxy VmRSS after (MiB) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {streams} | {} | {} | {stream_secs:.2} | {:.1} | {:.1} |",
        fake.max_open_streams.load(Ordering::SeqCst),
        stream_errors.len(),
        hwm_kb as f64 / 1024.0,
        rss_kb as f64 / 1024.0
    );
    if let Some(e) = stream_errors.first() {
        println!("first stream error: {e}");
    }
}
