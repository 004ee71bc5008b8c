//! Whether an expression is a constant: the line between `subprocess.run("ls", shell=True)` (not
//! a finding) and `subprocess.run(f"ls {d}", shell=True)` (a finding). Without taint tracking this
//! is the rules' main precision lever: literals, literals combined with operators, strings without
//! interpolation, and ALL_CAPS names (module constants by every one of these languages'
//! conventions) are constant; every other name, call or subscript may carry input.

use syntax::Language;
use tree_sitter::Node;

/// The node kinds of one language family that decide constness.
struct Kinds {
    /// Leaves that are always constant (numbers, booleans, null).
    literals: &'static [&'static str],
    /// String kinds: constant unless a child is one of `interpolations`.
    strings: &'static [&'static str],
    interpolations: &'static [&'static str],
    /// Constant when every named child is.
    composites: &'static [&'static str],
    /// Constant when their first named child is (casts and type assertions).
    wrappers: &'static [&'static str],
    identifiers: &'static [&'static str],
    /// Member accesses and the field holding the member's name: `settings.QUERY` is constant.
    members: &'static [(&'static str, &'static str)],
}

const PYTHON: Kinds = Kinds {
    literals: &["integer", "float", "true", "false", "none", "ellipsis"],
    strings: &["string"],
    interpolations: &["interpolation"],
    composites: &[
        "concatenated_string",
        "binary_operator",
        "unary_operator",
        "parenthesized_expression",
        "tuple",
        "list",
        "set",
        "expression_list",
    ],
    wrappers: &[],
    identifiers: &["identifier"],
    members: &[("attribute", "attribute")],
};

const JAVASCRIPT: Kinds = Kinds {
    literals: &["number", "true", "false", "null", "undefined", "regex"],
    strings: &["string", "template_string"],
    interpolations: &["template_substitution"],
    composites: &[
        "binary_expression",
        "unary_expression",
        "parenthesized_expression",
        "array",
    ],
    wrappers: &[
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
    ],
    identifiers: &["identifier"],
    members: &[("member_expression", "property")],
};

const GO: Kinds = Kinds {
    literals: &[
        "int_literal",
        "float_literal",
        "imaginary_literal",
        "rune_literal",
        "true",
        "false",
        "nil",
        "iota",
    ],
    strings: &["interpreted_string_literal", "raw_string_literal"],
    interpolations: &[],
    composites: &[
        "binary_expression",
        "unary_expression",
        "parenthesized_expression",
    ],
    wrappers: &[],
    identifiers: &["identifier"],
    members: &[("selector_expression", "field")],
};

const JAVA: Kinds = Kinds {
    literals: &[
        "decimal_integer_literal",
        "hex_integer_literal",
        "octal_integer_literal",
        "binary_integer_literal",
        "decimal_floating_point_literal",
        "hex_floating_point_literal",
        "character_literal",
        "true",
        "false",
        "null_literal",
    ],
    strings: &["string_literal"],
    interpolations: &["string_interpolation"],
    composites: &[
        "binary_expression",
        "unary_expression",
        "parenthesized_expression",
    ],
    wrappers: &["cast_expression"],
    identifiers: &["identifier"],
    members: &[("field_access", "field")],
};

fn kinds(language: Language) -> Option<&'static Kinds> {
    match language {
        Language::Python => Some(&PYTHON),
        Language::JavaScript | Language::TypeScript | Language::Tsx => Some(&JAVASCRIPT),
        Language::Go => Some(&GO),
        Language::Java => Some(&JAVA),
        _ => None,
    }
}

/// True when `node` is a constant expression of `language`. Unknown languages have no constants.
pub(crate) fn is_constant(language: Language, node: Node, source: &[u8]) -> bool {
    kinds(language).is_some_and(|k| constant(k, node, source, 0))
}

/// True when `node` is a constant string literal (no interpolation) of `language`.
pub(crate) fn is_string_literal(language: Language, node: Node) -> bool {
    kinds(language).is_some_and(|k| k.strings.contains(&node.kind()) && !interpolated(k, node))
}

/// The content of a string literal: its text without a prefix (`b`, `r`, `f`) and quotes.
pub(crate) fn string_content<'s>(node: Node, source: &'s [u8]) -> &'s [u8] {
    let text = &source[node.byte_range()];
    let start = text
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b'`'))
        .unwrap_or(0);
    let text = &text[start..];
    let Some(&quote) = text.first() else {
        return text;
    };
    let run = text.iter().take(3).take_while(|&&b| b == quote).count();
    // `""` is an empty string, not the first two quotes of a triple-quoted one.
    let run = if run == 2 { 1 } else { run };
    if text.len() < 2 * run {
        return &[];
    }
    &text[run..text.len() - run]
}

fn interpolated(kinds: &Kinds, node: Node) -> bool {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .any(|c| kinds.interpolations.contains(&c.kind()))
}

/// Deep enough for any hand-written expression; deeper ones are not constants worth knowing.
const MAX_DEPTH: usize = 64;

fn constant(kinds: &Kinds, node: Node, source: &[u8], depth: usize) -> bool {
    let kind = node.kind();
    if depth > MAX_DEPTH || node.is_error() || node.is_missing() {
        return false;
    }
    if kinds.literals.contains(&kind) {
        return true;
    }
    if kinds.strings.contains(&kind) {
        return !interpolated(kinds, node);
    }
    if kinds.identifiers.contains(&kind) {
        return is_constant_name(&source[node.byte_range()]);
    }
    if let Some((_, field)) = kinds.members.iter().find(|(k, _)| *k == kind) {
        return node
            .child_by_field_name(field)
            .is_some_and(|name| is_constant_name(&source[name.byte_range()]));
    }
    let mut cursor = node.walk();
    if kinds.wrappers.contains(&kind) {
        let first = node.named_children(&mut cursor).find(|c| !c.is_extra());
        return first.is_some_and(|c| constant(kinds, c, source, depth + 1));
    }
    if kinds.composites.contains(&kind) {
        let all = node
            .named_children(&mut cursor)
            .filter(|c| !c.is_extra())
            .all(|c| constant(kinds, c, source, depth + 1));
        return all;
    }
    false
}

/// `MAX_RETRIES`, `QUERY_2`: upper case with at least one letter.
fn is_constant_name(name: &[u8]) -> bool {
    name.iter().any(u8::is_ascii_uppercase)
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text`, finds the first node of `kind` and says whether it is constant.
    fn check(language: Language, text: &str, kind: &str) -> bool {
        let mut parser = tree_sitter::Parser::new();
        let grammar = syntax::grammar::grammar(language).expect("grammar compiled in");
        parser.set_language(&grammar).expect("loads");
        let tree = parser.parse(text, None).expect("parses");
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == kind {
                return is_constant(language, node, text.as_bytes());
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        panic!("no {kind} in {text:?}");
    }

    #[test]
    fn literals_and_their_combinations_are_constant() {
        use Language::*;
        assert!(!check(Python, "f('a' 'b')", "argument_list"));
        assert!(check(Python, "x = 'a' 'b'", "concatenated_string"));
        assert!(!check(Python, "x = 'a' + str(1)", "binary_operator"));
        assert!(check(Python, "x = 'a %s' % (1,)", "binary_operator"));
        assert!(!check(Python, "x = 'a %s' % (y,)", "binary_operator"));
        assert!(check(Python, "x = f'a'", "string"));
        assert!(!check(Python, "x = f'a{b}'", "string"));
        assert!(check(Python, "x = BASE + '/x'", "binary_operator"));
        assert!(check(Python, "x = conf.BASE + '/x'", "binary_operator"));
        assert!(!check(Python, "x = conf.base + '/x'", "binary_operator"));
        assert!(check(JavaScript, "x = `a`", "template_string"));
        assert!(!check(JavaScript, "x = `a${b}`", "template_string"));
        assert!(check(JavaScript, "x = 'a' + 1", "binary_expression"));
        assert!(check(
            TypeScript,
            "x = ('a' as string) + 'b'",
            "binary_expression"
        ));
        assert!(check(Go, "x := \"a\" + `b`", "binary_expression"));
        assert!(!check(Go, "x := \"a\" + b", "binary_expression"));
        assert!(check(
            Java,
            "class A { String x = \"a\" + 1; }",
            "binary_expression"
        ));
        assert!(!check(
            Java,
            "class A { String x = \"a\" + y; }",
            "binary_expression"
        ));
    }

    #[test]
    fn string_content_strips_prefixes_and_quotes() {
        let content = |text: &str| {
            let mut parser = tree_sitter::Parser::new();
            let grammar = syntax::grammar::grammar(Language::Python).expect("python");
            parser.set_language(&grammar).expect("loads");
            let tree = parser.parse(text, None).expect("parses");
            let node = tree
                .root_node()
                .named_descendant_for_byte_range(0, 0)
                .expect("a node");
            // The first string node is the whole statement's first token.
            let mut node = node;
            while node.kind() != "string" {
                node = node.parent().expect("inside a string");
            }
            String::from_utf8(string_content(node, text.as_bytes()).to_vec()).expect("utf-8")
        };
        assert_eq!(content("'abc'"), "abc");
        assert_eq!(content("b\"abc\""), "abc");
        assert_eq!(content("''"), "");
        assert_eq!(content("'''a'b'''"), "a'b");
    }
}
