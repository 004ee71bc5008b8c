//! A piece of context offered to the prompt builder: where it comes from, what it says, what it
//! costs and why it was chosen. Gathering produces them ([`crate::context`]); rendering consumes
//! them ([`crate::prompt`]), so the two never reach into each other.

use serde::Serialize;

/// Where a snippet comes from, in the builder's default priority order (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnippetKind {
    /// The definition of a symbol the cursor's code reaches (an import or a nearby reference).
    Definition,
    /// A range the person edited recently, reported by the host.
    RecentEdit,
    /// A hybrid-search hit for the code around the cursor.
    SearchHit,
    /// Part of a file open in the host's editor.
    OpenFile,
    /// A line of the repository map (signatures ranked by references).
    RepoMap,
}

/// One candidate piece of context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snippet {
    pub kind: SnippetKind,
    pub path: String,
    /// 1-based, inclusive line range of `text` in `path`.
    pub start_line: usize,
    pub end_line: usize,
    pub text: String,
    /// Higher is better; comparable within a kind.
    pub score: f32,
    /// Tokens `text` costs with the counter the gatherer was given.
    pub tokens: usize,
    /// A short reason a person can read ("defines `parse_config`, imported at line 3").
    pub why: String,
}
