//! What the CoSQA retrieval tests share: loading the set, BM25 over its functions, each query's
//! ranked lists, and the check that fusing them is not below the better list. Every check runs on
//! the held-out half of the queries ([`lab::split`]): `pilotfish eval --tune` fits the fusion
//! presets on the other half, so a preset is never asserted on the queries it was chosen for.

use std::path::PathBuf;

use engine::search::{Bm25Doc, Bm25Index, FusionConfig, Scored, fuse};
use lab::cosqa::{Cosqa, function_name};
use lab::eval::{Quality, quality};
use lab::split::Half;

/// The workspace root (the lab crate's parent folder).
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PILOTFISH_COSQA") {
        return dir.into();
    }
    workspace().join("../shared/data/cosqa")
}

pub fn load() -> Cosqa {
    let dir = data_dir();
    Cosqa::load(&dir).unwrap_or_else(|e| {
        panic!(
            "CoSQA dev in {}: {e} (set PILOTFISH_COSQA to its folder)",
            dir.display()
        )
    })
}

/// The held-out queries (text, relevant function id). The split is pinned by `lab::split`'s own
/// test; this only guards against an empty or lopsided half.
pub fn held_out(data: &Cosqa) -> Vec<(String, usize)> {
    let queries = data.half(Half::Report);
    assert!(
        (200..=300).contains(&queries.len()),
        "{} of {} CoSQA queries held out",
        queries.len(),
        data.queries.len()
    );
    queries
}

pub fn bm25_index(data: &Cosqa) -> Bm25Index {
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

/// Ranked lists (top 100) of every query for the keyword and the vector retriever.
#[derive(Default)]
pub struct Runs {
    pub keyword: Vec<Vec<Scored>>,
    pub vector: Vec<Vec<Scored>>,
    pub relevant: Vec<usize>,
}

fn top10(list: &[Scored]) -> Vec<usize> {
    list.iter().take(10).map(|h| h.doc as usize).collect()
}

impl Runs {
    pub fn keyword_quality(&self) -> Quality {
        let lists: Vec<Vec<usize>> = self.keyword.iter().map(|l| top10(l)).collect();
        quality(&lists, &self.relevant)
    }

    pub fn vector_quality(&self) -> Quality {
        let lists: Vec<Vec<usize>> = self.vector.iter().map(|l| top10(l)).collect();
        quality(&lists, &self.relevant)
    }

    pub fn fused_quality(&self, config: &FusionConfig) -> Quality {
        let lists: Vec<Vec<usize>> = self
            .keyword
            .iter()
            .zip(&self.vector)
            .map(|(k, v)| {
                fuse(k, v, config)
                    .iter()
                    .take(10)
                    .map(|h| h.doc as usize)
                    .collect()
            })
            .collect();
        quality(&lists, &self.relevant)
    }

    /// The vector retriever reaches its floor and fusing it with BM25 by `preset` is not below BM25
    /// and not more than `shortfall` below the better of the two (0 for "never below").
    pub fn assert_fusion_floor(
        &self,
        embedder: &str,
        preset: &FusionConfig,
        vector_floor: f64,
        shortfall: f64,
    ) {
        let (keyword, vector) = (self.keyword_quality(), self.vector_quality());
        let hybrid = self.fused_quality(preset);
        eprintln!(
            "CoSQA dev held-out half, {} queries:\nBM25 {keyword:?}\n{embedder} {vector:?}\nhybrid ({preset}) {hybrid:?}",
            self.relevant.len()
        );
        assert!(
            vector.mrr_at_10 >= vector_floor,
            "{embedder} vector MRR@10 {:.4} below {vector_floor}",
            vector.mrr_at_10
        );
        assert!(
            hybrid.mrr_at_10 >= keyword.mrr_at_10,
            "BM25 + {embedder} hybrid {:.4} below BM25 alone {:.4}",
            hybrid.mrr_at_10,
            keyword.mrr_at_10
        );
        let best = keyword.mrr_at_10.max(vector.mrr_at_10);
        assert!(
            hybrid.mrr_at_10 >= best - shortfall,
            "BM25 + {embedder} hybrid {:.4} more than {shortfall} below the best single retriever \
             {best:.4}",
            hybrid.mrr_at_10
        );
    }
}
