//! Budgets that cannot be dodged, over real sockets with the real edge, each scenario on the
//! memory store and on a real `redis-server`:
//! - admission reserves the request's estimate (prompt + `n` × `max_tokens`) and the end of the
//!   request settles it to what the upstream reported, or releases it when nothing was made;
//! - a client that leaves a non-streaming request, or a stream before its first content, is
//!   charged its reservation (before: nothing);
//! - what is reserved counts against the budget while the request is in flight, and a request
//!   that could cost more than the whole budget is refused with a 400;
//! - `n` and `max_tokens` above `limits.max_n` / `limits.max_tokens` get a clear 400.
//!
//! Time comes from a `ManualClock`; waits are for events (the fake upstream seeing the client
//! leave, the counter reaching its value), each bounded by a timeout.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use proxy::edge::cost::{self, Pricing};
use proxy::edge::store::{ManualClock, MemoryStore, RedisStore, Store};
use serde_json::{Value, json};
use support::redis_server::{Redis, start_redis};
use support::{FakeUpstream, Mode, Proxy, config_toml, load_config};

const TOKEN: &str = "pf-budget-payer-token";
/// 12:00:30 on some UTC day.
const T0: u64 = 20_000 * 86_400_000 + 12 * 3_600_000 + 30_000;
const DAY_MS: u64 = 86_400_000;
const TTL: Duration = Duration::from_secs(120);
/// One micro-dollar per prompt token, two per completion token.
const PRICE: Pricing = Pricing {
    input_usd_per_mtok: 1.0,
    output_usd_per_mtok: 2.0,
};

#[derive(Clone, Copy, Debug)]
enum Backend {
    Memory,
    Redis,
}

struct Harness {
    fake: FakeUpstream,
    proxy: Proxy,
    store: Arc<dyn Store>,
    _redis: Option<Redis>,
}

/// The fake, a store, and a proxy whose client `payer` may spend `budget_usd` a day on the
/// priced alias `priced` (and has a token limit, so tokens are reserved too).
async fn start(backend: Backend, budget_usd: f64) -> Harness {
    let fake = FakeUpstream::start().await;
    let (store, redis): (Arc<dyn Store>, _) = match backend {
        Backend::Memory => (Arc::new(MemoryStore::new(100)), None),
        Backend::Redis => {
            let redis = start_redis().await;
            let store = RedisStore::connect(&redis.url).await.unwrap();
            (Arc::new(store), Some(redis))
        }
    };
    let extra = format!(
        r#"
[[models]]
alias = "priced"
provider = "openai"
model = "gpt-4o-mini"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0
default_max_tokens = 300
[[clients]]
name = "payer"
token_sha256 = "{}"
models = ["priced"]
tpm = 1000000
daily_budget_usd = {budget_usd}
"#,
        token_sha256_hex(TOKEN)
    );
    let toml = config_toml(&fake, &extra).replace(
        "idle_timeout_ms = 1000\n",
        "idle_timeout_ms = 1000\nmax_n = 2\nmax_tokens = 500\n",
    );
    let config = load_config(&toml);
    let clock = Arc::new(ManualClock::new(T0));
    let edge = ProxyEdge::with_parts(&config, store.clone(), clock).unwrap();
    let proxy = Proxy::start_with_edge(config, Arc::new(edge)).await;
    Harness {
        fake,
        proxy,
        store,
        _redis: redis,
    }
}

fn chat(extra: Value) -> Value {
    let mut body = json!({"model": "priced", "messages": [{"role": "user", "content": "hello"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Micro-dollars reserved for `body`: its prompt estimate plus `n` × `max_tokens`.
fn reserved(body: &Value) -> u64 {
    let n = body.get("n").and_then(Value::as_u64).unwrap_or(1);
    let max_tokens = body["max_tokens"].as_u64().unwrap();
    cost::cost_micro_usd(
        PRICE,
        cost::Usage {
            prompt_tokens: cost::estimate_prompt_tokens(body),
            completion_tokens: n * max_tokens,
            estimated: true,
        },
    )
}

impl Harness {
    fn request(&self, body: &Value) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(self.proxy.url("/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .json(body)
    }

    async fn post(&self, body: &Value) -> (u16, Value) {
        let res = self.request(body).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Micro-dollars spent today.
    async fn spent(&self) -> u64 {
        let key = format!("spend:payer:{}", T0 / DAY_MS);
        self.store.incr(&key, 0, TTL, T0).await.unwrap()
    }

    /// Tokens counted in this minute's window.
    async fn tokens(&self) -> u64 {
        let key = format!("tpm:payer:{}", T0 / 60_000);
        self.store.incr(&key, 0, TTL, T0).await.unwrap()
    }

    /// Waits until today's spend is `want` (settling after a client left runs in the
    /// background); fails with what it was after two seconds.
    async fn spent_becomes(&self, want: u64) {
        let wait = async {
            while self.spent().await != want {
                tokio::task::yield_now().await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(2), wait)
            .await
            .is_err()
        {
            panic!("spend is {}, expected {want}", self.spent().await);
        }
    }

    /// Sends `body` from a task and abandons it once the upstream has it: the client leaves
    /// before any answer (the proxy sends a stream's head only with its first content).
    async fn leave_after_upstream_has_it(&self, body: &Value) {
        let request = self.request(body);
        let hits = self.fake.behaviour.hits();
        let task = tokio::spawn(async move {
            let res = request.send().await?;
            res.bytes_stream().next().await.transpose()
        });
        while self.fake.behaviour.hits() == hits {
            tokio::task::yield_now().await;
        }
        task.abort();
        tokio::time::timeout(Duration::from_secs(1), self.fake.behaviour.cancelled())
            .await
            .expect("the upstream saw the client leave");
    }
}

async fn finished_requests_are_charged_what_the_upstream_reported(backend: Backend) {
    let h = start(backend, 1.0).await;
    // The fake reports 9 prompt and 5 completion tokens: 9 + 2 × 5 micro-dollars.
    let (status, _) = h.post(&chat(json!({"max_tokens": 400}))).await;
    assert_eq!(status, 200);
    assert_eq!((h.spent().await, h.tokens().await), (19, 14));
    let body = chat(json!({"max_tokens": 400, "stream": true}));
    let text = h.request(&body).send().await.unwrap().text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    h.spent_becomes(38).await;
    assert_eq!(h.tokens().await, 28);
}

async fn failures_release_the_reservation(backend: Backend) {
    let h = start(backend, 1.0).await;
    h.fake.behaviour.set(Mode::Status {
        code: 500,
        retry_after: None,
    });
    let (status, _) = h.post(&chat(json!({"max_tokens": 400}))).await;
    assert_eq!(status, 502);
    assert_eq!((h.spent().await, h.tokens().await), (0, 0));
}

async fn leaving_a_non_streaming_request_is_charged_the_reservation(backend: Backend) {
    let h = start(backend, 1.0).await;
    h.fake.behaviour.set(Mode::Stall);
    let body = chat(json!({"max_tokens": 100, "n": 2}));
    h.leave_after_upstream_has_it(&body).await;
    h.spent_becomes(reserved(&body)).await;
    assert!(reserved(&body) > 400, "{}", reserved(&body));
}

async fn leaving_a_stream_before_its_first_content_is_charged_the_reservation(backend: Backend) {
    let h = start(backend, 1.0).await;
    // The role preamble, then silence: the proxy holds the stream back until content comes.
    h.fake.behaviour.set(Mode::StallAfter(0));
    let body = chat(json!({"max_tokens": 100, "stream": true}));
    h.leave_after_upstream_has_it(&body).await;
    h.spent_becomes(reserved(&body)).await;
}

async fn reservations_hold_the_budget_while_requests_are_in_flight(backend: Backend) {
    // 500 micro-dollars a day; each request below reserves about 400 of them (its prompt,
    // plus 2 × 200 for its completion).
    let h = start(backend, 0.0005).await;
    let body = chat(json!({"max_tokens": 200}));
    assert!(
        (401..=500).contains(&reserved(&body)),
        "{}",
        reserved(&body)
    );
    h.fake.behaviour.set_for(1, Mode::Stall);
    let first = tokio::spawn(h.request(&body).send());
    while h.fake.behaviour.hits() == 0 {
        tokio::task::yield_now().await;
    }
    // Nothing is spent yet, but the first request's reservation leaves room for no second one.
    let (status, err) = h.post(&body).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (429, Some("budget_exceeded"))
    );
    assert_eq!(h.fake.behaviour.hits(), 1);
    // A request that could cost more than the whole day's budget is refused outright.
    let (status, err) = h.post(&chat(json!({"max_tokens": 300}))).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("request_over_budget"))
    );
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("max_tokens"), "{message}");
    // The first request times out upstream (504): nothing was made, so nothing is charged...
    assert_eq!(first.await.unwrap().unwrap().status(), 504);
    assert_eq!(h.spent().await, 0);
    // ...and its reservation is free again.
    let (status, _) = h.post(&body).await;
    assert_eq!(status, 200);
    assert_eq!(h.spent().await, 19);
}

macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Memory).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Redis).await;
                }
            )*
        }
    };
}

on_both_stores!(
    finished_requests_are_charged_what_the_upstream_reported,
    failures_release_the_reservation,
    leaving_a_non_streaming_request_is_charged_the_reservation,
    leaving_a_stream_before_its_first_content_is_charged_the_reservation,
    reservations_hold_the_budget_while_requests_are_in_flight,
);

#[tokio::test]
async fn n_and_max_tokens_above_the_configured_caps_get_a_clear_400() {
    let h = start(Backend::Memory, 0.0).await;
    let cases = [
        (json!({"n": 3}), "n_too_large", "limits.max_n"),
        (json!({"best_of": 3}), "n_too_large", "limits.max_n"),
        (json!({"n": "two"}), "invalid_n", "positive integer"),
        (json!({"max_tokens": 501}), "max_tokens_too_large", "500"),
        (
            json!({"max_completion_tokens": 501}),
            "max_tokens_too_large",
            "500",
        ),
    ];
    for (extra, code, words) in cases {
        let (status, err) = h.post(&chat(extra.clone())).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (400, Some(code)),
            "{extra}: {err}"
        );
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{extra}: {message}");
    }
    assert_eq!(h.fake.behaviour.hits(), 0);
    // At the caps the request goes through.
    let (status, _) = h.post(&chat(json!({"n": 2, "max_tokens": 500}))).await;
    assert_eq!(status, 200);
}
