//! The OpenAI-compatible streaming answer as the proxy relays it: `data:` events carrying
//! `chat.completion.chunk` objects (text in `choices[].delta.content`) or `text_completion`
//! chunks (text in `choices[].text`), a `finish_reason` on the last content chunk, with
//! `stream_options.include_usage` a final chunk with `choices: []` and `usage`, then
//! `data: [DONE]`.
//!
//! When the upstream fails after the first byte, the proxy sends one `data: {"error":{...}}` event
//! and closes without `[DONE]` (see `proxy/src/stream.rs`); other servers send `event: error`.
//! Both become a [`StreamError`], never text. A body that ends with neither `[DONE]` nor a
//! `finish_reason` was cut off: [`ChunkStream::finish`] says so.

use protocol::Usage;
use serde::Serialize;
use serde_json::Value;

use super::{SseDecoder, SseEvent};

/// What a streamed answer says, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// More text for choice `index` (never empty).
    Delta { index: u32, text: String },
    /// Choice `index` ended: `stop`, `length`, ...
    Finish { index: u32, reason: String },
    /// The token usage the proxy reported.
    Usage {
        prompt_tokens: u64,
        completion_tokens: u64,
        total_tokens: u64,
    },
    /// `data: [DONE]`: the answer is complete.
    Done,
}

/// Why a stream did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamError {
    /// The proxy or the upstream reported an error in the stream.
    #[error("the model's stream failed: {message}")]
    Upstream {
        message: String,
        /// The error's `code` (e.g. `upstream_timeout`), when it has one.
        code: Option<String>,
    },
    /// A data event that is not the JSON of a chunk.
    #[error("malformed stream chunk: {detail}")]
    Malformed { detail: String },
    /// The body ended before `[DONE]` or a `finish_reason`.
    #[error("the stream ended before the answer was complete")]
    Truncated,
}

#[derive(Debug, Clone, Default)]
enum State {
    #[default]
    Open,
    /// A choice carried a `finish_reason`: a body ending here ended cleanly (some compatible
    /// servers omit `[DONE]`), though `usage` may still follow.
    Finished,
    Done,
    Failed(StreamError),
}

/// Decodes one streamed answer.
#[derive(Debug, Clone, Default)]
pub struct ChunkStream {
    sse: SseDecoder,
    scratch: Vec<SseEvent>,
    state: State,
}

impl ChunkStream {
    /// Feeds the next bytes of the response body. Events they complete are pushed onto `out`,
    /// including those before an error in the same bytes. An error ends the stream: later calls
    /// return it again; bytes after `[DONE]` are ignored.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), StreamError> {
        match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Done => return Ok(()),
            State::Open | State::Finished => {}
        }
        self.scratch.clear();
        self.sse.feed(bytes, &mut self.scratch);
        let events = std::mem::take(&mut self.scratch);
        for ev in &events {
            if let Err(e) = self.event(ev, out) {
                self.state = State::Failed(e.clone());
                return Err(e);
            }
            if matches!(self.state, State::Done) {
                break;
            }
        }
        self.scratch = events;
        Ok(())
    }

    /// The body ended: `Ok` if the answer completed, else why not.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        self.sse.finish();
        match &self.state {
            State::Done | State::Finished => Ok(()),
            State::Failed(e) => Err(e.clone()),
            State::Open => {
                self.state = State::Failed(StreamError::Truncated);
                Err(StreamError::Truncated)
            }
        }
    }

    /// True once `[DONE]` arrived.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn event(&mut self, ev: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), StreamError> {
        let data = ev.data.trim();
        match ev.event.as_deref() {
            Some("error") => return Err(upstream_error(data)),
            None | Some("message") => {}
            // Named events other than errors (keep-alive pings and the like) carry no answer.
            Some(_) => return Ok(()),
        }
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.state = State::Done;
            out.push(StreamEvent::Done);
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| StreamError::Malformed {
            detail: e.to_string(),
        })?;
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            return Err(upstream_error(data));
        }
        for choice in chunk
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = choice
                .get("index")
                .and_then(Value::as_u64)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0);
            let text = choice
                .pointer("/delta/content")
                .or_else(|| choice.get("text"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !text.is_empty() {
                out.push(StreamEvent::Delta {
                    index,
                    text: text.to_owned(),
                });
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                self.state = State::Finished;
                out.push(StreamEvent::Finish {
                    index,
                    reason: reason.to_owned(),
                });
            }
        }
        if let Some(u) = chunk.get("usage").filter(|u| u.is_object()) {
            let usage: Usage =
                serde_json::from_value(u.clone()).map_err(|e| StreamError::Malformed {
                    detail: format!("usage: {e}"),
                })?;
            let total = if usage.total_tokens > 0 {
                usage.total_tokens
            } else {
                // Saturating: the counts are the server's, and may be anything.
                usage.prompt_tokens.saturating_add(usage.completion_tokens)
            };
            out.push(StreamEvent::Usage {
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                total_tokens: total,
            });
        }
        Ok(())
    }
}

impl StreamEvent {
    /// The usage this event reports, for metrics.
    pub fn usage(&self) -> Option<Usage> {
        match *self {
            StreamEvent::Usage {
                prompt_tokens,
                completion_tokens,
                total_tokens,
            } => Some(Usage {
                prompt_tokens,
                completion_tokens,
                total_tokens,
            }),
            _ => None,
        }
    }
}

/// The error an error event describes: the OpenAI body `{"error":{"message","code"}}`, the
/// Anthropic one `{"type":"error","error":{"type","message"}}`, a bare `{"message"}`, a string
/// under `error`, or plain text.
fn upstream_error(data: &str) -> StreamError {
    let parsed: Option<Value> = serde_json::from_str(data).ok();
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (message, code) = match &parsed {
        Some(v) => (
            text(v.pointer("/error/message"))
                .or_else(|| text(v.get("error")))
                .or_else(|| text(v.get("message"))),
            text(v.pointer("/error/code")).or_else(|| text(v.pointer("/error/type"))),
        ),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| {
        if data.is_empty() {
            "error event".to_owned()
        } else {
            data.to_owned()
        }
    });
    StreamError::Upstream { message, code }
}
