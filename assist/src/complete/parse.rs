//! The parse check: a suggestion may not add syntax errors. `prefix + completion + suffix` is
//! parsed with the language's tree-sitter grammar and its ERROR and MISSING nodes compared with
//! those of `prefix + suffix` alone (code being typed is often broken already: only what the
//! completion adds counts). A suggestion is clean when the result has no more errors than
//! before and, unless the code was already broken at the cursor, none touching the inserted
//! text (so a completion cannot trade the error it fixes at the cursor for one of its own), and
//! when it does not end on a line that opens a block (tree-sitter's grammars accept an empty
//! body, a person does not). A suggestion that fails is cut back line by line to the longest
//! head that passes, or dropped.

use tree_sitter::{InputEdit, Parser, Point, Tree};

use super::CursorContext;

/// What the check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Adds no syntax error.
    Clean,
    /// Its first `kept_lines` lines add none; the rest was cut.
    Trimmed { kept_lines: usize },
    /// Every head of it adds errors (or it was empty).
    Dropped,
    /// No grammar for the language: nothing was checked.
    Unchecked,
}

/// The checked suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCheck {
    pub text: String,
    pub verdict: Verdict,
}

fn parse(parser: &mut Parser, text: &str) -> Option<Tree> {
    parser.parse(text, None)
}

/// Byte ranges of the ERROR and MISSING nodes (an ERROR node's insides are noise: once).
fn error_spans(tree: &Tree) -> Vec<(usize, usize)> {
    let mut cursor = tree.walk();
    let mut spans = Vec::new();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            spans.push((node.start_byte(), node.end_byte()));
        }
        // Subtrees without errors are skipped whole: tree-sitter marks every ancestor of an
        // error, so the walk only visits the paths that lead to one.
        if !node.is_error() && node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return spans;
            }
        }
    }
}

/// The row and byte column of `byte` in `text`.
fn point_at(text: &str, byte: usize) -> Point {
    let before = &text.as_bytes()[..byte];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Point {
        row,
        column: byte - line_start,
    }
}

fn count_errors(tree: &Tree) -> usize {
    error_spans(tree).len()
}

/// ERROR and MISSING nodes in `text` parsed as `language`, `None` without a grammar.
pub fn syntax_errors(language: syntax::Language, text: &str) -> Option<usize> {
    let grammar = syntax::grammar::grammar(language)?;
    let mut parser = Parser::new();
    parser.set_language(&grammar).ok()?;
    parse(&mut parser, text).map(|tree| count_errors(&tree))
}

/// Checks `completion` at the cursor; see the module comment.
pub fn parse_check(context: &CursorContext, completion: &str) -> ParseCheck {
    let unchecked = || ParseCheck {
        text: completion.to_string(),
        verdict: Verdict::Unchecked,
    };
    if completion.trim().is_empty() {
        return ParseCheck {
            text: String::new(),
            verdict: Verdict::Dropped,
        };
    }
    let Some(grammar) = context.language.and_then(syntax::grammar::grammar) else {
        return unchecked();
    };
    let mut parser = Parser::new();
    if parser.set_language(&grammar).is_err() {
        return unchecked();
    }
    let at = context.prefix.len();
    // Each parse after the first is incremental: the previous tree is told which part of the
    // text between the cursor and the suffix changed, and only that region is re-parsed. With
    // the caller's tree of `prefix + suffix` even the first is (the suggestion is an insertion
    // into it), so a long file is never parsed whole here.
    let mut previous: Option<(Tree, String, usize)> = None;
    let baseline = match context.baseline {
        Some(tree) => {
            let spans = error_spans(tree);
            previous = Some((
                tree.clone(),
                format!("{}{}", context.prefix, context.suffix),
                0,
            ));
            spans
        }
        None => {
            let Some(tree) = parse(
                &mut parser,
                &format!("{}{}", context.prefix, context.suffix),
            ) else {
                return unchecked();
            };
            error_spans(&tree)
        }
    };
    // Heads are tried longest first, each a head of the one before, so from the second on the
    // edit deletes the tail the head dropped.
    let mut spans_with = |middle: &str| {
        let text = format!("{}{middle}{}", context.prefix, context.suffix);
        let old = previous.take().map(|(mut tree, old_text, old_len)| {
            // The old middle and the new one share their first `common` bytes: one is a head
            // of the other (the baseline's middle is empty).
            let common = old_len.min(middle.len());
            let start = at + common;
            let old_end = at + old_len;
            let new_end = at + middle.len();
            tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: old_end,
                new_end_byte: new_end,
                start_position: point_at(&text, start),
                old_end_position: point_at(&old_text, old_end),
                new_end_position: point_at(&text, new_end),
            });
            tree
        });
        let tree = parser.parse(&text, old.as_ref())?;
        let spans = error_spans(&tree);
        previous = Some((tree, text, middle.len()));
        Some(spans)
    };
    let broken_at_cursor = baseline.iter().any(|&(s, e)| s <= at && at <= e);
    let language = context.language;
    let mut passes = |middle: &str| {
        let last_line = middle.rsplit('\n').next().unwrap_or(middle);
        let last_line = if middle.contains('\n') {
            last_line.to_string()
        } else {
            format!("{}{middle}", context.line_before())
        };
        // Ending on an opener is unfinished, unless the cursor line goes on after it (`foo(`
        // before an auto-closed `)`: the parse below judges that).
        if super::opens_block(&last_line, language) && context.line_after().trim().is_empty() {
            return false;
        }
        spans_with(middle).is_some_and(|spans| {
            let end = at + middle.len();
            spans.len() <= baseline.len()
                && (broken_at_cursor || !spans.iter().any(|&(s, e)| s <= end && e >= at))
        })
    };
    if passes(completion) {
        return ParseCheck {
            text: completion.to_string(),
            verdict: Verdict::Clean,
        };
    }
    // Heads ending at line boundaries, longest first.
    let ends: Vec<usize> = completion
        .char_indices()
        .filter(|&(_, c)| c == '\n')
        .map(|(i, _)| i)
        .collect();
    for (kept, &end) in ends.iter().enumerate().rev() {
        let head = &completion[..end];
        if head.trim().is_empty() {
            continue;
        }
        if passes(head) {
            return ParseCheck {
                text: head.to_string(),
                verdict: Verdict::Trimmed {
                    kept_lines: kept + 1,
                },
            };
        }
    }
    ParseCheck {
        text: String::new(),
        verdict: Verdict::Dropped,
    }
}
