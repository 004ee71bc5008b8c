//! Findings remembered by the text they were found in, so that re-checking a file after a
//! keystroke queries only the statement the keystroke changed.
//!
//! A finding depends on less than the whole file: on the match's own subtree (constness and
//! credential checks look at the captured nodes only), on the lines it spans (a `nosec` comment),
//! and on what the file decides once for all matches (which rules apply, each pattern's
//! `#file-matches?`). So each child of the root is keyed by those file-level decisions and the
//! text of the whole lines it spans; an unchanged key gives back its findings moved to where the
//! statement is now. A child bigger than [`SPLIT_BYTES`] (a long class) is split the same way
//! into its own children, recursively. Matches that start at the root or at a split node itself
//! (a pattern such as `(module ...)`) are looked for on every check, without descending further
//! than they need: they are few and cheap. The result equals
//! [`RuleSet::check_tree`]'s (the tests check it over edits of every rule's fixtures).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use tree_sitter::{Node, QueryCursor, Tree};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{Finding, Gates, RuleSet, outermost};

/// The findings of recently checked statements, bounded by their number.
#[derive(Debug)]
pub struct FindingCache {
    entries: HashMap<u64, Entry>,
    /// Bumped by every check; entries remember the last check that used them.
    generation: u64,
    capacity: usize,
    /// Nodes bigger than this are split (see [`SPLIT_BYTES`]).
    split_bytes: usize,
}

#[derive(Debug)]
struct Entry {
    used: u64,
    findings: Vec<Remembered>,
}

/// A finding relative to the start of the first line its statement spans.
#[derive(Debug)]
struct Remembered {
    rule: usize,
    message: String,
    start: usize,
    end: usize,
    /// Rows after the statement's first row; columns are unchanged by where the lines are.
    line: usize,
    end_line: usize,
    column: usize,
    end_column: usize,
}

impl FindingCache {
    /// A cache of up to `capacity` statements' findings (a 100 KB file has a few hundred
    /// top-level statements). Past it, what the last check did not use is dropped.
    pub fn new(capacity: usize) -> Self {
        FindingCache {
            entries: HashMap::new(),
            generation: 0,
            capacity: capacity.max(1),
            split_bytes: SPLIT_BYTES,
        }
    }

    /// The same cache remembering nodes of at most `bytes` whole (the default is
    /// [`SPLIT_BYTES`]); tests split everything to check the split's matches.
    pub fn split_above(mut self, bytes: usize) -> Self {
        self.split_bytes = bytes;
        self
    }

    /// How many statements' findings it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for FindingCache {
    fn default() -> Self {
        FindingCache::new(8192)
    }
}

impl RuleSet {
    /// [`RuleSet::check_tree`], re-querying only the top-level statements whose lines changed
    /// since `cache` last saw them (in this file or any other checked with the same cache).
    pub fn check_tree_cached(
        &self,
        tree: &Tree,
        text: &str,
        cache: &mut FindingCache,
    ) -> Vec<Finding<'_>> {
        let Some(mut gates) = Gates::new(self, text) else {
            return Vec::new();
        };
        // Part of every key, so every `#file-matches?` of an applying rule is decided now.
        for (pattern, regex) in self.pattern_file.iter().enumerate() {
            if let Some(regex) = regex
                && gates.active[self.pattern_rule[pattern]]
            {
                gates.file_ok[pattern] = Some(regex.is_match(text));
            }
        }
        let mut file = DefaultHasher::new();
        self.language.name().hash(&mut file);
        gates.active.hash(&mut file);
        gates.file_ok.hash(&mut file);
        let file = file.finish();

        cache.generation += 1;
        let generation = cache.generation;
        let mut hits: Vec<(usize, Finding<'_>)> = Vec::new();
        let mut check = Check {
            rules: self,
            text,
            file,
            gates: &mut gates,
            cache,
            hits: &mut hits,
        };
        check.split(tree.root_node());
        let cache = check.cache;
        if cache.entries.len() > cache.capacity {
            cache.entries.retain(|_, e| e.used == generation);
        }
        outermost(hits.into_iter().map(|(_, finding)| finding).collect())
    }

    /// A remembered finding at its statement's place now.
    fn placed(&self, r: &Remembered, start: usize, row: usize) -> Finding<'_> {
        let rule = &self.rules[r.rule];
        Finding {
            rule_id: &rule.id,
            cwe: &rule.cwe,
            severity: rule.severity,
            confidence: rule.confidence,
            message: r.message.clone(),
            fix: &rule.fix,
            range: start + r.start..start + r.end,
            line: row + r.line + 1,
            column: r.column,
            end_line: row + r.end_line + 1,
            end_column: r.end_column,
        }
    }
}

/// Nodes bigger than this are not remembered whole: their children are (recursively), and the
/// matches that start at the node itself are looked for on every check. A keystroke inside a
/// 50 KB class then re-queries the method it is in, not the class.
pub const SPLIT_BYTES: usize = 2048;

/// One [`RuleSet::check_tree_cached`] call's state while it walks the tree.
struct Check<'r, 'c> {
    rules: &'r RuleSet,
    text: &'c str,
    /// The key of what the file decides once (see [`RuleSet::check_tree_cached`]).
    file: u64,
    gates: &'c mut Gates,
    cache: &'c mut FindingCache,
    hits: &'c mut Vec<(usize, Finding<'r>)>,
}

impl Check<'_, '_> {
    /// Queries the matches that start at `node` itself (without descending further than they
    /// need; not at all when no rule that applies to the file has a pattern starting at its
    /// kind), then each child: a small one through the cache, a big one split again.
    fn split(&mut self, node: Node) {
        let active = &self.gates.active;
        let starts_a_pattern = self.rules.root_kinds.as_ref().is_none_or(|kinds| {
            kinds
                .get(node.kind_id() as usize)
                .is_none_or(|rules| rules.iter().any(|&rule| active[rule]))
        });
        if starts_a_pattern {
            let mut at_node = QueryCursor::new();
            at_node.set_max_start_depth(Some(0));
            self.rules
                .collect(&mut at_node, node, self.text, self.gates, self.hits);
        }
        let mut walk = node.walk();
        for child in node.children(&mut walk) {
            if child.end_byte() - child.start_byte() > self.cache.split_bytes
                && child.child_count() > 0
            {
                self.split(child);
            } else {
                self.unit(child);
            }
        }
    }

    /// `node`'s findings: remembered for the same text of the same lines, else queried and
    /// remembered.
    fn unit(&mut self, node: Node) {
        let source = self.text.as_bytes();
        let generation = self.cache.generation;
        let lines = whole_lines(source, &node);
        // The lines' text through xxh3, seeded with the rest of the key: every keystroke hashes
        // the whole file this way, and SipHash (the std hasher) costs several times more.
        let mut seed = DefaultHasher::new();
        self.file.hash(&mut seed);
        node.kind_id().hash(&mut seed);
        (
            node.start_byte() - lines.start,
            node.end_byte() - lines.start,
        )
            .hash(&mut seed);
        let key = xxh3_64_with_seed(&source[lines.clone()], seed.finish());
        let row = node.start_position().row;
        if let Some(entry) = self.cache.entries.get_mut(&key) {
            entry.used = generation;
            let rules = self.rules;
            self.hits.extend(
                entry
                    .findings
                    .iter()
                    .map(|r| (r.rule, rules.placed(r, lines.start, row))),
            );
            return;
        }
        let before = self.hits.len();
        self.rules.collect(
            &mut QueryCursor::new(),
            node,
            self.text,
            self.gates,
            self.hits,
        );
        let findings = self.hits[before..]
            .iter()
            .map(|(rule, f)| Remembered {
                rule: *rule,
                message: f.message.clone(),
                start: f.range.start - lines.start,
                end: f.range.end - lines.start,
                line: f.line - 1 - row,
                end_line: f.end_line - 1 - row,
                column: f.column,
                end_column: f.end_column,
            })
            .collect();
        self.cache.entries.insert(
            key,
            Entry {
                used: generation,
                findings,
            },
        );
    }
}

/// The bytes of the whole lines `node` spans, from the start of its first line to the end of its
/// last (the line break excluded).
fn whole_lines(source: &[u8], node: &Node) -> std::ops::Range<usize> {
    let start = source[..node.start_byte()]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    let end = source[node.end_byte()..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |at| node.end_byte() + at);
    start..end
}
