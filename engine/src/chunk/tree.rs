//! The syntax-tree chunker: walks scope-level nodes of a parsed file (never every node), claims
//! whole-line spans for imports, functions, methods and class headers, and fills every line left
//! unclaimed with module-level (or class-level) chunks. Working in whole lines makes the coverage
//! invariant hold by construction: every non-blank line ends up in exactly one chunk.

use tree_sitter::Node;

use super::rules::{Role, role, separator};
use super::{Chunk, ChunkKind};
use crate::language::Language;

/// Nesting deeper than this is chunked as one unit instead of recursing, so hostile input
/// cannot exhaust the stack.
const MAX_SCOPE_DEPTH: usize = 48;
/// Signatures used as context for split pieces are cut to this many bytes.
const MAX_SIGNATURE_BYTES: usize = 240;

/// A claimed, inclusive range of 0-based lines and what it is.
#[derive(Debug)]
struct Span {
    start: usize,
    end: usize,
    kind: ChunkKind,
    name: Option<String>,
    qualified: Option<String>,
    doc: Option<String>,
    /// Enclosing signatures, prepended to the text of every piece but the first of a split unit.
    context: Option<String>,
    /// Whether this piece continues a unit split earlier (it gets `context` in its text).
    continued: bool,
}

/// What a unit's chunk is called and documented as.
struct Meta {
    kind: ChunkKind,
    name: Option<String>,
    qualified: Option<String>,
    doc: Option<String>,
}

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

/// A run of comments / attributes waiting to see whether a unit follows directly.
struct Lead {
    start_line: usize,
    end_line: usize,
    doc: String,
}

pub(super) struct Walker<'a> {
    language: Language,
    text: &'a str,
    line_starts: &'a [usize],
    budget: usize,
    spans: Vec<Span>,
    /// Lines where a scope-level item starts: the preferred places to cut module-level chunks.
    boundaries: Vec<usize>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(
        language: Language,
        text: &'a str,
        line_starts: &'a [usize],
        budget: usize,
    ) -> Self {
        Walker {
            language,
            text,
            line_starts,
            budget: budget.max(64),
            spans: Vec::new(),
            boundaries: Vec::new(),
        }
    }

    /// Chunks the whole file rooted at `root`.
    pub(super) fn run(mut self, root: Node<'_>, path: &str) -> Vec<Chunk> {
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
        let last_line = self.line_starts.len() - 1;
        let gaps = self.gaps(0, last_line, 0);
        let mut fillers = Vec::new();
        for (start, end) in gaps {
            let meta = Meta {
                kind: ChunkKind::Module,
                name: None,
                qualified: None,
                doc: None,
            };
            self.split_into(&mut fillers, start, end, &self.boundaries, meta, None);
        }
        self.spans.extend(fillers);
        self.spans.sort_by_key(|s| s.start);
        self.into_chunks(path)
    }

    // ----- lines -------------------------------------------------------------------------

    fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Bytes of the inclusive line range, newline included.
    fn size(&self, start: usize, end: usize) -> usize {
        self.line_start(end + 1) - self.line_start(start)
    }

    fn is_blank(&self, start: usize, end: usize) -> bool {
        self.text[self.line_start(start)..self.line_start(end + 1)]
            .trim()
            .is_empty()
    }

    fn start_line(node: Node<'_>) -> usize {
        node.start_position().row
    }

    /// The last line holding a byte of `node` (a node ending in a newline ends on the line before).
    fn end_line(node: Node<'_>) -> usize {
        let end = node.end_position();
        if end.column == 0 && end.row > node.start_position().row {
            end.row - 1
        } else {
            end.row
        }
    }

    fn node_text(&self, node: Node<'_>) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    // ----- scopes ------------------------------------------------------------------------

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
                    inner.prefix = qualify(&current.prefix, self.node_text(name), self.language);
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
        let start = Self::start_line(child);
        let end = Self::end_line(child);
        let mut child_role = role(self.language, child.kind());
        if child_role == Role::Binding
            && self
                .unwrap(child)
                .is_some_and(|(_, r, _)| r == Role::Import)
        {
            // `const x = require('y')` joins the import block around it.
            child_role = Role::Import;
        }
        match child_role {
            Role::Comment | Role::Attribute => {
                self.boundaries.push(start);
                let doc = if child_role == Role::Comment {
                    clean_comment(self.node_text(child))
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
        let end = Self::end_line(outer);
        match node_role {
            Role::Function => {
                let Some(body) = node.child_by_field_name("body") else {
                    return; // A declaration without a body is an ordinary statement.
                };
                let (name, qualified, is_method) = self.function_name(node, scope);
                let kind = if scope.in_class || is_method {
                    ChunkKind::Method
                } else {
                    ChunkKind::Function
                };
                let doc = self.body_docstring(body).or(lead_doc);
                let mut context = scope.signatures.clone();
                context.push_str(&self.signature(node, Some(body)));
                let meta = Meta {
                    kind,
                    name,
                    qualified,
                    doc,
                };
                self.push_unit(node, first_line, end, meta, Some(context));
            }
            Role::Class => self.visit_class(outer, node, first_line, lead_doc, scope),
            Role::Type => {
                let name = self.type_name(node);
                let qualified = name
                    .as_ref()
                    .map(|n| qualify(&scope.prefix, n, self.language));
                let kind = if node.kind() == "macro_definition" {
                    ChunkKind::Function
                } else {
                    ChunkKind::Class
                };
                let mut context = scope.signatures.clone();
                context.push_str(&first_line_of(self.node_text(node)));
                let meta = Meta {
                    kind,
                    name,
                    qualified,
                    doc: lead_doc,
                };
                self.push_unit(node, first_line, end, meta, Some(context));
            }
            Role::Namespace => {
                if scope.depth >= MAX_SCOPE_DEPTH {
                    return;
                }
                let name = node
                    .child_by_field_name("name")
                    .map(|n| self.node_text(n).to_string());
                let mut inner = scope.clone();
                inner.depth += 1;
                if let Some(name) = name {
                    inner.prefix = qualify(&scope.prefix, &name, self.language);
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
                if let Some((inner, inner_role, name)) = self.unwrap(node) {
                    if let Some(name) = name {
                        // `const f = () => ...`: the binding names the function.
                        self.push_binding(
                            outer, inner, inner_role, first_line, lead_doc, scope, name,
                        );
                    } else {
                        self.visit_unit(
                            outer,
                            inner,
                            inner_role,
                            first_line,
                            lead_doc,
                            scope,
                            unwraps + 1,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// A JS/TS binding whose value is a function or class becomes a chunk named after the binding.
    #[allow(clippy::too_many_arguments)]
    fn push_binding(
        &mut self,
        outer: Node<'_>,
        value: Node<'_>,
        value_role: Role,
        first_line: usize,
        lead_doc: Option<String>,
        scope: &Scope,
        name: String,
    ) {
        if value_role == Role::Import {
            // `const x = require('y')` is an import; it joins no group but is claimed as one.
            self.push_imports(first_line, Self::end_line(outer));
            return;
        }
        let qualified = Some(qualify(&scope.prefix, &name, self.language));
        // `Foo.prototype.bar` is called `bar`; the full target stays in the qualified name.
        let name = name.rsplit('.').next().unwrap_or(&name).to_string();
        let kind = if matches!(value_role, Role::Class | Role::Type) {
            ChunkKind::Class
        } else if scope.in_class {
            ChunkKind::Method
        } else {
            ChunkKind::Function
        };
        let mut context = scope.signatures.clone();
        context.push_str(&first_line_of(self.node_text(outer)));
        let meta = Meta {
            kind,
            name: Some(name),
            qualified,
            doc: lead_doc,
        };
        self.push_unit(
            value,
            first_line,
            Self::end_line(outer),
            meta,
            Some(context),
        );
    }

    /// Finds the unit inside a wrapper, holder or binding: the node, its role and, for bindings,
    /// the bound name.
    fn unwrap<'t>(&self, node: Node<'t>) -> Option<(Node<'t>, Role, Option<String>)> {
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

    fn visit_class(
        &mut self,
        outer: Node<'_>,
        node: Node<'_>,
        first_line: usize,
        lead_doc: Option<String>,
        scope: &Scope,
    ) {
        let end = Self::end_line(outer);
        let (name, qualified) = self.class_name(node, scope);
        let body = node.child_by_field_name("body");
        let doc = body.and_then(|b| self.body_docstring(b)).or(lead_doc);
        let signature = first_line_of(self.node_text(node));
        let mut context = scope.signatures.clone();
        context.push_str(&signature);
        let meta = Meta {
            kind: ChunkKind::Class,
            name: name.clone(),
            qualified: qualified.clone(),
            doc,
        };
        let Some(body) = body.filter(|_| scope.depth < MAX_SCOPE_DEPTH) else {
            self.push_unit(node, first_line, end, meta, Some(context));
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
        let header_line = Self::start_line(node);
        let members_share_header = self.spans[mark..].iter().any(|s| s.start <= header_line);
        if self.spans.len() == mark || members_share_header {
            // No methods (or a one-line class): the class is one unit.
            self.spans.truncate(mark);
            self.push_unit(node, first_line, end, meta, Some(context));
            return;
        }
        self.spans[mark..].sort_by_key(|s| s.start);
        let gaps = self.gaps(first_line, end, mark);
        let mut fillers: Vec<Span> = Vec::new();
        let boundaries = std::mem::take(&mut self.boundaries);
        let mut meta = Some(meta);
        for (gap_start, gap_end) in gaps {
            let header = gap_start == first_line;
            if !header && self.is_closing(gap_start, gap_end) {
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
                    }
                }
            };
            self.split_into(
                &mut fillers,
                gap_start,
                gap_end,
                &boundaries,
                piece_meta,
                Some(context.clone()),
            );
        }
        self.boundaries = boundaries;
        self.spans.extend(fillers);
        self.spans[mark..].sort_by_key(|s| s.start);
    }

    /// Whether the lines hold only closing punctuation (`}`, `};`, `)`, `end`).
    fn is_closing(&self, start: usize, end: usize) -> bool {
        self.text[self.line_start(start)..self.line_start(end + 1)]
            .split_whitespace()
            .all(|w| {
                w.chars().all(|c| matches!(c, '}' | ')' | ']' | ';' | ',')) || w.starts_with("//")
            })
    }

    /// Unclaimed non-blank line ranges inside `[start, end]`, given sorted claims `spans[mark..]`.
    fn gaps(&self, start: usize, end: usize, mark: usize) -> Vec<(usize, usize)> {
        let mut gaps = Vec::new();
        let mut next = start;
        let push = |from: usize, to: usize, gaps: &mut Vec<(usize, usize)>| {
            if from <= to && !self.is_blank(from, to) {
                gaps.push((from, to));
            }
        };
        for span in &self.spans[mark..] {
            if span.start > next {
                push(next, span.start - 1, &mut gaps);
            }
            next = next.max(span.end + 1);
        }
        if next <= end {
            push(next, end, &mut gaps);
        }
        gaps
    }

    fn push_imports(&mut self, start: usize, end: usize) {
        let boundaries = std::mem::take(&mut self.boundaries);
        let meta = Meta {
            kind: ChunkKind::Imports,
            name: None,
            qualified: None,
            doc: None,
        };
        let mut out = std::mem::take(&mut self.spans);
        self.split_into(&mut out, start, end, &boundaries, meta, None);
        self.spans = out;
        self.boundaries = boundaries;
    }

    /// Claims the lines of a unit, split at statement boundaries when it is over budget.
    fn push_unit(
        &mut self,
        node: Node<'_>,
        first_line: usize,
        end: usize,
        meta: Meta,
        context: Option<String>,
    ) {
        // Two units sharing a line cannot be separate line-based chunks: the later one joins.
        if let Some(last) = self.spans.last_mut()
            && first_line <= last.end
        {
            last.end = last.end.max(end);
            return;
        }
        let cuts = if self.size(first_line, end) > self.budget {
            self.statement_lines(node)
        } else {
            Vec::new()
        };
        let mut out = std::mem::take(&mut self.spans);
        self.split_into(&mut out, first_line, end, &cuts, meta, context);
        self.spans = out;
    }

    /// Lines where statements start inside `node`, descending only into children that are
    /// themselves over budget. Iterative so deep nesting cannot overflow the stack.
    fn statement_lines(&self, node: Node<'_>) -> Vec<usize> {
        let mut lines = Vec::new();
        let mut stack = vec![node];
        let mut cursor = node.walk();
        while let Some(n) = stack.pop() {
            cursor.reset(n);
            if !cursor.goto_first_child() {
                continue;
            }
            loop {
                let child = cursor.node();
                if child.is_named() {
                    lines.push(Self::start_line(child));
                    // Half the budget: a child that big may not fit next to its neighbours.
                    if child.byte_range().len() > self.budget / 2 {
                        stack.push(child);
                    }
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        // Never cut between a unit's doc comment or signature line and its body.
        let first = Self::start_line(node);
        lines.retain(|&l| l > first);
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// Splits `[start, end]` into pieces within the budget, cutting at `cuts` (sorted lines)
    /// when possible and at any line otherwise, and appends them to `out`.
    fn split_into(
        &self,
        out: &mut Vec<Span>,
        start: usize,
        end: usize,
        cuts: &[usize],
        meta: Meta,
        context: Option<String>,
    ) {
        // Callers collect cuts in tree order, which is not always line order (a C++ class in a
        // header put them out of order and this loop never advanced): sort a copy so the binary
        // searches below hold, and never let a piece end before it starts.
        let sorted: Vec<usize>;
        let cuts = if cuts.is_sorted() {
            cuts
        } else {
            let mut copy = cuts.to_vec();
            copy.sort_unstable();
            copy.dedup();
            sorted = copy;
            &sorted[..]
        };
        let mut current = start;
        let mut first = true;
        while current <= end {
            let piece_end = if self.size(current, end) <= self.budget {
                end
            } else {
                let limit = self.line_start(current) + self.budget;
                // The farthest statement start that keeps the piece in budget...
                let from = cuts.partition_point(|&c| c <= current);
                let to = cuts.partition_point(|&c| c <= end);
                let by_statement = cuts[from..to]
                    .iter()
                    .rev()
                    .find(|&&c| self.line_start(c) <= limit)
                    .copied();
                // ...else the farthest line that does, else the one (huge) line.
                let cut = by_statement.unwrap_or_else(|| {
                    let line = self.line_starts.partition_point(|&s| s <= limit);
                    line.saturating_sub(1).clamp(current + 1, end + 1)
                });
                (cut - 1).max(current)
            };
            if !self.is_blank(current, piece_end) {
                out.push(Span {
                    start: current,
                    end: piece_end,
                    kind: meta.kind,
                    name: meta.name.clone(),
                    qualified: meta.qualified.clone(),
                    doc: if first { meta.doc.clone() } else { None },
                    context: context.clone(),
                    continued: !first,
                });
                first = false;
            }
            current = piece_end + 1;
        }
    }

    // ----- names and docs ----------------------------------------------------------------

    fn function_name(
        &self,
        node: Node<'_>,
        scope: &Scope,
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
                Some(qualify(&scope.prefix, &full, self.language)),
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
        let qualified = name
            .as_ref()
            .map(|n| qualify(&scope.prefix, n, self.language));
        (name, qualified, false)
    }

    fn class_name(&self, node: Node<'_>, scope: &Scope) -> (Option<String>, Option<String>) {
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
            return (ty, Some(qualify(&scope.prefix, &qualified, self.language)));
        }
        let name = self.type_name(node);
        let qualified = name
            .as_ref()
            .map(|n| qualify(&scope.prefix, n, self.language));
        (name, qualified)
    }

    fn type_name(&self, node: Node<'_>) -> Option<String> {
        let named = node.child_by_field_name("name").or_else(|| {
            // Go: `type X struct{}` keeps the name in its first type_spec.
            first_descendant_of_kind(node, "type_spec").and_then(|s| s.child_by_field_name("name"))
        })?;
        Some(self.node_text(named).to_string())
    }

    /// Python: a string as the first statement of a body is the docstring.
    fn body_docstring(&self, body: Node<'_>) -> Option<String> {
        if self.language != Language::Python {
            return None;
        }
        let first = body.named_child(0)?;
        if first.kind() != "expression_statement" {
            return None;
        }
        let string = first.named_child(0)?;
        if string.kind() != "string" {
            return None;
        }
        let raw = self.node_text(string);
        let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let body = body
            .trim_start_matches(['"', '\''])
            .trim_end_matches(['"', '\'']);
        let doc = dedent(body);
        (!doc.is_empty()).then_some(doc)
    }

    /// The text from the unit's start to its body, as context for split pieces.
    fn signature(&self, node: Node<'_>, body: Option<Node<'_>>) -> String {
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

    // ----- output ------------------------------------------------------------------------

    fn into_chunks(self, path: &str) -> Vec<Chunk> {
        let mut chunks = Vec::with_capacity(self.spans.len());
        for span in &self.spans {
            let raw_start = self.line_start(span.start);
            let raw_end = self.line_start(span.end + 1);
            let slice = &self.text[raw_start..raw_end];
            let start_byte = raw_start + (slice.len() - slice.trim_start().len());
            let end_byte = raw_start + slice.trim_end().len();
            if end_byte <= start_byte {
                continue;
            }
            if end_byte - start_byte > self.budget && span.start == span.end {
                // One line over budget (minified code): cut it at char boundaries.
                self.cut_line(&mut chunks, span, start_byte, end_byte, path);
                continue;
            }
            let body = &self.text[start_byte..end_byte];
            let text = match &span.context {
                Some(context) if span.continued && !context.is_empty() => {
                    format!("{context}\n{body}")
                }
                _ => body.to_string(),
            };
            chunks.push(Chunk {
                path: path.to_string(),
                language: Some(self.language),
                kind: span.kind,
                name: span.name.clone(),
                qualified_name: span.qualified.clone(),
                start_byte,
                end_byte,
                start_line: self.line_of(start_byte) + 1,
                end_line: self.line_of(end_byte - 1) + 1,
                docstring: span.doc.clone(),
                text,
            });
        }
        chunks
    }

    fn cut_line(&self, chunks: &mut Vec<Chunk>, span: &Span, start: usize, end: usize, path: &str) {
        let mut from = start;
        while from < end {
            let mut to = (from + self.budget).min(end);
            while !self.text.is_char_boundary(to) {
                to -= 1;
            }
            if to <= from {
                to = from + 1;
                while !self.text.is_char_boundary(to) {
                    to += 1;
                }
            }
            chunks.push(Chunk {
                path: path.to_string(),
                language: Some(self.language),
                kind: span.kind,
                name: span.name.clone(),
                qualified_name: span.qualified.clone(),
                start_byte: from,
                end_byte: to,
                start_line: span.start + 1,
                end_line: span.start + 1,
                docstring: None,
                text: self.text[from..to].to_string(),
            });
            from = to;
        }
    }

    fn line_of(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= byte) - 1
    }
}

fn qualify(prefix: &str, name: &str, language: Language) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}{}{name}", separator(language))
    }
}

fn first_line_of(text: &str) -> String {
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

/// Strips comment markers (`//`, `///`, `/* */`, `*`, `#`) and joins the lines.
fn clean_comment(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        let mut l = line.trim();
        for prefix in ["///", "//!", "//", "/**", "/*!", "/*", "#"] {
            if let Some(rest) = l.strip_prefix(prefix) {
                l = rest;
                break;
            }
        }
        l = l.strip_suffix("*/").unwrap_or(l).trim();
        l = l.strip_prefix('*').unwrap_or(l).trim();
        if l.is_empty() && out.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
    }
    out.trim_end().to_string()
}

/// Removes the common indentation of a docstring's lines after the first.
fn dedent(text: &str) -> String {
    let text = text.trim();
    let indent = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        } else {
            out.push_str(line);
        }
    }
    out
}
