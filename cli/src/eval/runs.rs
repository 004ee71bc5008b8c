//! The ranked lists of one data set: every query run through BM25 and through an exact vector
//! scan per embedder (top 100 each, enough for any fusion depth), then cut to top 10 and scored.
//! Fusion reads the same lists, so the hybrid rows and `--tune` never re-run a retriever.
//! `--dump-runs` writes these lists out for fusion experiments outside the engine.

use std::path::Path;

use anyhow::{Context, Result};
use engine::search::{Bm25Doc, Bm25Index, ExactIndex, FusionConfig, Scored, fuse};
use lab::eval::{Quality, quality};

use super::candidate::Candidate;
use super::dataset::{Dataset, Query};

/// The ranked lists (top 100) of every query of a data set, per retriever.
pub(super) struct Runs {
    pub(super) keyword: Vec<Vec<Scored>>,
    /// Per embedder: (label, embedder id, lists).
    pub(super) vector: Vec<(&'static str, String, Vec<Vec<Scored>>)>,
}

/// Runs every query of `data` through BM25 and each candidate's exact vector scan.
pub(super) fn run_dataset(data: &Dataset, candidates: &mut [Candidate<'_>]) -> Result<Runs> {
    let mut bm25 = Bm25Index::default();
    for (id, doc) in data.docs.iter().enumerate() {
        bm25.insert(
            id as u32,
            &Bm25Doc {
                name: &doc.name,
                qualified_name: &doc.qualified_name,
                path: &doc.path,
                body: &doc.body,
            },
        );
    }
    let keyword = data
        .queries
        .iter()
        .map(|q| bm25.search(&q.text, 100, |_| true))
        .collect();
    let mut vector = Vec::new();
    for candidate in candidates.iter_mut() {
        let texts: Vec<&str> = data.docs.iter().map(|d| d.embed_text.as_str()).collect();
        let corpus = candidate.embed(&texts)?;
        let mut index = ExactIndex::new(candidate.embedder.dimensions());
        for (id, v) in corpus.iter().enumerate() {
            index.insert(id as u32, v)?;
        }
        let queries: Vec<&str> = data.queries.iter().map(|q| q.text.as_str()).collect();
        let mut lists = Vec::new();
        for v in candidate.embed(&queries)? {
            lists.push(index.search(&v, 100, |_| true)?);
        }
        vector.push((candidate.label, candidate.embedder.id().to_string(), lists));
    }
    Ok(Runs { keyword, vector })
}

/// Quality of the given top-10 lists over the queries `pick` selects (a half, or all).
pub(super) fn score(
    data: &Dataset,
    lists: &[Vec<usize>],
    pick: impl Fn(&Query) -> bool,
) -> Quality {
    let (ranked, relevant): (Vec<Vec<usize>>, Vec<usize>) = data
        .queries
        .iter()
        .zip(lists)
        .filter(|(q, _)| pick(q))
        .map(|(q, l)| (l.clone(), q.target))
        .unzip();
    quality(&ranked, &relevant)
}

/// The first ten documents of a ranked list, as document indexes.
pub(super) fn top10(list: &[Scored]) -> Vec<usize> {
    list.iter().take(10).map(|h| h.doc as usize).collect()
}

/// Top 10 of each query after fusing its keyword and vector lists with `f`.
pub(super) fn fused_lists(
    keyword: &[Vec<Scored>],
    vector: &[Vec<Scored>],
    f: &FusionConfig,
) -> Vec<Vec<usize>> {
    keyword
        .iter()
        .zip(vector)
        .map(|(k, v)| {
            fuse(k, v, f)
                .iter()
                .take(10)
                .map(|h| h.doc as usize)
                .collect()
        })
        .collect()
}

/// Appends one JSON line for a data set: its queries with target, halves and ranked lists.
pub(super) fn dump(path: &Path, data: &Dataset, runs: &Runs) -> Result<()> {
    use std::io::Write;
    let pairs = |l: &[Scored]| -> Vec<(u32, f32)> { l.iter().map(|h| (h.doc, h.score)).collect() };
    let queries: Vec<serde_json::Value> = data
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let vectors: serde_json::Map<String, serde_json::Value> = runs
                .vector
                .iter()
                .map(|(label, _, lists)| (label.to_string(), serde_json::json!(pairs(&lists[i]))))
                .collect();
            serde_json::json!({"target": q.target, "tune": q.tune, "report": q.report,
                "keyword": pairs(&runs.keyword[i]), "vector": vectors})
        })
        .collect();
    let line = serde_json::json!({"name": data.name, "queries": queries});
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(file, "{line}")?;
    Ok(())
}
