//! Named definitions: every function, method, class and type a file names, nested ones included,
//! with its qualified name and range. Chunks cover lines exactly once, so a function declared
//! inside another function (or inside an `if`, an IIFE, a callback) shares its parent's chunk and
//! no chunk carries its name; this list is how such a definition is still found by name, without
//! weakening the coverage contract. The walk records the units it names; the scan here finds the
//! rest inside function bodies and module-level statements, naming them with the same code.

use tree_sitter::Node;

use super::names::{Target, value_role};
use super::rules::{Role, role};
use super::source::Source;
use super::{ChunkKind, MAX_SCOPE_DEPTH};

/// A named function, method, class or type, wherever it is declared. Byte offsets are UTF-8
/// offsets into the (lossily decoded) text; lines are 1-based and inclusive. The range is the
/// whole declaration (an `export`, decorators or a `const` included, its doc comment not), so it
/// lies inside the chunk or chunks that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    /// Spelled as the chunks' qualified names are; a nested definition is qualified by what
    /// encloses it (`outer.inner`, `Type::method::helper`).
    pub qualified_name: String,
    /// [`ChunkKind::Function`], [`ChunkKind::Method`] or [`ChunkKind::Class`].
    pub kind: ChunkKind,
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_line: usize,
    pub end_line: usize,
}

/// Where the scan is: what definitions found here are qualified by and whether they are members.
#[derive(Clone)]
pub(super) struct Nesting {
    /// Qualified name of the enclosing definition (`""` at file level).
    pub(super) prefix: String,
    /// What `this.x = function () {}` assigns to: the enclosing class, or the enclosing
    /// non-arrow function (a constructor in pre-class JavaScript).
    pub(super) this: String,
    pub(super) in_class: bool,
    pub(super) depth: usize,
}

/// A definition the scan recognised, and where to look for more inside it.
struct Found<'t> {
    names: Vec<Target>,
    kind: ChunkKind,
    /// The node whose range the definitions report.
    range: Node<'t>,
    /// The node whose children are scanned next, in `nesting`.
    inside: Node<'t>,
    nesting: Nesting,
}

impl Source<'_> {
    /// The definition of `name` declared by `node`, its range trimmed of trailing blanks.
    pub(super) fn definition(
        &self,
        node: Node<'_>,
        target: &Target,
        kind: ChunkKind,
    ) -> Definition {
        let start_byte = node.start_byte().min(self.text.len());
        let end = node.end_byte().clamp(start_byte, self.text.len());
        let end_byte = start_byte + self.text[start_byte..end].trim_end().len();
        Definition {
            name: target.name.clone(),
            qualified_name: target.qualified.clone(),
            kind,
            start_byte,
            end_byte,
            start_line: self.line_of(start_byte) + 1,
            end_line: self.line_of(end_byte.saturating_sub(1).max(start_byte)) + 1,
        }
    }

    /// Appends the definitions at or below `start` that the walk did not name itself. Iterative,
    /// and no deeper than the walk's own nesting limit, so hostile input cannot exhaust the stack.
    pub(super) fn nested_definitions(
        &self,
        start: Node<'_>,
        at: Nesting,
        out: &mut Vec<Definition>,
    ) {
        if at.depth >= MAX_SCOPE_DEPTH {
            return;
        }
        let mut nestings = vec![at];
        let mut stack = vec![(start, 0usize)];
        let mut cursor = start.walk();
        while let Some((node, current)) = stack.pop() {
            let (inside, nesting) = match self.nested_unit(node, &nestings[current]) {
                Some(found) => {
                    for target in &found.names {
                        out.push(self.definition(found.range, target, found.kind));
                    }
                    let depth = nestings[current].depth + 1;
                    if depth >= MAX_SCOPE_DEPTH {
                        continue;
                    }
                    nestings.push(Nesting {
                        depth,
                        ..found.nesting
                    });
                    (found.inside, nestings.len() - 1)
                }
                None => (node, current),
            };
            cursor.reset(inside);
            if !cursor.goto_first_child() {
                continue;
            }
            let first = stack.len();
            loop {
                let child = cursor.node();
                if child.is_named() && child.child_count() > 0 {
                    stack.push((child, nesting));
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            // Children are popped in source order, so definitions come out in source order.
            stack[first..].reverse();
        }
    }

    /// Whether `node` defines something by name, in the languages' own terms (the role tables
    /// the walk uses), plus the JS/TS places where a name is given to a function value.
    fn nested_unit<'t>(&self, node: Node<'t>, at: &Nesting) -> Option<Found<'t>> {
        let kind = node.kind();
        match role(self.language, kind) {
            Role::Function if value_role(kind).is_some() => {
                // A function expression is anonymous unless it names itself: `function tick() {}`
                // passed as an argument is still findable as `tick`.
                let name = self.node_text(node.child_by_field_name("name")?);
                let target = Target::bound(name, &at.prefix, self.language);
                Some(self.found_function(node, target, false, at))
            }
            Role::Function => {
                node.child_by_field_name("body")?;
                let (name, qualified, is_method) = self.function_name(node, &at.prefix);
                let target = Target {
                    name: name?,
                    qualified: qualified?,
                    method: false,
                };
                let method = at.in_class
                    || is_method
                    || matches!(kind, "method_definition" | "method_declaration");
                let mut found = self.found_function(self.claimed(node), target, method, at);
                // The claimed node may be a decorator list around `node`: look inside `node`.
                found.inside = node;
                Some(found)
            }
            unit_role @ (Role::Class | Role::Type) => {
                let (name, qualified) = self.class_name(node, &at.prefix);
                let target = Target {
                    name: name?,
                    qualified: qualified?,
                    method: false,
                };
                let kind = if kind == "macro_definition" {
                    ChunkKind::Function
                } else {
                    ChunkKind::Class
                };
                let in_class = unit_role == Role::Class;
                Some(self.found_named(self.claimed(node), node, vec![target], kind, in_class, at))
            }
            Role::Binding => {
                let unit = self.unwrap(node, &at.prefix)?;
                self.found_value(self.claimed(node), unit.node, unit.role, unit.names, at)
            }
            Role::Wrapper if kind == "expression_statement" => {
                let unit = self.unwrap(node, &at.prefix)?;
                self.found_value(node, unit.node, unit.role, unit.names, at)
            }
            _ => {
                // Object-literal and class-field functions: `{ key: () => {} }`, `key = () => {}`.
                let (key, value) = match kind {
                    "pair" => ("key", "value"),
                    "field_definition" => ("property", "value"),
                    "public_field_definition" => ("name", "value"),
                    _ => return None,
                };
                let key = node.child_by_field_name(key)?;
                let value = node.child_by_field_name(value)?;
                if value_role(value.kind()) != Some(Role::Function)
                    || key.kind() == "computed_property_name"
                {
                    return None;
                }
                let name = self.node_text(key).trim_matches(['"', '\'', '`']);
                let target = Target::bound(name, &at.prefix, self.language);
                let method = kind != "pair" || at.in_class;
                Some(Found {
                    inside: value,
                    ..self.found_function(node, target, method, at)
                })
            }
        }
    }

    /// A named function: its body's `this` is the enclosing class for a method, else itself.
    fn found_function<'t>(
        &self,
        node: Node<'t>,
        target: Target,
        method: bool,
        at: &Nesting,
    ) -> Found<'t> {
        let this = if method {
            at.this.clone()
        } else {
            target.qualified.clone()
        };
        let kind = if method {
            ChunkKind::Method
        } else {
            ChunkKind::Function
        };
        Found {
            nesting: Nesting {
                prefix: target.qualified.clone(),
                this,
                in_class: false,
                depth: at.depth,
            },
            names: vec![target],
            kind,
            range: node,
            inside: node,
        }
    }

    /// A class or type: members inside it are qualified by it and are methods of it.
    fn found_named<'t>(
        &self,
        range: Node<'t>,
        inside: Node<'t>,
        names: Vec<Target>,
        kind: ChunkKind,
        in_class: bool,
        at: &Nesting,
    ) -> Found<'t> {
        let prefix = names
            .first()
            .map_or_else(|| at.prefix.clone(), |t| t.qualified.clone());
        Found {
            nesting: Nesting {
                this: prefix.clone(),
                prefix,
                in_class,
                depth: at.depth,
            },
            names,
            kind,
            range,
            inside,
        }
    }

    /// A function or class value named by a binding or an assignment.
    fn found_value<'t>(
        &self,
        range: Node<'t>,
        value: Node<'t>,
        value_role: Role,
        names: Vec<Target>,
        at: &Nesting,
    ) -> Option<Found<'t>> {
        let first = names.first()?.clone();
        match value_role {
            Role::Class => Some(self.found_named(range, value, names, ChunkKind::Class, true, at)),
            Role::Function => {
                let method = at.in_class || first.method;
                let mut found = self.found_function(range, first, method, at);
                if value.kind() == "arrow_function" {
                    // An arrow function's `this` is its surroundings'.
                    found.nesting.this = at.this.clone();
                }
                Some(Found {
                    names,
                    inside: value,
                    ..found
                })
            }
            _ => None,
        }
    }

    /// The node whose lines a declaration claims: decorators, `export` or `template<...>` included.
    fn claimed<'t>(&self, node: Node<'t>) -> Node<'t> {
        let mut claimed = node;
        while let Some(parent) = claimed.parent() {
            let wraps = role(self.language, parent.kind()) == Role::Wrapper
                && parent.kind() != "expression_statement";
            if !wraps {
                break;
            }
            claimed = parent;
        }
        claimed
    }
}
