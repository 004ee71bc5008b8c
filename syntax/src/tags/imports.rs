//! Imports from a query match: the captured parts of one import statement become [`Import`]s
//! per language (Rust `use` trees are expanded here, since a query cannot walk them).

use tree_sitter::Node;

use super::{Import, ImportKind, named_children, node_text, unquote};
use crate::language::Language;

/// The captures of one import match.
#[derive(Default)]
pub(super) struct ImportParts<'t> {
    pub(super) statement: Option<Node<'t>>,
    pub(super) module: Option<Node<'t>>,
    pub(super) name: Option<Node<'t>>,
    pub(super) alias: Option<Node<'t>>,
    pub(super) default: Option<Node<'t>>,
    pub(super) namespace: Option<Node<'t>>,
    pub(super) wildcard: bool,
    /// A Rust `use` argument, expanded in code.
    pub(super) use_tree: Option<Node<'t>>,
    /// A Java import path: its last segment is the name, unless the import ends in `*`.
    pub(super) path: Option<Node<'t>>,
    /// A C# `using` directive.
    pub(super) using: Option<Node<'t>>,
}

impl ImportParts<'_> {
    pub(super) fn imports(&self, language: Language, text: &str) -> Vec<Import> {
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
