//! `pilotfish prompt --index SNAPSHOT --file PATH --at LINE:COL`: the prompt a model would
//! receive for a cursor in a file on disk (which may differ from its indexed copy), built by the
//! same gathering and budgeting the tab runs, printed as text or, with `--json`, as one object
//! with the parts included, why, and what was dropped for budget.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use assist::TokenCounter;
use assist::context::{Cursor, GatherConfig, Gathered, HostState, Retrieval, Workspace};
use assist::prompt::{
    ChatConfig, ChatMessage, ChatRequest, Dropped, FimConfig, FimRequest, ModelFamily, Part,
    SecretRedactor, build_chat, build_fim,
};
use assist::tokens::{EstimatedTokens, ExactTokens};
use engine::embed::Embedder;
use engine::project::Project;
use serde::Serialize;

use crate::cursor::{self, CursorFile, LineCol};
use crate::index_cmd::embedder_for_id;
use crate::remote::RemoteConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Fill-in-the-middle in the model family's template.
    Fim,
    /// Chat messages (ChatML as counted) asking about the code at the cursor.
    Chat,
}

/// The cursor and the index a prompt is built from (shared by `prompt`, `complete` and `chat`).
#[derive(Debug, clap::Args)]
pub struct PromptInput {
    /// The snapshot written by `pilotfish index`.
    #[arg(long)]
    pub index: PathBuf,
    /// The file the cursor is in, as it is on disk now.
    #[arg(long)]
    pub file: PathBuf,
    /// The cursor: LINE:COL, both 1-based, COL counting characters.
    #[arg(long)]
    pub at: LineCol,
    /// The most tokens the prompt may cost, template included.
    #[arg(long, default_value_t = 2048)]
    pub budget: usize,
    /// The FIM template's model family: starcoder, starcoder2, qwen2.5-coder, deepseek-coder,
    /// codellama, codestral.
    #[arg(long, default_value = "qwen2.5-coder", value_parser = parse_family)]
    pub family: ModelFamily,
    /// The model family's `tokenizer.json`, for exact token counts (otherwise a calibrated
    /// per-language estimate with a safety margin).
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// The folder `pilotfish index` indexed, when `--file` is not below the current folder's
    /// copy of it (the file's indexed path is `--file` relative to it).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Model folder for indexes built with `--embedder local`.
    #[arg(long, env = "PILOTFISH_MODEL_DIR")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteConnection,
}

/// Build the prompt for a cursor.
#[derive(Debug, clap::Args)]
pub struct PromptArgs {
    #[command(flatten)]
    pub input: PromptInput,
    #[arg(long, value_enum, default_value_t = Mode::Fim)]
    pub mode: Mode,
    /// With `--mode chat`: the question (default: explain the code at the cursor).
    #[arg(long)]
    pub question: Option<String>,
    /// Print one JSON object instead of the prompt text.
    #[arg(long)]
    pub json: bool,
}

fn parse_family(name: &str) -> Result<ModelFamily, String> {
    ModelFamily::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = ModelFamily::ALL.iter().map(|f| f.name()).collect();
        format!(
            "unknown model family {name:?} (known: {})",
            known.join(", ")
        )
    })
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output<'a> {
    mode: &'static str,
    path: &'a str,
    line: usize,
    col: usize,
    /// The whole text a model would receive (chat: the messages as ChatML).
    prompt: &'a str,
    tokens: usize,
    budget: usize,
    /// Whether `tokens` is exact (a tokenizer was given) or a calibrated estimate.
    exact_tokens: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<&'a [assist::prompt::ChatMessage]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a [String]>,
    parts: &'a [Part],
    dropped: &'a [Dropped],
    /// Secrets replaced by `[REDACTED:rule-id]`, counted per rule (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    redactions: &'a BTreeMap<String, usize>,
}

/// A prompt built for a cursor, with what it was built from.
#[derive(Debug)]
pub struct Built {
    pub mode: Mode,
    /// The cursor file's path as the index knows it.
    pub path: String,
    /// The cursor file as it is on disk now.
    pub file: CursorFile,
    /// The whole text a model would receive (chat: the messages as ChatML).
    pub text: String,
    pub tokens: usize,
    pub exact_tokens: bool,
    /// Chat only: the messages to send.
    pub messages: Option<Vec<ChatMessage>>,
    /// FIM only: the template's stop strings.
    pub stop: Option<Vec<String>>,
    pub parts: Vec<Part>,
    pub dropped: Vec<Dropped>,
    pub redactions: BTreeMap<String, usize>,
}

/// Gathers context for the cursor in `input` and builds a FIM prompt or, for chat, messages
/// asking `question` (default: explain the code at the cursor).
pub fn build(input: &PromptInput, mode: Mode, question: Option<&str>) -> Result<Built> {
    let file = cursor::open(&input.file, input.at)?;
    let bytes = std::fs::read(&input.index)
        .with_context(|| format!("cannot read {}", input.index.display()))?;
    let project: Project = engine::snapshot::read(&bytes)
        .with_context(|| format!("cannot restore {}", input.index.display()))?;
    let path = indexed_path(&project, &input.file, input.root.as_deref())?;
    let embedder = embedder_for_id(project.embedder_id(), input.model.as_deref(), &input.remote)?;
    let workspace = Workspace::from_project(project);
    let (counter, exact_tokens) = counter(input.tokenizer.as_deref(), &file)?;
    let gathered = gather(&workspace, &path, &file, embedder.as_deref(), &*counter)?;
    let window = &gathered.window;
    let (text, tokens, messages, stop, parts, dropped, redactions) = match mode {
        Mode::Fim => {
            let request = FimRequest {
                path: &path,
                language: Some(file.language),
                prefix: &window.prefix,
                suffix: &window.suffix,
                cursor_line: window.cursor_line,
                snippets: &gathered.snippets,
                repo_name: &repo_name(input),
            };
            let config = FimConfig {
                family: input.family,
                budget: input.budget,
                ..FimConfig::default()
            };
            let prompt = build_fim(&request, &config, &*counter, &SecretRedactor)?;
            let stop = Some(prompt.stop);
            (
                prompt.text,
                prompt.tokens,
                None,
                stop,
                prompt.parts,
                prompt.dropped,
                prompt.redactions,
            )
        }
        Mode::Chat => {
            let question = question.map_or_else(
                || {
                    format!(
                        "Explain the code at {path}:{}:{}.",
                        input.at.line, input.at.col
                    )
                },
                str::to_string,
            );
            let mut snippets = gathered.snippets.clone();
            snippets.insert(0, window.as_snippet(&*counter));
            let request = ChatRequest {
                system: "You are a coding assistant inside the person's editor. Answer briefly and precisely; cite files as path:line.",
                history: &[],
                question: &question,
                snippets: &snippets,
            };
            let config = ChatConfig {
                budget: input.budget,
                ..ChatConfig::default()
            };
            let prompt = build_chat(&request, &config, &*counter, &SecretRedactor)?;
            let messages = Some(prompt.messages);
            (
                prompt.text,
                prompt.tokens,
                messages,
                None,
                prompt.parts,
                prompt.dropped,
                prompt.redactions,
            )
        }
    };
    if parts.is_empty() {
        bail!(
            "a budget of {} tokens leaves no room for any context (the prompt would be the template alone)",
            input.budget
        );
    }
    Ok(Built {
        mode,
        path,
        file,
        text,
        tokens,
        exact_tokens,
        messages,
        stop,
        parts,
        dropped,
        redactions,
    })
}

pub fn run(args: PromptArgs) -> Result<()> {
    let built = build(&args.input, args.mode, args.question.as_deref())?;
    let budget = args.input.budget;
    if args.json {
        let output = Output {
            mode: match built.mode {
                Mode::Fim => "fim",
                Mode::Chat => "chat",
            },
            path: &built.path,
            line: args.input.at.line,
            col: args.input.at.col,
            prompt: &built.text,
            tokens: built.tokens,
            budget,
            exact_tokens: built.exact_tokens,
            messages: built.messages.as_deref(),
            stop: built.stop.as_deref(),
            parts: &built.parts,
            dropped: &built.dropped,
            redactions: &built.redactions,
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        print!("{}", built.text);
        eprintln!(
            "pilotfish: {} of {budget} tokens ({}), {} parts, {} dropped",
            built.tokens,
            if built.exact_tokens {
                "exact"
            } else {
                "estimated"
            },
            built.parts.len(),
            built.dropped.len()
        );
    }
    Ok(())
}

/// The token counter and whether it is exact.
fn counter(tokenizer: Option<&Path>, file: &CursorFile) -> Result<(Box<dyn TokenCounter>, bool)> {
    Ok(match tokenizer {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let exact = ExactTokens::from_bytes(&bytes)
                .with_context(|| format!("{}: not a tokenizer.json", path.display()))?;
            (Box::new(exact), true)
        }
        None => (
            Box::new(EstimatedTokens::for_language(Some(file.language))),
            false,
        ),
    })
}

fn gather(
    workspace: &Workspace,
    path: &str,
    file: &CursorFile,
    embedder: Option<&dyn Embedder>,
    counter: &dyn TokenCounter,
) -> Result<Gathered> {
    let cursor = Cursor::at_offset(path, &file.text, file.offset)
        .context("the cursor is inside a character")?;
    let retrieval = embedder.map_or(Retrieval::Keyword, Retrieval::Embedder);
    Ok(workspace.gather(
        &cursor,
        &HostState::default(),
        &GatherConfig::default(),
        retrieval,
        counter,
    )?)
}

/// The repository's name for the repository-level templates: the indexed folder's name.
fn repo_name(input: &PromptInput) -> String {
    input
        .root
        .as_deref()
        .or_else(|| input.index.parent())
        .and_then(|dir| std::fs::canonicalize(dir).ok())
        .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The file's path as the index knows it: relative to `--root` when given; otherwise the indexed
/// path that the file's path ends with (most components win), so `pilotfish prompt --file
/// proj/src/a.py` finds `src/a.py` of an index of `proj/`. A file the index does not hold keeps
/// its path relative to the current folder: it gets context from the indexed files all the same.
fn indexed_path(project: &Project, file: &Path, root: Option<&Path>) -> Result<String> {
    if let Some(root) = root {
        let absolute = |p: &Path| std::fs::canonicalize(p).with_context(|| p.display().to_string());
        let (root, file) = (absolute(root)?, absolute(file)?);
        let relative = file.strip_prefix(&root).with_context(|| {
            format!("{} is not below --root {}", file.display(), root.display())
        })?;
        return Ok(slash_path(relative));
    }
    let given = slash_path(file);
    let best = project
        .paths()
        .filter(|indexed| given == *indexed || given.ends_with(&format!("/{indexed}")))
        .max_by_key(|indexed| indexed.len());
    Ok(best.map_or(given.clone(), str::to_string))
}

/// A path with `/` separators and without `.` components, as the index writes them.
fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
