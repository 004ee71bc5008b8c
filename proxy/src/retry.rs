//! Retries and fallbacks, both only before the first byte reaches the client.
//!
//! One alias is tried up to `retry.max_attempts` times (exponential backoff with jitter via
//! `backon`; an upstream `Retry-After` is honoured when it fits under `retry.max_backoff_ms`,
//! otherwise retrying stops). When the alias still fails with an error that is not the client's
//! fault, the next alias of its `fallbacks` list is tried. For streams, "first byte" means the
//! first event carrying content, a finish reason or usage: role-only preamble events (and
//! Anthropic's `message_start`) are held back, so an `overloaded_error` right after them is still
//! retried instead of reaching the client.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::config::{ModelRoute, ProviderKind};
use crate::upstream::{Endpoint, EventStream, UpstreamError};

/// A stream that has produced its first substantive event.
pub struct OpenedStream {
    /// Events received so far (preamble plus the first substantive one), not yet sent.
    pub head: Vec<Value>,
    /// The rest of the upstream stream; owns the upstream connection.
    pub rest: EventStream,
    /// The alias that served it.
    pub route: ModelRoute,
    /// Whether `rest` is already exhausted (the whole answer was in `head`).
    pub complete: bool,
}

fn backoff(state: &AppState) -> ExponentialBuilder {
    let r = &state.config.retry;
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(r.initial_backoff_ms))
        .with_max_delay(Duration::from_millis(
            r.max_backoff_ms.max(r.initial_backoff_ms),
        ))
        .with_max_times(r.max_attempts.saturating_sub(1))
        .with_jitter()
}

/// Delay to wait before the next attempt: the upstream's `Retry-After` when it sent one that
/// fits under the cap, none (stop retrying) when it asks for longer, else the backoff's own.
fn adjust(state: &AppState, e: &UpstreamError, planned: Option<Duration>) -> Option<Duration> {
    match e {
        UpstreamError::Status {
            retry_after: Some(secs),
            ..
        } => {
            let wanted = Duration::from_secs(*secs);
            (wanted <= Duration::from_millis(state.config.retry.max_backoff_ms)).then_some(wanted)
        }
        _ => planned,
    }
}

/// The body sent to the upstream of `route`.
fn prepare(
    state: &AppState,
    route: &ModelRoute,
    endpoint: Endpoint,
    body: &Value,
    stream: bool,
) -> Value {
    let mut b = body.clone();
    // Handlers only pass JSON objects (validated against the typed request); anything else is
    // forwarded unchanged rather than panicking on an index assignment.
    let Some(obj) = b.as_object_mut() else {
        return b;
    };
    obj.insert("model".into(), json!(route.model));
    let provider = state.config.provider(&route.provider);
    let kind = provider.map(|p| p.kind);
    let stream_usage = provider.is_some_and(|p| p.stream_usage);
    let absent = |k: &str| obj.get(k).is_none_or(Value::is_null);
    if kind == Some(ProviderKind::Anthropic)
        && absent("max_tokens")
        && absent("max_completion_tokens")
    {
        obj.insert("max_tokens".into(), json!(route.default_max_tokens));
    }
    // Ask OpenAI-wire upstreams for the final usage chunk even when the client did not, so usage
    // and cost are exact; the stream filter drops that chunk again for such clients.
    if stream
        && stream_usage
        && endpoint != Endpoint::Embeddings
        && kind != Some(ProviderKind::Anthropic)
    {
        let opts = obj.entry("stream_options").or_insert_with(|| json!({}));
        if !opts.is_object() {
            *opts = json!({});
        }
        if let Some(o) = opts.as_object_mut() {
            o.insert("include_usage".into(), json!(true));
        }
    }
    b
}

fn upstream_for(
    state: &AppState,
    route: &ModelRoute,
) -> Result<std::sync::Arc<dyn crate::upstream::Upstream>, UpstreamError> {
    state
        .upstreams
        .get(&route.provider)
        .cloned()
        .ok_or_else(|| UpstreamError::Transport(format!("no upstream named {}", route.provider)))
}

/// A non-streaming call through the alias chain.
pub async fn call(
    state: &AppState,
    chain: &[ModelRoute],
    endpoint: Endpoint,
    body: &Value,
) -> Result<(Value, ModelRoute), UpstreamError> {
    let mut last = UpstreamError::Transport("no route".into());
    for route in chain {
        let upstream = upstream_for(state, route)?;
        let req = prepare(state, route, endpoint, body, false);
        let attempt = || {
            let up = upstream.clone();
            let req = req.clone();
            async move { up.call(endpoint, req).await }
        };
        match attempt
            .retry(backoff(state))
            .sleep(tokio::time::sleep)
            .when(UpstreamError::is_retryable)
            .adjust(|e, d| adjust(state, e, d))
            .notify(|e, d| tracing::info!(alias = %route.alias, error = %e, retry_in_ms = d.as_millis() as u64, "retrying upstream"))
            .await
        {
            Ok(v) => return Ok((v, route.clone())),
            Err(e) => {
                tracing::warn!(alias = %route.alias, error = %e, "upstream call failed");
                if !e.allows_fallback() {
                    return Err(e);
                }
                last = e;
            }
        }
    }
    Err(last)
}

/// Whether a chunk is more than a role-only preamble.
fn is_substantive(chunk: &Value) -> bool {
    if chunk.get("usage").is_some_and(|u| !u.is_null()) {
        return true;
    }
    let Some(choices) = chunk.get("choices").and_then(Value::as_array) else {
        return true;
    };
    choices.iter().any(|c| {
        c.get("finish_reason").is_some_and(|f| !f.is_null())
            || c.get("text")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            || c.pointer("/delta/content")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            || c.pointer("/delta/tool_calls").is_some()
            || c.pointer("/delta/refusal").is_some_and(|r| !r.is_null())
    })
}

/// Opens a stream and waits (within the first-byte timeout) for its first substantive event.
async fn open_once(
    state: &AppState,
    route: &ModelRoute,
    endpoint: Endpoint,
    req: Value,
) -> Result<OpenedStream, UpstreamError> {
    let upstream = upstream_for(state, route)?;
    let first = async {
        let mut rest = upstream.stream(endpoint, req).await?;
        let mut head = Vec::new();
        loop {
            match rest.next().await {
                Some(Ok(v)) => {
                    let done = is_substantive(&v);
                    head.push(v);
                    if done {
                        return Ok((head, rest, false));
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok((head, rest, true)),
            }
        }
    };
    let (head, rest, complete) =
        tokio::time::timeout(state.config.limits.first_byte_timeout(), first)
            .await
            .map_err(|_| UpstreamError::FirstByteTimeout)??;
    Ok(OpenedStream {
        head,
        rest,
        route: route.clone(),
        complete,
    })
}

/// A streaming call through the alias chain, returned once the first substantive event arrived.
pub async fn open_stream(
    state: &AppState,
    chain: &[ModelRoute],
    endpoint: Endpoint,
    body: &Value,
) -> Result<OpenedStream, UpstreamError> {
    let mut last = UpstreamError::Transport("no route".into());
    for route in chain {
        let req = prepare(state, route, endpoint, body, true);
        let attempt = || open_once(state, route, endpoint, req.clone());
        match attempt
            .retry(backoff(state))
            .sleep(tokio::time::sleep)
            .when(UpstreamError::is_retryable)
            .adjust(|e, d| adjust(state, e, d))
            .notify(|e, d| tracing::info!(alias = %route.alias, error = %e, retry_in_ms = d.as_millis() as u64, "retrying upstream"))
            .await
        {
            Ok(s) => return Ok(s),
            Err(e) => {
                tracing::warn!(alias = %route.alias, error = %e, "upstream stream failed before first byte");
                if !e.allows_fallback() {
                    return Err(e);
                }
                last = e;
            }
        }
    }
    Err(last)
}
