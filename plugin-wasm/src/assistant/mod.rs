//! The assistant's state in the tab and the native half of `complete` and `chat`: everything
//! but the network, so it is tested by plain `cargo test`. A request is planned (served from the
//! prefix cache or the response cache, or a body to send), the facade's fetch loop
//! (`net/`, wasm only) streams the answer through the plan, and the plan is finished here
//! (postprocessing, caches, metrics). Clocks are the facade's: every method takes the time.
//!
//! - `options.rs`: `configureAssistant`'s argument;
//! - `completion.rs`: autocomplete's plan, from the cursor to the suggestion;
//! - `chat.rs`: chat, explain and generate, with citations;
//! - `memo.rs`: the prompts of recent completion requests;
//! - `session.rs`: what the engine keeps between calls in the tab.

pub mod chat;
pub mod completion;
pub mod memo;
pub mod options;
pub mod session;

use assist::cache::{PrefixCache, ResponseCache, Stored};
use assist::debounce::Debouncer;
use assist::metrics::{LatencySketch, LatencySummary, Metrics, MetricsSnapshot};
use assist::routing::Routes;
use serde::Serialize;

use crate::error::Error;
use options::AssistantOptions;

/// Where requests go.
#[derive(Debug, Clone)]
pub struct ProxyTarget {
    /// The proxy's origin; endpoints are `{base}/v1/...`.
    pub base: String,
    /// Sent as `Authorization: Bearer`; never logged, never in a result or an error.
    pub token: Option<String>,
}

/// The assistant's session: proxy, routing, caches, metrics, debounce.
#[derive(Debug)]
pub struct Assistant {
    pub proxy: ProxyTarget,
    pub routes: Routes,
    /// Prices per alias (the metrics and the refinement loop's costs).
    pub prices: assist::metrics::PriceTable,
    pub responses: ResponseCache,
    pub prefix: PrefixCache,
    pub metrics: Metrics,
    pub debounce: Debouncer,
    /// The engine's own time between a keystroke's debounce deadline and the request leaving
    /// (autocomplete), the budget the issue sets at 2 ms p95.
    pub request_overhead: LatencySketch,
    /// `complete`'s synchronous part: caches, gathering, prompt building (it runs while the
    /// debounce waits, so it adds to the latency only when it takes longer than the debounce).
    pub plan_ms: LatencySketch,
    /// The IndexedDB database the response cache persists in.
    pub persist: Option<String>,
    /// Bumped by every autocomplete call: a pending or streaming call whose generation is no
    /// longer current is stale, and its answer is never shown.
    pub generation: u64,
    /// The response cache changed since it was last persisted.
    pub cache_dirty: bool,
    /// What recent completion requests' prompts were, so the same request at the same index
    /// revision finds its cached answer without gathering and building again.
    pub prompt_memo: memo::PromptMemo,
}

impl Assistant {
    pub fn new(options: &AssistantOptions) -> Result<Assistant, Error> {
        Ok(Assistant {
            proxy: ProxyTarget {
                base: options.proxy_base()?,
                token: options.token.clone().filter(|t| !t.trim().is_empty()),
            },
            routes: options.routes()?,
            prices: options.prices.clone(),
            responses: ResponseCache::new(options.cache_config()),
            prefix: PrefixCache::default(),
            metrics: Metrics::with_prices(options.prices.clone()),
            debounce: Debouncer::new(options.debounce_config()),
            request_overhead: LatencySketch::default(),
            plan_ms: LatencySketch::default(),
            persist: options.persist.clone(),
            generation: 0,
            cache_dirty: false,
            prompt_memo: memo::PromptMemo::default(),
        })
    }

    /// `{base}/v1/{endpoint}`.
    pub fn url(&self, endpoint: &str) -> String {
        format!("{}/v1/{endpoint}", self.proxy.base)
    }

    /// Stores an answer in the response cache and marks it for persisting.
    pub fn store(&mut self, key: assist::cache::CacheKey, text: String, now_ms: u64) {
        if matches!(self.responses.put(key, text, now_ms), Stored::Yes { .. }) {
            self.cache_dirty = true;
        }
    }

    /// `metrics()`: the session's numbers plus the engine's request overhead.
    pub fn snapshot(&self) -> WireMetrics {
        WireMetrics {
            session: self.metrics.snapshot(),
            request_overhead_ms: self.request_overhead.summary(),
            plan_ms: self.plan_ms.summary(),
            response_cache_entries: self.responses.len(),
            response_cache_bytes: self.responses.bytes(),
            debounce_ms: self.debounce.delay_ms(),
        }
    }
}

/// What `metrics()` returns.
#[derive(Debug, Clone, Serialize)]
pub struct WireMetrics {
    #[serde(flatten)]
    pub session: MetricsSnapshot,
    /// From a completion's debounce deadline to its request leaving the engine.
    pub request_overhead_ms: LatencySummary,
    /// `complete`'s synchronous part (caches, gathering, prompt building).
    pub plan_ms: LatencySummary,
    pub response_cache_entries: usize,
    pub response_cache_bytes: usize,
    /// The debounce delay learned from the typing so far.
    pub debounce_ms: u64,
}
