//! OpenAI chat request → Anthropic Messages request.
//!
//! `system`/`developer` messages move to the top-level `system` field, `max_tokens` is required
//! there (the retry loop fills the route's default before this runs), `stop` becomes
//! `stop_sequences`, `temperature` is clamped to Anthropic's 0–1 range, and tools map to
//! `tools`/`tool_choice`, assistant `tool_calls` to `tool_use` blocks and `tool` messages to
//! `tool_result` blocks.

use protocol::{ChatCompletionRequest, ChatMessage, Stop};
use serde_json::{Map, Value, json};

use crate::upstream::UpstreamError;

/// Used only when neither the client nor the route gave `max_tokens`.
const FALLBACK_MAX_TOKENS: u32 = 4096;

/// OpenAI chat request → Anthropic Messages request.
pub fn to_messages_request(
    req: &ChatCompletionRequest,
    stream: bool,
) -> Result<Value, UpstreamError> {
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
fn assistant_message(m: &ChatMessage) -> Result<Value, UpstreamError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use serde_json::json;

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
        let out = to_messages_request(&serde_json::from_value(body).unwrap(), true).unwrap();
        expect![[r#"{"max_tokens":4096,"messages":[{"content":[{"text":"hi","type":"text"}],"role":"user"},{"content":"hello","role":"assistant"},{"content":"more","role":"user"}],"model":"claude-x","stop_sequences":["\n\n"],"stream":true,"system":"be brief","temperature":1.0}"#]]
            .assert_eq(&out.to_string());
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
        let out = to_messages_request(&serde_json::from_value(body).unwrap(), false).unwrap();
        expect![[r#"{"max_tokens":4096,"messages":[{"content":"weather?","role":"user"},{"content":[{"id":"call_1","input":{"city":"Oslo"},"name":"get","type":"tool_use"},{"id":"call_2","input":{},"name":"get","type":"tool_use"}],"role":"assistant"},{"content":[{"content":"rain","tool_use_id":"call_1","type":"tool_result"},{"content":"sun","tool_use_id":"call_2","type":"tool_result"}],"role":"user"}],"model":"claude-x","tool_choice":{"type":"any"},"tools":[{"description":"d","input_schema":{"type":"object"},"name":"get"}]}"#]].assert_eq(&out.to_string());
    }
}
