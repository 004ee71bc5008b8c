//! Tags: what a file defines, what it refers to and what it imports, from one tree-sitter parse.
//!
//! Definitions (functions, methods, classes, interfaces, types, constants, modules, macros) and
//! references (calls, type uses, identifiers) come from the grammar crates' shipped `TAGS_QUERY`
//! where one exists, plus our own `queries/<language>.scm` for what they lack (imports, constants,
//! type uses, plain identifiers); C# ships its query file but no constant, so its query is ours.
//! Imports name the module or path a file imports from and the names it binds, for Python,
//! JavaScript/TypeScript (ES modules and `require`), Go, Java, Rust `use`, C/C++ `#include` and
//! C# `using`. Context gathering resolves the names a cursor reaches with them.
//!
//! Like the rest of the crate this is pure: text in, tags out, no IO. Broken input yields whatever
//! tags the parser recovered; a language without a grammar compiled in yields no tags.

use std::sync::OnceLock;

use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

use crate::grammar::grammar;
use crate::language::Language;

mod imports;
mod model;

use imports::ImportParts;
pub use model::*;

/// Tags `text` written in `language` (one parse). A language without a grammar compiled in, or
/// text the parser gives up on, yields no tags.
pub fn tags(language: Language, text: &str) -> FileTags {
    let Some(grammar) = grammar(language) else {
        return FileTags::default();
    };
    let mut parser = Parser::new();
    if parser.set_language(&grammar).is_err() {
        return FileTags::default();
    }
    crate::chunk::count_parse();
    match parser.parse(text, None) {
        Some(tree) => tags_of_tree(language, &tree, text),
        None => FileTags::default(),
    }
}

/// Tags a tree the caller already parsed from `text` (so a caller that parses anyway, as the
/// parse check of a completion does, pays for no second parse).
pub fn tags_of_tree(language: Language, tree: &Tree, text: &str) -> FileTags {
    let Some(query) = query(language) else {
        return FileTags::default();
    };
    let names = query.capture_names();
    let mut definitions: Vec<(Definition, usize, (usize, usize))> = Vec::new();
    let mut references: Vec<Reference> = Vec::new();
    let mut imports: Vec<(usize, Import)> = Vec::new();
    // Import statements, package and namespace names: their identifiers are no references, and
    // a `const x = require(...)` is an import, not a constant.
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    while let Some(m) = matches.next() {
        let mut name = None;
        let mut role = None;
        let mut import = ImportParts::default();
        for capture in m.captures() {
            let capture_name = names[capture.index as usize];
            let node = capture.node;
            match capture_name {
                "name" => name = Some(node),
                "skip" => skipped.push((node.start_byte(), node.end_byte())),
                "import" | "import.using" | "import.use" | "import.path" => {
                    import.statement.get_or_insert(node);
                    match capture_name {
                        "import.using" => import.using = Some(node),
                        "import.use" => import.use_tree = Some(node),
                        "import.path" => import.path = Some(node),
                        _ => {}
                    }
                }
                "import.module" => import.module = Some(node),
                "import.name" => import.name = Some(node),
                "import.alias" => import.alias = Some(node),
                "import.default" => import.default = Some(node),
                "import.namespace" => import.namespace = Some(node),
                "import.wildcard" => import.wildcard = true,
                other => {
                    if let Some(kind) = other.strip_prefix("definition.") {
                        role = Some(Role::Definition(DefinitionKind::from_capture(kind), node));
                    } else if let Some(kind) = other.strip_prefix("reference.") {
                        let kind = match kind {
                            "call" | "send" => ReferenceKind::Call,
                            "identifier" => ReferenceKind::Identifier,
                            _ => ReferenceKind::Type,
                        };
                        role = Some(Role::Reference(kind));
                    }
                }
            }
        }
        if let Some(statement) = import.statement {
            let line = statement.start_position().row + 1;
            skipped.push((statement.start_byte(), statement.end_byte()));
            for found in import.imports(language, text) {
                imports.push((statement.start_byte(), Import { line, ..found }));
            }
            continue;
        }
        let (Some(name), Some(role)) = (name, role) else {
            continue;
        };
        let Some(name_text) = node_text(name, text).filter(|t| !t.is_empty()) else {
            continue;
        };
        match role {
            Role::Definition(kind, node) => {
                let node = whole_declaration(node);
                definitions.push((
                    Definition {
                        name: name_text.to_string(),
                        kind,
                        start_byte: node.start_byte(),
                        end_byte: node.end_byte(),
                        start_line: node.start_position().row + 1,
                        end_line: end_line(node),
                        signature_end_line: signature_end_line(node, text),
                        parent: None,
                    },
                    m.pattern_index,
                    (name.start_byte(), name.end_byte()),
                ));
            }
            Role::Reference(kind) => references.push(Reference {
                name: name_text.to_string(),
                kind,
                start_byte: name.start_byte(),
                end_byte: name.end_byte(),
                line: name.start_position().row + 1,
                enclosing: None,
            }),
        }
    }

    // One definition per declaration: the first pattern that matched it wins (the shipped
    // queries come first, and list methods before functions).
    definitions
        .sort_by_key(|(d, pattern, _)| (d.start_byte, std::cmp::Reverse(d.end_byte), *pattern));
    definitions.dedup_by(|b, a| a.0.start_byte == b.0.start_byte && a.0.end_byte == b.0.end_byte);
    let mut name_ranges: Vec<(usize, usize)> =
        definitions.iter().map(|(_, _, range)| *range).collect();
    name_ranges.sort_unstable();
    skipped.sort_unstable();
    let mut definitions: Vec<Definition> = definitions
        .into_iter()
        .map(|(d, _, _)| d)
        .filter(|d| {
            d.kind != DefinitionKind::Constant
                || !skipped
                    .iter()
                    .any(|&(start, end)| start < d.end_byte && d.start_byte < end)
        })
        .collect();
    set_parents(&mut definitions);

    // One reference per name node, the most specific kind (call, then type, then identifier),
    // and none for the name of a definition.
    references.sort_by_key(|r| (r.start_byte, r.end_byte, r.kind));
    references.dedup_by(|b, a| a.start_byte == b.start_byte && a.end_byte == b.end_byte);
    references.retain(|r| {
        name_ranges
            .binary_search(&(r.start_byte, r.end_byte))
            .is_err()
            && !within(&skipped, r.start_byte, r.end_byte)
    });
    set_enclosing(&definitions, &mut references);

    imports.sort_by_key(|(at, _)| *at);
    let mut imports: Vec<Import> = imports.into_iter().map(|(_, i)| i).collect();
    imports.dedup();
    FileTags {
        definitions,
        references,
        imports,
    }
}

enum Role<'t> {
    Definition(DefinitionKind, Node<'t>),
    Reference(ReferenceKind),
}

/// Whether `start..end` lies inside one of `ranges` (sorted by start; they may nest).
fn within(ranges: &[(usize, usize)], start: usize, end: usize) -> bool {
    let candidates = ranges.partition_point(|&(s, _)| s <= start);
    ranges[..candidates].iter().rev().any(|&(_, e)| end <= e)
}

fn named_children(node: Node) -> Vec<Node> {
    (0..node.named_child_count())
        .filter_map(|i| node.named_child(i as u32))
        .collect()
}

fn node_text<'a>(node: Node, text: &'a str) -> Option<&'a str> {
    text.get(node.start_byte()..node.end_byte())
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| matches!(c, '"' | '\'' | '`' | '<' | '>'))
        .to_string()
}

fn end_line(node: Node) -> usize {
    let end = node.end_position();
    // A range that ends at column 0 ends on the line before (a trailing newline inside it).
    if end.column == 0 && end.row > node.start_position().row {
        end.row
    } else {
        end.row + 1
    }
}

/// C and C++ tag a function's declarator; the definition is the function (or declaration)
/// around it, so its range holds the body and its doc comment sits right above.
fn whole_declaration(node: Node) -> Node {
    let mut node = node;
    if !node.kind().ends_with("declarator") {
        return node;
    }
    while let Some(parent) = node.parent() {
        if parent.kind().ends_with("declarator") {
            node = parent;
            continue;
        }
        if matches!(
            parent.kind(),
            "function_definition" | "declaration" | "field_declaration" | "template_declaration"
        ) {
            node = parent;
        }
        break;
    }
    node
}

fn signature_end_line(node: Node, text: &str) -> usize {
    let body = node.child_by_field_name("body").or_else(|| {
        // `const f = () => {...}` is tagged at its declarator; the body is the value's.
        node.child_by_field_name("value")
            .and_then(|v| v.child_by_field_name("body"))
    });
    let Some(body) = body else {
        return end_line(node);
    };
    let start = node.start_position().row + 1;
    let body_line = body.start_position().row + 1;
    let line_start = text[..body.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let opens_own_line = text[line_start..body.start_byte()].trim().is_empty();
    if opens_own_line {
        body_line.saturating_sub(1).max(start)
    } else {
        body_line
    }
}

/// Sets every definition's innermost enclosing definition, and turns functions directly inside
/// a class into methods (Python's shipped query tags both as functions).
fn set_parents(definitions: &mut [Definition]) {
    let mut stack: Vec<usize> = Vec::new();
    for i in 0..definitions.len() {
        while let Some(&top) = stack.last() {
            if definitions[top].end_byte >= definitions[i].end_byte
                && definitions[top].start_byte <= definitions[i].start_byte
            {
                break;
            }
            stack.pop();
        }
        definitions[i].parent = stack.last().copied();
        if let Some(parent) = definitions[i].parent
            && definitions[i].kind == DefinitionKind::Function
            && definitions[parent].kind.holds_methods()
        {
            definitions[i].kind = DefinitionKind::Method;
        }
        stack.push(i);
    }
}

/// Sets every reference's innermost enclosing definition (both lists are in source order).
fn set_enclosing(definitions: &[Definition], references: &mut [Reference]) {
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    for reference in references.iter_mut() {
        while next < definitions.len() && definitions[next].start_byte <= reference.start_byte {
            while let Some(&top) = stack.last() {
                if definitions[top].end_byte >= definitions[next].end_byte {
                    break;
                }
                stack.pop();
            }
            stack.push(next);
            next += 1;
        }
        while let Some(&top) = stack.last() {
            if definitions[top].end_byte >= reference.end_byte {
                break;
            }
            stack.pop();
        }
        reference.enclosing = stack.last().copied();
    }
}

/// The language's tags query (shipped `TAGS_QUERY` first, then ours), compiled once.
fn query(language: Language) -> Option<&'static Query> {
    static QUERIES: [OnceLock<Option<Query>>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    let at = Language::ALL.iter().position(|&l| l == language)?;
    QUERIES[at]
        .get_or_init(|| {
            let source = query_source(language)?;
            Query::new(&grammar(language)?, &source).ok()
        })
        .as_ref()
}

/// The query text for `language`, when its grammar is compiled in.
pub fn query_source(language: Language) -> Option<String> {
    let parts: Vec<&str> = match language {
        #[cfg(feature = "lang-python")]
        Language::Python => vec![
            tree_sitter_python::TAGS_QUERY,
            include_str!("queries/python.scm"),
        ],
        #[cfg(feature = "lang-javascript")]
        Language::JavaScript => vec![
            tree_sitter_javascript::TAGS_QUERY,
            include_str!("queries/javascript.scm"),
        ],
        #[cfg(all(feature = "lang-typescript", feature = "lang-javascript"))]
        Language::TypeScript | Language::Tsx => vec![
            tree_sitter_javascript::TAGS_QUERY,
            tree_sitter_typescript::TAGS_QUERY,
            include_str!("queries/typescript.scm"),
        ],
        #[cfg(all(feature = "lang-typescript", not(feature = "lang-javascript")))]
        Language::TypeScript | Language::Tsx => vec![
            tree_sitter_typescript::TAGS_QUERY,
            include_str!("queries/typescript.scm"),
        ],
        #[cfg(feature = "lang-rust")]
        Language::Rust => vec![
            tree_sitter_rust::TAGS_QUERY,
            include_str!("queries/rust.scm"),
        ],
        #[cfg(feature = "lang-go")]
        Language::Go => vec![tree_sitter_go::TAGS_QUERY, include_str!("queries/go.scm")],
        #[cfg(feature = "lang-java")]
        Language::Java => vec![
            tree_sitter_java::TAGS_QUERY,
            include_str!("queries/java.scm"),
        ],
        #[cfg(feature = "lang-c")]
        Language::C => vec![tree_sitter_c::TAGS_QUERY, include_str!("queries/c.scm")],
        #[cfg(feature = "lang-cpp")]
        Language::Cpp => vec![tree_sitter_cpp::TAGS_QUERY, include_str!("queries/cpp.scm")],
        #[cfg(feature = "lang-csharp")]
        Language::CSharp => vec![include_str!("queries/csharp.scm")],
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    Some(parts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language's query compiles against its grammar (a typo in a `.scm` file, or a node
    /// a grammar update renamed, fails here rather than yielding no tags).
    #[test]
    fn every_query_compiles() {
        for language in Language::ALL {
            let (Some(source), Some(grammar)) = (query_source(language), grammar(language)) else {
                continue;
            };
            if let Err(e) = Query::new(&grammar, &source) {
                panic!("{language:?}: {e}");
            }
        }
    }
}
