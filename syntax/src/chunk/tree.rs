//! The syntax-tree walk: visits scope-level nodes of a parsed file (never every node), claims
//! whole-line spans for imports, functions, methods and class headers, and fills every line left
//! unclaimed with module-level (or class-level) chunks. Working in whole lines makes the coverage
//! invariant hold by construction: every non-blank line ends up in exactly one chunk. What a unit
//! is called lives in `names`, its docstring in `docs`, where an over-budget span is cut in
//! `spans`, and the definitions nested inside the units it claims are found by `definitions`.

use tree_sitter::Node;

use super::definitions::{Definition, Nesting};
use super::docs::clean_comment;
use super::names::{Target, Unit, first_line_of, qualify};
use super::rules::{Role, role};
use super::source::{Source, end_line, start_line};
use super::spans::{Meta, Span, gaps, into_chunks, split_into, statement_lines};
use super::{Chunk, ChunkKind, MAX_SCOPE_DEPTH};
use crate::language::Language;

/// The enclosing scope of the nodes being visited.
#[derive(Clone)]
struct Scope {
    /// Qualified name of the scope (`""` at file level).
    prefix: String,
    in_class: bool,
    /// Signatures of the enclosing classes, one per line.
    signatures: String,
    depth: usize,
}

impl Scope {
    /// Where the definition scan stands for statements directly in this scope.
    fn nesting(&self) -> Nesting {
        Nesting {
            prefix: self.prefix.clone(),
            this: self.prefix.clone(),
            in_class: self.in_class,
            depth: self.depth,
        }
    }

    /// Where the definition scan stands inside a unit of this scope qualified `qualified`: a
    /// method's `this` is its class, a function's (a constructor's, in older JavaScript) itself.
    fn inside(&self, qualified: Option<&str>, method: bool, in_class: bool) -> Nesting {
        let prefix = qualified.unwrap_or(&self.prefix).to_string();
        Nesting {
            this: if method {
                self.prefix.clone()
            } else {
                prefix.clone()
            },
            prefix,
            in_class,
            depth: self.depth + 1,
        }
    }
}

/// A run of comments / attributes waiting to see whether a unit follows directly.
struct Lead {
    start_line: usize,
    end_line: usize,
    doc: String,
}

pub(super) struct Walker<'a> {
    src: Source<'a>,
    budget: usize,
    spans: Vec<Span>,
    /// Lines where a scope-level item starts: the preferred places to cut module-level chunks.
    boundaries: Vec<usize>,
    /// Named definitions, nested ones included, when the caller asked for them.
    definitions: Option<Vec<Definition>>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        language: Language,
        text: &'a str,
        line_starts: &'a [usize],
        budget: usize,
    ) -> Self {
        Walker {
            src: Source {
                language,
                text,
                line_starts,
            },
            budget: budget.max(64),
            spans: Vec::new(),
            boundaries: Vec::new(),
            definitions: None,
        }
    }

    /// Also lists every named definition. Off by default: finding nested ones visits every node
    /// inside the units, which plain chunking never needs.
    pub(super) fn with_definitions(mut self) -> Self {
        self.definitions = Some(Vec::new());
        self
    }

    /// Chunks the whole file rooted at `root`; the definitions are empty unless asked for.
    pub(super) fn run(mut self, root: Node<'_>, path: &str) -> (Vec<Chunk>, Vec<Definition>) {
        let scope = Scope {
            prefix: String::new(),
            in_class: false,
            signatures: String::new(),
            depth: 0,
        };
        self.visit_scope(root, &scope);
        self.spans.sort_by_key(|s| s.start);
        self.boundaries.sort_unstable();
        self.boundaries.dedup();
        let last_line = self.src.line_starts.len() - 1;
        let mut fillers = Vec::new();
        for (start, end) in gaps(&self.src, &self.spans, 0, last_line) {
            let meta = Meta::anonymous(ChunkKind::Module);
            self.split(&mut fillers, start, end, &self.boundaries, meta);
        }
        self.spans.extend(fillers);
        self.spans.sort_by_key(|s| s.start);
        let mut definitions = self.definitions.take().unwrap_or_default();
        // Stable, so the names of one chained assignment keep their order.
        definitions.sort_by_key(|d| d.start_byte);
        let chunks = into_chunks(&self.src, self.budget, &self.spans, path);
        (chunks, definitions)
    }

    /// Records definitions of `node` under each of `names`, when definitions are wanted.
    fn define(&mut self, node: Node<'_>, names: &[Target], kind: ChunkKind) {
        if let Some(definitions) = &mut self.definitions {
            definitions.extend(names.iter().map(|t| self.src.definition(node, t, kind)));
        }
    }

    /// Records the definitions at or below `start`, which no scope-level visit will see.
    fn scan(&mut self, start: Option<Node<'_>>, at: Nesting) {
        if let (Some(definitions), Some(start)) = (&mut self.definitions, start) {
            self.src.nested_definitions(start, at, definitions);
        }
    }

    fn split(&self, out: &mut Vec<Span>, start: usize, end: usize, cuts: &[usize], meta: Meta) {
        split_into(&self.src, self.budget, out, start, end, cuts, meta);
    }

    /// Visits the scope-level children of `node`, claiming spans for units and imports.
    fn visit_scope(&mut self, node: Node<'_>, scope: &Scope) {
        let mut lead: Option<Lead> = None;
        let mut imports: Option<(usize, usize)> = None;
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        // C# `namespace A.B;` names the scope of the declarations that follow it (siblings).
        let mut file_scoped: Option<Scope> = None;
        loop {
            let child = cursor.node();
            if child.is_named() {
                let current = file_scoped.as_ref().unwrap_or(scope);
                if child.kind() == "file_scoped_namespace_declaration"
                    && child.child_by_field_name("body").is_none()
                    && let Some(name) = child.child_by_field_name("name")
                {
                    let mut inner = current.clone();
                    inner.prefix =
                        qualify(&current.prefix, self.src.node_text(name), self.src.language);
                    self.visit_item(child, current, &mut lead, &mut imports);
                    file_scoped = Some(inner);
                } else {
                    self.visit_item(child, current, &mut lead, &mut imports);
                }
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
        if let Some((start, end)) = imports {
            self.push_imports(start, end);
        }
    }

    fn visit_item(
        &mut self,
        child: Node<'_>,
        scope: &Scope,
        lead: &mut Option<Lead>,
        imports: &mut Option<(usize, usize)>,
    ) {
        let start = start_line(child);
        let end = end_line(child);
        let mut child_role = role(self.src.language, child.kind());
        if child_role == Role::Binding
            && self
                .src
                .unwrap(child, &scope.prefix)
                .is_some_and(|unit| unit.role == Role::Import)
        {
            // `const x = require('y')` joins the import block around it.
            child_role = Role::Import;
        }
        match child_role {
            Role::Comment | Role::Attribute => {
                self.boundaries.push(start);
                let doc = if child_role == Role::Comment {
                    clean_comment(self.src.node_text(child))
                } else {
                    String::new()
                };
                match lead {
                    Some(l) if start <= l.end_line + 1 => {
                        l.end_line = end;
                        if !doc.is_empty() {
                            if !l.doc.is_empty() {
                                l.doc.push('\n');
                            }
                            l.doc.push_str(&doc);
                        }
                    }
                    _ => {
                        *lead = Some(Lead {
                            start_line: start,
                            end_line: end,
                            doc,
                        })
                    }
                }
                return;
            }
            Role::Import => {
                self.boundaries.push(start);
                *lead = None;
                *imports = match *imports {
                    Some((s, _)) => Some((s, end)),
                    None => Some((start, end)),
                };
                return;
            }
            _ => {}
        }
        if let Some((s, e)) = imports.take() {
            self.push_imports(s, e);
        }
        // A comment run directly above (no blank line) documents this item and belongs to it.
        let attached = lead.take().filter(|l| l.end_line + 1 >= start);
        let first_line = attached.as_ref().map_or(start, |l| l.start_line.min(start));
        self.boundaries.push(first_line);
        let lead_doc = attached.map(|l| l.doc).filter(|d| !d.is_empty());
        self.visit_unit(child, child, child_role, first_line, lead_doc, scope, 0);
    }

    /// Handles one scope-level node. `outer` is the node whose lines the unit claims (a wrapper
    /// such as `export` or a decorator list), `node` the unit itself.
    #[allow(clippy::too_many_arguments)]
    fn visit_unit(
        &mut self,
        outer: Node<'_>,
        node: Node<'_>,
        node_role: Role,
        first_line: usize,
        lead_doc: Option<String>,
        scope: &Scope,
        unwraps: usize,
    ) {
        let end = end_line(outer);
        match node_role {
            Role::Function => {
                let Some(body) = node.child_by_field_name("body") else {
                    return; // A declaration without a body is an ordinary statement.
                };
                let (name, qualified, is_method) = self.src.function_name(node, &scope.prefix);
                let kind = if scope.in_class || is_method {
                    ChunkKind::Method
                } else {
                    ChunkKind::Function
                };
                self.define_named(outer, name.as_deref(), qualified.as_deref(), kind);
                let at = scope.inside(qualified.as_deref(), kind == ChunkKind::Method, false);
                self.scan(Some(body), at);
                let doc = self.src.body_docstring(body).or(lead_doc);
                let mut context = scope.signatures.clone();
                context.push_str(&self.src.signature(node, Some(body)));
                let meta = Meta {
                    kind,
                    name,
                    qualified,
                    doc,
                    context: Some(context),
                };
                self.push_unit(node, first_line, end, meta);
            }
            Role::Class => self.visit_class(outer, node, first_line, lead_doc, scope),
            Role::Type => {
                let name = self.src.type_name(node);
                let qualified = name
                    .as_ref()
                    .map(|n| qualify(&scope.prefix, n, self.src.language));
                let kind = if node.kind() == "macro_definition" {
                    ChunkKind::Function
                } else {
                    ChunkKind::Class
                };
                self.define_named(outer, name.as_deref(), qualified.as_deref(), kind);
                let at = scope.inside(qualified.as_deref(), false, false);
                self.scan(node.child_by_field_name("body"), at);
                let mut context = scope.signatures.clone();
                context.push_str(&first_line_of(self.src.node_text(node)));
                let meta = Meta {
                    kind,
                    name,
                    qualified,
                    doc: lead_doc,
                    context: Some(context),
                };
                self.push_unit(node, first_line, end, meta);
            }
            Role::Namespace => {
                if scope.depth >= MAX_SCOPE_DEPTH {
                    return;
                }
                let name = node
                    .child_by_field_name("name")
                    .map(|n| self.src.node_text(n).to_string());
                let mut inner = scope.clone();
                inner.depth += 1;
                if let Some(name) = name {
                    inner.prefix = qualify(&scope.prefix, &name, self.src.language);
                }
                let body = node.child_by_field_name("body").unwrap_or(node);
                self.visit_scope(body, &inner);
            }
            Role::Transparent => {
                if scope.depth >= MAX_SCOPE_DEPTH {
                    return;
                }
                let mut inner = scope.clone();
                inner.depth += 1;
                let body = node.child_by_field_name("body").unwrap_or(node);
                self.visit_scope(body, &inner);
            }
            Role::Wrapper | Role::Holder | Role::Binding if unwraps < 3 => {
                match self.src.unwrap(node, &scope.prefix) {
                    Some(unit) if unit.names.is_empty() => self.visit_unit(
                        outer,
                        unit.node,
                        unit.role,
                        first_line,
                        lead_doc,
                        scope,
                        unwraps + 1,
                    ),
                    // `const f = () => ...`, `res.set = function () {}`: the binding names it.
                    Some(unit) => self.push_binding(outer, unit, first_line, lead_doc, scope),
                    None => self.scan(Some(node), scope.nesting()),
                }
            }
            // A statement: the definitions in it (an IIFE's functions, a `def` under an `if`)
            // share its module-level chunk but are still found by name.
            _ => self.scan(Some(node), scope.nesting()),
        }
    }

    /// Records the definition of a unit named by its own syntax, when it has a name.
    fn define_named(
        &mut self,
        node: Node<'_>,
        name: Option<&str>,
        qualified: Option<&str>,
        kind: ChunkKind,
    ) {
        if let (Some(name), Some(qualified)) = (name, qualified) {
            let target = Target {
                name: name.to_string(),
                qualified: qualified.to_string(),
                method: false,
            };
            self.define(node, &[target], kind);
        }
    }

    /// A JS/TS function or class bound to a variable or assigned to a property becomes a chunk
    /// named after its first binding or target (see `names::Target`); every name is a definition.
    fn push_binding(
        &mut self,
        outer: Node<'_>,
        unit: Unit<'_>,
        first_line: usize,
        lead_doc: Option<String>,
        scope: &Scope,
    ) {
        if unit.role == Role::Import {
            // `const x = require('y')` is an import; it joins no group but is claimed as one.
            self.push_imports(first_line, end_line(outer));
            return;
        }
        let Some(first) = unit.names.first().cloned() else {
            return;
        };
        let is_class = matches!(unit.role, Role::Class | Role::Type);
        let kind = if is_class {
            ChunkKind::Class
        } else if scope.in_class || first.method {
            ChunkKind::Method
        } else {
            ChunkKind::Function
        };
        self.define(outer, &unit.names, kind);
        let method = kind == ChunkKind::Method;
        let at = scope.inside(Some(&first.qualified), method, unit.role == Role::Class);
        self.scan(unit.node.child_by_field_name("body"), at);
        let mut context = scope.signatures.clone();
        context.push_str(&first_line_of(self.src.node_text(outer)));
        let meta = Meta {
            kind,
            name: Some(first.name),
            qualified: Some(first.qualified),
            doc: lead_doc,
            context: Some(context),
        };
        self.push_unit(unit.node, first_line, end_line(outer), meta);
    }

    fn visit_class(
        &mut self,
        outer: Node<'_>,
        node: Node<'_>,
        first_line: usize,
        lead_doc: Option<String>,
        scope: &Scope,
    ) {
        let end = end_line(outer);
        let (name, qualified) = self.src.class_name(node, &scope.prefix);
        self.define_named(
            outer,
            name.as_deref(),
            qualified.as_deref(),
            ChunkKind::Class,
        );
        let body = node.child_by_field_name("body");
        let doc = body.and_then(|b| self.src.body_docstring(b)).or(lead_doc);
        let signature = first_line_of(self.src.node_text(node));
        let mut context = scope.signatures.clone();
        context.push_str(&signature);
        let meta = Meta {
            kind: ChunkKind::Class,
            name: name.clone(),
            qualified: qualified.clone(),
            doc,
            context: Some(context.clone()),
        };
        let Some(body) = body.filter(|_| scope.depth < MAX_SCOPE_DEPTH) else {
            self.push_unit(node, first_line, end, meta);
            return;
        };
        let mark = self.spans.len();
        let inner = Scope {
            prefix: qualified.clone().unwrap_or_default(),
            in_class: true,
            signatures: format!("{context}\n"),
            depth: scope.depth + 1,
        };
        self.visit_scope(body, &inner);
        let header_line = start_line(node);
        let members_share_header = self.spans[mark..].iter().any(|s| s.start <= header_line);
        if self.spans.len() == mark || members_share_header {
            // No methods (or a one-line class): the class is one unit.
            self.spans.truncate(mark);
            self.push_unit(node, first_line, end, meta);
            return;
        }
        self.spans[mark..].sort_by_key(|s| s.start);
        let gaps = gaps(&self.src, &self.spans[mark..], first_line, end);
        let mut fillers: Vec<Span> = Vec::new();
        let boundaries = std::mem::take(&mut self.boundaries);
        let mut meta = Some(meta);
        for (gap_start, gap_end) in gaps {
            let header = gap_start == first_line;
            if !header && self.src.is_closing(gap_start, gap_end) {
                // A lone `}` joins the chunk above rather than becoming a chunk of its own.
                let previous = self.spans[mark..]
                    .iter_mut()
                    .chain(fillers.iter_mut())
                    .filter(|s| s.end < gap_start)
                    .max_by_key(|s| s.end);
                if let Some(previous) = previous {
                    previous.end = gap_end;
                    continue;
                }
            }
            let piece_meta = match meta.take() {
                Some(m) if header => m,
                other => {
                    meta = other;
                    Meta {
                        kind: ChunkKind::Class,
                        name: name.clone(),
                        qualified: qualified.clone(),
                        doc: None,
                        context: Some(context.clone()),
                    }
                }
            };
            self.split(&mut fillers, gap_start, gap_end, &boundaries, piece_meta);
        }
        self.boundaries = boundaries;
        self.spans.extend(fillers);
        self.spans[mark..].sort_by_key(|s| s.start);
    }

    fn push_imports(&mut self, start: usize, end: usize) {
        let boundaries = std::mem::take(&mut self.boundaries);
        let meta = Meta::anonymous(ChunkKind::Imports);
        let mut out = std::mem::take(&mut self.spans);
        self.split(&mut out, start, end, &boundaries, meta);
        self.spans = out;
        self.boundaries = boundaries;
    }

    /// Claims the lines of a unit, split at statement boundaries when it is over budget.
    fn push_unit(&mut self, node: Node<'_>, first_line: usize, end: usize, meta: Meta) {
        // Two units sharing a line cannot be separate line-based chunks: the later one joins.
        if let Some(last) = self.spans.last_mut()
            && first_line <= last.end
        {
            last.end = last.end.max(end);
            return;
        }
        let cuts = if self.src.size(first_line, end) > self.budget {
            statement_lines(node, self.budget)
        } else {
            Vec::new()
        };
        let mut out = std::mem::take(&mut self.spans);
        self.split(&mut out, first_line, end, &cuts, meta);
        self.spans = out;
    }
}
