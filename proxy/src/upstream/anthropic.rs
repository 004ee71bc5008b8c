//! Anthropic's Messages API behind the OpenAI wire format.
//!
//! Requests: `system`/`developer` messages move to the top-level `system` field, `max_tokens`
//! is required there (the caller fills the route's default), `stop` becomes `stop_sequences`,
//! `temperature` is clamped to Anthropic's 0–1 range. Responses and the named SSE events
//! (`message_start`, `content_block_delta`, `message_delta`, `message_stop`, `ping`, `error`) become
//! OpenAI chat objects and chunks; an in-stream `overloaded_error` is retryable like HTTP 529.
//! Legacy completions (FIM) and embeddings do not exist there and are refused with a clear 400
//! rather than faked through a chat prompt.

use eventsource_stream::Eventsource;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use protocol::{ChatCompletionRequest, Stop};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use super::{Connection, Endpoint, EventStream, Upstream, UpstreamError, unix_now};

/// The API version header every request carries.
const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Used only when neither the client nor the route gave `max_tokens`.
const FALLBACK_MAX_TOKENS: u32 = 4096;

/// An Anthropic upstream.
pub struct Anthropic {
    pub conn: Connection,
}

impl Anthropic {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = &self.conn.api_key
            && let Ok(mut v) = HeaderValue::from_str(key.expose_secret())
        {
            v.set_sensitive(true);
            h.insert("x-api-key", v);
        }
        h
    }

    fn check_endpoint(endpoint: Endpoint) -> Result<(), UpstreamError> {
        match endpoint {
            Endpoint::Chat => Ok(()),
            Endpoint::Completions => Err(UpstreamError::Unsupported(
                "this model's provider (Anthropic) has no fill-in-the-middle completions endpoint; \
                 use /v1/chat/completions or an alias served by an OpenAI-compatible provider"
                    .to_owned(),
            )),
            Endpoint::Embeddings => Err(UpstreamError::Unsupported(
                "this model's provider (Anthropic) does not serve embeddings".to_owned(),
            )),
        }
    }
}

impl Upstream for Anthropic {
    fn call(&self, endpoint: Endpoint, body: Value) -> BoxFuture<'_, Result<Value, UpstreamError>> {
        async move {
            Self::check_endpoint(endpoint)?;
            let req = to_messages_request(body, false)?;
            let resp = self.conn.post("messages", self.headers(), &req).await?;
            let msg = self.conn.json(resp).await?;
            from_message(&msg)
        }
        .boxed()
    }

    fn stream(
        &self,
        endpoint: Endpoint,
        body: Value,
    ) -> BoxFuture<'_, Result<EventStream, UpstreamError>> {
        async move {
            Self::check_endpoint(endpoint)?;
            let req = to_messages_request(body, true)?;
            let resp = self.conn.post("messages", self.headers(), &req).await?;
            Ok(translate_stream(resp))
        }
        .boxed()
    }
}

/// OpenAI chat request → Anthropic Messages request.
pub fn to_messages_request(body: Value, stream: bool) -> Result<Value, UpstreamError> {
    let req: ChatCompletionRequest = serde_json::from_value(body)
        .map_err(|e| UpstreamError::Unsupported(format!("invalid chat request: {e}")))?;
    let mut system = Vec::new();
    let mut messages = Vec::new();
    for m in &req.messages {
        match m.role.as_str() {
            "system" | "developer" => system.push(m.text()),
            "user" | "assistant" => messages.push(json!({
                "role": m.role,
                "content": content_blocks(m.content.as_ref()),
            })),
            // Tool results have no direct text equivalent without tool definitions; send the
            // text as the user's turn so the conversation stays well-formed.
            "tool" => messages.push(json!({"role": "user", "content": m.text()})),
            other => {
                return Err(UpstreamError::Unsupported(format!(
                    "message role `{other}` is not supported by this model's provider"
                )));
            }
        }
    }
    let mut out = Map::new();
    out.insert("model".into(), json!(req.model));
    out.insert("messages".into(), Value::Array(messages));
    if !system.is_empty() {
        out.insert("system".into(), json!(system.join("\n\n")));
    }
    let max = req
        .max_tokens
        .or(req.max_completion_tokens)
        .unwrap_or(FALLBACK_MAX_TOKENS);
    out.insert("max_tokens".into(), json!(max));
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), json!(t.clamp(0.0, 1.0)));
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), json!(p));
    }
    if let Some(stop) = req.stop.as_ref().map(Stop::to_vec) {
        out.insert("stop_sequences".into(), json!(stop));
    }
    if let Some(user) = req.extra.get("user").and_then(Value::as_str) {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    if stream {
        out.insert("stream".into(), json!(true));
    }
    Ok(Value::Object(out))
}

/// OpenAI content (string or parts) → Anthropic content (string or blocks).
fn content_blocks(content: Option<&Value>) -> Value {
    match content {
        Some(Value::String(s)) => json!(s),
        Some(Value::Array(parts)) => Value::Array(
            parts
                .iter()
                .filter_map(|p| match p.get("type").and_then(Value::as_str) {
                    Some("text") => Some(json!({"type": "text", "text": p.get("text").cloned().unwrap_or(json!(""))})),
                    Some("image_url") => {
                        let url = p.pointer("/image_url/url").and_then(Value::as_str)?;
                        let rest = url.strip_prefix("data:")?;
                        let (media_type, data) = rest.split_once(";base64,")?;
                        Some(json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}))
                    }
                    _ => None,
                })
                .collect(),
        ),
        _ => json!(""),
    }
}

fn finish_reason(stop_reason: Option<&str>) -> Option<&'static str> {
    stop_reason.map(|r| match r {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    })
}

/// Anthropic message → OpenAI chat completion.
pub fn from_message(msg: &Value) -> Result<Value, UpstreamError> {
    let id = msg
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| UpstreamError::Decode("message without id".into()))?;
    let text: String = msg
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let input = msg
        .pointer("/usage/input_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let output = msg
        .pointer("/usage/output_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(json!({
        "id": id,
        "object": "chat.completion",
        "created": unix_now(),
        "model": msg.get("model").cloned().unwrap_or(json!("")),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish_reason(msg.get("stop_reason").and_then(Value::as_str)),
        }],
        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
    }))
}

/// State carried across the events of one Anthropic stream.
#[derive(Debug, Default)]
pub struct StreamTranslator {
    id: String,
    model: String,
    created: u64,
    input_tokens: u64,
    output_tokens: u64,
    finished: bool,
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

fn translate_stream(resp: reqwest::Response) -> EventStream {
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

    #[test]
    fn chat_request_maps_to_messages() {
        let body = json!({
            "model": "claude-x",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "more"}
            ],
            "temperature": 1.7,
            "stop": "\n\n",
            "stream": true
        });
        let out = to_messages_request(body, true).unwrap();
        expect![[r#"{"max_tokens":4096,"messages":[{"content":[{"text":"hi","type":"text"}],"role":"user"},{"content":"hello","role":"assistant"},{"content":"more","role":"user"}],"model":"claude-x","stop_sequences":["\n\n"],"stream":true,"system":"be brief","temperature":1.0}"#]]
            .assert_eq(&out.to_string());
    }

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

    #[test]
    fn message_maps_to_chat_completion() {
        let msg = json!({"id":"msg_2","type":"message","role":"assistant","model":"claude-x",
            "content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}],
            "stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}});
        let mut out = from_message(&msg).unwrap();
        out["created"] = json!(0);
        expect![[r#"{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"Hi there","role":"assistant"}}],"created":0,"id":"msg_2","model":"claude-x","object":"chat.completion","usage":{"completion_tokens":2,"prompt_tokens":3,"total_tokens":5}}"#]]
            .assert_eq(&out.to_string());
    }
}
