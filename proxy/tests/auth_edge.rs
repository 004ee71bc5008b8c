//! Edge scenarios over real loopback sockets, in process: authentication (401 with zero
//! upstream hits, 403 for other models), CORS preflights, the SSRF guard (400 and zero
//! connections to a decoy listener), rate limits (429 + Retry-After), budgets, the response
//! cache (JSON and SSE replay) and the admin metrics listener.
//!
//! Time comes from a `ManualClock`, so window edges are crossed without sleeping. The upstream
//! is a minimal OpenAI-wire server defined here that counts hits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use proxy::edge::store::{ManualClock, MemoryStore};
use proxy::{AppState, Config};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const TOKEN: &str = "pf-test-token-alpha";
const POOR_TOKEN: &str = "pf-test-token-poor";
/// 12:00:30 on some UTC day: 30 s before the minute window ends.
const T0: u64 = 20_000 * 86_400_000 + 12 * 3_600_000 + 30_000;

/// Counts hits; answers chat completions (JSON or SSE) with fixed usage.
async fn fake_chat(State(hits): State<Arc<AtomicUsize>>, Json(body): Json<Value>) -> Response {
    let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
    let content = format!("answer {n}");
    if body["stream"] == json!(true) {
        let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": null}]});
        let last = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}});
        let sse = format!("data: {chunk}\n\ndata: {last}\n\ndata: [DONE]\n\n");
        return ([("content-type", "text/event-stream")], sse).into_response();
    }
    Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}))
    .into_response()
}

async fn serve(router: axum::Router) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    // With connect info, as the binary serves: the refusal limit is keyed by peer address.
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    addr
}

struct Harness {
    base: String,
    admin: String,
    hits: Arc<AtomicUsize>,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
}

async fn start() -> Harness {
    let hits = Arc::new(AtomicUsize::new(0));
    let upstream = serve(
        axum::Router::new()
            .route("/v1/chat/completions", post(fake_chat))
            .with_state(hits.clone()),
    )
    .await;
    let config = format!(
        r#"
[limits]
refused_per_minute = 5
[cors]
origins = ["http://localhost:*", "https://*.vscode-cdn.net"]
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
[[models]]
alias = "secret"
provider = "fake"
model = "other"
[[clients]]
name = "alpha"
token_sha256 = "{}"
models = ["chat"]
rpm = 3
[[clients]]
name = "poor"
token_sha256 = "{}"
models = ["chat"]
daily_budget_usd = 0.000002
"#,
        token_sha256_hex(TOKEN),
        token_sha256_hex(POOR_TOKEN)
    );
    let config = Config::from_toml(&config, |_| None).unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let edge =
        ProxyEdge::with_parts(&config, Arc::new(MemoryStore::new(100)), clock.clone()).unwrap();
    let admin = serve(proxy::edge::metrics::admin_router(edge.metrics())).await;
    let state = AppState::with_edge(config, Arc::new(edge)).unwrap();
    let api = serve(proxy::app(state)).await;
    Harness {
        base: format!("http://{api}"),
        admin: format!("http://{admin}"),
        hits,
        clock,
        http: reqwest::Client::new(),
    }
}

fn chat(extra: Value) -> Value {
    let mut body = json!({"model": "chat", "messages": [{"role": "user", "content": "hello"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

impl Harness {
    async fn post(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/v1/chat/completions", self.base))
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_and_never_reach_the_upstream() {
    let h = start().await;
    let body = chat(json!({}));
    assert_eq!(
        error_code(h.post(None, &body).await).await,
        (401, "invalid_api_key".into())
    );
    assert_eq!(
        error_code(h.post(Some("wrong"), &body).await).await,
        (401, "invalid_api_key".into())
    );
    let models = h
        .http
        .get(format!("{}/v1/models", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 401);
    assert_eq!(h.hits(), 0);

    // The right token works and sees only its own models.
    assert_eq!(h.post(Some(TOKEN), &body).await.status(), 200);
    assert_eq!(h.hits(), 1);
    let listed: Value = h
        .http
        .get(format!("{}/v1/models", h.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["chat"]);
}

#[tokio::test]
async fn models_outside_the_clients_list_are_refused() {
    let h = start().await;
    for model in ["secret", "other", "gpt-4o"] {
        let res = h
            .post(Some(TOKEN), &json!({"model": model, "messages": []}))
            .await;
        assert_eq!(
            error_code(res).await,
            (403, "model_not_allowed".into()),
            "{model}"
        );
    }
    assert_eq!(h.hits(), 0);
}

#[tokio::test]
async fn cors_preflights_follow_the_allowlist_and_are_not_authentication() {
    let h = start().await;
    let preflight = |origin: &'static str| {
        h.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/v1/chat/completions", h.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    for origin in ["http://localhost:5173", "https://x1.vscode-cdn.net"] {
        let res = preflight(origin).await.unwrap();
        assert!(res.status().is_success(), "{origin}");
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
        let allowed = res.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(allowed.contains("authorization"), "{allowed}");
    }
    for origin in [
        "https://evil.example",
        "https://vscode-cdn.net.evil.example",
        "https://localhost:5173",
    ] {
        let res = preflight(origin).await.unwrap();
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
    }
    // An allowed origin without a token is still a stranger.
    let res = h
        .http
        .post(format!("{}/v1/chat/completions", h.base))
        .header("origin", "http://localhost:5173")
        .json(&chat(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(h.hits(), 0);
}

#[tokio::test]
async fn ssrf_attempts_get_400_and_the_decoy_sees_no_connection() {
    let h = start().await;
    let decoy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let decoy_addr = decoy.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while decoy.accept().await.is_ok() {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let url = format!("http://{decoy_addr}/v1");
    let bodies = [
        chat(json!({"api_base": url})),
        chat(json!({"base_url": url})),
        chat(json!({"baseURL": url})),
        chat(json!({"extra_body": {"api_url": url}})),
        chat(json!({"url": url})),
        chat(json!({"Proxy": url})),
        chat(json!({"host": decoy_addr.to_string()})),
    ];
    for body in &bodies {
        let (status, code) = error_code(h.post(Some(TOKEN), body).await).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "upstream_override"),
            "{body}"
        );
    }
    for header in ["x-upstream-url", "x-base-url", "x-api-base"] {
        let res = h
            .http
            .post(format!("{}/v1/chat/completions", h.base))
            .bearer_auth(TOKEN)
            .header(header, decoy_addr.to_string())
            .json(&chat(json!({})))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(res).await,
            (400, "upstream_override".into()),
            "{header}"
        );
    }
    // A request that does go upstream proves the proxy was live all along; the decoy still
    // saw nothing, and the real upstream saw only that one request.
    assert_eq!(h.post(Some(TOKEN), &chat(json!({}))).await.status(), 200);
    assert_eq!(connections.load(Ordering::SeqCst), 0);
    assert_eq!(h.hits(), 1);
}

#[tokio::test]
async fn the_burst_past_rpm_gets_429_with_retry_after_until_the_next_window() {
    let h = start().await;
    let body = chat(json!({}));
    for _ in 0..3 {
        assert_eq!(h.post(Some(TOKEN), &body).await.status(), 200);
    }
    let res = h.post(Some(TOKEN), &body).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
    assert_eq!(error_code(res).await.1, "rate_limited");
    assert_eq!(h.hits(), 3);
    h.clock.advance(Duration::from_secs(30));
    assert_eq!(h.post(Some(TOKEN), &body).await.status(), 200);
    assert_eq!(h.hits(), 4);
}

#[tokio::test]
async fn a_spent_daily_budget_gets_429_budget_exceeded_until_utc_midnight() {
    let h = start().await;
    // Admission reserves the prompt (3 tokens) and max_tokens (1) at 0.15/0.60 per Mtok: 2
    // micro-dollars, which fit. The answer reports 10 prompt + 5 completion tokens = 4.5
    // micro-dollars, more than the 2 allowed.
    let body = chat(json!({"max_tokens": 1}));
    assert_eq!(h.post(Some(POOR_TOKEN), &body).await.status(), 200);
    let res = h.post(Some(POOR_TOKEN), &body).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 12 * 3600 - 30);
    assert_eq!(error_code(res).await, (429, "budget_exceeded".into()));
    assert_eq!(h.hits(), 1);
    // Another client's budget is untouched.
    assert_eq!(h.post(Some(TOKEN), &body).await.status(), 200);
    h.clock.advance(Duration::from_secs(retry));
    assert_eq!(h.post(Some(POOR_TOKEN), &body).await.status(), 200);
}

#[tokio::test]
async fn temperature_zero_answers_are_cached_and_streams_are_replayed() {
    let h = start().await;
    let body = chat(json!({"temperature": 0}));
    let first: Value = h.post(Some(TOKEN), &body).await.json().await.unwrap();
    let res = h.post(Some(TOKEN), &body).await;
    assert_eq!(res.headers()["x-cache"], "hit");
    let second: Value = res.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(h.hits(), 1);

    // Sampling requests are never cached.
    let warm = chat(json!({"temperature": 0.7}));
    h.post(Some(TOKEN), &warm).await;
    assert_eq!(h.hits(), 2);
    h.clock.advance(Duration::from_secs(60)); // fresh rate window

    let stream = chat(json!({"temperature": 0, "stream": true}));
    let live = h.post(Some(TOKEN), &stream).await.text().await.unwrap();
    assert_eq!(h.hits(), 3);
    let res = h.post(Some(TOKEN), &stream).await;
    assert_eq!(res.headers()["x-cache"], "hit");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let replay = res.text().await.unwrap();
    assert_eq!(h.hits(), 3);
    let contents = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.trim().to_owned())
            .filter_map(|d| serde_json::from_str::<Value>(&d).ok())
            .filter_map(|v| {
                v.pointer("/choices/0/delta/content")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    };
    assert_eq!(contents(&live), ["answer 3"]);
    assert_eq!(contents(&replay), contents(&live));
    assert!(replay.trim_end().ends_with("data: [DONE]"), "{replay}");
}

#[tokio::test]
async fn metrics_are_served_on_the_admin_listener_only() {
    let h = start().await;
    let body = chat(json!({"temperature": 0}));
    h.post(Some(TOKEN), &body).await;
    h.post(Some(TOKEN), &body).await;
    h.post(None, &body).await;
    let stream = chat(json!({"stream": true}));
    let sse = h.post(Some(TOKEN), &stream).await.text().await.unwrap();
    assert!(sse.contains("[DONE]"), "{sse}");
    let text = h
        .http
        .get(format!("{}/metrics", h.admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        r#"pilotfish_requests_total{route="/v1/chat/completions",model="chat",status="200"} 3"#,
        r#"pilotfish_requests_total{route="/v1/chat/completions",model="-",status="401"} 1"#,
        r#"pilotfish_cache_total{route="/v1/chat/completions",result="hit"} 1"#,
        r#"pilotfish_cache_total{route="/v1/chat/completions",result="miss"} 1"#,
        r#"pilotfish_tokens_total{client="alpha",model="chat",kind="prompt"} 20"#,
        r#"pilotfish_cost_usd_total{client="alpha",model="chat"} 0.00001"#,
        r#"pilotfish_request_duration_seconds_bucket{route="/v1/chat/completions",model="chat",le="+Inf"} 3"#,
        r#"pilotfish_time_to_first_token_seconds_count{route="/v1/chat/completions",model="chat"} 1"#,
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    let public = h
        .http
        .get(format!("{}/metrics", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
}

impl Harness {
    async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn client_chosen_model_names_never_become_metric_labels() {
    let h = start().await;
    // 10 KB of a name no config holds (seeded, so a failure can be replayed).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let name: String = (0..10_240)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    let res = h
        .post(
            Some(TOKEN),
            &json!({"model": name, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(error_code(res).await, (403, "model_not_allowed".into()));
    // A configured alias the client may not use keeps its (bounded) name.
    let res = h
        .post(Some(TOKEN), &json!({"model": "secret", "messages": []}))
        .await;
    assert_eq!(res.status(), 403);
    let text = h.metrics().await;
    assert!(!text.contains(&name[..64]), "the requested name is a label");
    for series in [
        r#"pilotfish_requests_total{route="/v1/chat/completions",model="other",status="403"} 1"#,
        r#"pilotfish_requests_total{route="/v1/chat/completions",model="secret",status="403"} 1"#,
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    assert_eq!(h.hits(), 0);
}

#[tokio::test]
async fn a_burst_of_refused_requests_gets_429_but_valid_callers_still_pass() {
    let h = start().await;
    let body = chat(json!({}));
    // `refused_per_minute = 5`: five refusals (401 and 403 alike) are answered as such ...
    for token in [None, Some("wrong-1"), Some("wrong-2"), Some("wrong-3")] {
        assert_eq!(h.post(token, &body).await.status(), 401);
    }
    let forbidden = json!({"model": "secret", "messages": []});
    assert_eq!(h.post(Some(TOKEN), &forbidden).await.status(), 403);
    // ... then this address's refusals become 429 until the window ends.
    let res = h.post(Some("wrong-4"), &body).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
    assert_eq!(error_code(res).await, (429, "rate_limited".into()));
    assert_eq!(h.post(Some(TOKEN), &forbidden).await.status(), 429);
    let models = h
        .http
        .get(format!("{}/v1/models", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 429);
    // A valid request from the same address is never counted nor blocked.
    assert_eq!(h.post(Some(TOKEN), &body).await.status(), 200);
    assert_eq!(h.hits(), 1);
    let text = h.metrics().await;
    assert!(
        text.contains(r#"pilotfish_rejections_total{client="-",reason="too_many_refusals"} 3"#),
        "{text}"
    );
    // The next minute starts afresh.
    h.clock.advance(Duration::from_secs(30));
    assert_eq!(h.post(Some("wrong-5"), &body).await.status(), 401);
}

#[tokio::test]
async fn the_guard_leaves_tool_schemas_content_and_reverse_proxy_headers_alone() {
    let h = start().await;
    // A tool whose parameters are named like routing fields is ordinary traffic.
    let tools = json!([{"type": "function", "function": {
        "name": "open_connection",
        "description": "connect to a database",
        "parameters": {"type": "object", "properties": {
            "host": {"type": "string"},
            "endpoint": {"type": "string"},
            "proxy": {"type": "string"},
            "base_url": {"type": "string"}
        }, "required": ["host"]}
    }}]);
    let messages = json!([
        {"role": "user", "content": "connect to db.internal"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function",
            "function": {"name": "open_connection", "arguments": "{\"host\":\"db.internal\"}"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": "ok"}
    ]);
    let body = chat(json!({"tools": tools, "messages": messages,
        "response_format": {"type": "json_schema", "json_schema": {"name": "conn",
            "schema": {"type": "object", "properties": {"endpoint": {"type": "string"}}}}}}));
    let res = h.post(Some(TOKEN), &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(h.hits(), 1);
    // Headers that reverse proxies in front of us add are not routing requests.
    let res = h
        .http
        .post(format!("{}/v1/chat/completions", h.base))
        .bearer_auth(TOKEN)
        .header("x-forwarded-host", "api.example.com")
        .header("x-forwarded-server", "edge-1")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "for=10.0.0.1;host=api.example.com;proto=https")
        .header("x-original-url", "/v1/chat/completions")
        .json(&chat(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(h.hits(), 2);
    // Top-level fields that choose an upstream are still refused.
    for field in ["base_url", "api_base", "url", "endpoint", "host", "proxy"] {
        let (status, code) = error_code(
            h.post(Some(TOKEN), &chat(json!({field: "http://127.0.0.1:1/v1"})))
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_str()),
            (400, "upstream_override"),
            "{field}"
        );
    }
    assert_eq!(h.hits(), 2);
}
