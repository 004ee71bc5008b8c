//! The handlers: parse the request into a [`Generation`], tokenize it off the runtime, queue it,
//! then either stream the worker's text as server-sent events or collect it into one response.
//! Chat and legacy completions differ only in their prompt and in the JSON shape of the answer
//! ([`Shape`]).

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use protocol::{
    ChatChoice, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ChatMessage,
    ChunkChoice, CompletionChoice, CompletionRequest, CompletionResponse, Delta, GenerationOptions,
    GenerationRequest, ModelInfo, ModelList, Usage,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::AppState;
use super::error::ApiError;
use super::queue::{Event, Job, Rejected};
use crate::generate::{Generation, Outcome};
use crate::prompt::{self, PromptError};
use crate::sampler::SamplingParams;
use crate::template::Message;

/// Completion length when the client names none: long enough for an answer, short enough that a
/// small model looping on itself does not hold the worker for minutes.
const DEFAULT_MAX_TOKENS: usize = 512;

pub async fn models(State(state): State<AppState>) -> Json<ModelList> {
    Json(ModelList {
        object: "list".into(),
        data: vec![ModelInfo {
            id: state.model_id.clone(),
            object: "model".into(),
            created: 0,
            owned_by: "pilotfish-local".into(),
        }],
    })
}

pub async fn stats(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(&*state.queue.stats).unwrap_or_default())
}

pub async fn chat(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: ChatCompletionRequest = parse(&body)?;
    let messages: Vec<Message> = request
        .messages
        .iter()
        .map(|m| Message {
            role: m.role.clone(),
            content: m.text(),
        })
        .collect();
    let model = state.model.clone();
    let prompt = off_runtime(move || prompt::chat(&model, &messages)).await?;
    let max_tokens = request.max_completion_tokens.or(request.options.max_tokens);
    let shape = Shape::Chat;
    serve(&state, shape, &request, &request.extra, prompt, max_tokens).await
}

pub async fn completions(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: CompletionRequest = parse(&body)?;
    let text = match &request.prompt {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default().to_owned()
        }
        _ => return Err(ApiError::bad("`prompt` must be one string")),
    };
    let model = state.model.clone();
    let suffix = request.suffix.clone();
    let prompt = off_runtime(move || prompt::completion(&model, &text, suffix.as_deref())).await?;
    let max_tokens = request.options.max_tokens;
    serve(
        &state,
        Shape::Text,
        &request,
        &request.extra,
        prompt,
        max_tokens,
    )
    .await
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("invalid request body: {e}")))
}

/// Templating and tokenizing a long prompt takes milliseconds of CPU: not on the runtime's threads.
async fn off_runtime(
    work: impl FnOnce() -> Result<Vec<u32>, PromptError> + Send + 'static,
) -> Result<Vec<u32>, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// Queues the generation and answers with a stream or one body.
async fn serve(
    state: &AppState,
    shape: Shape,
    request: &impl GenerationRequest,
    extra: &Map<String, Value>,
    prompt: Vec<u32>,
    max_tokens: Option<u32>,
) -> Result<Response, ApiError> {
    let generation = generation(request.options(), extra, prompt, max_tokens)?;
    let (events, receiver) = unbounded_channel();
    state
        .queue
        .submit(Job { generation, events })
        .map_err(|e| match e {
            Rejected::Full => ApiError::Busy,
            Rejected::WorkerGone => ApiError::Internal("the model worker stopped".into()),
        })?;
    let reply = Reply {
        shape,
        id: format!("{}-{}", shape.id_prefix(), unique()),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        model: state.model_id.clone(),
    };
    if request.is_stream() {
        Ok(stream(reply, receiver, request.wants_stream_usage()))
    } else {
        collect(reply, receiver).await
    }
}

/// The request's options as a generation; out-of-range values are the client's error.
fn generation(
    options: &GenerationOptions,
    extra: &Map<String, Value>,
    prompt: Vec<u32>,
    max_tokens: Option<u32>,
) -> Result<Generation, ApiError> {
    let temperature = options.temperature.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ApiError::bad("`temperature` must be between 0 and 2"));
    }
    let top_p = options.top_p.unwrap_or(1.0);
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(ApiError::bad("`top_p` must be above 0 and at most 1"));
    }
    if max_tokens == Some(0) {
        return Err(ApiError::bad("`max_tokens` must be at least 1"));
    }
    let seed = match extra.get("seed") {
        None | Some(Value::Null) => unique(),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_i64().map(|i| i as u64))
            .ok_or_else(|| ApiError::bad("`seed` must be an integer"))?,
    };
    Ok(Generation {
        prompt,
        max_tokens: max_tokens.map_or(DEFAULT_MAX_TOKENS, |n| n as usize),
        sampling: SamplingParams {
            temperature,
            top_p,
            seed,
        },
        stop: options
            .stop
            .as_ref()
            .map(|s| s.to_vec())
            .unwrap_or_default(),
        // llama.cpp's server takes the same field; benchmarks use it to generate an exact length.
        ignore_eos: extra
            .get("ignore_eos")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A number that differs between calls: ids, and the seed of a request that gave none.
fn unique() -> u64 {
    use std::sync::atomic::AtomicU64;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

/// Which API's JSON the answer is in.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Chat,
    Text,
}

impl Shape {
    fn id_prefix(self) -> &'static str {
        match self {
            Shape::Chat => "chatcmpl",
            Shape::Text => "cmpl",
        }
    }
}

/// The fixed parts of every chunk and body of one answer.
#[derive(Debug, Clone)]
struct Reply {
    shape: Shape,
    id: String,
    created: u64,
    model: String,
}

impl Reply {
    /// A streamed chunk: some text, a role (chat's first chunk), a finish reason, or usage alone.
    fn chunk(
        &self,
        role: Option<&str>,
        text: Option<String>,
        finish: Option<&str>,
        usage: Option<Usage>,
    ) -> Value {
        let with_choice = usage.is_none();
        match self.shape {
            Shape::Chat => to_json(&ChatCompletionChunk {
                id: self.id.clone(),
                object: "chat.completion.chunk".into(),
                created: self.created,
                model: self.model.clone(),
                choices: with_choice
                    .then(|| ChunkChoice {
                        index: 0,
                        delta: Delta {
                            role: role.map(str::to_owned),
                            content: text,
                        },
                        finish_reason: finish.map(str::to_owned),
                    })
                    .into_iter()
                    .collect(),
                usage,
            }),
            Shape::Text => to_json(&CompletionResponse {
                id: self.id.clone(),
                object: "text_completion".into(),
                created: self.created,
                model: self.model.clone(),
                choices: with_choice
                    .then(|| CompletionChoice {
                        text: text.unwrap_or_default(),
                        index: 0,
                        logprobs: None,
                        finish_reason: finish.map(str::to_owned),
                    })
                    .into_iter()
                    .collect(),
                usage,
                extra: Map::new(),
            }),
        }
    }

    /// The whole answer of a non-streaming request.
    fn body(&self, text: String, outcome: Outcome) -> Value {
        let usage = Some(usage(outcome));
        let finish = Some(outcome.finish.as_str().to_owned());
        match self.shape {
            Shape::Chat => to_json(&ChatCompletionResponse {
                id: self.id.clone(),
                object: "chat.completion".into(),
                created: self.created,
                model: self.model.clone(),
                choices: vec![ChatChoice {
                    index: 0,
                    message: ChatMessage::text_message("assistant", &text),
                    finish_reason: finish,
                    extra: Map::new(),
                }],
                usage,
                extra: Map::new(),
            }),
            Shape::Text => to_json(&CompletionResponse {
                id: self.id.clone(),
                object: "text_completion".into(),
                created: self.created,
                model: self.model.clone(),
                choices: vec![CompletionChoice {
                    text,
                    index: 0,
                    logprobs: None,
                    finish_reason: finish,
                }],
                usage,
                extra: Map::new(),
            }),
        }
    }
}

fn usage(outcome: Outcome) -> Usage {
    Usage::new(
        outcome.prompt_tokens as u64,
        outcome.completion_tokens as u64,
    )
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Server-sent events until the worker is done. When the client disconnects, hyper drops this
/// stream and with it `events`' receiver, which is what tells the worker to stop.
fn stream(reply: Reply, mut events: UnboundedReceiver<Event>, include_usage: bool) -> Response {
    let data = |value: Value| Ok::<_, Infallible>(SseEvent::default().data(value.to_string()));
    let stream = async_stream::stream! {
        if matches!(reply.shape, Shape::Chat) {
            yield data(reply.chunk(Some("assistant"), Some(String::new()), None, None));
        }
        while let Some(event) = events.recv().await {
            match event {
                Event::Text(text) => yield data(reply.chunk(None, Some(text), None, None)),
                Event::Done(outcome) => {
                    let finish = outcome.finish.as_str();
                    yield data(reply.chunk(None, None, Some(finish), None));
                    if include_usage {
                        yield data(reply.chunk(None, None, None, Some(usage(outcome))));
                    }
                    break;
                }
                Event::Failed(detail) => {
                    eprintln!("pilotfish-local: generation failed: {detail}");
                    yield data(json!({"error": {"message": "the local model failed",
                        "type": "server_error", "code": null}}));
                    break;
                }
            }
        }
        yield Ok(SseEvent::default().data("[DONE]"));
    };
    Sse::new(stream).into_response()
}

/// Waits for the whole text. If the client disconnects first, axum drops this future and the
/// receiver with it, which stops the worker just as for a stream.
async fn collect(reply: Reply, mut events: UnboundedReceiver<Event>) -> Result<Response, ApiError> {
    let mut text = String::new();
    while let Some(event) = events.recv().await {
        match event {
            Event::Text(piece) => text.push_str(&piece),
            Event::Done(outcome) => return Ok(Json(reply.body(text, outcome)).into_response()),
            Event::Failed(detail) => return Err(ApiError::Internal(detail)),
        }
    }
    Err(ApiError::Internal("the model worker stopped".into()))
}
