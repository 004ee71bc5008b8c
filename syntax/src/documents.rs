//! Trees of the documents being edited, re-parsed incrementally.
//!
//! Every completion request carries the whole text of the file at the cursor, and gathering
//! needs that text's tags: parsing it from scratch costs time in proportion to the file (about
//! 12 ms natively for a 2,500-line Python file), on every keystroke. Between two keystrokes the
//! text changes in one place, so [`DocumentTrees`] keeps the last text and tree of a few recently
//! edited paths, finds the changed range as the common prefix and suffix of the old and new text,
//! tells the old tree about it (`Tree::edit`) and lets tree-sitter re-parse only what the edit
//! touched. The result is the tree a fresh parse gives (the tests compare them).
//!
//! Pure like the rest of the crate: the caller owns the cache and decides its size.

use tree_sitter::{InputEdit, Parser, Point, Tree};

use crate::grammar::grammar;
use crate::language::Language;
use crate::tags::{FileTags, tags_of_tree};

/// One remembered document.
struct Document {
    path: String,
    language: Language,
    text: String,
    tree: Tree,
}

/// The last text and tree of up to `capacity` paths, most recently used first.
pub struct DocumentTrees {
    documents: Vec<Document>,
    capacity: usize,
    parsers: Vec<(Language, Parser)>,
}

impl std::fmt::Debug for DocumentTrees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentTrees")
            .field(
                "paths",
                &self
                    .documents
                    .iter()
                    .map(|d| d.path.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// How a tree was obtained, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The text equals the remembered one: its tree as it was.
    Unchanged,
    /// Re-parsed from the remembered tree after an edit.
    Incremental,
    /// Parsed from scratch (first sight of the path, or another language).
    Fresh,
}

impl DocumentTrees {
    /// A cache of `capacity` documents (at least one). Editors show a handful of files at once;
    /// each entry holds a copy of its text and its tree.
    pub fn new(capacity: usize) -> Self {
        DocumentTrees {
            documents: Vec::new(),
            capacity: capacity.max(1),
            parsers: Vec::new(),
        }
    }

    /// The tree of `text`, the current content of `path` in `language`, and how it was obtained;
    /// `None` when the language has no grammar compiled in or the parse runs over the work
    /// budget the chunker's parses have (pathological input).
    pub fn tree(&mut self, path: &str, language: Language, text: &str) -> Option<(Tree, Parsed)> {
        let previous = self
            .documents
            .iter()
            .position(|d| d.path == path && d.language == language)
            .map(|at| self.documents.remove(at));
        let (tree, parsed) = match previous {
            Some(document) if document.text == text => (document.tree, Parsed::Unchanged),
            Some(mut document) => {
                document.tree.edit(&edit_between(&document.text, text));
                let tree = self.parse(language, text, Some(&document.tree))?;
                (tree, Parsed::Incremental)
            }
            None => (self.parse(language, text, None)?, Parsed::Fresh),
        };
        self.documents.retain(|d| d.path != path);
        self.documents.insert(
            0,
            Document {
                path: path.to_string(),
                language,
                text: text.to_string(),
                tree: tree.clone(),
            },
        );
        self.documents.truncate(self.capacity);
        Some((tree, parsed))
    }

    /// [`crate::tags::tags`] of `text`, through [`DocumentTrees::tree`].
    pub fn tags(&mut self, path: &str, language: Language, text: &str) -> FileTags {
        self.tree(path, language, text)
            .map(|(tree, _)| tags_of_tree(language, &tree, text))
            .unwrap_or_default()
    }

    /// Forgets `path` (closed in the editor, removed from the project).
    pub fn forget(&mut self, path: &str) {
        self.documents.retain(|d| d.path != path);
    }

    fn parse(&mut self, language: Language, text: &str, old: Option<&Tree>) -> Option<Tree> {
        let at = match self.parsers.iter().position(|(l, _)| *l == language) {
            Some(at) => at,
            None => {
                let mut parser = Parser::new();
                parser.set_language(&grammar(language)?).ok()?;
                self.parsers.push((language, parser));
                self.parsers.len() - 1
            }
        };
        crate::chunk::parse_within_budget(&mut self.parsers[at].1, text, old)
    }
}

/// What changed between `old` and `new`: `old[start..old_end]` became `new[start..new_end]`,
/// everything around it being their common prefix and common suffix (not overlapping). The
/// offsets stay on character boundaries, so the spans are text and the points real positions.
pub fn changed_span(old: &str, new: &str) -> (usize, usize, usize) {
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let room = old.len().min(new.len()) - start;
    let mut common_end = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - common_end)
        || !new.is_char_boundary(new.len() - common_end)
    {
        common_end -= 1;
    }
    (start, old.len() - common_end, new.len() - common_end)
}

/// The edit turning `old` into `new`: the [`changed_span`] was replaced.
fn edit_between(old: &str, new: &str) -> InputEdit {
    let (start, old_end, new_end) = changed_span(old, new);
    InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(old, start),
        old_end_position: point_at(old, old_end),
        new_end_position: point_at(new, new_end),
    }
}

/// Row and byte column of `offset` in `text`, as tree-sitter counts them.
fn point_at(text: &str, offset: usize) -> Point {
    let before = &text.as_bytes()[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    Point {
        row,
        column: offset - line_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_is_the_span_between_common_prefix_and_suffix() {
        let e = edit_between("a = 1\nb = 2\n", "a = 1\nb = 22\n");
        assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (11, 11, 12));
        assert_eq!(e.start_position, Point { row: 1, column: 5 });
        // A repeated character: the suffix must not overlap the prefix.
        let e = edit_between("aaa", "aaaa");
        assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (3, 3, 4));
        let e = edit_between("x = 'é'", "x = 'è'");
        assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (5, 7, 7));
        let e = edit_between("same", "same");
        assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (4, 4, 4));
    }
}
