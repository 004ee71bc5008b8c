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

use crate::app::{AppState, CachedReply, Caller, Observation};
use crate::config::ModelRoute;
use crate::retry::OpenedStream;
use crate::upstream::{Endpoint, UpstreamError};

/// Everything the stream needs to finish the request's bookkeeping.
pub struct StreamJob {
    pub state: AppState,
    pub caller: Caller,
    pub endpoint: Endpoint,
    /// The client's request, for the cache key and token estimates.
    pub request: Value,
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
    pub started: Instant,
}

/// Rough token count (4 characters per token) for upstreams that report no usage.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

/// Characters of prompt text in a chat, completion or embedding request.
pub fn prompt_chars(request: &Value) -> usize {
    fn text_len(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(text_len).sum(),
            Value::Object(o) => o
                .get("text")
                .or_else(|| o.get("content"))
                .map(text_len)
                .unwrap_or(0),
            _ => 0,
        }
    }
    ["messages", "prompt", "suffix", "input"]
        .iter()
        .filter_map(|k| request.get(*k))
        .map(text_len)
        .sum()
}

/// Text characters in one chunk (chat delta or completion text).
fn chunk_chars(chunk: &Value) -> usize {
    chunk
        .get("choices")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    c.pointer("/delta/content")
                        .or_else(|| c.get("text"))
                        .and_then(Value::as_str)
                        .map_or(0, str::len)
                })
                .sum()
        })
        .unwrap_or(0)
}

fn usage_of(chunk: &Value) -> Option<Usage> {
    chunk
        .get("usage")
        .filter(|u| !u.is_null())
        .and_then(|u| serde_json::from_value(u.clone()).ok())
}

/// The final-usage chunk (`choices: []`) that a client who did not ask for usage must not see.
fn is_usage_only(chunk: &Value) -> bool {
    chunk
        .get("choices")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
        && usage_of(chunk).is_some()
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
                Usage::new(
                    estimate_tokens(prompt_chars(&self.job.request)),
                    estimate_tokens(self.completion_chars),
                ),
                true,
            ),
        }
    }

    fn observation(&self, status: u16) -> Observation {
        Observation {
            route: self.job.endpoint.route(),
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
                self.job.endpoint,
                &self.route,
                &self.job.request,
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

/// Whether a request is deterministic enough to be worth recording for the cache.
fn worth_recording(request: &Value) -> bool {
    request.get("temperature").and_then(Value::as_f64) == Some(0.0)
}

/// The SSE response for an opened upstream stream.
pub fn respond(job: StreamJob, opened: OpenedStream) -> Response {
    let idle = job.state.config.limits.idle_timeout();
    let include_usage = job.include_usage;
    let recorded = worth_recording(&job.request).then(Vec::new);
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
                        tracing::warn!(error = %e, "upstream failed mid-stream");
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
            if let Some(u) = usage_of(&chunk) {
                ledger.usage = Some(u);
            }
            ledger.completion_chars += chunk_chars(&chunk);
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
