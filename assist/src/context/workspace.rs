//! [`Workspace`]: the one owner of what indexing produced for the assistant. The host indexes a
//! file with one call and both the engine's [`Project`] (chunks, BM25, vectors, line maps) and
//! the [`TagIndex`] (definitions, references, imports, repo-map ranks) follow. Text is kept once,
//! in the project's chunks: the tag index holds positions and names, and snippets are cut from the
//! chunks ([`lines`]).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use engine::embed::Embedder;
use engine::project::{BulkReport, Control, FileReport, ProjectError};
use engine::{IndexedFile, Project, ProjectConfig};
use syntax::Language;
use syntax::documents::DocumentTrees;

use super::index::{TagIndex, TaggedFile};

/// Revisions are drawn from one counter, so two workspaces (one replaced by a restore, say)
/// never share one and a memo keyed by revision cannot confuse them.
static REVISIONS: AtomicU64 = AtomicU64::new(1);

fn next_revision() -> u64 {
    REVISIONS.fetch_add(1, Ordering::Relaxed)
}

/// The project index and the tag index, updated together.
#[derive(Debug)]
pub struct Workspace {
    project: Project,
    tags: TagIndex,
    /// Changes whenever what gathering could read may have changed.
    revision: u64,
    /// Adopted files whose tags are not built yet ([`Workspace::adopt`]).
    untagged: BTreeSet<String>,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            project: Project::default(),
            tags: TagIndex::default(),
            revision: next_revision(),
            untagged: BTreeSet::new(),
        }
    }
}

impl Workspace {
    pub fn new(config: ProjectConfig) -> Self {
        Workspace {
            project: Project::new(config),
            tags: TagIndex::default(),
            revision: next_revision(),
            untagged: BTreeSet::new(),
        }
    }

    /// A number that changes with every change to the indexed files (and every mutable borrow
    /// of the project): what was gathered at one revision holds until the next.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Adopts a project (restored from a snapshot, say) and tags its files from their chunks, so
    /// a reload needs no source text.
    pub fn from_project(project: Project) -> Self {
        let mut workspace = Workspace::adopt(project);
        workspace.tag_pending(usize::MAX);
        workspace
    }

    /// Adopts a project without tagging its files yet: search works at once, and
    /// [`Workspace::tag_pending`] tags them a few at a time (a reload of a large project is
    /// searchable in the time it takes to read the snapshot; tagging it all took seconds in a
    /// tab). Until then, definitions in untagged files are not found.
    pub fn adopt(project: Project) -> Self {
        let untagged = project
            .paths()
            .filter(|p| {
                project
                    .file(p)
                    .is_some_and(|f| f.chunked.language.is_some())
            })
            .map(str::to_string)
            .collect();
        Workspace {
            project,
            tags: TagIndex::default(),
            revision: next_revision(),
            untagged,
        }
    }

    /// Tags up to `max_files` of the files adopted untagged, from their chunks; returns how many
    /// are still untagged.
    pub fn tag_pending(&mut self, max_files: usize) -> usize {
        let mut tagged = 0;
        while tagged < max_files {
            let Some(path) = self.untagged.pop_first() else {
                break;
            };
            if let Some(file) = self.project.file(&path)
                && let Some(language) = file.chunked.language
            {
                let text = file_text(file);
                self.tags.update(
                    &path,
                    TaggedFile::new(language, syntax::tags::tags(language, &text)),
                );
            }
            tagged += 1;
        }
        if tagged > 0 {
            self.revision = next_revision();
        }
        self.untagged.len()
    }

    /// Files adopted but not tagged yet.
    pub fn pending_tags(&self) -> usize {
        self.untagged.len()
    }

    /// Marks what was gathered so far as stale, for a change outside the indexes that changes
    /// what prompts hold (another tokenizer, say).
    pub fn invalidate(&mut self) {
        self.revision = next_revision();
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The project for maintenance that leaves its files as they are (the vector graph, say).
    /// Indexing and removing go through [`Workspace::index_file`] and
    /// [`Workspace::remove_file`], or the tag index would fall behind the project.
    pub fn project_mut(&mut self) -> &mut Project {
        self.revision = next_revision();
        &mut self.project
    }

    pub fn tags(&self) -> &TagIndex {
        &self.tags
    }

    /// (Re)indexes one file in both indexes. Unchanged bytes cost one hash; an edit re-chunks and
    /// re-tags that file only. On an embedding error neither index changes.
    pub fn index_file(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
    ) -> Result<FileReport, ProjectError> {
        self.index_file_parsed_with(path, bytes, embedder, None)
    }

    /// [`Workspace::index_file`] for a file open in an editor: its tree comes from `documents`
    /// (re-parsed incrementally from the last text of that path it saw, which completions at
    /// that path keep current) and stays there, so the chunks, the tags, the prompts and the
    /// host's analysis of the document share one parse per edit.
    pub fn index_document(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
        documents: &mut DocumentTrees,
    ) -> Result<FileReport, ProjectError> {
        let mut parse =
            |language, text: &str| documents.tree(path, language, text).map(|(tree, _)| tree);
        self.index_file_parsed_with(path, bytes, embedder, Some(&mut parse))
    }

    fn index_file_parsed_with(
        &mut self,
        path: &str,
        bytes: &[u8],
        embedder: Option<&dyn Embedder>,
        parse: Option<syntax::ParseWith<'_>>,
    ) -> Result<FileReport, ProjectError> {
        // The chunker's tree is tagged too: one parse per indexed file, not one per index.
        let (report, tree) = self
            .project
            .index_file_parsed_with(path, bytes, embedder, parse)?;
        if report.unchanged && self.tags.file(path).is_some() {
            return Ok(report);
        }
        self.revision = next_revision();
        self.untagged.remove(path);
        let language = self
            .project
            .file(path)
            .and_then(|f| f.chunked.language)
            .or_else(|| Language::detect(path, ""));
        match language {
            Some(language) if !syntax::chunk::looks_binary(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                let tags = match &tree {
                    Some(tree) => syntax::tags::tags_of_tree(language, tree, &text),
                    // Unchanged bytes of an adopted file, or a file the chunker did not parse.
                    None => syntax::tags::tags(language, &text),
                };
                self.tags.update(path, TaggedFile::new(language, tags));
            }
            _ => {
                self.tags.remove(path);
            }
        }
        Ok(report)
    }

    /// Indexes many files, reporting `progress(done, total)` after each and stopping early when
    /// it returns [`Control::Stop`]; what was indexed before stopping stays indexed in both.
    pub fn index_files(
        &mut self,
        files: &[(&str, &[u8])],
        embedder: Option<&dyn Embedder>,
        mut progress: impl FnMut(usize, usize) -> Control,
    ) -> Result<BulkReport, ProjectError> {
        let mut report = BulkReport::default();
        for (done, (path, bytes)) in files.iter().enumerate() {
            let file = self.index_file(path, bytes, embedder)?;
            report.files += 1;
            report.unchanged += usize::from(file.unchanged);
            report.chunks += file.chunks;
            report.embedded += file.embedded;
            if progress(done + 1, files.len()) == Control::Stop {
                report.cancelled = done + 1 < files.len();
                break;
            }
        }
        Ok(report)
    }

    /// Removes a file from both indexes; returns whether it was indexed.
    pub fn remove_file(&mut self, path: &str) -> bool {
        self.revision = next_revision();
        self.untagged.remove(path);
        let in_tags = self.tags.remove(path);
        self.project.remove_file(path) || in_tags
    }
}

/// Lines `start..=end` (1-based) of an indexed file, cut from its chunks. Lines no chunk covers
/// (blank ones) come back empty; indentation before a chunk that starts mid-line is restored as
/// spaces.
pub fn lines(file: &IndexedFile, start: usize, end: usize) -> String {
    let mut out: Vec<String> = vec![String::new(); end.saturating_sub(start) + 1];
    if end < start {
        return String::new();
    }
    for chunk in &file.chunked.chunks {
        if chunk.end_line < start || chunk.start_line > end {
            continue;
        }
        let source = original(chunk);
        let column = file
            .lines
            .line_start(chunk.start_line)
            .map_or(0, |s| chunk.start_byte.saturating_sub(s));
        for (i, line) in source.split('\n').enumerate() {
            let number = chunk.start_line + i;
            if number < start || number > end || number > chunk.end_line {
                continue;
            }
            let slot = &mut out[number - start];
            if i == 0 {
                slot.push_str(&" ".repeat(column));
            }
            slot.push_str(line.strip_suffix('\r').unwrap_or(line));
        }
    }
    while out.last().is_some_and(String::is_empty) && out.len() > 1 {
        out.pop();
    }
    out.join("\n")
}

/// A file's text rebuilt from its chunks at their byte offsets (blank lines and the spaces
/// between chunks come back as blanks, so every offset and line agrees with the original).
pub fn file_text(file: &IndexedFile) -> String {
    let len = file.lines.len_utf8();
    let mut bytes = vec![b' '; len];
    for line in 2..=file.lines.lines() {
        if let Some(start) = file.lines.line_start(line)
            && start > 0
        {
            bytes[start - 1] = b'\n';
        }
    }
    for chunk in &file.chunked.chunks {
        let source = original(chunk).as_bytes();
        if chunk.start_byte + source.len() <= len {
            bytes[chunk.start_byte..chunk.start_byte + source.len()].copy_from_slice(source);
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The chunk's own source: its text without the enclosing signatures a split piece is prefixed
/// with (the text always ends with the source of its range).
fn original(chunk: &syntax::Chunk) -> &str {
    let len = chunk.end_byte - chunk.start_byte;
    chunk
        .text
        .get(chunk.text.len().saturating_sub(len)..)
        .unwrap_or(&chunk.text)
}
