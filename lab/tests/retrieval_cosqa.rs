//! Retrieval quality on CoSQA dev (500 real web queries over 6,267 Python functions, see
//! `../shared/data/cosqa/README.md`): each retriever's MRR@10 is computed for real and must stay
//! above a floor, so a tokenizer or scoring regression fails the build; hybrid search with each
//! embedder's fusion preset must not fall below the best single retriever. The MiniLM check reads
//! the transformer's vectors from the cache `pilotfish eval --model` writes (embedding thousands
//! of functions in a test would take minutes).

use std::path::PathBuf;

use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::search::presets::fusion_for;
use engine::search::{Bm25Doc, Bm25Index, ExactIndex, FusionConfig, Scored, fuse};
use lab::cosqa::{Cosqa, function_name};
use lab::eval::{Quality, VectorCache, quality};

fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PILOTFISH_COSQA") {
        return dir.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cosqa")
}

fn load() -> Cosqa {
    let dir = data_dir();
    Cosqa::load(&dir).unwrap_or_else(|e| panic!("CoSQA dev in {}: {e}", dir.display()))
}

fn bm25_index(data: &Cosqa) -> Bm25Index {
    let mut index = Bm25Index::default();
    for (id, code) in data.code.iter().enumerate() {
        let name = function_name(code);
        index.insert(
            id as u32,
            &Bm25Doc {
                name,
                qualified_name: name,
                path: "",
                body: code,
            },
        );
    }
    index
}

fn hashed_index(data: &Cosqa, embedder: &HashedEmbedder) -> ExactIndex {
    let mut index = ExactIndex::new(384);
    for (id, code) in data.code.iter().enumerate() {
        index
            .insert(id as u32, &embedder.embed_one(code))
            .expect("dimensions match");
    }
    index
}

/// Ranked lists of every query for three retrievers: keyword, vector, and each fusion config.
struct Runs {
    keyword: Vec<Vec<Scored>>,
    vector: Vec<Vec<Scored>>,
    relevant: Vec<usize>,
}

fn runs(data: &Cosqa) -> Runs {
    let bm25 = bm25_index(data);
    let embedder = HashedEmbedder::default();
    let vectors = hashed_index(data, &embedder);
    let mut runs = Runs {
        keyword: Vec::new(),
        vector: Vec::new(),
        relevant: Vec::new(),
    };
    for (query, target) in &data.queries {
        runs.keyword.push(bm25.search(query, 100, |_| true));
        runs.vector.push(
            vectors
                .search(&embedder.embed_one(query), 100, |_| true)
                .expect("dimensions match"),
        );
        runs.relevant.push(*target);
    }
    runs
}

fn docs(list: &[Scored]) -> Vec<usize> {
    list.iter().take(10).map(|h| h.doc as usize).collect()
}

fn fused_quality(runs: &Runs, config: &FusionConfig) -> Quality {
    let ranked: Vec<Vec<usize>> = runs
        .keyword
        .iter()
        .zip(&runs.vector)
        .map(|(k, v)| {
            fuse(k, v, config)
                .iter()
                .take(10)
                .map(|h| h.doc as usize)
                .collect()
        })
        .collect();
    quality(&ranked, &runs.relevant)
}

/// The vector retriever reaches its floor and fusing it with BM25 is not below the better of the two.
fn assert_fusion_floor(
    embedder: &str,
    keyword: &Quality,
    vector: &Quality,
    hybrid: &Quality,
    vector_floor: f64,
) {
    assert!(
        vector.mrr_at_10 >= vector_floor,
        "{embedder} vector MRR@10 {:.4} below {vector_floor}",
        vector.mrr_at_10
    );
    let best = keyword.mrr_at_10.max(vector.mrr_at_10);
    assert!(
        hybrid.mrr_at_10 >= best,
        "hybrid {:.4} below best single {best:.4}",
        hybrid.mrr_at_10
    );
}

#[test]
fn hybrid_on_cosqa_dev_is_not_below_the_best_single_retriever() {
    let data = load();
    let runs = runs(&data);
    let keyword = quality(
        &runs.keyword.iter().map(|l| docs(l)).collect::<Vec<_>>(),
        &runs.relevant,
    );
    let vector = quality(
        &runs.vector.iter().map(|l| docs(l)).collect::<Vec<_>>(),
        &runs.relevant,
    );
    eprintln!("keyword {keyword:?}\nhashed vector {vector:?}");
    if std::env::var_os("PILOTFISH_TUNE").is_some() {
        for kw in [0.1f32, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0] {
            for k in [1.0f32, 5.0, 10.0, 20.0, 60.0] {
                let config = FusionConfig::rrf(kw, 1.0, k);
                eprintln!(
                    "kw={kw} k={k}: {:.4}",
                    fused_quality(&runs, &config).mrr_at_10
                );
            }
        }
    }
    let hybrid = fused_quality(&runs, &fusion_for(HashedEmbedder::default().id()));
    eprintln!("hybrid {hybrid:?}");
    assert_fusion_floor("hashed", &keyword, &vector, &hybrid, 0.15);
}

fn bm25_quality(data: &Cosqa) -> Quality {
    let index = bm25_index(data);
    let mut ranked = Vec::new();
    let mut relevant = Vec::new();
    for (query, target) in &data.queries {
        ranked.push(
            index
                .search(query, 10, |_| true)
                .iter()
                .map(|h| h.doc as usize)
                .collect::<Vec<_>>(),
        );
        relevant.push(*target);
    }
    quality(&ranked, &relevant)
}

#[test]
fn bm25_on_cosqa_dev_beats_the_floor() {
    let data = load();
    assert_eq!(data.code.len(), 6267);
    assert_eq!(data.queries.len(), 500);
    let q = bm25_quality(&data);
    eprintln!("BM25 CoSQA dev: {q:?}");
    assert!(
        q.mrr_at_10 >= 0.30,
        "BM25 MRR@10 {:.4} below 0.30",
        q.mrr_at_10
    );
}

/// The MiniLM vector cache of `pilotfish eval --model` (`PILOTFISH_VECTOR_CACHE` overrides).
fn minilm_cache() -> Option<VectorCache> {
    let path = std::env::var_os("PILOTFISH_VECTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/embed/minilm-vectors.pfv")
        });
    let bytes = std::fs::read(&path).ok()?;
    VectorCache::from_bytes(&bytes)
        .ok()
        .filter(|c| c.embedder_id.starts_with("minilm:"))
}

#[test]
fn hybrid_with_minilm_on_cosqa_dev_is_not_below_the_best_single_retriever() {
    let Some(cache) = minilm_cache() else {
        eprintln!("no MiniLM vector cache: run `pilotfish eval --model DIR` to enable this check");
        return;
    };
    let data = load();
    let mut index = ExactIndex::new(cache.dims);
    for (id, code) in data.code.iter().enumerate() {
        let Some(v) = cache.get(code) else {
            eprintln!("the MiniLM cache lacks CoSQA function {id}: rerun `pilotfish eval --model`");
            return;
        };
        index.insert(id as u32, v).expect("dimensions match");
    }
    let bm25 = bm25_index(&data);
    let mut runs = Runs {
        keyword: Vec::new(),
        vector: Vec::new(),
        relevant: Vec::new(),
    };
    for (query, target) in &data.queries {
        let Some(v) = cache.get(query) else {
            eprintln!("the MiniLM cache lacks a CoSQA query: rerun `pilotfish eval --model`");
            return;
        };
        runs.keyword.push(bm25.search(query, 100, |_| true));
        runs.vector
            .push(index.search(v, 100, |_| true).expect("dimensions match"));
        runs.relevant.push(*target);
    }
    let keyword = quality(
        &runs.keyword.iter().map(|l| docs(l)).collect::<Vec<_>>(),
        &runs.relevant,
    );
    let vector = quality(
        &runs.vector.iter().map(|l| docs(l)).collect::<Vec<_>>(),
        &runs.relevant,
    );
    let hybrid = fused_quality(&runs, &fusion_for(&cache.embedder_id));
    eprintln!("MiniLM {vector:?}\nBM25 {keyword:?}\nhybrid {hybrid:?}");
    assert_fusion_floor("MiniLM", &keyword, &vector, &hybrid, 0.50);
}
