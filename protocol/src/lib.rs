//! Wire types shared by the browser plugin and the proxy: the OpenAI-compatible request and
//! response bodies Pilotfish speaks. Depends on serde only; knows nothing of engines or servers.
//!
//! Requests keep every field they do not name in an `extra` map (`#[serde(flatten)]`), so a proxy
//! that parses a client's body and forwards it to an OpenAI-compatible upstream loses nothing the
//! client sent (tools, response_format, seed, logit_bias, ...). Responses do the same so that
//! upstream fields survive the round trip through the proxy.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v1/chat/completions` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Streaming, sampling and stopping, shared with [`CompletionRequest`].
    #[serde(flatten)]
    pub options: GenerationOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// Everything else the client sent, forwarded untouched to OpenAI-compatible upstreams.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields chat and legacy completion requests share: streaming, sampling and stopping.
///
/// Flattened into both requests. It has no `extra` map of its own: serde hands a flattened
/// struct its named fields first, and only what is left goes to the request's `extra`, so a
/// field is either typed here or passed through there, never both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
}

/// A request that generates text (chat or legacy completion): its shared options, and the
/// questions the proxy asks of either without caring which one it holds.
pub trait GenerationRequest {
    fn options(&self) -> &GenerationOptions;

    fn options_mut(&mut self) -> &mut GenerationOptions;

    /// Whether the client asked for a server-sent-event stream.
    fn is_stream(&self) -> bool {
        self.options().stream.unwrap_or(false)
    }

    /// Whether the client asked for a final usage chunk in the stream.
    fn wants_stream_usage(&self) -> bool {
        self.options()
            .stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }
}

impl GenerationRequest for ChatCompletionRequest {
    fn options(&self) -> &GenerationOptions {
        &self.options
    }

    fn options_mut(&mut self) -> &mut GenerationOptions {
        &mut self.options
    }
}

impl GenerationRequest for CompletionRequest {
    fn options(&self) -> &GenerationOptions {
        &self.options
    }

    fn options_mut(&mut self) -> &mut GenerationOptions {
        &mut self.options
    }
}

/// `stream_options` of chat and completion requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stop`: one string or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    /// The stop sequences as a list, whatever shape the client used.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Stop::One(s) => vec![s.clone()],
            Stop::Many(v) => v.clone(),
        }
    }
}

/// One chat message. `content` is a string or a list of content parts (kept as JSON so that
/// images and other part kinds pass through); [`ChatMessage::text`] flattens the text parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    /// `None` when the client left `content` out, `Some(Value::Null)` when it sent `null` (an
    /// assistant turn with tool calls), so the message is forwarded exactly as it came.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Deserializes a field that is present, `null` included, as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl ChatMessage {
    /// A plain text message.
    pub fn text_message(role: &str, text: &str) -> Self {
        ChatMessage {
            role: role.to_owned(),
            content: Some(Value::String(text.to_owned())),
            extra: Map::new(),
        }
    }

    /// The message's text: the string content, or the `text` parts joined together.
    pub fn text(&self) -> String {
        match &self.content {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
            _ => String::new(),
        }
    }
}

/// Token usage as OpenAI reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
}

impl Usage {
    /// Usage from prompt and completion counts, with the total filled in.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        }
    }
}

/// Non-streaming chat completion response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionResponse {
    pub id: String,
    #[serde(default = "chat_completion_object")]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChatChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn chat_completion_object() -> String {
    "chat.completion".to_owned()
}

/// One choice of a chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    #[serde(default)]
    pub index: u32,
    pub message: ChatMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One streamed chat chunk (`object: "chat.completion.chunk"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    pub id: String,
    #[serde(default = "chat_chunk_object")]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Present (and `choices` empty) on the final chunk when `include_usage` was requested.
    /// Serialized as `null` otherwise, as OpenAI does.
    #[serde(default)]
    pub usage: Option<Usage>,
}

fn chat_chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

/// One choice inside a streamed chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The incremental part of a streamed chat message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// `POST /v1/completions` request body (legacy completions, used for fill-in-the-middle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    /// A string, a list of strings or token arrays; kept as JSON and passed through.
    pub prompt: Value,
    /// The text after the cursor, for fill-in-the-middle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Streaming, sampling and stopping, shared with [`ChatCompletionRequest`].
    #[serde(flatten)]
    pub options: GenerationOptions,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Completions response (also the shape of each streamed completion chunk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionResponse {
    pub id: String,
    #[serde(default = "text_completion_object")]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    pub model: String,
    pub choices: Vec<CompletionChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn text_completion_object() -> String {
    "text_completion".to_owned()
}

/// One choice of a completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionChoice {
    pub text: String,
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub logprobs: Option<Value>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// `POST /v1/embeddings` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    pub model: String,
    /// A string, a list of strings or token arrays.
    pub input: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /v1/embeddings` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    #[serde(default = "list_object")]
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<EmbeddingUsage>,
}

fn list_object() -> String {
    "list".to_owned()
}

/// One embedding vector (floats, or a base64 string when `encoding_format` was `base64`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    #[serde(default = "embedding_object")]
    pub object: String,
    pub embedding: Value,
    pub index: u32,
}

fn embedding_object() -> String {
    "embedding".to_owned()
}

/// Usage of an embeddings call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
}

/// `GET /v1/models` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    pub object: String,
    pub data: Vec<ModelInfo>,
}

/// One entry of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub owned_by: String,
}

/// The OpenAI error body: `{"error":{"message","type","code"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
}

impl ErrorBody {
    /// An error body with the given message, type and code.
    pub fn new(message: impl Into<String>, kind: &str, code: Option<&str>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                message: message.into(),
                kind: kind.to_owned(),
                code: code.map(str::to_owned),
                param: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn unknown_request_fields_survive_a_round_trip() {
        let body = r#"{"model":"chat","messages":[{"role":"user","content":"hi","name":"ann"}],
            "seed":7,"tools":[{"type":"function"}],"stream":true,
            "stream_options":{"include_usage":true}}"#;
        let req: ChatCompletionRequest = serde_json::from_str(body).unwrap();
        assert!(req.is_stream());
        assert!(req.wants_stream_usage());
        assert_eq!(req.extra["seed"], 7);
        let back = serde_json::to_string(&req).unwrap();
        expect![[r#"{"model":"chat","messages":[{"role":"user","content":"hi","name":"ann"}],"stream":true,"stream_options":{"include_usage":true},"seed":7,"tools":[{"type":"function"}]}"#]]
            .assert_eq(&back);
    }

    #[test]
    fn shared_options_are_typed_once_and_the_rest_passes_through() {
        let body = r#"{"model":"m","prompt":"a","suffix":"b","temperature":0,"top_p":0.5,
            "max_tokens":8,"stop":["x"],"echo":false,"stream":null}"#;
        let req: CompletionRequest = serde_json::from_str(body).unwrap();
        assert_eq!(req.options.temperature, Some(0.0));
        assert_eq!(req.options.max_tokens, Some(8));
        assert!(!req.is_stream());
        assert_eq!(req.extra.keys().collect::<Vec<_>>(), ["echo"]);
        expect![[r#"{"model":"m","prompt":"a","suffix":"b","temperature":0.0,"top_p":0.5,"max_tokens":8,"stop":["x"],"echo":false}"#]]
            .assert_eq(&serde_json::to_string(&req).unwrap());
    }

    #[test]
    fn null_content_survives_and_absent_content_stays_absent() {
        let body = r#"[{"role":"assistant","content":null,"tool_calls":[]},{"role":"tool"}]"#;
        let msgs: Vec<ChatMessage> = serde_json::from_str(body).unwrap();
        assert_eq!(msgs[0].text(), "");
        expect![[r#"[{"role":"assistant","content":null,"tool_calls":[]},{"role":"tool"}]"#]]
            .assert_eq(&serde_json::to_string(&msgs).unwrap());
    }

    #[test]
    fn message_text_joins_text_parts() {
        let m: ChatMessage = serde_json::from_str(
            r#"{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{}},{"type":"text","text":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(m.text(), "ab");
        assert_eq!(ChatMessage::text_message("user", "x").text(), "x");
    }

    #[test]
    fn stop_accepts_both_shapes() {
        let one: Stop = serde_json::from_str(r#""\n""#).unwrap();
        let many: Stop = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(one.to_vec(), vec!["\n"]);
        assert_eq!(many.to_vec(), vec!["a", "b"]);
    }

    #[test]
    fn error_body_has_openai_shape() {
        let e = ErrorBody::new("nope", "invalid_request_error", Some("bad"));
        expect![[r#"{"error":{"message":"nope","type":"invalid_request_error","code":"bad","param":null}}"#]]
            .assert_eq(&serde_json::to_string(&e).unwrap());
    }

    #[test]
    fn chunk_serializes_null_usage_like_openai() {
        let c = ChatCompletionChunk {
            id: "c1".into(),
            object: "chat.completion.chunk".into(),
            created: 1,
            model: "m".into(),
            choices: vec![ChunkChoice {
                index: 0,
                delta: Delta {
                    role: None,
                    content: Some("hi".into()),
                },
                finish_reason: None,
            }],
            usage: None,
        };
        expect![[r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}"#]]
            .assert_eq(&serde_json::to_string(&c).unwrap());
    }
}
