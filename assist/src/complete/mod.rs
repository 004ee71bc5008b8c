//! Completion postprocessing: what a model's raw continuation becomes before a person sees it.
//!
//! - [`line_mode`] decides from the cursor's context whether one line or a block is wanted;
//! - [`StreamStop`] is fed the streamed text chunk by chunk and says when to stop (end of the
//!   line in single-line mode, the suffix reached, the end of the enclosing block, repeated
//!   lines), so the host can abort the request early;
//! - [`trim_suffix_overlap`] removes what the suffix already holds;
//! - [`parse_check`] re-parses `prefix + completion + suffix` with tree-sitter and trims a
//!   suggestion that adds syntax errors to its last clean line, or drops it;
//! - [`finish`] strips invisible Unicode from the model's text, then runs them all in that order;
//! - [`CompletionCall`] is one request: its `/v1/completions` body, cache key and stream reader.

mod call;
mod parse;
mod stream;

use syntax::Language;

pub use call::{CallSettings, CompletionCall, MAX_API_STOPS, default_max_tokens};
pub use parse::{ParseCheck, Verdict, parse_check, syntax_errors};
pub use stream::{StopReason, StreamStop};
/// The tree type of [`CursorContext::baseline`].
pub use syntax::Tree;

/// The text around the cursor a completion is for.
#[derive(Debug, Clone, Copy)]
pub struct CursorContext<'a> {
    pub prefix: &'a str,
    pub suffix: &'a str,
    pub language: Option<Language>,
    /// The tree of `prefix + suffix` when the caller has it (a host keeping
    /// [`syntax::documents::DocumentTrees`] does): the parse check then re-parses only around
    /// the inserted text instead of parsing the whole file twice. It must be that text's tree.
    pub baseline: Option<&'a syntax::Tree>,
}

impl<'a> CursorContext<'a> {
    /// The cursor line's text before the cursor.
    pub fn line_before(&self) -> &'a str {
        self.prefix.rsplit('\n').next().unwrap_or("")
    }
    /// The cursor line's text after the cursor.
    pub fn line_after(&self) -> &'a str {
        self.suffix.split('\n').next().unwrap_or("")
    }
    /// The suffix's lines after the cursor line.
    pub fn following_lines(&self) -> impl Iterator<Item = &'a str> {
        self.suffix.split('\n').skip(1)
    }
}

/// One line or a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineMode {
    Single,
    Multi,
}

/// Whether the line ends by opening a block (`{`, `=>`, Python's `:`), or a bracket that the
/// rest of the line does not close.
pub fn opens_block(line: &str, language: Option<Language>) -> bool {
    let line = line.trim_end();
    line.ends_with('{')
        || line.ends_with('(')
        || line.ends_with('[')
        || line.ends_with("=>")
        || (language == Some(Language::Python) && line.ends_with(':'))
}

/// Mid-line (code after the cursor on its line, or code before it that does not open a block)
/// → one line; an empty line, or the end of a line that opens a block → a block. Inside a pair
/// of brackets (`compute($0)`) the wanted text is the arguments: one line; inside braces
/// (`fn f() {$0}`) it is a body: a block.
pub fn line_mode(context: &CursorContext) -> LineMode {
    let before = context.line_before();
    let after = context.line_after().trim();
    // Closing brackets after the cursor (auto-closed pairs) do not make the cursor mid-line.
    let after_is_closers = after
        .chars()
        .all(|c| matches!(c, ')' | ']' | '}' | ';' | ','));
    if !after_is_closers {
        return LineMode::Single;
    }
    let before = before.trim_end();
    let body_opener = before.ends_with('{')
        || before.ends_with("=>")
        || (context.language == Some(Language::Python) && before.ends_with(':'));
    let bracket_opener = before.ends_with('(') || before.ends_with('[');
    if before.is_empty() || body_opener || (bracket_opener && after.is_empty()) {
        LineMode::Multi
    } else {
        LineMode::Single
    }
}

/// Removes the end of `completion` that the suffix already starts with: the longest tail of the
/// completion equal to a head of the cursor line's remainder (an auto-closed `)` the model
/// wrote again), then whole trailing lines that repeat the suffix's next lines.
pub fn trim_suffix_overlap<'c>(completion: &'c str, context: &CursorContext) -> &'c str {
    let mut out = completion;
    let rest = context.line_after();
    let longest = rest.len().min(out.len());
    for k in (1..=longest).rev() {
        if rest.is_char_boundary(k) && out.ends_with(&rest[..k]) {
            out = &out[..out.len() - k];
            break;
        }
    }
    // Trailing lines equal to the suffix's first non-blank lines.
    let next: Vec<&str> = context
        .following_lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(8)
        .collect();
    loop {
        let trimmed = out.trim_end();
        let Some(cut) = trimmed.rfind('\n') else {
            break;
        };
        let last = trimmed[cut + 1..].trim();
        if !last.is_empty() && next.first() == Some(&last) {
            out = &trimmed[..cut];
        } else {
            break;
        }
    }
    out
}

/// A suggestion ready to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    /// Empty when the suggestion was dropped.
    pub text: String,
    pub mode: LineMode,
    /// Why the stream was cut, if it was.
    pub stop: Option<StopReason>,
    pub verdict: Verdict,
}

/// Runs every step on a complete (or already stopped) model output.
pub fn finish(completion: &str, context: &CursorContext) -> Suggestion {
    // Invisible characters (zero-width, bidi overrides, tag characters) in model output could
    // hide code from the person accepting it: they never reach the editor.
    let completion = analysis::strip_invisible(completion);
    let completion = completion.as_ref();
    let mode = line_mode(context);
    let mut stream = StreamStop::new(context, mode);
    stream.push(completion);
    let (text, stop) = stream.finish();
    let text = trim_suffix_overlap(&text, context);
    // Trailing blank lines are the model's padding, not code.
    let text = match text.trim_end().len() {
        end if text[end..].contains('\n') => &text[..end],
        _ => text,
    };
    let checked = parse_check(context, text);
    Suggestion {
        text: checked.text,
        mode,
        stop,
        verdict: checked.verdict,
    }
}
