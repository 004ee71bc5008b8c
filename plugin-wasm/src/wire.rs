//! What JavaScript gets back: the engine's results mirrored as serde types in camelCase, with
//! positions converted to the encoding the host asked for. The engine's types are not serde types
//! (the core never knows how it is hosted), and the engine keeps no text, so offsets are
//! converted here from each file's `LineIndex`, which the engine's `Project` owns with the chunks.
//! Everything here is plain Rust and runs natively, so the native tests and the browser tests
//! check the very same conversion.

use std::collections::BTreeMap;

use assist::prompt::{ChatMessage, Dropped, Part};
use engine::embed::Embedder;
use engine::project::{BulkReport, SearchHit};
use engine::search::RankScore;
use engine::{Chunk, Diagnostic, DiagnosticKind, IndexStats, IndexedFile, LineIndex};
use serde::{Deserialize, Serialize};

use crate::options::PositionEncoding;

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

/// Where a hit stood in one retriever's list (rank is 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WireRankScore {
    pub rank: u32,
    pub score: f32,
}

/// One search hit as JS sees it (it crosses flat, see `hits.rs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSearchHit {
    pub path: String,
    pub name: Option<String>,
    pub qualified_name: Option<String>,
    pub kind: &'static str,
    pub language: Option<&'static str>,
    pub start_line: usize,
    pub end_line: usize,
    pub score: f32,
    pub keyword: Option<WireRankScore>,
    pub vector: Option<WireRankScore>,
    pub fused: f32,
}

/// What `embedder` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireEmbedderInfo {
    pub kind: &'static str,
    pub id: String,
    pub dimensions: usize,
}

/// What `indexFiles` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WireBulkReport {
    pub files: usize,
    pub unchanged: usize,
    pub chunks: usize,
    pub embedded: usize,
    pub cancelled: bool,
}

impl From<BulkReport> for WireBulkReport {
    fn from(r: BulkReport) -> Self {
        WireBulkReport {
            files: r.files,
            unchanged: r.unchanged,
            chunks: r.chunks,
            embedded: r.embedded,
            cancelled: r.cancelled,
        }
    }
}

/// What `buildPrompt` returns: the fields `pilotfish prompt --json` prints, with its snake_case
/// names, so a host can compare the tab's prompt with the CLI's for the same cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WirePrompt {
    pub mode: &'static str,
    pub path: String,
    /// The cursor's 1-based line and 1-based column in characters (the CLI's `--at`).
    pub line: usize,
    pub col: usize,
    /// The whole text a model would receive (chat: the messages as ChatML).
    pub prompt: String,
    pub tokens: usize,
    pub budget: usize,
    /// Whether `tokens` is exact (`loadTokenizer` was called) or a calibrated estimate.
    pub exact_tokens: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<ChatMessage>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    pub parts: Vec<Part>,
    pub dropped: Vec<Dropped>,
    /// Secrets replaced in `prompt` by `[REDACTED:rule-id]`, counted by rule (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub redactions: BTreeMap<String, usize>,
}

/// A UTF-8 offset of the file in the host's encoding.
fn offset(lines: &LineIndex, utf8: usize, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => utf8,
        PositionEncoding::Utf16 => lines.utf16_offset(utf8),
    }
}

pub fn wire_chunk(chunk: &Chunk, lines: &LineIndex, encoding: PositionEncoding) -> WireChunk {
    WireChunk {
        path: chunk.path.clone(),
        language: chunk.language.map(|l| l.name().to_string()),
        kind: chunk.kind.name().to_string(),
        name: chunk.name.clone(),
        qualified_name: chunk.qualified_name.clone(),
        start_line: chunk.start_line,
        end_line: chunk.end_line,
        start: offset(lines, chunk.start_byte, encoding),
        end: offset(lines, chunk.end_byte, encoding),
        docstring: chunk.docstring.clone(),
        text: chunk.text.clone(),
    }
}

/// An indexed file's chunks, in chunk order.
pub fn wire_chunks(file: &IndexedFile, encoding: PositionEncoding) -> Vec<WireChunk> {
    file.chunked
        .chunks
        .iter()
        .map(|chunk| wire_chunk(chunk, &file.lines, encoding))
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
    file: &IndexedFile,
    encoding: PositionEncoding,
) -> WireIndexedFile {
    WireIndexedFile {
        path: path.to_string(),
        language: file.chunked.language.map(|l| l.name().to_string()),
        chunks: wire_chunks(file, encoding),
        diagnostics: file
            .chunked
            .diagnostics
            .iter()
            .map(wire_diagnostic)
            .collect(),
    }
}

pub fn wire_search_hit(hit: &SearchHit<'_>) -> WireSearchHit {
    let rank = |r: RankScore| WireRankScore {
        rank: r.rank,
        score: r.score,
    };
    WireSearchHit {
        path: hit.chunk.path.clone(),
        name: hit.chunk.name.clone(),
        qualified_name: hit.chunk.qualified_name.clone(),
        kind: hit.chunk.kind.name(),
        language: hit.chunk.language.map(|l| l.name()),
        start_line: hit.chunk.start_line,
        end_line: hit.chunk.end_line,
        score: hit.score,
        keyword: hit.explanation.keyword.map(rank),
        vector: hit.explanation.vector.map(rank),
        fused: hit.explanation.fused,
    }
}

/// `kind` is the facade's name for the embedder; the rest comes from the embedder itself.
pub fn wire_embedder_info(kind: &'static str, embedder: &dyn Embedder) -> WireEmbedderInfo {
    WireEmbedderInfo {
        kind,
        id: embedder.id().to_string(),
        dimensions: embedder.dimensions(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_utf16_units_or_bytes() {
        // "a" 1 byte/1 unit, "é" 2/1, "中" 3/1, "😀" 4/2 (a surrogate pair).
        let lines = LineIndex::new("aé中😀b");
        let utf16: Vec<usize> = [11, 0, 1, 3, 6, 10]
            .iter()
            .map(|&b| offset(&lines, b, PositionEncoding::Utf16))
            .collect();
        assert_eq!(utf16, vec![6, 0, 1, 2, 3, 5]);
        assert_eq!(offset(&lines, 6, PositionEncoding::Utf8), 6);
    }

    #[test]
    fn chunks_take_their_offsets_from_the_files_line_index() {
        let text = "# 😀 café\ndef f():\n    return \"中\"\n";
        let mut project = engine::Project::default();
        project.index_file("a.py", text.as_bytes(), None).unwrap();
        let file = project.file("a.py").unwrap();
        let units: Vec<u16> = text.encode_utf16().collect();
        for chunk in wire_chunks(file, PositionEncoding::Utf16) {
            let slice = String::from_utf16(&units[chunk.start..chunk.end]).unwrap();
            assert!(chunk.text.ends_with(&slice), "{slice:?} / {:?}", chunk.text);
        }
        let last = wire_chunks(file, PositionEncoding::Utf8).pop().unwrap();
        assert_eq!(last.end, text.trim_end().len());
        assert_eq!(
            wire_chunks(file, PositionEncoding::Utf16)
                .pop()
                .unwrap()
                .end,
            text.trim_end().encode_utf16().count()
        );
    }
}
