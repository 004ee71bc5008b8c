//! Claimed line spans and how they become chunks: cutting an over-budget range into pieces at
//! statement boundaries, finding the lines no unit claimed, and turning spans into [`Chunk`]s (a
//! single line over budget, as in minified code, is cut at char boundaries). The walk decides what
//! a span is; this module decides only where it is cut, so the size budget is enforced in one place.

use tree_sitter::Node;

use super::source::{Source, start_line};
use super::{Chunk, ChunkKind, ceil_char_boundary, floor_char_boundary};

/// A claimed, inclusive range of 0-based lines and what it is.
#[derive(Debug)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: ChunkKind,
    pub(super) name: Option<String>,
    pub(super) qualified: Option<String>,
    pub(super) doc: Option<String>,
    /// Enclosing signatures, prepended to the text of every piece but the first of a split unit.
    pub(super) context: Option<String>,
    /// Whether this piece continues a unit split earlier (it gets `context` in its text).
    pub(super) continued: bool,
}

/// What a unit's chunks are called and documented as, and the signatures their later pieces carry.
pub(super) struct Meta {
    pub(super) kind: ChunkKind,
    pub(super) name: Option<String>,
    pub(super) qualified: Option<String>,
    pub(super) doc: Option<String>,
    pub(super) context: Option<String>,
}

impl Meta {
    /// An unnamed filler: module-level statements, or an import block.
    pub(super) fn anonymous(kind: ChunkKind) -> Self {
        Meta {
            kind,
            name: None,
            qualified: None,
            doc: None,
            context: None,
        }
    }
}

/// Splits `[start, end]` into pieces within `budget`, cutting at `cuts` (lines) when possible and
/// at any line otherwise, and appends them to `out`.
pub(super) fn split_into(
    src: &Source<'_>,
    budget: usize,
    out: &mut Vec<Span>,
    start: usize,
    end: usize,
    cuts: &[usize],
    meta: Meta,
) {
    // Callers collect cuts in tree order, which is not always line order (a C++ class in a
    // header put them out of order and this loop never advanced): sort a copy so the binary
    // searches below hold, and never let a piece end before it starts.
    let sorted: Vec<usize>;
    let cuts = if cuts.is_sorted() {
        cuts
    } else {
        let mut copy = cuts.to_vec();
        copy.sort_unstable();
        copy.dedup();
        sorted = copy;
        &sorted[..]
    };
    let mut current = start;
    let mut first = true;
    while current <= end {
        let piece_end = if src.size(current, end) <= budget {
            end
        } else {
            let limit = src.line_start(current).saturating_add(budget);
            // The farthest statement start that keeps the piece in budget...
            let from = cuts.partition_point(|&c| c <= current);
            let to = cuts.partition_point(|&c| c <= end);
            let by_statement = cuts[from..to]
                .iter()
                .rev()
                .find(|&&c| src.line_start(c) <= limit)
                .copied();
            // ...else the farthest line that does, else the one (huge) line.
            let cut = by_statement.unwrap_or_else(|| {
                let line = src.line_starts.partition_point(|&s| s <= limit);
                line.saturating_sub(1).clamp(current + 1, end + 1)
            });
            (cut - 1).max(current)
        };
        if !src.is_blank(current, piece_end) {
            out.push(Span {
                start: current,
                end: piece_end,
                kind: meta.kind,
                name: meta.name.clone(),
                qualified: meta.qualified.clone(),
                doc: if first { meta.doc.clone() } else { None },
                context: meta.context.clone(),
                continued: !first,
            });
            first = false;
        }
        current = piece_end + 1;
    }
}

/// Lines where statements start inside `node`, descending only into children that are
/// themselves over budget. Iterative so deep nesting cannot overflow the stack.
pub(super) fn statement_lines(node: Node<'_>, budget: usize) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut stack = vec![node];
    let mut cursor = node.walk();
    while let Some(n) = stack.pop() {
        cursor.reset(n);
        if !cursor.goto_first_child() {
            continue;
        }
        loop {
            let child = cursor.node();
            if child.is_named() {
                lines.push(start_line(child));
                // Half the budget: a child that big may not fit next to its neighbours.
                if child.byte_range().len() > budget / 2 {
                    stack.push(child);
                }
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    // Never cut between a unit's doc comment or signature line and its body.
    let first = start_line(node);
    lines.retain(|&l| l > first);
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Unclaimed non-blank line ranges inside `[start, end]`, given claims sorted by start.
pub(super) fn gaps(
    src: &Source<'_>,
    claims: &[Span],
    start: usize,
    end: usize,
) -> Vec<(usize, usize)> {
    let mut gaps = Vec::new();
    let mut next = start;
    let push = |from: usize, to: usize, gaps: &mut Vec<(usize, usize)>| {
        if from <= to && !src.is_blank(from, to) {
            gaps.push((from, to));
        }
    };
    for span in claims {
        if span.start > next {
            push(next, span.start - 1, &mut gaps);
        }
        next = next.max(span.end + 1);
    }
    if next <= end {
        push(next, end, &mut gaps);
    }
    gaps
}

/// The chunks of sorted, non-overlapping spans: each trimmed to its non-blank bytes, a later piece
/// of a split unit prefixed by its context.
pub(super) fn into_chunks(
    src: &Source<'_>,
    budget: usize,
    spans: &[Span],
    path: &str,
) -> Vec<Chunk> {
    let mut chunks = Vec::with_capacity(spans.len());
    for span in spans {
        let raw_start = src.line_start(span.start);
        let raw_end = src.line_start(span.end + 1);
        let slice = &src.text[raw_start..raw_end];
        let start_byte = raw_start + (slice.len() - slice.trim_start().len());
        let end_byte = raw_start + slice.trim_end().len();
        if end_byte <= start_byte {
            continue;
        }
        if end_byte - start_byte > budget && span.start == span.end {
            // One line over budget (minified code): cut it at char boundaries.
            cut_line(src, budget, &mut chunks, span, start_byte, end_byte, path);
            continue;
        }
        let body = &src.text[start_byte..end_byte];
        let text = match &span.context {
            Some(context) if span.continued && !context.is_empty() => {
                format!("{context}\n{body}")
            }
            _ => body.to_string(),
        };
        chunks.push(span.chunk(src, path, (start_byte, end_byte), span.doc.clone(), text));
    }
    chunks
}

/// Cuts one over-budget line into pieces of at most `budget` bytes, at char boundaries.
fn cut_line(
    src: &Source<'_>,
    budget: usize,
    chunks: &mut Vec<Chunk>,
    span: &Span,
    start: usize,
    end: usize,
    path: &str,
) {
    let mut from = start;
    while from < end {
        let mut to = floor_char_boundary(src.text, from.saturating_add(budget).min(end));
        if to <= from {
            // A budget smaller than one character still makes progress.
            to = ceil_char_boundary(src.text, from + 1);
        }
        let text = src.text[from..to].to_string();
        chunks.push(span.chunk(src, path, (from, to), None, text));
        from = to;
    }
}

impl Span {
    /// A chunk of this span's kind and names over the byte range `start..end`.
    fn chunk(
        &self,
        src: &Source<'_>,
        path: &str,
        (start, end): (usize, usize),
        docstring: Option<String>,
        text: String,
    ) -> Chunk {
        Chunk {
            path: path.to_string(),
            language: Some(src.language),
            kind: self.kind,
            name: self.name.clone(),
            qualified_name: self.qualified.clone(),
            start_byte: start,
            end_byte: end,
            start_line: src.line_of(start) + 1,
            end_line: src.line_of(end - 1) + 1,
            docstring,
            text,
        }
    }
}
