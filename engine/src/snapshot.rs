//! The project index on disk (or in IndexedDB/OPFS): a versioned binary snapshot.
//!
//! Layout: magic `PFSNAP\r\n`, format version (u32), payload length (u64), payload, CRC-32 of
//! the payload (u32); all little-endian. The payload is a hand-rolled sequence of length-prefixed
//! fields rather than serde output because engine types are not serde types (see STYLE.md), and
//! because the bulk (postings, vectors) is flat arrays that are cheapest to write as raw words.
//! Restoring validates everything: a truncated, corrupted or foreign snapshot is an error with a
//! clear message, never a panic, and never a huge allocation driven by a corrupted length.

use std::collections::BTreeMap;

use crate::chunk::{ChunkConfig, ChunkKind};
use crate::language::Language;
use crate::project::{ChunkMeta, FileEntry, Project, ProjectConfig};
use crate::search::bm25::{Bm25Config, Bm25Index, FieldBoosts};
use crate::search::fuse::FusionConfig;
use crate::search::tokenize::TokenizerConfig;
use crate::search::vector::ExactIndex;

pub const MAGIC: &[u8; 8] = b"PFSNAP\r\n";
pub const VERSION: u32 = 1;

/// Why a snapshot was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a Pilotfish index snapshot (bad magic)")]
    Magic,
    #[error("snapshot format version {found} is not supported (this build reads {VERSION})")]
    Version { found: u32 },
    #[error("snapshot is truncated: {0}")]
    Truncated(&'static str),
    #[error("snapshot checksum mismatch (stored {stored:08x}, computed {computed:08x}): corrupted")]
    Checksum { stored: u32, computed: u32 },
    #[error("snapshot is inconsistent: {0}")]
    Invalid(String),
}

/// Serialises a project index.
pub fn write(project: &Project) -> Vec<u8> {
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
    let payload = w.buf;
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out
}

/// Restores a project index written by [`write`].
pub fn read(bytes: &[u8]) -> Result<Project, SnapshotError> {
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

fn read_payload(r: &mut Reader<'_>) -> Result<Project, SnapshotError> {
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
    if r.remaining() != 0 {
        return Err(SnapshotError::Invalid(
            "unread bytes at the end of the payload".into(),
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
    Ok(Project {
        config,
        files,
        chunks,
        free,
        bm25,
        vectors,
        #[cfg(feature = "hnsw")]
        ann: None,
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
            w.u8(1);
            w.f32(f.keyword_weight);
            w.f32(f.vector_weight);
            w.f32(f.k);
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
        _ => Some(FusionConfig {
            keyword_weight: r.f32("config")?,
            vector_weight: r.f32("config")?,
            k: r.f32("config")?,
        }),
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
