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
    let mut messages: Vec<Value> = Vec::new();
    for m in &req.messages {
        match m.role.as_str() {
            "system" | "developer" => system.push(m.text()),
            "user" => messages.push(json!({
                "role": "user",
                "content": content_blocks(m.content.as_ref()),
            })),
            "assistant" => messages.push(assistant_message(m)?),
            // Anthropic expects tool results as `tool_result` blocks of the next user turn; a run
            // of OpenAI `tool` messages becomes one such turn.
            "tool" => {
                let block = json!({
                    "type": "tool_result",
                    "tool_use_id": m.extra.get("tool_call_id").cloned().unwrap_or(json!("")),
                    "content": m.text(),
                });
                let merged = messages.last_mut().is_some_and(|last| {
                    let is_results = last["role"] == "user"
                        && last["content"]
                            .as_array()
                            .is_some_and(|c| c.iter().all(|b| b["type"] == "tool_result"));
                    if is_results && let Some(c) = last["content"].as_array_mut() {
                        c.push(block.clone());
                    }
                    is_results
                });
                if !merged {
                    messages.push(json!({"role": "user", "content": [block]}));
                }
            }
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
        .options
        .max_tokens
        .or(req.max_completion_tokens)
        .unwrap_or(FALLBACK_MAX_TOKENS);
    out.insert("max_tokens".into(), json!(max));
    if let Some(t) = req.options.temperature {
        out.insert("temperature".into(), json!(t.clamp(0.0, 1.0)));
    }
    if let Some(p) = req.options.top_p {
        out.insert("top_p".into(), json!(p));
    }
    if let Some(stop) = req.options.stop.as_ref().map(Stop::to_vec) {
        out.insert("stop_sequences".into(), json!(stop));
    }
    if let Some(user) = req.extra.get("user").and_then(Value::as_str) {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    if let Some(tools) = req.extra.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools
            .iter()
            .filter_map(|t| t.get("function"))
            .map(|f| {
                json!({
                    "name": f.get("name").cloned().unwrap_or(json!("")),
                    "description": f.get("description").cloned().unwrap_or(json!("")),
                    "input_schema": f.get("parameters").cloned().unwrap_or(json!({"type": "object"})),
                })
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = req.extra.get("tool_choice") {
        let mapped = match choice {
            Value::String(s) if s == "required" => json!({"type": "any"}),
            Value::String(s) if s == "none" => json!({"type": "none"}),
            Value::Object(o) => match o.get("function").and_then(|f| f.get("name")) {
                Some(name) => json!({"type": "tool", "name": name}),
                None => json!({"type": "auto"}),
            },
            _ => json!({"type": "auto"}),
        };
        out.insert("tool_choice".into(), mapped);
    }
    if stream {
        out.insert("stream".into(), json!(true));
    }
    Ok(Value::Object(out))
}

/// An OpenAI assistant turn → Anthropic: text plus one `tool_use` block per tool call.
fn assistant_message(m: &protocol::ChatMessage) -> Result<Value, UpstreamError> {
    let Some(calls) = m.extra.get("tool_calls").and_then(Value::as_array) else {
        return Ok(json!({"role": "assistant", "content": content_blocks(m.content.as_ref())}));
    };
    let mut blocks = Vec::new();
    let text = m.text();
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for call in calls {
        let args = call
            .pointer("/function/arguments")
            .and_then(Value::as_str)
            .unwrap_or("{}");
        let input: Value = serde_json::from_str(args).map_err(|_| {
            UpstreamError::Unsupported("tool call arguments must be a JSON object".to_owned())
        })?;
        blocks.push(json!({
            "type": "tool_use",
            "id": call.get("id").cloned().unwrap_or(json!("")),
            "name": call.pointer("/function/name").cloned().unwrap_or(json!("")),
            "input": input,
        }));
    }
    Ok(json!({"role": "assistant", "content": blocks}))
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
    let tool_calls: Vec<Value> = msg
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                .map(|b| {
                    json!({
                        "id": b.get("id").cloned().unwrap_or(json!("")),
                        "type": "function",
                        "function": {
                            "name": b.get("name").cloned().unwrap_or(json!("")),
                            "arguments": b.get("input").map(Value::to_string).unwrap_or_else(|| "{}".to_owned()),
                        },
                    })
                })
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
    let mut message = json!({"role": "assistant", "content": text});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    Ok(json!({
        "id": id,
        "object": "chat.completion",
        "created": unix_now(),
        "model": msg.get("model").cloned().unwrap_or(json!("")),
        "choices": [{
            "index": 0,
            "message": message,
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
    fn tools_and_tool_turns_map_to_anthropic_blocks() {
        let body = json!({
            "model": "claude-x",
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": "{\"city\":\"Oslo\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
                {"role": "tool", "tool_call_id": "call_2", "content": "sun"}
            ],
            "tools": [{"type": "function", "function": {"name": "get", "description": "d", "parameters": {"type": "object"}}}],
            "tool_choice": "required"
        });
        let out = to_messages_request(body, false).unwrap();
        expect![[r#"{"max_tokens":4096,"messages":[{"content":"weather?","role":"user"},{"content":[{"id":"call_1","input":{"city":"Oslo"},"name":"get","type":"tool_use"},{"id":"call_2","input":{},"name":"get","type":"tool_use"}],"role":"assistant"},{"content":[{"content":"rain","tool_use_id":"call_1","type":"tool_result"},{"content":"sun","tool_use_id":"call_2","type":"tool_result"}],"role":"user"}],"model":"claude-x","tool_choice":{"type":"any"},"tools":[{"description":"d","input_schema":{"type":"object"},"name":"get"}]}"#]].assert_eq(&out.to_string());
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
    fn non_stream_tool_use_becomes_tool_calls() {
        let msg = json!({"id":"msg_3","type":"message","role":"assistant","model":"c",
            "content":[{"type":"tool_use","id":"toolu_9","name":"get","input":{"city":"Oslo"}}],
            "stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":2}});
        let out = from_message(&msg).unwrap();
        expect![[r#"{"finish_reason":"tool_calls","index":0,"message":{"content":"","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Oslo\"}","name":"get"},"id":"toolu_9","type":"function"}]}}"#]].assert_eq(&out["choices"][0].to_string());
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
