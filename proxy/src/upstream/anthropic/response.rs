//! Anthropic message → OpenAI chat completion, for non-streamed answers. `finish_reason` is
//! shared with the stream translation.

use serde_json::{Value, json};

use crate::upstream::{UpstreamError, unix_now};

/// Anthropic `stop_reason` → OpenAI `finish_reason`.
pub(super) fn finish_reason(stop_reason: Option<&str>) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use serde_json::json;

    #[test]
    fn non_stream_tool_use_becomes_tool_calls() {
        let msg = json!({"id":"msg_3","type":"message","role":"assistant","model":"c",
            "content":[{"type":"tool_use","id":"toolu_9","name":"get","input":{"city":"Oslo"}}],
            "stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":2}});
        let out = from_message(&msg).unwrap();
        expect![[r#"{"finish_reason":"tool_calls","index":0,"message":{"content":"","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Oslo\"}","name":"get"},"id":"toolu_9","type":"function"}]}}"#]].assert_eq(&out["choices"][0].to_string());
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
