//! The parsed file seen as lines: where each 0-based line starts, how big and how blank a line
//! range is, and which lines a syntax node occupies. The walk claims whole lines so that coverage
//! holds by construction, and every other part of the chunker measures in these same terms.

use tree_sitter::Node;

use crate::language::Language;

/// The text being chunked, its language and the byte offset of every line start.
pub(super) struct Source<'a> {
    pub(super) language: Language,
    pub(super) text: &'a str,
    pub(super) line_starts: &'a [usize],
}

impl<'a> Source<'a> {
    /// Byte offset where `line` starts; the end of the text past the last line.
    pub(super) fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Bytes of the inclusive line range, newline included.
    pub(super) fn size(&self, start: usize, end: usize) -> usize {
        self.line_start(end + 1) - self.line_start(start)
    }

    /// The inclusive line range's text, newline included.
    fn lines(&self, start: usize, end: usize) -> &'a str {
        &self.text[self.line_start(start)..self.line_start(end + 1)]
    }

    pub(super) fn is_blank(&self, start: usize, end: usize) -> bool {
        self.lines(start, end).trim().is_empty()
    }

    /// Whether the lines hold only closing punctuation (`}`, `};`, `)`, `end`).
    pub(super) fn is_closing(&self, start: usize, end: usize) -> bool {
        self.lines(start, end).split_whitespace().all(|w| {
            w.chars().all(|c| matches!(c, '}' | ')' | ']' | ';' | ',')) || w.starts_with("//")
        })
    }

    /// The 0-based line holding `byte`.
    pub(super) fn line_of(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= byte) - 1
    }

    pub(super) fn node_text(&self, node: Node<'_>) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or("")
    }
}

/// The 0-based line where `node` starts.
pub(super) fn start_line(node: Node<'_>) -> usize {
    node.start_position().row
}

/// The last line holding a byte of `node` (a node ending in a newline ends on the line before).
pub(super) fn end_line(node: Node<'_>) -> usize {
    let end = node.end_position();
    if end.column == 0 && end.row > node.start_position().row {
        end.row - 1
    } else {
        end.row
    }
}
