//! What a unit is and what it is called: the unit inside a wrapper, holder or binding, and the
//! name, qualified name and signature of functions, classes and types in each language's own
//! spelling. Kept apart from the walk so that every place that names a unit names it the same way.

use tree_sitter::Node;

use super::rules::{Role, role, separator};
use super::source::Source;
use crate::language::Language;

/// Signatures used as context for split pieces are cut to this many bytes.
const MAX_SIGNATURE_BYTES: usize = 240;

impl<'a> Source<'a> {
    /// A function's name, qualified name under `prefix`, and whether its own syntax makes it a
    /// method (a C++ `Class::method` definition, a Go receiver).
    pub(super) fn function_name(
        &self,
        node: Node<'_>,
        prefix: &str,
    ) -> (Option<String>, Option<String>, bool) {
        let sep = separator(self.language);
        if let Some(declarator) = node.child_by_field_name("declarator") {
            // C/C++: dig through pointer/reference/function declarators to the name.
            let mut d = declarator;
            while let Some(inner) = d.child_by_field_name("declarator") {
                d = inner;
            }
            let full = self.node_text(d).to_string();
            let is_method = d.kind() == "qualified_identifier";
            let name = full.rsplit("::").next().unwrap_or(&full).to_string();
            return (
                Some(name),
                Some(qualify(prefix, &full, self.language)),
                is_method,
            );
        }
        let name = node
            .child_by_field_name("name")
            .map(|n| self.node_text(n).to_string());
        if let Some(receiver) = node.child_by_field_name("receiver") {
            // Go: `func (c *Circle) Area()` is `Circle.Area`.
            let ty = first_descendant_of_kind(receiver, "type_identifier")
                .map(|t| self.node_text(t).to_string());
            if let (Some(ty), Some(n)) = (ty, &name) {
                return (name.clone(), Some(format!("{ty}{sep}{n}")), true);
            }
        }
        let qualified = name.as_ref().map(|n| qualify(prefix, n, self.language));
        (name, qualified, false)
    }

    /// A class-like container's name and qualified name under `prefix`.
    pub(super) fn class_name(
        &self,
        node: Node<'_>,
        prefix: &str,
    ) -> (Option<String>, Option<String>) {
        if node.kind() == "impl_item" {
            // Rust: `impl Type` is `Type`; `impl Trait for Type` is `<Type as Trait>`, as in paths.
            let ty = node
                .child_by_field_name("type")
                .map(|t| self.node_text(t).to_string());
            let qualified = match (node.child_by_field_name("trait"), &ty) {
                (Some(tr), Some(ty)) => format!("<{ty} as {}>", self.node_text(tr)),
                (None, Some(ty)) => ty.clone(),
                _ => return (None, None),
            };
            return (ty, Some(qualify(prefix, &qualified, self.language)));
        }
        let name = self.type_name(node);
        let qualified = name.as_ref().map(|n| qualify(prefix, n, self.language));
        (name, qualified)
    }

    pub(super) fn type_name(&self, node: Node<'_>) -> Option<String> {
        let named = node.child_by_field_name("name").or_else(|| {
            // Go: `type X struct{}` keeps the name in its first type_spec.
            first_descendant_of_kind(node, "type_spec").and_then(|s| s.child_by_field_name("name"))
        })?;
        Some(self.node_text(named).to_string())
    }

    /// The text from the unit's start to its body, as context for split pieces.
    pub(super) fn signature(&self, node: Node<'_>, body: Option<Node<'_>>) -> String {
        let end = body.map_or(node.end_byte(), |b| b.start_byte());
        let raw = self
            .text
            .get(node.start_byte()..end)
            .unwrap_or("")
            .trim_end();
        let mut cut = raw.len().min(MAX_SIGNATURE_BYTES);
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        raw[..cut].to_string()
    }

    /// Finds the unit inside a wrapper, holder or binding: the node, its role and, for bindings,
    /// the bound name.
    pub(super) fn unwrap<'t>(&self, node: Node<'t>) -> Option<(Node<'t>, Role, Option<String>)> {
        match role(self.language, node.kind()) {
            Role::Holder => {
                let ty = node.child_by_field_name("type")?;
                ty.child_by_field_name("body")?;
                let r = role(self.language, ty.kind());
                if !matches!(r, Role::Class | Role::Type) {
                    return None;
                }
                // `typedef struct { ... } name;` is known by its declarator.
                let alias = ty
                    .child_by_field_name("name")
                    .is_none()
                    .then(|| node.child_by_field_name("declarator"))
                    .flatten()
                    .map(|d| self.node_text(d).to_string());
                Some((ty, r, alias))
            }
            Role::Binding => {
                let mut cursor = node.walk();
                let declarators: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "variable_declarator")
                    .collect();
                let [declarator] = declarators.as_slice() else {
                    return None;
                };
                let name = declarator.child_by_field_name("name")?;
                let value = declarator.child_by_field_name("value")?;
                let value_role = match value.kind() {
                    "arrow_function"
                    | "function_expression"
                    | "function"
                    | "generator_function" => Role::Function,
                    "class" => Role::Class,
                    "call_expression"
                        if value
                            .child_by_field_name("function")
                            .is_some_and(|f| self.node_text(f) == "require") =>
                    {
                        Role::Import
                    }
                    _ => return None,
                };
                Some((value, value_role, Some(self.node_text(name).to_string())))
            }
            _ => {
                let inner = node
                    .child_by_field_name("declaration")
                    .or_else(|| node.child_by_field_name("definition"))
                    .or_else(|| {
                        // `template <...> decl` and `expression_statement` hold the unit last.
                        let count = node.named_child_count();
                        (count > 0)
                            .then(|| node.named_child(count as u32 - 1))
                            .flatten()
                    })?;
                if inner.kind() == "assignment_expression" {
                    // `Foo.prototype.bar = function () {}` names a function by its target.
                    let left = inner.child_by_field_name("left")?;
                    let right = inner.child_by_field_name("right")?;
                    return matches!(
                        right.kind(),
                        "function_expression" | "arrow_function" | "generator_function"
                    )
                    .then(|| {
                        (
                            right,
                            Role::Function,
                            Some(self.node_text(left).to_string()),
                        )
                    });
                }
                let r = role(self.language, inner.kind());
                match r {
                    Role::Function
                    | Role::Class
                    | Role::Type
                    | Role::Namespace
                    | Role::Wrapper
                    | Role::Holder
                    | Role::Binding => Some((inner, r, None)),
                    _ => None,
                }
            }
        }
    }
}

/// `name` under the scope `prefix`, joined with the language's separator.
pub(super) fn qualify(prefix: &str, name: &str, language: Language) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}{}{name}", separator(language))
    }
}

/// The first line of a unit's text, as its signature.
pub(super) fn first_line_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim_end();
    let mut cut = line.len().min(MAX_SIGNATURE_BYTES);
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    line[..cut].to_string()
}

fn first_descendant_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == kind {
            return Some(n);
        }
        let children: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}
