//! Memory stays bounded by the configured byte caps however large an answer is: each test
//! streams 5 MB from the fake upstream (generated as it is sent) through the proxy, over real
//! sockets, and reads the heap of this process through a counting allocator.
//!
//! - a temperature-0 stream over `cache.max_entry_bytes` is relayed in full and not recorded
//!   for the cache (before: every chunk was kept as a `Value` until the end);
//! - the in-memory cache holds at most `cache.max_bytes` (before: only `max_entries` bounded it);
//! - 5 MB of `reasoning_content` before the first content byte is relayed, not held (before:
//!   all of it waited in the retry loop's held-back head).
//!
//! The tests take one lock so that no two measure at once; the fake upstream and the client
//! live in this process too, and neither keeps more than one piece of the answer.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use serde_json::json;
use support::{FakeUpstream, Mode, Proxy, config_toml, load_config};

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// The only unsafe code of the proxy's tests: a pass-through to the system allocator that adds
// two counters. It is what lets these tests see memory at all.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time: the counters are process-wide.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Five million bytes of answer per test.
const FIVE_MB: usize = 5_000_000;
const MIB: usize = 1 << 20;

/// Heap bytes live now, and the peak is restarted from here.
fn baseline() -> usize {
    let now = LIVE.load(Ordering::SeqCst);
    PEAK.store(now, Ordering::SeqCst);
    now
}

fn peak_above(base: usize) -> usize {
    PEAK.load(Ordering::SeqCst).saturating_sub(base)
}

const TOKEN: &str = "pf-memory-test-token";

/// The fake and a proxy with the real edge (memory store, so the response cache is on) and one
/// client; `cache` is appended to the config's `[cache]` table.
async fn start(cache: &str) -> (FakeUpstream, Proxy) {
    let fake = FakeUpstream::start().await;
    let extra = format!(
        "[cache]\n{cache}\n[[clients]]\nname = \"m\"\ntoken_sha256 = \"{}\"\nmodels = [\"chat\"]\n",
        token_sha256_hex(TOKEN)
    );
    let config = load_config(&config_toml(&fake, &extra));
    let edge = ProxyEdge::from_config(&config).await.unwrap();
    let proxy = Proxy::start_with_edge(config, Arc::new(edge)).await;
    (fake, proxy)
}

/// What a streamed answer brought: bytes of `R` (reasoning) and `Q` (content) text, whether it
/// ended with `[DONE]`, and whether it was a cache hit. The body is counted as it arrives and
/// never kept.
struct Received {
    reasoning: usize,
    content: usize,
    done: bool,
    hit: bool,
}

async fn stream(proxy: &Proxy, prompt: &str) -> Received {
    let body = json!({"model": "chat", "stream": true, "temperature": 0,
        "messages": [{"role": "user", "content": prompt}]});
    let res = reqwest::Client::new()
        .post(proxy.url("/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let hit = res.headers().get("x-cache").is_some();
    let mut got = Received {
        reasoning: 0,
        content: 0,
        done: false,
        hit,
    };
    let mut tail = Vec::new();
    let mut body = res.bytes_stream();
    while let Some(piece) = body.next().await {
        let piece = piece.unwrap();
        got.reasoning += piece.iter().filter(|&&b| b == b'R').count();
        got.content += piece.iter().filter(|&&b| b == b'Q').count();
        tail.extend_from_slice(&piece);
        let keep = tail.len().saturating_sub(64);
        tail.drain(..keep);
    }
    got.done = tail.ends_with(b"data: [DONE]\n\n");
    got
}

#[tokio::test]
async fn a_stream_over_the_cache_entry_cap_is_relayed_in_full_and_not_recorded() {
    let _one = SERIAL.lock().await;
    let (fake, proxy) = start("max_entry_bytes = 262144").await;
    fake.behaviour.set(Mode::Huge {
        reasoning: 0,
        content: FIVE_MB,
    });
    let base = baseline();
    let got = stream(&proxy, "big answer").await;
    let peak = peak_above(base);
    assert_eq!((got.content, got.done), (FIVE_MB, true));
    assert!(
        peak < 2 * MIB,
        "relaying 5 MB held {peak} bytes at its peak"
    );
    // Not cached: the same request goes to the upstream again.
    let again = stream(&proxy, "big answer").await;
    assert!(!again.hit && again.done);
    assert_eq!(fake.behaviour.hits(), 2);
}

#[tokio::test]
async fn the_memory_cache_is_bounded_by_bytes() {
    let _one = SERIAL.lock().await;
    // Six answers of 850 kB each fit under the default entry cap (1 MiB); together they are
    // more than twice what this cache may hold.
    let (fake, proxy) = start("max_bytes = 2097152").await;
    const EACH: usize = 850_000;
    fake.behaviour.set(Mode::Huge {
        reasoning: 0,
        content: EACH,
    });
    let base = LIVE.load(Ordering::SeqCst);
    for i in 0..6 {
        let got = stream(&proxy, &format!("answer {i}")).await;
        assert_eq!((got.content, got.done, got.hit), (EACH, true, false));
    }
    // The cache's 2 MiB, the connection pools (about 0.6 MB here), and one evicted answer whose
    // memory moka frees a little later (its map reclaims memory by epochs): about 3.4 MB. With
    // only `max_entries` bounding it, all six answers stay: over 6 MB.
    let kept = LIVE.load(Ordering::SeqCst).saturating_sub(base);
    assert!(
        kept < 4_500_000,
        "5.1 MB of answers left {kept} bytes in memory"
    );
    // The cache still serves what it kept.
    let mut hits = 0;
    for i in 0..6 {
        let got = stream(&proxy, &format!("answer {i}")).await;
        assert_eq!((got.content, got.done), (EACH, true));
        hits += usize::from(got.hit);
    }
    assert!(hits >= 1, "nothing was cached");
}

#[tokio::test]
async fn reasoning_before_the_first_content_is_relayed_not_held() {
    let _one = SERIAL.lock().await;
    // A small entry cap, so what is measured is the held head, not the cache's recording.
    let (fake, proxy) = start("max_entry_bytes = 262144").await;
    fake.behaviour.set(Mode::Huge {
        reasoning: FIVE_MB,
        content: 10,
    });
    let base = baseline();
    let got = stream(&proxy, "think hard").await;
    let peak = peak_above(base);
    assert_eq!((got.reasoning, got.content, got.done), (FIVE_MB, 10, true));
    assert!(
        peak < 2 * MIB,
        "5 MB of reasoning held {peak} bytes at its peak"
    );
}
