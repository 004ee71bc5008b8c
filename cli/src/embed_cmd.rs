//! `pilotfish distill` and `pilotfish embed-eval`: build the static token table from the MiniLM
//! model natively, and measure both local embedders for quality (MRR@10 on CoSQA with an exact
//! cosine scan) and speed (chunks per second). IO lives here; the engine only computes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::embed::Embedder;
use engine::embed::minilm::{MiniLm, MiniLmConfig};
use engine::embed::static_table::{DistillConfig, StaticTable, build_rows, distill_raw};
use serde::Deserialize;

/// Build the static token-embedding table from the transformer.
#[derive(Debug, clap::Args)]
pub struct DistillArgs {
    /// Folder holding model.safetensors, config.json and tokenizer.json.
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: PathBuf,
    /// Where to write the table.
    #[arg(long)]
    pub out: PathBuf,
    /// SIF coefficient: smaller silences frequent tokens harder.
    #[arg(long, default_value_t = DistillConfig::default().sif_coefficient)]
    pub sif: f32,
    /// Keep the common direction of the token vectors (skip centring).
    #[arg(long)]
    pub no_center: bool,
    /// Vocabulary tokens per forward pass.
    #[arg(long, default_value_t = 512)]
    pub batch: usize,
    /// Cache of the raw per-token model outputs (f32), reused when present so that re-weighting
    /// does not re-run the model. Defaults to `<out>.raw`.
    #[arg(long)]
    pub raw_cache: Option<PathBuf>,
}

/// Measure the local embedders on CoSQA: MRR@10, recall@10 and chunks/s.
#[derive(Debug, clap::Args)]
pub struct EmbedEvalArgs {
    /// Model folder; evaluates the transformer when given.
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Static table file; evaluates it when given.
    #[arg(long)]
    pub table: Option<PathBuf>,
    /// Skip the transformer even when a model folder is known (it takes minutes on CoSQA).
    #[arg(long)]
    pub skip_transformer: bool,
    /// The CoSQA folder (code_idx_map.txt, cosqa-retrieval-dev-500.json).
    #[arg(long, default_value = "../shared/data/cosqa")]
    pub data: PathBuf,
    /// Transformer truncation, in tokens.
    #[arg(long, default_value_t = MiniLmConfig::default().max_tokens)]
    pub max_tokens: usize,
    /// Chunks embedded in the static table's speed run (the corpus repeated as needed).
    #[arg(long, default_value_t = 10_000)]
    pub speed_chunks: usize,
}

pub fn distill(args: &DistillArgs) -> Result<()> {
    let tokenizer_json = read(&args.model.join("tokenizer.json"))?;
    let raw_cache = args
        .raw_cache
        .clone()
        .unwrap_or_else(|| args.out.with_extension("raw"));
    let dims;
    let raw = match read_raw_cache(&raw_cache)? {
        Some((cached_dims, raw)) => {
            eprintln!("reusing raw token vectors from {}", raw_cache.display());
            dims = cached_dims;
            raw
        }
        None => {
            let model = load_model(&args.model, MiniLmConfig::default())?;
            dims = model.dimensions();
            let started = Instant::now();
            let bar = indicatif::ProgressBar::new(0);
            let raw = distill_raw(&model, args.batch, &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })?;
            bar.finish_and_clear();
            eprintln!(
                "embedded {} vocabulary tokens in {:.1} s",
                raw.len() / dims,
                started.elapsed().as_secs_f64()
            );
            write_raw_cache(&raw_cache, dims, &raw)?;
            raw
        }
    };
    let config = DistillConfig {
        sif_coefficient: args.sif,
        center: !args.no_center,
        ..Default::default()
    };
    let rows = build_rows(&raw, dims, &config);
    let table = StaticTable::from_rows("all-MiniLM-L6-v2", &tokenizer_json, dims, &rows)?;
    let bytes = table.to_bytes();
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} rows × {dims}, {:.1} MB, id {})",
        args.out.display(),
        table.rows(),
        bytes.len() as f64 / 1e6,
        table.id()
    );
    Ok(())
}

pub fn embed_eval(args: &EmbedEvalArgs) -> Result<()> {
    let data = CoSqa::load(&args.data)?;
    eprintln!(
        "CoSQA: {} functions, {} queries",
        data.corpus.len(),
        data.queries.len()
    );
    println!("| embedder | MRR@10 | recall@10 | corpus embed (s) | chunks/s | query ms |");
    println!("|---|---|---|---|---|---|");
    if let Some(path) = &args.table {
        let started = Instant::now();
        let table = StaticTable::from_bytes(&read(path)?)?;
        eprintln!(
            "loaded static table in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        report("static table", &evaluate(&table, &data)?);
        let texts: Vec<&str> = data
            .corpus
            .iter()
            .cycle()
            .take(args.speed_chunks)
            .map(String::as_str)
            .collect();
        let started = Instant::now();
        table.embed(&texts)?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "\nstatic table: {} chunks in {seconds:.2} s ({:.0} chunks/s)",
            texts.len(),
            texts.len() as f64 / seconds
        );
    }
    match (&args.model, args.skip_transformer) {
        (Some(dir), false) => {
            let config = MiniLmConfig {
                max_tokens: args.max_tokens,
                ..Default::default()
            };
            let model = load_model(dir, config)?;
            report(
                &format!("MiniLM-L6 (max {} tokens)", args.max_tokens),
                &evaluate(&model, &data)?,
            );
        }
        (None, false) if args.table.is_none() => {
            bail!(
                "nothing to evaluate: pass --model DIR (or set PILOTFISH_MODEL_DIR) and/or --table FILE"
            )
        }
        _ => {}
    }
    Ok(())
}

fn load_model(dir: &Path, config: MiniLmConfig) -> Result<MiniLm> {
    let model = MiniLm::from_bytes(
        &read(&dir.join("model.safetensors"))?,
        &read(&dir.join("config.json"))?,
        &read(&dir.join("tokenizer.json"))?,
        config,
    )?;
    Ok(model)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The raw cache is `dims` (u32 LE) then `rows × dims` f32 LE; only this command reads it.
fn read_raw_cache(path: &Path) -> Result<Option<(usize, Vec<f32>)>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    if bytes.len() < 4 || !(bytes.len() - 4).is_multiple_of(4) {
        bail!(
            "{} is not a raw token-vector cache; delete it",
            path.display()
        );
    }
    let dims = u32::from_le_bytes(bytes[..4].try_into()?) as usize;
    let raw: Vec<f32> = bytes[4..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    if dims == 0 || !raw.len().is_multiple_of(dims) {
        bail!(
            "{} is not a raw token-vector cache; delete it",
            path.display()
        );
    }
    Ok(Some((dims, raw)))
}

fn write_raw_cache(path: &Path, dims: usize, raw: &[f32]) -> Result<()> {
    let mut bytes = Vec::with_capacity(4 + raw.len() * 4);
    bytes.extend_from_slice(&(dims as u32).to_le_bytes());
    raw.iter()
        .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// CoSQA dev: a corpus of Python functions and web queries, each with one relevant function.
struct CoSqa {
    corpus: Vec<String>,
    queries: Vec<(String, usize)>,
}

#[derive(Deserialize)]
struct CoSqaQuery {
    doc: String,
    retrieval_idx: usize,
}

impl CoSqa {
    fn load(dir: &Path) -> Result<Self> {
        let map: std::collections::HashMap<String, usize> =
            serde_json::from_slice(&read(&dir.join("code_idx_map.txt"))?)
                .context("parsing code_idx_map.txt")?;
        let mut corpus = vec![String::new(); map.len()];
        for (code, idx) in map {
            let slot = corpus
                .get_mut(idx)
                .with_context(|| format!("code id {idx} out of range"))?;
            *slot = code;
        }
        let queries: Vec<CoSqaQuery> =
            serde_json::from_slice(&read(&dir.join("cosqa-retrieval-dev-500.json"))?)
                .context("parsing cosqa-retrieval-dev-500.json")?;
        let queries = queries
            .into_iter()
            .map(|q| (q.doc, q.retrieval_idx))
            .collect();
        Ok(Self { corpus, queries })
    }
}

struct Scores {
    mrr10: f64,
    recall10: f64,
    corpus_seconds: f64,
    chunks: usize,
    query_ms: f64,
}

fn report(name: &str, s: &Scores) {
    println!(
        "| {name} | {:.3} | {:.3} | {:.2} | {:.0} | {:.3} |",
        s.mrr10,
        s.recall10,
        s.corpus_seconds,
        s.chunks as f64 / s.corpus_seconds,
        s.query_ms
    );
}

/// Embeds the corpus and the queries and ranks with an exact cosine scan (vectors are unit length,
/// so a dot product): the reference the vector indexes are measured against.
fn evaluate(embedder: &dyn Embedder, data: &CoSqa) -> Result<Scores> {
    let texts: Vec<&str> = data.corpus.iter().map(String::as_str).collect();
    let bar = indicatif::ProgressBar::new(texts.len() as u64);
    let started = Instant::now();
    let mut corpus = Vec::with_capacity(texts.len());
    for batch in texts.chunks(256) {
        corpus.extend(embedder.embed(batch)?);
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    let corpus_seconds = started.elapsed().as_secs_f64();
    let query_texts: Vec<&str> = data.queries.iter().map(|(q, _)| q.as_str()).collect();
    let started = Instant::now();
    let queries = embedder.embed(&query_texts)?;
    let query_ms = started.elapsed().as_secs_f64() * 1e3 / queries.len().max(1) as f64;
    let (mut mrr, mut hits) = (0.0, 0usize);
    for (query, (_, target)) in queries.iter().zip(&data.queries) {
        let rank = rank_of(query, &corpus, *target);
        if rank <= 10 {
            mrr += 1.0 / rank as f64;
            hits += 1;
        }
    }
    let n = data.queries.len().max(1) as f64;
    Ok(Scores {
        mrr10: mrr / n,
        recall10: hits as f64 / n,
        corpus_seconds,
        chunks: texts.len(),
        query_ms,
    })
}

/// 1-based rank of `target` under dot-product scores; ties count against the target.
fn rank_of(query: &[f32], corpus: &[Vec<f32>], target: usize) -> usize {
    let dot = |v: &[f32]| query.iter().zip(v).map(|(a, b)| a * b).sum::<f32>();
    let score = dot(&corpus[target]);
    1 + corpus
        .iter()
        .enumerate()
        .filter(|&(i, v)| i != target && dot(v) >= score)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_counts_better_and_tied_documents() {
        let corpus = vec![
            vec![1.0, 0.0],
            vec![0.6, 0.8],
            vec![0.0, 1.0],
            vec![0.6, 0.8],
        ];
        let query = [0.0, 1.0];
        assert_eq!(rank_of(&query, &corpus, 2), 1);
        // Documents 1 and 3 tie: each ranks below the other.
        assert_eq!(rank_of(&query, &corpus, 1), 3);
        assert_eq!(rank_of(&query, &corpus, 0), 4);
    }

    #[test]
    fn raw_cache_round_trips_and_rejects_garbage() {
        let dir = std::env::temp_dir().join(format!("pf-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.raw");
        assert!(read_raw_cache(&path).unwrap().is_none());
        write_raw_cache(&path, 2, &[1.0, -2.0, 0.5, 4.0]).unwrap();
        assert_eq!(
            read_raw_cache(&path).unwrap(),
            Some((2, vec![1.0, -2.0, 0.5, 4.0]))
        );
        std::fs::write(&path, [1, 2, 3]).unwrap();
        assert!(read_raw_cache(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
