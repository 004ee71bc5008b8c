//! One file's syntax errors and security findings from one parse, for hosts that show both
//! (editor markers): the tree the diagnostics walk is the tree the rules query.

use syntax::Language;
use tree_sitter::{Parser, Tree};

use crate::diagnostics::{SyntaxDiagnostic, diagnose_tree};
use crate::rules::{Finding, FindingCache, RuleSet};

/// What [`analyze`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileAnalysis {
    pub syntax: Vec<SyntaxDiagnostic>,
    pub findings: Vec<Finding<'static>>,
}

/// Parses `text` as `language` once and runs the syntax diagnostics and the language's built-in
/// security rules on the tree; empty for a language without a grammar compiled in.
pub fn analyze(language: Language, text: &str) -> FileAnalysis {
    let Some(grammar) = syntax::grammar::grammar(language) else {
        return FileAnalysis::default();
    };
    let mut parser = Parser::new();
    if parser.set_language(&grammar).is_err() {
        return FileAnalysis::default();
    }
    let Some(tree) = parser.parse(text, None) else {
        return FileAnalysis::default();
    };
    analyze_tree(language, &tree, text)
}

/// [`analyze`] on a tree the caller already holds for `text` (an editor's document, re-parsed
/// incrementally as it is typed in): the parse is most of a scan's cost, so a host that keeps
/// trees pays it once for completions, tags and analysis together.
pub fn analyze_tree(language: Language, tree: &Tree, text: &str) -> FileAnalysis {
    FileAnalysis {
        syntax: diagnose_tree(language, tree, text),
        findings: RuleSet::builtin(language)
            .map(|rules| rules.check_tree(tree, text))
            .unwrap_or_default(),
    }
}

/// [`analyze_tree`] for a file being edited: the rules re-query only the top-level statements
/// whose lines changed since `cache` saw them (same result, see [`RuleSet::check_tree_cached`]).
pub fn analyze_tree_cached(
    language: Language,
    tree: &Tree,
    text: &str,
    cache: &mut FindingCache,
) -> FileAnalysis {
    FileAnalysis {
        syntax: diagnose_tree(language, tree, text),
        findings: RuleSet::builtin(language)
            .map(|rules| rules.check_tree_cached(tree, text, cache))
            .unwrap_or_default(),
    }
}
