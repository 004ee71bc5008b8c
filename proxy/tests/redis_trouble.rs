//! Redis trouble under traffic (issue 14, item 6): a real `redis-server` is frozen (SIGSTOP)
//! and then killed while clients keep sending requests to a proxy that keeps its limits and
//! cache there. Every request must still end within the configured response timeout plus a
//! margin (a bound, not a benchmark: without one a frozen Redis holds requests for as long as
//! it is frozen), answer as `limits.on_store_failure` says (503 with `Retry-After`, or served
//! uncounted), and nothing may panic.
//!
//! Nothing sleeps: each phase waits for an event (a 503 seen, N more answers counted) under a
//! deadline.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use serde_json::json;
use support::redis_server::start_redis;
use support::{FakeUpstream, Proxy, config_toml, load_config};
use tokio::sync::Notify;

const TOKEN: &str = "pf-redis-trouble-token-41c7";
/// The configured Redis response timeout.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(200);
/// What a request may take on top of the store's waits: the fake upstream, scheduling on a
/// shared two-core machine. Generous on purpose; the failure this catches is a hang.
const MARGIN: Duration = Duration::from_millis(1500);
/// A request meets at most two store timeouts: one that opens the breaker, and one more if
/// its later commands run just as the breaker's cooldown ends.
const BOUND: Duration = RESPONSE_TIMEOUT.saturating_mul(2).saturating_add(MARGIN);
const PHASE_DEADLINE: Duration = Duration::from_secs(20);
const WORKERS: usize = 4;

/// Counts panics anywhere in the process (tokio catches a task's panic, so a test would not
/// see it otherwise).
fn panics() -> &'static AtomicUsize {
    static PANICS: OnceLock<&'static AtomicUsize> = OnceLock::new();
    PANICS.get_or_init(|| {
        let count: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            count.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
        count
    })
}

/// One answered request.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    took: Duration,
}

/// Clients sending chat requests in a loop, recording every answer.
struct Traffic {
    answers: Arc<Mutex<Vec<Answer>>>,
    /// Told after every answer, for [`Traffic::until`].
    answered: Arc<Notify>,
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    fn start(url: String) -> Traffic {
        let answers = Arc::new(Mutex::new(Vec::new()));
        let answered = Arc::new(Notify::new());
        let stop = Arc::new(AtomicBool::new(false));
        // A client-side timeout far above the bound, so a hang fails the test instead of
        // hanging it.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let workers = (0..WORKERS)
            .map(|w| {
                let (http, url, answers, answered, stop) = (
                    http.clone(),
                    url.clone(),
                    answers.clone(),
                    answered.clone(),
                    stop.clone(),
                );
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        i += 1;
                        // Temperature 0 and distinct prompts: every request looks up and
                        // stores in the Redis cache too.
                        let body = json!({"model": "chat", "temperature": 0,
                            "messages": [{"role": "user", "content": format!("w{w} r{i}")}]});
                        let started = Instant::now();
                        let res = http.post(&url).bearer_auth(TOKEN).json(&body).send().await;
                        let res = res.expect("the proxy answers");
                        let retry_after = res
                            .headers()
                            .get("retry-after")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let status = res.status().as_u16();
                        let _ = res.bytes().await;
                        answers.lock().unwrap().push(Answer {
                            status,
                            retry_after,
                            took: started.elapsed(),
                        });
                        answered.notify_waiters();
                    }
                })
            })
            .collect();
        Traffic {
            answers,
            answered,
            stop,
            workers,
        }
    }

    fn count(&self) -> usize {
        self.answers.lock().unwrap().len()
    }

    /// Waits until `done` holds for the answers so far, failing after the deadline.
    async fn until(&self, what: &str, done: impl Fn(&[Answer]) -> bool) {
        let deadline = tokio::time::Instant::now() + PHASE_DEADLINE;
        loop {
            // Registered before looking, so an answer in between is not missed.
            let next = self.answered.notified();
            tokio::pin!(next);
            next.as_mut().enable();
            if done(&self.answers.lock().unwrap()) {
                return;
            }
            tokio::time::timeout_at(deadline, next)
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
        }
    }

    async fn stop(self) -> Vec<Answer> {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers {
            w.await.expect("a client task failed");
        }
        Arc::try_unwrap(self.answers).unwrap().into_inner().unwrap()
    }
}

async fn scenario(on_store_failure: &str, during_trouble: u16) {
    let panics = panics();
    let redis = start_redis().await;
    let fake = FakeUpstream::start().await;
    let extra = format!(
        r#"
[cache]
redis_url = "{url}"
redis_connect_timeout_ms = {ms}
redis_response_timeout_ms = {ms}
[[clients]]
name = "busy"
token_sha256 = "{hash}"
models = ["chat"]
rpm = 100000
tpm = 100000000
"#,
        url = redis.url,
        ms = RESPONSE_TIMEOUT.as_millis(),
        hash = token_sha256_hex(TOKEN),
    );
    let toml = config_toml(&fake, &extra).replace(
        "[limits]\n",
        &format!("[limits]\non_store_failure = \"{on_store_failure}\"\n"),
    );
    let config = load_config(&toml);
    let edge = ProxyEdge::from_config(&config).await.unwrap();
    let metrics = edge.metrics();
    let proxy = Proxy::start_with_edge(config, Arc::new(edge)).await;
    let mut redis = redis;

    let traffic = Traffic::start(proxy.url("/v1/chat/completions"));
    traffic
        .until("answers with Redis up", |a| {
            a.len() >= 8 && a.iter().all(|x| x.status == 200)
        })
        .await;
    let before_freeze = traffic.count();

    redis.freeze().await;
    traffic
        .until("answers while Redis is frozen", |a| {
            a[before_freeze..]
                .iter()
                .filter(|x| x.status == during_trouble)
                .count()
                >= 8
        })
        .await;
    let before_kill = traffic.count();

    redis.kill().await;
    traffic
        .until("answers once Redis is gone", |a| {
            a.len() >= before_kill + 16
        })
        .await;
    let answers = traffic.stop().await;

    let slowest = answers.iter().map(|a| a.took).max().unwrap();
    assert!(
        slowest <= BOUND,
        "a request took {slowest:?}, more than {BOUND:?}"
    );
    for a in &answers[before_freeze..] {
        assert!(
            a.status == 200 || a.status == during_trouble,
            "unexpected answer during the trouble: {a:?}"
        );
        if a.status == 503 {
            assert_eq!(a.retry_after.as_deref(), Some("1"), "{a:?}");
        }
    }
    // Once Redis is gone for good, every request gets the trouble answer.
    let after_kill = &answers[before_kill + 4..];
    assert!(
        after_kill.iter().all(|a| a.status == during_trouble),
        "{after_kill:?}"
    );
    let outcome = if during_trouble == 503 {
        "refused"
    } else {
        "admitted"
    };
    let rendered = metrics.render();
    assert!(
        rendered.contains(&format!(
            "pilotfish_store_failures_total{{outcome=\"{outcome}\"}}"
        )),
        "{rendered}"
    );
    // The proxy itself is fine.
    let health = reqwest::get(proxy.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(panics.load(Ordering::SeqCst), 0, "something panicked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_fail_closed_with_a_503_and_retry_after_when_redis_stalls_then_dies() {
    scenario("closed", 503).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_fail_open_and_keep_serving_when_redis_stalls_then_dies() {
    scenario("open", 200).await;
}
