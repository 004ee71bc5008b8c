//! Prometheus metrics, served only on the admin listener (`admin_listen`, loopback by default),
//! never on the public API port: series carry client names and spend.
//!
//! The recorder is deliberately *not* installed globally. Each [`Metrics`] owns its own
//! `PrometheusRecorder` and records through `metrics::with_local_recorder`, so several proxies
//! in one test process never fight over the process-wide recorder, and a test reads exactly the
//! series its own proxy produced.
//!
//! Series:
//! - `pilotfish_requests_total{route,model,status}`
//! - `pilotfish_request_duration_seconds{route,model}` (histogram)
//! - `pilotfish_time_to_first_token_seconds{route,model}` (histogram, streams only)
//! - `pilotfish_cache_total{route,result="hit"|"miss"}`
//! - `pilotfish_tokens_total{client,model,kind="prompt"|"completion"}`
//! - `pilotfish_cost_usd_total{client,model}` (a gauge that only grows; see `usage`)
//! - `pilotfish_rejections_total{client,reason}` (rate limits, budgets)
//! - `pilotfish_store_failures_total{outcome="refused"|"admitted"}` (admissions the shared
//!   store could not count, by what `limits.on_store_failure` made of them)
//!
//! `client` is a configured client or issuer name: users of signed tokens are counted under
//! their issuer, since their number has no bound.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Latency buckets in seconds: dense between 10 ms and 2 s where p50/p95/p99 of an LLM
/// gateway's overhead and first token fall, then coarse out to the 2-minute stream tail.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
    20.0, 30.0, 60.0, 120.0,
];

/// The metrics of one proxy process; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        // Setting buckets only fails for an empty list, which the constant is not; fall back
        // to summaries rather than fail startup if that ever changes.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self {
            recorder: Arc::new(recorder),
            handle,
        }
    }
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), f)
    }

    /// Prometheus text exposition of everything recorded so far.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }

    /// One finished request (any status, including rejections before the upstream).
    pub fn request(&self, route: &str, model: &str, status: u16, latency: Duration) {
        let (route, model) = (route.to_owned(), model.to_owned());
        self.with(|| {
            metrics::counter!("pilotfish_requests_total",
                "route" => route.clone(), "model" => model.clone(), "status" => status.to_string())
            .increment(1);
            metrics::histogram!("pilotfish_request_duration_seconds",
                "route" => route, "model" => model)
            .record(latency.as_secs_f64());
        });
    }

    /// Time from receiving a streaming request to sending its first byte.
    pub fn first_token(&self, route: &str, model: &str, ttft: Duration) {
        let (route, model) = (route.to_owned(), model.to_owned());
        self.with(|| {
            metrics::histogram!("pilotfish_time_to_first_token_seconds",
                "route" => route, "model" => model)
            .record(ttft.as_secs_f64());
        });
    }

    /// A cache lookup.
    pub fn cache(&self, route: &str, hit: bool) {
        let route = route.to_owned();
        self.with(|| {
            metrics::counter!("pilotfish_cache_total",
                "route" => route, "result" => if hit { "hit" } else { "miss" })
            .increment(1);
        });
    }

    /// Tokens and cost of one request, attributed to its client.
    pub fn usage(&self, client: &str, model: &str, prompt: u64, completion: u64, cost_usd: f64) {
        let (client, model) = (client.to_owned(), model.to_owned());
        self.with(|| {
            metrics::counter!("pilotfish_tokens_total",
                "client" => client.clone(), "model" => model.clone(), "kind" => "prompt")
            .increment(prompt);
            metrics::counter!("pilotfish_tokens_total",
                "client" => client.clone(), "model" => model.clone(), "kind" => "completion")
            .increment(completion);
            // The `metrics` facade's counters are integers and cost is fractional, so spend is a
            // gauge that only ever goes up: scrape it like a counter.
            metrics::gauge!("pilotfish_cost_usd_total", "client" => client, "model" => model)
                .increment(cost_usd);
        });
    }

    /// A request refused by a limit (`reason` = rate_limit_exceeded, budget_exceeded, ...).
    pub fn rejection(&self, client: &str, reason: &'static str) {
        let client = client.to_owned();
        self.with(|| {
            metrics::counter!("pilotfish_rejections_total", "client" => client, "reason" => reason)
                .increment(1);
        });
    }

    /// An admission the shared store could not count (`outcome`: refused or admitted).
    pub fn store_failure(&self, outcome: &'static str) {
        self.with(|| {
            metrics::counter!("pilotfish_store_failures_total", "outcome" => outcome).increment(1);
        });
    }
}

/// The admin API: `GET /metrics` only.
pub fn admin_router(metrics: Metrics) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { Exposition(metrics.render()) }
        }),
    )
}

/// Serves the admin API on `listener` until the process ends.
pub async fn serve_admin(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
) -> std::io::Result<()> {
    axum::serve(listener, admin_router(metrics)).await
}

struct Exposition(String);

impl IntoResponse for Exposition {
    fn into_response(self) -> Response {
        let mut r = self.0.into_response();
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_appear_with_labels_and_buckets() {
        let m = Metrics::default();
        m.request("chat", "chat", 200, Duration::from_millis(120));
        m.request("chat", "chat", 429, Duration::from_millis(1));
        m.first_token("chat", "chat", Duration::from_millis(60));
        m.cache("chat", true);
        m.cache("chat", false);
        m.usage("demo", "chat", 10, 5, 0.25);
        m.rejection("demo", "budget_exceeded");
        let text = m.render();
        for needle in [
            r#"pilotfish_requests_total{route="chat",model="chat",status="200"} 1"#,
            r#"pilotfish_requests_total{route="chat",model="chat",status="429"} 1"#,
            r#"pilotfish_request_duration_seconds_bucket{route="chat",model="chat",le="0.15"} 2"#,
            r#"pilotfish_time_to_first_token_seconds_bucket{route="chat",model="chat",le="0.05"} 0"#,
            r#"pilotfish_time_to_first_token_seconds_bucket{route="chat",model="chat",le="0.075"} 1"#,
            r#"pilotfish_cache_total{route="chat",result="hit"} 1"#,
            r#"pilotfish_cache_total{route="chat",result="miss"} 1"#,
            r#"pilotfish_tokens_total{client="demo",model="chat",kind="prompt"} 10"#,
            r#"pilotfish_tokens_total{client="demo",model="chat",kind="completion"} 5"#,
            r#"pilotfish_cost_usd_total{client="demo",model="chat"} 0.25"#,
            r#"pilotfish_rejections_total{client="demo",reason="budget_exceeded"} 1"#,
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }

    #[test]
    fn two_instances_do_not_share_series() {
        let a = Metrics::default();
        let b = Metrics::default();
        a.cache("chat", true);
        assert!(a.render().contains("pilotfish_cache_total"));
        assert!(!b.render().contains("pilotfish_cache_total"));
    }
}
