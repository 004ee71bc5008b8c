//! The contract between the request path and its `Edge`, checked with a small recording edge:
//! the order of the steps, that a refusal stops the request before any upstream hit, that a
//! complete temperature-0 stream is offered to the cache and replayed as SSE, and that the
//! reservation is settled with the usage of finished streams and (estimated) of streams the
//! client abandoned mid-answer.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use futures::StreamExt;
use protocol::Usage;
use proxy::config::ModelRoute;
use proxy::error::AppError;
use proxy::request::Endpoint;
use proxy::state::{CachedReply, Caller, Edge, Observation, Outcome, Reservation};
use serde_json::{Value, json};
use support::{FakeUpstream, Mode, Proxy, config_toml, load_config, sse_data, sse_text};
use tokio::sync::Notify;

#[derive(Default)]
struct Recorder {
    steps: Mutex<Vec<String>>,
    cache: Mutex<HashMap<String, CachedReply>>,
    outcomes: Mutex<Vec<Outcome>>,
    settled: Notify,
}

impl Recorder {
    fn step(&self, s: impl Into<String>) {
        self.steps.lock().unwrap().push(s.into());
    }
    fn take_steps(&self) -> Vec<String> {
        std::mem::take(&mut *self.steps.lock().unwrap())
    }
}

#[async_trait]
impl Edge for Recorder {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, AppError> {
        self.step("authenticate");
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer good") => Ok(Caller {
                tenant: "t1".into(),
                models: Some(vec!["chat".into()]),
                data: None,
            }),
            _ => Err(AppError::Unauthorized),
        }
    }
    fn guard(&self, _headers: &HeaderMap, _body: &Value) -> Result<(), AppError> {
        self.step("guard");
        Ok(())
    }
    async fn admit(
        &self,
        _c: &Caller,
        route: &ModelRoute,
        _b: &Value,
        _completion_tokens: u64,
    ) -> Result<Reservation, AppError> {
        self.step(format!("admit {}", route.alias));
        Ok(Reservation::default())
    }
    async fn cache_lookup(
        &self,
        c: &Caller,
        e: Endpoint,
        r: &ModelRoute,
        b: &Value,
    ) -> Option<CachedReply> {
        self.step("cache_lookup");
        self.cache
            .lock()
            .unwrap()
            .get(&format!("{}{e:?}{}{b}", c.tenant, r.alias))
            .cloned()
    }
    async fn cache_store(
        &self,
        c: &Caller,
        e: Endpoint,
        r: &ModelRoute,
        b: &Value,
        reply: CachedReply,
    ) {
        self.step("cache_store");
        self.cache
            .lock()
            .unwrap()
            .insert(format!("{}{e:?}{}{b}", c.tenant, r.alias), reply);
    }
    async fn settle(&self, _c: &Caller, _r: &ModelRoute, _held: Reservation, outcome: Outcome) {
        self.step("settle");
        self.outcomes.lock().unwrap().push(outcome);
        self.settled.notify_one();
    }
    fn observe(&self, o: &Observation) {
        self.step(format!("observe {} cache_hit={}", o.status, o.cache_hit));
    }
}

async fn start() -> (FakeUpstream, Proxy, Arc<Recorder>) {
    let fake = FakeUpstream::start().await;
    let rec = Arc::new(Recorder::default());
    let proxy = Proxy::start_with_edge(load_config(&config_toml(&fake, "")), rec.clone()).await;
    (fake, proxy, rec)
}

async fn post(proxy: &Proxy, token: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(proxy.url("/v1/chat/completions"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refusals_stop_before_the_upstream() {
    let (fake, proxy, rec) = start().await;
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(post(&proxy, "bad", &body).await.status(), 401);
    assert_eq!(
        rec.take_steps(),
        ["authenticate", "observe 401 cache_hit=false"]
    );
    // `claude` exists but is not in this caller's models.
    let body = json!({"model": "claude", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(post(&proxy, "good", &body).await.status(), 403);
    assert_eq!(
        rec.take_steps(),
        ["authenticate", "guard", "observe 403 cache_hit=false"]
    );
    assert_eq!(fake.behaviour.hits(), 0);
    let models: Value = reqwest::Client::new()
        .get(proxy.url("/v1/models"))
        .bearer_auth("good")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        models["data"],
        json!([{"id": "chat", "object": "model", "created": 0, "owned_by": "pilotfish"}])
    );
}

#[tokio::test]
async fn a_deterministic_stream_is_cached_and_replayed() {
    let (fake, proxy, rec) = start().await;
    let body = json!({"model": "chat", "temperature": 0, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let first = post(&proxy, "good", &body).await.text().await.unwrap();
    assert_eq!(
        rec.take_steps(),
        [
            "authenticate",
            "guard",
            "admit chat",
            "cache_lookup",
            "settle",
            "cache_store",
            "observe 200 cache_hit=false"
        ]
    );
    let res = post(&proxy, "good", &body).await;
    assert_eq!(res.headers()["x-cache"], "hit");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let second = res.text().await.unwrap();
    assert_eq!(sse_data(&first), sse_data(&second));
    assert_eq!(sse_text(&sse_data(&second)), "w0 w1 w2 w3 w4 ");
    assert_eq!(fake.behaviour.hits(), 1);
    assert_eq!(
        rec.take_steps(),
        [
            "authenticate",
            "guard",
            "admit chat",
            "cache_lookup",
            "settle",
            "observe 200 cache_hit=true"
        ]
    );
    // A cache hit made nothing upstream: its reservation is given back.
    assert_eq!(rec.outcomes.lock().unwrap()[1], Outcome::Nothing);
    // Exact usage from the upstream's (hidden) usage chunk.
    assert_eq!(
        rec.outcomes.lock().unwrap()[0],
        Outcome::Used {
            usage: Usage::new(9, 5),
            estimated: false
        }
    );
}

#[tokio::test]
async fn an_abandoned_stream_still_records_estimated_usage() {
    let (fake, proxy, rec) = start().await;
    fake.behaviour.set(Mode::StallAfter(2));
    let body = json!({"model": "chat", "stream": true, "messages": [{"role": "user", "content": "hello there"}]});
    let res = post(&proxy, "good", &body).await;
    let mut stream = res.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    tokio::time::timeout(Duration::from_secs(1), rec.settled.notified())
        .await
        .expect("usage recorded after the client left");
    let Outcome::Used { usage, estimated } = rec.outcomes.lock().unwrap()[0] else {
        panic!("{:?}", rec.outcomes.lock().unwrap());
    };
    assert!(estimated);
    assert_eq!(
        usage.prompt_tokens, 3,
        "11 prompt characters at 4 per token"
    );
    assert!(usage.completion_tokens >= 1);
    // Nothing incomplete is cached.
    assert!(rec.cache.lock().unwrap().is_empty());
}
