//! Server-sent events towards the client.
//!
//! The SSE body stream OWNS the upstream stream: when the client goes away, hyper drops the body,
//! which drops the upstream response and closes that connection at once (cancellation needs no
//! extra signalling). Between chunks an idle timeout applies. When the upstream fails after the
//! first byte was sent (dropped connection, in-stream error, idle timeout), the client gets one
//! final `data: {"error":{...}}` event and the stream closes WITHOUT `data: [DONE]`: the official
//! OpenAI SDKs raise an `APIError` on such an event, whereas a `[DONE]` would make a truncated
//! answer look complete. Usage is recorded when the stream ends, or (estimated) when the client
//! disconnects early.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use protocol::{ErrorBody, Usage};
use serde_json::Value;

use crate::config::ModelRoute;
use crate::request::ModelRequest;
use crate::retry::OpenedStream;
use crate::state::{AppState, CachedReply, Caller, Observation};
use crate::upstream::UpstreamError;
use crate::usage;

/// Everything the stream needs to finish the request's bookkeeping.
pub struct StreamJob {
    pub state: AppState,
    pub caller: Caller,
    /// The typed request: endpoint, `include_usage`, prompt for the token estimate.
    pub request: ModelRequest,
    /// The client's JSON body, as the edge saw it (the cache key is made from it).
    pub body: Value,
    pub started: Instant,
}

/// The final-usage chunk (`choices: []`) that a client who did not ask for usage must not see.
fn is_usage_only(chunk: &Value) -> bool {
    chunk
        .get("choices")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
        && usage::reported(chunk).is_some()
}

fn data(v: &Value) -> Event {
    Event::default().data(v.to_string())
}

fn error_event(e: &UpstreamError) -> Event {
    let (msg, code) = match e {
        UpstreamError::IdleTimeout => ("the upstream stopped sending data", "upstream_timeout"),
        UpstreamError::Truncated | UpstreamError::Transport(_) => (
            "the upstream connection ended before the answer was complete",
            "upstream_disconnected",
        ),
        UpstreamError::Overloaded(_) => ("the upstream is overloaded", "upstream_overloaded"),
        _ => ("the upstream failed while streaming", "upstream_error"),
    };
    let body = ErrorBody::new(msg, "upstream_error", Some(code));
    Event::default().data(serde_json::to_string(&body).unwrap_or_default())
}

/// Bookkeeping that must happen exactly once, also when the client drops the stream.
struct Ledger {
    job: StreamJob,
    route: ModelRoute,
    usage: Option<Usage>,
    completion_chars: usize,
    first_event: Option<Duration>,
    /// Chunks as sent, kept only for cacheable requests.
    recorded: Option<Vec<Value>>,
    settled: bool,
}

impl Ledger {
    fn usage(&self) -> (Usage, bool) {
        match self.usage {
            Some(u) => (u, false),
            None => (
                usage::estimate(&self.job.request, self.completion_chars),
                true,
            ),
        }
    }

    fn observation(&self, status: u16) -> Observation {
        Observation {
            route: self.job.request.endpoint().route(),
            model: self.route.alias.clone(),
            tenant: self.job.caller.tenant.clone(),
            status,
            latency: self.job.started.elapsed(),
            time_to_first_token: self.first_event,
            cache_hit: false,
        }
    }

    /// Normal end: usage, cache (complete streams only), metrics.
    async fn settle(&mut self, complete: bool) {
        self.settled = true;
        let (usage, estimated) = self.usage();
        let edge = &self.job.state.edge;
        edge.record_usage(&self.job.caller, &self.route, usage, estimated)
            .await;
        if complete && let Some(chunks) = self.recorded.take() {
            edge.cache_store(
                &self.job.caller,
                self.job.request.endpoint(),
                &self.route,
                &self.job.body,
                CachedReply::Stream(chunks),
            )
            .await;
        }
        edge.observe(&self.observation(if complete { 200 } else { 502 }));
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // The client went away mid-stream: what was generated so far is still billed.
        let (usage, estimated) = self.usage();
        let obs = self.observation(499);
        let edge = self.job.state.edge.clone();
        let caller = self.job.caller.clone();
        let route = self.route.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                edge.record_usage(&caller, &route, usage, estimated).await;
                edge.observe(&obs);
            });
        }
    }
}

/// The SSE response for an opened upstream stream.
pub fn respond(job: StreamJob, opened: OpenedStream) -> Response {
    let idle = job.state.config.limits.idle_timeout();
    let include_usage = job.request.wants_stream_usage();
    // Only deterministic answers can be replayed, so only those are kept for the cache.
    let recorded = job.request.is_deterministic().then(Vec::new);
    let mut ledger = Ledger {
        route: opened.route,
        first_event: Some(job.started.elapsed()),
        job,
        usage: None,
        completion_chars: 0,
        recorded,
        settled: false,
    };
    let OpenedStream {
        head,
        mut rest,
        complete,
        ..
    } = opened;
    let body = async_stream::stream! {
        let mut pending: std::collections::VecDeque<Value> = head.into();
        let mut finished = complete;
        loop {
            let chunk = if let Some(c) = pending.pop_front() {
                c
            } else if finished {
                break;
            } else {
                match tokio::time::timeout(idle, rest.next()).await {
                    Ok(Some(Ok(c))) => c,
                    Ok(None) => { finished = true; continue; }
                    Ok(Some(Err(e))) => {
                        tracing::debug!(detail = %e, "upstream error");
                        tracing::warn!(error = %e.summary(), "upstream failed mid-stream");
                        yield Ok::<Event, Infallible>(error_event(&e));
                        ledger.settle(false).await;
                        return;
                    }
                    Err(_) => {
                        tracing::warn!("upstream idle mid-stream");
                        yield Ok(error_event(&UpstreamError::IdleTimeout));
                        ledger.settle(false).await;
                        return;
                    }
                }
            };
            if let Some(u) = usage::reported(&chunk) {
                ledger.usage = Some(u);
            }
            ledger.completion_chars += usage::completion_chars(&chunk);
            if !include_usage && is_usage_only(&chunk) {
                continue;
            }
            if let Some(r) = ledger.recorded.as_mut() {
                r.push(chunk.clone());
            }
            yield Ok(data(&chunk));
        }
        yield Ok(Event::default().data("[DONE]"));
        ledger.settle(true).await;
    };
    Sse::new(body).into_response()
}

/// Replays a cached stream as SSE.
pub fn replay(chunks: Vec<Value>) -> Response {
    let events = chunks
        .into_iter()
        .map(|c| data(&c))
        .chain(std::iter::once(Event::default().data("[DONE]")))
        .map(Ok::<Event, Infallible>);
    let mut res = Sse::new(futures::stream::iter(events)).into_response();
    res.headers_mut()
        .insert("x-cache", axum::http::HeaderValue::from_static("hit"));
    res
}
