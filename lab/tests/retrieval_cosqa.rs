//! Retrieval quality on CoSQA dev (500 real web queries over 6,267 Python functions, see
//! `../shared/data/cosqa/README.md`): each retriever's MRR@10 is computed for real and must stay
//! above a floor, so a tokenizer or scoring regression fails the build, and hybrid search with the
//! hashed embedder's fusion preset must not fall below the best single retriever. Asserted on the
//! held-out half of the queries, the half `pilotfish eval --tune` never sees. MiniLM's check is
//! `retrieval_cosqa_minilm.rs`.

mod cosqa_support;

use cosqa_support::{Runs, bm25_index, held_out, load};
use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::search::presets::fusion_for;
use engine::search::{ExactIndex, FusionConfig};

fn hashed_runs() -> Runs {
    let data = load();
    let bm25 = bm25_index(&data);
    let embedder = HashedEmbedder::default();
    let mut vectors = ExactIndex::new(embedder.dimensions());
    for (id, code) in data.code.iter().enumerate() {
        vectors
            .insert(id as u32, &embedder.embed_one(code))
            .expect("dimensions match");
    }
    let mut runs = Runs::default();
    for (query, target) in held_out(&data) {
        runs.keyword.push(bm25.search(&query, 100, |_| true));
        runs.vector.push(
            vectors
                .search(&embedder.embed_one(&query), 100, |_| true)
                .expect("dimensions match"),
        );
        runs.relevant.push(target);
    }
    runs
}

#[test]
fn hybrid_on_cosqa_dev_is_not_below_the_best_single_retriever() {
    let runs = hashed_runs();
    if std::env::var_os("PILOTFISH_TUNE").is_some() {
        // A quick look at RRF settings; the presets come from `pilotfish eval --tune`, which
        // tunes on the other half.
        for kw in [0.1f32, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0] {
            for k in [1.0f32, 5.0, 10.0, 20.0, 60.0] {
                let config = FusionConfig::rrf(kw, 1.0, k);
                eprintln!(
                    "kw={kw} k={k}: {:.4}",
                    runs.fused_quality(&config).mrr_at_10
                );
            }
        }
    }
    let preset = fusion_for(HashedEmbedder::default().id());
    runs.assert_fusion_floor("hashed", &preset, 0.15, 0.0);
}

#[test]
fn bm25_on_cosqa_dev_beats_the_floor() {
    let data = load();
    assert_eq!(data.code.len(), 6267);
    assert_eq!(data.queries.len(), 500);
    let index = bm25_index(&data);
    let mut runs = Runs::default();
    for (query, target) in held_out(&data) {
        runs.keyword.push(index.search(&query, 100, |_| true));
        runs.relevant.push(target);
    }
    let q = runs.keyword_quality();
    eprintln!("BM25 CoSQA dev, held-out half: {q:?}");
    assert!(
        q.mrr_at_10 >= 0.30,
        "BM25 MRR@10 {:.4} below 0.30",
        q.mrr_at_10
    );
}
