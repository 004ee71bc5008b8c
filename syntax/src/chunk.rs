//! Turning one file into semantic chunks. Broken input is not an error: the result always holds
//! chunks (possibly none) plus diagnostics explaining what was degraded or skipped.
//!
//! Parsed languages are chunked by walking the syntax tree's scope-level nodes (see `tree`):
//! imports form one chunk per block, functions and methods one chunk each, classes a header chunk
//! plus their methods, and everything left over is merged into module-level chunks, so the chunks
//! cover every non-blank line exactly once. Qualified names follow each language's own spelling:
//! `Class.method` (Python, JS/TS, Java, C#, Go `Type.Method`), `Type::method` (Rust, where a trait
//! impl is `<Type as Trait>::method`; C++ `ns::Class::method`). A JS/TS function assigned to a
//! property is named by its target (`res.set`, and `Foo.prototype.bar` is the method `Foo.bar`).
//!
//! A definition nested inside a function or a statement shares that chunk, so no chunk carries its
//! name; [`chunk_file_with_definitions`] also lists every named [`Definition`], nested ones
//! included, so that it can still be found by name. It is a separate list rather than a field of
//! [`ChunkedFile`] because finding nested definitions visits every node inside the units, which
//! plain chunking (and the index built on it) never needs.
//!
//! The parts: `tree` walks scope-level nodes and claims lines, `source` measures lines, `names`
//! and `docs` say what a unit is called and documented as, `spans` cuts over-budget spans and
//! emits chunks, `definitions` finds what is nested, `rules` holds each language's node roles.

mod definitions;
mod docs;
mod names;
mod rules;
mod source;
mod spans;
mod tree;

use std::cell::RefCell;
use std::ops::ControlFlow;

use crate::language::Language;

/// Nesting deeper than this is chunked as one unit instead of recursing (and not searched for
/// nested definitions), so hostile input cannot exhaust the stack. Shared by the tree walk and the
/// definitions scan, which must agree on it.
const MAX_SCOPE_DEPTH: usize = 48;

pub use definitions::Definition;

/// What a chunk is, in the user's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunkKind {
    Function,
    Method,
    /// A class, struct, impl, interface, trait or enum header (signature, fields, docstring).
    Class,
    /// Consecutive top-level statements that belong to no function or class.
    Module,
    /// The file's imports / includes / use declarations, merged.
    Imports,
    /// A window of lines from a file whose language is unknown.
    Lines,
}

impl ChunkKind {
    pub fn name(self) -> &'static str {
        match self {
            ChunkKind::Function => "function",
            ChunkKind::Method => "method",
            ChunkKind::Class => "class",
            ChunkKind::Module => "module",
            ChunkKind::Imports => "imports",
            ChunkKind::Lines => "lines",
        }
    }
}

/// One semantic unit of a file. Byte offsets are UTF-8 offsets into the (lossily decoded) text;
/// lines are 1-based and inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub path: String,
    pub language: Option<Language>,
    pub kind: ChunkKind,
    pub name: Option<String>,
    pub qualified_name: Option<String>,
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_line: usize,
    pub end_line: usize,
    pub docstring: Option<String>,
    /// The chunk's source. For a piece of a split unit it is prefixed by the enclosing
    /// signature(s) as context, so `text` may be longer than `end_byte - start_byte`.
    pub text: String,
}

/// Chunker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Units larger than this are split at statement boundaries; tiny neighbours are merged up to it.
    pub max_chunk_bytes: usize,
    /// Files larger than this are not parsed; they fall back to line windows.
    pub max_parse_bytes: usize,
    /// Lines per window for the fallback chunker.
    pub fallback_window_lines: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig {
            max_chunk_bytes: 1500,
            max_parse_bytes: 4 * 1024 * 1024,
            fallback_window_lines: 40,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The parser recovered from a syntax error in this range.
    SyntaxError,
    /// Bytes that were not valid UTF-8 were replaced.
    InvalidUtf8,
    /// The file looks binary and was skipped.
    Binary,
    /// The language is unknown; line windows were used.
    UnknownLanguage,
    /// The file or a line was too large to parse; a cheaper strategy was used.
    TooLarge,
}

/// Something the chunker degraded, skipped or recovered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    pub message: String,
    /// 1-based inclusive line range the diagnostic concerns, when it concerns one.
    pub lines: Option<(usize, usize)>,
}

/// The outcome of chunking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedFile {
    pub language: Option<Language>,
    pub chunks: Vec<Chunk>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Chunks one file. Never fails and never panics: see [`ChunkedFile::diagnostics`].
pub fn chunk_file(path: &str, bytes: &[u8], config: &ChunkConfig) -> ChunkedFile {
    chunk_with(&mut None, path, bytes, config, Wanted::default())
}

/// Chunks one file and hands back the syntax tree the chunks were cut from, parsed from the
/// file's (lossily decoded) text, so a caller that needs the tree as well (the assistant's tags)
/// does not parse the file a second time. The chunks are exactly [`chunk_file`]'s; the tree is
/// `None` when the file was not parsed (binary, unknown language, over the parse limit or the
/// parser's work budget).
pub fn chunk_file_with_tree(
    path: &str,
    bytes: &[u8],
    config: &ChunkConfig,
) -> (ChunkedFile, Option<tree_sitter::Tree>) {
    let mut tree = None;
    let wanted = Wanted {
        tree: Some(&mut tree),
        ..Wanted::default()
    };
    let file = chunk_with(&mut None, path, bytes, config, wanted);
    (file, tree)
}

/// [`chunk_file_with_tree`] with the tree `parse` gives instead of a parse of its own (an
/// editor's document tree, re-parsed incrementally after an edit). The chunks are exactly
/// [`chunk_file`]'s whenever `parse` gives the tree a fresh parse would.
pub fn chunk_file_parsed_with(
    path: &str,
    bytes: &[u8],
    config: &ChunkConfig,
    parse: ParseWith<'_>,
) -> (ChunkedFile, Option<tree_sitter::Tree>) {
    let mut tree = None;
    let wanted = Wanted {
        tree: Some(&mut tree),
        parse: Some(parse),
        ..Wanted::default()
    };
    let file = chunk_with(&mut None, path, bytes, config, wanted);
    (file, tree)
}

/// A parse the caller provides in place of the chunker's own: the tree of `text` in `language`,
/// or `None` when it has none (then the file is chunked by line windows, as when a parse runs
/// out of its work budget). [`crate::documents::DocumentTrees`] is one: an editor's document
/// re-parsed incrementally.
pub type ParseWith<'a> = &'a mut dyn FnMut(Language, &str) -> Option<tree_sitter::Tree>;

/// What a chunking call hands back besides the chunks, and how it parses.
#[derive(Default)]
struct Wanted<'a> {
    definitions: Option<&'a mut Vec<Definition>>,
    tree: Option<&'a mut Option<tree_sitter::Tree>>,
    parse: Option<ParseWith<'a>>,
}

thread_local! {
    static PARSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many files this thread has parsed so far (the chunker and [`crate::tags::tags`] count):
/// tests use it to check that a path parses a file once.
pub fn parses_on_this_thread() -> u64 {
    PARSES.with(std::cell::Cell::get)
}

pub(crate) fn count_parse() {
    PARSES.with(|n| n.set(n.get() + 1));
}

/// Chunks one file and lists its named definitions, nested ones included, in source order, from
/// one parse. The chunks are exactly [`chunk_file`]'s; a file that is not parsed (binary, unknown
/// language, over the parse limit) has no definitions.
pub fn chunk_file_with_definitions(
    path: &str,
    bytes: &[u8],
    config: &ChunkConfig,
) -> (ChunkedFile, Vec<Definition>) {
    let mut definitions = Vec::new();
    let wanted = Wanted {
        definitions: Some(&mut definitions),
        ..Wanted::default()
    };
    let file = chunk_with(&mut None, path, bytes, config, wanted);
    (file, definitions)
}

fn chunk_with(
    parser: &mut Option<&mut Chunker>,
    path: &str,
    bytes: &[u8],
    config: &ChunkConfig,
    wanted: Wanted<'_>,
) -> ChunkedFile {
    let mut diagnostics = Vec::new();
    if looks_binary(bytes) {
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::Binary,
            message: format!("{path}: binary file skipped (NUL bytes in the first 8 KiB)"),
            lines: None,
        });
        return ChunkedFile {
            language: None,
            chunks: Vec::new(),
            diagnostics,
        };
    }
    let text = String::from_utf8_lossy(bytes);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::InvalidUtf8,
            message: format!("{path}: invalid UTF-8 replaced with U+FFFD"),
            lines: None,
        });
    }
    let language = Language::detect(path, &text);
    if language.is_none() {
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::UnknownLanguage,
            message: format!("{path}: unknown language, chunked by line windows"),
            lines: None,
        });
    }
    let chunks = match language {
        Some(language) => chunk_parsed(
            parser,
            path,
            language,
            &text,
            config,
            &mut diagnostics,
            wanted,
        ),
        None => line_windows(path, language, &text, config),
    };
    ChunkedFile {
        language,
        chunks,
        diagnostics,
    }
}

/// How much parser work (in progress-callback ticks, which tree-sitter issues every hundred or so
/// operations) one byte of input may cost before the parse is abandoned. Measured on the
/// real-world fixtures: 0.006–0.009 ticks per byte, so this allows 100× that; the cap bounds
/// pathological input without reading a clock.
const PARSE_TICKS_PER_BYTE: usize = 1;
const PARSE_TICKS_MIN: usize = 10_000;
/// At most this many syntax-error diagnostics are reported per file.
const MAX_SYNTAX_DIAGNOSTICS: usize = 20;

fn chunk_parsed(
    parser: &mut Option<&mut Chunker>,
    path: &str,
    language: Language,
    text: &str,
    config: &ChunkConfig,
    diagnostics: &mut Vec<Diagnostic>,
    mut wanted: Wanted<'_>,
) -> Vec<Chunk> {
    if text.len() > config.max_parse_bytes {
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::TooLarge,
            message: format!(
                "{path}: {} bytes is over the parse limit of {} bytes; chunked by line windows",
                text.len(),
                config.max_parse_bytes
            ),
            lines: None,
        });
        return line_windows(path, Some(language), text, config);
    }
    let tree = match (wanted.parse.take(), parser) {
        (Some(parse), _) => parse(language, text),
        (None, Some(chunker)) => chunker.parse(language, text),
        (None, None) => THREAD_CHUNKER.with(|c| c.borrow_mut().parse(language, text)),
    };
    let Some(tree) = tree else {
        diagnostics.push(Diagnostic {
            kind: DiagnosticKind::TooLarge,
            message: format!(
                "{path}: no {} grammar compiled in, or the parse exceeded its work budget; \
                 chunked by line windows",
                language.name()
            ),
            lines: None,
        });
        return line_windows(path, Some(language), text, config);
    };
    let root = tree.root_node();
    if root.has_error() {
        syntax_errors(path, root, diagnostics);
    }
    let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
    line_starts.push(0);
    line_starts.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let mut walker = tree::Walker::new(language, text, &line_starts, config.max_chunk_bytes);
    if wanted.definitions.is_some() {
        walker = walker.with_definitions();
    }
    let (chunks, found) = walker.run(root, path);
    if let Some(definitions) = wanted.definitions {
        *definitions = found;
    }
    if let Some(out) = wanted.tree {
        *out = Some(tree);
    }
    chunks
}

/// Reports ERROR and MISSING nodes, visiting only subtrees that contain errors.
fn syntax_errors(path: &str, root: tree_sitter::Node<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let mut cursor = root.walk();
    let mut reported = 0;
    'walk: loop {
        let node = cursor.node();
        let descend = if node.is_error() || node.is_missing() {
            let (start, end) = (node.start_position().row + 1, node.end_position().row + 1);
            let message = if node.is_missing() {
                format!("{path}:{start}: syntax error: missing `{}`", node.kind())
            } else {
                format!("{path}:{start}-{end}: syntax error")
            };
            diagnostics.push(Diagnostic {
                kind: DiagnosticKind::SyntaxError,
                message,
                lines: Some((start, end)),
            });
            reported += 1;
            if reported >= MAX_SYNTAX_DIAGNOSTICS {
                break;
            }
            false
        } else {
            node.has_error()
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

thread_local! {
    /// Parsers reused by [`chunk_file`]: creating one per file costs more than parsing a small file.
    static THREAD_CHUNKER: RefCell<Chunker> = RefCell::new(Chunker::default());
}

/// Holds one tree-sitter parser per language so repeated chunking reuses them. [`chunk_file`]
/// uses a thread-local instance; hold your own to control its lifetime.
#[derive(Default)]
pub struct Chunker {
    parsers: [Option<tree_sitter::Parser>; Language::ALL.len()],
}

impl std::fmt::Debug for Chunker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunker").finish_non_exhaustive()
    }
}

impl Chunker {
    /// Chunks one file with this chunker's parsers; same contract as [`chunk_file`].
    pub fn chunk(&mut self, path: &str, bytes: &[u8], config: &ChunkConfig) -> ChunkedFile {
        chunk_with(&mut Some(self), path, bytes, config, Wanted::default())
    }

    /// Chunks one file and lists its definitions with this chunker's parsers; same contract as
    /// [`chunk_file_with_definitions`].
    pub fn chunk_with_definitions(
        &mut self,
        path: &str,
        bytes: &[u8],
        config: &ChunkConfig,
    ) -> (ChunkedFile, Vec<Definition>) {
        let mut definitions = Vec::new();
        let wanted = Wanted {
            definitions: Some(&mut definitions),
            ..Wanted::default()
        };
        let file = chunk_with(&mut Some(self), path, bytes, config, wanted);
        (file, definitions)
    }

    /// Parses `text`, or returns `None` when the grammar is missing or the work budget ran out.
    fn parse(&mut self, language: Language, text: &str) -> Option<tree_sitter::Tree> {
        let index = Language::ALL.iter().position(|&l| l == language)?;
        if self.parsers[index].is_none() {
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&crate::grammar::grammar(language)?)
                .ok()?;
            self.parsers[index] = Some(parser);
        }
        parse_within_budget(self.parsers[index].as_mut()?, text, None)
    }
}

/// `parser`'s tree of `text` (re-parsed from `old`, edited to match, when given), or `None` when
/// the parse costs more than [`PARSE_TICKS_PER_BYTE`] allows: the bound on pathological input
/// that every parse of a file in this crate shares.
pub(crate) fn parse_within_budget(
    parser: &mut tree_sitter::Parser,
    text: &str,
    old: Option<&tree_sitter::Tree>,
) -> Option<tree_sitter::Tree> {
    let budget = PARSE_TICKS_MIN.max(text.len().saturating_mul(PARSE_TICKS_PER_BYTE));
    let mut ticks = 0usize;
    let mut progress = |_: &tree_sitter::ParseState| {
        ticks += 1;
        if ticks > budget {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let bytes = text.as_bytes();
    count_parse();
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
    let tree = parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or(&[]),
        old,
        Some(options),
    );
    if tree.is_none() {
        // A cancelled parse leaves state behind; reset so the next file starts clean.
        parser.reset();
    }
    tree
}

/// A file is treated as binary when its first 8 KiB contain a NUL byte (git's heuristic).
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// The fallback chunker: windows of whole non-blank-trimmed lines, each at most
/// `fallback_window_lines` lines and roughly `max_chunk_bytes` bytes (a single huge line is cut
/// at a char boundary so a 10 MB minified line stays bounded).
pub fn line_windows(
    path: &str,
    language: Option<Language>,
    text: &str,
    config: &ChunkConfig,
) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut line_starts = vec![0usize];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |byte: usize| line_starts.partition_point(|&s| s <= byte);
    let max_bytes = config.max_chunk_bytes.max(64);
    let mut start = 0usize;
    while start < text.len() {
        // Skip leading blank space so chunks start on content.
        let rest = &text[start..];
        let skip = rest.len() - rest.trim_start().len();
        start += skip;
        if start >= text.len() {
            break;
        }
        let first_line = line_of(start);
        // Saturating: the window comes from a host's options and may be any 32-bit number.
        let window_end_line = first_line.saturating_add(config.fallback_window_lines.max(1) - 1);
        let mut end = line_starts
            .get(window_end_line)
            .copied()
            .unwrap_or(text.len());
        if end - start > max_bytes {
            // Prefer ending at a line break inside the budget, else cut at a char boundary.
            let limit = floor_char_boundary(text, start.saturating_add(max_bytes));
            end = match text[start..limit].rfind('\n') {
                Some(i) if i > 0 => start + i + 1,
                _ => limit.max(ceil_char_boundary(text, start + 1)),
            };
        }
        let slice = &text[start..end];
        let trimmed_end = start + slice.trim_end().len();
        if trimmed_end > start {
            chunks.push(Chunk {
                path: path.to_string(),
                language,
                kind: ChunkKind::Lines,
                name: None,
                qualified_name: None,
                start_byte: start,
                end_byte: trimmed_end,
                start_line: first_line,
                end_line: line_of(trimmed_end - 1),
                docstring: None,
                text: text[start..trimmed_end].to_string(),
            });
        }
        start = end;
    }
    chunks
}

/// The char boundary at or below `i` (and at most the text's length).
fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary at or above `i` (and at most the text's length).
fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}
