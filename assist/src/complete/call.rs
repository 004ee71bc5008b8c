//! One autocomplete request, from its body to the suggestion, the same in the tab and in
//! `pilotfish complete`: the `/v1/completions` body for a built FIM prompt (token limit from the
//! line mode, stop strings the API takes), the cache key of that body, and the reader of the
//! streamed text that says when the suggestion is complete so the caller closes the connection
//! (then the proxy and the upstream stop generating too).

use protocol::{CompletionRequest, GenerationOptions, Stop, StreamOptions};
use serde_json::{Map, Value};

use super::{CursorContext, LineMode, StreamStop, Suggestion, finish, line_mode};
use crate::cache::{CacheKey, GenerationSettings};
use crate::sse::Flow;

/// OpenAI's `/v1/completions` takes at most four stop strings; the rest are checked here.
pub const MAX_API_STOPS: usize = 4;

/// How much the model may write, by line mode, unless the caller says otherwise.
pub fn default_max_tokens(mode: LineMode) -> u32 {
    match mode {
        LineMode::Single => 64,
        LineMode::Multi => 256,
    }
}

/// The request's settings beyond the prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSettings {
    pub max_tokens: Option<u32>,
    pub temperature: f64,
}

/// A completion request in flight: its body, and the streamed text so far.
#[derive(Debug, Clone)]
pub struct CompletionCall {
    request: CompletionRequest,
    settings: GenerationSettings,
    stops: Vec<String>,
    mode: LineMode,
    raw: String,
    early: StreamStop,
}

impl CompletionCall {
    /// The streamed request asking `alias` to continue `prompt` (a built FIM prompt) whose
    /// template ends at the stop strings `stops`, for the cursor in `context`.
    pub fn new(
        alias: &str,
        prompt: &str,
        stops: &[String],
        context: &CursorContext,
        settings: &CallSettings,
    ) -> CompletionCall {
        let mode = line_mode(context);
        let max_tokens = settings.max_tokens.unwrap_or(default_max_tokens(mode));
        let api_stops = stops[..stops.len().min(MAX_API_STOPS)].to_vec();
        let request = CompletionRequest {
            model: alias.to_owned(),
            prompt: Value::String(prompt.to_owned()),
            suffix: None,
            options: GenerationOptions {
                stream: Some(true),
                stream_options: Some(StreamOptions {
                    include_usage: Some(true),
                    extra: Map::new(),
                }),
                temperature: Some(settings.temperature),
                top_p: None,
                max_tokens: Some(max_tokens),
                stop: Some(Stop::Many(api_stops)),
            },
            extra: Map::new(),
        };
        CompletionCall {
            settings: GenerationSettings {
                temperature: Some(settings.temperature),
                top_p: None,
                max_tokens: Some(max_tokens),
                stop: stops.to_vec(),
                seed: None,
            },
            request,
            stops: stops.to_vec(),
            mode,
            raw: String::new(),
            early: StreamStop::new(context, mode),
        }
    }

    /// The JSON body to POST to `/v1/completions`.
    pub fn body(&self) -> &CompletionRequest {
        &self.request
    }

    /// What decides this request's answer, for the response cache.
    pub fn cache_key(&self) -> CacheKey {
        let prompt = self.request.prompt.as_str().unwrap_or_default();
        CacheKey::new(&self.request.model, &[prompt], &self.settings)
    }

    pub fn mode(&self) -> LineMode {
        self.mode
    }

    /// Takes the next piece of streamed text; [`Flow::Enough`] once the suggestion is complete:
    /// a template stop string arrived (one the API could not take, or the upstream ignored) or
    /// the early stop fired (end of line, suffix reached, end of block, repeats).
    pub fn push(&mut self, text: &str) -> Flow {
        if self.early.stopped().is_some() {
            return Flow::Enough;
        }
        let searched_from = self
            .raw
            .len()
            .saturating_sub(self.stops.iter().map(String::len).max().unwrap_or(0));
        self.raw.push_str(text);
        let cut = self
            .stops
            .iter()
            .filter_map(|stop| {
                let from = self.raw.floor_char_boundary(searched_from);
                self.raw[from..].find(stop.as_str()).map(|at| from + at)
            })
            .min();
        if let Some(at) = cut {
            // The early stop sees only what comes before the stop string.
            let before = self.raw.len() - text.len();
            if at > before {
                self.early.push(&self.raw[before..at]);
            }
            self.raw.truncate(at);
            return Flow::Enough;
        }
        match self.early.push(text) {
            Some(_) => Flow::Enough,
            None => Flow::More,
        }
    }

    /// The text streamed so far, up to any stop string.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// What the early stop has accepted so far: the suggestion as it grows, for a host that
    /// renders the stream (postprocessing still runs on the whole at the end).
    pub fn accepted(&self) -> &str {
        self.early.text()
    }

    /// The suggestion: every postprocessing step on what was kept.
    pub fn finish(&self, context: &CursorContext) -> Suggestion {
        finish(&self.raw, context)
    }
}
