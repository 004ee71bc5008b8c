//! The boundary's data types: what JavaScript passes in and gets back. The engine's types are not
//! serde types (the core never knows how it is hosted), so this module mirrors them in camelCase
//! and converts positions to the encoding the host asked for. Everything here is plain Rust and
//! runs natively, so the native tests and the browser tests check the very same conversion.

use engine::{Chunk, ChunkConfig, ChunkedFile, Diagnostic, DiagnosticKind, IndexStats};
use serde::{Deserialize, Serialize};

/// How offsets are counted on the wire. Monaco and VS Code count UTF-16 code units (JavaScript
/// string indices); other hosts may want UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionEncoding {
    #[default]
    Utf16,
    Utf8,
}

/// The JavaScript name of an encoding (also recorded in snapshots).
pub fn encoding_name(encoding: PositionEncoding) -> &'static str {
    match encoding {
        PositionEncoding::Utf16 => "utf16",
        PositionEncoding::Utf8 => "utf8",
    }
}

/// `new Engine(options)`. Every field is optional; unknown fields are rejected so a typo such as
/// `maxChunkByte` is reported instead of silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineOptions {
    #[serde(default)]
    pub position_encoding: PositionEncoding,
    pub max_chunk_bytes: Option<usize>,
    pub max_parse_bytes: Option<usize>,
    pub fallback_window_lines: Option<usize>,
}

/// Options that deserialized but make no sense.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionsError {
    #[error("options.{0} must be a positive integer, got 0")]
    Zero(&'static str),
}

impl EngineOptions {
    /// The JavaScript names of the fields above.
    pub const FIELDS: &'static [&'static str] = &[
        "positionEncoding",
        "maxChunkBytes",
        "maxParseBytes",
        "fallbackWindowLines",
    ];

    /// The chunker configuration these options describe, defaults filled in.
    pub fn chunk_config(&self) -> Result<ChunkConfig, OptionsError> {
        let defaults = ChunkConfig::default();
        let positive = |value: Option<usize>, name: &'static str, default: usize| match value {
            Some(0) => Err(OptionsError::Zero(name)),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        Ok(ChunkConfig {
            max_chunk_bytes: positive(
                self.max_chunk_bytes,
                "maxChunkBytes",
                defaults.max_chunk_bytes,
            )?,
            max_parse_bytes: positive(
                self.max_parse_bytes,
                "maxParseBytes",
                defaults.max_parse_bytes,
            )?,
            fallback_window_lines: positive(
                self.fallback_window_lines,
                "fallbackWindowLines",
                defaults.fallback_window_lines,
            )?,
        })
    }
}

/// A chunk as JavaScript sees it. `start`/`end` are offsets into the indexed text in the engine's
/// [`PositionEncoding`]; lines are 1-based and inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireChunk {
    pub path: String,
    pub language: Option<String>,
    pub kind: String,
    pub name: Option<String>,
    pub qualified_name: Option<String>,
    pub start_line: usize,
    pub end_line: usize,
    pub start: usize,
    pub end: usize,
    pub docstring: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDiagnostic {
    pub kind: String,
    pub message: String,
    pub start_line: Option<usize>,
    pub end_line: Option<usize>,
}

/// What `indexFile` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireIndexedFile {
    pub path: String,
    pub language: Option<String>,
    pub chunks: Vec<WireChunk>,
    pub diagnostics: Vec<WireDiagnostic>,
}

/// What `stats()` returns. `bytes` counts UTF-8 bytes covered by chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireStats {
    pub files: usize,
    pub chunks: usize,
    pub bytes: usize,
    pub diagnostics: usize,
}

impl From<IndexStats> for WireStats {
    fn from(stats: IndexStats) -> Self {
        WireStats {
            files: stats.files,
            chunks: stats.chunks,
            bytes: stats.bytes,
            diagnostics: stats.diagnostics,
        }
    }
}

/// `[start, end)` of each chunk in `encoding`, computed from the file's text. The facade keeps
/// these per file because the engine stores chunks, not the source they were cut from.
pub fn chunk_spans(
    text: &str,
    chunks: &[Chunk],
    encoding: PositionEncoding,
) -> Vec<(usize, usize)> {
    match encoding {
        PositionEncoding::Utf8 => chunks.iter().map(|c| (c.start_byte, c.end_byte)).collect(),
        PositionEncoding::Utf16 => {
            let bytes: Vec<usize> = chunks
                .iter()
                .flat_map(|c| [c.start_byte, c.end_byte])
                .collect();
            let units = utf16_offsets(text, &bytes);
            units.chunks_exact(2).map(|p| (p[0], p[1])).collect()
        }
    }
}

/// Converts UTF-8 byte offsets into UTF-16 code-unit offsets in one pass over `text`
/// (O(text + k log k) rather than re-counting the prefix for every offset). Written by hand
/// because the crates that do this (e.g. `line-index`) answer per line and column, and we need
/// absolute offsets. An offset inside a character counts that whole character.
pub fn utf16_offsets(text: &str, byte_offsets: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..byte_offsets.len()).collect();
    order.sort_by_key(|&i| byte_offsets[i]);
    let mut result = vec![0; byte_offsets.len()];
    let mut chars = text.char_indices().peekable();
    let mut units = 0;
    for i in order {
        let target = byte_offsets[i];
        while let Some(&(at, c)) = chars.peek() {
            if at >= target {
                break;
            }
            units += c.len_utf16();
            chars.next();
        }
        result[i] = units;
    }
    result
}

pub fn wire_chunk(chunk: &Chunk, (start, end): (usize, usize)) -> WireChunk {
    WireChunk {
        path: chunk.path.clone(),
        language: chunk.language.map(|l| l.name().to_string()),
        kind: chunk.kind.name().to_string(),
        name: chunk.name.clone(),
        qualified_name: chunk.qualified_name.clone(),
        start_line: chunk.start_line,
        end_line: chunk.end_line,
        start,
        end,
        docstring: chunk.docstring.clone(),
        text: chunk.text.clone(),
    }
}

pub fn wire_chunks(chunks: &[Chunk], spans: &[(usize, usize)]) -> Vec<WireChunk> {
    chunks
        .iter()
        .zip(spans)
        .map(|(chunk, &span)| wire_chunk(chunk, span))
        .collect()
}

pub fn wire_diagnostic(diagnostic: &Diagnostic) -> WireDiagnostic {
    let kind = match diagnostic.kind {
        DiagnosticKind::SyntaxError => "syntaxError",
        DiagnosticKind::InvalidUtf8 => "invalidUtf8",
        DiagnosticKind::Binary => "binary",
        DiagnosticKind::UnknownLanguage => "unknownLanguage",
        DiagnosticKind::TooLarge => "tooLarge",
    };
    WireDiagnostic {
        kind: kind.to_string(),
        message: diagnostic.message.clone(),
        start_line: diagnostic.lines.map(|(start, _)| start),
        end_line: diagnostic.lines.map(|(_, end)| end),
    }
}

pub fn wire_indexed_file(
    path: &str,
    file: &ChunkedFile,
    spans: &[(usize, usize)],
) -> WireIndexedFile {
    WireIndexedFile {
        path: path.to_string(),
        language: file.language.map(|l| l.name().to_string()),
        chunks: wire_chunks(&file.chunks, spans),
        diagnostics: file.diagnostics.iter().map(wire_diagnostic).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_count_code_units() {
        // "a" 1 byte/1 unit, "é" 2/1, "中" 3/1, "😀" 4/2 (a surrogate pair).
        let text = "aé中😀b";
        let offsets = utf16_offsets(text, &[11, 0, 1, 3, 6, 10]);
        assert_eq!(offsets, vec![6, 0, 1, 2, 3, 5]);
    }

    #[test]
    fn fields_list_matches_the_serde_names() {
        for field in EngineOptions::FIELDS {
            let value = if *field == "positionEncoding" {
                "\"utf8\""
            } else {
                "7"
            };
            let json = format!("{{\"{field}\": {value}}}");
            let options: EngineOptions = serde_json::from_str(&json).unwrap();
            assert_ne!(options, EngineOptions::default(), "{field} was not read");
        }
    }

    #[test]
    fn options_reject_zero_and_fill_defaults() {
        let zero = EngineOptions {
            max_chunk_bytes: Some(0),
            ..EngineOptions::default()
        };
        assert_eq!(
            zero.chunk_config(),
            Err(OptionsError::Zero("maxChunkBytes"))
        );
        let set = EngineOptions {
            max_chunk_bytes: Some(300),
            ..EngineOptions::default()
        };
        let config = set.chunk_config().unwrap();
        assert_eq!(config.max_chunk_bytes, 300);
        assert_eq!(
            config.max_parse_bytes,
            ChunkConfig::default().max_parse_bytes
        );
    }
}
