//! `VectorIndex`: nearest-neighbour search for hosts that bring their own vectors (a remote
//! embedding API, a model in a worker).
//!
//! Ids are the host's `u32`s; the engine's `IdSlots` maps them to dense slots so the exact index
//! stays one flat array whatever the ids look like. Modes: `exact` (f32 scan), `quantized` (int8
//! scan + f32 re-rank), `binary` (Hamming scan of centred sign codes, then int8 and f32 re-rank;
//! no build), `hnsw` (instant-distance graph, exact delta, tombstones) and `auto` (the graph when
//! one is built and the index is past the crossover, else the quantised scan).

use engine::search::binary::default_candidates;
use engine::search::hnsw::{HnswConfig, HnswIndex};
use engine::search::vector::{MAX_DIMS, check_finite};
use engine::search::{ExactIndex, IdSlots, Scored, VectorError};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::error::{Error, OptionsError, js_call};
use crate::js::{arg, reject_unknown_fields};

#[wasm_bindgen(typescript_custom_section)]
const VECTORS_TS: &str = r#"
/** How `VectorIndex.search` finds neighbours. */
export type VectorMode = "exact" | "quantized" | "binary" | "hnsw" | "auto";

export interface VectorIndexOptions {
  /** Default "auto": the HNSW graph once `buildGraph()` ran and size ≥ crossover, else "quantized". */
  mode?: VectorMode;
  /** Seed of the graph's level assignment (builds are deterministic). */
  seed?: number;
  efConstruction?: number;
  /** Candidates per graph search; `k` above it returns at most this many hits. */
  efSearch?: number;
  /** Below this many vectors "auto" scans instead of using a graph. */
  crossover?: number;
  /** Candidates of the int8 scan re-scored in f32 (default 40). */
  rerank?: number;
  /** Shortlist of the "binary" Hamming scan re-scored in int8 (default: measured, grows with size). */
  candidates?: number;
}

/** Hits best first: `ids[i]` scored `scores[i]` (cosine similarity). */
export interface VectorHits {
  ids: Uint32Array;
  scores: Float32Array;
}
"#;

/// Re-rank depth of the int8 scan: recall@10 ≥ 0.99 against the f32 scan on CoSQA MiniLM
/// vectors and their synthetic 100k extension (`pilotfish bench-vector`).
pub const DEFAULT_RERANK: usize = 40;

/// How a search is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorMode {
    Exact,
    Quantized,
    Binary,
    Hnsw,
    Auto,
}

impl VectorMode {
    fn parse(name: &str) -> Result<Self, OptionsError> {
        match name {
            "exact" => Ok(VectorMode::Exact),
            "quantized" => Ok(VectorMode::Quantized),
            "binary" => Ok(VectorMode::Binary),
            "hnsw" => Ok(VectorMode::Hnsw),
            "auto" => Ok(VectorMode::Auto),
            other => Err(OptionsError::Unknown {
                field: "mode",
                got: other.to_string(),
                expected: "exact, quantized, binary, hnsw or auto",
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            VectorMode::Exact => "exact",
            VectorMode::Quantized => "quantized",
            VectorMode::Binary => "binary",
            VectorMode::Hnsw => "hnsw",
            VectorMode::Auto => "auto",
        }
    }
}

/// `new VectorIndex(dims, options)` options as they arrive from JS.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireVectorOptions {
    pub mode: Option<String>,
    pub seed: Option<u64>,
    pub ef_construction: Option<usize>,
    pub ef_search: Option<usize>,
    pub crossover: Option<usize>,
    pub rerank: Option<usize>,
    pub candidates: Option<usize>,
}

impl WireVectorOptions {
    const FIELDS: &[&str] = &[
        "mode",
        "seed",
        "efConstruction",
        "efSearch",
        "crossover",
        "rerank",
        "candidates",
    ];
}

/// A vector index keyed by the host's ids.
#[wasm_bindgen]
pub struct VectorIndex {
    exact: ExactIndex,
    slots: IdSlots,
    mode: VectorMode,
    config: HnswConfig,
    rerank: usize,
    /// Fixed shortlist of the binary mode; `None` sizes it with the index.
    candidates: Option<usize>,
    graph: Option<HnswIndex>,
}

/// Native (and test) entry points: the same work as the exported methods, minus `JsValue`.
impl VectorIndex {
    pub fn with_options(dims: usize, options: &WireVectorOptions) -> Result<Self, Error> {
        // `dims` sizes every row, so an absurd one (0xFFFFFFFF from a page passing -1) would be
        // a multi-gigabyte allocation, which aborts the wasm instance: refused up front.
        if !(1..=MAX_DIMS).contains(&dims) {
            return Err(Error::Argument {
                argument: "dims",
                message: format!("must be between 1 and {MAX_DIMS}, got {dims}"),
            });
        }
        let defaults = HnswConfig::default();
        let config = HnswConfig {
            seed: options.seed.unwrap_or(defaults.seed),
            ef_construction: options.ef_construction.unwrap_or(defaults.ef_construction),
            ef_search: options.ef_search.unwrap_or(defaults.ef_search),
            crossover: options.crossover.unwrap_or(defaults.crossover),
            ..defaults
        };
        if config.ef_construction == 0 {
            return Err(OptionsError::Zero("efConstruction").into());
        }
        if config.ef_search == 0 {
            return Err(OptionsError::Zero("efSearch").into());
        }
        Ok(VectorIndex {
            exact: ExactIndex::new(dims),
            slots: IdSlots::default(),
            mode: VectorMode::parse(options.mode.as_deref().unwrap_or("auto"))?,
            config,
            rerank: options.rerank.unwrap_or(DEFAULT_RERANK),
            candidates: options.candidates,
            graph: None,
        })
    }

    /// Adds or replaces the vector of `id`. A rejected vector changes nothing.
    pub fn insert(&mut self, id: u32, vector: &[f32]) -> Result<(), Error> {
        let slot = self.slots.slot_for(id);
        self.exact
            .insert(slot, vector)
            .map_err(|source| Error::Vector { id, source })?;
        self.slots.assign(id);
        if let Some(graph) = &mut self.graph {
            graph.upsert(slot);
        }
        Ok(())
    }

    /// Adds `ids.len()` vectors laid out back to back in `vectors`; stops at the first rejected
    /// one (the vectors before it stay added).
    pub fn insert_batch(&mut self, ids: &[u32], vectors: &[f32]) -> Result<(), Error> {
        let dims = self.exact.dims();
        if ids.len().checked_mul(dims) != Some(vectors.len()) {
            return Err(Error::BatchShape {
                floats: vectors.len(),
                ids: ids.len(),
                dims,
            });
        }
        for (&id, vector) in ids.iter().zip(vectors.chunks_exact(dims)) {
            self.insert(id, vector)?;
        }
        Ok(())
    }

    pub fn delete(&mut self, id: u32) -> bool {
        let Some(slot) = self.slots.release(id) else {
            return false;
        };
        self.exact.remove(slot);
        if let Some(graph) = &mut self.graph {
            graph.remove(slot);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Builds the graph over every current vector (replacing an older one).
    pub fn build(&mut self) {
        self.graph = Some(HnswIndex::build(&self.exact, self.config));
    }

    /// The mode a search actually runs in.
    pub fn effective_mode(&self) -> VectorMode {
        match self.mode {
            VectorMode::Auto if self.graph.is_some() && self.len() >= self.config.crossover => {
                VectorMode::Hnsw
            }
            VectorMode::Auto => VectorMode::Quantized,
            mode => mode,
        }
    }

    /// The `k` nearest ids with their cosine similarity, best first.
    pub fn nearest(&self, query: &[f32], k: usize) -> Result<Vec<(u32, f32)>, Error> {
        let hits: Vec<Scored> = match self.effective_mode() {
            VectorMode::Exact => self.exact.search(query, k, |_| true),
            VectorMode::Quantized | VectorMode::Auto => {
                self.exact
                    .search_quantized(query, k, self.rerank.max(k), |_| true)
            }
            VectorMode::Binary => {
                let shortlist = self
                    .candidates
                    .unwrap_or_else(|| default_candidates(k, self.len()));
                self.exact
                    .search_binary(query, k, shortlist, self.rerank.max(k), |_| true)
            }
            VectorMode::Hnsw => {
                let graph = self.graph.as_ref().ok_or(Error::NoGraph)?;
                // The graph checks nothing itself: validate like the scans do.
                if query.len() != self.exact.dims() {
                    return Err(VectorError::Dimensions {
                        expected: self.exact.dims(),
                        got: query.len(),
                    }
                    .into());
                }
                check_finite(query)?;
                Ok(graph.search(&self.exact, query, k, |_| true))
            }
        }?;
        Ok(hits
            .into_iter()
            .filter_map(|h| Some((self.slots.id(h.doc)?, h.score)))
            .collect())
    }
}

#[wasm_bindgen]
impl VectorIndex {
    /// Throws when `dims` is 0 or an option is unknown or invalid.
    #[wasm_bindgen(constructor)]
    pub fn new(
        dims: usize,
        #[wasm_bindgen(unchecked_param_type = "VectorIndexOptions | undefined")] options: JsValue,
    ) -> Result<VectorIndex, JsError> {
        js_call("new VectorIndex", || {
            reject_unknown_fields("options", &options, WireVectorOptions::FIELDS)?;
            let options: Option<WireVectorOptions> = arg("options", options)?;
            VectorIndex::with_options(dims, &options.unwrap_or_default())
        })
    }

    /// Adds or replaces the vector of `id`; throws on a wrong length or a non-finite component.
    pub fn add(&mut self, id: u32, vector: &[f32]) -> Result<(), JsError> {
        js_call("add", || self.insert(id, vector))
    }

    /// Adds `ids.length` vectors laid out back to back in `vectors` (one boundary crossing).
    #[wasm_bindgen(js_name = addBatch)]
    pub fn add_batch(&mut self, ids: &[u32], vectors: &[f32]) -> Result<(), JsError> {
        js_call("addBatch", || self.insert_batch(ids, vectors))
    }

    /// Removes `id`; returns whether it was present.
    pub fn remove(&mut self, id: u32) -> bool {
        self.delete(id)
    }

    /// The `k` nearest ids, best first.
    #[wasm_bindgen(unchecked_return_type = "VectorHits")]
    pub fn search(&self, query: &[f32], k: usize) -> Result<JsValue, JsError> {
        js_call("search", || {
            let hits = self.nearest(query, k)?;
            let ids: Vec<u32> = hits.iter().map(|h| h.0).collect();
            let scores: Vec<f32> = hits.iter().map(|h| h.1).collect();
            let out = js_sys::Object::new();
            for (key, value) in [
                ("ids", JsValue::from(js_sys::Uint32Array::from(&ids[..]))),
                ("scores", js_sys::Float32Array::from(&scores[..]).into()),
            ] {
                js_sys::Reflect::set(&out, &key.into(), &value)
                    .map_err(|_| Error::Output(format!("cannot set `{key}`")))?;
            }
            Ok(out.into())
        })
    }

    /// Builds the HNSW graph now (seconds for tens of thousands of vectors: call it in a worker
    /// or idle time). Later adds/removes go to an exact delta and tombstones until the next build.
    #[wasm_bindgen(js_name = buildGraph)]
    pub fn build_graph(&mut self) {
        self.build();
    }

    /// Whether edits since the last build passed the rebuild threshold.
    #[wasm_bindgen(js_name = needsRebuild, getter)]
    pub fn needs_rebuild(&self) -> bool {
        self.graph.as_ref().is_some_and(HnswIndex::needs_rebuild)
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.len()
    }

    #[wasm_bindgen(getter, unchecked_return_type = "VectorMode")]
    pub fn mode(&self) -> String {
        self.mode.name().to_string()
    }

    #[wasm_bindgen(setter, js_name = mode)]
    pub fn set_mode(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "VectorMode")] mode: String,
    ) -> Result<(), JsError> {
        js_call("mode", || {
            self.mode = VectorMode::parse(&mode)?;
            Ok(())
        })
    }

    /// The mode searches run in right now (`auto` resolved).
    #[wasm_bindgen(js_name = effectiveMode, getter, unchecked_return_type = "VectorMode")]
    pub fn effective_mode_name(&self) -> String {
        self.effective_mode().name().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct, deterministic vectors (no two ids share a direction).
    fn unit(i: usize, dims: usize) -> Vec<f32> {
        (0..dims)
            .map(|d| ((i as f32 + 1.0) * (d as f32 + 0.5) * 0.618).sin())
            .collect()
    }

    #[test]
    fn ids_map_to_slots_and_survive_removal_and_replacement() {
        let mut index = VectorIndex::with_options(8, &WireVectorOptions::default()).unwrap();
        for id in [1000u32, 7, 42] {
            index.insert(id, &unit(id as usize, 8)).unwrap();
        }
        assert_eq!(index.nearest(&unit(7, 8), 1).unwrap()[0].0, 7);
        assert!(index.delete(7));
        assert!(!index.delete(7));
        assert_eq!(index.len(), 2);
        // The freed slot is reused by a new id; the old id never comes back.
        index.insert(99, &unit(7, 8)).unwrap();
        assert_eq!(index.nearest(&unit(7, 8), 1).unwrap()[0].0, 99);
        let all: Vec<u32> = index
            .nearest(&unit(1, 8), 10)
            .unwrap()
            .iter()
            .map(|h| h.0)
            .collect();
        assert_eq!(all.len(), 3);
        assert!(!all.contains(&7));
        assert!(
            index
                .insert(5, &[1.0])
                .unwrap_err()
                .to_string()
                .contains("dimensions")
        );
        assert!(
            index
                .insert(5, &[f32::NAN; 8])
                .unwrap_err()
                .to_string()
                .contains("finite")
        );
        assert_eq!(index.len(), 3, "rejected vectors are not stored");
    }

    #[test]
    fn modes_agree_on_small_data_and_hnsw_needs_a_graph() {
        let options = WireVectorOptions {
            mode: Some("hnsw".into()),
            crossover: Some(10),
            ..WireVectorOptions::default()
        };
        let mut index = VectorIndex::with_options(16, &options).unwrap();
        for i in 0..200 {
            index.insert(i, &unit(i as usize, 16)).unwrap();
        }
        assert!(
            index
                .nearest(&unit(3, 16), 5)
                .unwrap_err()
                .to_string()
                .contains("buildGraph")
        );
        index.build();
        let ids = |hits: Vec<(u32, f32)>| hits.into_iter().map(|h| h.0).collect::<Vec<_>>();
        let graph = ids(index.nearest(&unit(3, 16), 5).unwrap());
        index.mode = VectorMode::Exact;
        let exact = ids(index.nearest(&unit(3, 16), 5).unwrap());
        assert_eq!(graph, exact);
        assert_eq!(exact[0], 3);
        index.mode = VectorMode::Auto;
        assert_eq!(index.effective_mode(), VectorMode::Hnsw);
        assert!(VectorMode::parse("fast").is_err());
        assert!(VectorIndex::with_options(0, &WireVectorOptions::default()).is_err());
    }

    #[test]
    fn hostile_sizes_are_refused_or_clamped() {
        // 0xFFFFFFFF is what a page's `-1` becomes: refused before any row is sized by it.
        for dims in [MAX_DIMS + 1, u32::MAX as usize, usize::MAX] {
            let Err(error) = VectorIndex::with_options(dims, &WireVectorOptions::default()) else {
                panic!("{dims} dimensions were accepted");
            };
            assert!(error.to_string().contains("between 1 and"), "{error}");
        }
        let options = WireVectorOptions {
            rerank: Some(usize::MAX),
            candidates: Some(usize::MAX),
            ..WireVectorOptions::default()
        };
        let mut index = VectorIndex::with_options(4, &options).unwrap();
        for id in 0..10 {
            index.insert(id, &unit(id as usize, 4)).unwrap();
        }
        for mode in [VectorMode::Exact, VectorMode::Quantized, VectorMode::Binary] {
            index.mode = mode;
            assert_eq!(index.nearest(&unit(2, 4), usize::MAX).unwrap().len(), 10);
        }
        // ids × dims past usize is a shape error, not an overflow.
        let error = index.insert_batch(&[1, 2], &[]).unwrap_err();
        assert!(error.to_string().contains("floats"), "{error}");
    }
}
