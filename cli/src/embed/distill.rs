//! `pilotfish distill`: the static token table from the transformer. Every vocabulary token is
//! run through MiniLM once (minutes; the raw outputs are cached so re-weighting with another
//! `--sif` or `--pca` does not run the model again), then the lab turns the raw vectors into table
//! rows (SIF weighting, centring, optional PCA).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use engine::embed::Embedder;
use engine::embed::minilm::MiniLmConfig;
use lab::distill::{DistillConfig, build_rows, distill_raw};
use lab::fit::project_rows;

use super::raw_cache::{read_raw_cache, write_raw_cache};
use super::{load_model, read, write_table};

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
    /// Project the rows to this many principal directions (smaller table, faster scan).
    #[arg(long)]
    pub pca: Option<usize>,
}

pub fn run(args: &DistillArgs) -> Result<()> {
    // Read first: a missing tokenizer should fail before minutes of model time, not after.
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
    let mut rows = build_rows(&raw, dims, &config);
    let mut dims = dims;
    if let Some(out_dims) = args.pca {
        rows = project_rows(&rows, dims, out_dims)?;
        dims = out_dims;
    }
    write_table(&tokenizer_json, &args.out, dims, &rows)
}
