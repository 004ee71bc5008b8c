//! Retries and fallbacks, both only before the first byte reaches the client.
//!
//! One alias is tried up to `retry.max_attempts` times (exponential backoff with jitter via
//! `backon`; an upstream `Retry-After` is honoured when it fits under `retry.max_backoff_ms`,
//! otherwise retrying stops). When the alias still fails with an error that is not the client's
//! fault, the next alias of its `fallbacks` list is tried. For streams, "first byte" means the
//! first event carrying content, a finish reason or usage: role-only preamble events (and
//! Anthropic's `message_start`) are held back, so an `overloaded_error` right after them is still
//! retried instead of reaching the client. What is held back is bounded by
//! `limits.max_held_bytes`: a stream whose preamble grows past it (a reasoning model's
//! `reasoning_content` before its first content) is opened there, its held events are sent and
//! the rest is relayed as it comes. Memory stays bounded and the reasoning reaches the client;
//! the price is that a failure after that point ends the stream instead of being retried.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::StreamExt;
use serde_json::Value;

use crate::config::{ModelRoute, ProviderKind};
use crate::request::ModelRequest;
use crate::state::AppState;
use crate::upstream::{EventStream, Upstream, UpstreamError};

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

/// The request sent to the upstream of `route`: its model name, Anthropic's required
/// `max_tokens`, and (for streams) the usage chunk asked for.
fn prepare(
    state: &AppState,
    route: &ModelRoute,
    request: &ModelRequest,
    stream: bool,
) -> ModelRequest {
    let mut req = request.clone();
    req.set_model(&route.model);
    let provider = state.config.provider(&route.provider);
    let anthropic = provider.is_some_and(|p| p.kind == ProviderKind::Anthropic);
    if anthropic
        && let ModelRequest::Chat(chat) = &mut req
        && chat.options.max_tokens.is_none()
        && chat.max_completion_tokens.is_none()
    {
        chat.options.max_tokens = Some(route.default_max_tokens);
    }
    // Ask OpenAI-wire upstreams for the final usage chunk even when the client did not, so usage
    // and cost are exact; the stream filter drops that chunk again for such clients.
    if stream
        && !anthropic
        && provider.is_some_and(|p| p.stream_usage)
        && let Some(options) = req.options_mut()
    {
        options
            .stream_options
            .get_or_insert_with(Default::default)
            .include_usage = Some(true);
    }
    req
}

fn upstream_for(state: &AppState, route: &ModelRoute) -> Result<Arc<dyn Upstream>, UpstreamError> {
    state
        .upstreams
        .get(&route.provider)
        .cloned()
        .ok_or_else(|| UpstreamError::Transport(format!("no upstream named {}", route.provider)))
}

/// Runs `attempt` for each alias of the chain in turn: each alias is retried with backoff while
/// its error is retryable, and the next alias is tried while the error allows a fallback. Returns
/// the first success with the alias that served it, or the last error.
async fn with_fallbacks<'a, T, F, Fut>(
    state: &AppState,
    chain: &'a [ModelRoute],
    attempt: F,
) -> Result<(T, &'a ModelRoute), UpstreamError>
where
    F: Fn(&'a ModelRoute) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let mut last = UpstreamError::Transport("no route".into());
    for route in chain {
        let result = (|| attempt(route))
            .retry(backoff(state))
            .sleep(tokio::time::sleep)
            .when(UpstreamError::is_retryable)
            .adjust(|e, d| adjust(state, e, d))
            .notify(|e, d| {
                tracing::debug!(alias = %route.alias, detail = %e, "upstream attempt failed");
                tracing::info!(alias = %route.alias, error = %e.summary(), retry_in_ms = d.as_millis() as u64, "retrying upstream");
            })
            .await;
        match result {
            Ok(v) => return Ok((v, route)),
            Err(e) => {
                // The upstream's words can echo the prompt: at debug only (see `summary`).
                tracing::debug!(alias = %route.alias, detail = %e, "upstream error");
                tracing::warn!(alias = %route.alias, error = %e.summary(), "upstream failed before the first byte");
                if !e.allows_fallback() {
                    return Err(e);
                }
                last = e;
            }
        }
    }
    Err(last)
}

/// A non-streaming call through the alias chain.
pub async fn call(
    state: &AppState,
    chain: &[ModelRoute],
    request: &ModelRequest,
) -> Result<(Value, ModelRoute), UpstreamError> {
    let (answer, route) = with_fallbacks(state, chain, |route| async move {
        let upstream = upstream_for(state, route)?;
        upstream.call(&prepare(state, route, request, false)).await
    })
    .await?;
    Ok((answer, route.clone()))
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
    request: &ModelRequest,
) -> Result<OpenedStream, UpstreamError> {
    let upstream = upstream_for(state, route)?;
    let req = prepare(state, route, request, true);
    let max_held = state.config.limits.max_held_bytes;
    let first = async {
        let mut rest = upstream.stream(&req).await?;
        let mut head = Vec::new();
        let mut held = 0;
        loop {
            match rest.next().await {
                Some(Ok(v)) => {
                    held += v.to_string().len();
                    let done = is_substantive(&v) || held > max_held;
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
    request: &ModelRequest,
) -> Result<OpenedStream, UpstreamError> {
    let (opened, _) =
        with_fallbacks(state, chain, |route| open_once(state, route, request)).await?;
    Ok(opened)
}
