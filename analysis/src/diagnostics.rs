//! Syntax diagnostics: the ERROR and MISSING nodes of a tree-sitter parse, as ranges and
//! messages a person can read ("missing `)`", "unexpected `else`", "unclosed `(`").
//!
//! tree-sitter recovers from every error, so a broken file still has a tree; what went wrong is
//! written into it as MISSING nodes (a token the parser invented to go on, which is exactly what
//! the text lacks) and ERROR nodes (tokens it had to skip). An ERROR that holds an opening
//! bracket it never closed is reported as that bracket, since that is nearly always the mistake
//! (`print("a"`, `def f(x:`); otherwise the first token it skipped is the unexpected one. One
//! diagnostic per outermost ERROR: what lies inside it is the same mistake seen again.

use std::ops::Range;

use syntax::Language;
use tree_sitter::{Node, Parser, Tree};

/// A file rarely has more real errors than this; past it the parser is lost, not the reader.
const MAX_DIAGNOSTICS: usize = 100;

/// Token texts longer than this are cut in messages.
const MAX_TOKEN_CHARS: usize = 24;

/// One syntax error. It names no path: the caller knows which file it parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxDiagnostic {
    pub message: String,
    /// Byte range the message is about (empty for a missing token: where it should be).
    pub range: Range<usize>,
    /// 1-based line and column (UTF-8 bytes) of the range's start.
    pub line: usize,
    pub column: usize,
    /// 1-based line and column just past the range's end.
    pub end_line: usize,
    pub end_column: usize,
}

/// The syntax errors of `text` in `language`, in order; none when the language has no grammar
/// compiled in.
pub fn diagnose(language: Language, text: &str) -> Vec<SyntaxDiagnostic> {
    let Some(grammar) = syntax::grammar::grammar(language) else {
        return Vec::new();
    };
    let mut parser = Parser::new();
    if parser.set_language(&grammar).is_err() {
        return Vec::new();
    }
    parser
        .parse(text, None)
        .map_or_else(Vec::new, |tree| diagnose_tree(language, &tree, text))
}

/// The syntax errors of a tree the caller parsed from `text` in `language`.
pub fn diagnose_tree(language: Language, tree: &Tree, text: &str) -> Vec<SyntaxDiagnostic> {
    let source = text.as_bytes();
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if out.len() >= MAX_DIAGNOSTICS {
            break;
        }
        if node.is_missing() {
            out.push(at(node, format!("missing {}", describe_kind(node))));
        } else if node.is_error() {
            out.extend(describe_error(language, node, source));
        } else if node.has_error() {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    out.truncate(MAX_DIAGNOSTICS);
    out.sort_by_key(|d| d.range.start);
    out
}

/// `missing ";"`, `missing identifier`.
fn describe_kind(node: Node) -> String {
    if node.is_named() {
        node.kind().replace('_', " ")
    } else {
        format!("`{}`", node.kind())
    }
}

/// What one ERROR node means: a Python header's missing colon and an unbalanced bracket are
/// both reported (one ERROR can swallow both); failing those, the first token it skipped.
fn describe_error(language: Language, error: Node, source: &[u8]) -> Vec<SyntaxDiagnostic> {
    let tokens = tokens(error);
    let mut found = Vec::new();
    if language == Language::Python
        && let Some(end) = header_without_colon(&tokens)
    {
        let point = end.end_position();
        found.push(SyntaxDiagnostic {
            message: "missing `:`".into(),
            range: end.end_byte()..end.end_byte(),
            line: point.row + 1,
            column: point.column + 1,
            end_line: point.row + 1,
            end_column: point.column + 1,
        });
    }
    match unbalanced_bracket(&tokens) {
        Some(Unbalanced::Close(close)) => {
            found.push(at(close, format!("unexpected `{}`", close.kind())));
        }
        Some(Unbalanced::Open(open)) => found.push(at(open, format!("unclosed `{}`", open.kind()))),
        None => {}
    }
    if !found.is_empty() {
        return found;
    }
    // A keyword or punctuation the parser skipped says more than a whole expression it kept.
    let first = tokens.iter().find(|t| !t.is_named()).or(tokens.first());
    let diagnostic = match first {
        Some(&first) => {
            let text = String::from_utf8_lossy(&source[first.byte_range()]);
            let line = text.lines().next().unwrap_or_default();
            let mut shown: String = line.chars().take(MAX_TOKEN_CHARS).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            at(first, format!("unexpected `{shown}`"))
        }
        None if error.start_byte() >= source.len() => at(error, "unexpected end of file".into()),
        None => at(error, "syntax error".into()),
    };
    vec![diagnostic]
}

/// The ERROR node's direct tokens and complete children, in order: a child that parsed whole
/// counts as one token (its brackets are its own), an anonymous leaf as itself.
fn tokens(error: Node) -> Vec<Node> {
    let mut cursor = error.walk();
    error
        .children(&mut cursor)
        .filter(|c| !c.is_extra() && !c.is_missing())
        .collect()
}

/// Python's compound statements end their header with `:`; an ERROR that starts with one and
/// holds no `:` on the header's line is that colon missing. The last token of that line is where
/// it belongs.
fn header_without_colon<'t>(tokens: &[Node<'t>]) -> Option<Node<'t>> {
    const HEADERS: [&str; 11] = [
        "def", "class", "if", "elif", "else", "for", "while", "with", "try", "except", "finally",
    ];
    let first = tokens.first()?;
    if !HEADERS.contains(&first.kind()) {
        return None;
    }
    let row = first.start_position().row;
    // The header's last leaf on its line: a call can swallow the next line's tokens, so the
    // leaves are what count, not the ERROR's children.
    let mut last: Option<Node> = None;
    let mut stack: Vec<Node> = tokens.iter().rev().copied().collect();
    while let Some(node) = stack.pop() {
        if node.start_position().row != row || node.is_extra() {
            continue;
        }
        if node.kind() == ":" {
            return None;
        }
        if node.child_count() == 0 {
            last = Some(node);
        } else {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    last
}

enum Unbalanced<'t> {
    /// A closing bracket with no opening one before it.
    Close(Node<'t>),
    /// An opening bracket that nothing closes.
    Open(Node<'t>),
}

/// The first stray closing bracket among `tokens`, or else the last opening one left open.
fn unbalanced_bracket<'t>(tokens: &[Node<'t>]) -> Option<Unbalanced<'t>> {
    let mut open: Vec<Node> = Vec::new();
    for &token in tokens {
        match token.kind() {
            "(" | "[" | "{" => open.push(token),
            ")" | "]" | "}" if open.pop().is_none() => return Some(Unbalanced::Close(token)),
            _ => {}
        }
    }
    open.pop().map(Unbalanced::Open)
}

fn at(node: Node, message: String) -> SyntaxDiagnostic {
    let (start, end) = (node.start_position(), node.end_position());
    SyntaxDiagnostic {
        message,
        range: node.byte_range(),
        line: start.row + 1,
        column: start.column + 1,
        end_line: end.row + 1,
        end_column: end.column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::*;

    /// `(line, column, message)` of each diagnostic.
    fn check(language: Language, text: &str) -> Vec<(usize, usize, String)> {
        diagnose(language, text)
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect()
    }

    fn one(line: usize, column: usize, message: &str) -> Vec<(usize, usize, String)> {
        vec![(line, column, message.to_string())]
    }

    #[test]
    fn valid_code_has_no_diagnostics() {
        assert!(check(Python, "def f(x):\n    return x\n").is_empty());
        assert!(check(Go, "package main\nfunc main() {}\n").is_empty());
        assert!(check(Rust, "fn main() { let x = 1; }\n").is_empty());
    }

    #[test]
    fn missing_tokens_are_named() {
        assert_eq!(
            check(Java, "class A { void f() { int x = 1 } }"),
            one(1, 31, "missing `;`")
        );
        assert_eq!(
            check(JavaScript, "const x = [1, 2;\n"),
            one(1, 16, "missing `]`")
        );
        assert_eq!(
            check(JavaScript, "function f() {\n  return 1;\n"),
            one(2, 12, "missing `}`")
        );
    }

    #[test]
    fn unexpected_tokens_are_quoted() {
        assert_eq!(
            check(JavaScript, "if (a) { b(); } else else { c(); }\n"),
            one(1, 17, "unexpected `else`")
        );
        assert_eq!(
            check(Go, "package main\nfunc main() {\n\tx := 1 +\n}\n"),
            one(3, 9, "unexpected `+`")
        );
    }

    #[test]
    fn an_unclosed_bracket_is_the_error() {
        assert_eq!(check(Python, "print(\"a\"\n"), one(1, 6, "unclosed `(`"));
        assert_eq!(
            check(Python, "def f(x:\n    return x\n"),
            one(1, 6, "unclosed `(`")
        );
        assert_eq!(
            check(Python, "x = foo(1, 2\ny = 3\n"),
            one(1, 8, "unclosed `(`")
        );
    }

    #[test]
    fn a_python_header_without_its_colon() {
        assert_eq!(
            check(Python, "def f(x)\n    return x\n"),
            one(1, 9, "missing `:`")
        );
        assert_eq!(
            check(Python, "for i in range(3)\n    print(i)\n"),
            one(1, 18, "missing `:`")
        );
        assert_eq!(
            check(Python, "if x:\n    pass\nelse\n    y = 1\n"),
            one(3, 5, "missing `:`")
        );
        assert_eq!(check(Python, "print(1))\n"), one(1, 9, "unexpected `)`"));
        assert_eq!(
            check(Python, "def f(x)\n    return x\n\nprint(\"a\"\n"),
            [
                (1, 9, "missing `:`".to_string()),
                (4, 6, "unclosed `(`".to_string())
            ]
        );
    }

    #[test]
    fn more_languages() {
        assert_eq!(check(JavaScript, "foo(1, 2;\n"), one(1, 9, "missing `)`"));
        assert_eq!(
            check(Go, "package main\nfunc main() {\n\tif x {\n"),
            one(3, 7, "unclosed `{`")
        );
        assert_eq!(
            check(Rust, "fn main() { let x = ; }\n"),
            one(1, 19, "unexpected `=`")
        );
        assert_eq!(
            check(TypeScript, "let x: = 1;\n"),
            one(1, 6, "unexpected `:`")
        );
        assert_eq!(
            check(Cpp, "int main() { return 0 }\n"),
            one(1, 22, "missing `;`")
        );
    }

    #[test]
    fn every_language_reports_something_for_broken_code() {
        for language in Language::ALL {
            let found = diagnose(language, "}}} ((( else ;;; @@@ \"");
            assert!(!found.is_empty(), "{language:?}");
            assert!(found.len() <= MAX_DIAGNOSTICS);
        }
    }
}
