//! `pilotfish distill` and `pilotfish embed-eval`: build the static token table from the MiniLM
//! model natively, and measure both local embedders for quality (MRR@10 on CoSQA with an exact
//! cosine scan) and speed (chunks per second). IO lives here; the engine only computes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engine::embed::Embedder;
use engine::embed::minilm::{MiniLm, MiniLmConfig};
use engine::embed::static_table::{StaticTable, split_identifiers};
use engine::project::embedding_input;
use engine::search::vector::normalize;
use lab::distill::{DistillConfig, build_rows, distill_raw};
use lab::fit::{
    FitConfig, FitData, fit_rows, mean_cosine_loss, project_rows, sif_reweight, texts_key,
    token_counts,
};
use serde::Deserialize;
use syntax::{ChunkConfig, Language, chunk_file};

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
    let mut rows = build_rows(&raw, dims, &config);
    let mut dims = dims;
    if let Some(out_dims) = args.pca {
        rows = project_rows(&rows, dims, out_dims)?;
        dims = out_dims;
    }
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

pub fn fit_table(args: &FitTableArgs) -> Result<()> {
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
    if let Some(out_dims) = args.pca {
        rows = project_rows(&rows, dims, out_dims)?;
        write_table(&args.model, &args.out, out_dims, &rows)
    } else {
        write_table(&args.model, &args.out, dims, &rows)
    }
}

fn write_table(model: &Path, out: &Path, dims: usize, rows: &[f32]) -> Result<()> {
    let tokenizer_json = read(&model.join("tokenizer.json"))?;
    let table = StaticTable::from_rows("all-MiniLM-L6-v2", &tokenizer_json, dims, rows)?;
    let bytes = table.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} ({} rows × {dims}, {:.1} MB, id {})",
        out.display(),
        table.rows(),
        bytes.len() as f64 / 1e6,
        table.id()
    );
    Ok(())
}

/// The raw per-token model outputs, from the cache or (once) from the model.
fn raw_token_vectors(model_dir: &Path, cache: &Path, batch: usize) -> Result<Vec<f32>> {
    if let Some((_, raw)) = read_raw_cache(cache)? {
        return Ok(raw);
    }
    let model = load_model(model_dir, MiniLmConfig::default())?;
    let bar = indicatif::ProgressBar::new(0);
    let raw = distill_raw(&model, batch, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    write_raw_cache(cache, model.dimensions(), &raw)?;
    Ok(raw)
}

/// Source files whose path marks them as generated or bundled copies, or as data (moment's
/// hundreds of near-identical locale files), are left out of the training texts.
fn skipped_path(path: &str) -> bool {
    path.ends_with(".min.js")
        || ["/dist/", "/locale/", "/locales/", "/min/", "/bundles/"]
            .iter()
            .any(|part| path.contains(part))
}

/// Chunks every source file under `roots` and returns the distinct training texts in a stable
/// order: each chunk's embedding input, then its docstring's first sentence.
fn training_texts(roots: &[PathBuf], max_texts: usize) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let config = ChunkConfig::default();
    for root in roots {
        let mut paths = Vec::new();
        for entry in ignore::WalkBuilder::new(root).build() {
            let entry = entry?;
            if entry.file_type().is_some_and(|t| t.is_file()) {
                paths.push(entry.into_path());
            }
        }
        paths.sort();
        for path in paths {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if skipped_path(&format!("/{relative}")) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if bytes.len() > 300_000 {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            if Language::detect(&relative, &text).is_none() {
                continue;
            }
            for chunk in chunk_file(&relative, &bytes, &config).chunks {
                let sentence = chunk.docstring.as_deref().and_then(first_sentence);
                for candidate in std::iter::once(embedding_input(&chunk)).chain(sentence) {
                    if seen.insert(candidate.clone()) {
                        texts.push(candidate);
                    }
                }
            }
        }
    }
    if texts.len() > max_texts {
        let step = texts.len() as f64 / max_texts as f64;
        texts = (0..max_texts)
            .map(|i| std::mem::take(&mut texts[(i as f64 * step) as usize]))
            .collect();
    }
    Ok(texts)
}

/// The first sentence of a docstring or doc comment, as a user might phrase a query: comment
/// markers and tag lines (`@param`) dropped, whitespace collapsed, cut at the first full stop.
/// `None` when fewer than three words remain.
fn first_sentence(doc: &str) -> Option<String> {
    let mut words = Vec::new();
    for line in doc.lines() {
        let line = line
            .trim()
            .trim_start_matches("/**")
            .trim_start_matches("///")
            .trim_start_matches("//")
            .trim_start_matches('*')
            .trim_end_matches("*/")
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        if line.is_empty() {
            if words.is_empty() {
                continue;
            }
            break;
        }
        if line.starts_with('@') || line.starts_with(':') {
            break;
        }
        words.extend(line.split_whitespace().map(str::to_owned));
    }
    let mut sentence = words.join(" ");
    if let Some(end) = sentence.find(". ") {
        sentence.truncate(end + 1);
    }
    (sentence.split_whitespace().count() >= 3).then_some(sentence)
}

/// The teacher's unit vectors for `sequences` (token ids with specials), `len × dims`, read from
/// `cache` and computed for whatever it lacks. The cache is a list of records (`u32` index, then
/// `dims` f32), appended batch by batch, so an interrupted run loses at most one batch.
/// With `compute` false nothing is embedded: the returned flags say which vectors are present.
fn teacher_vectors(
    model: &MiniLm,
    sequences: &[Vec<u32>],
    cache: &Path,
    compute: bool,
) -> Result<(Vec<f32>, Vec<bool>)> {
    use std::io::Write;
    let dims = model.dimensions();
    let record = 4 + dims * 4;
    let mut vectors = vec![0.0f32; sequences.len() * dims];
    let mut done = vec![false; sequences.len()];
    if let Ok(bytes) = std::fs::read(cache) {
        for rec in bytes.chunks_exact(record) {
            let index = u32::from_le_bytes(rec[..4].try_into()?) as usize;
            if index >= sequences.len() {
                bail!(
                    "{} does not belong to these texts; delete it",
                    cache.display()
                );
            }
            for (slot, b) in vectors[index * dims..][..dims]
                .iter_mut()
                .zip(rec[4..].chunks_exact(4))
            {
                *slot = f32::from_le_bytes(b.try_into()?);
            }
            done[index] = true;
        }
    }
    let mut missing: Vec<usize> = (0..sequences.len()).filter(|&i| !done[i]).collect();
    if missing.is_empty() || !compute {
        return Ok((vectors, done));
    }
    // Similar lengths share a batch, so little compute goes to pads.
    missing.sort_by_key(|&i| (sequences[i].len(), i));
    // Rewrite the file with whole records only, dropping a torn last record.
    let kept: Vec<u8> = std::fs::read(cache)
        .map(|b| b[..b.len() - b.len() % record].to_vec())
        .unwrap_or_default();
    let mut file = std::fs::File::create(cache)?;
    file.write_all(&kept)?;
    let bar = indicatif::ProgressBar::new(missing.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("teacher {pos}/{len} {per_sec} eta {eta}")?,
    );
    for batch in missing.chunks(32) {
        let refs: Vec<&[u32]> = batch.iter().map(|&i| sequences[i].as_slice()).collect();
        let mut bytes = Vec::with_capacity(batch.len() * record);
        for (&i, mut vector) in batch.iter().zip(model.embed_ids(&refs)?) {
            normalize(&mut vector);
            bytes.extend_from_slice(&(i as u32).to_le_bytes());
            vector
                .iter()
                .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
            vectors[i * dims..][..dims].copy_from_slice(&vector);
        }
        file.write_all(&bytes)?;
        bar.inc(batch.len() as u64);
    }
    file.flush()?;
    bar.finish_and_clear();
    Ok((vectors, vec![true; sequences.len()]))
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
fn evaluate(embedder: &dyn Embedder, queries: &dyn Embedder, data: &CoSqa) -> Result<Scores> {
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
