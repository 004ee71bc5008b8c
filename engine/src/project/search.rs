//! Searching the project: filters (languages, path globs), keyword and vector candidates, fusion,
//! the per-file cap, and the optional HNSW graph kept beside the exact vectors.

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{ChunkMeta, Project, ProjectError};
use crate::embed::Embedder;
use crate::search::bm25::Scored;
use crate::search::fuse::{Explanation, FusionConfig, FusionOverrides, cap_per_group, fuse};
use crate::search::presets::{HASHED_FUSION, fusion_for};
use crate::search::vector::ExactIndex;
use syntax::Language;

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
    /// Changes to the project's fusion settings for this search.
    pub fusion: FusionOverrides,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            mode: SearchMode::Hybrid,
            limit: 10,
            max_per_file: 2,
            languages: Vec::new(),
            path_globs: Vec::new(),
            fusion: FusionOverrides::default(),
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

impl Project {
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
        // Checked before any work: a host's NaN or negative `rrfK` would make every score NaN.
        let fusion = self.fusion().with_overrides(&options.fusion);
        fusion.validate().map_err(ProjectError::Fusion)?;
        let globs = build_globs(&options.path_globs)?;
        // Without filters every live slot is accepted: the indexes hold only slots with a chunk
        // (a removal clears all of them together), so the scans need not read each chunk's
        // metadata (1.4 MB at 13k chunks, per query) to learn nothing.
        let unfiltered = options.languages.is_empty() && globs.is_none();
        let accept = |slot: u32| {
            unfiltered
                || self.chunk(slot).is_some_and(|c| {
                    (options.languages.is_empty()
                        || c.language.is_some_and(|l| options.languages.contains(&l)))
                        && globs.as_ref().is_none_or(|g| g.is_match(&c.path))
                })
        };
        // Fusion and the per-file cap need more candidates than the final limit; more than every
        // slot is every slot. Saturating, because `limit` is a host's number (0xFFFFFFFF from a
        // page is a real input) and release builds wrap on overflow instead of checking.
        let depth = options
            .limit
            .saturating_mul(10)
            .max(100)
            .min(self.chunks.len());
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
        let rerank = depth.saturating_mul(4).max(RERANK_FLOOR);
        Ok(index.search_quantized(query, depth, rerank, accept)?)
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
