//! The searchable project index: files by content hash → chunks → BM25 postings + vectors.
//!
//! Every chunk lives in a numbered slot shared by the keyword and vector indexes; slots of removed
//! chunks are reused. Re-indexing a file whose bytes hash the same is free; re-indexing an edited
//! file re-chunks only that file, and chunks whose embedding input is unchanged keep their vector
//! (cache by content hash), so only edited functions are embedded again. Long jobs report
//! progress and can be cancelled between files.
//!
//! The project is the one owner of what indexing produced: each file's chunks (cut once, with the
//! host's [`ChunkConfig`]), its diagnostics and its [`LineIndex`], so a host converts positions
//! from here and never keeps a second listing that could disagree with what search returns.

mod search;

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use syntax::{
    Chunk, ChunkConfig, ChunkKind, ChunkedFile, Language, LineIndex, Tree, chunk_file,
    chunk_file_with_tree,
};
use xxhash_rust::xxh3::xxh3_128;

pub use self::search::{SearchHit, SearchMode, SearchOptions};
use crate::embed::{EmbedError, Embedder};
use crate::search::bm25::{Bm25Config, Bm25Doc, Bm25Index};
use crate::search::fuse::FusionConfig;
use crate::search::vector::{ExactIndex, VectorError};

/// Project index settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectConfig {
    pub chunk: ChunkConfig,
    pub bm25: Bm25Config,
    /// `None` picks the preset for the embedder's kind ([`crate::search::presets::fusion_for`]).
    pub fusion: Option<FusionConfig>,
}

/// A slot's search record: what filters and hits need without reaching into the file's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMeta {
    pub path: String,
    pub language: Option<Language>,
    pub kind: ChunkKind,
    pub name: Option<String>,
    pub qualified_name: Option<String>,
    pub start_line: usize,
    pub end_line: usize,
    /// xxh3-128 of the embedding input; the embedding cache key.
    pub content_hash: u128,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub hash: u128,
    /// The slot of each of `indexed.chunked.chunks`, in the same order.
    pub slots: Vec<u32>,
    pub indexed: IndexedFile,
}

/// One indexed file as the chunker left it, plus the map that converts its byte offsets into the
/// host's units without keeping its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedFile {
    pub chunked: ChunkedFile,
    pub lines: LineIndex,
}

/// Counts a host can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexStats {
    pub files: usize,
    pub chunks: usize,
    /// UTF-8 bytes covered by chunks.
    pub bytes: usize,
    pub diagnostics: usize,
}

/// Errors of the project index.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Vector(#[from] VectorError),
    #[error("the index was embedded with {indexed:?}, the query with {query:?}")]
    EmbedderMismatch { indexed: String, query: String },
    #[error("invalid path glob {glob:?}: {message}")]
    Glob { glob: String, message: String },
    #[error("embedder returned {got} vectors for {expected} texts")]
    VectorCount { expected: usize, got: usize },
    #[error("vector search needs an index built with an embedder")]
    NoVectors,
    /// Fusion settings (a preset with a host's overrides) that would make every score NaN or
    /// infinite.
    #[error("invalid fusion settings: {0}")]
    Fusion(String),
}

/// What indexing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileReport {
    /// The file's bytes were unchanged: nothing was done.
    pub unchanged: bool,
    pub chunks: usize,
    /// Chunks that had to be embedded (cache misses).
    pub embedded: usize,
}

/// Whether a long job should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Totals of a bulk job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkReport {
    pub files: usize,
    pub unchanged: usize,
    pub chunks: usize,
    pub embedded: usize,
    pub cancelled: bool,
}

/// The project index.
#[derive(Debug)]
pub struct Project {
    pub(crate) config: ProjectConfig,
    pub(crate) files: BTreeMap<String, FileEntry>,
    pub(crate) chunks: Vec<Option<ChunkMeta>>,
    pub(crate) free: Vec<u32>,
    pub(crate) bm25: Bm25Index,
    /// The embedder id and vectors, once a file was indexed with an embedder.
    pub(crate) vectors: Option<(String, ExactIndex)>,
    /// The approximate graph, when the host built one (derived data: not in snapshots).
    #[cfg(feature = "hnsw")]
    pub(crate) ann: Option<crate::search::hnsw::HnswIndex>,
}

impl Default for Project {
    fn default() -> Self {
        Project::new(ProjectConfig::default())
    }
}

impl ChunkMeta {
    /// The search record of a chunk whose embedding input hashes to `content_hash`.
    pub fn new(chunk: &Chunk, content_hash: u128) -> Self {
        ChunkMeta {
            path: chunk.path.clone(),
            language: chunk.language,
            kind: chunk.kind,
            name: chunk.name.clone(),
            qualified_name: chunk.qualified_name.clone(),
            start_line: chunk.start_line,
            end_line: chunk.end_line,
            content_hash,
        }
    }
}

/// The embedding cache key of a chunk: xxh3-128 of its [`embedding_input`].
pub fn content_hash(chunk: &Chunk) -> u128 {
    xxh3_128(embedding_input(chunk).as_bytes())
}

/// The text an embedder sees for a chunk: its qualified name and path give context the body
/// alone may lack.
pub fn embedding_input(chunk: &Chunk) -> String {
    let name = chunk.qualified_name.as_deref().unwrap_or("");
    format!("{} {}\n{}", chunk.path, name, chunk.text)
}

impl Project {
    pub fn new(config: ProjectConfig) -> Self {
        let bm25 = Bm25Index::new(config.bm25);
        Project {
            config,
            files: BTreeMap::new(),
            chunks: Vec::new(),
            free: Vec::new(),
            bm25,
            vectors: None,
            #[cfg(feature = "hnsw")]
            ann: None,
        }
    }

    pub fn config(&self) -> &ProjectConfig {
        &self.config
    }

    pub fn files(&self) -> usize {
        self.files.len()
    }

    pub fn chunks(&self) -> usize {
        self.bm25.len()
    }

    pub fn embedder_id(&self) -> Option<&str> {
        self.vectors.as_ref().map(|(id, _)| id.as_str())
    }

    /// The length of the index's vectors, once a file was indexed with an embedder.
    pub fn vector_dims(&self) -> Option<usize> {
        self.vectors.as_ref().map(|(_, index)| index.dims())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The chunk in a slot.
    pub fn chunk(&self, slot: u32) -> Option<&ChunkMeta> {
        self.chunks.get(slot as usize)?.as_ref()
    }

    /// An indexed file's chunks, diagnostics and position map.
    pub fn file(&self, path: &str) -> Option<&IndexedFile> {
        self.files.get(path).map(|entry| &entry.indexed)
    }

    /// Files, chunks, bytes covered by chunks, and diagnostics over the whole project.
    pub fn stats(&self) -> IndexStats {
        let mut stats = IndexStats {
            files: self.files.len(),
            ..IndexStats::default()
        };
        for entry in self.files.values() {
            let file = &entry.indexed.chunked;
            stats.chunks += file.chunks.len();
            stats.bytes += file
                .chunks
                .iter()
                .map(|c| c.end_byte - c.start_byte)
                .sum::<usize>();
            stats.diagnostics += file.diagnostics.len();
        }
        stats
    }

    /// (Re)indexes one file. Unchanged bytes cost one hash; otherwise only chunks whose embedding
    /// input changed are embedded.
    pub fn index_file(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
    ) -> Result<FileReport, ProjectError> {
        self.index_file_parsed_with(path, bytes, embedder, None)
            .map(|(report, _)| report)
    }

    /// [`Project::index_file`], handing back the syntax tree the chunks were cut from (see
    /// [`syntax::chunk_file_with_tree`]) so a caller that needs it as well parses the file once;
    /// no tree when the bytes were unchanged or the file was not parsed. With `parse`, the
    /// chunks are cut from the tree it gives (see [`syntax::chunk_file_parsed_with`]): a file
    /// open in an editor is re-parsed incrementally.
    pub fn index_file_parsed_with(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
        parse: Option<syntax::ParseWith<'_>>,
    ) -> Result<(FileReport, Option<Tree>), ProjectError> {
        let hash = xxh3_128(bytes);
        if let Some(entry) = self.files.get(path)
            && entry.hash == hash
            && embedder.is_none_or(|e| Some(e.id()) == self.embedder_id())
        {
            let report = FileReport {
                unchanged: true,
                chunks: entry.slots.len(),
                embedded: 0,
            };
            return Ok((report, None));
        }
        if let (Some(e), Some((id, _))) = (embedder, &self.vectors)
            && e.id() != id
        {
            return Err(ProjectError::EmbedderMismatch {
                indexed: id.clone(),
                query: e.id().to_string(),
            });
        }
        let (chunked, tree) = match parse {
            Some(parse) => syntax::chunk_file_parsed_with(path, bytes, &self.config.chunk, parse),
            None => chunk_file_with_tree(path, bytes, &self.config.chunk),
        };
        let inputs: Vec<String> = chunked.chunks.iter().map(embedding_input).collect();
        let hashes: Vec<u128> = inputs.iter().map(|t| xxh3_128(t.as_bytes())).collect();

        // A chunk whose text, path, names and vector source are unchanged keeps its slot: its
        // keyword postings and vector stay as they are and only its position is updated. An edit
        // then costs the parse plus the chunks it really changed, not a re-insert of the file.
        let mut reusable = self.reusable_slots(path, embedder.is_some());
        let mut slots = Vec::with_capacity(chunked.chunks.len());
        let mut fresh = Vec::new();
        for (i, (chunk, &content_hash)) in chunked.chunks.iter().zip(&hashes).enumerate() {
            let kept = reusable.get_mut(&content_hash).and_then(|candidates| {
                let at = candidates.iter().position(|&slot| {
                    self.chunks[slot as usize].as_ref().map(|m| &m.name) == Some(&chunk.name)
                })?;
                Some(candidates.swap_remove(at))
            });
            let slot = match kept {
                Some(slot) => slot,
                None => {
                    fresh.push(i);
                    u32::MAX
                }
            };
            slots.push(slot);
        }

        // Vectors for the chunks that need a slot are computed before anything changes, so an
        // embedding error leaves the index as it was. A kept chunk needs none: its vector stays.
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; inputs.len()];
        let mut embedded = 0;
        if let Some(embedder) = embedder {
            let cached = self.cached_slots(path);
            let mut missing = Vec::new();
            for &i in &fresh {
                let vector = cached.get(&hashes[i]).and_then(|&slot| {
                    let (_, index) = self.vectors.as_ref()?;
                    index.get(slot)
                });
                match vector {
                    Some(v) => vectors[i] = Some(v.to_vec()),
                    None => missing.push(i),
                }
            }
            if !missing.is_empty() {
                let texts: Vec<&str> = missing.iter().map(|&i| inputs[i].as_str()).collect();
                let new_vectors = embedder.embed(&texts)?;
                if new_vectors.len() != texts.len() {
                    return Err(ProjectError::VectorCount {
                        expected: texts.len(),
                        got: new_vectors.len(),
                    });
                }
                embedded = new_vectors.len();
                for (i, v) in missing.into_iter().zip(new_vectors) {
                    vectors[i] = Some(v);
                }
            }
            if self.vectors.is_none() {
                self.vectors = Some((
                    embedder.id().to_string(),
                    ExactIndex::new(embedder.dimensions()),
                ));
            }
            if let Some((_, index)) = &self.vectors
                && let Some(bad) = vectors.iter().flatten().find(|v| v.len() != index.dims())
            {
                return Err(VectorError::Dimensions {
                    expected: index.dims(),
                    got: bad.len(),
                }
                .into());
            }
        }

        if let Some(entry) = self.files.remove(path) {
            let kept: FxHashSet<u32> = slots.iter().copied().collect();
            for slot in entry.slots.into_iter().filter(|s| !kept.contains(s)) {
                self.release(slot);
            }
        }
        for i in fresh {
            let chunk = &chunked.chunks[i];
            let slot = self.allocate();
            slots[i] = slot;
            let name = chunk.name.as_deref().unwrap_or("");
            self.bm25.insert(
                slot,
                &Bm25Doc {
                    name,
                    qualified_name: chunk.qualified_name.as_deref().unwrap_or(""),
                    path: &chunk.path,
                    body: &chunk.text,
                },
            );
            if let (Some(v), Some((_, index))) = (vectors[i].take(), &mut self.vectors) {
                index.insert(slot, &v)?;
                #[cfg(feature = "hnsw")]
                if let Some(ann) = &mut self.ann {
                    ann.upsert(slot);
                }
            }
        }
        for ((chunk, content_hash), &slot) in chunked.chunks.iter().zip(hashes).zip(&slots) {
            self.chunks[slot as usize] = Some(ChunkMeta::new(chunk, content_hash));
        }
        let chunks = slots.len();
        // The positions are mapped over the same lossy decoding the chunker cut from.
        let lines = LineIndex::new(&String::from_utf8_lossy(bytes));
        let indexed = IndexedFile { chunked, lines };
        self.files.insert(
            path.to_string(),
            FileEntry {
                hash,
                slots,
                indexed,
            },
        );
        let report = FileReport {
            unchanged: false,
            chunks,
            embedded,
        };
        Ok((report, tree))
    }

    /// Indexes many files, reporting `progress(done, total)` after each and stopping early when
    /// it returns [`Control::Stop`]; what was indexed before stopping stays indexed.
    pub fn index_files<'a>(
        &mut self,
        files: &[(&'a str, &'a [u8])],
        embedder: Option<&dyn Embedder>,
        mut progress: impl FnMut(usize, usize) -> Control,
    ) -> Result<BulkReport, ProjectError> {
        let mut report = BulkReport::default();
        for (done, (path, bytes)) in files.iter().enumerate() {
            let file = self.index_file(path, bytes, embedder)?;
            report.files += 1;
            report.unchanged += usize::from(file.unchanged);
            report.chunks += file.chunks;
            report.embedded += file.embedded;
            if progress(done + 1, files.len()) == Control::Stop {
                report.cancelled = done + 1 < files.len();
                break;
            }
        }
        Ok(report)
    }

    /// The embedding inputs that `index_file(path, bytes, embedder)` would hand to an embedder
    /// with id `embedder_id`: none when the file is unchanged, else the chunks that miss the
    /// embedding cache. Hosts with a slow or remote embedder call this for many files first,
    /// embed all the inputs in large batches, then index each file with those vectors.
    pub fn pending_embeddings(&self, path: &str, bytes: &[u8], embedder_id: &str) -> Vec<String> {
        let same_embedder = self.embedder_id().is_none_or(|id| id == embedder_id);
        if same_embedder
            && self
                .files
                .get(path)
                .is_some_and(|entry| entry.hash == xxh3_128(bytes))
        {
            return Vec::new();
        }
        let cached = if same_embedder {
            self.cached_slots(path)
        } else {
            FxHashMap::default()
        };
        chunk_file(path, bytes, &self.config.chunk)
            .chunks
            .iter()
            .map(embedding_input)
            .filter(|input| !cached.contains_key(&xxh3_128(input.as_bytes())))
            .collect()
    }

    /// Forgets a file; returns whether it was indexed.
    pub fn remove_file(&mut self, path: &str) -> bool {
        let Some(entry) = self.files.remove(path) else {
            return false;
        };
        for slot in entry.slots {
            self.release(slot);
        }
        true
    }

    /// Takes a chunk out of every index and frees its slot.
    fn release(&mut self, slot: u32) {
        self.bm25.remove(slot);
        if let Some((_, index)) = &mut self.vectors {
            index.remove(slot);
        }
        #[cfg(feature = "hnsw")]
        if let Some(ann) = &mut self.ann {
            ann.remove(slot);
        }
        self.chunks[slot as usize] = None;
        self.free.push(slot);
    }

    /// The file's current slots by content hash that a re-index may keep as they are: with an
    /// embedder, those that have a vector; without one, those that have none (so a re-index
    /// without an embedder drops the file's vectors, as a fresh insert would).
    fn reusable_slots(&self, path: &str, embedding: bool) -> FxHashMap<u128, Vec<u32>> {
        let mut out: FxHashMap<u128, Vec<u32>> = FxHashMap::default();
        let Some(entry) = self.files.get(path) else {
            return out;
        };
        for &slot in &entry.slots {
            let has_vector = self
                .vectors
                .as_ref()
                .is_some_and(|(_, index)| index.get(slot).is_some());
            if let Some(meta) = self.chunk(slot)
                && has_vector == embedding
            {
                out.entry(meta.content_hash).or_default().push(slot);
            }
        }
        out
    }

    /// The file's current chunks that have a vector, by content hash: the embedding cache for a
    /// re-index (slots, so only the vectors actually reused are copied).
    fn cached_slots(&self, path: &str) -> FxHashMap<u128, u32> {
        let mut cache = FxHashMap::default();
        if let (Some(entry), Some((_, index))) = (self.files.get(path), &self.vectors) {
            for &slot in &entry.slots {
                if let (Some(meta), Some(_)) = (self.chunk(slot), index.get(slot)) {
                    cache.insert(meta.content_hash, slot);
                }
            }
        }
        cache
    }

    fn allocate(&mut self) -> u32 {
        if let Some(slot) = self.free.pop() {
            return slot;
        }
        self.chunks.push(None);
        (self.chunks.len() - 1) as u32
    }
}
