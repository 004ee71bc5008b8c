//! `pilotfish eval`: end-to-end retrieval quality, one side-by-side table. Data sets: CoSQA dev
//! (500 web queries over 6,267 Python functions) and CodeSearchNet-style docstring-query sets
//! extracted from the real packages `cargo xtask bench` fetches into `.cache/corpus` (Python,
//! JavaScript, TypeScript, Go, and their union). Retrievers: BM25, then vector-only and hybrid for
//! every embedder available (hashed always; the static table with `--table`; MiniLM with `--model`,
//! its vectors cached by content hash in `.cache/embed/` so reruns are instant).
//!
//! Every set, CoSQA dev included, reports on one half of its queries; `--tune` grids the fusion
//! settings on the other half ([`lab::split`]) and prints the best per embedder, so presets are
//! never scored on the queries they were fitted to. Also measures incremental re-indexing in a ≥ 100k-line project.
//! Use a release build for the numbers you report.
//!
//! This module holds the arguments and the run that ties the parts together: the data sets
//! ([`dataset`], [`cosqa`], [`docstring_sets`]), the embedders under test ([`candidate`]), the
//! ranked lists per query ([`runs`]), fusion tuning ([`tune`]), the output ([`table`]) and the
//! incremental-indexing measurement ([`incremental`]).

mod candidate;
mod cosqa;
mod dataset;
mod docstring_sets;
mod incremental;
mod runs;
mod table;
mod tune;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use engine::embed::hashed::HashedEmbedder;
use engine::embed::static_table::StaticTable;
use engine::search::presets::fusion_for;
use lab::cosqa::Cosqa;
use lab::vector_cache::VectorCache;

use candidate::Candidate;
use dataset::Query;
use runs::{fused_lists, run_dataset, score, top10};
use table::Cell;

/// Measure retrieval quality (CoSQA dev + docstring-query sets) and incremental indexing.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folder with code_idx_map.txt and cosqa-retrieval-dev-500.json.
    #[arg(long, env = "PILOTFISH_COSQA", default_value = "../shared/data/cosqa")]
    pub data: PathBuf,
    /// Folder of fetched packages (`cargo xtask bench retrieval` fills it); missing packages are
    /// skipped with a note.
    #[arg(long, default_value = ".cache/corpus")]
    pub corpus: PathBuf,
    /// Also measure the static token table in this file (`pilotfish distill`).
    #[arg(long)]
    pub table: Option<PathBuf>,
    /// Also measure the MiniLM transformer from this model folder.
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Folder of the transformer's vector cache (by content hash).
    #[arg(long, default_value = ".cache/embed")]
    pub cache_dir: PathBuf,
    /// Grid the fusion settings on the tuning halves of the data sets, per embedder.
    #[arg(long)]
    pub tune: bool,
    /// Skip the incremental-indexing measurement.
    #[arg(long)]
    pub no_incremental: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write every query's ranked lists (BM25 and each embedder, top 100 with scores) as JSON
    /// lines, one per data set, for fusion experiments outside the engine.
    #[arg(long)]
    pub dump_runs: Option<PathBuf>,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let mut notes = Vec::new();
    let cosqa = Cosqa::load(&args.data)?;
    let mut datasets = vec![cosqa::dataset(&cosqa)];
    datasets.extend(docstring_sets::datasets(&args.corpus, &mut notes)?);

    let hashed = HashedEmbedder::default();
    let table = match &args.table {
        Some(path) => Some(
            StaticTable::from_bytes(
                &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            )
            .with_context(|| format!("loading the static table {}", path.display()))?,
        ),
        None => None,
    };
    let model = match &args.model {
        Some(dir) => Some(crate::model::load_minilm(dir)?),
        None => None,
    };
    let mut candidates = vec![Candidate {
        label: "hashed",
        embedder: &hashed,
        cache: None,
    }];
    if let Some(t) = &table {
        candidates.push(Candidate {
            label: "static",
            embedder: t,
            cache: None,
        });
    }
    if let Some(m) = &model {
        let path = args.cache_dir.join("minilm-vectors.pfv");
        let mut cache = VectorCache::load_for(&path, m);
        cosqa::seed_from_legacy_cache(&mut cache, &args.cache_dir, &cosqa);
        candidates.push(Candidate {
            label: "MiniLM",
            embedder: m,
            cache: Some((path, cache)),
        });
    }

    let mut cells = Vec::new();
    let mut tuning = Vec::new();
    for data in &datasets {
        let t = Instant::now();
        let runs = run_dataset(data, &mut candidates)?;
        if let Some(path) = &args.dump_runs {
            runs::dump(path, data, &runs)?;
        }
        let keyword_lists: Vec<Vec<usize>> = runs.keyword.iter().map(|l| top10(l)).collect();
        let report = |q: &Query| q.report;
        cells.push(Cell {
            dataset: data.name.clone(),
            retriever: "keyword (BM25)".into(),
            quality: score(data, &keyword_lists, report),
        });
        for (label, id, lists) in &runs.vector {
            let vector_lists: Vec<Vec<usize>> = lists.iter().map(|l| top10(l)).collect();
            cells.push(Cell {
                dataset: data.name.clone(),
                retriever: format!("vector ({label})"),
                quality: score(data, &vector_lists, report),
            });
            let preset = fusion_for(id);
            cells.push(Cell {
                dataset: data.name.clone(),
                retriever: format!("hybrid (BM25 + {label})"),
                quality: score(data, &fused_lists(&runs.keyword, lists, &preset), report),
            });
        }
        notes.push(format!(
            "{}: {} queries reported ({} tuned on), {} documents, measured in {:.1?}",
            data.name,
            data.queries.iter().filter(|q| q.report).count(),
            data.queries.iter().filter(|q| q.tune).count(),
            data.docs.len(),
            t.elapsed()
        ));
        // The union repeats the per-language sets; tune on the parts only.
        if args.tune && data.name != "docstrings (all)" {
            tuning.push((data.name.clone(), tune::grid_margins(data, &runs)));
        }
    }
    if let Some((_, cache)) = candidates.iter().find_map(|c| c.cache.as_ref()) {
        cosqa::export_vectors(cache, &args.cache_dir, &cosqa)?;
    }
    if args.tune {
        tune::print(&tuning);
    }
    let incremental = if args.no_incremental {
        None
    } else {
        Some(incremental::measure(&args.corpus, &cosqa)?)
    };
    if args.json {
        table::print_json(&cells)?;
    } else {
        table::print(&datasets, &cells);
        for note in &notes {
            println!("- {note}");
        }
        for c in &candidates {
            println!(
                "- fusion preset for {} ({}): {}",
                c.label,
                c.embedder.id(),
                fusion_for(c.embedder.id())
            );
        }
        if let Some(text) = incremental {
            println!("\n{text}");
        }
    }
    Ok(())
}

/// Every file under `dir`, recursively, in sorted order (so data sets and the incremental
/// project are the same from run to run).
pub(super) fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
