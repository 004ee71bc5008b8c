//! Gathering: the candidates a prompt for a cursor can use, each with a score and a reason. It
//! decides nothing about the budget (the prompt builder fits candidates into it) beyond bounding
//! how many of each kind it offers.

use std::cmp::Reverse;

use engine::project::{ProjectError, SearchMode, SearchOptions};
use syntax::Language;
use syntax::tags::FileTags;

use super::index::TagIndex;
use super::request::{
    Cursor, CursorWindow, GatherConfig, Gathered, HostState, RecentEdit, Retrieval,
    nth_line_start_back, search_query,
};
use super::workspace::{Workspace, lines};
use crate::snippet::{Snippet, SnippetKind};
use crate::tokens::TokenCounter;

mod definitions;

impl Workspace {
    /// Gathers the context for `cursor`. Fails only when the search does (an embedder that is
    /// not the index's).
    pub fn gather(
        &self,
        cursor: &Cursor,
        host: &HostState,
        config: &GatherConfig,
        retrieval: Retrieval,
        counter: &dyn TokenCounter,
    ) -> Result<Gathered, ProjectError> {
        let tags = Language::detect(cursor.path, cursor.text)
            .map(|l| syntax::tags::tags(l, cursor.text))
            .unwrap_or_default();
        self.gather_tagged(cursor, &tags, host, config, retrieval, counter)
    }

    /// [`Workspace::gather`] with the cursor file's tags already in hand: a host that keeps a
    /// tree per open document and re-parses it incrementally after each edit
    /// ([`syntax::tags::tags_of_tree`]) saves the full parse gathering otherwise costs (about
    /// 12 ms natively for a 2,500-line Python file). `tags` must be of `cursor.text`.
    pub fn gather_tagged(
        &self,
        cursor: &Cursor,
        tags: &FileTags,
        host: &HostState,
        config: &GatherConfig,
        retrieval: Retrieval,
        counter: &dyn TokenCounter,
    ) -> Result<Gathered, ProjectError> {
        let language = Language::detect(cursor.path, cursor.text);
        let window = window(cursor, language, config, counter);
        let mut gathering = Gathering {
            workspace: self,
            cursor,
            window: &window,
            config,
            counter,
            snippets: Vec::new(),
        };
        if let Some(language) = language {
            gathering.definitions(language, tags);
        }
        gathering.search_hits(retrieval)?;
        gathering.recent_edits(host);
        gathering.open_files(host);
        gathering.repo_map();
        let mut snippets = gathering.snippets;
        snippets.sort_by(|a, b| {
            (a.kind, Reverse(Score(a.score)), &a.path, a.start_line).cmp(&(
                b.kind,
                Reverse(Score(b.score)),
                &b.path,
                b.start_line,
            ))
        });
        Ok(Gathered { window, snippets })
    }
}

/// Total order on scores (NaN never occurs; it would sort last).
#[derive(PartialEq)]
struct Score(f32);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn window(
    cursor: &Cursor,
    language: Option<Language>,
    config: &GatherConfig,
    counter: &dyn TokenCounter,
) -> CursorWindow {
    let before = &cursor.text[..cursor.offset];
    let after = &cursor.text[cursor.offset..];
    let prefix_start = nth_line_start_back(before, config.prefix_lines.max(1));
    let prefix = &before[prefix_start..];
    let suffix_end = after
        .match_indices('\n')
        .nth(config.suffix_lines.saturating_sub(1))
        .map_or(after.len(), |(at, _)| at);
    let suffix = &after[..suffix_end];
    let cursor_line = cursor.line();
    let prefix_start_line = cursor_line - prefix.matches('\n').count();
    CursorWindow {
        path: cursor.path.to_string(),
        language,
        prefix: prefix.to_string(),
        suffix: suffix.to_string(),
        prefix_start_line,
        suffix_end_line: cursor_line + suffix.matches('\n').count(),
        cursor_line,
        prefix_tokens: counter.count(prefix),
        suffix_tokens: counter.count(suffix),
    }
}

struct Gathering<'a> {
    workspace: &'a Workspace,
    cursor: &'a Cursor<'a>,
    window: &'a CursorWindow,
    config: &'a GatherConfig,
    counter: &'a dyn TokenCounter,
    snippets: Vec<Snippet>,
}

impl Gathering<'_> {
    fn push(
        &mut self,
        kind: SnippetKind,
        path: &str,
        range: (usize, usize),
        text: String,
        score: f32,
        why: String,
    ) {
        if text.trim().is_empty() {
            return;
        }
        self.snippets.push(Snippet {
            kind,
            path: path.to_string(),
            start_line: range.0,
            end_line: range.1,
            tokens: self.counter.count(&text),
            text,
            score,
            why,
        });
    }

    /// Whether `start..=end` of `path` is already in the prefix or suffix.
    fn in_window(&self, path: &str, start: usize, end: usize) -> bool {
        path == self.cursor.path
            && start >= self.window.prefix_start_line
            && end <= self.window.suffix_end_line
    }

    /// Hybrid-search hits for the lines before the cursor (the existing retrieval).
    fn search_hits(&mut self, retrieval: Retrieval) -> Result<(), ProjectError> {
        if self.config.max_search_hits == 0 {
            return Ok(());
        }
        let query = search_query(self.cursor, self.config);
        if query.trim().is_empty() {
            return Ok(());
        }
        let project = self.workspace.project();
        let options = SearchOptions {
            mode: match retrieval {
                Retrieval::Keyword => SearchMode::Keyword,
                _ => SearchMode::Hybrid,
            },
            limit: self.config.max_search_hits + 4,
            ..SearchOptions::default()
        };
        let hits = match retrieval {
            Retrieval::Keyword => project.search(&query, None, &options)?,
            Retrieval::Embedder(e) => project.search(&query, Some(e), &options)?,
            Retrieval::Vector(v) => project.search_with_vector(&query, Some(v), &options)?,
        };
        let mut found = Vec::new();
        for hit in hits {
            let chunk = hit.chunk;
            if self.in_window(&chunk.path, chunk.start_line, chunk.end_line)
                || (chunk.path == self.cursor.path
                    && chunk.start_line <= self.window.cursor_line
                    && self.window.cursor_line <= chunk.end_line)
            {
                continue;
            }
            let Some(file) = project.file(&chunk.path) else {
                continue;
            };
            let end = chunk
                .end_line
                .min(chunk.start_line + self.config.max_snippet_lines.max(1) - 1);
            let text = lines(file, chunk.start_line, end);
            let mut why = String::from("search hit for the lines before the cursor");
            if let Some(k) = hit.explanation.keyword {
                why.push_str(&format!(", keyword rank {}", k.rank));
            }
            if let Some(v) = hit.explanation.vector {
                why.push_str(&format!(", vector rank {}", v.rank));
            }
            found.push((
                chunk.path.clone(),
                (chunk.start_line, end),
                text,
                hit.score,
                why,
            ));
            if found.len() == self.config.max_search_hits {
                break;
            }
        }
        for (path, range, text, score, why) in found {
            self.push(SnippetKind::SearchHit, &path, range, text, score, why);
        }
        Ok(())
    }

    /// Ranges the host reports as recently edited, newer first, outside the cursor's window.
    fn recent_edits(&mut self, host: &HostState) {
        let mut edits: Vec<&RecentEdit> = host.recent_edits.iter().collect();
        edits.sort_by_key(|e| (Reverse(e.at_ms), &e.path, e.start_line));
        let mut taken = 0;
        for edit in edits {
            if taken == self.config.max_recent_edits {
                break;
            }
            let (start, end) = (
                edit.start_line.max(1),
                edit.end_line.max(edit.start_line.max(1)),
            );
            if self.in_window(&edit.path, start, end) {
                continue;
            }
            let end = end.min(start + self.config.max_snippet_lines.max(1) - 1);
            let text = if edit.path == self.cursor.path {
                self.cursor
                    .text
                    .lines()
                    .skip(start - 1)
                    .take(end + 1 - start)
                    .collect::<Vec<_>>()
                    .join("\n")
            } else if let Some(file) = self.workspace.project().file(&edit.path) {
                lines(file, start, end)
            } else {
                continue;
            };
            let age_s = host.now_ms.saturating_sub(edit.at_ms) / 1000;
            let score = 1.0 / (1.0 + age_s as f32 / 60.0);
            let why = format!("edited {} ago", human_age(age_s));
            taken += 1;
            self.push(
                SnippetKind::RecentEdit,
                &edit.path,
                (start, end),
                text,
                score,
                why,
            );
        }
    }

    /// The visible part (or the top) of each other open file.
    fn open_files(&mut self, host: &HostState) {
        let project = self.workspace.project();
        let mut taken = 0;
        for (order, open) in host.open_files.iter().enumerate() {
            if taken == self.config.max_open_files {
                break;
            }
            if open.path == self.cursor.path {
                continue;
            }
            let Some(file) = project.file(&open.path) else {
                continue;
            };
            let max = self.config.max_snippet_lines.max(1);
            let (start, end) = open.visible.unwrap_or((1, max));
            let (start, end) = (
                start.max(1),
                end.min(start.max(1) + max - 1).min(file.lines.lines()),
            );
            let text = lines(file, start, end);
            let why = match open.visible {
                Some(_) => format!("open in the editor, lines {start}-{end} on screen"),
                None => "open in the editor".to_string(),
            };
            taken += 1;
            self.push(
                SnippetKind::OpenFile,
                &open.path,
                (start, end),
                text,
                1.0 / (1.0 + order as f32),
                why,
            );
        }
    }

    /// The best-ranked files' best-ranked definitions, as signatures (Aider's repo map).
    fn repo_map(&mut self) {
        if self.config.repo_map_files == 0 {
            return;
        }
        let index: &TagIndex = self.workspace.tags();
        let ranks = index.ranks();
        let mut files: Vec<(&String, f64)> = ranks.files.iter().map(|(p, r)| (p, *r)).collect();
        files.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let total = files.len();
        let mut taken = 0;
        for (position, (path, rank)) in files.into_iter().enumerate() {
            if taken == self.config.repo_map_files {
                break;
            }
            if path == self.cursor.path {
                continue;
            }
            let (Some(file), Some(tagged)) =
                (self.workspace.project().file(path), index.file(path))
            else {
                continue;
            };
            let mut defs: Vec<(f64, usize)> = tagged
                .tags
                .definitions
                .iter()
                .enumerate()
                .map(|(i, d)| (ranks.definition(path, &d.name), i))
                .filter(|(r, _)| *r > 0.0)
                .collect();
            defs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            defs.truncate(self.config.repo_map_definitions);
            defs.sort_by_key(|(_, i)| *i);
            if defs.is_empty() {
                continue;
            }
            let mut text = String::new();
            let (mut first, mut last) = (usize::MAX, 0);
            for (_, i) in defs {
                let d = &tagged.tags.definitions[i];
                if !text.is_empty() {
                    text.push_str("\n⋮\n");
                }
                text.push_str(&lines(
                    file,
                    d.start_line,
                    d.signature_end_line.min(d.start_line + 3),
                ));
                first = first.min(d.start_line);
                last = last.max(d.signature_end_line);
            }
            let why = format!(
                "repo map: ranked {} of {total} files by references",
                position + 1
            );
            taken += 1;
            self.push(
                SnippetKind::RepoMap,
                path,
                (first, last),
                text,
                rank as f32,
                why,
            );
        }
    }
}

fn human_age(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h", seconds / 3600),
    }
}
