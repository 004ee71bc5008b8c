//! Definitions the cursor's code reaches: names imported into the file and names referenced
//! near the cursor, resolved across indexed files by their tags (the importing module's file
//! first, then the cursor's folder, then the repo map's rank), each cut to the text a prompt can
//! afford.

use rustc_hash::{FxHashMap, FxHashSet};
use syntax::Language;
use syntax::tags::{DefinitionKind, FileTags, Import, ImportKind, ReferenceKind};

use super::{Gathering, Score};
use crate::context::index::DefinitionId;
use crate::context::request::DefinitionText;
use crate::context::resolve::{module_files, parent};
use crate::context::workspace::lines;
use crate::snippet::SnippetKind;

/// A definition worth showing, before its text is cut.
struct Wanted {
    score: f32,
    reasons: Vec<String>,
}

impl Gathering<'_> {
    /// Definitions of the names the cursor's code reaches: imported names and names referenced
    /// near the cursor, resolved across indexed files.
    pub(super) fn definitions(&mut self, language: Language, tags: &FileTags) {
        let index = self.workspace.tags();
        let cursor_line = self.window.cursor_line;
        let config = self.config;
        let lo = cursor_line.saturating_sub(config.near_before);
        let hi = cursor_line + config.near_after;
        // The function being written: every reference in it is near.
        let within = enclosing_at(tags, self.cursor.offset, cursor_line).and_then(|mut at| {
            loop {
                let d = &tags.definitions[at];
                if matches!(d.kind, DefinitionKind::Function | DefinitionKind::Method) {
                    break Some(at);
                }
                at = d.parent?;
            }
        });
        let mut near: FxHashMap<&str, (f32, usize, ReferenceKind)> = FxHashMap::default();
        let mut used: FxHashSet<&str> = FxHashSet::default();
        for r in &tags.references {
            used.insert(&r.name);
            let inside =
                within.is_some() && r.enclosing.is_some_and(|e| is_within(tags, e, within));
            if !(inside || (lo..=hi).contains(&r.line)) {
                continue;
            }
            let distance = r.line.abs_diff(cursor_line) as f32;
            let proximity = 1.0 / (1.0 + distance / 8.0);
            let entry = near.entry(&r.name).or_insert((0.0, r.line, r.kind));
            if proximity > entry.0 {
                *entry = (proximity, r.line, r.kind.min(entry.2));
            }
        }
        let local: FxHashSet<&str> = tags.definitions.iter().map(|d| d.name.as_str()).collect();
        // The types the enclosing class names in its header (bases, implemented interfaces):
        // their members are what `self.`/`this.` calls in the cursor's method reach.
        let owner = enclosing_at(tags, self.cursor.offset, cursor_line).and_then(|mut at| {
            loop {
                let d = &tags.definitions[at];
                if d.kind.holds_methods() {
                    break Some(at);
                }
                at = d.parent?;
            }
        });
        let mut bases: FxHashMap<&str, &str> = FxHashMap::default();
        if let Some(owner) = owner {
            let class = &tags.definitions[owner];
            for r in &tags.references {
                if r.enclosing == Some(owner)
                    && r.line <= class.signature_end_line
                    && r.kind != ReferenceKind::Call
                {
                    bases.insert(&r.name, &class.name);
                }
            }
        }

        // Files the cursor's file imports: where names are looked for first.
        let imported: Vec<(&Import, Vec<&str>)> = tags
            .imports
            .iter()
            .map(|i| (i, module_files(index, self.cursor.path, language, i)))
            .collect();
        let imported_files: Vec<&str> = {
            let mut files: Vec<&str> = imported
                .iter()
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            files.sort_unstable();
            files.dedup();
            files
        };

        let mut wanted: FxHashMap<DefinitionId, Wanted> = FxHashMap::default();
        let mut want = |id: DefinitionId, score: f32, reason: String| {
            let entry = wanted.entry(id).or_insert(Wanted {
                score: 0.0,
                reasons: Vec::new(),
            });
            entry.score = entry.score.max(score);
            if !entry.reasons.contains(&reason) {
                entry.reasons.push(reason);
            }
        };
        let mut bound: FxHashSet<&str> = FxHashSet::default();
        for (import, files) in &imported {
            let local_name = import.local_name();
            if let Some(name) = local_name {
                bound.insert(name);
            }
            let usage = local_name.and_then(|n| near.get(n));
            let base_of = local_name.and_then(|n| bases.get(n).copied());
            let (base, usage_why) = if let Some(class) = base_of {
                (1.0, format!(", named in the header of `{class}`"))
            } else {
                match usage {
                    Some(&(proximity, line, _)) => {
                        (0.8 + 0.2 * proximity, format!(", used at line {line}"))
                    }
                    None if local_name.is_some_and(|n| !used.contains(n)) => {
                        (0.7, ", not used yet in this file".to_string())
                    }
                    None => (0.3, String::new()),
                }
            };
            let from = format!(
                "imported from `{}` at line {}{usage_why}",
                import.module, import.line
            );
            match import.kind {
                ImportKind::Name | ImportKind::Default => {
                    let name = match import.kind {
                        ImportKind::Default => local_name.unwrap_or_default(),
                        _ => import.name.as_deref().unwrap_or_default(),
                    };
                    for (id, tier) in self.resolve(name, files, &imported_files, true) {
                        want(
                            id,
                            base * tier_factor(tier),
                            format!("{from}{}", tier_why(tier)),
                        );
                    }
                    // `from pkg import module`: the module's best definitions.
                    if import.kind == ImportKind::Name {
                        for &file in files.iter().filter(|f| stem_name(f) == name) {
                            for id in self.top_definitions(file, 3) {
                                want(id, base * 0.5, format!("in module `{name}`, {from}"));
                            }
                        }
                    }
                }
                ImportKind::Module | ImportKind::Wildcard => {
                    for &file in files.iter().take(2) {
                        for id in self.top_definitions(file, 3) {
                            want(
                                id,
                                base * 0.5,
                                format!("a top definition of `{}`, {from}", import.module),
                            );
                        }
                    }
                }
            }
        }
        let mut near_names: Vec<(&str, (f32, usize, ReferenceKind))> =
            near.iter().map(|(n, v)| (*n, *v)).collect();
        near_names.sort_by(|a, b| a.0.cmp(b.0));
        for (name, (proximity, line, kind)) in near_names {
            if name.chars().count() < 2 || bound.contains(name) || local.contains(name) {
                continue;
            }
            let verb = match kind {
                ReferenceKind::Call => "called",
                ReferenceKind::Type => "used as a type",
                ReferenceKind::Identifier => "used",
            };
            let specific = if kind == ReferenceKind::Identifier {
                0.0
            } else {
                0.1
            };
            let base = 0.4 + 0.3 * proximity + specific;
            for (id, tier) in self.resolve(name, &[], &imported_files, false) {
                want(
                    id,
                    base * tier_factor(tier),
                    format!("{verb} at line {line}{}", tier_why(tier)),
                );
            }
        }

        let ranks = index.ranks();
        let top_rank = ranks
            .definitions
            .values()
            .copied()
            .fold(0.0f64, f64::max)
            .max(f64::MIN_POSITIVE);
        let mut wanted: Vec<(DefinitionId, Wanted)> = wanted.into_iter().collect();
        for (id, w) in &mut wanted {
            let name = index.definition(id).map_or("", |d| d.name.as_str());
            w.score += (0.05 * ranks.definition(&id.path, name) / top_rank) as f32;
        }
        wanted.sort_by(|a, b| {
            Score(b.1.score)
                .cmp(&Score(a.1.score))
                .then_with(|| a.0.cmp(&b.0))
        });
        wanted.truncate(config.max_definitions);
        for (id, w) in wanted {
            let Some(definition) = index.definition(&id) else {
                continue;
            };
            let Some((range, text)) = self.definition_text(&id) else {
                continue;
            };
            let why = format!(
                "defines {} `{}`: {}",
                definition.kind.name(),
                definition.name,
                w.reasons.join("; ")
            );
            self.push(SnippetKind::Definition, &id.path, range, text, w.score, why);
        }
    }

    /// Definitions of `name` outside the cursor's file with their tier: 0 in `first` (the
    /// import's own module) or in `imported` (any module the file imports), 1 in the cursor's
    /// folder, 2 elsewhere (by rank). When a tier-0 definition exists only those are returned.
    fn resolve(
        &self,
        name: &str,
        first: &[&str],
        imported: &[&str],
        imported_name: bool,
    ) -> Vec<(DefinitionId, u8)> {
        let index = self.workspace.tags();
        let folder = parent(self.cursor.path);
        let all: Vec<&DefinitionId> = index
            .definitions_named(name)
            .iter()
            .filter(|id| id.path != self.cursor.path)
            .collect();
        let mut files: Vec<&str> = all.iter().map(|id| id.path.as_str()).collect();
        files.dedup();
        let mut tiered: Vec<(DefinitionId, u8)> = all
            .into_iter()
            .map(|id| {
                let tier =
                    if first.contains(&id.path.as_str()) || imported.contains(&id.path.as_str()) {
                        0
                    } else if parent(&id.path) == folder {
                        1
                    } else {
                        2
                    };
                (id.clone(), tier)
            })
            .collect();
        if tiered.iter().any(|(_, t)| *t == 0) {
            tiered.retain(|(_, t)| *t == 0);
            // The import's own module settles it.
            if tiered
                .iter()
                .any(|(id, _)| first.contains(&id.path.as_str()))
            {
                tiered.retain(|(id, _)| first.contains(&id.path.as_str()));
            }
        } else if !imported_name && files.len() > self.config.max_defining_files {
            return Vec::new();
        }
        let ranks = index.ranks();
        tiered.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| {
                    ranks
                        .definition(&b.0.path, name)
                        .total_cmp(&ranks.definition(&a.0.path, name))
                })
                .then_with(|| a.0.cmp(&b.0))
        });
        // Prefer outer definitions (a class's `load` over a nested helper of the same name).
        tiered.truncate(self.config.per_name.max(1));
        tiered
    }

    /// A file's best-ranked top-level definitions.
    fn top_definitions(&self, path: &str, n: usize) -> Vec<DefinitionId> {
        let index = self.workspace.tags();
        let Some(file) = index.file(path) else {
            return Vec::new();
        };
        let ranks = index.ranks();
        let mut top: Vec<(f64, usize)> = file
            .tags
            .definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.parent.is_none())
            .map(|(i, d)| (ranks.definition(path, &d.name), i))
            .collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.into_iter()
            .take(n)
            .map(|(_, index)| DefinitionId {
                path: path.to_string(),
                index,
            })
            .collect()
    }

    /// The line range and text a definition snippet shows, cut from the project's chunks.
    fn definition_text(&self, id: &DefinitionId) -> Option<((usize, usize), String)> {
        let index = self.workspace.tags();
        let tags = &index.file(&id.path)?.tags;
        let file = self.workspace.project().file(&id.path)?;
        let d = tags.definitions.get(id.index)?;
        let max = self.config.max_snippet_lines.max(1);
        let whole = |start: usize, end: usize| lines(file, start, end.min(start + max - 1));
        let short = d.end_line - d.start_line < 6;
        if self.config.definition_text == DefinitionText::Whole || short {
            return Some((
                (d.start_line, d.end_line.min(d.start_line + max - 1)),
                whole(d.start_line, d.end_line),
            ));
        }
        let signature = |d: &syntax::tags::Definition| {
            lines(
                file,
                d.start_line,
                d.signature_end_line.min(d.start_line + 7),
            )
        };
        match d.kind {
            DefinitionKind::Class
            | DefinitionKind::Interface
            | DefinitionKind::Type
            | DefinitionKind::Module => {
                let mut text = signature(d);
                let mut end = d.signature_end_line;
                let mut shown = 0;
                for (i, member) in tags.definitions.iter().enumerate().skip(id.index + 1) {
                    if member.start_byte >= d.end_byte || shown >= 12 {
                        break;
                    }
                    if member.parent != Some(id.index) {
                        continue;
                    }
                    let _ = i;
                    text.push_str(if member.start_line > end + 1 {
                        "\n⋮\n"
                    } else {
                        "\n"
                    });
                    text.push_str(&signature(member));
                    end = member.signature_end_line;
                    shown += 1;
                }
                Some(((d.start_line, end.max(d.signature_end_line)), text))
            }
            DefinitionKind::Method => {
                // A method reads better under its class's header.
                let sig = signature(d);
                match d.parent.and_then(|p| tags.definitions.get(p)) {
                    Some(owner) if owner.kind.holds_methods() => {
                        let header = signature(owner);
                        Some((
                            (owner.start_line, d.signature_end_line),
                            format!("{header}\n⋮\n{sig}"),
                        ))
                    }
                    _ => Some(((d.start_line, d.signature_end_line), sig)),
                }
            }
            DefinitionKind::Constant => Some((
                (d.start_line, d.end_line.min(d.start_line + 4)),
                whole(d.start_line, d.start_line + 4),
            )),
            DefinitionKind::Function | DefinitionKind::Macro => {
                Some(((d.start_line, d.signature_end_line), signature(d)))
            }
        }
    }
}

/// The innermost definition the cursor is in, counting one whose range ends on the line just
/// before the cursor: a body being written (or cut out) often leaves the parser closing the
/// definition at its signature.
fn enclosing_at(tags: &FileTags, offset: usize, cursor_line: usize) -> Option<usize> {
    tags.definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.start_byte <= offset && (offset < d.end_byte || d.end_line + 1 >= cursor_line)
        })
        .max_by_key(|(_, d)| d.start_byte)
        .map(|(i, _)| i)
}

/// Whether definition `inner` is `outer` or inside it.
fn is_within(tags: &FileTags, inner: usize, outer: Option<usize>) -> bool {
    let Some(outer) = outer else { return false };
    let mut at = Some(inner);
    while let Some(i) = at {
        if i == outer {
            return true;
        }
        at = tags.definitions[i].parent;
    }
    false
}

fn tier_factor(tier: u8) -> f32 {
    match tier {
        0 => 1.0,
        1 => 0.75,
        _ => 0.55,
    }
}

fn tier_why(tier: u8) -> &'static str {
    match tier {
        0 => " (in an imported module)",
        1 => " (same folder)",
        _ => " (by repo-map rank)",
    }
}

/// `a/b/utils.py` → `utils`; `a/b/__init__.py` → `b`.
fn stem_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    if stem == "__init__" || stem == "index" || stem == "mod" {
        parent(path).rsplit('/').next().unwrap_or(stem)
    } else {
        stem
    }
}
