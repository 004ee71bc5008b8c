//! Browser tests of `VectorIndex` in headless Chromium: the wasm build's SIMD128 f32, int8 and
//! binary (`i64.popcnt` Hamming) scans, and the instant-distance HNSW graph (which needs `getrandom/js` on wasm32), agree with
//! the exact answer, and add/remove work before and after a graph build.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown --test vectors_web`.
#![cfg(target_arch = "wasm32")]

use engine::search::synthetic::{Clusters, clustered_vectors};
use js_sys::{Float32Array, Reflect, Uint32Array};
use plugin_wasm::vectors::VectorIndex;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const DIMS: usize = 64;
const SEED: u64 = 5;

/// Clustered deterministic vectors: 16 topics plus noise, like code embeddings (the engine's one
/// seeded generator, shared with its native vector and HNSW tests).
fn vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let shape = Clusters {
        topics: 16,
        noise: 0.6,
    };
    clustered_vectors(n, DIMS, shape, seed)
}

fn options(mode: &str) -> JsValue {
    let o = js_sys::Object::new();
    Reflect::set(&o, &"mode".into(), &mode.into()).unwrap();
    Reflect::set(&o, &"seed".into(), &(SEED as f64).into()).unwrap();
    o.into()
}

fn ids(index: &VectorIndex, query: &[f32], k: usize) -> Vec<u32> {
    let hits = index.search(query, k).unwrap();
    let ids: Uint32Array = Reflect::get(&hits, &"ids".into()).unwrap().unchecked_into();
    let scores: Float32Array = Reflect::get(&hits, &"scores".into())
        .unwrap()
        .unchecked_into();
    assert_eq!(ids.length(), scores.length());
    ids.to_vec()
}

fn recall(truth: &[Vec<u32>], got: &[Vec<u32>]) -> f32 {
    let found: usize = truth
        .iter()
        .zip(got)
        .map(|(t, g)| g.iter().filter(|id| t.contains(id)).count())
        .sum();
    found as f32 / (truth.len() * 10) as f32
}

#[wasm_bindgen_test]
fn scans_and_graph_find_the_exact_neighbours_through_edits() {
    let data = vectors(1500, SEED);
    let mut index = VectorIndex::new(DIMS, options("exact")).unwrap();
    let flat: Vec<f32> = data.iter().flatten().copied().collect();
    let all: Vec<u32> = (0..data.len() as u32).map(|i| i * 3 + 1).collect();
    index.add_batch(&all, &flat).unwrap();
    assert_eq!(index.size(), 1500);
    index.build_graph();
    // Edits after the build: an exact delta for changed/added ids, tombstones for removed ones.
    let fresh = vectors(50, SEED ^ 1);
    for (i, v) in fresh.iter().enumerate() {
        index.add(i as u32 * 30 + 1, v).unwrap();
        index.add(100_000 + i as u32, v).unwrap();
    }
    for id in (4..3000).step_by(57) {
        index.remove(id);
    }
    let queries = vectors(60, SEED ^ 2);
    let truth: Vec<Vec<u32>> = queries.iter().map(|q| ids(&index, q, 10)).collect();
    index.set_mode("quantized".into()).unwrap();
    let quantized: Vec<Vec<u32>> = queries.iter().map(|q| ids(&index, q, 10)).collect();
    index.set_mode("hnsw".into()).unwrap();
    let graph: Vec<Vec<u32>> = queries.iter().map(|q| ids(&index, q, 10)).collect();
    let removed = |id: &u32| *id >= 4 && *id < 3000 && (id - 4).is_multiple_of(57);
    assert!(
        graph.iter().flatten().all(|id| !removed(id)),
        "a removed id came back"
    );
    let (r_int8, r_graph) = (recall(&truth, &quantized), recall(&truth, &graph));
    assert!(r_int8 >= 0.99, "int8 recall@10 {r_int8} (seed {SEED})");
    assert!(r_graph >= 0.99, "HNSW recall@10 {r_graph} (seed {SEED})");
    // A fresh vector is found by itself: it was added under two ids (91 replaced an old vector,
    // 100_003 is new), which tie, so compare the top two as a set.
    let mut top = ids(&index, &fresh[3], 2);
    top.sort_unstable();
    assert_eq!(top, vec![91, 100_003]);
}

#[wasm_bindgen_test]
fn binary_prefilter_matches_the_exact_scan_through_edits() {
    // 100 dims: not a multiple of 64, so the last code word is partly padding.
    let dims = 100;
    let wide = |n: usize, seed: u64| -> Vec<Vec<f32>> {
        let narrow = vectors(n * 2, seed);
        narrow
            .chunks(2)
            .map(|p| p[0].iter().chain(&p[1]).take(dims).copied().collect())
            .collect()
    };
    // Queries are held-out draws from the corpus's own clusters: real queries resemble the code
    // they look for, while queries from unrelated random centres sit nearly equidistant from
    // every vector, where sign bits carry no ranking signal.
    let mut data = wide(3060, SEED);
    let queries = data.split_off(3000);
    let mut index = VectorIndex::new(dims, options("exact")).unwrap();
    let flat: Vec<f32> = data.iter().flatten().copied().collect();
    let all: Vec<u32> = (0..data.len() as u32).collect();
    index.add_batch(&all, &flat).unwrap();
    // Replacements and removals after the codes were centred.
    for (i, v) in wide(40, SEED ^ 3).iter().enumerate() {
        index.add(i as u32 * 7, v).unwrap();
    }
    for id in (1..3000).step_by(31) {
        index.remove(id);
    }
    let truth: Vec<Vec<u32>> = queries.iter().map(|q| ids(&index, q, 10)).collect();
    index.set_mode("binary".into()).unwrap();
    assert_eq!(index.effective_mode_name(), "binary");
    let binary: Vec<Vec<u32>> = queries.iter().map(|q| ids(&index, q, 10)).collect();
    assert!(
        binary
            .iter()
            .flatten()
            .all(|id| id % 31 != 1 || *id >= 3000),
        "a removed id came back"
    );
    let r = recall(&truth, &binary);
    assert!(r >= 0.99, "binary recall@10 {r} (seed {SEED})");
}

#[wasm_bindgen_test]
fn bad_input_is_a_clear_error() {
    let mut index = VectorIndex::new(4, JsValue::UNDEFINED).unwrap();
    assert!(index.add(1, &[1.0, 2.0]).is_err());
    assert!(index.add(1, &[1.0, f32::NAN, 0.0, 0.0]).is_err());
    assert!(index.search(&[1.0, 0.0, 0.0, 0.0], 3).is_ok());
    assert!(index.search(&[f32::NAN, 0.0, 0.0, 0.0], 3).is_err());
    assert!(index.set_mode("fastest".into()).is_err());
    index.set_mode("binary".into()).unwrap();
    assert!(index.search(&[1.0, 0.0, 0.0, 0.0], 3).is_ok());
    assert!(index.search(&[1.0, 0.0], 3).is_err());
    index.set_mode("hnsw".into()).unwrap();
    assert!(
        index.search(&[1.0, 0.0, 0.0, 0.0], 3).is_err(),
        "hnsw without a graph"
    );
    assert!(VectorIndex::new(0, JsValue::UNDEFINED).is_err());
    let typo = js_sys::Object::new();
    Reflect::set(&typo, &"efSerch".into(), &5.into()).unwrap();
    assert!(VectorIndex::new(4, typo.into()).is_err());
    assert_eq!(index.size(), 0);
    assert!(!index.remove(9));
}
