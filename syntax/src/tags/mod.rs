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

/// What a definition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    Function,
    /// A function inside a class, interface, trait or impl.
    Method,
    /// A class, struct, union or enum.
    Class,
    /// An interface or trait.
    Interface,
    /// A type alias, typedef or (in some grammars) an enum.
    Type,
    /// A constant or module-level variable.
    Constant,
    Module,
    Macro,
}

impl DefinitionKind {
    pub fn name(self) -> &'static str {
        match self {
            DefinitionKind::Function => "function",
            DefinitionKind::Method => "method",
            DefinitionKind::Class => "class",
            DefinitionKind::Interface => "interface",
            DefinitionKind::Type => "type",
            DefinitionKind::Constant => "constant",
            DefinitionKind::Module => "module",
            DefinitionKind::Macro => "macro",
        }
    }

    fn from_capture(suffix: &str) -> DefinitionKind {
        match suffix {
            "function" => DefinitionKind::Function,
            "method" => DefinitionKind::Method,
            "class" => DefinitionKind::Class,
            "interface" => DefinitionKind::Interface,
            "constant" => DefinitionKind::Constant,
            "module" => DefinitionKind::Module,
            "macro" => DefinitionKind::Macro,
            _ => DefinitionKind::Type,
        }
    }

    /// Whether functions directly inside this definition are its methods.
    pub fn holds_methods(self) -> bool {
        matches!(
            self,
            DefinitionKind::Class | DefinitionKind::Interface | DefinitionKind::Type
        )
    }
}

/// A named definition. Byte offsets are UTF-8 offsets into the text; lines are 1-based and
/// inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    pub kind: DefinitionKind,
    /// The whole declaration (for C and C++ the function definition around its declarator).
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_line: usize,
    pub end_line: usize,
    /// The last line of the signature: the line before the body when the body starts on a line
    /// of its own (Python), the body's first line when it opens on the signature's line (`{`);
    /// `end_line` when there is no body.
    pub signature_end_line: usize,
    /// Index in [`FileTags::definitions`] of the innermost definition around this one.
    pub parent: Option<usize>,
}

/// How a name is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferenceKind {
    /// A call (or `new`) of the name.
    Call,
    /// A type use: annotation, base class, implemented trait, instantiation.
    Type,
    /// Any other use of the identifier.
    Identifier,
}

impl ReferenceKind {
    pub fn name(self) -> &'static str {
        match self {
            ReferenceKind::Call => "call",
            ReferenceKind::Type => "type",
            ReferenceKind::Identifier => "identifier",
        }
    }
}

/// A use of a name that is not its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub kind: ReferenceKind,
    /// The name's own range.
    pub start_byte: usize,
    pub end_byte: usize,
    pub line: usize,
    /// Index in [`FileTags::definitions`] of the innermost definition the reference is inside.
    pub enclosing: Option<usize>,
}

/// How an import binds names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportKind {
    /// One name from a module: `from m import a`, `import {a} from 'm'`, `use m::a`,
    /// `import m.A;` (Java).
    Name,
    /// A whole module bound to a local name: `import m`, `import * as m from 'm'`,
    /// `const m = require('m')`, a Go import, `using M;`, `#include "m.h"`.
    Module,
    /// JavaScript's default export bound to a local name: `import a from 'm'`.
    Default,
    /// Every public name of the module: `from m import *`, `use m::*`, `import m.*;`.
    Wildcard,
}

impl ImportKind {
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Name => "name",
            ImportKind::Module => "module",
            ImportKind::Default => "default",
            ImportKind::Wildcard => "wildcard",
        }
    }
}

/// One name (or module) a file imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub kind: ImportKind,
    /// The module or path as written, without quotes: `os.path`, `./util`, `fmt`,
    /// `crate::config`, `java.util`, `stdio.h`, `..models` (Python relative imports keep dots).
    pub module: String,
    /// The imported name for [`ImportKind::Name`] (`a` in `from m import a as b`).
    pub name: Option<String>,
    /// The local name when it differs from `name` or the module (`b` above, the `m` of
    /// `import * as m`, the default import's binding).
    pub alias: Option<String>,
    pub line: usize,
}

impl Import {
    /// The name this import binds in the importing file, if one: the alias, else the name, else
    /// the module's last segment (`import os.path` binds `os` in Python, but the last segment is
    /// what code is written against in every other language, and `os` is still found as the
    /// module's first segment by a resolver that cares).
    pub fn local_name(&self) -> Option<&str> {
        match self.kind {
            ImportKind::Wildcard => None,
            _ => self.alias.as_deref().or(self.name.as_deref()).or_else(|| {
                let module = [".hpp", ".hh", ".hxx", ".h"]
                    .iter()
                    .find_map(|ext| self.module.strip_suffix(ext))
                    .unwrap_or(&self.module);
                module.rsplit(['.', '/', ':']).find(|s| !s.is_empty())
            }),
        }
    }
}

/// Everything tagged in one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileTags {
    /// In source order (by start, outer before inner).
    pub definitions: Vec<Definition>,
    /// In source order.
    pub references: Vec<Reference>,
    /// In source order.
    pub imports: Vec<Import>,
}

impl FileTags {
    /// The innermost definition whose range holds `byte`.
    pub fn enclosing(&self, byte: usize) -> Option<usize> {
        self.definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.start_byte <= byte && byte < d.end_byte)
            .max_by_key(|(_, d)| d.start_byte)
            .map(|(i, _)| i)
    }
}

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

/// The captures of one import match.
#[derive(Default)]
struct ImportParts<'t> {
    statement: Option<Node<'t>>,
    module: Option<Node<'t>>,
    name: Option<Node<'t>>,
    alias: Option<Node<'t>>,
    default: Option<Node<'t>>,
    namespace: Option<Node<'t>>,
    wildcard: bool,
    /// A Rust `use` argument, expanded in code.
    use_tree: Option<Node<'t>>,
    /// A Java import path: its last segment is the name, unless the import ends in `*`.
    path: Option<Node<'t>>,
    /// A C# `using` directive.
    using: Option<Node<'t>>,
}

impl ImportParts<'_> {
    fn imports(&self, language: Language, text: &str) -> Vec<Import> {
        let t = |node: Option<Node>| node.and_then(|n| node_text(n, text)).map(unquote);
        let mut out = Vec::new();
        let import = |kind, module: String, name: Option<String>, alias: Option<String>| Import {
            kind,
            module,
            name,
            alias,
            line: 0,
        };
        if let Some(tree) = self.use_tree {
            expand_use(tree, "", text, &mut out);
        } else if let (Some(path), Some(statement)) = (self.path, self.statement) {
            let path = t(Some(path)).unwrap_or_default();
            let wildcard = (0..statement.named_child_count())
                .filter_map(|i| statement.named_child(i as u32))
                .any(|c| c.kind() == "asterisk");
            if wildcard {
                out.push(import(ImportKind::Wildcard, path, None, None));
            } else if let Some((module, name)) = path.rsplit_once('.') {
                out.push(import(
                    ImportKind::Name,
                    module.to_string(),
                    Some(name.to_string()),
                    None,
                ));
            }
        } else if let Some(using) = self.using {
            let alias = using.child_by_field_name("name");
            let module = (0..using.named_child_count())
                .filter_map(|i| using.named_child(i as u32))
                .find(|c| Some(c.id()) != alias.map(|a| a.id()));
            if let Some(module) = t(module) {
                out.push(import(ImportKind::Module, module, None, t(alias)));
            }
        } else if let Some(module) = t(self.module) {
            let name = t(self.name);
            let alias = t(self.alias);
            if self.wildcard {
                out.push(import(ImportKind::Wildcard, module, None, None));
            } else if let Some(local) = t(self.default) {
                out.push(import(
                    ImportKind::Default,
                    module,
                    Some("default".to_string()),
                    Some(local),
                ));
            } else if let Some(local) = t(self.namespace) {
                out.push(import(ImportKind::Module, module, None, Some(local)));
            } else if name.is_some() {
                out.push(import(ImportKind::Name, module, name, alias));
            } else {
                // Go's `_` and `.` imports bind no usable local name.
                let alias = alias.filter(|a| a != "_" && a != ".");
                out.push(import(ImportKind::Module, module, None, alias));
            }
        }
        if language == Language::Python {
            // `import a.b as c` names the module; `from a import b` may import a module too,
            // which resolution handles by trying `a/b` as well.
            for i in &mut out {
                if i.kind == ImportKind::Name && i.name.as_deref() == Some("*") {
                    i.kind = ImportKind::Wildcard;
                    i.name = None;
                }
            }
        }
        out
    }
}

/// Expands a Rust `use` tree under `prefix` (`a::{b, c::d as e, f::*}`).
fn expand_use(node: Node, prefix: &str, text: &str, out: &mut Vec<Import>) {
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else if b.is_empty() {
            a.to_string()
        } else {
            format!("{a}::{b}")
        }
    };
    let push = |path: String, alias: Option<String>, out: &mut Vec<Import>| {
        let (module, name) = match path.rsplit_once("::") {
            Some((module, name)) => (module.to_string(), name.to_string()),
            None => (String::new(), path),
        };
        let kind = if name == "self" {
            ImportKind::Module
        } else {
            ImportKind::Name
        };
        let (module, name) = if kind == ImportKind::Module {
            (module, None)
        } else {
            (module, Some(name))
        };
        out.push(Import {
            kind,
            module,
            name,
            alias,
            line: 0,
        });
    };
    let own = |n: Node| node_text(n, text).unwrap_or_default().to_string();
    match node.kind() {
        "use_list" => {
            for child in named_children(node) {
                expand_use(child, prefix, text, out);
            }
        }
        "scoped_use_list" => {
            let path = node
                .child_by_field_name("path")
                .map(own)
                .unwrap_or_default();
            if let Some(list) = node.child_by_field_name("list") {
                expand_use(list, &join(prefix, &path), text, out);
            }
        }
        "use_as_clause" => {
            let path = node
                .child_by_field_name("path")
                .map(own)
                .unwrap_or_default();
            let alias = node.child_by_field_name("alias").map(own);
            push(join(prefix, &path), alias, out);
        }
        "use_wildcard" => {
            let path = named_children(node)
                .first()
                .map(|n| own(*n))
                .unwrap_or_default();
            out.push(Import {
                kind: ImportKind::Wildcard,
                module: join(prefix, &path),
                name: None,
                alias: None,
                line: 0,
            });
        }
        _ => push(join(prefix, &own(node)), None, out),
    }
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
