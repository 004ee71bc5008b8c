//! `pilotfish bench-vector`: native speed and recall of the vector indexes, on the same data the
//! browser benchmark (`tests/bench/vector.mjs`) uses, so the two can be read side by side.
//!
//! Data: the cached MiniLM vectors of CoSQA's 6,267 functions. The first 6,000 are the 6k corpus;
//! the last 267 are held out as queries. Larger corpora are synthesised from the 6k corpus with
//! [`synthetic`] (the browser page uses the same recipe and seed): each vector is a random convex
//! mix of two real vectors plus a little uniform noise, normalised. They are never written to disk.
//!
//! Measured per corpus: f32 exact scan, int8 scan + f32 re-rank, binary (Hamming) prefilter +
//! int8 + f32 re-rank, HNSW (instant-distance, `select_heuristic(None)`, seeded): build time,
//! queries/s, recall@10 against the f32 scan. `--binary-sweep` adds a table of the binary
//! prefilter's recall and speed per shortlist size, which is how its default was chosen.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use engine::search::binary::default_candidates;
use engine::search::hnsw::{HnswConfig, HnswIndex};
use engine::search::{ExactIndex, Scored};

/// Vectors in the CoSQA corpus cache that form the 6k corpus; the rest are queries.
pub const CORPUS: usize = 6000;
/// Seed of the synthetic corpus recipe (shared with `tests/bench/vector.mjs`).
pub const SYNTHETIC_SEED: u32 = 0x5eed_0001;
/// Re-rank depth of the int8 scan (candidates re-scored in f32) used by the benchmarks.
pub const RERANK: usize = 40;

#[derive(Debug, clap::Args)]
pub struct BenchVectorArgs {
    /// The MiniLM corpus vector cache written by `pilotfish eval --model`.
    #[arg(long, default_value = ".cache/embed/cosqa-minilm-vectors.bin")]
    pub vectors: PathBuf,
    /// Corpus sizes to measure (6000 is the real corpus, larger ones are synthesised).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "6000,5000,10000,20000,50000,100000"
    )]
    pub sizes: Vec<usize>,
    /// Minimum measuring time per (index, size), in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub min_ms: u64,
    #[arg(long, default_value_t = 100)]
    pub ef_construction: usize,
    #[arg(long, default_value_t = 100)]
    pub ef_search: usize,
    /// Skip HNSW above this size (its build dominates the run time).
    #[arg(long, default_value_t = 100_000)]
    pub hnsw_max: usize,
    /// Shortlist sizes of the binary prefilter to sweep (recall and q/s per size).
    #[arg(long, value_delimiter = ',')]
    pub binary_sweep: Vec<usize>,
}

/// Reads the cache: a header line with the embedder id, then little-endian f32 rows of 384.
pub fn read_cache(path: &std::path::Path) -> Result<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "reading {} (create it with `pilotfish eval --model ...`)",
            path.display()
        )
    })?;
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .context("vector cache has no header line")?;
    let body = &bytes[newline + 1..];
    let dims = 384;
    ensure!(
        body.len() % (dims * 4) == 0 && !body.is_empty(),
        "vector cache body of {} bytes is not a whole number of {dims}-d f32 rows",
        body.len()
    );
    Ok(body
        .chunks_exact(dims * 4)
        .map(|row| {
            row.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect())
}

/// mulberry32: a tiny PRNG chosen because JS can reproduce it exactly with `Math.imul`.
struct Mulberry32(u32);

impl Mulberry32 {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6d2b_79f5);
        let a = self.0;
        let mut t = (a ^ (a >> 15)).wrapping_mul(1 | a);
        t = t.wrapping_add((t ^ (t >> 7)).wrapping_mul(61 | t)) ^ t;
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }
}

/// `n` synthetic unit vectors from `base`: `w·a + (1−w)·b + 0.02·u`, w ∈ [0.5, 1), u uniform in
/// [−1, 1) per component, then normalised (computed in f64, stored as f32).
pub fn synthetic(base: &[Vec<f32>], n: usize, seed: u32) -> Vec<Vec<f32>> {
    let mut rng = Mulberry32(seed);
    let dims = base[0].len();
    (0..n)
        .map(|_| {
            let a = &base[(rng.next() * base.len() as f64) as usize];
            let b = &base[(rng.next() * base.len() as f64) as usize];
            let w = 0.5 + 0.5 * rng.next();
            let mut v: Vec<f64> = (0..dims)
                .map(|d| {
                    w * f64::from(a[d])
                        + (1.0 - w) * f64::from(b[d])
                        + 0.02 * (2.0 * rng.next() - 1.0)
                })
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            v.into_iter().map(|x| x as f32).collect()
        })
        .collect()
}

/// Runs every query repeatedly for at least `min`; returns queries/s and the last answers.
fn time_queries(
    queries: &[Vec<f32>],
    min: Duration,
    mut search: impl FnMut(&[f32]) -> Vec<Scored>,
) -> (f64, Vec<Vec<Scored>>) {
    let mut answers;
    let mut done = 0usize;
    let start = Instant::now();
    loop {
        answers = queries.iter().map(|q| search(q)).collect();
        done += queries.len();
        if start.elapsed() >= min {
            break;
        }
    }
    (done as f64 / start.elapsed().as_secs_f64(), answers)
}

fn recall_at_10(truth: &[Vec<Scored>], got: &[Vec<Scored>]) -> f64 {
    let mut found = 0;
    for (t, g) in truth.iter().zip(got) {
        found += g
            .iter()
            .take(10)
            .filter(|h| t.iter().take(10).any(|x| x.doc == h.doc))
            .count();
    }
    found as f64 / (truth.len() * 10) as f64
}

pub fn run(args: &BenchVectorArgs) -> Result<()> {
    let all = read_cache(&args.vectors)?;
    ensure!(
        all.len() > CORPUS,
        "vector cache holds {} vectors, need more than {CORPUS}",
        all.len()
    );
    let (base, queries) = all.split_at(CORPUS);
    let max = args.sizes.iter().copied().max().unwrap_or(0);
    let synth = if max > CORPUS {
        synthetic(base, max, SYNTHETIC_SEED)
    } else {
        Vec::new()
    };
    let min = Duration::from_millis(args.min_ms);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "native, {} queries (held-out CoSQA MiniLM vectors), 384-d, k=10, int8 re-rank {RERANK}, HNSW ef_construction {} ef_search {} (build on {} threads via rayon unless RAYON_NUM_THREADS is set)\n",
        queries.len(),
        args.ef_construction,
        args.ef_search,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| threads.to_string()),
    );
    println!(
        "| corpus | vectors | f32 scan q/s | f32 GB/s | int8 scan q/s | int8 recall@10 | binary shortlist | binary q/s | binary recall@10 | HNSW build s | HNSW q/s | HNSW recall@10 |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut sweeps = Vec::new();
    for &n in &args.sizes {
        let (label, data): (&str, &[Vec<f32>]) = if n == CORPUS {
            ("CoSQA MiniLM", base)
        } else {
            ("synthetic mix", &synth[..n.min(synth.len())])
        };
        let mut exact = ExactIndex::new(384);
        for (i, v) in data.iter().enumerate() {
            exact.insert(i as u32, v)?;
        }
        let (f32_qps, truth) = time_queries(queries, min, |q| {
            exact.search(q, 10, |_| true).unwrap_or_default()
        });
        let gbs = f32_qps * (data.len() * 384 * 4) as f64 / 1e9;
        let (i8_qps, quantized) = time_queries(queries, min, |q| {
            exact
                .search_quantized(q, 10, RERANK, |_| true)
                .unwrap_or_default()
        });
        let shortlist = default_candidates(10, data.len());
        let (bin_qps, binary) = time_queries(queries, min, |q| {
            exact
                .search_binary(q, 10, shortlist, RERANK, |_| true)
                .unwrap_or_default()
        });
        for &candidates in &args.binary_sweep {
            let (qps, got) = time_queries(queries, min, |q| {
                exact
                    .search_binary(q, 10, candidates, RERANK, |_| true)
                    .unwrap_or_default()
            });
            sweeps.push(format!(
                "| {} | {candidates} | {qps:.0} | {:.4} |",
                data.len(),
                recall_at_10(&truth, &got)
            ));
        }
        let hnsw_cells = if n <= args.hnsw_max {
            let config = HnswConfig {
                ef_construction: args.ef_construction,
                ef_search: args.ef_search,
                crossover: 0,
                ..HnswConfig::default()
            };
            let t = Instant::now();
            let hnsw = HnswIndex::build(&exact, config);
            let build = t.elapsed().as_secs_f64();
            let (qps, got) = time_queries(queries, min, |q| hnsw.search(&exact, q, 10, |_| true));
            format!("{build:.2} | {qps:.0} | {:.4}", recall_at_10(&truth, &got))
        } else {
            "– | – | –".to_string()
        };
        println!(
            "| {label} | {} | {f32_qps:.0} | {gbs:.1} | {i8_qps:.0} | {:.4} | {shortlist} | {bin_qps:.0} | {:.4} | {hnsw_cells} |",
            data.len(),
            recall_at_10(&truth, &quantized),
            recall_at_10(&truth, &binary)
        );
    }
    if !sweeps.is_empty() {
        println!("\nbinary prefilter sweep (int8 re-rank {RERANK})\n");
        println!("| vectors | shortlist | q/s | recall@10 |");
        println!("| ---: | ---: | ---: | ---: |");
        sweeps.iter().for_each(|line| println!("{line}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mulberry32_matches_the_js_reference_stream() {
        // First outputs of mulberry32(1) as computed by the JS implementation in vector.mjs.
        let mut rng = Mulberry32(1);
        let got: Vec<u32> = (0..3)
            .map(|_| (rng.next() * 4_294_967_296.0) as u32)
            .collect();
        assert_eq!(got, [2_693_262_067, 11_749_833, 2_265_367_787]);
    }

    #[test]
    fn synthetic_vectors_are_unit_length_and_deterministic() {
        let base = vec![vec![1.0f32, 0.0, 0.0], vec![0.0, 1.0, 0.0]];
        let a = synthetic(&base, 5, 7);
        assert_eq!(a, synthetic(&base, 5, 7));
        for v in &a {
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }
}
