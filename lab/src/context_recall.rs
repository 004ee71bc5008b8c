//! Context recall: how many of the cross-file definitions a function body uses end up in the
//! prompt built at that body's place once the body is removed.
//!
//! For each sampled function of a package, its body is cut out (the signature and, for brace
//! languages, the closing line stay), the file is re-indexed in that state (so no index still
//! holds the body), and three prompts are built at the cursor with the same FIM builder, budget
//! and token counter, differing only in the snippets offered:
//!
//! - **gathered**: [`assist::context::Workspace::gather`] (definitions reached through imports
//!   and nearby names, search hits, the repo map);
//! - **BM25 prefix window** (CrossCodeEval's retrieval baseline): the last 10 lines before the
//!   cursor searched with BM25 over the other files' chunks, hits in rank order;
//! - **imported definitions** (Continue's): the whole definition of every name the file imports,
//!   in import order.
//!
//! A target is a name referenced in the removed body that the file does not define and that one
//! to three other files of the package define (more is too ambiguous to call a miss). It is
//! recalled when a part of the prompt comes from a file defining it and covers the definition's
//! first line. Pure: files in, numbers out.

use assist::context::{
    Cursor, GatherConfig, HostState, Retrieval, TaggedFile, Workspace, lines, module_files,
};
use assist::prompt::{FimConfig, FimRequest, NoRedaction, build_fim};
use assist::{Snippet, SnippetKind, TokenCounter};
use engine::ProjectConfig;
use engine::project::{SearchMode, SearchOptions};
use rustc_hash::FxHashSet;
use syntax::Language;
use syntax::tags::{DefinitionKind, ImportKind};

/// Benchmark settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RecallConfig {
    /// The whole prompt's budget (template, prefix and suffix included).
    pub budget: usize,
    /// At most this many functions per package, spread evenly over its files.
    pub max_samples: usize,
    /// Bodies shorter or longer than this (in lines) are not sampled.
    pub min_body_lines: usize,
    pub max_body_lines: usize,
    /// Lines before the cursor the BM25 baseline searches with.
    pub baseline_query_lines: usize,
}

impl Default for RecallConfig {
    fn default() -> Self {
        RecallConfig {
            budget: 2048,
            max_samples: 200,
            min_body_lines: 2,
            max_body_lines: 60,
            baseline_query_lines: 10,
        }
    }
}

/// The contenders, in table order.
pub const METHODS: [&str; 3] = ["gathered", "BM25 prefix window", "imported definitions"];

/// Totals for one package (or several added together).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recall {
    pub samples: usize,
    pub targets: usize,
    /// Targets recalled, per method in [`METHODS`] order.
    pub recalled: [usize; 3],
    /// Sum over samples of the tokens the prompt's context parts cost, per method.
    pub context_tokens: [usize; 3],
    /// Milliseconds per sample for gathering plus building the prompt (the gathered method),
    /// by the caller's clock.
    pub prompt_ms: Vec<f64>,
}

impl Recall {
    pub fn add(&mut self, other: &Recall) {
        self.samples += other.samples;
        self.targets += other.targets;
        for i in 0..3 {
            self.recalled[i] += other.recalled[i];
            self.context_tokens[i] += other.context_tokens[i];
        }
        self.prompt_ms.extend_from_slice(&other.prompt_ms);
    }

    /// The `q`-quantile (nearest rank) of [`Recall::prompt_ms`].
    pub fn prompt_ms_quantile(&self, q: f64) -> f64 {
        let mut sorted = self.prompt_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// Recall of method `i` (targets recalled over targets).
    pub fn recall(&self, i: usize) -> f64 {
        self.recalled[i] as f64 / self.targets.max(1) as f64
    }
}

/// A function whose body is cut, and the definitions it used.
struct Sample {
    path: String,
    /// Byte ranges of the text kept before and after the cut, and the indentation at the cursor.
    cut: (usize, usize),
    indent: String,
    /// Per target name, the (path, first line) of each definition of it in other files.
    targets: Vec<Vec<(String, usize)>>,
}

/// Runs the benchmark on one package: `files` are (path, text) pairs, those in `language` are
/// sampled (every file is indexed, so cross-language definitions still resolve). `clock` returns
/// milliseconds from any origin (the timings are its differences).
pub fn context_recall(
    files: &[(String, String)],
    language: Language,
    config: &RecallConfig,
    counter: &dyn TokenCounter,
    clock: &dyn Fn() -> f64,
) -> Recall {
    let mut workspace = Workspace::new(ProjectConfig::default());
    for (path, text) in files {
        // Keyword indexing cannot fail.
        let _ = workspace.index_file(path, text.as_bytes(), None);
    }
    let samples = samples(&workspace, files, language, config);
    let mut recall = Recall::default();
    for sample in &samples {
        let original = &files
            .iter()
            .find(|(p, _)| *p == sample.path)
            .expect("sampled file")
            .1;
        let text = format!(
            "{}{}\n{}",
            &original[..sample.cut.0],
            sample.indent,
            &original[sample.cut.1..]
        );
        let offset = sample.cut.0 + sample.indent.len();
        let _ = workspace.index_file(&sample.path, text.as_bytes(), None);
        let cursor = Cursor::at_offset(&sample.path, &text, offset).expect("cut at a line start");
        // Gathering starts from an index whose ranks are fresh, as a host that re-ranks while
        // idle would have it (the edit above dropped them).
        let _ = workspace.tags().ranks();
        let started = clock();
        let ours = gathered(&workspace, &cursor, counter);
        let gathered_at = clock() - started;
        let contenders = [
            ours,
            bm25_window(&workspace, &cursor, config, counter),
            imported_definitions(&workspace, &cursor, language, counter),
        ];
        recall.samples += 1;
        recall.targets += sample.targets.len();
        for (i, snippets) in contenders.iter().enumerate() {
            let request = FimRequest {
                path: &sample.path,
                language: Some(language),
                prefix: &text[..offset],
                suffix: &text[offset..],
                cursor_line: cursor.line(),
                snippets,
                repo_name: "bench",
            };
            let fim = FimConfig {
                budget: config.budget,
                ..FimConfig::default()
            };
            let started = clock();
            let built = build_fim(&request, &fim, counter, &NoRedaction);
            if i == 0 {
                recall.prompt_ms.push(gathered_at + clock() - started);
            }
            let Ok(prompt) = built else {
                continue;
            };
            let parts: Vec<_> = prompt
                .parts
                .iter()
                .filter(|p| p.path != sample.path)
                .collect();
            recall.context_tokens[i] += parts.iter().map(|p| p.tokens).sum::<usize>();
            recall.recalled[i] += sample
                .targets
                .iter()
                .filter(|definitions| {
                    definitions.iter().any(|(path, line)| {
                        parts.iter().any(|p| {
                            p.path == *path && p.start_line <= *line && *line <= p.end_line
                        })
                    })
                })
                .count();
        }
        let _ = workspace.index_file(&sample.path, original.as_bytes(), None);
    }
    recall
}

/// Functions and methods of `language` whose bodies use definitions of other files, spread
/// evenly over the package (deterministic: every k-th in path and line order).
fn samples(
    workspace: &Workspace,
    files: &[(String, String)],
    language: Language,
    config: &RecallConfig,
) -> Vec<Sample> {
    let index = workspace.tags();
    let mut all = Vec::new();
    for (path, text) in files {
        let Some(TaggedFile {
            language: file_language,
            tags,
            ..
        }) = index.file(path)
        else {
            continue;
        };
        if *file_language != language {
            continue;
        }
        let own: FxHashSet<&str> = tags.definitions.iter().map(|d| d.name.as_str()).collect();
        for (at, d) in tags.definitions.iter().enumerate() {
            if !matches!(d.kind, DefinitionKind::Function | DefinitionKind::Method) {
                continue;
            }
            let brace = language != Language::Python;
            let first = d.signature_end_line + 1;
            let last = if brace { d.end_line - 1 } else { d.end_line };
            if last < first
                || last + 1 - first < config.min_body_lines
                || last + 1 - first > config.max_body_lines
            {
                continue;
            }
            let mut names: Vec<&str> = tags
                .references
                .iter()
                .filter(|r| r.line >= first && r.line <= last)
                .filter(|r| {
                    let mut e = r.enclosing;
                    while let Some(i) = e {
                        if i == at {
                            return true;
                        }
                        e = tags.definitions[i].parent;
                    }
                    false
                })
                .map(|r| r.name.as_str())
                .filter(|n| n.len() >= 3 && !own.contains(n))
                .collect();
            names.sort_unstable();
            names.dedup();
            let targets: Vec<Vec<(String, usize)>> = names
                .into_iter()
                .filter_map(|name| {
                    let definitions: Vec<(String, usize)> = index
                        .definitions_named(name)
                        .iter()
                        .filter(|id| id.path != *path)
                        .filter_map(|id| Some((id.path.clone(), index.definition(id)?.start_line)))
                        .collect();
                    let mut files: Vec<&str> =
                        definitions.iter().map(|(p, _)| p.as_str()).collect();
                    files.dedup();
                    (!files.is_empty() && files.len() <= 3).then_some(definitions)
                })
                .collect();
            if targets.is_empty() {
                continue;
            }
            let Some(cut_start) = line_start(text, first) else {
                continue;
            };
            let cut_end = line_start(text, last + 1).unwrap_or(text.len());
            let body = &text[cut_start..cut_end];
            let indent: String = body
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            all.push(Sample {
                path: path.clone(),
                cut: (cut_start, cut_end),
                indent,
                targets,
            });
        }
    }
    let stride = all.len().div_ceil(config.max_samples.max(1)).max(1);
    all.into_iter().step_by(stride).collect()
}

fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 1 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 2).map(|(at, _)| at + 1)
}

fn gathered(workspace: &Workspace, cursor: &Cursor, counter: &dyn TokenCounter) -> Vec<Snippet> {
    workspace
        .gather(
            cursor,
            &HostState::default(),
            &GatherConfig::default(),
            Retrieval::Keyword,
            counter,
        )
        .map(|g| g.snippets)
        .unwrap_or_default()
}

/// CrossCodeEval's retrieval: the prefix's last lines as a BM25 query over the other files.
fn bm25_window(
    workspace: &Workspace,
    cursor: &Cursor,
    config: &RecallConfig,
    counter: &dyn TokenCounter,
) -> Vec<Snippet> {
    let before = &cursor.text[..cursor.offset];
    let start = before
        .rmatch_indices('\n')
        .nth(config.baseline_query_lines)
        .map_or(0, |(at, _)| at + 1);
    let query = &before[start..];
    let options = SearchOptions {
        mode: SearchMode::Keyword,
        limit: 40,
        max_per_file: 40,
        ..SearchOptions::default()
    };
    let project = workspace.project();
    let Ok(hits) = project.search(query, None, &options) else {
        return Vec::new();
    };
    hits.iter()
        .filter(|h| h.chunk.path != cursor.path)
        .filter_map(|h| {
            let file = project.file(&h.chunk.path)?;
            let end = h.chunk.end_line.min(h.chunk.start_line + 59);
            Some(snippet(
                counter,
                SnippetKind::SearchHit,
                &h.chunk.path,
                (h.chunk.start_line, end),
                lines(file, h.chunk.start_line, end),
                h.score,
                "BM25 hit for the prefix window",
            ))
        })
        .collect()
}

/// Continue's import definitions: every imported name's whole definition, in import order.
fn imported_definitions(
    workspace: &Workspace,
    cursor: &Cursor,
    language: Language,
    counter: &dyn TokenCounter,
) -> Vec<Snippet> {
    let index = workspace.tags();
    let tags = syntax::tags::tags(language, cursor.text);
    let mut out = Vec::new();
    let mut seen = FxHashSet::default();
    for import in &tags.imports {
        let name = match import.kind {
            ImportKind::Name => import.name.as_deref(),
            ImportKind::Default => import.local_name(),
            ImportKind::Module | ImportKind::Wildcard => None,
        };
        let Some(name) = name else { continue };
        let files = module_files(index, cursor.path, language, import);
        for id in index.definitions_named(name) {
            if !files.contains(&id.path.as_str()) || !seen.insert(id.clone()) {
                continue;
            }
            let (Some(d), Some(file)) = (index.definition(id), workspace.project().file(&id.path))
            else {
                continue;
            };
            let end = d.end_line.min(d.start_line + 59);
            let score = 1.0 - out.len() as f32 * 1e-3;
            out.push(snippet(
                counter,
                SnippetKind::Definition,
                &id.path,
                (d.start_line, end),
                lines(file, d.start_line, end),
                score,
                "imported",
            ));
        }
    }
    out
}

fn snippet(
    counter: &dyn TokenCounter,
    kind: SnippetKind,
    path: &str,
    range: (usize, usize),
    text: String,
    score: f32,
    why: &str,
) -> Snippet {
    Snippet {
        kind,
        path: path.to_string(),
        start_line: range.0,
        end_line: range.1,
        tokens: counter.count(&text),
        text,
        score,
        why: why.to_string(),
    }
}
