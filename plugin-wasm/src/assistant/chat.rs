//! Chat, explain, generate and refactor without the network: [`Engine::plan_chat`] builds the
//! chat prompt for the cursor (the question, the trimmed history and the retrieved chunks,
//! labelled `[n] path:start-end`), returns a cached answer or the `/v1/chat/completions` body for
//! the task's alias, and the citations the host can link. [`Assistant::finish_chat`] caches the
//! whole answer and records the metrics.

use assist::cache::{CacheKey, GenerationSettings};
use assist::metrics::{Outcome, RequestRecord};
use assist::prompt::PartKind;
use assist::routing::Task;
use assist::sse::Streamed;
use protocol::{ChatCompletionRequest, GenerationOptions, StreamOptions, Usage};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Assistant;
use super::completion::Source;
use crate::error::Error;
use crate::options::PromptRequest;
use crate::project::Engine;

/// A chunk the answer may cite (`[n] path:start-end` in the prompt), 1-based inclusive lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    /// The `n` of its label.
    pub label: usize,
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    pub why: String,
}

/// What `chat` resolves to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAnswer {
    pub text: String,
    pub task: Task,
    pub model: String,
    pub source: Source,
    pub citations: Vec<Citation>,
    pub usage: Option<Usage>,
    pub first_text_ms: Option<f64>,
    pub total_ms: Option<f64>,
    pub prompt_tokens: usize,
    /// Secrets replaced in the prompt, counted by rule.
    pub redactions: std::collections::BTreeMap<String, usize>,
}

/// What `chat` does next.
#[derive(Debug)]
pub enum ChatPlan {
    Ready(WireAnswer),
    Fetch(Box<PendingChat>),
}

/// A chat request to send.
#[derive(Debug)]
pub struct PendingChat {
    pub url: String,
    pub body: String,
    key: CacheKey,
    answer: WireAnswer,
}

impl PendingChat {
    /// Appends streamed text to the answer.
    pub fn push(&mut self, text: &str) {
        self.answer.text.push_str(text);
    }
}

/// Chat's settings beyond the prompt.
#[derive(Debug, Clone, Default)]
pub struct ChatSettings {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    /// Which try this is (0: the first): later tries go up the task's escalation ladder.
    pub attempt: usize,
}

impl Engine {
    /// Plans the chat request for `request` (its mode is taken as `"chat"`).
    pub fn plan_chat(
        &self,
        assistant: &mut Assistant,
        request: &PromptRequest,
        settings: &ChatSettings,
        now_ms: u64,
    ) -> Result<ChatPlan, Error> {
        let task = request.chat_task()?;
        let mut request = request.clone();
        request.mode = Some("chat".into());
        let built = self.build_prompt_native(&request)?;
        let alias = assistant
            .routes
            .escalate(task, settings.attempt)
            .ok_or_else(|| Error::Argument {
                argument: "options.attempt",
                message: format!(
                    "the {task} ladder has {} rung(s) ({}): no stronger alias for attempt {}",
                    assistant.routes.ladder(task).len(),
                    assistant.routes.ladder(task).join(", "),
                    settings.attempt
                ),
            })?
            .to_owned();
        let messages: Vec<protocol::ChatMessage> = built
            .messages
            .iter()
            .flatten()
            .map(|m| protocol::ChatMessage {
                role: m.role.name().to_owned(),
                content: Some(Value::String(m.content.clone())),
                extra: Map::new(),
            })
            .collect();
        let body = ChatCompletionRequest {
            model: alias.clone(),
            messages,
            options: GenerationOptions {
                stream: Some(true),
                stream_options: Some(StreamOptions {
                    include_usage: Some(true),
                    extra: Map::new(),
                }),
                temperature: settings.temperature,
                top_p: None,
                max_tokens: settings.max_tokens,
                stop: None,
            },
            max_completion_tokens: None,
            extra: Map::new(),
        };
        let parts: Vec<&str> = built
            .messages
            .iter()
            .flatten()
            .flat_map(|m| [m.role.name(), m.content.as_str()])
            .collect();
        let key = CacheKey::new(
            &alias,
            &parts,
            &GenerationSettings {
                temperature: settings.temperature,
                max_tokens: settings.max_tokens,
                ..GenerationSettings::default()
            },
        );
        let citations = built
            .parts
            .iter()
            .filter(|p| p.kind != PartKind::History)
            .enumerate()
            .map(|(i, p)| Citation {
                label: i + 1,
                path: p.path.clone(),
                start_line: p.start_line,
                end_line: p.end_line,
                why: p.why.clone(),
            })
            .collect();
        let mut answer = WireAnswer {
            text: String::new(),
            task,
            model: alias,
            source: Source::Network,
            citations,
            usage: None,
            first_text_ms: None,
            total_ms: None,
            prompt_tokens: built.tokens,
            redactions: built.redactions,
        };
        if let Some(text) = assistant.responses.get(&key, now_ms) {
            answer.text = text.to_owned();
            answer.source = Source::ResponseCache;
            assistant.metrics.record_cache(task, true);
            return Ok(ChatPlan::Ready(answer));
        }
        assistant.metrics.record_cache(task, false);
        Ok(ChatPlan::Fetch(Box::new(PendingChat {
            url: assistant.url("chat/completions"),
            body: serde_json::to_string(&body).map_err(|e| Error::Output(e.to_string()))?,
            key,
            answer,
        })))
    }
}

impl Assistant {
    /// Finishes a sent chat request: the answer when it streamed whole (`None` when aborted or
    /// failed, which are recorded).
    pub fn finish_chat(
        &mut self,
        pending: PendingChat,
        ended: Result<Streamed, (Outcome, f64)>,
        now_ms: u64,
    ) -> Option<WireAnswer> {
        let PendingChat {
            key, mut answer, ..
        } = pending;
        let (outcome, usage, latency_ms, first_token_ms) = match &ended {
            Ok(s) => (Outcome::Completed, s.usage, s.total_ms, s.first_text_ms),
            Err((outcome, elapsed_ms)) => (*outcome, None, *elapsed_ms, None),
        };
        self.metrics.record_request(&RequestRecord {
            task: answer.task,
            alias: &answer.model,
            outcome,
            latency_ms,
            first_token_ms,
            usage,
        });
        let streamed = ended.ok()?;
        self.store(key, answer.text.clone(), now_ms);
        answer.usage = streamed.usage;
        answer.first_text_ms = streamed.first_text_ms;
        answer.total_ms = Some(streamed.total_ms);
        Some(answer)
    }
}
