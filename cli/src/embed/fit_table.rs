//! `pilotfish fit-table`: fits the static table to the transformer (tokenlearn-style). The
//! teacher's vectors for the training texts ([`super::training_texts`]) are the targets
//! ([`super::teacher`] caches them); the rows start from the distilled table and are fitted with
//! a cosine loss on every text but one in twenty, which is held out so the reported loss measures
//! generalisation. Optional corpus-SIF re-weighting and PCA follow.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use engine::embed::Embedder;
use engine::embed::minilm::MiniLmConfig;
use engine::embed::static_table::split_identifiers;
use lab::distill::{DistillConfig, build_rows};
use lab::fit::{
    FitConfig, FitData, fit_rows, mean_cosine_loss, project_rows, sif_reweight, texts_key,
    token_counts,
};

use super::raw_cache::raw_token_vectors;
use super::teacher::teacher_vectors;
use super::training_texts::training_texts;
use super::{load_model, read, write_table};

/// Fit the static table to the transformer on a training corpus (tokenlearn-style).
///
/// Texts are the chunks of every source file under the `--corpus` folders (as the index embeds
/// them) plus the first sentence of each docstring, so that both code tokens and natural-language
/// query words are trained. The transformer's vectors for them are cached in
/// `<teacher-dir>/teacher-<hash of the texts>.bin` (resumable: an interrupted run continues where
/// it stopped). The rows start from the distilled table and are fitted with a cosine loss.
/// Training folders must be disjoint from every evaluation set.
#[derive(Debug, clap::Args)]
pub struct FitTableArgs {
    /// Folder holding model.safetensors, config.json and tokenizer.json.
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: PathBuf,
    /// Training source folders (repeatable).
    #[arg(long, required = true)]
    pub corpus: Vec<PathBuf>,
    /// Where to write the fitted table (same format as `distill`).
    #[arg(long)]
    pub out: PathBuf,
    /// Raw per-token cache of `distill` (built when missing). Defaults to `minilm-static.raw`
    /// beside `--out`.
    #[arg(long)]
    pub raw_cache: Option<PathBuf>,
    /// Folder of the teacher-vector cache. Defaults to the folder of `--out`.
    #[arg(long)]
    pub teacher_dir: Option<PathBuf>,
    /// At most this many training texts (an even, deterministic sample when there are more).
    #[arg(long, default_value_t = 40_000)]
    pub max_texts: usize,
    /// Transformer truncation, in tokens (the student sees the same tokens).
    #[arg(long, default_value_t = MiniLmConfig::default().max_tokens)]
    pub max_tokens: usize,
    /// Only embed the texts with the teacher (fill the cache), do not fit.
    #[arg(long)]
    pub teacher_only: bool,
    /// Fit on the texts the teacher cache already holds and embed nothing more (the teacher
    /// goes shortest text first, so an interrupted cache holds the shorter texts).
    #[arg(long, conflicts_with = "teacher_only")]
    pub cached_only: bool,
    /// Passes over the training texts.
    #[arg(long, default_value_t = FitConfig::default().epochs)]
    pub epochs: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = FitConfig::default().learning_rate)]
    pub lr: f32,
    /// Texts per update.
    #[arg(long, default_value_t = FitConfig::default().batch_size)]
    pub batch: usize,
    /// SIF coefficient of the starting rows (as `distill --sif`).
    #[arg(long, default_value_t = DistillConfig::default().sif_coefficient)]
    pub sif: f32,
    /// After fitting, normalise the rows and weight them by SIF with this coefficient, using token
    /// counts measured on the training texts (tokenlearn's post-processing).
    #[arg(long)]
    pub reweight: Option<f32>,
    /// Project the fitted rows to this many principal directions (smaller table, faster scan;
    /// such a table cannot pair with transformer queries).
    #[arg(long)]
    pub pca: Option<usize>,
}

pub fn run(args: &FitTableArgs) -> Result<()> {
    let texts = training_texts(&args.corpus, args.max_texts)?;
    eprintln!("{} training texts", texts.len());
    let model = load_model(
        &args.model,
        MiniLmConfig {
            max_tokens: args.max_tokens,
            ..Default::default()
        },
    )?;
    let dims = model.dimensions();
    let tokenizer = model.tokenizer();
    let encodings = tokenizer
        .encode_batch(texts.clone(), true)
        .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
    let teacher_ids: Vec<Vec<u32>> = encodings.iter().map(|e| e.get_ids().to_vec()).collect();
    let out_dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let teacher_dir = args.teacher_dir.clone().unwrap_or_else(|| out_dir.clone());
    std::fs::create_dir_all(&teacher_dir)?;
    let key = texts_key(&texts, model.id());
    let cache = teacher_dir.join(format!("teacher-{key:016x}.bin"));
    let (targets, cached) = teacher_vectors(&model, &teacher_ids, &cache, !args.cached_only)?;
    if args.teacher_only {
        eprintln!("teacher vectors in {}", cache.display());
        return Ok(());
    }
    let specials: Vec<u32> = ["[CLS]", "[SEP]"]
        .iter()
        .filter_map(|t| tokenizer.token_to_id(t))
        .collect();
    // The student reads texts as `StaticTable::embed` does, identifiers split into words; the
    // teacher reads them as they are.
    let split: Vec<String> = texts.iter().map(|t| split_identifiers(t)).collect();
    let student_ids: Vec<Vec<u32>> = tokenizer
        .encode_batch(split, true)
        .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?
        .iter()
        .map(|e| e.get_ids().to_vec())
        .collect();
    let student: Vec<Vec<u32>> = student_ids
        .iter()
        .map(|ids| {
            ids.iter()
                .copied()
                .filter(|id| !specials.contains(id))
                .collect()
        })
        .collect();
    let raw_cache = args
        .raw_cache
        .clone()
        .unwrap_or_else(|| out_dir.join("minilm-static.raw"));
    let raw = raw_token_vectors(&args.model, &raw_cache, 512)?;
    let config = DistillConfig {
        sif_coefficient: args.sif,
        ..Default::default()
    };
    let mut rows = build_rows(&raw, dims, &config);
    // Every 20th text is held out, so the reported loss measures generalisation, not recall.
    let (mut train_texts, mut train_targets) = (Vec::new(), Vec::new());
    let (mut held_texts, mut held_targets) = (Vec::new(), Vec::new());
    let pairs = student.into_iter().zip(targets.chunks_exact(dims));
    let usable = pairs.zip(&cached).filter(|(_, cached)| **cached);
    for (i, ((ids, target), _)) in usable.enumerate() {
        if i % 20 == 19 {
            held_texts.push(ids);
            held_targets.extend_from_slice(target);
        } else {
            train_texts.push(ids);
            train_targets.extend_from_slice(target);
        }
    }
    eprintln!(
        "fitting on {} texts, {} held out",
        train_texts.len(),
        held_texts.len()
    );
    let train = FitData {
        texts: &train_texts,
        targets: &train_targets,
    };
    let held = FitData {
        texts: &held_texts,
        targets: &held_targets,
    };
    let fit = FitConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        batch_size: args.batch,
        ..Default::default()
    };
    eprintln!(
        "held-out loss before fitting: {:.4}",
        mean_cosine_loss(&rows, dims, held)?
    );
    let started = Instant::now();
    let report = fit_rows(&mut rows, dims, train, &fit, &mut |epoch, loss| {
        eprintln!(
            "epoch {epoch}: train loss {loss:.4} ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    })?;
    eprintln!(
        "train loss {:.4} -> {:.4}; held-out loss after fitting: {:.4}",
        report.initial_loss,
        report
            .epoch_losses
            .last()
            .copied()
            .unwrap_or(report.initial_loss),
        mean_cosine_loss(&rows, dims, held)?
    );
    if let Some(coefficient) = args.reweight {
        let counts = token_counts(&train_texts, rows.len() / dims);
        sif_reweight(&mut rows, dims, &counts, coefficient);
        eprintln!(
            "re-weighted by corpus SIF (a = {coefficient}); held-out loss {:.4}",
            mean_cosine_loss(&rows, dims, held)?
        );
    }
    let tokenizer_json = read(&args.model.join("tokenizer.json"))?;
    if let Some(out_dims) = args.pca {
        rows = project_rows(&rows, dims, out_dims)?;
        write_table(&tokenizer_json, &args.out, out_dims, &rows)
    } else {
        write_table(&tokenizer_json, &args.out, dims, &rows)
    }
}
