//! `pilotfish index DIR --out FILE`: walk a project (respecting .gitignore), chunk and index every
//! text file, embed the chunks, and write a snapshot the `search` command (or the tab) reopens.
//!
//! Re-indexing is incremental: when `--out` already holds an index built with the same embedder,
//! it is the starting point, so unchanged files cost one hash and unchanged chunks of edited files
//! keep their vectors (the engine's cache by content hash); files gone from the folder are dropped.
//! With `--embedder remote` the cache misses of all files are collected first and embedded in
//! large concurrent batches, so nothing already embedded is ever sent again. The snapshot is
//! written to a temporary file beside `--out` and renamed, so an interrupted run (Ctrl-C) leaves
//! the previous index intact.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::project::Project;
use indicatif::{ProgressBar, ProgressStyle};

use crate::remote::{Prefetched, RemoteConnection, RemoteEmbedder, RemoteModel};

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
    /// Model to ask the endpoint for with `--embedder remote` (an alias of the proxy's config).
    #[arg(long, default_value = "embed")]
    pub remote_model: String,
    /// Output dimensions to request with `--embedder remote` (OpenAI `dimensions`; only for
    /// models that support it). Every vector is checked against it.
    #[arg(long)]
    pub remote_dimensions: Option<usize>,
    #[command(flatten)]
    pub remote: RemoteConnection,
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
            bail!("--embedder remote is built by the index command itself")
        }
    })
}

/// The embedder that produced an index, recovered from its id so queries embed the same way.
/// A transformer index loads the model from `model` (or the default folder) and must match it.
pub fn embedder_for_id(
    id: Option<&str>,
    model: Option<&Path>,
    remote: &RemoteConnection,
) -> Result<Option<Box<dyn Embedder>>> {
    if let Some(model) = id.and_then(RemoteModel::from_id) {
        return Ok(Some(Box::new(RemoteEmbedder::new(remote, model)?)));
    }
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

/// The index to start from: the one already at `out` when it was built with the same embedder
/// (so unchanged files and chunks are not embedded again), else an empty one.
fn previous_index(out: &Path, embedder_id: Option<&str>) -> (Project, bool) {
    let Ok(bytes) = std::fs::read(out) else {
        return (Project::default(), false);
    };
    match engine::snapshot::read(&bytes) {
        Ok(project) if project.embedder_id() == embedder_id => (project, true),
        Ok(project) => {
            eprintln!(
                "note: {} was built with embedder {}; indexing from scratch",
                out.display(),
                project.embedder_id().unwrap_or("none")
            );
            (Project::default(), false)
        }
        Err(e) => {
            eprintln!(
                "note: {} is not a readable index ({e}); indexing from scratch",
                out.display()
            );
            (Project::default(), false)
        }
    }
}

/// A file to index: its path on disk and its path in the index (relative, `/`-separated).
struct Source {
    path: PathBuf,
    rel: String,
}

/// The indexable files under `dir`: not ignored, not too large, not binary. Returns them with
/// the number skipped.
fn sources(dir: &Path, max_file_bytes: u64) -> Result<(Vec<Source>, usize)> {
    let mut paths = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).build() {
        let entry = entry?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            paths.push(entry.into_path());
        }
    }
    paths.sort();
    let (mut files, mut skipped) = (Vec::new(), 0);
    for path in paths {
        if std::fs::metadata(&path)?.len() > max_file_bytes || looks_binary(&path)? {
            skipped += 1;
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let rel = rel.to_string_lossy().replace('\\', "/");
        files.push(Source { path, rel });
    }
    Ok((files, skipped))
}

fn looks_binary(path: &Path) -> Result<bool> {
    Ok(syntax::chunk::looks_binary(&read(path)?))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn bar(quiet: bool, len: usize, template: &str) -> Result<ProgressBar> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64)
    };
    bar.set_style(ProgressStyle::with_template(template).context("progress template")?);
    Ok(bar)
}

/// Embeds, through the remote endpoint, every chunk the index does not hold yet, in large
/// batches across files (one request per file would be slow against a real provider).
fn prefetch<'a>(
    remote: &'a RemoteEmbedder,
    project: &Project,
    files: &[Source],
    quiet: bool,
) -> Result<Prefetched<'a>> {
    let mut texts = BTreeSet::new();
    for file in files {
        texts.extend(project.pending_embeddings(&file.rel, &read(&file.path)?, remote.id()));
    }
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bar = bar(
        quiet,
        texts.len(),
        "{bar:40} {pos}/{len} chunks embedded {elapsed}",
    )?;
    let vectors = remote.embed_all(&texts, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    Ok(Prefetched {
        remote,
        vectors: texts
            .into_iter()
            .map(str::to_owned)
            .zip(vectors)
            .collect::<HashMap<_, _>>(),
    })
}

/// Writes to a temporary file in the same folder, then renames it over `out` (atomic on the same
/// file system), so readers and interrupted runs never see half a snapshot.
fn write_atomically(out: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pilotfish-index-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

pub fn run(args: IndexArgs) -> Result<()> {
    let started = Instant::now();
    let remote = match args.embedder {
        EmbedderChoice::Remote => Some(RemoteEmbedder::new(
            &args.remote,
            RemoteModel {
                name: args.remote_model.clone(),
                dimensions: args.remote_dimensions,
            },
        )?),
        _ => None,
    };
    let local = match args.embedder {
        EmbedderChoice::Remote => None,
        choice => embedder_for(choice, args.model.as_deref())?,
    };
    let embedder_id = match (&remote, &local) {
        (Some(r), _) => Some(r.id().to_owned()),
        (None, Some(l)) => Some(l.id().to_owned()),
        (None, None) => None,
    };
    let (mut project, reused) = previous_index(&args.out, embedder_id.as_deref());
    let (files, skipped) = sources(&args.dir, args.max_file_bytes)?;

    let prefetched = match &remote {
        Some(r) => Some(prefetch(r, &project, &files, args.quiet)?),
        None => None,
    };
    // A remote embedder whose dimensions are still unknown embedded nothing: the folder has no
    // chunks to embed, so an index without vectors records no dimension count it never saw.
    let embedder: Option<&dyn Embedder> = match (&prefetched, &local) {
        (Some(p), _) if p.dimensions() > 0 || project.embedder_id().is_some() => {
            Some(p as &dyn Embedder)
        }
        (Some(_), _) => None,
        (None, local) => local.as_deref(),
    };

    let bar = bar(
        args.quiet,
        files.len(),
        "{bar:40} {pos}/{len} files {elapsed} {msg}",
    )?;
    let (mut unchanged, mut embedded) = (0usize, 0usize);
    for file in &files {
        bar.inc(1);
        let report = project
            .index_file(&file.rel, &read(&file.path)?, embedder)
            .with_context(|| format!("indexing {}", file.rel))?;
        unchanged += usize::from(report.unchanged);
        embedded += report.embedded;
        bar.set_message(format!("{embedded} chunks embedded"));
    }
    bar.finish_and_clear();
    let present: BTreeSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let gone: Vec<String> = project
        .paths()
        .filter(|p| !present.contains(p))
        .map(str::to_owned)
        .collect();
    for path in &gone {
        project.remove_file(path);
    }

    let bytes = engine::snapshot::write(&project);
    write_atomically(&args.out, &bytes)?;
    let requests = remote.as_ref().map_or(String::new(), |r| {
        format!(", {} embedding requests", r.requests())
    });
    eprintln!(
        "indexed {} files ({} skipped, {} unchanged{}, {} removed), {} chunks ({} embedded{}), embedder {}, snapshot {} bytes in {:.2?}",
        project.files(),
        skipped,
        unchanged,
        if reused {
            " from the previous index"
        } else {
            ""
        },
        gone.len(),
        project.chunks(),
        embedded,
        requests,
        project.embedder_id().unwrap_or("none"),
        bytes.len(),
        started.elapsed()
    );
    Ok(())
}
