//! Gathering: the candidates a prompt for a cursor can use, each with a score and a reason. It
//! decides nothing about the budget (the prompt builder fits candidates into it) beyond bounding
//! how many of each kind it offers.

use std::cmp::Reverse;

use engine::embed::Embedder;
use engine::project::{ProjectError, SearchMode, SearchOptions};
use rustc_hash::{FxHashMap, FxHashSet};
use syntax::tags::{DefinitionKind, FileTags, Import, ImportKind, ReferenceKind};
use syntax::{Language, LineIndex};

use super::index::{DefinitionId, TagIndex};
use super::resolve::{module_files, parent};
use super::workspace::{Workspace, lines};
use crate::snippet::{Snippet, SnippetKind};
use crate::tokens::TokenCounter;

/// Where the person is typing: the file's current text (which may differ from the indexed copy)
/// and a UTF-8 byte offset into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub offset: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at a UTF-8 byte offset, or `None` when it is past the end or inside a character.
    pub fn at_offset(path: &'a str, text: &'a str, offset: usize) -> Option<Self> {
        text.is_char_boundary(offset)
            .then_some(Cursor { path, text, offset })
    }

    /// A cursor at a 1-based line and a 1-based column counted in characters (`col` may be one
    /// past the line's last character), or `None` outside the text.
    pub fn at_line_col(path: &'a str, text: &'a str, line: usize, col: usize) -> Option<Self> {
        let start = LineIndex::new(text).line_start(line)?;
        let rest = &text[start..];
        let line_text = rest.split('\n').next().unwrap_or("");
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let index = col.checked_sub(1)?;
        let within = if index == line_text.chars().count() {
            line_text.len()
        } else {
            line_text.char_indices().nth(index)?.0
        };
        Some(Cursor {
            path,
            text,
            offset: start + within,
        })
    }

    /// The 1-based line of the cursor.
    pub fn line(&self) -> usize {
        1 + self.text[..self.offset].matches('\n').count()
    }
}

/// A range the person edited, reported by the host with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentEdit {
    pub path: String,
    /// 1-based inclusive lines in the file's current text.
    pub start_line: usize,
    pub end_line: usize,
    /// Host time of the edit, in milliseconds (compared with [`HostState::now_ms`] only).
    pub at_ms: u64,
}

/// A file open in the host's editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub path: String,
    /// The 1-based inclusive lines on screen, when the host knows them.
    pub visible: Option<(usize, usize)>,
}

/// What the host reports besides the cursor. Time is an argument: gathering reads no clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostState {
    /// Most recent last or not: they are ordered by time here.
    pub recent_edits: Vec<RecentEdit>,
    /// In the host's tab order.
    pub open_files: Vec<OpenFile>,
    pub now_ms: u64,
}

/// How search hits are retrieved.
#[derive(Clone, Copy, Default)]
pub enum Retrieval<'a> {
    /// BM25 only.
    #[default]
    Keyword,
    /// Hybrid, embedding the query with the index's embedder.
    Embedder(&'a dyn Embedder),
    /// Hybrid with a query vector the host computed from [`search_query`].
    Vector(&'a [f32]),
}

impl std::fmt::Debug for Retrieval<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Retrieval::Keyword => f.write_str("Keyword"),
            Retrieval::Embedder(e) => write!(f, "Embedder({})", e.id()),
            Retrieval::Vector(v) => write!(f, "Vector({} dims)", v.len()),
        }
    }
}

/// How much text a definition snippet shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefinitionText {
    /// Signatures: a function's signature, a class's header with its members' signatures (whole
    /// when the definition is short). Many definitions fit a budget, as in Aider's repo map.
    #[default]
    Signature,
    /// The whole definition, up to [`GatherConfig::max_snippet_lines`].
    Whole,
}

/// Bounds on what is gathered.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherConfig {
    /// Lines of the file before and after the cursor offered as prefix and suffix.
    pub prefix_lines: usize,
    pub suffix_lines: usize,
    /// References this many lines before and after the cursor (and anywhere in the function the
    /// cursor is in) count as "near the cursor".
    pub near_before: usize,
    pub near_after: usize,
    pub max_definitions: usize,
    /// Definitions offered per name when no import settles which one is meant.
    pub per_name: usize,
    /// A name defined in more files than this is too ambiguous to follow unless imported.
    pub max_defining_files: usize,
    pub definition_text: DefinitionText,
    /// Lines before the cursor the search query is made of.
    pub query_lines: usize,
    pub max_search_hits: usize,
    pub max_recent_edits: usize,
    pub max_open_files: usize,
    /// Files of the repo map offered (each with its best-ranked definitions' signatures).
    pub repo_map_files: usize,
    pub repo_map_definitions: usize,
    /// Longest snippet, in lines.
    pub max_snippet_lines: usize,
}

impl Default for GatherConfig {
    fn default() -> Self {
        GatherConfig {
            prefix_lines: 200,
            suffix_lines: 60,
            near_before: 20,
            near_after: 5,
            max_definitions: 48,
            per_name: 2,
            max_defining_files: 6,
            definition_text: DefinitionText::Signature,
            query_lines: 12,
            max_search_hits: 8,
            max_recent_edits: 8,
            max_open_files: 4,
            repo_map_files: 4,
            repo_map_definitions: 6,
            max_snippet_lines: 60,
        }
    }
}

/// The text around the cursor, which the prompt builder trims to its prefix and suffix shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorWindow {
    pub path: String,
    pub language: Option<Language>,
    /// Up to [`GatherConfig::prefix_lines`] lines before the cursor, ending at the cursor.
    pub prefix: String,
    /// From the cursor, up to [`GatherConfig::suffix_lines`] lines after it.
    pub suffix: String,
    /// 1-based first line of `prefix` and last line of `suffix`.
    pub prefix_start_line: usize,
    pub suffix_end_line: usize,
    pub cursor_line: usize,
    pub prefix_tokens: usize,
    pub suffix_tokens: usize,
}

/// Everything gathered for a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered {
    pub window: CursorWindow,
    /// Ordered by kind (the builder's default priority), then score (best first), then path and
    /// line, so the same input always gives the same list.
    pub snippets: Vec<Snippet>,
}

/// The search query for a cursor: the lines before it (CrossCodeEval's retrieval query), so a
/// host with a remote embedder can embed it and pass [`Retrieval::Vector`].
pub fn search_query(cursor: &Cursor, config: &GatherConfig) -> String {
    let before = &cursor.text[..cursor.offset];
    let start = nth_line_start_back(before, config.query_lines);
    before[start..].to_string()
}

/// Byte offset where the `n`-th line before the end of `text` starts (the last, partial line
/// counts as one).
fn nth_line_start_back(text: &str, n: usize) -> usize {
    let mut seen = 0;
    for (at, byte) in text.bytes().enumerate().rev() {
        if byte == b'\n' {
            seen += 1;
            if seen == n {
                return at + 1;
            }
        }
    }
    0
}

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

/// A definition worth showing, before its text is cut.
struct Wanted {
    score: f32,
    reasons: Vec<String>,
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

    /// Definitions of the names the cursor's code reaches: imported names and names referenced
    /// near the cursor, resolved across indexed files.
    fn definitions(&mut self, language: Language, tags: &FileTags) {
        let index = self.workspace.tags();
        let cursor_line = self.window.cursor_line;
        let config = self.config;
        let lo = cursor_line.saturating_sub(config.near_before);
        let hi = cursor_line + config.near_after;
        // The function being written: every reference in it is near.
        let within = enclosing_at(tags, self.cursor.offset, cursor_line).and_then(|mut at| {
            loop {
                let d = &tags.definitions[at];
                if matches!(d.kind, DefinitionKind::Function | DefinitionKind::Method) {
                    break Some(at);
                }
                at = d.parent?;
            }
        });
        let mut near: FxHashMap<&str, (f32, usize, ReferenceKind)> = FxHashMap::default();
        let mut used: FxHashSet<&str> = FxHashSet::default();
        for r in &tags.references {
            used.insert(&r.name);
            let inside =
                within.is_some() && r.enclosing.is_some_and(|e| is_within(tags, e, within));
            if !(inside || (lo..=hi).contains(&r.line)) {
                continue;
            }
            let distance = r.line.abs_diff(cursor_line) as f32;
            let proximity = 1.0 / (1.0 + distance / 8.0);
            let entry = near.entry(&r.name).or_insert((0.0, r.line, r.kind));
            if proximity > entry.0 {
                *entry = (proximity, r.line, r.kind.min(entry.2));
            }
        }
        let local: FxHashSet<&str> = tags.definitions.iter().map(|d| d.name.as_str()).collect();
        // The types the enclosing class names in its header (bases, implemented interfaces):
        // their members are what `self.`/`this.` calls in the cursor's method reach.
        let owner = enclosing_at(tags, self.cursor.offset, cursor_line).and_then(|mut at| {
            loop {
                let d = &tags.definitions[at];
                if d.kind.holds_methods() {
                    break Some(at);
                }
                at = d.parent?;
            }
        });
        let mut bases: FxHashMap<&str, &str> = FxHashMap::default();
        if let Some(owner) = owner {
            let class = &tags.definitions[owner];
            for r in &tags.references {
                if r.enclosing == Some(owner)
                    && r.line <= class.signature_end_line
                    && r.kind != ReferenceKind::Call
                {
                    bases.insert(&r.name, &class.name);
                }
            }
        }

        // Files the cursor's file imports: where names are looked for first.
        let imported: Vec<(&Import, Vec<&str>)> = tags
            .imports
            .iter()
            .map(|i| (i, module_files(index, self.cursor.path, language, i)))
            .collect();
        let imported_files: Vec<&str> = {
            let mut files: Vec<&str> = imported
                .iter()
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            files.sort_unstable();
            files.dedup();
            files
        };

        let mut wanted: FxHashMap<DefinitionId, Wanted> = FxHashMap::default();
        let mut want = |id: DefinitionId, score: f32, reason: String| {
            let entry = wanted.entry(id).or_insert(Wanted {
                score: 0.0,
                reasons: Vec::new(),
            });
            entry.score = entry.score.max(score);
            if !entry.reasons.contains(&reason) {
                entry.reasons.push(reason);
            }
        };
        let mut bound: FxHashSet<&str> = FxHashSet::default();
        for (import, files) in &imported {
            let local_name = import.local_name();
            if let Some(name) = local_name {
                bound.insert(name);
            }
            let usage = local_name.and_then(|n| near.get(n));
            let base_of = local_name.and_then(|n| bases.get(n).copied());
            let (base, usage_why) = if let Some(class) = base_of {
                (1.0, format!(", named in the header of `{class}`"))
            } else {
                match usage {
                    Some(&(proximity, line, _)) => {
                        (0.8 + 0.2 * proximity, format!(", used at line {line}"))
                    }
                    None if local_name.is_some_and(|n| !used.contains(n)) => {
                        (0.7, ", not used yet in this file".to_string())
                    }
                    None => (0.3, String::new()),
                }
            };
            let from = format!(
                "imported from `{}` at line {}{usage_why}",
                import.module, import.line
            );
            match import.kind {
                ImportKind::Name | ImportKind::Default => {
                    let name = match import.kind {
                        ImportKind::Default => local_name.unwrap_or_default(),
                        _ => import.name.as_deref().unwrap_or_default(),
                    };
                    for (id, tier) in self.resolve(name, files, &imported_files, true) {
                        want(
                            id,
                            base * tier_factor(tier),
                            format!("{from}{}", tier_why(tier)),
                        );
                    }
                    // `from pkg import module`: the module's best definitions.
                    if import.kind == ImportKind::Name {
                        for &file in files.iter().filter(|f| stem_name(f) == name) {
                            for id in self.top_definitions(file, 3) {
                                want(id, base * 0.5, format!("in module `{name}`, {from}"));
                            }
                        }
                    }
                }
                ImportKind::Module | ImportKind::Wildcard => {
                    for &file in files.iter().take(2) {
                        for id in self.top_definitions(file, 3) {
                            want(
                                id,
                                base * 0.5,
                                format!("a top definition of `{}`, {from}", import.module),
                            );
                        }
                    }
                }
            }
        }
        let mut near_names: Vec<(&str, (f32, usize, ReferenceKind))> =
            near.iter().map(|(n, v)| (*n, *v)).collect();
        near_names.sort_by(|a, b| a.0.cmp(b.0));
        for (name, (proximity, line, kind)) in near_names {
            if name.chars().count() < 2 || bound.contains(name) || local.contains(name) {
                continue;
            }
            let verb = match kind {
                ReferenceKind::Call => "called",
                ReferenceKind::Type => "used as a type",
                ReferenceKind::Identifier => "used",
            };
            let specific = if kind == ReferenceKind::Identifier {
                0.0
            } else {
                0.1
            };
            let base = 0.4 + 0.3 * proximity + specific;
            for (id, tier) in self.resolve(name, &[], &imported_files, false) {
                want(
                    id,
                    base * tier_factor(tier),
                    format!("{verb} at line {line}{}", tier_why(tier)),
                );
            }
        }

        let ranks = index.ranks();
        let top_rank = ranks
            .definitions
            .values()
            .copied()
            .fold(0.0f64, f64::max)
            .max(f64::MIN_POSITIVE);
        let mut wanted: Vec<(DefinitionId, Wanted)> = wanted.into_iter().collect();
        for (id, w) in &mut wanted {
            let name = index.definition(id).map_or("", |d| d.name.as_str());
            w.score += (0.05 * ranks.definition(&id.path, name) / top_rank) as f32;
        }
        wanted.sort_by(|a, b| {
            Score(b.1.score)
                .cmp(&Score(a.1.score))
                .then_with(|| a.0.cmp(&b.0))
        });
        wanted.truncate(config.max_definitions);
        for (id, w) in wanted {
            let Some(definition) = index.definition(&id) else {
                continue;
            };
            let Some((range, text)) = self.definition_text(&id) else {
                continue;
            };
            let why = format!(
                "defines {} `{}`: {}",
                definition.kind.name(),
                definition.name,
                w.reasons.join("; ")
            );
            self.push(SnippetKind::Definition, &id.path, range, text, w.score, why);
        }
    }

    /// Definitions of `name` outside the cursor's file with their tier: 0 in `first` (the
    /// import's own module) or in `imported` (any module the file imports), 1 in the cursor's
    /// folder, 2 elsewhere (by rank). When a tier-0 definition exists only those are returned.
    fn resolve(
        &self,
        name: &str,
        first: &[&str],
        imported: &[&str],
        imported_name: bool,
    ) -> Vec<(DefinitionId, u8)> {
        let index = self.workspace.tags();
        let folder = parent(self.cursor.path);
        let all: Vec<&DefinitionId> = index
            .definitions_named(name)
            .iter()
            .filter(|id| id.path != self.cursor.path)
            .collect();
        let mut files: Vec<&str> = all.iter().map(|id| id.path.as_str()).collect();
        files.dedup();
        let mut tiered: Vec<(DefinitionId, u8)> = all
            .into_iter()
            .map(|id| {
                let tier =
                    if first.contains(&id.path.as_str()) || imported.contains(&id.path.as_str()) {
                        0
                    } else if parent(&id.path) == folder {
                        1
                    } else {
                        2
                    };
                (id.clone(), tier)
            })
            .collect();
        if tiered.iter().any(|(_, t)| *t == 0) {
            tiered.retain(|(_, t)| *t == 0);
            // The import's own module settles it.
            if tiered
                .iter()
                .any(|(id, _)| first.contains(&id.path.as_str()))
            {
                tiered.retain(|(id, _)| first.contains(&id.path.as_str()));
            }
        } else if !imported_name && files.len() > self.config.max_defining_files {
            return Vec::new();
        }
        let ranks = index.ranks();
        tiered.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| {
                    ranks
                        .definition(&b.0.path, name)
                        .total_cmp(&ranks.definition(&a.0.path, name))
                })
                .then_with(|| a.0.cmp(&b.0))
        });
        // Prefer outer definitions (a class's `load` over a nested helper of the same name).
        tiered.truncate(self.config.per_name.max(1));
        tiered
    }

    /// A file's best-ranked top-level definitions.
    fn top_definitions(&self, path: &str, n: usize) -> Vec<DefinitionId> {
        let index = self.workspace.tags();
        let Some(file) = index.file(path) else {
            return Vec::new();
        };
        let ranks = index.ranks();
        let mut top: Vec<(f64, usize)> = file
            .tags
            .definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.parent.is_none())
            .map(|(i, d)| (ranks.definition(path, &d.name), i))
            .collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.into_iter()
            .take(n)
            .map(|(_, index)| DefinitionId {
                path: path.to_string(),
                index,
            })
            .collect()
    }

    /// The line range and text a definition snippet shows, cut from the project's chunks.
    fn definition_text(&self, id: &DefinitionId) -> Option<((usize, usize), String)> {
        let index = self.workspace.tags();
        let tags = &index.file(&id.path)?.tags;
        let file = self.workspace.project().file(&id.path)?;
        let d = tags.definitions.get(id.index)?;
        let max = self.config.max_snippet_lines.max(1);
        let whole = |start: usize, end: usize| lines(file, start, end.min(start + max - 1));
        let short = d.end_line - d.start_line < 6;
        if self.config.definition_text == DefinitionText::Whole || short {
            return Some((
                (d.start_line, d.end_line.min(d.start_line + max - 1)),
                whole(d.start_line, d.end_line),
            ));
        }
        let signature = |d: &syntax::tags::Definition| {
            lines(
                file,
                d.start_line,
                d.signature_end_line.min(d.start_line + 7),
            )
        };
        match d.kind {
            DefinitionKind::Class
            | DefinitionKind::Interface
            | DefinitionKind::Type
            | DefinitionKind::Module => {
                let mut text = signature(d);
                let mut end = d.signature_end_line;
                let mut shown = 0;
                for (i, member) in tags.definitions.iter().enumerate().skip(id.index + 1) {
                    if member.start_byte >= d.end_byte || shown >= 12 {
                        break;
                    }
                    if member.parent != Some(id.index) {
                        continue;
                    }
                    let _ = i;
                    text.push_str(if member.start_line > end + 1 {
                        "\n⋮\n"
                    } else {
                        "\n"
                    });
                    text.push_str(&signature(member));
                    end = member.signature_end_line;
                    shown += 1;
                }
                Some(((d.start_line, end.max(d.signature_end_line)), text))
            }
            DefinitionKind::Method => {
                // A method reads better under its class's header.
                let sig = signature(d);
                match d.parent.and_then(|p| tags.definitions.get(p)) {
                    Some(owner) if owner.kind.holds_methods() => {
                        let header = signature(owner);
                        Some((
                            (owner.start_line, d.signature_end_line),
                            format!("{header}\n⋮\n{sig}"),
                        ))
                    }
                    _ => Some(((d.start_line, d.signature_end_line), sig)),
                }
            }
            DefinitionKind::Constant => Some((
                (d.start_line, d.end_line.min(d.start_line + 4)),
                whole(d.start_line, d.start_line + 4),
            )),
            DefinitionKind::Function | DefinitionKind::Macro => {
                Some(((d.start_line, d.signature_end_line), signature(d)))
            }
        }
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

/// The innermost definition the cursor is in, counting one whose range ends on the line just
/// before the cursor: a body being written (or cut out) often leaves the parser closing the
/// definition at its signature.
fn enclosing_at(tags: &FileTags, offset: usize, cursor_line: usize) -> Option<usize> {
    tags.definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.start_byte <= offset && (offset < d.end_byte || d.end_line + 1 >= cursor_line)
        })
        .max_by_key(|(_, d)| d.start_byte)
        .map(|(i, _)| i)
}

/// Whether definition `inner` is `outer` or inside it.
fn is_within(tags: &FileTags, inner: usize, outer: Option<usize>) -> bool {
    let Some(outer) = outer else { return false };
    let mut at = Some(inner);
    while let Some(i) = at {
        if i == outer {
            return true;
        }
        at = tags.definitions[i].parent;
    }
    false
}

fn tier_factor(tier: u8) -> f32 {
    match tier {
        0 => 1.0,
        1 => 0.75,
        _ => 0.55,
    }
}

fn tier_why(tier: u8) -> &'static str {
    match tier {
        0 => " (in an imported module)",
        1 => " (same folder)",
        _ => " (by repo-map rank)",
    }
}

/// `a/b/utils.py` → `utils`; `a/b/__init__.py` → `b`.
fn stem_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    if stem == "__init__" || stem == "index" || stem == "mod" {
        parent(path).rsplit('/').next().unwrap_or(stem)
    } else {
        stem
    }
}

fn human_age(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h", seconds / 3600),
    }
}
