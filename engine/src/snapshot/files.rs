//! Each indexed file in a snapshot: its content hash and slots, then what the chunker produced
//! (language, diagnostics, chunks with their text) and its position map. The slots' search records
//! are not stored: they are rebuilt from the chunks on restore, so the two can never disagree.

use syntax::line_index::WideChar;
use syntax::{Chunk, ChunkKind, ChunkedFile, Diagnostic, DiagnosticKind, Language, LineIndex};

use super::SnapshotError;
use super::codec::{Reader, Writer};
use crate::project::{FileEntry, IndexedFile};

pub(super) fn write_file(w: &mut Writer, path: &str, entry: &FileEntry) {
    w.str(path);
    w.u128(entry.hash);
    w.u32s(&entry.slots);
    let file = &entry.indexed.chunked;
    write_language(w, file.language);
    w.u32(file.diagnostics.len() as u32);
    for d in &file.diagnostics {
        w.u8(diagnostic_code(d.kind));
        w.str(&d.message);
        match d.lines {
            None => w.u8(0),
            Some((start, end)) => {
                w.u8(1);
                w.u64(start as u64);
                w.u64(end as u64);
            }
        }
    }
    // The chunk count is the slot count written above; a chunk's path is the file's.
    for c in &file.chunks {
        write_language(w, c.language);
        w.u8(kind_code(c.kind));
        w.opt_str(c.name.as_deref());
        w.opt_str(c.qualified_name.as_deref());
        for x in [c.start_byte, c.end_byte, c.start_line, c.end_line] {
            w.u64(x as u64);
        }
        w.opt_str(c.docstring.as_deref());
        w.str(&c.text);
    }
    let (line_starts, wide, len_utf8) = entry.indexed.lines.parts();
    w.u32s(line_starts);
    w.u32(wide.len() as u32);
    for c in wide {
        w.u32(c.start);
        w.u8(c.len_utf8);
        w.u8(c.len_utf16);
        w.u32(c.saved_before);
    }
    w.u32(len_utf8);
}

/// Reads one file written by [`write_file`]; the caller checks its slots against the others.
pub(super) fn read_file(r: &mut Reader<'_>) -> Result<(String, FileEntry), SnapshotError> {
    let path = r.str("file path")?;
    let hash = r.u128("file hash")?;
    let slots = r.u32s("file slots")?;
    let language = read_language(r)?;
    let mut diagnostics = Vec::new();
    for _ in 0..r.count("diagnostics", 1 + 4 + 1)? {
        let kind = diagnostic_from_code(r.u8("diagnostic kind")?)?;
        let message = r.str("diagnostic message")?;
        let lines = match r.u8("diagnostic lines")? {
            0 => None,
            _ => Some((r.size("diagnostic lines")?, r.size("diagnostic lines")?)),
        };
        diagnostics.push(Diagnostic {
            kind,
            message,
            lines,
        });
    }
    const MIN_CHUNK: usize = 1 + 1 + 1 + 1 + 4 * 8 + 1 + 4;
    if slots.len().saturating_mul(MIN_CHUNK) > r.remaining() {
        return Err(SnapshotError::Truncated("chunks"));
    }
    let mut chunks = Vec::with_capacity(slots.len());
    for _ in 0..slots.len() {
        let chunk_language = read_language(r)?;
        let kind = kind_from_code(r.u8("chunk kind")?)?;
        let name = r.opt_str("chunk name")?;
        let qualified_name = r.opt_str("qualified name")?;
        let mut x = [0usize; 4];
        for v in &mut x {
            *v = r.size("chunk position")?;
        }
        let docstring = r.opt_str("docstring")?;
        let text = r.str("chunk text")?;
        chunks.push(Chunk {
            path: path.clone(),
            language: chunk_language,
            kind,
            name,
            qualified_name,
            start_byte: x[0],
            end_byte: x[1],
            start_line: x[2],
            end_line: x[3],
            docstring,
            text,
        });
    }
    let line_starts = r.u32s("line starts")?;
    let wide_count = r.count("wide characters", 10)?;
    let mut wide = Vec::with_capacity(wide_count);
    for _ in 0..wide_count {
        wide.push(WideChar {
            start: r.u32("wide character")?,
            len_utf8: r.u8("wide character")?,
            len_utf16: r.u8("wide character")?,
            saved_before: r.u32("wide character")?,
        });
    }
    let len_utf8 = r.u32("text length")?;
    let lines = LineIndex::from_parts(line_starts, wide, len_utf8)
        .map_err(|e| SnapshotError::Invalid(format!("{path:?}: {e}")))?;
    if let Some(c) = chunks
        .iter()
        .find(|c| c.start_byte > c.end_byte || c.end_byte > lines.len_utf8())
    {
        return Err(SnapshotError::Invalid(format!(
            "{path:?}: chunk bytes {}..{} are outside the file",
            c.start_byte, c.end_byte
        )));
    }
    // Hosts and the assistant compute with these lines (`start_line + n - 1`, windows around
    // them), so they must be 1-based lines of this file, in order.
    if let Some(c) = chunks
        .iter()
        .find(|c| c.start_line == 0 || c.start_line > c.end_line || c.end_line > lines.lines())
    {
        return Err(SnapshotError::Invalid(format!(
            "{path:?}: chunk lines {}..={} are outside the file's {} lines",
            c.start_line,
            c.end_line,
            lines.lines()
        )));
    }
    if let Some((start, end)) = diagnostics
        .iter()
        .filter_map(|d| d.lines)
        .find(|&(start, end)| start == 0 || start > end || end > lines.lines())
    {
        return Err(SnapshotError::Invalid(format!(
            "{path:?}: diagnostic lines {start}..={end} are outside the file's {} lines",
            lines.lines()
        )));
    }
    let chunked = ChunkedFile {
        language,
        chunks,
        diagnostics,
    };
    let indexed = IndexedFile { chunked, lines };
    Ok((
        path,
        FileEntry {
            hash,
            slots,
            indexed,
        },
    ))
}

fn write_language(w: &mut Writer, language: Option<Language>) {
    w.u8(language.map_or(0, |l| {
        Language::ALL.iter().position(|&x| x == l).unwrap_or(0) as u8 + 1
    }));
}

fn read_language(r: &mut Reader<'_>) -> Result<Option<Language>, SnapshotError> {
    Ok(match r.u8("language")? {
        0 => None,
        n => Some(
            *Language::ALL
                .get(usize::from(n) - 1)
                .ok_or_else(|| SnapshotError::Invalid(format!("unknown language code {n}")))?,
        ),
    })
}

fn diagnostic_code(kind: DiagnosticKind) -> u8 {
    match kind {
        DiagnosticKind::SyntaxError => 0,
        DiagnosticKind::InvalidUtf8 => 1,
        DiagnosticKind::Binary => 2,
        DiagnosticKind::UnknownLanguage => 3,
        DiagnosticKind::TooLarge => 4,
    }
}

fn diagnostic_from_code(code: u8) -> Result<DiagnosticKind, SnapshotError> {
    Ok(match code {
        0 => DiagnosticKind::SyntaxError,
        1 => DiagnosticKind::InvalidUtf8,
        2 => DiagnosticKind::Binary,
        3 => DiagnosticKind::UnknownLanguage,
        4 => DiagnosticKind::TooLarge,
        n => {
            return Err(SnapshotError::Invalid(format!(
                "unknown diagnostic kind {n}"
            )));
        }
    })
}

fn kind_code(kind: ChunkKind) -> u8 {
    match kind {
        ChunkKind::Function => 0,
        ChunkKind::Method => 1,
        ChunkKind::Class => 2,
        ChunkKind::Module => 3,
        ChunkKind::Imports => 4,
        ChunkKind::Lines => 5,
    }
}

fn kind_from_code(code: u8) -> Result<ChunkKind, SnapshotError> {
    Ok(match code {
        0 => ChunkKind::Function,
        1 => ChunkKind::Method,
        2 => ChunkKind::Class,
        3 => ChunkKind::Module,
        4 => ChunkKind::Imports,
        5 => ChunkKind::Lines,
        n => return Err(SnapshotError::Invalid(format!("unknown chunk kind {n}"))),
    })
}
