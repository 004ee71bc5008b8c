//! Anthropic's named SSE events (`message_start`, `content_block_start`/`_delta`,
//! `message_delta`, `message_stop`, `ping`, `error`) → OpenAI chat chunks. An in-stream
//! `overloaded_error` becomes the retryable [`UpstreamError::Overloaded`], like HTTP 529.

use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::{Value, json};

use super::response::finish_reason;
use crate::upstream::{EventStream, UpstreamError, unix_now};

/// State carried across the events of one Anthropic stream.
#[derive(Debug, Default)]
pub struct StreamTranslator {
    id: String,
    model: String,
    created: u64,
    input_tokens: u64,
    output_tokens: u64,
    finished: bool,
    /// Anthropic content-block index → OpenAI tool-call index, for `tool_use` blocks.
    tool_blocks: Vec<(u64, usize)>,
}

/// What one Anthropic event turns into.
#[derive(Debug, PartialEq)]
pub enum Translated {
    Chunk(Value),
    Skip,
    /// `message_stop`: the final usage chunk; the stream is complete.
    End(Value),
}

impl StreamTranslator {
    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": null,
        })
    }

    /// Translates one named event.
    pub fn event(&mut self, name: &str, data: &str) -> Result<Translated, UpstreamError> {
        let v: Value = serde_json::from_str(data)
            .map_err(|e| UpstreamError::Decode(format!("{name}: {e}")))?;
        match name {
            "message_start" => {
                let m = v.get("message").cloned().unwrap_or_default();
                self.id = m
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("msg")
                    .to_owned();
                self.model = m
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.created = unix_now();
                self.input_tokens = m
                    .pointer("/usage/input_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                self.output_tokens = m
                    .pointer("/usage/output_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                Ok(Translated::Chunk(
                    self.chunk(json!({"role": "assistant", "content": ""}), None),
                ))
            }
            "content_block_start"
                if v.pointer("/content_block/type").and_then(Value::as_str) == Some("tool_use") =>
            {
                let block = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                let call = self.tool_blocks.len();
                self.tool_blocks.push((block, call));
                let delta = json!({"tool_calls": [{
                    "index": call,
                    "id": v.pointer("/content_block/id").cloned().unwrap_or(json!("")),
                    "type": "function",
                    "function": {"name": v.pointer("/content_block/name").cloned().unwrap_or(json!("")), "arguments": ""},
                }]});
                Ok(Translated::Chunk(self.chunk(delta, None)))
            }
            "content_block_delta"
                if v.pointer("/delta/type").and_then(Value::as_str) == Some("input_json_delta") =>
            {
                let block = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                let Some(&(_, call)) = self.tool_blocks.iter().find(|(b, _)| *b == block) else {
                    return Ok(Translated::Skip);
                };
                let part = v
                    .pointer("/delta/partial_json")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let delta =
                    json!({"tool_calls": [{"index": call, "function": {"arguments": part}}]});
                Ok(Translated::Chunk(self.chunk(delta, None)))
            }
            "content_block_start" => match v.pointer("/content_block/text").and_then(Value::as_str)
            {
                Some(t) if !t.is_empty() => {
                    Ok(Translated::Chunk(self.chunk(json!({"content": t}), None)))
                }
                _ => Ok(Translated::Skip),
            },
            "content_block_delta" => match v.pointer("/delta/text").and_then(Value::as_str) {
                Some(t) => Ok(Translated::Chunk(self.chunk(json!({"content": t}), None))),
                None => Ok(Translated::Skip),
            },
            "message_delta" => {
                if let Some(n) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.output_tokens = n;
                }
                if let Some(n) = v.pointer("/usage/input_tokens").and_then(Value::as_u64) {
                    self.input_tokens = n;
                }
                match finish_reason(v.pointer("/delta/stop_reason").and_then(Value::as_str)) {
                    Some(f) => Ok(Translated::Chunk(self.chunk(json!({}), Some(f)))),
                    None => Ok(Translated::Skip),
                }
            }
            "message_stop" => {
                self.finished = true;
                let (i, o) = (self.input_tokens, self.output_tokens);
                Ok(Translated::End(json!({
                    "id": self.id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o},
                })))
            }
            "error" => {
                let kind = v
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("error");
                let msg = v
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if kind == "overloaded_error" {
                    Err(UpstreamError::Overloaded(msg))
                } else {
                    Err(UpstreamError::InStream(format!("{kind}: {msg}")))
                }
            }
            // ping, content_block_stop and event types added later carry nothing we forward.
            _ => Ok(Translated::Skip),
        }
    }
}

/// The OpenAI chunks of one Anthropic SSE response; ends after `message_stop`, and with
/// [`UpstreamError::Truncated`] when the body ends before it.
pub(super) fn translate(resp: reqwest::Response) -> EventStream {
    let events = resp.bytes_stream().eventsource();
    let state = (events, StreamTranslator::default(), false);
    futures::stream::unfold(state, |(mut events, mut tr, done)| async move {
        if done {
            return None;
        }
        loop {
            let ev = match events.next().await {
                None => return Some((Err(UpstreamError::Truncated), (events, tr, true))),
                Some(Err(e)) => {
                    let err = UpstreamError::Transport(format!("stream: {e}"));
                    return Some((Err(err), (events, tr, true)));
                }
                Some(Ok(ev)) => ev,
            };
            // Anthropic names every event; the `type` inside the data says the same.
            let name = if ev.event.is_empty() || ev.event == "message" {
                serde_json::from_str::<Value>(&ev.data)
                    .ok()
                    .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default()
            } else {
                ev.event.clone()
            };
            match tr.event(&name, &ev.data) {
                Ok(Translated::Skip) => continue,
                Ok(Translated::Chunk(c)) => return Some((Ok(c), (events, tr, false))),
                Ok(Translated::End(c)) => return Some((Ok(c), (events, tr, true))),
                Err(e) => return Some((Err(e), (events, tr, true))),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use serde_json::json;

    #[test]
    fn stream_events_become_openai_chunks() {
        let mut tr = StreamTranslator::default();
        let events = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":12,"output_tokens":1}}}"#,
            ),
            ("ping", r#"{"type":"ping"}"#),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":5}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let mut out = Vec::new();
        for (name, data) in events {
            match tr.event(name, data).unwrap() {
                Translated::Chunk(mut c) | Translated::End(mut c) => {
                    c["created"] = json!(0);
                    out.push(c.to_string());
                }
                Translated::Skip => {}
            }
        }
        expect![[r#"
            {"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"created":0,"id":"msg_1","model":"claude-x","object":"chat.completion.chunk","usage":null}
            {"choices":[{"delta":{"content":"Hel"},"finish_reason":null,"index":0}],"created":0,"id":"msg_1","model":"claude-x","object":"chat.completion.chunk","usage":null}
            {"choices":[{"delta":{},"finish_reason":"length","index":0}],"created":0,"id":"msg_1","model":"claude-x","object":"chat.completion.chunk","usage":null}
            {"choices":[],"created":0,"id":"msg_1","model":"claude-x","object":"chat.completion.chunk","usage":{"completion_tokens":5,"prompt_tokens":12,"total_tokens":17}}"#]]
            .assert_eq(&out.join("\n"));
    }

    #[test]
    fn streamed_tool_use_becomes_tool_call_deltas() {
        let mut tr = StreamTranslator::default();
        tr.event("message_start", r#"{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}"#)
            .unwrap();
        let mut out = Vec::new();
        for (name, data) in [
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Oslo\"}"}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
            ),
        ] {
            if let Translated::Chunk(c) = tr.event(name, data).unwrap() {
                out.push(c["choices"][0].to_string());
            }
        }
        expect![[r#"
            {"delta":{"tool_calls":[{"function":{"arguments":"","name":"get"},"id":"toolu_1","index":0,"type":"function"}]},"finish_reason":null,"index":0}
            {"delta":{"tool_calls":[{"function":{"arguments":"{\"city\":"},"index":0}]},"finish_reason":null,"index":0}
            {"delta":{"tool_calls":[{"function":{"arguments":"\"Oslo\"}"},"index":0}]},"finish_reason":null,"index":0}
            {"delta":{},"finish_reason":"tool_calls","index":0}"#]].assert_eq(&out.join("\n"));
    }

    #[test]
    fn overloaded_error_event_is_retryable() {
        let mut tr = StreamTranslator::default();
        let err = tr
            .event(
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            )
            .unwrap_err();
        assert!(err.is_retryable());
        let other = tr
            .event(
                "error",
                r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#,
            )
            .unwrap_err();
        assert!(!other.is_retryable());
    }
}
