//! Turning one file into semantic chunks. Broken input is not an error: the result always holds
//! chunks (possibly none) plus diagnostics explaining what was degraded or skipped.

use crate::language::Language;

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
    let chunks = line_windows(path, language, &text, config);
    ChunkedFile {
        language,
        chunks,
        diagnostics,
    }
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
        let window_end_line = first_line + config.fallback_window_lines.max(1) - 1;
        let mut end = line_starts
            .get(window_end_line)
            .copied()
            .unwrap_or(text.len());
        if end - start > max_bytes {
            // Prefer ending at a line break inside the budget, else cut at a char boundary.
            let limit = floor_char_boundary(text, start + max_bytes);
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

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}
