//! The project index on disk (or in IndexedDB/OPFS): a versioned binary snapshot.
//!
//! Layout: magic `PFSNAP\r\n`, format version (u32), payload length (u64), payload, CRC-32 of
//! the payload (u32); all little-endian. Version 2 appended the host's chunk listing (each file's
//! chunks with their text and the host's offsets) so a restored index can list chunks again;
//! version 1 snapshots lack it and are rejected, which asks the host to re-index once. The payload is a hand-rolled sequence of length-prefixed
//! fields rather than serde output because engine types are not serde types (see STYLE.md), and
//! because the bulk (postings, vectors) is flat arrays that are cheapest to write as raw words.
//! Restoring validates everything: a truncated, corrupted or foreign snapshot is an error with a
//! clear message, never a panic, and never a huge allocation driven by a corrupted length.

use std::collections::BTreeMap;

use crate::chunk::{Chunk, ChunkConfig, ChunkKind, ChunkedFile, Diagnostic, DiagnosticKind};
use crate::language::Language;
use crate::project::{ChunkMeta, FileEntry, Project, ProjectConfig};
use crate::search::bm25::{Bm25Config, Bm25Index, FieldBoosts};
use crate::search::fuse::{FusionConfig, FusionMethod};
use crate::search::tokenize::TokenizerConfig;
use crate::search::vector::ExactIndex;

pub const MAGIC: &[u8; 8] = b"PFSNAP\r\n";
pub const VERSION: u32 = 2;

/// One file of a host's chunk listing: the chunker's output plus each chunk's `[start, end)` in
/// whatever unit the host reports offsets in (the browser facade counts UTF-16 code units, which
/// can only be computed from the source text the index does not keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    pub file: ChunkedFile,
    pub offsets: Vec<(usize, usize)>,
}

/// A host's chunk listing by path, stored with the index.
pub type Listing = BTreeMap<String, ListedFile>;

/// Why a snapshot was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a Pilotfish index snapshot (bad magic)")]
    Magic,
    #[error(
        "snapshot format version {found} is not supported (this build reads {VERSION}); re-index the project to write a new snapshot"
    )]
    Version { found: u32 },
    #[error("snapshot is truncated: {0}")]
    Truncated(&'static str),
    #[error("snapshot checksum mismatch (stored {stored:08x}, computed {computed:08x}): corrupted")]
    Checksum { stored: u32, computed: u32 },
    #[error("snapshot is inconsistent: {0}")]
    Invalid(String),
}

/// Serialises a project index with an empty chunk listing.
pub fn write(project: &Project) -> Vec<u8> {
    write_with_listing(project, &Listing::new(), "")
}

/// Serialises a project index and the host's chunk listing; `offset_unit` names the unit of the
/// listing's offsets (e.g. "utf16") so a host can refuse a listing counted in another unit.
pub fn write_with_listing(project: &Project, listing: &Listing, offset_unit: &str) -> Vec<u8> {
    let mut w = Writer::default();
    write_config(&mut w, &project.config);
    w.u32(project.files.len() as u32);
    for (path, entry) in &project.files {
        w.str(path);
        w.u128(entry.hash);
        w.u32s(&entry.slots);
    }
    w.u32(project.chunks.len() as u32);
    for chunk in &project.chunks {
        match chunk {
            None => w.u8(0),
            Some(c) => {
                w.u8(1);
                w.str(&c.path);
                w.u8(c.language.map_or(0, |l| {
                    Language::ALL.iter().position(|&x| x == l).unwrap_or(0) as u8 + 1
                }));
                w.u8(kind_code(c.kind));
                w.opt_str(c.name.as_deref());
                w.opt_str(c.qualified_name.as_deref());
                w.u64(c.start_line as u64);
                w.u64(c.end_line as u64);
                w.u128(c.content_hash);
            }
        }
    }
    let parts = project.bm25.parts();
    w.u32(parts.terms.len() as u32);
    for (term, (docs, tfs)) in parts.terms.iter().zip(&parts.postings) {
        w.str(term);
        w.u32s(docs);
        w.u16s(tfs);
    }
    w.u32(parts.doc_len.len() as u32);
    for len in parts.doc_len {
        match len {
            None => w.u8(0),
            Some(l) => {
                w.u8(1);
                w.f32(*l);
            }
        }
    }
    match &project.vectors {
        None => w.u8(0),
        Some((id, index)) => {
            w.u8(1);
            w.str(id);
            let (dims, data, live) = index.parts();
            w.u32(dims as u32);
            w.u32(live.len() as u32);
            w.buf.extend(live.iter().map(|&l| u8::from(l)));
            w.buf.reserve(data.len() * 4);
            for x in data {
                w.f32(*x);
            }
        }
    }
    write_listing(&mut w, listing, offset_unit);
    let payload = w.buf;
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out
}

/// Restores a project index written by [`write`] or [`write_with_listing`], dropping the listing.
pub fn read(bytes: &[u8]) -> Result<Project, SnapshotError> {
    read_with_listing(bytes).map(|(project, _, _)| project)
}

/// Restores a project index and the chunk listing stored with it, with the listing's offset unit.
pub fn read_with_listing(bytes: &[u8]) -> Result<(Project, Listing, String), SnapshotError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::Magic);
    }
    let mut header = Reader::new(&bytes[MAGIC.len()..]);
    let version = header.u32("version")?;
    if version != VERSION {
        return Err(SnapshotError::Version { found: version });
    }
    let len = header.u64("payload length")?;
    let rest = header.rest();
    if (rest.len() as u64) < len.saturating_add(4) {
        return Err(SnapshotError::Truncated("payload"));
    }
    let len = len as usize;
    if rest.len() > len + 4 {
        return Err(SnapshotError::Invalid(
            "trailing bytes after the checksum".into(),
        ));
    }
    let (payload, crc) = rest.split_at(len);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(payload);
    if stored != computed {
        return Err(SnapshotError::Checksum { stored, computed });
    }
    read_payload(&mut Reader::new(payload))
}

fn read_payload(r: &mut Reader<'_>) -> Result<(Project, Listing, String), SnapshotError> {
    let config = read_config(r)?;
    let mut files = BTreeMap::new();
    for _ in 0..r.count("files", 4 + 16 + 4)? {
        let path = r.str("file path")?;
        let hash = r.u128("file hash")?;
        let slots = r.u32s("file slots")?;
        files.insert(path, FileEntry { hash, slots });
    }
    let n_chunks = r.count("chunks", 1)?;
    let mut chunks = Vec::with_capacity(n_chunks);
    for _ in 0..n_chunks {
        if r.u8("chunk flag")? == 0 {
            chunks.push(None);
            continue;
        }
        let path = r.str("chunk path")?;
        let language = match r.u8("language")? {
            0 => None,
            n => Some(
                *Language::ALL
                    .get(usize::from(n) - 1)
                    .ok_or_else(|| SnapshotError::Invalid(format!("unknown language code {n}")))?,
            ),
        };
        let kind = kind_from_code(r.u8("chunk kind")?)?;
        let name = r.opt_str("chunk name")?;
        let qualified_name = r.opt_str("qualified name")?;
        let start_line = r.u64("start line")? as usize;
        let end_line = r.u64("end line")? as usize;
        let content_hash = r.u128("content hash")?;
        chunks.push(Some(ChunkMeta {
            path,
            language,
            kind,
            name,
            qualified_name,
            start_line,
            end_line,
            content_hash,
        }));
    }
    let n_terms = r.count("terms", 12)?;
    let mut terms = Vec::with_capacity(n_terms);
    let mut postings = Vec::with_capacity(n_terms);
    for _ in 0..n_terms {
        terms.push(r.str("term")?);
        let docs = r.u32s("postings")?;
        let tfs = r.u16s("frequencies")?;
        postings.push((docs, tfs));
    }
    let n_docs = r.count("document lengths", 1)?;
    let mut doc_len = Vec::with_capacity(n_docs);
    for _ in 0..n_docs {
        doc_len.push(match r.u8("length flag")? {
            0 => None,
            _ => Some(r.f32("length")?),
        });
    }
    let bm25 = Bm25Index::from_parts(config.bm25, terms, postings, doc_len)
        .map_err(SnapshotError::Invalid)?;
    let vectors = match r.u8("vectors flag")? {
        0 => None,
        _ => {
            let id = r.str("embedder id")?;
            let dims = r.u32("dimensions")? as usize;
            let slots = r.count("vector slots", 1)?;
            let live: Vec<bool> = r.take(slots, "liveness")?.iter().map(|&b| b != 0).collect();
            let floats = dims
                .checked_mul(slots)
                .filter(|n| n.saturating_mul(4) <= r.remaining())
                .ok_or(SnapshotError::Truncated("vectors"))?;
            let raw = r.take(floats * 4, "vectors")?;
            let data = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let index = ExactIndex::from_parts(dims, data, live).map_err(SnapshotError::Invalid)?;
            Some((id, index))
        }
    };
    let (listing, offset_unit) = read_listing(r)?;
    if r.remaining() != 0 {
        return Err(SnapshotError::Invalid(
            "unread bytes at the end of the payload".into(),
        ));
    }
    if listing.keys().any(|path| !files.contains_key(path)) {
        return Err(SnapshotError::Invalid(
            "the chunk listing names a file the index does not hold".into(),
        ));
    }
    // Cross-checks: every file slot holds a chunk of that file, and the indexes agree on slots.
    for (path, entry) in &files {
        for &slot in &entry.slots {
            match chunks.get(slot as usize) {
                Some(Some(c)) if &c.path == path => {}
                _ => {
                    return Err(SnapshotError::Invalid(format!(
                        "file {path:?} points at slot {slot}, which holds no chunk of it"
                    )));
                }
            }
        }
    }
    let live = chunks.iter().flatten().count();
    if live != bm25.len() || files.values().map(|f| f.slots.len()).sum::<usize>() != live {
        return Err(SnapshotError::Invalid(
            "chunk, file and keyword counts differ".into(),
        ));
    }
    if let Some((_, index)) = &vectors
        && index.slots() > chunks.len()
    {
        return Err(SnapshotError::Invalid(
            "more vector slots than chunks".into(),
        ));
    }
    let free = (0..chunks.len() as u32)
        .rev()
        .filter(|&s| chunks[s as usize].is_none())
        .collect();
    let project = Project {
        config,
        files,
        chunks,
        free,
        bm25,
        vectors,
        #[cfg(feature = "hnsw")]
        ann: None,
    };
    Ok((project, listing, offset_unit))
}

fn write_listing(w: &mut Writer, listing: &Listing, offset_unit: &str) {
    w.str(offset_unit);
    w.u32(listing.len() as u32);
    for (path, listed) in listing {
        w.str(path);
        write_language(w, listed.file.language);
        w.u32(listed.file.diagnostics.len() as u32);
        for d in &listed.file.diagnostics {
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
        w.u32(listed.file.chunks.len() as u32);
        for (c, &(start, end)) in listed.file.chunks.iter().zip(&listed.offsets) {
            w.str(&c.path);
            write_language(w, c.language);
            w.u8(kind_code(c.kind));
            w.opt_str(c.name.as_deref());
            w.opt_str(c.qualified_name.as_deref());
            for x in [
                c.start_byte,
                c.end_byte,
                c.start_line,
                c.end_line,
                start,
                end,
            ] {
                w.u64(x as u64);
            }
            w.opt_str(c.docstring.as_deref());
            w.str(&c.text);
        }
    }
}

fn read_listing(r: &mut Reader<'_>) -> Result<(Listing, String), SnapshotError> {
    let offset_unit = r.str("offset unit")?;
    let mut listing = Listing::new();
    for _ in 0..r.count("listed files", 4 + 1 + 4 + 4)? {
        let path = r.str("listed path")?;
        let language = read_language(r)?;
        let mut diagnostics = Vec::new();
        for _ in 0..r.count("diagnostics", 1 + 4 + 1)? {
            let kind = diagnostic_from_code(r.u8("diagnostic kind")?)?;
            let message = r.str("diagnostic message")?;
            let lines = match r.u8("diagnostic lines")? {
                0 => None,
                _ => Some((
                    r.u64("diagnostic lines")? as usize,
                    r.u64("diagnostic lines")? as usize,
                )),
            };
            diagnostics.push(Diagnostic {
                kind,
                message,
                lines,
            });
        }
        let n = r.count("listed chunks", 4 + 1 + 1 + 1 + 1 + 6 * 8 + 1 + 4)?;
        let mut chunks = Vec::with_capacity(n);
        let mut offsets = Vec::with_capacity(n);
        for _ in 0..n {
            let chunk_path = r.str("listed chunk path")?;
            let chunk_language = read_language(r)?;
            let kind = kind_from_code(r.u8("listed chunk kind")?)?;
            let name = r.opt_str("listed chunk name")?;
            let qualified_name = r.opt_str("listed qualified name")?;
            let mut x = [0usize; 6];
            for v in &mut x {
                *v = r.u64("listed chunk position")? as usize;
            }
            let docstring = r.opt_str("listed docstring")?;
            let text = r.str("listed chunk text")?;
            chunks.push(Chunk {
                path: chunk_path,
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
            offsets.push((x[4], x[5]));
        }
        let file = ChunkedFile {
            language,
            chunks,
            diagnostics,
        };
        if listing
            .insert(path.clone(), ListedFile { file, offsets })
            .is_some()
        {
            return Err(SnapshotError::Invalid(format!(
                "the chunk listing holds {path:?} twice"
            )));
        }
    }
    Ok((listing, offset_unit))
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

fn write_config(w: &mut Writer, c: &ProjectConfig) {
    w.u64(c.chunk.max_chunk_bytes as u64);
    w.u64(c.chunk.max_parse_bytes as u64);
    w.u64(c.chunk.fallback_window_lines as u64);
    let b = &c.bm25;
    for x in [
        b.k1,
        b.b,
        b.boosts.name,
        b.boosts.qualified_name,
        b.boosts.path,
        b.boosts.body,
    ] {
        w.f32(x);
    }
    w.u8(u8::from(b.tokenizer.stem));
    w.u8(u8::from(b.tokenizer.keep_whole));
    match c.fusion {
        None => w.u8(0),
        Some(f) => {
            // Tag 1 (RRF) is the original layout, so older snapshots keep reading.
            match f.method {
                FusionMethod::Rrf { k } => {
                    w.u8(1);
                    w.f32(f.keyword_weight);
                    w.f32(f.vector_weight);
                    w.f32(k);
                }
                FusionMethod::Convex {
                    depth,
                    vector_confident_at,
                } => {
                    w.u8(2);
                    w.f32(f.keyword_weight);
                    w.f32(f.vector_weight);
                    w.u32(depth);
                    w.f32(vector_confident_at.unwrap_or(f32::NAN));
                }
            }
        }
    }
}

fn read_config(r: &mut Reader<'_>) -> Result<ProjectConfig, SnapshotError> {
    let chunk = ChunkConfig {
        max_chunk_bytes: r.u64("config")? as usize,
        max_parse_bytes: r.u64("config")? as usize,
        fallback_window_lines: r.u64("config")? as usize,
    };
    let mut f = [0.0f32; 6];
    for x in &mut f {
        *x = r.f32("config")?;
    }
    let tokenizer = TokenizerConfig {
        stem: r.u8("config")? != 0,
        keep_whole: r.u8("config")? != 0,
    };
    let bm25 = Bm25Config {
        k1: f[0],
        b: f[1],
        boosts: FieldBoosts {
            name: f[2],
            qualified_name: f[3],
            path: f[4],
            body: f[5],
        },
        tokenizer,
    };
    let fusion = match r.u8("config")? {
        0 => None,
        1 => Some(FusionConfig::rrf(
            r.f32("config")?,
            r.f32("config")?,
            r.f32("config")?,
        )),
        2 => {
            let keyword_weight = r.f32("config")?;
            let vector_weight = r.f32("config")?;
            let depth = r.u32("config")?;
            let level = r.f32("config")?;
            Some(FusionConfig::convex(
                keyword_weight,
                vector_weight,
                depth,
                (!level.is_nan()).then_some(level),
            ))
        }
        tag => {
            return Err(SnapshotError::Invalid(format!(
                "unknown fusion method {tag}"
            )));
        }
    };
    Ok(ProjectConfig {
        chunk,
        bm25,
        fusion,
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

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }
    fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    fn u128(&mut self, x: u128) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    fn f32(&mut self, x: f32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn u32s(&mut self, xs: &[u32]) {
        self.u32(xs.len() as u32);
        xs.iter().for_each(|&x| self.u32(x));
    }
    fn u16s(&mut self, xs: &[u16]) {
        self.u32(xs.len() as u32);
        xs.iter()
            .for_each(|&x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }
    fn remaining(&self) -> usize {
        self.bytes.len()
    }
    fn rest(self) -> &'a [u8] {
        self.bytes
    }
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SnapshotError> {
        if n > self.bytes.len() {
            return Err(SnapshotError::Truncated(what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], SnapshotError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn u128(&mut self, what: &'static str) -> Result<u128, SnapshotError> {
        Ok(u128::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &'static str) -> Result<f32, SnapshotError> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A count of items each at least `min_size` bytes long, checked against what is left so a
    /// corrupted count cannot trigger a huge allocation.
    fn count(&mut self, what: &'static str, min_size: usize) -> Result<usize, SnapshotError> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_size) > self.bytes.len() {
            return Err(SnapshotError::Truncated(what));
        }
        Ok(n)
    }
    fn str(&mut self, what: &'static str) -> Result<String, SnapshotError> {
        let n = self.count(what, 1)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| SnapshotError::Invalid(format!("{what} is not UTF-8")))
    }
    fn opt_str(&mut self, what: &'static str) -> Result<Option<String>, SnapshotError> {
        match self.u8(what)? {
            0 => Ok(None),
            _ => self.str(what).map(Some),
        }
    }
    fn u32s(&mut self, what: &'static str) -> Result<Vec<u32>, SnapshotError> {
        let n = self.count(what, 4)?;
        let raw = self.take(n * 4, what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
    fn u16s(&mut self, what: &'static str) -> Result<Vec<u16>, SnapshotError> {
        let n = self.count(what, 2)?;
        let raw = self.take(n * 2, what)?;
        Ok(raw
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk_file;
    use crate::embed::hashed::HashedEmbedder;

    const PY: &str = "def parse_config(path):\n    \"\"\"Read a config file.\"\"\"\n    return open(path).read()\n\n\nclass Cache:\n    def get(self, key):\n        return self.data[key]\n";

    fn project_and_listing() -> (Project, Listing) {
        let mut project = Project::default();
        let embedder = HashedEmbedder::default();
        project
            .index_file("src/config.py", PY.as_bytes(), Some(&embedder))
            .unwrap();
        let file = chunk_file("src/config.py", PY.as_bytes(), &ChunkConfig::default());
        // Offsets in an arbitrary host unit: the snapshot must carry them back unchanged.
        let offsets = (0..file.chunks.len())
            .map(|i| (i * 10, i * 10 + 7))
            .collect();
        let mut listing = Listing::new();
        listing.insert("src/config.py".into(), ListedFile { file, offsets });
        (project, listing)
    }

    #[test]
    fn listing_round_trips_with_its_unit() {
        let (project, listing) = project_and_listing();
        assert!(listing["src/config.py"].file.chunks.len() >= 2);
        let bytes = write_with_listing(&project, &listing, "utf16");
        let (restored, restored_listing, unit) = read_with_listing(&bytes).unwrap();
        assert_eq!(unit, "utf16");
        assert_eq!(restored_listing, listing);
        assert_eq!(restored.chunks(), project.chunks());
        // The plain reader still reads the index part.
        assert_eq!(read(&bytes).unwrap().files(), 1);
    }

    #[test]
    fn fusion_settings_round_trip_for_every_method() {
        use crate::project::ProjectConfig;
        for fusion in [
            None,
            Some(FusionConfig::rrf(3.0, 1.0, 5.0)),
            Some(FusionConfig::convex(0.3, 0.7, 20, Some(0.7))),
            Some(FusionConfig::convex(0.7, 0.3, 50, None)),
        ] {
            let project = Project::new(ProjectConfig {
                fusion,
                ..ProjectConfig::default()
            });
            let restored = read(&write(&project)).unwrap();
            assert_eq!(restored.config.fusion, fusion);
        }
    }

    #[test]
    fn version_one_is_rejected_with_advice() {
        let (project, _) = project_and_listing();
        let mut bytes = write(&project);
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        let error = read(&bytes).unwrap_err();
        assert_eq!(error, SnapshotError::Version { found: 1 });
        assert!(error.to_string().contains("re-index"), "{error}");
    }

    #[test]
    fn listing_of_an_unindexed_file_is_rejected() {
        let (project, mut listing) = project_and_listing();
        let listed = listing["src/config.py"].clone();
        listing.insert("src/other.py".into(), listed);
        let bytes = write_with_listing(&project, &listing, "utf8");
        assert!(matches!(
            read_with_listing(&bytes),
            Err(SnapshotError::Invalid(m)) if m.contains("does not hold")
        ));
    }

    #[test]
    fn every_truncation_of_a_listing_is_an_error() {
        let (project, listing) = project_and_listing();
        let bytes = write_with_listing(&project, &listing, "utf16");
        for cut in (0..bytes.len()).step_by(7) {
            assert!(read_with_listing(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
