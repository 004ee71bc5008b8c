//! `pilotfish search --index FILE QUERY` (or `--queries FILE.jsonl`): restore a snapshot and
//! search it, printing lines for people or JSON for tools.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use engine::Language;
use engine::project::{Project, SearchHit, SearchMode, SearchOptions};
use serde::{Deserialize, Serialize};

use crate::index_cmd::embedder_for_id;
use crate::remote::RemoteConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Hybrid,
    Keyword,
    Vector,
}

/// Search an index snapshot.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The snapshot written by `pilotfish index`.
    #[arg(long)]
    pub index: PathBuf,
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    pub mode: Mode,
    /// Number of results.
    #[arg(short = 'k', long, default_value_t = 10)]
    pub k: usize,
    /// At most this many results per file.
    #[arg(long, default_value_t = 2)]
    pub max_per_file: usize,
    /// Only these languages (repeatable), e.g. `--lang python`.
    #[arg(long = "lang")]
    pub languages: Vec<String>,
    /// Only paths matching this glob (repeatable), e.g. `--glob 'src/**'`.
    #[arg(long = "glob")]
    pub globs: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Batch mode: one {"id","query"} per line in, one {"id","results"} per line out.
    #[arg(long, conflicts_with = "query")]
    pub queries: Option<PathBuf>,
    /// Model folder for indexes built with `--embedder local` (default: the index command's).
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// For indexes built with `--embedder remote`: where queries are embedded (the model comes
    /// from the index).
    #[command(flatten)]
    pub remote: RemoteConnection,
    /// The query.
    #[arg(required_unless_present = "queries")]
    pub query: Option<String>,
}

#[derive(Debug, Serialize)]
struct ResultLine<'a> {
    path: &'a str,
    qualified_name: Option<&'a str>,
    start_line: usize,
    end_line: usize,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    keyword_rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector_rank: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct QueryLine {
    id: serde_json::Value,
    query: String,
}

#[derive(Debug, Serialize)]
struct BatchLine<'a> {
    id: serde_json::Value,
    results: Vec<ResultLine<'a>>,
}

fn lines<'a>(hits: &'a [SearchHit<'a>]) -> Vec<ResultLine<'a>> {
    hits.iter()
        .map(|h| ResultLine {
            path: &h.chunk.path,
            qualified_name: h.chunk.qualified_name.as_deref(),
            start_line: h.chunk.start_line,
            end_line: h.chunk.end_line,
            score: h.score,
            keyword_rank: h.explanation.keyword.map(|r| r.rank),
            vector_rank: h.explanation.vector.map(|r| r.rank),
        })
        .collect()
}

pub fn run(args: SearchArgs) -> Result<()> {
    let bytes =
        std::fs::read(&args.index).with_context(|| format!("reading {}", args.index.display()))?;
    let project: Project = engine::snapshot::read(&bytes)
        .with_context(|| format!("restoring {}", args.index.display()))?;
    // Keyword search needs no query vector, so it works without the model too.
    let embedder = if args.mode == Mode::Keyword {
        None
    } else {
        embedder_for_id(project.embedder_id(), args.model.as_deref(), &args.remote)?
    };
    let mut languages = Vec::new();
    for name in &args.languages {
        match Language::from_name(name) {
            Some(l) => languages.push(l),
            None => bail!("unknown language {name:?}"),
        }
    }
    let options = SearchOptions {
        mode: match args.mode {
            Mode::Hybrid => SearchMode::Hybrid,
            Mode::Keyword => SearchMode::Keyword,
            Mode::Vector => SearchMode::Vector,
        },
        limit: args.k,
        max_per_file: args.max_per_file,
        languages,
        path_globs: args.globs.clone(),
        fusion: Default::default(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(file) = &args.queries {
        let reader = std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        );
        let mut queries = Vec::new();
        for (n, line) in reader.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let q: QueryLine = serde_json::from_str(&line).with_context(|| {
                format!(
                    "{}:{}: expected {{\"id\",\"query\"}}",
                    file.display(),
                    n + 1
                )
            })?;
            queries.push(q);
        }
        // All queries are embedded in one batch call up front: a remote embedder sends them in
        // a few large requests instead of one round trip per query.
        let texts: Vec<&str> = queries.iter().map(|q| q.query.as_str()).collect();
        let vectors = match &embedder {
            Some(e) => e.embed(&texts)?.into_iter().map(Some).collect(),
            None => vec![None; queries.len()],
        };
        if vectors.len() != queries.len() {
            bail!(
                "the embedder returned {} vectors for {} queries",
                vectors.len(),
                queries.len()
            );
        }
        for (q, vector) in queries.into_iter().zip(vectors) {
            let hits = project.search_with_vector(&q.query, vector.as_deref(), &options)?;
            let batch = BatchLine {
                id: q.id,
                results: lines(&hits),
            };
            serde_json::to_writer(&mut out, &batch)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    let query = args.query.as_deref().unwrap_or_default();
    let hits = project.search(query, embedder.as_deref(), &options)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &lines(&hits))?;
        writeln!(out)?;
    } else {
        for h in &hits {
            let e = h.explanation;
            writeln!(
                out,
                "{:.4}  {}:{}-{}  {}  (keyword {}, vector {})",
                h.score,
                h.chunk.path,
                h.chunk.start_line,
                h.chunk.end_line,
                h.chunk.qualified_name.as_deref().unwrap_or("-"),
                e.keyword
                    .map_or("-".into(), |r| format!("#{} {:.2}", r.rank, r.score)),
                e.vector
                    .map_or("-".into(), |r| format!("#{} {:.3}", r.rank, r.score)),
            )?;
        }
    }
    Ok(())
}
