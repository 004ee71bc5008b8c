//! The real `pilotfish-proxy` binary, spawned as child processes:
//! - two proxies on one real `redis-server` share one rate limit and one response cache;
//! - the JSON logs of a full scenario (success, stream, 401, SSRF, 429) contain no provider
//!   key, no client token and no prompt text, but do carry request ids.
//!
//! Nothing waits on a timer: readiness is read from the processes' own output (Redis's
//! "Ready to accept connections", the proxy's "api listening" log line), each bounded by a
//! timeout so a broken start fails instead of hanging.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proxy::edge::auth::token_sha256_hex;
use serde_json::{Value, json};
use support::binary::spawn_proxy;
use support::redis_server::start_redis;
use support::{ANTHROPIC_KEY, FakeUpstream, OPENAI_KEY, config_toml};

const TOKEN: &str = "pf-client-token-7f3a9c";
const LIMITED: [&str; 2] = ["pf-limited-0-e5a1", "pf-limited-1-93b0"];
const WRONG_TOKEN: &str = "pf-wrong-token-b81e44";
const PROMPT: &str = "PROMPT-SENTINEL-4d1c";

/// Config for the binary: the standard test providers, the given clients as `(name, token,
/// rpm)`, debug logging, and Redis when given.
fn proxy_config(fake: &FakeUpstream, redis: Option<&str>, clients: &[(&str, &str, u32)]) -> String {
    let mut extra = match redis {
        Some(url) => format!("[cache]\nredis_url = \"{url}\"\n"),
        None => String::new(),
    };
    extra.push_str("[logging]\nlevel = \"debug\"\n");
    for (name, token, rpm) in clients {
        extra.push_str(&format!(
            "[[clients]]\nname = \"{name}\"\ntoken_sha256 = \"{}\"\nmodels = [\"chat\"]\nrpm = {rpm}\n",
            token_sha256_hex(token)
        ));
    }
    // Top-level keys must come before the tables of the standard test config.
    format!(
        "admin_listen = \"127.0.0.1:0\"\n{}",
        config_toml(fake, &extra)
    )
}

async fn chat(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let res = http
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, cache, body)
}

fn minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
}

fn assert_clean(logs: &str) {
    for secret in [
        OPENAI_KEY,
        ANTHROPIC_KEY,
        TOKEN,
        LIMITED[0],
        LIMITED[1],
        WRONG_TOKEN,
        PROMPT,
    ] {
        assert!(!logs.contains(secret), "logs leak `{secret}`:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_proxies_on_one_redis_share_the_rate_limit_and_the_cache() {
    let redis = start_redis().await;
    let fake = FakeUpstream::start().await;
    // `limited-N` clients (3 requests/min) for the rate-limit part; see below.
    let limited = [("limited-0", LIMITED[0], 3), ("limited-1", LIMITED[1], 3)];
    let config = proxy_config(
        &fake,
        Some(&redis.url),
        &[("shared", TOKEN, 0), limited[0], limited[1]],
    );
    let (a, b) = tokio::join!(spawn_proxy(&config), spawn_proxy(&config));
    let http = reqwest::Client::new();

    // The cache: a miss on A fills it, B answers from it without touching the upstream.
    let cached = json!({"model": "chat", "temperature": 0,
        "messages": [{"role": "user", "content": "shared cache"}]});
    let (status, hit, first) = chat(&http, &a.api, TOKEN, &cached).await;
    assert_eq!((status, hit), (200, None));
    assert_eq!(fake.behaviour.hits(), 1);
    let (status, hit, second) = chat(&http, &b.api, TOKEN, &cached).await;
    assert_eq!((status, hit.as_deref()), (200, Some("hit")));
    assert_eq!(first, second);
    assert_eq!(fake.behaviour.hits(), 1);

    // A streamed answer cached by B is replayed as SSE by A.
    let stream = json!({"model": "chat", "temperature": 0, "stream": true,
        "messages": [{"role": "user", "content": "shared stream"}]});
    let sse = |base: String| {
        let (http, stream) = (http.clone(), stream.clone());
        async move {
            let res = http
                .post(format!("{base}/v1/chat/completions"))
                .bearer_auth(TOKEN)
                .json(&stream)
                .send()
                .await
                .unwrap();
            let hit = res.headers().get("x-cache").is_some();
            (
                hit,
                support::sse_text(&support::sse_data(&res.text().await.unwrap())),
            )
        }
    };
    let (hit, live) = sse(b.api.clone()).await;
    assert!(!hit && !live.is_empty());
    assert_eq!(fake.behaviour.hits(), 2);
    let (hit, replay) = sse(a.api.clone()).await;
    assert!(hit);
    assert_eq!(replay, live);
    assert_eq!(fake.behaviour.hits(), 2);

    // The rate limit (3/min in fixed wall-clock windows), alternating between the proxies:
    // exactly three of five pass. Should the minute turn during the burst, the window resets
    // under us, so run the burst again as a fresh client (each client's first burst starts
    // from zero, so there is nothing left over to reason about).
    let warm = json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]});
    let mut statuses = Vec::new();
    let mut token = LIMITED[0];
    for (attempt, t) in LIMITED.iter().enumerate() {
        let start = minute();
        token = t;
        statuses.clear();
        for base in [&a.api, &b.api, &a.api, &b.api, &a.api] {
            statuses.push(chat(&http, base, token, &warm).await.0);
        }
        if minute() == start {
            break;
        }
        assert_eq!(attempt, 0, "the minute turned during both bursts");
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let res = http
        .post(format!("{}/v1/chat/completions", b.api))
        .bearer_auth(token)
        .json(&warm)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // Both processes expose their own metrics on their admin listeners.
    let metrics = http
        .get(format!("{}/metrics", b.admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"pilotfish_cache_total{route="/v1/chat/completions",result="hit"} 1"#),
        "{metrics}"
    );
    let (la, lb) = (a.stop().await, b.stop().await);
    assert_clean(&la);
    assert_clean(&lb);
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_full_scenario_hold_no_keys_tokens_or_prompts() {
    let fake = FakeUpstream::start().await;
    let p = spawn_proxy(&proxy_config(&fake, None, &[("shared", TOKEN, 4)])).await;
    let http = reqwest::Client::new();
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": PROMPT}]});

    assert_eq!(chat(&http, &p.api, TOKEN, &body).await.0, 200);
    let stream = json!({"model": "chat", "stream": true,
        "messages": [{"role": "user", "content": PROMPT}]});
    let res = http
        .post(format!("{}/v1/chat/completions", p.api))
        .header("x-api-key", TOKEN)
        .json(&stream)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("[DONE]"));
    assert_eq!(chat(&http, &p.api, WRONG_TOKEN, &body).await.0, 401);
    let ssrf = json!({"model": "chat", "api_base": "http://127.0.0.1:9/v1",
        "messages": [{"role": "user", "content": PROMPT}]});
    assert_eq!(chat(&http, &p.api, TOKEN, &ssrf).await.0, 400);
    // rpm = 4: keep asking until refused (bounded: at most two windows' worth).
    let mut refused = false;
    for _ in 0..10 {
        if chat(&http, &p.api, TOKEN, &body).await.0 == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused);
    // Bodies are not logged, so the upstream seeing the key proves it was used, not printed.
    let seen = fake.behaviour.seen();
    assert!(seen.iter().any(|s| {
        s.headers["authorization"]
            .to_str()
            .unwrap()
            .contains(OPENAI_KEY)
    }));

    let logs = p.stop().await;
    assert_clean(&logs);
    // The capture is real: request ids and access lines of the scenario are there.
    assert!(logs.contains("\"request_id\""), "{logs}");
    assert!(logs.contains("\"status\":401"), "{logs}");
    assert!(logs.contains("\"status\":429"), "{logs}");
    assert!(logs.contains("rejected a client-chosen upstream"), "{logs}");

    // `logging.log_bodies = true` is the only way a prompt reaches the log.
    let config = proxy_config(&fake, None, &[("shared", TOKEN, 0)])
        .replace("[logging]\n", "[logging]\nlog_bodies = true\n");
    let p = spawn_proxy(&config).await;
    assert_eq!(chat(&http, &p.api, TOKEN, &body).await.0, 200);
    let logs = p.stop().await;
    assert!(logs.contains(PROMPT), "{logs}");
    assert!(
        !logs.contains(TOKEN) && !logs.contains(OPENAI_KEY),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_counters_are_atomic_and_always_expire() {
    use proxy::edge::store::{RedisStore, Store};
    let redis = start_redis().await;
    let store = Arc::new(RedisStore::connect(&redis.url).await.unwrap());
    let ttl = Duration::from_secs(120);
    // 200 concurrent increments from one process: INCRBY is atomic, nothing is lost.
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.incr("t:counter", 1, ttl, 0).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort();
    assert_eq!(seen, (1..=200).collect::<Vec<u64>>());
    assert_eq!(store.incr("t:counter", 0, ttl, 0).await.unwrap(), 200);
    // The first increment set the expiry (in the same script), so the key can never outlive
    // its window.
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg("pilotfish:t:counter")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=120_000).contains(&pttl), "{pttl}");
    // Releasing a reservation takes back at most what is there and keeps the expiry; a key
    // that is gone (its window over) stays gone.
    assert_eq!(store.release("t:counter", 50, 0).await.unwrap(), 150);
    assert_eq!(store.release("t:counter", 1_000, 0).await.unwrap(), 0);
    let pttl: i64 = redis::cmd("PTTL")
        .arg("pilotfish:t:counter")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((1..=120_000).contains(&pttl), "{pttl}");
    assert_eq!(store.release("t:gone", 5, 0).await.unwrap(), 0);
    let exists: i64 = redis::cmd("EXISTS")
        .arg("pilotfish:t:gone")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    // Values round-trip with their TTL.
    store
        .set("t:value", b"cached".to_vec(), ttl, 0)
        .await
        .unwrap();
    assert_eq!(
        store.get("t:value", 0).await.unwrap(),
        Some(b"cached".to_vec())
    );
    assert_eq!(store.get("t:missing", 0).await.unwrap(), None);
}
