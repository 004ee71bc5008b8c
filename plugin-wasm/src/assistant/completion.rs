//! Autocomplete from the cursor to the suggestion, without the network. [`Engine::plan_completion`]
//! serves the rest of a shown suggestion the person is typing into (prefix cache) or an answer
//! the response cache holds, with no request; otherwise it builds the FIM prompt, the request
//! body and the stream reader, and says how long to debounce. [`Assistant::finish_completion`]
//! postprocesses what was streamed, fills both caches and records the metrics. A plan whose
//! generation is no longer the latest is stale: its answer may be cached, never shown.

use assist::cache::CacheKey;
use assist::complete::{
    CallSettings, CompletionCall, CursorContext, LineMode, StopReason, Tree, Verdict,
};
use assist::metrics::{Outcome, RequestRecord};
use assist::routing::Task;
use assist::sse::{Flow, Streamed};
use engine::{Language, LineIndex};
use protocol::Usage;
use serde::Serialize;

use super::Assistant;
use super::memo::{PromptMemo, Remembered};
use crate::error::Error;
use crate::options::PromptRequest;
use crate::project::Engine;
use crate::prompt::utf8_offset;

/// Where a suggestion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Network,
    /// The rest of the suggestion shown before, which the person is typing into.
    PrefixCache,
    ResponseCache,
}

/// What `complete` resolves to (or `null` when a newer call made it stale).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSuggestion {
    /// The text to insert at the cursor; empty when there is nothing worth showing.
    pub text: String,
    pub mode: LineMode,
    /// Why the stream was cut early, if it was.
    pub stop: Option<StopReason>,
    pub verdict: Verdict,
    pub source: Source,
    /// The proxy alias asked.
    pub model: String,
    /// The proxy's reported usage (network answers).
    pub usage: Option<Usage>,
    pub first_text_ms: Option<f64>,
    pub total_ms: Option<f64>,
    /// The prompt's tokens as built (counted or estimated); `None` for the prefix cache.
    pub prompt_tokens: Option<usize>,
}

/// What `complete` does next.
#[derive(Debug)]
pub enum CompletionPlan {
    /// Served from a cache: no request.
    Ready(WireSuggestion),
    /// Wait `debounce_ms`, then send.
    Fetch(Box<PendingCompletion>),
}

/// A completion to send: the request and what its answer is postprocessed against.
#[derive(Debug)]
pub struct PendingCompletion {
    pub url: String,
    /// The JSON body.
    pub body: String,
    pub generation: u64,
    pub debounce_ms: u64,
    call: CompletionCall,
    key: CacheKey,
    alias: String,
    doc: String,
    before: String,
    after: String,
    language: Option<Language>,
    /// The tree of `before + after` (the engine's `DocumentTrees` already parsed it for the
    /// prompt): the parse check of the answer re-parses around the suggestion only.
    baseline: Option<Tree>,
    prompt_tokens: usize,
    /// Its [`PromptMemo`] entry.
    memo: u128,
}

impl PendingCompletion {
    fn context(&self) -> CursorContext<'_> {
        CursorContext {
            prefix: &self.before,
            suffix: &self.after,
            language: self.language,
            baseline: self.baseline.as_ref(),
        }
    }

    /// Takes streamed text; [`Flow::Enough`] once the suggestion is complete.
    pub fn push(&mut self, text: &str) -> Flow {
        self.call.push(text)
    }

    /// The suggestion as it grows (for a host rendering it as it arrives).
    pub fn partial(&self) -> &str {
        self.call.accepted()
    }
}

impl Engine {
    /// The tree of `text`, the current content of `path`, from the engine's incremental
    /// document trees (already parsed when the prompt was just built for it).
    fn document_tree(&self, path: &str, language: Option<Language>, text: &str) -> Option<Tree> {
        let language = language?;
        let (tree, _) = self.documents.borrow_mut().tree(path, language, text)?;
        Some(tree)
    }

    /// Plans the completion at `request`'s cursor (`request.mode` must be absent or `"fim"`).
    /// `now_ms` is wall-clock milliseconds (cache expiry and the debounce's typing intervals).
    pub fn plan_completion(
        &self,
        assistant: &mut Assistant,
        request: &PromptRequest,
        settings: &CallSettings,
        now_ms: u64,
    ) -> Result<CompletionPlan, Error> {
        if request.mode.as_deref().is_some_and(|m| m != "fim") {
            return Err(Error::Argument {
                argument: "request.mode",
                message: "complete builds FIM prompts; use chat() for \"chat\"".into(),
            });
        }
        assistant.generation += 1;
        let lines = LineIndex::new(&request.text);
        let offset = utf8_offset(&lines, &request.text, request.offset, self.encoding)?;
        let (before, after) = request.text.split_at(offset);
        let alias = assistant.routes.alias(Task::Autocomplete).to_owned();

        if let Some(rest) = assistant.prefix.lookup(&request.path, before, after) {
            let rest = rest.to_owned();
            assistant.metrics.record_cache(Task::Autocomplete, true);
            assistant.metrics.suggestion_shown();
            let mode = assist::complete::line_mode(&CursorContext {
                prefix: before,
                suffix: after,
                language: Language::detect(&request.path, &request.text),
                baseline: None,
            });
            return Ok(CompletionPlan::Ready(WireSuggestion {
                text: rest,
                mode,
                stop: None,
                verdict: Verdict::Clean,
                source: Source::PrefixCache,
                model: alias,
                usage: None,
                first_text_ms: None,
                total_ms: None,
                prompt_tokens: None,
            }));
        }

        let language = Language::detect(&request.path, &request.text);
        let context = CursorContext {
            prefix: before,
            suffix: after,
            language,
            baseline: None,
        };
        let memo = PromptMemo::id(request, settings, &alias, self.workspace.revision())?;
        let (key, stops, prompt_tokens, finished, fresh) = match assistant.prompt_memo.get(memo) {
            Some(seen) => (
                seen.key,
                seen.stops,
                seen.prompt_tokens,
                seen.suggestion,
                None,
            ),
            None => {
                let built = self.build_prompt_native(request)?;
                let stops = built.stop.clone().unwrap_or_default();
                let call = CompletionCall::new(&alias, &built.prompt, &stops, &context, settings);
                (
                    call.cache_key(),
                    stops,
                    built.tokens,
                    None,
                    Some((built, call)),
                )
            }
        };
        if let Some(raw) = assistant.responses.get(&key, now_ms).map(str::to_owned) {
            // The same request finished this answer before (its parse check included); else
            // finishing needs the cursor and the stop strings, not the prompt.
            let suggestion = finished.unwrap_or_else(|| {
                let tree = self.document_tree(&request.path, language, &request.text);
                let context = CursorContext {
                    baseline: tree.as_ref(),
                    ..context
                };
                let mut cached = CompletionCall::new(&alias, "", &stops, &context, settings);
                cached.push(&raw);
                cached.finish(&context)
            });
            assistant.metrics.record_cache(Task::Autocomplete, true);
            assistant
                .prefix
                .remember(&request.path, before, after, &suggestion.text);
            if !suggestion.text.is_empty() {
                assistant.metrics.suggestion_shown();
            }
            return Ok(CompletionPlan::Ready(WireSuggestion {
                text: suggestion.text,
                mode: suggestion.mode,
                stop: suggestion.stop,
                verdict: suggestion.verdict,
                source: Source::ResponseCache,
                model: alias,
                usage: None,
                first_text_ms: None,
                total_ms: None,
                prompt_tokens: Some(prompt_tokens),
            }));
        }
        // Remembered, but the answer is gone (evicted, expired): build it to send it.
        let (built, call) = match fresh {
            Some(fresh) => fresh,
            None => {
                let built = self.build_prompt_native(request)?;
                let call = CompletionCall::new(&alias, &built.prompt, &stops, &context, settings);
                (built, call)
            }
        };
        assistant.prompt_memo.put(
            memo,
            Remembered {
                key: key.clone(),
                stops,
                prompt_tokens: built.tokens,
                suggestion: None,
            },
        );
        assistant.metrics.record_cache(Task::Autocomplete, false);
        let body = serde_json::to_string(call.body()).map_err(|e| Error::Output(e.to_string()))?;
        Ok(CompletionPlan::Fetch(Box::new(PendingCompletion {
            url: assistant.url("completions"),
            body,
            generation: assistant.generation,
            debounce_ms: assistant.debounce.on_keystroke(now_ms),
            call,
            key,
            alias,
            doc: request.path.clone(),
            before: before.to_owned(),
            after: after.to_owned(),
            language,
            baseline: self.document_tree(&request.path, language, &request.text),
            prompt_tokens: built.tokens,
            memo,
        })))
    }
}

/// How a sent completion ended.
#[derive(Debug)]
pub enum Ended {
    /// The stream completed, or the early stop cut it.
    Streamed(Streamed),
    /// Aborted: a newer call, or the host's signal. What streamed before is in the reader.
    Aborted {
        usage: Option<Usage>,
        elapsed_ms: f64,
    },
    /// The proxy or the stream failed.
    Failed { elapsed_ms: f64 },
}

impl Assistant {
    /// Whether a plan is still the latest autocomplete call.
    pub fn is_current(&self, pending: &PendingCompletion) -> bool {
        pending.generation == self.generation
    }

    /// Finishes a sent completion at wall-clock `now_ms`: the suggestion to show, or `None`
    /// when it was aborted, failed, or a newer call made it stale.
    pub fn finish_completion(
        &mut self,
        pending: PendingCompletion,
        ended: Ended,
        now_ms: u64,
    ) -> Option<WireSuggestion> {
        let (outcome, usage, latency_ms, first_token_ms) = match &ended {
            Ended::Streamed(s) => (Outcome::Completed, s.usage, s.total_ms, s.first_text_ms),
            Ended::Aborted { usage, elapsed_ms } => (Outcome::Cancelled, *usage, *elapsed_ms, None),
            Ended::Failed { elapsed_ms } => (Outcome::Failed, None, *elapsed_ms, None),
        };
        self.metrics.record_request(&RequestRecord {
            task: Task::Autocomplete,
            alias: &pending.alias,
            outcome,
            latency_ms,
            first_token_ms,
            usage,
        });
        let Ended::Streamed(streamed) = ended else {
            return None;
        };
        // A whole answer is worth keeping even when it is no longer the one to show: deleting
        // back to where it was asked brings it back with no request.
        self.store(pending.key.clone(), pending.call.raw().to_owned(), now_ms);
        if !self.is_current(&pending) {
            return None;
        }
        let context = pending.context();
        let suggestion = pending.call.finish(&context);
        self.prompt_memo.finished(pending.memo, &suggestion);
        self.prefix.remember(
            &pending.doc,
            &pending.before,
            &pending.after,
            &suggestion.text,
        );
        if !suggestion.text.is_empty() {
            self.metrics.suggestion_shown();
        }
        Some(WireSuggestion {
            text: suggestion.text,
            mode: suggestion.mode,
            stop: suggestion.stop,
            verdict: suggestion.verdict,
            source: Source::Network,
            model: pending.alias,
            usage: streamed.usage,
            first_text_ms: streamed.first_text_ms,
            total_ms: Some(streamed.total_ms),
            prompt_tokens: Some(pending.prompt_tokens),
        })
    }

    /// The person accepted the suggestion shown in `doc`: counted, and its prefix-cache entry
    /// forgotten (the text is in the document now).
    pub fn accepted(&mut self, doc: &str) {
        self.metrics.suggestion_accepted();
        self.prefix.forget(doc);
    }
}
