//! Search, snapshots and restore for the page: a second `#[wasm_bindgen] impl Engine` block over
//! the engine's project index (BM25 + vectors + weighted RRF). The project index is fed by
//! `indexFile`/`removeFile` through [`SearchState::on_index`] and [`SearchState::on_remove`].
//! Vectors come from the active embedder (`embed.rs`): hashed unless the host loads a table.

use engine::language::Language;
use engine::project::{Project, SearchMode, SearchOptions};
use engine::search::FusionConfig;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::{Engine, arg, into_error, output};

#[wasm_bindgen(typescript_custom_section)]
const SEARCH_TS: &str = r#"
/** Options of `Engine.search`; every field is optional. */
export interface SearchOptions {
  mode?: "hybrid" | "keyword" | "vector";
  /** Number of hits (default 10). */
  limit?: number;
  /** At most this many hits per file (default 2). */
  maxPerFile?: number;
  /** Only these languages, e.g. ["python"]. */
  languages?: string[];
  /** Only paths matching one of these globs, e.g. ["src/**"]. */
  pathGlobs?: string[];
  keywordWeight?: number;
  vectorWeight?: number;
  rrfK?: number;
}
/** Where a hit stood in one retriever's list (rank is 1-based). */
export interface RankScore { rank: number; score: number; }
export interface SearchHit {
  path: string;
  name: string | null;
  qualifiedName: string | null;
  kind: string;
  language: string | null;
  startLine: number;
  endLine: number;
  score: number;
  keyword: RankScore | null;
  vector: RankScore | null;
  fused: number;
}
"#;

/// The engine's project index plus the embedder its vectors come from.
#[derive(Debug, Default)]
pub struct SearchState {
    pub project: Project,
    /// Hashed by default; `loadStaticTable` switches it (see `embed.rs`).
    pub embedder: crate::embed::ActiveEmbedder,
}

impl SearchState {
    /// Keeps the project index in step with `indexFile`. The hashed embedder cannot fail.
    pub fn on_index(&mut self, path: &str, text: &str) {
        // The only errors are embedder failures and dimension mismatches, impossible with the
        // built-in hashed embedder; a failure leaves the file's previous entry in place.
        let _ = self
            .project
            .index_file(path, text.as_bytes(), Some(&self.embedder));
    }

    pub fn on_remove(&mut self, path: &str) {
        self.project.remove_file(path);
    }
}

/// `Engine.search` options as they arrive from JS.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireSearchOptions {
    pub mode: Option<String>,
    pub limit: Option<usize>,
    pub max_per_file: Option<usize>,
    pub languages: Option<Vec<String>>,
    pub path_globs: Option<Vec<String>>,
    pub keyword_weight: Option<f32>,
    pub vector_weight: Option<f32>,
    pub rrf_k: Option<f32>,
}

impl WireSearchOptions {
    fn to_options(&self, project: &Project) -> Result<SearchOptions, String> {
        let defaults = SearchOptions::default();
        let mode = match self.mode.as_deref() {
            None | Some("hybrid") => SearchMode::Hybrid,
            Some("keyword") => SearchMode::Keyword,
            Some("vector") => SearchMode::Vector,
            Some(other) => {
                return Err(format!(
                    "unknown mode {other:?}, expected hybrid, keyword or vector"
                ));
            }
        };
        let mut languages = Vec::new();
        for name in self.languages.iter().flatten() {
            languages.push(
                Language::from_name(name).ok_or_else(|| format!("unknown language {name:?}"))?,
            );
        }
        let fusion =
            (self.keyword_weight.is_some() || self.vector_weight.is_some() || self.rrf_k.is_some())
                .then(|| {
                    let base = project.fusion();
                    FusionConfig {
                        keyword_weight: self.keyword_weight.unwrap_or(base.keyword_weight),
                        vector_weight: self.vector_weight.unwrap_or(base.vector_weight),
                        k: self.rrf_k.unwrap_or(base.k),
                    }
                });
        Ok(SearchOptions {
            mode,
            limit: self.limit.unwrap_or(defaults.limit),
            max_per_file: self.max_per_file.unwrap_or(defaults.max_per_file),
            languages,
            path_globs: self.path_globs.clone().unwrap_or_default(),
            fusion,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WireRankScore {
    pub rank: u32,
    pub score: f32,
}

/// One hit as JS sees it.
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

/// Native (and test) entry points.
impl Engine {
    pub fn search_native(
        &self,
        query: &str,
        options: &WireSearchOptions,
    ) -> Result<Vec<WireSearchHit>, String> {
        let state = &self.search;
        let options = options.to_options(&state.project)?;
        let hits = state
            .project
            .search(query, Some(&state.embedder), &options)
            .map_err(|e| e.to_string())?;
        Ok(hits
            .into_iter()
            .map(|h| {
                let rank = |r: engine::search::RankScore| WireRankScore {
                    rank: r.rank,
                    score: r.score,
                };
                WireSearchHit {
                    path: h.chunk.path.clone(),
                    name: h.chunk.name.clone(),
                    qualified_name: h.chunk.qualified_name.clone(),
                    kind: h.chunk.kind.name(),
                    language: h.chunk.language.map(Language::name),
                    start_line: h.chunk.start_line,
                    end_line: h.chunk.end_line,
                    score: h.score,
                    keyword: h.explanation.keyword.map(rank),
                    vector: h.explanation.vector.map(rank),
                    fused: h.explanation.fused,
                }
            })
            .collect())
    }
}

#[wasm_bindgen]
impl Engine {
    /// Hybrid (default), keyword or vector search over indexed files, with an explanation per hit.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SearchOptions | undefined")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        let query: String = arg("search", "query", query)?;
        let options: Option<WireSearchOptions> = arg("search", "options", options)?;
        let hits = self
            .search_native(&query, &options.unwrap_or_default())
            .map_err(|e| into_error(format!("search: {e}")))?;
        output(&hits)
    }

    /// The search index as bytes (versioned, checksummed) for IndexedDB/OPFS.
    pub fn snapshot(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(self.snapshot_bytes().as_slice())
    }

    /// Restores a snapshot taken by `snapshot()`; throws on corrupted or foreign bytes.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.restore_bytes(bytes)
            .map_err(|e| into_error(format!("restore: {e}")))
    }
}
