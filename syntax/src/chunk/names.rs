//! What a unit is and what it is called: the unit inside a wrapper, holder or binding, and the
//! name, qualified name and signature of functions, classes and types in each language's own
//! spelling. Kept apart from the walk so that every place that names a unit names it the same way.

use tree_sitter::Node;

use super::floor_char_boundary;
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
        raw[..floor_char_boundary(raw, MAX_SIGNATURE_BYTES)].to_string()
    }

    /// Finds the unit inside a wrapper, holder or binding: the node, its role and, for bindings
    /// and assignments, the names they give it. `prefix` is the enclosing scope's qualified name.
    pub(super) fn unwrap<'t>(&self, node: Node<'t>, prefix: &str) -> Option<Unit<'t>> {
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
                    .map(|d| Target::bound(self.node_text(d), prefix, self.language));
                Some(Unit {
                    node: ty,
                    role: r,
                    names: alias.into_iter().collect(),
                })
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
                    "call_expression"
                        if value
                            .child_by_field_name("function")
                            .is_some_and(|f| self.node_text(f) == "require") =>
                    {
                        Role::Import
                    }
                    kind => value_role(kind)?,
                };
                let name = Target::bound(self.node_text(name), prefix, self.language);
                Some(Unit {
                    node: value,
                    role: value_role,
                    names: vec![name],
                })
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
                    return self.assigned(inner, prefix);
                }
                let r = role(self.language, inner.kind());
                match r {
                    Role::Function
                    | Role::Class
                    | Role::Type
                    | Role::Namespace
                    | Role::Wrapper
                    | Role::Holder
                    | Role::Binding => Some(Unit {
                        node: inner,
                        role: r,
                        names: Vec::new(),
                    }),
                    _ => None,
                }
            }
        }
    }

    /// A JS/TS (chained) assignment of a function or class: `res.set = res.header = function
    /// header() {}`. The unit is named by its targets, first target first, because callers reach
    /// it through them (`res.set(...)`, `res.header(...)`), just as a `const f = function g()`
    /// binding names the chunk `f`. A function expression's own name is visible only inside its
    /// body, so it names the unit only when every target is the module's export object itself
    /// (`module.exports = function createApp() {}`), which names the module rather than the function.
    fn assigned<'t>(&self, assignment: Node<'t>, prefix: &str) -> Option<Unit<'t>> {
        let mut lefts = Vec::new();
        let mut value = assignment;
        while value.kind() == "assignment_expression" {
            lefts.push(value.child_by_field_name("left")?);
            value = value.child_by_field_name("right")?;
        }
        let value_role = value_role(value.kind())?;
        let targets: Vec<Target> = lefts.iter().map(|&l| self.target(l, prefix)).collect();
        let mut names: Vec<Target> = targets
            .iter()
            .filter(|t| !t.is_module_export())
            .cloned()
            .collect();
        if names.is_empty() {
            let own = value
                .child_by_field_name("name")
                .map(|n| Target::bound(self.node_text(n), prefix, self.language));
            names.extend(own.or_else(|| targets.into_iter().next()));
        }
        Some(Unit {
            node: value,
            role: value_role,
            names,
        })
    }

    /// What an assignment target calls the value: see [`Target`].
    pub(super) fn target(&self, left: Node<'_>, prefix: &str) -> Target {
        let text = self.node_text(left);
        let is_path = matches!(left.kind(), "identifier" | "member_expression")
            && text.split('.').all(|s| {
                let s = s.trim();
                !s.is_empty()
                    && s.chars()
                        .all(|c| c == '_' || c == '$' || c.is_alphanumeric())
            });
        if !is_path {
            // `handlers[kind] = function () {}`: no path to normalise; the text is the name.
            let name = text.rsplit('.').next().unwrap_or(text).to_string();
            return Target {
                name,
                qualified: text.to_string(),
                method: false,
            };
        }
        let mut segments = text.split('.').map(str::trim);
        let head = segments.next().unwrap_or(text);
        let rest: Vec<&str> = segments.collect();
        let method = rest.contains(&"prototype");
        let inside_this = head == "this" && !prefix.is_empty() && !rest.is_empty();
        let head = if inside_this { prefix } else { head };
        let path: Vec<&str> = std::iter::once(head)
            .chain(rest.into_iter().filter(|s| *s != "prototype"))
            .collect();
        Target {
            name: path.last().copied().unwrap_or(head).to_string(),
            qualified: path.join("."),
            method: method || inside_this,
        }
    }
}

/// A unit found inside a wrapper, holder, binding or assignment.
pub(super) struct Unit<'t> {
    pub(super) node: Node<'t>,
    pub(super) role: Role,
    /// The names a binding or assignment gives the unit, the one its chunk takes first; empty
    /// when the unit names itself (`function f`, `class C`).
    pub(super) names: Vec<Target>,
}

/// A name a binding or assignment gives a unit. `res.set` is `set`, qualified `res.set`: the
/// target's own path is its qualified name, since it names an object reachable from anywhere
/// (the enclosing function's name would not help find it). `Foo.prototype.bar` is the method
/// `bar` of `Foo` and qualified `Foo.bar`, the same as a method declared in `class Foo`, and
/// `this.bar` inside `Foo` is `Foo.bar` too.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) name: String,
    pub(super) qualified: String,
    /// Assigned to a prototype or to `this`: a method of the object named before it.
    pub(super) method: bool,
}

impl Target {
    /// A declared name (`const f`, `typedef ... T`), qualified under the enclosing scope.
    pub(super) fn bound(name: &str, prefix: &str, language: Language) -> Self {
        Target {
            name: name.rsplit('.').next().unwrap_or(name).to_string(),
            qualified: qualify(prefix, name, language),
            method: false,
        }
    }

    /// `module.exports` or `exports` itself: the module's export object, not a name for the value.
    fn is_module_export(&self) -> bool {
        matches!(self.qualified.as_str(), "module.exports" | "exports")
    }
}

/// The role of a bound or assigned value: a function or class expression, else nothing to chunk.
pub(super) fn value_role(kind: &str) -> Option<Role> {
    match kind {
        "arrow_function" | "function_expression" | "function" | "generator_function" => {
            Some(Role::Function)
        }
        "class" => Some(Role::Class),
        _ => None,
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
    line[..floor_char_boundary(line, MAX_SIGNATURE_BYTES)].to_string()
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
