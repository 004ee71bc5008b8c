//! What gathering takes and gives: the [`Cursor`] in a file's current text, what the host
//! reports ([`HostState`]), how to search ([`Retrieval`]), the knobs ([`GatherConfig`]), and the
//! result: the window around the cursor and the candidate snippets ([`Gathered`]).

use engine::embed::Embedder;
use syntax::{Language, LineIndex};

use crate::snippet::{Snippet, SnippetKind};
use crate::tokens::TokenCounter;

/// Where the person is typing: the file's current text (which may differ from the indexed copy)
/// and a UTF-8 byte offset into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub offset: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at a UTF-8 byte offset, or `None` when it is past the end or inside a character.
    pub fn at_offset(path: &'a str, text: &'a str, offset: usize) -> Option<Self> {
        text.is_char_boundary(offset)
            .then_some(Cursor { path, text, offset })
    }

    /// A cursor at a 1-based line and a 1-based column counted in characters (`col` may be one
    /// past the line's last character), or `None` outside the text.
    pub fn at_line_col(path: &'a str, text: &'a str, line: usize, col: usize) -> Option<Self> {
        let start = LineIndex::new(text).line_start(line)?;
        let rest = &text[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let index = col.checked_sub(1)?;
        let within = if index == line_text.chars().count() {
            line_text.len()
        } else {
            line_text.char_indices().nth(index)?.0
        };
        Some(Cursor {
            path,
            text,
            offset: start + within,
        })
    }

    /// The 1-based line of the cursor.
    pub fn line(&self) -> usize {
        1 + self.text[..self.offset].matches('\n').count()
    }
}

/// A range the person edited, reported by the host with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentEdit {
    pub path: String,
    /// 1-based inclusive lines in the file's current text.
    pub start_line: usize,
    pub end_line: usize,
    /// Host time of the edit, in milliseconds (compared with [`HostState::now_ms`] only).
    pub at_ms: u64,
}

/// A file open in the host's editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub path: String,
    /// The 1-based inclusive lines on screen, when the host knows them.
    pub visible: Option<(usize, usize)>,
}

/// What the host reports besides the cursor. Time is an argument: gathering reads no clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostState {
    /// Most recent last or not: they are ordered by time here.
    pub recent_edits: Vec<RecentEdit>,
    /// In the host's tab order.
    pub open_files: Vec<OpenFile>,
    pub now_ms: u64,
}

/// How search hits are retrieved.
#[derive(Clone, Copy, Default)]
pub enum Retrieval<'a> {
    /// BM25 only.
    #[default]
    Keyword,
    /// Hybrid, embedding the query with the index's embedder.
    Embedder(&'a dyn Embedder),
    /// Hybrid with a query vector the host computed from [`search_query`].
    Vector(&'a [f32]),
}

impl std::fmt::Debug for Retrieval<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Retrieval::Keyword => f.write_str("Keyword"),
            Retrieval::Embedder(e) => write!(f, "Embedder({})", e.id()),
            Retrieval::Vector(v) => write!(f, "Vector({} dims)", v.len()),
        }
    }
}

/// How much text a definition snippet shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefinitionText {
    /// Signatures: a function's signature, a class's header with its members' signatures (whole
    /// when the definition is short). Many definitions fit a budget, as in Aider's repo map.
    #[default]
    Signature,
    /// The whole definition, up to [`GatherConfig::max_snippet_lines`].
    Whole,
}

/// Bounds on what is gathered.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherConfig {
    /// Lines of the file before and after the cursor offered as prefix and suffix.
    pub prefix_lines: usize,
    pub suffix_lines: usize,
    /// References this many lines before and after the cursor (and anywhere in the function the
    /// cursor is in) count as "near the cursor".
    pub near_before: usize,
    pub near_after: usize,
    pub max_definitions: usize,
    /// Definitions offered per name when no import settles which one is meant.
    pub per_name: usize,
    /// A name defined in more files than this is too ambiguous to follow unless imported.
    pub max_defining_files: usize,
    pub definition_text: DefinitionText,
    /// Lines before the cursor the search query is made of.
    pub query_lines: usize,
    pub max_search_hits: usize,
    pub max_recent_edits: usize,
    pub max_open_files: usize,
    /// Files of the repo map offered (each with its best-ranked definitions' signatures).
    pub repo_map_files: usize,
    pub repo_map_definitions: usize,
    /// Longest snippet, in lines.
    pub max_snippet_lines: usize,
}

impl Default for GatherConfig {
    fn default() -> Self {
        GatherConfig {
            prefix_lines: 200,
            suffix_lines: 60,
            near_before: 20,
            near_after: 5,
            max_definitions: 48,
            per_name: 2,
            max_defining_files: 6,
            definition_text: DefinitionText::Signature,
            query_lines: 12,
            max_search_hits: 8,
            max_recent_edits: 8,
            max_open_files: 4,
            repo_map_files: 4,
            repo_map_definitions: 6,
            max_snippet_lines: 60,
        }
    }
}

/// The text around the cursor, which the prompt builder trims to its prefix and suffix shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorWindow {
    pub path: String,
    pub language: Option<Language>,
    /// Up to [`GatherConfig::prefix_lines`] lines before the cursor, ending at the cursor.
    pub prefix: String,
    /// From the cursor, up to [`GatherConfig::suffix_lines`] lines after it.
    pub suffix: String,
    /// 1-based first line of `prefix` and last line of `suffix`.
    pub prefix_start_line: usize,
    pub suffix_end_line: usize,
    pub cursor_line: usize,
    pub prefix_tokens: usize,
    pub suffix_tokens: usize,
}

impl CursorWindow {
    /// The window as one excerpt, for a chat prompt that asks about the code at the cursor (a
    /// FIM prompt renders prefix and suffix itself). It outranks every gathered snippet.
    pub fn as_snippet(&self, counter: &dyn TokenCounter) -> Snippet {
        let text = format!("{}{}", self.prefix, self.suffix);
        Snippet {
            kind: SnippetKind::OpenFile,
            path: self.path.clone(),
            start_line: self.prefix_start_line,
            end_line: self.suffix_end_line,
            tokens: counter.count(&text),
            text,
            score: f32::INFINITY,
            why: "the code around the cursor".to_string(),
        }
    }
}

/// Everything gathered for a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    pub window: CursorWindow,
    /// Ordered by kind (the builder's default priority), then score (best first), then path and
    /// line, so the same input always gives the same list.
    pub snippets: Vec<Snippet>,
}

/// The search query for a cursor: the lines before it (CrossCodeEval's retrieval query), so a
/// host with a remote embedder can embed it and pass [`Retrieval::Vector`].
pub fn search_query(cursor: &Cursor, config: &GatherConfig) -> String {
    let before = &cursor.text[..cursor.offset];
    let start = nth_line_start_back(before, config.query_lines);
    before[start..].to_string()
}

/// Byte offset where the `n`-th line before the end of `text` starts (the last, partial line
/// counts as one).
pub(super) fn nth_line_start_back(text: &str, n: usize) -> usize {
    let mut seen = 0;
    for (at, byte) in text.bytes().enumerate().rev() {
        if byte == b'\n' {
            seen += 1;
            if seen == n {
                return at + 1;
            }
        }
    }
    0
}
