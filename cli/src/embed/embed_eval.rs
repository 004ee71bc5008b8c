//! `pilotfish embed-eval`: the local embedders measured on CoSQA dev (loaded with
//! [`lab::cosqa`]) with an exact cosine scan, the reference the vector indexes are measured
//! against, so the score is the embedder's alone. One Markdown row per embedder (MRR@10,
//! recall@10, corpus time, chunks/s, query latency), plus the static table's raw speed and,
//! with `--asymmetric`, static documents searched with transformer queries.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use engine::embed::Embedder;
use engine::embed::minilm::MiniLmConfig;
use engine::embed::static_table::StaticTable;
use lab::cosqa::Cosqa;

use super::{load_model, read};

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
    /// Also measure asymmetric search: documents embedded with the static table, queries with
    /// the transformer (needs --table and --model; only meaningful for a table in the
    /// transformer's space, such as a fitted one).
    #[arg(long)]
    pub asymmetric: bool,
}

pub fn run(args: &EmbedEvalArgs) -> Result<()> {
    let data = Cosqa::load(&args.data)?;
    eprintln!(
        "CoSQA: {} functions, {} queries",
        data.code.len(),
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
        report("static table", &evaluate(&table, &table, &data)?);
        if let (true, Some(dir)) = (args.asymmetric, &args.model) {
            let config = MiniLmConfig {
                max_tokens: args.max_tokens,
                ..Default::default()
            };
            let model = load_model(dir, config)?;
            report(
                "static docs + transformer queries",
                &evaluate(&table, &model, &data)?,
            );
        }
        let texts: Vec<&str> = data
            .code
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
                &evaluate(&model, &model, &data)?,
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

/// One embedder's row of the table.
struct Scores {
    mrr10: f64,
    recall10: f64,
    corpus_seconds: f64,
    chunks: usize,
    query_ms: f64,
}

/// Prints one Markdown row; chunks/s counts corpus embedding only, queries are timed apart.
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
fn evaluate(embedder: &dyn Embedder, queries: &dyn Embedder, data: &Cosqa) -> Result<Scores> {
    let texts: Vec<&str> = data.code.iter().map(String::as_str).collect();
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
    let queries = queries.embed(&query_texts)?;
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
}
