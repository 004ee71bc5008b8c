//! Security rules of the bandit/semgrep class: code execution from strings, shell commands and
//! SQL built from input, unsafe deserialisation, weak hashes, disabled TLS checks, hard-coded
//! credentials, HTML sinks, path traversal, insecure temp files, debug mode, weak randomness,
//! XML external entities, open redirects.
//!
//! The rules are data, one table per language family (`python.toml`, `javascript.toml` for
//! JavaScript, TypeScript and TSX, `go.toml`, `java.toml`): a tree-sitter query with its
//! predicates, an id, a CWE, severity, confidence, message and fix, and a few conditions the
//! query language cannot say (`dynamic`: a capture must not be a constant; `literal`: a capture
//! must be a real-looking string; `requires`/`unless`: a file-level import or safe setting).
//! Each language's rules compile into one query on first use, so a file is one parse and one
//! query walk. There is no taint tracking: a rule sees one expression, and a constant argument is
//! never a finding.

mod cache;
mod constant;
mod table;

use std::ops::Range;
use std::sync::OnceLock;

use syntax::Language;
use tree_sitter::{Node, Parser, QueryCursor, StreamingIterator, Tree};

pub use cache::{FindingCache, SPLIT_BYTES};
pub use table::{Confidence, Rule, RuleSet, RuleSetError, Severity};

use crate::secrets::is_placeholder;

/// The built-in tables.
pub const PYTHON_RULES: &str = include_str!("python.toml");
pub const JAVASCRIPT_RULES: &str = include_str!("javascript.toml");
pub const GO_RULES: &str = include_str!("go.toml");
pub const JAVA_RULES: &str = include_str!("java.toml");

/// Comments that silence a finding on their line: bandit's and gosec's `nosec`, semgrep's
/// `nosemgrep`.
const SUPPRESSIONS: [&str; 2] = ["nosec", "nosemgrep"];

/// One rule match. It names no path: the caller knows which file it checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<'r> {
    pub rule_id: &'r str,
    pub cwe: &'r str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The rule's message with its `{capture}` placeholders filled in.
    pub message: String,
    pub fix: &'r str,
    /// Byte range of the flagged expression.
    pub range: Range<usize>,
    /// 1-based line of the first byte.
    pub line: usize,
    /// 1-based column of the first byte, counted in UTF-8 bytes (hosts convert with
    /// `syntax::LineIndex`).
    pub column: usize,
    /// 1-based line of the last byte.
    pub end_line: usize,
    /// 1-based column just past the last byte, in UTF-8 bytes (tree-sitter's end point).
    pub end_column: usize,
}

/// The built-in table for `language`'s family, or `None` for a language without rules.
pub fn builtin_table(language: Language) -> Option<&'static str> {
    match language {
        Language::Python => Some(PYTHON_RULES),
        Language::JavaScript | Language::TypeScript | Language::Tsx => Some(JAVASCRIPT_RULES),
        Language::Go => Some(GO_RULES),
        Language::Java => Some(JAVA_RULES),
        _ => None,
    }
}

impl RuleSet {
    /// The built-in rules for `language`, compiled on first use; `None` when it has none.
    pub fn builtin(language: Language) -> Option<&'static RuleSet> {
        static SETS: [OnceLock<Option<RuleSet>>; Language::ALL.len()] =
            [const { OnceLock::new() }; Language::ALL.len()];
        let slot = Language::ALL.iter().position(|&l| l == language)?;
        SETS[slot]
            .get_or_init(|| {
                let table = builtin_table(language)?;
                Some(RuleSet::from_toml(language, table).expect("built-in rules compile (tested)"))
            })
            .as_ref()
    }

    /// The findings in `text`, parsed here.
    pub fn check(&self, text: &str) -> Vec<Finding<'_>> {
        let mut parser = Parser::new();
        let Some(grammar) = syntax::grammar::grammar(self.language) else {
            return Vec::new();
        };
        if parser.set_language(&grammar).is_err() {
            return Vec::new();
        }
        match parser.parse(text, None) {
            Some(tree) => self.check_tree(&tree, text),
            None => Vec::new(),
        }
    }

    /// The findings in a tree the caller parsed from `text` with this set's language, sorted by
    /// position then rule, one per rule and range.
    pub fn check_tree(&self, tree: &Tree, text: &str) -> Vec<Finding<'_>> {
        let Some(mut gates) = Gates::new(self, text) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        self.collect(
            &mut QueryCursor::new(),
            tree.root_node(),
            text,
            &mut gates,
            &mut hits,
        );
        outermost(hits.into_iter().map(|(_, finding)| finding).collect())
    }

    /// Every finding of the query's matches in `node`'s subtree (as `cursor` is set), with the
    /// index of its rule, before [`outermost`].
    fn collect<'r>(
        &'r self,
        cursor: &mut QueryCursor,
        node: Node,
        text: &str,
        gates: &mut Gates,
        hits: &mut Vec<(usize, Finding<'r>)>,
    ) {
        let source = text.as_bytes();
        let mut matches = cursor.matches(&self.query, node, source);
        while let Some(m) = matches.next() {
            let index = self.pattern_rule[m.pattern_index];
            let rule = &self.rules[index];
            if !gates.active[index] {
                continue;
            }
            if let Some(regex) = &self.pattern_file[m.pattern_index] {
                let ok =
                    *gates.file_ok[m.pattern_index].get_or_insert_with(|| regex.is_match(text));
                if !ok {
                    continue;
                }
            }
            let nodes = |capture: u32| {
                m.captures()
                    .iter()
                    .filter(move |c| c.index == capture)
                    .map(|c| c.node)
            };
            let Some(finding) = nodes(rule.finding).next() else {
                continue;
            };
            let dynamic_ok = rule.dynamic.iter().all(|&c| {
                let mut seen = nodes(c).peekable();
                seen.peek().is_some()
                    && seen.all(|n| !constant::is_constant(self.language, n, source))
            });
            let literal_ok = rule.literal.iter().all(|&c| {
                let mut seen = nodes(c).peekable();
                seen.peek().is_some() && seen.all(|n| self.is_credential(n, source))
            });
            let parent_ok = finding
                .parent()
                .is_none_or(|p| !rule.not_parent.iter().any(|k| k == p.kind()));
            if !dynamic_ok || !literal_ok || !parent_ok || suppressed(source, finding) {
                continue;
            }
            let message = fill(&rule.message, |name| {
                let capture = self.query.capture_index_for_name(name)?;
                nodes(capture)
                    .next()
                    .map(|n| excerpt(&text[n.byte_range()]))
            });
            let (from, to) = (finding.start_position(), finding.end_position());
            hits.push((
                index,
                Finding {
                    rule_id: &rule.id,
                    cwe: &rule.cwe,
                    severity: rule.severity,
                    confidence: rule.confidence,
                    message,
                    fix: &rule.fix,
                    range: finding.byte_range(),
                    line: from.row + 1,
                    column: from.column + 1,
                    end_line: to.row + 1,
                    end_column: to.column + 1,
                },
            ));
        }
    }

    /// A string literal whose value could be a real credential: not empty, not a placeholder,
    /// not an environment lookup, not a pattern or a name (a raw string, a character class, a
    /// dotted name: tokenizers, grammars and themes call their regexes and scopes `token`).
    fn is_credential(&self, node: Node, source: &[u8]) -> bool {
        if !constant::is_string_literal(self.language, node) {
            return false;
        }
        let raw = matches!(source[node.start_byte()], b'r' | b'R');
        let value = constant::string_content(node, source);
        let class = value.contains(&b'[') && value.contains(&b']');
        // `keyword.flow`, `delimiter.parenthesis`: an editor theme's token names.
        let dotted_name = value.contains(&b'.')
            && value
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'.' | b'_' | b'-'));
        value.len() >= 4
            && !value.contains(&b' ')
            && !raw
            && !class
            && !dotted_name
            && !is_placeholder(value)
    }
}

/// What a whole file decides for every match in it: which rules apply at all (their
/// `requires` and `unless` keywords) and, per pattern, its `#file-matches?` (decided when a
/// match first needs it).
struct Gates {
    active: Vec<bool>,
    file_ok: Vec<Option<bool>>,
}

impl Gates {
    /// `None` when no rule applies to `text`.
    fn new(set: &RuleSet, text: &str) -> Option<Gates> {
        let mut found = vec![false; set.gate_strings.patterns_len()];
        for m in set.gate_strings.find_overlapping_iter(text) {
            found[m.pattern().as_usize()] = true;
        }
        let active: Vec<bool> = set
            .gate_patterns
            .iter()
            .map(|(requires, unless)| {
                (requires.is_empty() || requires.iter().any(|&s| found[s]))
                    && !unless.iter().any(|&s| found[s])
            })
            .collect();
        active.contains(&true).then(|| Gates {
            active,
            file_ok: vec![None; set.pattern_file.len()],
        })
    }
}

/// `hits` sorted by position then rule, without those inside another hit of the same rule:
/// outermost first, so that one expression built in steps (`"SELECT " + a + " FROM"`) is one
/// finding of a rule, not one per step.
fn outermost(mut hits: Vec<Finding<'_>>) -> Vec<Finding<'_>> {
    hits.sort_by(|a, b| {
        (a.range.start, std::cmp::Reverse(a.range.end), a.rule_id).cmp(&(
            b.range.start,
            std::cmp::Reverse(b.range.end),
            b.rule_id,
        ))
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(hits.len());
    for hit in hits {
        let inside = kept.iter().any(|k| {
            k.rule_id == hit.rule_id
                && k.range.start <= hit.range.start
                && hit.range.end <= k.range.end
        });
        if !inside {
            kept.push(hit);
        }
    }
    kept
}

/// [`RuleSet::check`] with the built-in rules of `language` (none for a language without rules).
pub fn check(language: Language, text: &str) -> Vec<Finding<'static>> {
    RuleSet::builtin(language).map_or_else(Vec::new, |set| set.check(text))
}

/// True when the finding's first line carries a suppression comment.
fn suppressed(source: &[u8], node: Node) -> bool {
    let start = node.start_byte();
    let line_start = source[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = source[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| start + i);
    let line = &source[line_start..line_end];
    SUPPRESSIONS
        .iter()
        .any(|s| line.windows(s.len()).any(|w| w == s.as_bytes()))
}

/// `message` with each `{name}` replaced by `value(name)` (left as is when there is none).
fn fill(message: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = message.to_string();
    for name in table::placeholders(message) {
        if let Some(v) = value(name) {
            out = out.replace(&format!("{{{name}}}"), &v);
        }
    }
    out
}

/// A capture's text as a message shows it: its first line, at most 40 characters.
fn excerpt(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let mut out: String = first.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
