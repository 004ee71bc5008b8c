//! Search, snapshots and restore for the page: a second `#[wasm_bindgen] impl Engine` block over
//! the engine's project index (BM25 + vectors + weighted RRF). The project index is fed by
//! `indexFile`/`removeFile` through [`SearchState::on_index`] and [`SearchState::on_remove`].
//! Vectors come from the active embedder (`embed.rs`): hashed unless the host loads a table.

use engine::language::Language;
use engine::project::{Project, SearchMode, SearchOptions};
use engine::search::{FusionConfig, FusionMethod};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::{Engine, into_error, json_arg};

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
  /** Fusion overrides; unset fields keep the index's preset (chosen by its embedder). */
  keywordWeight?: number;
  vectorWeight?: number;
  /** "rrf": weighted reciprocal-rank fusion; "convex": weighted min-max normalised scores. */
  fusion?: "rrf" | "convex";
  /** RRF rank offset. */
  rrfK?: number;
  /** Convex: scores are normalised over each list's top `convexDepth` hits. */
  convexDepth?: number;
  /** Convex: from this top vector score on, the keyword list is ignored; negative: never. */
  vectorConfidentAt?: number;
}
/** Where a hit stood in one retriever's list (rank is 1-based). */
export interface RankScore { rank: number; score: number; }
/** One hit. Scores are the engine's 32-bit floats as JS numbers: format them for display. */
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
    /// `"rrf"` or `"convex"`; default: the index's preset method.
    pub fusion: Option<String>,
    pub rrf_k: Option<f32>,
    pub convex_depth: Option<u32>,
    /// Top vector score from which a convex fusion ignores the keyword list; a negative value
    /// turns the rule off.
    pub vector_confident_at: Option<f32>,
}

impl WireSearchOptions {
    /// The index's fusion preset with the fields the host set replaced; `None` when none is set.
    fn fusion_override(&self, project: &Project) -> Result<Option<FusionConfig>, String> {
        if self.keyword_weight.is_none()
            && self.vector_weight.is_none()
            && self.fusion.is_none()
            && self.rrf_k.is_none()
            && self.convex_depth.is_none()
            && self.vector_confident_at.is_none()
        {
            return Ok(None);
        }
        let base = project.fusion();
        let (base_k, base_depth, base_level) = match base.method {
            FusionMethod::Rrf { k } => (k, 20, None),
            FusionMethod::Convex {
                depth,
                vector_confident_at,
            } => (60.0, depth, vector_confident_at),
        };
        let convex = match self.fusion.as_deref() {
            None => matches!(base.method, FusionMethod::Convex { .. }),
            Some("rrf") => false,
            Some("convex") => true,
            Some(other) => {
                return Err(format!(
                    "unknown fusion {other:?}, expected \"rrf\" or \"convex\""
                ));
            }
        };
        let method = if convex {
            FusionMethod::Convex {
                depth: self.convex_depth.unwrap_or(base_depth),
                vector_confident_at: match self.vector_confident_at {
                    Some(level) if level < 0.0 => None,
                    Some(level) => Some(level),
                    None => base_level,
                },
            }
        } else {
            FusionMethod::Rrf {
                k: self.rrf_k.unwrap_or(base_k),
            }
        };
        Ok(Some(FusionConfig {
            keyword_weight: self.keyword_weight.unwrap_or(base.keyword_weight),
            vector_weight: self.vector_weight.unwrap_or(base.vector_weight),
            method,
        }))
    }

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
        let fusion = self.fusion_override(project)?;
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
        let query = query
            .as_string()
            .ok_or_else(|| into_error("search: invalid `query`: expected a string"))?;
        let options: Option<WireSearchOptions> = json_arg("search", "options", &options)?;
        let hits = self
            .search_native(&query, &options.unwrap_or_default())
            .map_err(|e| into_error(format!("search: {e}")))?;
        Ok(crate::hits::to_js(&hits))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> WireSearchOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fusion_overrides_start_from_the_index_preset() {
        // An empty project has no embedder yet: its preset is the hashed one (RRF 3/1, k 5).
        let project = Project::default();
        assert_eq!(options("{}").fusion_override(&project), Ok(None));
        assert_eq!(
            options(r#"{"keywordWeight": 0.5}"#).fusion_override(&project),
            Ok(Some(FusionConfig::rrf(0.5, 1.0, 5.0)))
        );
        assert_eq!(
            options(r#"{"fusion": "convex", "vectorConfidentAt": 0.7}"#).fusion_override(&project),
            Ok(Some(FusionConfig::convex(3.0, 1.0, 20, Some(0.7))))
        );
        assert_eq!(
            options(r#"{"fusion": "rrf", "rrfK": 60}"#).fusion_override(&project),
            Ok(Some(FusionConfig::rrf(3.0, 1.0, 60.0)))
        );
        let err = options(r#"{"fusion": "max"}"#)
            .fusion_override(&project)
            .unwrap_err();
        assert!(err.contains("unknown fusion \"max\""), "{err}");
    }

    #[test]
    fn a_negative_confidence_level_turns_the_rule_off() {
        let project = Project::new(engine::project::ProjectConfig {
            fusion: Some(FusionConfig::convex(0.3, 0.7, 20, Some(0.7))),
            ..Default::default()
        });
        assert_eq!(
            options(r#"{"vectorConfidentAt": -1, "convexDepth": 50}"#).fusion_override(&project),
            Ok(Some(FusionConfig::convex(0.3, 0.7, 50, None)))
        );
    }
}
