//! Secret detection and redaction. [`Scanner::scan`] finds secrets in a text with data-driven
//! rules ([`rules`]: provider key formats, private keys, JWTs, passwords in connection strings,
//! secret-named assignments) and [`Scanner::redact`] replaces each secret, and only the secret
//! part of a match, with `[REDACTED:rule-id]`.
//!
//! One Aho-Corasick pass over the text finds every rule's keywords (case-insensitively) and the
//! markers of spans that only look random (inline base64, integrity hashes); only the rules
//! whose keywords occurred then run their pattern, so a text with no keyword costs one pass.
//! Matches then go through [`filter`]: entropy minimum, placeholder stop-list, and for the
//! name-based rules a check that the value is not plainly code. An editor's document is
//! scanned again by the lines that changed ([`Scanner::scan_cached`], [`incremental`]).

mod filter;
mod incremental;
mod rules;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

pub use filter::{is_placeholder, is_uuid, shannon_entropy};
pub use incremental::{DocumentSecrets, MARGIN, SecretCache};
pub use rules::{BUILTIN_RULES, Rule, RuleError, parse_rules};

/// What a redaction marker starts with: `[REDACTED:rule-id]`.
pub const MARKER_PREFIX: &str = "[REDACTED:";

/// One secret found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<'r> {
    pub rule_id: &'r str,
    /// Byte range of the secret itself (the rule's secret group), on char boundaries.
    pub range: Range<usize>,
    /// 1-based line of the secret's first byte.
    pub line: usize,
}

/// A text with its secrets replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a, 'r> {
    /// Borrowed when nothing was found.
    pub text: Cow<'a, str>,
    /// How many secrets each rule replaced; empty when none.
    pub count_by_rule: BTreeMap<&'r str, usize>,
}

impl Redacted<'_, '_> {
    /// Secrets replaced, all rules together.
    pub fn count(&self) -> usize {
        self.count_by_rule.values().sum()
    }
}

/// What an Aho-Corasick pattern stands for.
#[derive(Debug, Clone)]
enum Target {
    /// A keyword: the rules it gates.
    Keyword(Vec<usize>),
    /// A marker after which a run of base64 is masked.
    Mask,
}

/// One match of one rule's pattern, before masks and overlaps are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawMatch {
    rule: usize,
    /// The whole match: what the pattern consumed, so what the next search starts after.
    whole: Range<usize>,
    /// The secret, or `None` when the filters rejected it (entropy, placeholder, code).
    secret: Option<Range<usize>>,
}

/// What the prefilter saw in (part of) a text.
#[derive(Debug, Clone, Default)]
struct KeywordHits {
    /// Occurrences of each prefilter pattern.
    counts: Vec<u32>,
    /// Where each mask marker's run would start.
    mask_starts: Vec<usize>,
}

/// [`Scanner::scan`]'s searches over a whole text, which a [`SecretCache`] keeps.
struct WholeSearch {
    /// Per prefilter pattern, its occurrences.
    counts: Vec<u32>,
    /// Which rules ran.
    ran: Vec<bool>,
    /// Every rule's matches, sorted by start.
    raw: Vec<RawMatch>,
    /// Spans where nothing is a secret, sorted.
    masked: Vec<Range<usize>>,
}

/// Compiled rules and their keyword prefilter.
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: Vec<Rule>,
    prefilter: AhoCorasick,
    targets: Vec<Target>,
    /// Rules without keywords: they run on every text.
    unconditional: Vec<usize>,
}

impl Scanner {
    /// A scanner over `rules` (in priority order: earlier rules win overlaps at the same start).
    pub fn new(rules: Vec<Rule>) -> Scanner {
        let mut keywords: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut unconditional = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unconditional.push(i);
            }
            for k in &rule.keywords {
                keywords.entry(k.clone()).or_default().push(i);
            }
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut targets = Vec::new();
        for (keyword, gated) in keywords {
            patterns.push(keyword);
            targets.push(Target::Keyword(gated));
        }
        for marker in filter::MASK_MARKERS {
            patterns.push(marker.to_string());
            targets.push(Target::Mask);
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("a few hundred short ASCII keywords always build");
        Scanner {
            rules,
            prefilter,
            targets,
            unconditional,
        }
    }

    /// A scanner over a rule table in the `rules.toml` format.
    pub fn from_toml(table: &str) -> Result<Scanner, RuleError> {
        Ok(Scanner::new(parse_rules(table)?))
    }

    /// The built-in rules, compiled on first use.
    pub fn builtin() -> &'static Scanner {
        static BUILTIN: OnceLock<Scanner> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Scanner::from_toml(BUILTIN_RULES).expect("the built-in rules compile (tested)")
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The secrets in `text`, in order, none overlapping.
    pub fn scan(&self, text: &str) -> Vec<Finding<'_>> {
        let whole = self.search_whole(text);
        self.assemble(text, &whole.raw, &whole.masked)
    }

    /// Every step of a scan before the findings are chosen, over the whole of `text`.
    fn search_whole(&self, text: &str) -> WholeSearch {
        let bytes = text.as_bytes();
        let hits = self.keyword_hits(bytes, 0..bytes.len());
        let ran = self.gate(|pattern| hits.counts[pattern] > 0);
        let mut raw = Vec::new();
        for (i, _) in ran.iter().enumerate().filter(|&(_, run)| *run) {
            self.rule_matches(i, text, 0..bytes.len(), 0, &mut raw);
        }
        raw.sort_unstable_by_key(|m| (m.whole.start, m.rule));
        WholeSearch {
            masked: filter::masked_spans(bytes, &hits.mask_starts),
            counts: hits.counts,
            ran,
            raw,
        }
    }

    /// The keyword and mask-marker occurrences of `bytes[range]`. `range` must not cut a
    /// keyword: whole lines do not (keywords hold no line break).
    fn keyword_hits(&self, bytes: &[u8], range: Range<usize>) -> KeywordHits {
        let mut hits = KeywordHits {
            counts: vec![0; self.targets.len()],
            mask_starts: Vec::new(),
        };
        for m in self.prefilter.find_overlapping_iter(&bytes[range.clone()]) {
            let pattern = m.pattern().as_usize();
            hits.counts[pattern] += 1;
            if let Target::Mask = self.targets[pattern] {
                hits.mask_starts.push(range.start + m.end());
            }
        }
        hits
    }

    /// Which rules run, given which prefilter patterns occur in the text.
    fn gate(&self, occurs: impl Fn(usize) -> bool) -> Vec<bool> {
        let mut run = vec![false; self.rules.len()];
        for &i in &self.unconditional {
            run[i] = true;
        }
        for (pattern, target) in self.targets.iter().enumerate() {
            if let Target::Keyword(gated) = target
                && occurs(pattern)
            {
                gated.iter().for_each(|&i| run[i] = true);
            }
        }
        run
    }

    /// Rule `i`'s matches that start in `starts`, in order, appended to `out`. They are
    /// searched in `text[..starts.end + lookahead]` (all of it if shorter), so `\b` and `^` see
    /// the text before `starts`; `false` when a match reached that cut, where the rest of the
    /// text could have changed it (a search to the text's end is always `true`).
    fn rule_matches(
        &self,
        i: usize,
        text: &str,
        starts: Range<usize>,
        lookahead: usize,
        out: &mut Vec<RawMatch>,
    ) -> bool {
        let rule = &self.rules[i];
        let cut = starts.end.saturating_add(lookahead).min(text.len());
        let bytes = &text.as_bytes()[..cut];
        let mut at = starts.start;
        while at <= bytes.len() {
            let Some(caps) = rule.regex.captures_at(bytes, at) else {
                break;
            };
            let whole = caps.get(0).expect("group 0 is the match").range();
            if whole.start >= starts.end {
                break;
            }
            if whole.end == cut && cut < text.len() {
                return false;
            }
            // An empty match would repeat forever; the next search starts a byte later.
            at = whole.end.max(whole.start + 1);
            let secret = caps.get(rule.secret_group).and_then(|secret| {
                let value = secret.as_bytes();
                let rejected = rule
                    .entropy
                    .is_some_and(|min| filter::shannon_entropy(value) < min)
                    || filter::is_placeholder(value)
                    || (rule.generic && filter::looks_like_code(value));
                (!rejected).then(|| widen_to_chars(text, secret.range()))
            });
            out.push(RawMatch {
                rule: i,
                whole,
                secret,
            });
        }
        true
    }

    /// The findings among `raw` (sorted by start): secrets outside `masked`, the earliest start
    /// winning an overlap, then the earlier rule.
    fn assemble(&self, text: &str, raw: &[RawMatch], masked: &[Range<usize>]) -> Vec<Finding<'_>> {
        let bytes = text.as_bytes();
        let in_mask = |r: &Range<usize>| {
            masked
                .iter()
                .take_while(|m| m.start < r.end)
                .any(|m| m.start <= r.start && r.end <= m.end)
        };
        // (start, rule index, end): sorted, the earliest start wins, then the earlier rule.
        let mut found: Vec<(usize, usize, usize)> = raw
            .iter()
            .filter_map(|m| m.secret.clone().map(|s| (s, m.rule)))
            .filter(|(s, _)| !in_mask(s))
            .map(|(s, rule)| (s.start, rule, s.end))
            .collect();
        found.sort_unstable();
        let mut findings: Vec<Finding> = Vec::with_capacity(found.len());
        let (mut line, mut counted) = (1, 0);
        let mut kept_end = 0;
        for (start, i, end) in found {
            if start < kept_end {
                continue;
            }
            kept_end = end;
            line += bytes[counted..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = start;
            findings.push(Finding {
                rule_id: &self.rules[i].id,
                range: start..end,
                line,
            });
        }
        findings
    }

    /// `text` with every finding replaced by `[REDACTED:rule-id]`.
    pub fn redact<'a>(&self, text: &'a str) -> Redacted<'a, '_> {
        let findings = self.scan(text);
        if findings.is_empty() {
            return Redacted {
                text: Cow::Borrowed(text),
                count_by_rule: BTreeMap::new(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut count_by_rule = BTreeMap::new();
        let mut from = 0;
        for f in &findings {
            out.push_str(&text[from..f.range.start]);
            out.push_str(MARKER_PREFIX);
            out.push_str(f.rule_id);
            out.push(']');
            from = f.range.end;
            *count_by_rule.entry(f.rule_id).or_insert(0) += 1;
        }
        out.push_str(&text[from..]);
        Redacted {
            text: Cow::Owned(out),
            count_by_rule,
        }
    }
}

/// [`Scanner::scan`] with the built-in rules.
pub fn scan(text: &str) -> Vec<Finding<'static>> {
    Scanner::builtin().scan(text)
}

/// [`Scanner::redact`] with the built-in rules.
pub fn redact(text: &str) -> Redacted<'_, 'static> {
    Scanner::builtin().redact(text)
}

/// The `[REDACTED:rule-id]` markers in `text`, counted by rule id: what a redacted text (a
/// built prompt) says it lost. Text that already held such a marker counts too.
pub fn count_markers(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARKER_PREFIX) {
        rest = &rest[at + MARKER_PREFIX.len()..];
        let id_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            .count();
        if id_len > 0 && rest.as_bytes().get(id_len) == Some(&b']') {
            *counts.entry(rest[..id_len].to_string()).or_insert(0) += 1;
            rest = &rest[id_len + 1..];
        }
    }
    counts
}

/// `range` widened to the nearest char boundaries (the patterns are byte patterns; a negated
/// class can end inside a multi-byte character).
fn widen_to_chars(text: &str, mut range: Range<usize>) -> Range<usize> {
    while !text.is_char_boundary(range.start) {
        range.start -= 1;
    }
    while !text.is_char_boundary(range.end) {
        range.end += 1;
    }
    range
}
