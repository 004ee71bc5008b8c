//! What the assistant did this session, for `Engine.metrics()`: per task latency and time to first
//! token (p50/p95/p99), cache hit rate, suggestion acceptance rate, tokens and cost.
//!
//! Latencies go into a [`LatencySketch`]: a log-bucketed histogram in the manner of DDSketch
//! (Masson et al., 2019). Every value lands in a bucket whose bounds are within 1 % of each other,
//! so any quantile is answered within 1 % relative error, in fixed memory (about 1,000 counters
//! cover 10 µs to one hour, so sub-millisecond cache hits are measured too), with no sampling and so no seed, and deterministically for the same
//! inputs. A fixed-size reservoir was the alternative: its memory is as small, but its error on
//! p99 grows with how few tail samples the reservoir happens to keep, and keeping it fair needs
//! randomness. The sketch is written here because it is forty lines; the crates that offer one
//! (`sketches-ddsketch`, `hdrhistogram`) carry more than the tab needs.
//!
//! Cost is computed from the proxy's reported usage and a price table the host gives (US dollars
//! per million tokens per alias, like the proxy's config), summed in whole micro-dollars, each
//! request rounded up as the proxy does, so the two agree on what a session cost.

use std::collections::BTreeMap;

use protocol::Usage;
use serde::{Deserialize, Serialize};

use crate::routing::Task;

/// The relative accuracy of every quantile the sketch answers.
const ALPHA: f64 = 0.01;
/// The sketch counts in units of 10 µs, so values down to 0.01 ms keep their 1 % accuracy.
const UNITS_PER_MS: f64 = 100.0;
/// Values at or above this (one hour, in units) share the last bucket.
const MAX_TRACKED_UNITS: f64 = 3_600_000.0 * UNITS_PER_MS;

/// A bounded-memory latency histogram answering quantiles within [`ALPHA`] relative error.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySketch {
    /// In units of 10 µs: `counts[0]` holds values below one unit; `counts[i]` for `i >= 1`
    /// holds `(γ^(i-2), γ^(i-1)]` (so exactly one unit lands in bucket 1).
    counts: Vec<u32>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for LatencySketch {
    fn default() -> LatencySketch {
        LatencySketch {
            counts: Vec::new(),
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

fn gamma() -> f64 {
    (1.0 + ALPHA) / (1.0 - ALPHA)
}

fn bucket_count() -> usize {
    (MAX_TRACKED_UNITS.ln() / gamma().ln()).ceil() as usize + 2
}

impl LatencySketch {
    /// Records one latency in milliseconds; negative or non-finite values are ignored.
    pub fn record(&mut self, ms: f64) {
        if !ms.is_finite() || ms < 0.0 {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; bucket_count()];
        }
        let last = self.counts.len() - 1;
        let units = ms * UNITS_PER_MS;
        let i = if units < 1.0 {
            0
        } else {
            ((units.ln() / gamma().ln()).ceil() as usize + 1).min(last)
        };
        self.counts[i] += 1;
        self.count += 1;
        self.sum += ms;
        self.min = self.min.min(ms);
        self.max = self.max.max(ms);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The nearest-rank `q`-quantile (`q` in `[0, 1]`), within 1 % of the exact one; `None` when
    /// nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        if rank >= self.count {
            // The largest value is known exactly.
            return Some(self.max);
        }
        let mut seen = 0u64;
        let g = gamma();
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                let estimate = if i == self.counts.len() - 1 {
                    // Everything from one hour up shares the last bucket: the exact maximum is
                    // the only answer within the bound there.
                    self.max
                } else if i == 0 {
                    0.5 / UNITS_PER_MS
                } else {
                    // Bucket i holds (γ^(i-2), γ^(i-1)]: the point within α of both ends.
                    2.0 * g.powi(i as i32 - 1) / (g + 1.0) / UNITS_PER_MS
                };
                // The exact extremes are known, so no estimate falls outside them.
                return Some(estimate.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The summary a snapshot shows.
    pub fn summary(&self) -> LatencySummary {
        let round = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
        LatencySummary {
            count: self.count,
            p50: round(self.quantile(0.50)),
            p95: round(self.quantile(0.95)),
            p99: round(self.quantile(0.99)),
            mean: round((self.count > 0).then(|| self.sum / self.count as f64)),
            max: round((self.count > 0).then_some(self.max)),
        }
    }
}

/// Percentiles of one latency series, in milliseconds rounded to 0.1 ms; `None` when empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// Prices for one alias, in US dollars per million tokens (the proxy config's units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

/// Prices by proxy alias; an alias missing from the table costs nothing.
pub type PriceTable = BTreeMap<String, Pricing>;

/// The cost of `usage` at `pricing` in micro-dollars, rounded up so that tiny requests are never
/// free (the proxy's `cost_micro_usd`, so the tab and the proxy agree).
pub fn cost_micro_usd(pricing: Pricing, usage: &Usage) -> u64 {
    let usd = usage.prompt_tokens as f64 * pricing.input_usd_per_mtok / 1e6
        + usage.completion_tokens as f64 * pricing.output_usd_per_mtok / 1e6;
    let micro = (usd * 1e6).ceil();
    if micro.is_finite() && micro > 0.0 {
        micro as u64
    } else {
        0
    }
}

/// How a request to the proxy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The answer arrived whole.
    Completed,
    /// The host aborted it (the person typed on); its latency is not a model latency.
    Cancelled,
    /// The proxy or the upstream failed.
    Failed,
}

/// One finished request, as the host measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord<'a> {
    pub task: Task,
    /// The proxy alias that served it (prices are per alias).
    pub alias: &'a str,
    pub outcome: Outcome,
    /// From request start to the last byte (or to the abort or failure).
    pub latency_ms: f64,
    /// From request start to the first content token, when one arrived.
    pub first_token_ms: Option<f64>,
    /// The proxy's reported usage, when it sent one.
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, Default)]
struct TaskMetrics {
    completed: u64,
    cancelled: u64,
    failed: u64,
    latency: LatencySketch,
    first_token: LatencySketch,
    cache_hits: u64,
    cache_misses: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost_micro_usd: u64,
}

/// The session's metrics. Feed it from the host's events; read it with [`Metrics::snapshot`].
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    prices: PriceTable,
    tasks: [TaskMetrics; 5],
    shown: u64,
    accepted: u64,
}

impl Metrics {
    /// Metrics that price usage with `prices`.
    pub fn with_prices(prices: PriceTable) -> Metrics {
        Metrics {
            prices,
            ..Metrics::default()
        }
    }

    /// Replaces the price table (costs already summed keep the prices they had).
    pub fn set_prices(&mut self, prices: PriceTable) {
        self.prices = prices;
    }

    fn task(&mut self, task: Task) -> &mut TaskMetrics {
        &mut self.tasks[task.slot()]
    }

    /// Records a request that went to the proxy. Latency percentiles count completed requests
    /// only (a cancelled or failed request says nothing about how fast answers come); tokens and
    /// cost count every request that reported usage, since a cancelled stream is still billed.
    pub fn record_request(&mut self, r: &RequestRecord<'_>) {
        let cost = r
            .usage
            .map(|u| cost_micro_usd(self.prices.get(r.alias).copied().unwrap_or_default(), &u));
        let t = self.task(r.task);
        match r.outcome {
            Outcome::Completed => {
                t.completed += 1;
                t.latency.record(r.latency_ms);
                if let Some(ft) = r.first_token_ms {
                    t.first_token.record(ft);
                }
            }
            Outcome::Cancelled => t.cancelled += 1,
            Outcome::Failed => t.failed += 1,
        }
        if let Some(u) = r.usage {
            t.prompt_tokens += u.prompt_tokens;
            t.completion_tokens += u.completion_tokens;
        }
        t.cost_micro_usd += cost.unwrap_or(0);
    }

    /// Records a cache lookup for `task` (the response cache or autocomplete's prefix cache).
    pub fn record_cache(&mut self, task: Task, hit: bool) {
        let t = self.task(task);
        if hit {
            t.cache_hits += 1;
        } else {
            t.cache_misses += 1;
        }
    }

    /// An autocomplete suggestion was shown to the person.
    pub fn suggestion_shown(&mut self) {
        self.shown += 1;
    }

    /// The person accepted a shown suggestion.
    pub fn suggestion_accepted(&mut self) {
        self.accepted += 1;
    }

    /// Everything so far, serialisable for the host.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let rate = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        let mut tasks = BTreeMap::new();
        let (mut hits, mut misses) = (0, 0);
        let (mut prompt, mut completion, mut cost) = (0, 0, 0);
        for (task, t) in Task::ALL.iter().zip(&self.tasks) {
            hits += t.cache_hits;
            misses += t.cache_misses;
            prompt += t.prompt_tokens;
            completion += t.completion_tokens;
            cost += t.cost_micro_usd;
            tasks.insert(
                *task,
                TaskSnapshot {
                    requests: t.completed + t.cancelled + t.failed,
                    completed: t.completed,
                    cancelled: t.cancelled,
                    failed: t.failed,
                    latency_ms: t.latency.summary(),
                    time_to_first_token_ms: t.first_token.summary(),
                    cache_hits: t.cache_hits,
                    cache_misses: t.cache_misses,
                    cache_hit_rate: rate(t.cache_hits, t.cache_hits + t.cache_misses),
                    tokens: TokenTotals::new(t.prompt_tokens, t.completion_tokens),
                    cost_micro_usd: t.cost_micro_usd,
                },
            );
        }
        MetricsSnapshot {
            tasks,
            cache_hits: hits,
            cache_misses: misses,
            cache_hit_rate: rate(hits, hits + misses),
            suggestions_shown: self.shown,
            suggestions_accepted: self.accepted,
            acceptance_rate: rate(self.accepted, self.shown),
            tokens: TokenTotals::new(prompt, completion),
            cost_micro_usd: cost,
            cost_usd: cost as f64 / 1e6,
        }
    }
}

/// Prompt, completion and total tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenTotals {
    pub prompt: u64,
    pub completion: u64,
    pub total: u64,
}

impl TokenTotals {
    fn new(prompt: u64, completion: u64) -> TokenTotals {
        TokenTotals {
            prompt,
            completion,
            total: prompt + completion,
        }
    }
}

/// One task's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    pub requests: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// Completed requests only.
    pub latency_ms: LatencySummary,
    pub time_to_first_token_ms: LatencySummary,
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// `None` before the first lookup.
    pub cache_hit_rate: Option<f64>,
    pub tokens: TokenTotals,
    pub cost_micro_usd: u64,
}

/// What `Engine.metrics()` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub tasks: BTreeMap<Task, TaskSnapshot>,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache_hit_rate: Option<f64>,
    pub suggestions_shown: u64,
    pub suggestions_accepted: u64,
    /// Accepted over shown; `None` before the first suggestion.
    pub acceptance_rate: Option<f64>,
    pub tokens: TokenTotals,
    pub cost_micro_usd: u64,
    pub cost_usd: f64,
}
