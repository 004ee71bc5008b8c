//! `pilotfish index DIR --out FILE`: walk a project (respecting .gitignore), chunk and index every
//! text file, embed the chunks, and write a snapshot the `search` command (or the tab) reopens.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::project::Project;
use indicatif::{ProgressBar, ProgressStyle};

/// Which embedder computes chunk vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmbedderChoice {
    /// The local MiniLM transformer from `--model` (falls back to `hashed` when no weights are
    /// found).
    Local,
    /// Deterministic feature hashing: no model needed.
    Hashed,
    /// The proxy's `/v1/embeddings`.
    Remote,
    /// Keyword index only.
    None,
}

/// Index a project folder into a snapshot file.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The project folder.
    pub dir: PathBuf,
    /// Where to write the index snapshot.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = EmbedderChoice::Local)]
    pub embedder: EmbedderChoice,
    /// Folder with model.safetensors, config.json and tokenizer.json for `--embedder local`
    /// (default: `.cache/models/all-MiniLM-L6-v2` under the current directory, when present).
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Files larger than this many bytes are skipped.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_file_bytes: u64,
    /// No progress bar (for scripts and CI logs).
    #[arg(long)]
    pub quiet: bool,
}

/// Resolves the embedder choice to an implementation. `local` without any model folder falls
/// back to hashed with a one-line warning; a model folder that is given but unreadable is an error.
pub fn embedder_for(
    choice: EmbedderChoice,
    model: Option<&Path>,
) -> Result<Option<Box<dyn Embedder>>> {
    Ok(match choice {
        EmbedderChoice::None => None,
        EmbedderChoice::Hashed => Some(Box::new(HashedEmbedder::default())),
        EmbedderChoice::Local => match crate::model::resolve_model_dir(model) {
            Some(dir) => Some(Box::new(crate::model::load_minilm(&dir)?)),
            None => {
                eprintln!(
                    "warning: no local model (pass --model DIR or set PILOTFISH_MODEL_DIR; `cargo xtask model` installs it); using the hashed embedder"
                );
                Some(Box::new(HashedEmbedder::default()))
            }
        },
        EmbedderChoice::Remote => {
            bail!("--embedder remote is not available yet; use --embedder hashed")
        }
    })
}

/// The embedder that produced an index, recovered from its id so queries embed the same way.
/// A transformer index loads the model from `model` (or the default folder) and must match it.
pub fn embedder_for_id(
    id: Option<&str>,
    model: Option<&Path>,
) -> Result<Option<Box<dyn Embedder>>> {
    match id {
        None => Ok(None),
        Some(id) if id == HashedEmbedder::default().id() => {
            Ok(Some(Box::new(HashedEmbedder::default())))
        }
        Some(id) if id.starts_with("minilm:") => {
            let Some(dir) = crate::model::resolve_model_dir(model) else {
                bail!(
                    "the index was built with the local model ({id}); pass --model DIR or set PILOTFISH_MODEL_DIR"
                )
            };
            let loaded = crate::model::load_minilm(&dir)?;
            if loaded.id() != id {
                bail!(
                    "the index was built with embedder {id:?} but the model in {} is {:?}; re-index or pass the same model",
                    dir.display(),
                    loaded.id()
                );
            }
            Ok(Some(Box::new(loaded)))
        }
        Some(id) => bail!("the index was built with embedder {id:?}, which this CLI cannot load"),
    }
}

pub fn run(args: IndexArgs) -> Result<()> {
    let started = Instant::now();
    let embedder = embedder_for(args.embedder, args.model.as_deref())?;
    let mut paths = Vec::new();
    for entry in ignore::WalkBuilder::new(&args.dir).build() {
        let entry = entry?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            paths.push(entry.into_path());
        }
    }
    paths.sort();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(paths.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} {msg}")
            .context("progress template")?,
    );
    let mut project = Project::default();
    let (mut skipped, mut chunks) = (0usize, 0usize);
    for path in &paths {
        bar.inc(1);
        let size = std::fs::metadata(path)?.len();
        if size > args.max_file_bytes {
            skipped += 1;
            continue;
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if engine::chunk::looks_binary(&bytes) {
            skipped += 1;
            continue;
        }
        let rel = path.strip_prefix(&args.dir).unwrap_or(path);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let report = project.index_file(&rel, &bytes, embedder.as_deref())?;
        chunks += report.chunks;
        bar.set_message(format!("{chunks} chunks"));
    }
    bar.finish_and_clear();
    let bytes = engine::snapshot::write(&project);
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "indexed {} files ({} skipped), {} chunks, embedder {}, snapshot {} bytes in {:.2?}",
        project.files(),
        skipped,
        project.chunks(),
        project.embedder_id().unwrap_or("none"),
        bytes.len(),
        started.elapsed()
    );
    Ok(())
}
