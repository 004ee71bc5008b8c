//! `pilotfish eval`: retrieval quality and speed on CoSQA dev (500 web queries over 6,267 Python
//! functions): MRR@10 and recall@10 for keyword, hashed-vector and hybrid search, plus build time
//! and queries per second; with `--model DIR` also the MiniLM transformer alone and fused with
//! BM25. Use a release build for numbers you report.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::project::{DENSE_FUSION, HASHED_FUSION};
use engine::search::eval::{Quality, quality};
use engine::search::{Bm25Doc, Bm25Index, ExactIndex, FusionConfig, Scored, fuse};

/// Measure retrieval on CoSQA dev.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folder with code_idx_map.txt and cosqa-retrieval-dev-500.json.
    #[arg(long, env = "PILOTFISH_COSQA", default_value = "../shared/data/cosqa")]
    pub data: PathBuf,
    /// Keyword weight in the fusion (default: the tuned hashed-embedder setting).
    #[arg(long)]
    pub keyword_weight: Option<f32>,
    /// RRF k (default: the tuned setting).
    #[arg(long)]
    pub rrf_k: Option<f32>,
    /// Also measure the MiniLM transformer (vector-only and hybrid) from this model folder.
    /// Embedding the 6,267 functions takes minutes; the vectors are cached (`--vectors-cache`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Cache of the transformer's corpus vectors, reused when it matches the model and corpus.
    #[arg(long, default_value = ".cache/embed/cosqa-minilm-vectors.bin")]
    pub vectors_cache: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub struct Cosqa {
    pub code: Vec<String>,
    pub queries: Vec<(String, usize)>,
}

pub fn load_cosqa(dir: &std::path::Path) -> Result<Cosqa> {
    let map_path = dir.join("code_idx_map.txt");
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(
        &std::fs::read(&map_path).with_context(|| format!("reading {}", map_path.display()))?,
    )
    .context("code_idx_map.txt is not a JSON object")?;
    let mut code = vec![String::new(); map.len()];
    for (text, id) in map {
        let id = id.as_u64().context("code id is not an integer")? as usize;
        *code.get_mut(id).context("code id out of range")? = text;
    }
    let dev_path = dir.join("cosqa-retrieval-dev-500.json");
    let dev: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(&dev_path).with_context(|| format!("reading {}", dev_path.display()))?,
    )
    .context("dev file is not a JSON array")?;
    let mut queries = Vec::new();
    for q in dev {
        queries.push((
            q["doc"].as_str().context("query without doc")?.to_string(),
            q["retrieval_idx"]
                .as_u64()
                .context("query without retrieval_idx")? as usize,
        ));
    }
    Ok(Cosqa { code, queries })
}

/// The function name of a Python `def`.
pub fn function_name(code: &str) -> &str {
    code.split_once("def ")
        .and_then(|(_, rest)| rest.split(|c: char| c == '(' || c.is_whitespace()).next())
        .unwrap_or("")
}

fn top10(list: &[Scored]) -> Vec<usize> {
    list.iter().take(10).map(|h| h.doc as usize).collect()
}

pub fn run(args: EvalArgs) -> Result<()> {
    let data = load_cosqa(&args.data)?;
    let relevant: Vec<usize> = data.queries.iter().map(|q| q.1).collect();

    let t = Instant::now();
    let mut bm25 = Bm25Index::default();
    for (id, code) in data.code.iter().enumerate() {
        let name = function_name(code);
        bm25.insert(
            id as u32,
            &Bm25Doc {
                name,
                qualified_name: name,
                path: "",
                body: code,
            },
        );
    }
    let bm25_build = t.elapsed();
    let t = Instant::now();
    let keyword: Vec<Vec<Scored>> = data
        .queries
        .iter()
        .map(|(q, _)| bm25.search(q, 100, |_| true))
        .collect();
    let bm25_qps = data.queries.len() as f64 / t.elapsed().as_secs_f64();

    let embedder = HashedEmbedder::default();
    let t = Instant::now();
    let mut vectors = ExactIndex::new(384);
    for (id, code) in data.code.iter().enumerate() {
        vectors.insert(id as u32, &embedder.embed_one(code))?;
    }
    let embed_time = t.elapsed();
    let t = Instant::now();
    let mut semantic = Vec::new();
    for (q, _) in &data.queries {
        semantic.push(vectors.search(&embedder.embed_one(q), 100, |_| true)?);
    }
    let vector_qps = data.queries.len() as f64 / t.elapsed().as_secs_f64();

    let fusion = FusionConfig {
        keyword_weight: args.keyword_weight.unwrap_or(HASHED_FUSION.keyword_weight),
        vector_weight: 1.0,
        k: args.rrf_k.unwrap_or(HASHED_FUSION.k),
    };
    let hybrid_ranked: Vec<Vec<usize>> = keyword
        .iter()
        .zip(&semantic)
        .map(|(k, v)| {
            fuse(k, v, &fusion)
                .iter()
                .take(10)
                .map(|h| h.doc as usize)
                .collect()
        })
        .collect();

    let mut rows: Vec<(&str, Quality)> = vec![
        (
            "keyword (BM25)",
            quality(
                &keyword.iter().map(|l| top10(l)).collect::<Vec<_>>(),
                &relevant,
            ),
        ),
        (
            "vector (hashed)",
            quality(
                &semantic.iter().map(|l| top10(l)).collect::<Vec<_>>(),
                &relevant,
            ),
        ),
        ("hybrid (weighted RRF)", quality(&hybrid_ranked, &relevant)),
    ];
    let mut dense_note = String::new();
    if let Some(dir) = &args.model {
        let (vector, hybrid, note) = measure_dense(dir, &args.vectors_cache, &data, &keyword)?;
        rows.push(("vector (MiniLM)", vector));
        rows.push(("hybrid (BM25 + MiniLM)", hybrid));
        dense_note = note;
    }
    let project_numbers = measure_project(&data)?;
    if args.json {
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, q)| {
                serde_json::json!({"retriever": name, "queries": q.queries, "mrr_at_10": q.mrr_at_10,
                    "recall_at_1": q.recall_at_1, "recall_at_10": q.recall_at_10})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!(
            "CoSQA dev: {} queries over {} functions",
            data.queries.len(),
            data.code.len()
        );
        println!(
            "{:<24} {:>8} {:>8} {:>10}",
            "retriever", "MRR@10", "R@1", "R@10"
        );
        for (name, q) in &rows {
            println!(
                "{:<24} {:>8.4} {:>8.3} {:>10.3}",
                name, q.mrr_at_10, q.recall_at_1, q.recall_at_10
            );
        }
        println!(
            "BM25 build {bm25_build:.2?}, {bm25_qps:.0} q/s; hashed embed {embed_time:.2?} ({:.0} chunks/s), exact scan {vector_qps:.0} q/s; fusion kw={} k={}",
            data.code.len() as f64 / embed_time.as_secs_f64(),
            fusion.keyword_weight,
            fusion.k
        );
        println!("{project_numbers}");
        if !dense_note.is_empty() {
            println!("{dense_note}");
        }
    }
    Ok(())
}

/// Vector-only and hybrid quality with the MiniLM transformer, plus a small grid over the fusion
/// settings (printed, so `DENSE_FUSION` can be re-tuned) and the check that the shipped
/// `DENSE_FUSION` hybrid is not below the best single retriever.
fn measure_dense(
    dir: &std::path::Path,
    cache: &std::path::Path,
    data: &Cosqa,
    keyword: &[Vec<Scored>],
) -> Result<(Quality, Quality, String)> {
    let relevant: Vec<usize> = data.queries.iter().map(|q| q.1).collect();
    let model = crate::model::load_minilm(dir)?;
    let t = Instant::now();
    let corpus = match read_vectors(cache, model.id(), data.code.len(), model.dimensions()) {
        Some(v) => v,
        None => {
            let mut out = Vec::with_capacity(data.code.len());
            // Batches of 256 texts: MiniLm sorts each call by length, and progress shows between.
            for batch in data.code.chunks(256) {
                let texts: Vec<&str> = batch.iter().map(String::as_str).collect();
                out.extend(model.embed(&texts)?);
                eprint!("\rMiniLM: {}/{} functions", out.len(), data.code.len());
            }
            eprintln!();
            write_vectors(cache, model.id(), model.dimensions(), &out)?;
            out
        }
    };
    let embed_time = t.elapsed();
    let mut index = ExactIndex::new(model.dimensions());
    for (id, v) in corpus.iter().enumerate() {
        index.insert(id as u32, v)?;
    }
    let t = Instant::now();
    let texts: Vec<&str> = data.queries.iter().map(|(q, _)| q.as_str()).collect();
    let query_vectors = model.embed(&texts)?;
    let query_time = t.elapsed() / texts.len().max(1) as u32;
    let mut dense = Vec::new();
    for v in &query_vectors {
        dense.push(index.search(v, 100, |_| true)?);
    }
    let keyword_q = quality(
        &keyword.iter().map(|l| top10(l)).collect::<Vec<_>>(),
        &relevant,
    );
    let vector_q = quality(
        &dense.iter().map(|l| top10(l)).collect::<Vec<_>>(),
        &relevant,
    );
    let hybrid_at = |fusion: &FusionConfig| {
        let ranked: Vec<Vec<usize>> = keyword
            .iter()
            .zip(&dense)
            .map(|(k, v)| {
                fuse(k, v, fusion)
                    .iter()
                    .take(10)
                    .map(|h| h.doc as usize)
                    .collect()
            })
            .collect();
        quality(&ranked, &relevant)
    };
    let mut grid = String::from("dense fusion grid (keyword weight, k -> MRR@10):");
    for w in [0.02, 0.05, 0.1, 0.2, 0.5, 1.0] {
        for k in [5.0, 10.0, 30.0, 60.0] {
            let q = hybrid_at(&FusionConfig {
                keyword_weight: w,
                vector_weight: 1.0,
                k,
            });
            grid.push_str(&format!(" {w}/{k}->{:.4}", q.mrr_at_10));
        }
    }
    let hybrid_q = hybrid_at(&DENSE_FUSION);
    let best = keyword_q.mrr_at_10.max(vector_q.mrr_at_10);
    let note = format!(
        "MiniLM ({}) corpus embed {embed_time:.2?} (cache {}), {query_time:.2?} per query; DENSE_FUSION kw={} k={}: hybrid {:.4} {} best single {best:.4}\n{grid}",
        model.id(),
        cache.display(),
        DENSE_FUSION.keyword_weight,
        DENSE_FUSION.k,
        hybrid_q.mrr_at_10,
        if hybrid_q.mrr_at_10 >= best {
            ">="
        } else {
            "< (NOT MET)"
        },
    );
    Ok((vector_q, hybrid_q, note))
}

/// Reads the corpus vector cache: a line with the embedder id, then `count` vectors of `dims`
/// little-endian f32s. Anything that does not match is ignored (and recomputed).
fn read_vectors(
    path: &std::path::Path,
    id: &str,
    count: usize,
    dims: usize,
) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    let header = format!("{id}\n");
    let body = bytes.strip_prefix(header.as_bytes())?;
    if body.len() != count * dims * 4 {
        return None;
    }
    let floats: Vec<f32> = body
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(floats.chunks(dims).map(<[f32]>::to_vec).collect())
}

fn write_vectors(
    path: &std::path::Path,
    id: &str,
    dims: usize,
    vectors: &[Vec<f32>],
) -> Result<()> {
    let mut bytes = format!("{id}\n").into_bytes();
    for v in vectors {
        anyhow::ensure!(
            v.len() == dims,
            "vector of {} dims, expected {dims}",
            v.len()
        );
        bytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Indexes every function as its own file through the full project path (tree-sitter chunking,
/// BM25, hashed vectors), then times what a host feels: re-indexing one edited file, snapshot
/// size, and restore.
fn measure_project(data: &Cosqa) -> Result<String> {
    use engine::project::Project;
    let embedder = HashedEmbedder::default();
    let mut project = Project::default();
    let paths: Vec<String> = (0..data.code.len())
        .map(|i| format!("cosqa/{i}.py"))
        .collect();
    let lines: usize = data.code.iter().map(|c| c.lines().count()).sum();
    let t = Instant::now();
    for (path, code) in paths.iter().zip(&data.code) {
        project.index_file(path, code.as_bytes(), Some(&embedder))?;
    }
    let build = t.elapsed();
    // Re-index edited files (a changed body) and unchanged ones, averaged over 200 files.
    let t = Instant::now();
    for (path, code) in paths.iter().zip(&data.code).take(200) {
        let edited = format!("{code}\n    # edited\n");
        project.index_file(path, edited.as_bytes(), Some(&embedder))?;
    }
    let edit = t.elapsed() / 200;
    let t = Instant::now();
    for (path, code) in paths.iter().zip(&data.code).take(200) {
        let edited = format!("{code}\n    # edited\n");
        project.index_file(path, edited.as_bytes(), Some(&embedder))?;
    }
    let unchanged = t.elapsed() / 200;
    let t = Instant::now();
    let bytes = engine::snapshot::write(&project);
    let write = t.elapsed();
    let t = Instant::now();
    let restored = engine::snapshot::read(&bytes)?;
    let restore = t.elapsed();
    Ok(format!(
        "project: {} files, {lines} lines, {} chunks indexed in {build:.2?} (chunk+BM25+hashed); re-index one edited file {edit:.2?}, unchanged {unchanged:.2?}; snapshot {} bytes ({} per chunk) written in {write:.2?}, restored in {restore:.2?}",
        restored.files(),
        restored.chunks(),
        bytes.len(),
        bytes.len() / restored.chunks().max(1),
    ))
}
