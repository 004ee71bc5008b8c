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
//!
//! A deterministic stream is recorded for the cache as the SSE text sent, up to
//! `cache.max_entry_bytes`: past that the recording is dropped at once and the rest of the
//! stream is only relayed, so one long answer costs the proxy no more than the bound.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::http::HeaderName;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use protocol::{ErrorBody, Usage};
use serde_json::Value;

use crate::charge::Charge;
use crate::config::ModelRoute;
use crate::request::ModelRequest;
use crate::retry::OpenedStream;
use crate::state::{AppState, CachedReply, Caller, Observation, Outcome};
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

/// The SSE text of a stream as sent, kept for the cache while it fits under a byte bound.
#[derive(Debug)]
struct Recording {
    text: String,
    max_bytes: usize,
}

impl Recording {
    fn new(max_bytes: usize) -> Self {
        Recording {
            text: String::new(),
            max_bytes,
        }
    }

    /// Appends one event's data; false once the recording would pass its bound (the caller
    /// then drops it, freeing what it held).
    fn push(&mut self, data: &str) -> bool {
        const FRAME: usize = "data: \n\n".len();
        let needed = self.text.len() + data.len() + FRAME;
        if needed > self.max_bytes {
            return false;
        }
        // Grow by doubling as usual, but never past the bound: the capacity is what is held.
        if needed > self.text.capacity() {
            let target = needed.max(self.text.capacity() * 2).min(self.max_bytes);
            self.text.reserve_exact(target - self.text.len());
        }
        self.text.push_str("data: ");
        self.text.push_str(data);
        self.text.push_str("\n\n");
        true
    }
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
    /// The stream as sent, kept only for cacheable requests and while it fits.
    recorded: Option<Recording>,
    /// The reservation admission made; taken when the stream settles.
    charge: Option<Charge>,
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
        let (usage, estimated) = self.usage();
        if let Some(charge) = self.charge.take() {
            charge.settle(Outcome::Used { usage, estimated }).await;
        }
        let edge = &self.job.state.edge;
        if complete && let Some(recording) = self.recorded.take() {
            edge.cache_store(
                &self.job.caller,
                self.job.request.endpoint(),
                &self.route,
                &self.job.body,
                CachedReply::Stream(recording.text),
            )
            .await;
        }
        edge.observe(&self.observation(if complete { 200 } else { 502 }));
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let Some(charge) = self.charge.take() else {
            return;
        };
        // The client went away mid-stream: what was generated so far is still billed.
        let (usage, estimated) = self.usage();
        drop(charge.settle_later(Outcome::Used { usage, estimated }));
        self.job.state.edge.observe(&self.observation(499));
    }
}

/// The SSE response for an opened upstream stream.
pub fn respond(job: StreamJob, charge: Charge, opened: OpenedStream) -> Response {
    let idle = job.state.config.limits.idle_timeout();
    let include_usage = job.request.wants_stream_usage();
    // Only deterministic answers can be replayed, so only those are kept for the cache.
    let cache = &job.state.config.cache;
    let recorded = (cache.enabled && job.request.is_deterministic())
        .then(|| Recording::new(cache.max_entry_bytes));
    let mut ledger = Ledger {
        route: opened.route,
        first_event: Some(job.started.elapsed()),
        job,
        usage: None,
        completion_chars: 0,
        recorded,
        charge: Some(charge),
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
            let text = chunk.to_string();
            if ledger.recorded.as_mut().is_some_and(|r| !r.push(&text)) {
                // Too big to cache: stop keeping it now, not when the stream ends.
                ledger.recorded = None;
            }
            yield Ok(Event::default().data(text));
        }
        yield Ok(Event::default().data("[DONE]"));
        ledger.settle(true).await;
    };
    Sse::new(body).into_response()
}

/// Replays a cached stream: its SSE text as sent, then `[DONE]`.
pub fn replay(events: String) -> Response {
    let body = events + "data: [DONE]\n\n";
    (
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
            (HeaderName::from_static("x-cache"), "hit"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recording_keeps_sse_text_until_its_bound() {
        let mut r = Recording::new(30);
        assert!(r.push("{\"a\":1}"));
        assert_eq!(r.text, "data: {\"a\":1}\n\n");
        // 15 bytes so far; another 15 fit exactly, one more byte does not.
        assert!(!r.push("{\"b\":12}"));
        assert!(r.push("{\"b\":1}"));
        assert_eq!(r.text.len(), 30);
    }
}
