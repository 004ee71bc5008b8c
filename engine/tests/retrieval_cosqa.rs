//! Retrieval quality on CoSQA dev (500 real web queries over 6,267 Python functions, see
//! `../shared/data/cosqa/README.md`): each retriever's MRR@10 is computed for real and must stay
//! above a floor, so a tokenizer or scoring regression fails the build.

use std::path::PathBuf;

use engine::search::eval::{Quality, quality};
use engine::search::{Bm25Doc, Bm25Index};

struct Cosqa {
    /// Function source by id.
    code: Vec<String>,
    /// (query, relevant id)
    queries: Vec<(String, usize)>,
}

fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PILOTFISH_COSQA") {
        return dir.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cosqa")
}

fn load() -> Cosqa {
    let dir = data_dir();
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(
        &std::fs::read(dir.join("code_idx_map.txt")).expect("CoSQA code_idx_map.txt is readable"),
    )
    .expect("code_idx_map.txt is a JSON object");
    let mut code = vec![String::new(); map.len()];
    for (text, id) in map {
        let id = id.as_u64().expect("ids are integers") as usize;
        code[id] = text;
    }
    let dev: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(dir.join("cosqa-retrieval-dev-500.json")).expect("dev file is readable"),
    )
    .expect("dev file is a JSON array");
    let queries = dev
        .iter()
        .map(|q| {
            (
                q["doc"].as_str().expect("doc is a string").to_string(),
                q["retrieval_idx"].as_u64().expect("retrieval_idx") as usize,
            )
        })
        .collect();
    Cosqa { code, queries }
}

/// The function name of a Python `def`, which the keyword index boosts.
fn function_name(code: &str) -> &str {
    code.split_once("def ")
        .and_then(|(_, rest)| rest.split(|c: char| c == '(' || c.is_whitespace()).next())
        .unwrap_or("")
}

fn bm25_quality(data: &Cosqa) -> Quality {
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
