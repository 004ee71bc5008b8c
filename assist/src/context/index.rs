//! The tag index: every indexed file's tags, definitions by name, and the repo map's ranks.
//!
//! Updating a file replaces that file's tags and its entries in the by-name map, nothing else.
//! The ranks (PageRank over the graph "file A refers to a name file B defines", in the spirit of
//! Aider's repo map) are derived data: an update drops them, and the next reader recomputes them
//! from the per-file reference counts kept at index time, starting from the previous ranks, so a
//! small edit converges in a few sweeps over the edges.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use syntax::Language;
use syntax::tags::{Definition, FileTags};

/// One tagged file.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedFile {
    pub language: Language,
    pub tags: FileTags,
    /// How often each name is referenced in the file, sorted by name (the graph's input).
    reference_counts: Vec<(String, u32)>,
}

impl TaggedFile {
    pub fn new(language: Language, tags: FileTags) -> Self {
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for reference in &tags.references {
            *counts.entry(&reference.name).or_default() += 1;
        }
        let reference_counts = counts
            .into_iter()
            .map(|(name, count)| (name.to_string(), count))
            .collect();
        TaggedFile {
            language,
            tags,
            reference_counts,
        }
    }
}

/// Where a definition lives: its file and its index in that file's tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefinitionId {
    pub path: String,
    pub index: usize,
}

/// The repo map's ranks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranks {
    /// PageRank of every file (they sum to 1).
    pub files: BTreeMap<String, f64>,
    /// The share of rank each (file, defined name) receives through references to it.
    pub definitions: FxHashMap<(String, String), f64>,
    /// Power-iteration sweeps the last computation took (a warm start takes fewer).
    pub sweeps: usize,
}

impl Ranks {
    /// The rank a definition received (0 when nothing refers to it).
    pub fn definition(&self, path: &str, name: &str) -> f64 {
        self.definitions
            .get(&(path.to_string(), name.to_string()))
            .copied()
            .unwrap_or(0.0)
    }
}

/// Tags of every indexed file, definitions by name and the lazily computed ranks.
#[derive(Debug, Default)]
pub struct TagIndex {
    files: BTreeMap<String, TaggedFile>,
    by_name: FxHashMap<String, Vec<DefinitionId>>,
    /// Paths by file stem (the last segment without its extension), each list in path order:
    /// import resolution looks a module up by its last segment instead of testing every path (a
    /// scan of all paths per import was a seventh of a prompt build at 1,300 files).
    by_stem: FxHashMap<String, Vec<String>>,
    ranks: OnceLock<Ranks>,
    /// The file ranks before the last update: the next computation's starting point.
    warm: BTreeMap<String, f64>,
}

impl Clone for TagIndex {
    fn clone(&self) -> Self {
        let ranks = OnceLock::new();
        if let Some(r) = self.ranks.get() {
            let _ = ranks.set(r.clone());
        }
        TagIndex {
            files: self.files.clone(),
            by_name: self.by_name.clone(),
            by_stem: self.by_stem.clone(),
            ranks,
            warm: self.warm.clone(),
        }
    }
}

/// The last segment of `path` without its last extension (`a/b.test.ts` → `b.test`), as import
/// resolution strips extensions.
fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}

/// PageRank's damping factor (Aider and the original paper use 0.85).
const DAMPING: f64 = 0.85;
/// The iteration stops when the ranks move less than this in total (L1).
const TOLERANCE: f64 = 1e-9;
const MAX_SWEEPS: usize = 100;

impl TagIndex {
    pub fn files(&self) -> impl Iterator<Item = (&str, &TaggedFile)> {
        self.files.iter().map(|(p, f)| (p.as_str(), f))
    }

    pub fn file(&self, path: &str) -> Option<&TaggedFile> {
        self.files.get(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The indexed paths whose file stem (last segment, extension stripped) is `stem`, in path
    /// order.
    pub fn paths_with_stem(&self, stem: &str) -> &[String] {
        self.by_stem.get(stem).map_or(&[], Vec::as_slice)
    }

    /// Every definition of `name`, in path order.
    pub fn definitions_named(&self, name: &str) -> &[DefinitionId] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn definition(&self, id: &DefinitionId) -> Option<&Definition> {
        self.files.get(&id.path)?.tags.definitions.get(id.index)
    }

    /// Replaces `path`'s tags; the other files' entries are untouched.
    pub fn update(&mut self, path: &str, file: TaggedFile) {
        self.forget(path);
        for (index, definition) in file.tags.definitions.iter().enumerate() {
            let ids = self.by_name.entry(definition.name.clone()).or_default();
            let id = DefinitionId {
                path: path.to_string(),
                index,
            };
            let at = ids.partition_point(|d| d < &id);
            ids.insert(at, id);
        }
        let paths = self.by_stem.entry(file_stem(path).to_string()).or_default();
        let at = paths.partition_point(|p| p.as_str() < path);
        paths.insert(at, path.to_string());
        self.files.insert(path.to_string(), file);
        self.invalidate_ranks();
    }

    /// Drops `path`'s tags; returns whether it was indexed.
    pub fn remove(&mut self, path: &str) -> bool {
        let removed = self.forget(path);
        if removed {
            self.invalidate_ranks();
        }
        removed
    }

    fn forget(&mut self, path: &str) -> bool {
        let Some(old) = self.files.remove(path) else {
            return false;
        };
        let stem = file_stem(path);
        if let Some(paths) = self.by_stem.get_mut(stem) {
            paths.retain(|p| p != path);
            if paths.is_empty() {
                self.by_stem.remove(stem);
            }
        }
        for definition in &old.tags.definitions {
            if let Some(ids) = self.by_name.get_mut(&definition.name) {
                ids.retain(|id| id.path != path);
                if ids.is_empty() {
                    self.by_name.remove(&definition.name);
                }
            }
        }
        true
    }

    fn invalidate_ranks(&mut self) {
        if let Some(ranks) = self.ranks.take() {
            self.warm = ranks.files;
        }
    }

    /// Whether the ranks are computed (false after an update until someone reads them).
    pub fn ranks_ready(&self) -> bool {
        self.ranks.get().is_some()
    }

    /// The repo map's ranks, computed on first use after an update.
    pub fn ranks(&self) -> &Ranks {
        self.ranks.get_or_init(|| self.compute_ranks())
    }

    fn compute_ranks(&self) -> Ranks {
        let paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        let n = paths.len();
        if n == 0 {
            return Ranks::default();
        }
        let position: FxHashMap<&str, usize> =
            paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();

        // Edges: file A refers (count times) to a name that file B defines.
        struct Edge<'a> {
            from: usize,
            to: usize,
            name: &'a str,
            weight: f64,
        }
        let mut edges: Vec<Edge> = Vec::new();
        let mut defining: Vec<usize> = Vec::new();
        for (from, file) in self.files.values().enumerate() {
            for (name, count) in &file.reference_counts {
                defining.clear();
                for id in self.definitions_named(name) {
                    let to = position[id.path.as_str()];
                    if to != from && defining.last() != Some(&to) {
                        defining.push(to);
                    }
                }
                if defining.is_empty() {
                    continue;
                }
                let weight = name_weight(name, defining.len()) * f64::from(*count).sqrt();
                for &to in &defining {
                    edges.push(Edge {
                        from,
                        to,
                        name,
                        weight,
                    });
                }
            }
        }
        let mut out_weight = vec![0.0; n];
        for e in &edges {
            out_weight[e.from] += e.weight;
        }

        let uniform = 1.0 / n as f64;
        let mut rank: Vec<f64> = paths
            .iter()
            .map(|p| self.warm.get(*p).copied().unwrap_or(uniform))
            .collect();
        let total: f64 = rank.iter().sum();
        rank.iter_mut().for_each(|r| *r /= total);
        let mut next = vec![0.0; n];
        let mut sweeps = 0;
        while sweeps < MAX_SWEEPS {
            sweeps += 1;
            let dangling: f64 = (0..n)
                .filter(|&i| out_weight[i] == 0.0)
                .map(|i| rank[i])
                .sum();
            let base = (1.0 - DAMPING) * uniform + DAMPING * dangling * uniform;
            next.iter_mut().for_each(|r| *r = base);
            for e in &edges {
                next[e.to] += DAMPING * rank[e.from] * e.weight / out_weight[e.from];
            }
            let moved: f64 = rank.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
            std::mem::swap(&mut rank, &mut next);
            if moved < TOLERANCE {
                break;
            }
        }

        let mut definitions: FxHashMap<(String, String), f64> = FxHashMap::default();
        for e in &edges {
            *definitions
                .entry((paths[e.to].to_string(), e.name.to_string()))
                .or_default() += rank[e.from] * e.weight / out_weight[e.from];
        }
        Ranks {
            files: paths
                .iter()
                .zip(&rank)
                .map(|(p, r)| (p.to_string(), *r))
                .collect(),
            definitions,
            sweeps,
        }
    }
}

/// How much a reference to `name` counts, as Aider weighs its repo-map edges: descriptive names
/// (snake or camel case, 8+ characters) are strong evidence, private ones (`_x`) and names many
/// files define (`get`, `run`) weak.
fn name_weight(name: &str, defining_files: usize) -> f64 {
    let mut weight = 1.0;
    let cased = name.contains('_') || name.chars().skip(1).any(char::is_uppercase);
    if cased && name.len() >= 8 {
        weight *= 10.0;
    }
    if name.starts_with('_') {
        weight *= 0.1;
    }
    if defining_files > 5 {
        weight *= 0.1;
    }
    weight
}
