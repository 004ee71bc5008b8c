//! The project index on disk (or in IndexedDB/OPFS): a versioned binary snapshot.
//!
//! Layout: magic `PFSNAP\r\n`, format version (u32), payload length (u64), payload, CRC-32 of
//! the payload (u32); all little-endian. The payload is the configuration, every file as the
//! project owns it (chunks with their text, diagnostics, position map and slots, `files.rs`), the
//! BM25 postings and the vectors. Version 3 stores the files this way; older snapshots kept a
//! separate host listing beside the index and are rejected, which asks the host to re-index once.
//! The payload is a hand-rolled sequence of length-prefixed fields rather than serde output
//! because engine types are not serde types (see STYLE.md), and because the bulk (postings,
//! vectors) is flat arrays that are cheapest to write as raw words. Restoring validates
//! everything: a truncated, corrupted or foreign snapshot is an error with a clear message, never
//! a panic, and never a huge allocation driven by a corrupted length.

mod codec;
mod config;
mod files;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod hostile;

use std::collections::BTreeMap;

use self::codec::{Reader, Writer};
use crate::project::{ChunkMeta, Project, content_hash};
use crate::search::bm25::{Bm25Index, Bm25Parts};
use crate::search::vector::{ExactIndex, MAX_DIMS, check_finite};

pub const MAGIC: &[u8; 8] = b"PFSNAP\r\n";
pub const VERSION: u32 = 3;

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

/// Serialises a project index.
pub fn write(project: &Project) -> Vec<u8> {
    let vectors = project
        .vectors
        .as_ref()
        .map(|(id, index)| (id.as_str(), index.parts()));
    let mut w = Writer::default();
    write_payload(&mut w, project, &project.bm25.parts(), vectors);
    seal(&w.buf)
}

/// The stored vectors: embedder id, then dimensions, flat data and liveness.
type VectorParts<'a> = (&'a str, (usize, &'a [f32], &'a [bool]));

/// The payload of [`write`], from the project's configuration and files and the given keyword
/// and vector parts (separate so tests can store parts that no project would hold).
fn write_payload(
    w: &mut Writer,
    project: &Project,
    parts: &Bm25Parts<'_>,
    vectors: Option<VectorParts<'_>>,
) {
    config::write_config(w, &project.config);
    w.u32(project.chunks.len() as u32);
    w.u32(project.files.len() as u32);
    for (path, entry) in &project.files {
        files::write_file(w, path, entry);
    }
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
    match vectors {
        None => w.u8(0),
        Some((id, (dims, data, live))) => {
            w.u8(1);
            w.str(id);
            w.u32(dims as u32);
            w.u32(live.len() as u32);
            w.buf.extend(live.iter().map(|&l| u8::from(l)));
            w.buf.reserve(data.len() * 4);
            for x in data {
                w.f32(*x);
            }
        }
    }
}

/// Frames a payload: magic, version, length, the payload, its CRC-32.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
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
    let config = config::read_config(r)?;
    // Every slot has a document-length entry (at least one byte) further on, so a count past the
    // bytes left is corruption, refused before the slot table below is sized by it.
    let slot_count = r.count("slot count", 1)?;
    let mut files = BTreeMap::new();
    // Each file's chunks rebuild their slots' search records; a slot claimed twice or out of
    // range is corruption.
    let mut chunks: Vec<Option<ChunkMeta>> = Vec::new();
    for _ in 0..r.count("files", 4 + 16 + 4)? {
        let (path, entry) = files::read_file(r)?;
        for (chunk, &slot) in entry.indexed.chunked.chunks.iter().zip(&entry.slots) {
            let slot = slot as usize;
            if slot >= slot_count {
                return Err(SnapshotError::Invalid(format!(
                    "file {path:?} points at slot {slot} of {slot_count}"
                )));
            }
            if chunks.len() <= slot {
                chunks.resize(slot + 1, None);
            }
            if chunks[slot].is_some() {
                return Err(SnapshotError::Invalid(format!(
                    "slot {slot} is claimed twice"
                )));
            }
            chunks[slot] = Some(ChunkMeta::new(chunk, content_hash(chunk)));
        }
        if files.insert(path.clone(), entry).is_some() {
            return Err(SnapshotError::Invalid(format!("{path:?} is stored twice")));
        }
    }
    chunks.resize(slot_count, None);
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
    // The keyword index must hold exactly the chunks' slots: a document without a chunk would
    // be found by search and then dropped, and a chunk without one could never be found.
    if doc_len.len() > slot_count {
        return Err(SnapshotError::Invalid(format!(
            "{} document lengths for {slot_count} slots",
            doc_len.len()
        )));
    }
    if let Some(slot) = (0..slot_count)
        .find(|&s| chunks[s].is_some() != doc_len.get(s).is_some_and(Option::is_some))
    {
        return Err(SnapshotError::Invalid(format!(
            "slot {slot} is in the keyword index without a chunk, or the reverse"
        )));
    }
    let bm25 = Bm25Index::from_parts(config.bm25, terms, postings, doc_len)
        .map_err(SnapshotError::Invalid)?;
    let vectors = match r.u8("vectors flag")? {
        0 => None,
        _ => {
            let id = r.str("embedder id")?;
            let dims = r.u32("dimensions")? as usize;
            // The dimensions size per-query buffers even for an empty index.
            if !(1..=MAX_DIMS).contains(&dims) {
                return Err(SnapshotError::Invalid(format!(
                    "{dims} vector dimensions (at most {MAX_DIMS})"
                )));
            }
            let slots = r.count("vector slots", 1)?;
            let live: Vec<bool> = r.take(slots, "liveness")?.iter().map(|&b| b != 0).collect();
            let floats = dims
                .checked_mul(slots)
                .filter(|n| n.saturating_mul(4) <= r.remaining())
                .ok_or(SnapshotError::Truncated("vectors"))?;
            let raw = r.take(floats * 4, "vectors")?;
            let data: Vec<f32> = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            check_finite(&data).map_err(|e| SnapshotError::Invalid(format!("vectors: {e}")))?;
            if let Some(slot) =
                (0..slots).find(|&s| live[s] && chunks.get(s).is_none_or(Option::is_none))
            {
                return Err(SnapshotError::Invalid(format!(
                    "vector slot {slot} has no chunk"
                )));
            }
            let index = ExactIndex::from_parts(dims, data, live).map_err(SnapshotError::Invalid)?;
            Some((id, index))
        }
    };
    if r.remaining() != 0 {
        return Err(SnapshotError::Invalid(
            "unread bytes at the end of the payload".into(),
        ));
    }
    let live = chunks.iter().flatten().count();
    if live != bm25.len() {
        return Err(SnapshotError::Invalid(
            "chunk and keyword counts differ".into(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::hashed::HashedEmbedder;
    use crate::project::ProjectConfig;
    use crate::search::fuse::FusionConfig;

    const PY: &str = "def parse_config(path):\n    \"\"\"Read a config file.\"\"\"\n    return open(path).read()\n\n\nclass Cache:\n    def get(self, key):\n        return self.data[\"naïve 🐍\"]\n";

    fn project() -> Project {
        let mut project = Project::default();
        let embedder = HashedEmbedder::default();
        project
            .index_file("src/config.py", PY.as_bytes(), Some(&embedder))
            .unwrap();
        project
            .index_file("notes.txt", b"plain\ntext\n", Some(&embedder))
            .unwrap();
        project
    }

    #[test]
    fn files_round_trip_with_their_chunks_and_positions() {
        let project = project();
        let restored = read(&write(&project)).unwrap();
        assert_eq!(restored.files, project.files);
        assert_eq!(restored.chunks, project.chunks);
        assert_eq!(restored.stats(), project.stats());
        let file = restored.file("src/config.py").unwrap();
        assert!(file.chunked.chunks.len() >= 2);
        assert_eq!(file.lines.len_utf16(), PY.encode_utf16().count());
    }

    #[test]
    fn fusion_settings_round_trip_for_every_method() {
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
    fn older_versions_are_rejected_with_advice() {
        let mut bytes = write(&project());
        for old in [1u32, 2] {
            bytes[8..12].copy_from_slice(&old.to_le_bytes());
            let error = read(&bytes).unwrap_err();
            assert_eq!(error, SnapshotError::Version { found: old });
            assert!(error.to_string().contains("re-index"), "{error}");
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = write(&project());
        for cut in (0..bytes.len()).step_by(7) {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
