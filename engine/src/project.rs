//! The searchable project index: files by content hash → chunks → BM25 postings + vectors.
//!
//! Every chunk lives in a numbered slot shared by the keyword and vector indexes; slots of removed
//! chunks are reused. Re-indexing a file whose bytes hash the same is free; re-indexing an edited
//! file re-chunks only that file, and chunks whose embedding input is unchanged keep their vector
//! (cache by content hash), so only edited functions are embedded again. Long jobs report
//! progress and can be cancelled between files.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rustc_hash::{FxHashMap, FxHashSet};
use xxhash_rust::xxh3::xxh3_128;

use crate::chunk::{Chunk, ChunkConfig, ChunkKind, chunk_file};
use crate::embed::{EmbedError, Embedder};
use crate::language::Language;
use crate::search::bm25::{Bm25Config, Bm25Doc, Bm25Index, Scored};
use crate::search::fuse::{Explanation, FusionConfig, cap_per_group, fuse};
use crate::search::vector::{ExactIndex, VectorError};

/// Fusion for BM25 + the hashed embedder: the hashed vectors mostly re-rank what BM25 found.
/// Tuned with `pilotfish eval --tune` on CoSQA dev and the tuning halves of the docstring-query
/// sets (grid over RRF and convex settings, best worst-case margin over the five sets): RRF with
/// keyword 3, k 5 beats the best single retriever on every set (worst margin +0.002, CoSQA dev);
/// no convex setting does.
pub const HASHED_FUSION: FusionConfig = FusionConfig::rrf(3.0, 1.0, 5.0);

/// Fusion for learned dense embedders (MiniLM, remote models), which beat BM25 on natural-language
/// queries. Tuned with `pilotfish eval --tune` (as [`HASHED_FUSION`]): a convex combination, 0.3
/// BM25 + 0.7 vector over the top 20 of each list, dropping BM25 for queries whose top cosine is
/// at least 0.7 (MiniLM is then nearly always right, and BM25 only swaps near-ties). It is >= the
/// best single retriever on all five tuning sets (worst +0.0045, CoSQA dev), where no RRF setting
/// was (RRF 0.3/3: -0.001 on CoSQA, and -0.097 on the TypeScript report half). For a remote model
/// whose cosines run lower the confidence level rarely triggers and the plain 0.3/0.7 mix applies.
pub const DENSE_FUSION: FusionConfig = FusionConfig::convex(0.3, 0.7, 20, Some(0.7));

/// Fusion for the distilled static token table (ids `static:…`), which is below BM25 on every
/// set: BM25 leads (0.8) and the table's normalised scores (0.2, over the top 100) break its ties.
/// Tuned like [`HASHED_FUSION`] with identifier-split input: worst tuning margin +0.015 (Go), every
/// margin +0.015 to +0.035, against +0.0015 for the best RRF (3/1) before the split.
pub const STATIC_FUSION: FusionConfig = FusionConfig::convex(0.8, 0.2, 100, None);

/// The fusion preset for an embedder, from the kind its id names: `hashed…`, `static:…`, or a
/// learned dense model (anything else, e.g. `minilm:…` or a remote model).
pub fn fusion_for(embedder_id: &str) -> FusionConfig {
    if embedder_id.starts_with("hashed") {
        HASHED_FUSION
    } else if embedder_id.starts_with("static:") {
        STATIC_FUSION
    } else {
        DENSE_FUSION
    }
}

/// Project index settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectConfig {
    pub chunk: ChunkConfig,
    pub bm25: Bm25Config,
    /// `None` picks the preset for the embedder's kind ([`fusion_for`]).
    pub fusion: Option<FusionConfig>,
}

/// What is kept of a chunk for results (the text itself is not kept: the host has the file).
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
    pub slots: Vec<u32>,
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
}

/// Which retrievers a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    #[default]
    Hybrid,
    Keyword,
    Vector,
}

/// Search settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOptions {
    pub mode: SearchMode,
    pub limit: usize,
    /// At most this many hits per file, so one big file cannot fill the prompt.
    pub max_per_file: usize,
    /// Only these languages (empty: all).
    pub languages: Vec<Language>,
    /// Only paths matching one of these globs (empty: all).
    pub path_globs: Vec<String>,
    /// Overrides the project's fusion settings.
    pub fusion: Option<FusionConfig>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            mode: SearchMode::Hybrid,
            limit: 10,
            max_per_file: 2,
            languages: Vec::new(),
            path_globs: Vec::new(),
            fusion: None,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit<'a> {
    pub chunk: &'a ChunkMeta,
    pub score: f32,
    pub explanation: Explanation,
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

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The chunk in a slot.
    pub fn chunk(&self, slot: u32) -> Option<&ChunkMeta> {
        self.chunks.get(slot as usize)?.as_ref()
    }

    /// (Re)indexes one file. Unchanged bytes cost one hash; otherwise only chunks whose embedding
    /// input changed are embedded.
    pub fn index_file(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
    ) -> Result<FileReport, ProjectError> {
        let hash = xxh3_128(bytes);
        if let Some(entry) = self.files.get(path)
            && entry.hash == hash
            && embedder.is_none_or(|e| Some(e.id()) == self.embedder_id())
        {
            return Ok(FileReport {
                unchanged: true,
                chunks: entry.slots.len(),
                embedded: 0,
            });
        }
        if let (Some(e), Some((id, _))) = (embedder, &self.vectors)
            && e.id() != id
        {
            return Err(ProjectError::EmbedderMismatch {
                indexed: id.clone(),
                query: e.id().to_string(),
            });
        }
        let chunked = chunk_file(path, bytes, &self.config.chunk);
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
            self.chunks[slot as usize] = Some(ChunkMeta {
                path: chunk.path.clone(),
                language: chunk.language,
                kind: chunk.kind,
                name: chunk.name.clone(),
                qualified_name: chunk.qualified_name.clone(),
                start_line: chunk.start_line,
                end_line: chunk.end_line,
                content_hash,
            });
        }
        let chunks = slots.len();
        self.files
            .insert(path.to_string(), FileEntry { hash, slots });
        Ok(FileReport {
            unchanged: false,
            chunks,
            embedded,
        })
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

    /// The fusion settings in force for this index.
    pub fn fusion(&self) -> FusionConfig {
        self.config
            .fusion
            .unwrap_or_else(|| self.embedder_id().map_or(HASHED_FUSION, fusion_for))
    }

    /// Searches with a query embedded by `embedder` (which must be the index's embedder).
    pub fn search(
        &self,
        query: &str,
        embedder: Option<&dyn Embedder>,
        options: &SearchOptions,
    ) -> Result<Vec<SearchHit<'_>>, ProjectError> {
        let vector = match (embedder, options.mode) {
            (_, SearchMode::Keyword) | (None, _) => None,
            (Some(e), _) => {
                if let Some(indexed) = self.embedder_id()
                    && indexed != e.id()
                {
                    return Err(ProjectError::EmbedderMismatch {
                        indexed: indexed.to_string(),
                        query: e.id().to_string(),
                    });
                }
                e.embed(&[query])?.pop()
            }
        };
        self.search_with_vector(query, vector.as_deref(), options)
    }

    /// Searches with a query vector the host computed (remote embeddings, a worker).
    pub fn search_with_vector(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Vec<SearchHit<'_>>, ProjectError> {
        let globs = build_globs(&options.path_globs)?;
        let accept = |slot: u32| {
            self.chunk(slot).is_some_and(|c| {
                (options.languages.is_empty()
                    || c.language.is_some_and(|l| options.languages.contains(&l)))
                    && globs.as_ref().is_none_or(|g| g.is_match(&c.path))
            })
        };
        // Fusion and the per-file cap need more candidates than the final limit.
        let depth = (options.limit * 10).max(100);
        let keyword = if options.mode == SearchMode::Vector {
            Vec::new()
        } else {
            self.bm25.search(query, depth, accept)
        };
        let semantic: Vec<Scored> = match (options.mode, vector, &self.vectors) {
            (SearchMode::Keyword, _, _) => Vec::new(),
            (_, Some(v), Some((_, index))) => self.vector_search(index, v, depth, accept)?,
            (SearchMode::Vector, _, _) => return Err(ProjectError::NoVectors),
            _ => Vec::new(),
        };
        let fusion = options.fusion.unwrap_or_else(|| self.fusion());
        let fused = fuse(&keyword, &semantic, &fusion);
        let capped = cap_per_group(
            fused,
            |slot| self.chunk(slot).map(|c| c.path.as_str()),
            options.max_per_file.max(1),
            options.limit,
        );
        Ok(capped
            .into_iter()
            .filter_map(|hit| {
                let chunk = self.chunk(hit.doc)?;
                let score = match options.mode {
                    SearchMode::Keyword => hit.explanation.keyword.map_or(0.0, |r| r.score),
                    SearchMode::Vector => hit.explanation.vector.map_or(0.0, |r| r.score),
                    SearchMode::Hybrid => hit.explanation.fused,
                };
                Some(SearchHit {
                    chunk,
                    score,
                    explanation: hit.explanation,
                })
            })
            .collect())
    }
}

/// Fewest int8 candidates re-scored in f32 by the exact scan.
const RERANK_FLOOR: usize = 200;

impl Project {
    /// Vector candidates: the HNSW graph plus its exact delta when one is built, else the scan.
    fn vector_search(
        &self,
        index: &ExactIndex,
        query: &[f32],
        depth: usize,
        accept: impl Fn(u32) -> bool,
    ) -> Result<Vec<Scored>, ProjectError> {
        #[cfg(feature = "hnsw")]
        if let Some(ann) = &self.ann
            && query.len() == index.dims()
        {
            return Ok(ann.search(index, query, depth, accept));
        }
        // The int8 first pass reads a quarter of the bytes of an f32 scan; the f32 re-rank of
        // its best candidates makes the returned scores exact (recall@10 1.000 against the f32
        // scan on CoSQA's MiniLM vectors, `cargo xtask bench vector`).
        Ok(index.search_quantized(query, depth, (depth * 4).max(RERANK_FLOOR), accept)?)
    }

    /// Builds (or rebuilds) the HNSW graph when the index holds at least `config.crossover`
    /// vectors, and drops it below; returns whether a graph is in use. Hosts call this off the
    /// critical path (a worker, idle time) and again when [`Project::ann_needs_rebuild`] says so.
    #[cfg(feature = "hnsw")]
    pub fn build_ann(&mut self, config: crate::search::hnsw::HnswConfig) -> bool {
        self.ann = match &self.vectors {
            Some((_, index)) if index.len() >= config.crossover.max(1) => {
                Some(crate::search::hnsw::HnswIndex::build(index, config))
            }
            _ => None,
        };
        self.ann.is_some()
    }

    /// Keeps the graph current without needless work: builds it once the index reaches the
    /// crossover, rebuilds it when its delta passed the threshold, drops it below the crossover,
    /// and otherwise does nothing. Returns whether vector search uses a graph afterwards.
    #[cfg(feature = "hnsw")]
    pub fn maintain_ann(&mut self, config: crate::search::hnsw::HnswConfig) -> bool {
        let size = self.vectors.as_ref().map_or(0, |(_, index)| index.len());
        if size < config.crossover.max(1) {
            self.ann = None;
            return false;
        }
        if self.ann.is_none() || self.ann_needs_rebuild() {
            return self.build_ann(config);
        }
        true
    }

    /// Whether the graph's delta grew past its rebuild threshold.
    #[cfg(feature = "hnsw")]
    pub fn ann_needs_rebuild(&self) -> bool {
        self.ann.as_ref().is_some_and(|a| a.needs_rebuild())
    }
}

fn build_globs(globs: &[String]) -> Result<Option<GlobSet>, ProjectError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob).map_err(|e| ProjectError::Glob {
            glob: glob.clone(),
            message: e.to_string(),
        })?);
    }
    builder.build().map(Some).map_err(|e| ProjectError::Glob {
        glob: globs.join(","),
        message: e.to_string(),
    })
}
