//! `buildPrompt`'s native entry point: the prompt a model would receive for a cursor in a file's
//! current text, built in the tab by the same gathering (`assist::context`) and budgeting
//! (`assist::prompt`) as `pilotfish prompt`, and returned with the same fields as its `--json`.
//! What is the facade's own is only the crossing: the cursor offset arrives in the engine's
//! position encoding and is converted with the text's `LineIndex`, and a mode, family or offset
//! that makes no sense is an [`Error`] rather than a guess. Every text passes `SecretRedactor`
//! as in the CLI, because this prompt is what leaves the tab for the proxy.
//!
//! Behind the Cargo feature `prompt` (default on, so tests and lints see it): the default browser
//! package is built without it to stay under its 2.5 MB gzipped budget (`BENCHMARKS.md`).

use std::collections::BTreeMap;

use assist::TokenCounter;
use assist::context::{Cursor, GatherConfig, Gathered, Retrieval};
use assist::prompt::{
    ChatConfig, ChatRequest, FimConfig, FimRequest, Role, SecretRedactor, build_chat, build_fim,
};
use assist::routing::Task;
use assist::tokens::{EstimatedTokens, ExactTokens};
use engine::{Language, LineIndex};

use crate::error::Error;
use crate::options::{PositionEncoding, PromptMode, PromptRequest};
use crate::project::Engine;
use crate::wire::WirePrompt;

/// The chat prompt's instructions, worded as the CLI's so both ask the model the same thing.
const CHAT_SYSTEM: &str = "You are a coding assistant inside the person's editor. Answer briefly and precisely; cite files as path:line.";

/// The instructions per chat task.
fn system_for(task: Task) -> &'static str {
    match task {
        Task::Explain => {
            "You are a coding assistant inside the person's editor. Explain what the code at the cursor does and why, briefly; cite files as path:line."
        }
        Task::Generate => {
            "You are a coding assistant inside the person's editor. Write the code asked for, in the file's language, in one fenced block, followed by tests for it in a second fenced block; use the repository's own functions where they fit."
        }
        Task::Refactor => {
            "You are a coding assistant inside the person's editor. Rewrite the code at the cursor as asked, keeping its behaviour; answer with the new code in one fenced block and one sentence on what changed."
        }
        Task::Chat | Task::Autocomplete => CHAT_SYSTEM,
    }
}

impl Engine {
    /// Gathers context for the request's cursor from the indexed files and builds a FIM prompt
    /// or, in chat mode, messages asking the request's question.
    pub fn build_prompt_native(&self, request: &PromptRequest) -> Result<WirePrompt, Error> {
        let mode = request.mode()?;
        let family = request.family()?;
        let budget = request.budget.unwrap_or(PromptRequest::DEFAULT_BUDGET);
        let lines = LineIndex::new(&request.text);
        let offset = utf8_offset(&lines, &request.text, request.offset, self.encoding)?;
        let cursor = Cursor {
            path: &request.path,
            text: &request.text,
            offset,
        };
        let language = Language::detect(&request.path, &request.text);
        let estimate;
        let counter: &dyn TokenCounter = match &self.tokenizer {
            Some(exact) => exact,
            None => {
                estimate = EstimatedTokens::for_language(language);
                &estimate
            }
        };
        // The file at the cursor changes by a keystroke between requests: its tree is re-parsed
        // incrementally from the last request's, not from scratch.
        let tags = language
            .map(|l| {
                self.documents
                    .borrow_mut()
                    .tags(&request.path, l, &request.text)
            })
            .unwrap_or_default();
        let gathered: Gathered = self.workspace.gather_tagged(
            &cursor,
            &tags,
            &request.host_state(),
            &GatherConfig::default(),
            Retrieval::Embedder(&self.embedder),
            counter,
        )?;
        let window = &gathered.window;
        let line = lines.line(offset);
        let line_start = lines.line_start(line).unwrap_or(0);
        let col = request.text[line_start..offset].chars().count() + 1;
        let mut built = WirePrompt {
            mode: mode.name(),
            path: request.path.clone(),
            line,
            col,
            prompt: String::new(),
            tokens: 0,
            budget,
            exact_tokens: self.tokenizer.is_some(),
            messages: None,
            stop: None,
            parts: Vec::new(),
            dropped: Vec::new(),
            redactions: BTreeMap::new(),
        };
        match mode {
            PromptMode::Fim => {
                let fim = FimRequest {
                    path: &request.path,
                    language,
                    prefix: &window.prefix,
                    suffix: &window.suffix,
                    cursor_line: window.cursor_line,
                    snippets: &gathered.snippets,
                    repo_name: &request.repo_name,
                };
                let config = FimConfig {
                    family,
                    budget,
                    ..FimConfig::default()
                };
                let prompt = build_fim(&fim, &config, counter, &SecretRedactor)?;
                built.prompt = prompt.text;
                built.tokens = prompt.tokens;
                built.stop = Some(prompt.stop);
                built.parts = prompt.parts;
                built.dropped = prompt.dropped;
                built.redactions = prompt.redactions;
            }
            PromptMode::Chat => {
                let question = request.question.clone().unwrap_or_else(|| {
                    format!("Explain the code at {}:{line}:{col}.", request.path)
                });
                // The cursor's surroundings go first, so the question has its code.
                let mut snippets = gathered.snippets.clone();
                snippets.insert(0, window.as_snippet(counter));
                if request.history.iter().any(|m| m.role == Role::System) {
                    // The instructions are the engine's; a host-supplied system turn could
                    // override the untrusted-content rule.
                    return Err(Error::Argument {
                        argument: "request.history",
                        message:
                            "only user and assistant messages; the system message is the engine's"
                                .into(),
                    });
                }
                let chat = ChatRequest {
                    system: system_for(request.chat_task()?),
                    history: &request.history,
                    question: &question,
                    snippets: &snippets,
                };
                let config = ChatConfig {
                    budget,
                    ..ChatConfig::default()
                };
                let prompt = build_chat(&chat, &config, counter, &SecretRedactor)?;
                built.prompt = prompt.text;
                built.tokens = prompt.tokens;
                built.messages = Some(prompt.messages);
                built.parts = prompt.parts;
                built.dropped = prompt.dropped;
                built.redactions = prompt.redactions;
            }
        }
        if built.parts.is_empty() {
            return Err(Error::NoRoom { budget });
        }
        Ok(built)
    }

    /// Counts tokens with a model's `tokenizer.json` from now on, instead of the calibrated
    /// estimate. The loaded tokenizer should be the family's that prompts are built for.
    pub fn load_tokenizer_bytes(&mut self, tokenizer_json: &[u8]) -> Result<(), Error> {
        self.tokenizer = Some(ExactTokens::from_bytes(tokenizer_json)?);
        // Prompts built from now on count differently: nothing remembered about them holds.
        self.workspace.invalidate();
        Ok(())
    }
}

/// The UTF-8 offset of a host offset into `text`. The conversion is the `LineIndex`'s (the one
/// chunk offsets go through); a UTF-16 offset that does not come back unchanged from the round
/// trip fell between the halves of a surrogate pair, which the index would silently move.
pub(crate) fn utf8_offset(
    lines: &LineIndex,
    text: &str,
    offset: usize,
    encoding: PositionEncoding,
) -> Result<usize, Error> {
    let (len, units) = match encoding {
        PositionEncoding::Utf16 => (lines.len_utf16(), "UTF-16 code units"),
        PositionEncoding::Utf8 => (text.len(), "UTF-8 bytes"),
    };
    if offset > len {
        return Err(Error::OffsetOutside { offset, len, units });
    }
    match encoding {
        PositionEncoding::Utf16 => {
            let utf8 = lines.utf8_offset(offset);
            if lines.utf16_offset(utf8) != offset {
                return Err(Error::OffsetInside {
                    offset,
                    what: "a surrogate pair",
                });
            }
            Ok(utf8)
        }
        PositionEncoding::Utf8 if text.is_char_boundary(offset) => Ok(offset),
        PositionEncoding::Utf8 => Err(Error::OffsetInside {
            offset,
            what: "a multi-byte character",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str, offset: usize, encoding: PositionEncoding) -> Result<usize, String> {
        utf8_offset(&LineIndex::new(text), text, offset, encoding).map_err(|e| e.to_string())
    }

    #[test]
    fn offsets_convert_or_say_why_not() {
        // "é" is 2 UTF-8 bytes and 1 UTF-16 unit; "😀" is 4 bytes and a surrogate pair.
        let text = "é😀x";
        let utf16 = PositionEncoding::Utf16;
        assert_eq!(convert(text, 0, utf16), Ok(0));
        assert_eq!(convert(text, 1, utf16), Ok(2));
        assert_eq!(convert(text, 3, utf16), Ok(6));
        assert_eq!(convert(text, 4, utf16), Ok(7));
        assert_eq!(
            convert(text, 2, utf16),
            Err("offset 2 is inside a surrogate pair".into())
        );
        assert_eq!(
            convert(text, 5, utf16),
            Err("offset 5 is past the end of the text (4 UTF-16 code units)".into())
        );
        let utf8 = PositionEncoding::Utf8;
        assert_eq!(convert(text, 6, utf8), Ok(6));
        assert_eq!(
            convert(text, 1, utf8),
            Err("offset 1 is inside a multi-byte character".into())
        );
        assert_eq!(
            convert(text, 8, utf8),
            Err("offset 8 is past the end of the text (7 UTF-8 bytes)".into())
        );
    }
}
