//! Faults on the request path, over real sockets: bounded retries on 5xx, Retry-After, fallbacks
//! only before the first byte, a clean error event when the upstream drops mid-stream, prompt
//! cancellation of the upstream when the client goes away, and timeouts instead of hangs.

mod support;

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use support::{
    FakeUpstream, Mode, Proxy, config_toml, load_config, sse_data, sse_text, start_pair,
};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

async fn post(proxy: &Proxy, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(proxy.url("/v1/chat/completions"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A proxy whose alias `sturdy` (on `primary`) falls back to `backup-chat` (on `backup`).
async fn start_with_fallback() -> (FakeUpstream, FakeUpstream, Proxy) {
    let primary = FakeUpstream::start().await;
    let backup = FakeUpstream::start().await;
    let extra = format!(
        r#"
[[providers]]
name = "backup"
kind = "openai-compatible"
base_url = "{}"
[[models]]
alias = "sturdy"
provider = "openai"
model = "primary-model"
fallbacks = ["backup-chat"]
[[models]]
alias = "backup-chat"
provider = "backup"
model = "backup-model"
"#,
        backup.v1()
    );
    let proxy = Proxy::start(load_config(&config_toml(&primary, &extra))).await;
    (primary, backup, proxy)
}

#[tokio::test]
async fn persistent_500_gets_exactly_max_attempts() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set(Mode::Status {
        code: 500,
        retry_after: None,
    });
    for stream in [false, true] {
        let before = fake.behaviour.hits();
        let res = post(&proxy, &chat("chat", stream)).await;
        assert_eq!(res.status(), 502);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["type"], "upstream_error");
        assert!(
            !body.to_string().contains("127.0.0.1"),
            "no upstream URL in {body}"
        );
        assert_eq!(fake.behaviour.hits() - before, 3);
    }
}

#[tokio::test]
async fn transient_errors_are_retried_to_success() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set_for(
        2,
        Mode::Status {
            code: 503,
            retry_after: None,
        },
    );
    let res = post(&proxy, &chat("chat", true)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        sse_text(&sse_data(&res.text().await.unwrap())),
        "w0 w1 w2 w3 w4 "
    );
    assert_eq!(fake.behaviour.hits(), 3);
}

#[tokio::test]
async fn upstream_429_honours_a_short_retry_after_and_passes_a_long_one_on() {
    let (fake, proxy) = start_pair("").await;
    // Retry-After 0 fits under max_backoff_ms: retried.
    fake.behaviour.set_for(
        1,
        Mode::Status {
            code: 429,
            retry_after: Some(0),
        },
    );
    assert_eq!(post(&proxy, &chat("chat", false)).await.status(), 200);
    assert_eq!(fake.behaviour.hits(), 2);
    // Retry-After 30 s is longer than max_backoff_ms: no retry, the client gets it.
    fake.behaviour.set(Mode::Status {
        code: 429,
        retry_after: Some(30),
    });
    let res = post(&proxy, &chat("chat", false)).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
    assert_eq!(fake.behaviour.hits(), 3);
}

#[tokio::test]
async fn fallback_is_used_before_the_first_byte() {
    let (primary, backup, proxy) = start_with_fallback().await;
    primary.behaviour.set(Mode::Status {
        code: 500,
        retry_after: None,
    });
    let res = post(&proxy, &chat("sturdy", true)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        sse_text(&sse_data(&res.text().await.unwrap())),
        "w0 w1 w2 w3 w4 "
    );
    assert_eq!(primary.behaviour.hits(), 3);
    assert_eq!(backup.behaviour.hits(), 1);
    assert_eq!(backup.behaviour.seen()[0].body["model"], "backup-model");
}

#[tokio::test]
async fn drop_mid_stream_ends_with_an_error_event_and_no_fallback() {
    let (primary, backup, proxy) = start_with_fallback().await;
    primary.behaviour.set(Mode::DropAfter(2));
    let res = post(&proxy, &chat("sturdy", true)).await;
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(
        sse_text(&data),
        "w0 w1 ",
        "{data:?} primary={} backup={}",
        primary.behaviour.hits(),
        backup.behaviour.hits()
    );
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "upstream_disconnected");
    assert!(!data.iter().any(|d| d == "[DONE]"));
    assert_eq!(primary.behaviour.hits(), 1, "no retry after the first byte");
    assert_eq!(
        backup.behaviour.hits(),
        0,
        "no fallback after the first byte"
    );
}

#[tokio::test]
async fn client_abort_cancels_the_upstream_within_a_second() {
    let (fake, proxy) = start_pair("").await;
    // The upstream sends two chunks, then holds the stream open.
    fake.behaviour.set(Mode::StallAfter(2));
    let res = post(&proxy, &chat("chat", true)).await;
    let mut body = res.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("data:"));
    assert_eq!(fake.behaviour.cancellations(), 0);
    drop(body);
    tokio::time::timeout(Duration::from_secs(1), fake.behaviour.cancelled())
        .await
        .expect("upstream saw the cancellation within 1 s");
    assert_eq!(fake.behaviour.cancellations(), 1);
}

#[tokio::test]
async fn client_abort_before_headers_cancels_the_upstream() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set(Mode::Stall);
    let proxy_url = proxy.url("/v1/chat/completions");
    let request = tokio::spawn(async move {
        reqwest::Client::new()
            .post(proxy_url)
            .json(&chat("chat", false))
            .send()
            .await
    });
    // Wait until the upstream has the request, then abort the client.
    while fake.behaviour.hits() == 0 {
        tokio::task::yield_now().await;
    }
    request.abort();
    tokio::time::timeout(Duration::from_secs(1), fake.behaviour.cancelled())
        .await
        .expect("upstream saw the cancellation within 1 s");
}

#[tokio::test]
async fn stall_before_first_byte_is_a_timeout_error() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set(Mode::Stall);
    for stream in [false, true] {
        let res = post(&proxy, &chat("chat", stream)).await;
        assert_eq!(res.status(), 504);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "upstream_timeout");
    }
    // Slow headers beyond first_byte_timeout_ms are the same.
    fake.behaviour
        .set(Mode::SlowHeaders(Duration::from_secs(5)));
    assert_eq!(post(&proxy, &chat("chat", true)).await.status(), 504);
}

#[tokio::test]
async fn stall_mid_stream_hits_the_idle_timeout() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set(Mode::StallAfter(3));
    let res = post(&proxy, &chat("chat", true)).await;
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(sse_text(&data), "w0 w1 w2 ");
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "upstream_timeout");
    // The stalled upstream request is released, not leaked.
    tokio::time::timeout(Duration::from_secs(1), fake.behaviour.cancelled())
        .await
        .expect("upstream released");
}

#[tokio::test]
async fn a_trickling_request_body_times_out_without_an_upstream_hit() {
    let (fake, proxy) = start_pair("").await;
    let first = futures::stream::iter([Ok::<_, std::io::Error>(b"{\"model\":".to_vec())]);
    let body = reqwest::Body::wrap_stream(first.chain(futures::stream::pending()));
    let res = reqwest::Client::new()
        .post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 408);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "request_timeout");
    assert_eq!(fake.behaviour.hits(), 0);
}

/// Log lines captured from the proxy's tasks. The test runs on tokio's current-thread runtime,
/// so the proxy and the fake are polled on this thread, under this thread's default subscriber.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// `(level, line)` of every JSON line so far.
    fn lines(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (v["level"].as_str().unwrap().to_owned(), l.to_owned())
            })
            .collect()
    }
}

/// Upstream error text can echo the prompt: it is logged at debug only, and the client gets the
/// upstream's structured `error.message` for its own bad request, our own words otherwise.
#[tokio::test]
async fn upstream_error_text_stays_out_of_warn_logs_and_unstructured_text_out_of_answers() {
    const MARKER: &str = "PROMPT-ECHO-5e1d";
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("proxy=debug")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (fake, proxy) = start_pair("").await;
    let structured = |code: u16| Mode::ErrorBody {
        code,
        body: json!({"error": {"message": format!("bad input near '{MARKER}'"),
            "type": "invalid_request_error", "code": "bad_input"}})
        .to_string(),
    };
    let raw = |code: u16| Mode::ErrorBody {
        code,
        body: format!("<html>upstream echoed {MARKER}</html>"),
    };
    // (mode, stream, client status, whether the client may see the marker)
    let cases = [
        (structured(400), false, 400, true),
        (structured(400), true, 400, true),
        (raw(400), false, 400, false),
        (structured(500), false, 502, false),
        (raw(503), true, 502, false),
    ];
    for (mode, stream, status, shows_marker) in cases {
        fake.behaviour.set(mode.clone());
        let res = post(&proxy, &chat("chat", stream)).await;
        assert_eq!(res.status().as_u16(), status, "{mode:?}");
        let body: Value = res.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(body["error"]["type"].is_string(), "{body}");
        assert_eq!(message.contains(MARKER), shows_marker, "{mode:?}: {body}");
        assert!(!message.contains("<html>"), "{body}");
    }
    let lines = logs.lines();
    let loud: Vec<&String> = lines
        .iter()
        .filter(|(level, _)| level != "DEBUG" && level != "TRACE")
        .map(|(_, l)| l)
        .collect();
    assert!(
        loud.iter().any(|l| l.contains("HTTP 500")),
        "the failure is still logged: {loud:#?}"
    );
    for l in &loud {
        assert!(!l.contains(MARKER), "upstream text at info or above: {l}");
    }
    assert!(
        lines
            .iter()
            .any(|(level, l)| level == "DEBUG" && l.contains(MARKER)),
        "the detail is still there at debug"
    );
}
