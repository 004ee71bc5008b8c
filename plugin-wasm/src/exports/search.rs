//! Searching the page's index and keeping it: `search` (hybrid, keyword or vector, with an
//! explanation per hit), `searchCoreMs` (the boundary measurement), `maintainVectorGraph`,
//! `snapshot` and `restore`. Options cross as one JSON string (`json_arg`) and hits cross flat
//! (`hits.rs`), because `search` is the hot path.

use wasm_bindgen::prelude::*;

use crate::error::js_call;
use crate::hits;
use crate::js::{arg, json_arg, reject_non_finite, string_arg};
use crate::options::WireSearchOptions;
use crate::project::Engine;

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
/** One hit: one of `chunks(path)`'s chunks. Scores are the engine's 32-bit floats as JS numbers: format them for display. */
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

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, available in windows and workers. Only the facade reads a clock.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
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
        js_call("search", || {
            let query = string_arg("query", &query)?;
            reject_non_finite("options", &options)?;
            let options: Option<WireSearchOptions> = json_arg("options", &options)?;
            let hits = self.search_native(&query, &options.unwrap_or_default())?;
            Ok(hits::to_js(&hits))
        })
    }

    /// Runs `search` for every query inside wasm, without crossing the boundary per query, and
    /// returns the milliseconds that took (`performance.now()` read in wasm). Comparing it with
    /// the JS-timed `search` calls over the same queries gives the boundary's share of latency.
    #[wasm_bindgen(js_name = searchCoreMs)]
    pub fn search_core_ms(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] queries: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SearchOptions | undefined")] options: JsValue,
    ) -> Result<f64, JsError> {
        js_call("searchCoreMs", || {
            let queries: Vec<String> = arg("queries", queries)?;
            reject_non_finite("options", &options)?;
            let options: Option<WireSearchOptions> = json_arg("options", &options)?;
            let options = options.unwrap_or_default();
            let start = performance_now();
            for query in &queries {
                std::hint::black_box(self.search_native(query, &options)?);
            }
            Ok(performance_now() - start)
        })
    }

    /// Builds or rebuilds the Engine's HNSW graph when the index holds at least the measured
    /// crossover of chunks (or `crossover` when given) and no graph is current; drops it below.
    /// Returns whether vector search now uses the graph. Call it in idle time.
    #[wasm_bindgen(js_name = maintainVectorGraph)]
    pub fn maintain_vector_graph(&mut self, crossover: Option<usize>) -> bool {
        self.maintain_graph(crossover)
    }

    /// The index as bytes (versioned, checksummed) for IndexedDB/OPFS: files with their chunks
    /// and positions, keyword index, vectors and settings.
    pub fn snapshot(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(self.snapshot_bytes().as_slice())
    }

    /// Restores a snapshot taken by `snapshot()`; throws on corrupted or foreign bytes, on vectors
    /// of another embedder and on other chunk options, and then changes nothing.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        js_call("restore", || self.restore_bytes(bytes))
    }
}
