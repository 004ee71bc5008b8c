//! Docstrings: a Python body's leading string, and the cleaned text of a comment run directly
//! above a unit. Chunks carry them so that search and explanations can quote what the author said
//! a unit does, without comment markers or indentation.

use tree_sitter::Node;

use super::source::Source;
use crate::language::Language;

impl Source<'_> {
    /// Python: a string as the first statement of a body is the docstring.
    pub(super) fn body_docstring(&self, body: Node<'_>) -> Option<String> {
        if self.language != Language::Python {
            return None;
        }
        let first = body.named_child(0)?;
        if first.kind() != "expression_statement" {
            return None;
        }
        let string = first.named_child(0)?;
        if string.kind() != "string" {
            return None;
        }
        let raw = self.node_text(string);
        let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let body = body
            .trim_start_matches(['"', '\''])
            .trim_end_matches(['"', '\'']);
        let doc = dedent(body);
        (!doc.is_empty()).then_some(doc)
    }
}

/// Strips comment markers (`//`, `///`, `/* */`, `*`, `#`) and joins the lines.
pub(super) fn clean_comment(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        let mut l = line.trim();
        for prefix in ["///", "//!", "//", "/**", "/*!", "/*", "#"] {
            if let Some(rest) = l.strip_prefix(prefix) {
                l = rest;
                break;
            }
        }
        l = l.strip_suffix("*/").unwrap_or(l).trim();
        l = l.strip_prefix('*').unwrap_or(l).trim();
        if l.is_empty() && out.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
    }
    out.trim_end().to_string()
}

/// Removes the common indentation of a docstring's lines after the first.
fn dedent(text: &str) -> String {
    let text = text.trim();
    let indent = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        } else {
            out.push_str(line);
        }
    }
    out
}
