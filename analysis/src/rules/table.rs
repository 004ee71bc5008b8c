//! The rule tables: `<language>.toml` (or a caller's own table in the same format) parsed and
//! compiled, for one grammar, into a single tree-sitter query. Every rule's query becomes one or
//! more patterns of that query, so a file is walked once whatever the number of rules; the
//! pattern's start byte says which rule it came from.

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Deserialize;
use syntax::Language;
use tree_sitter::{Query, QueryPredicateArg};

/// How bad a finding is if it is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// How likely a finding is to be real: what the pattern can see is not always enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Why a rule table was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    #[error("rule table is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rule {id}: query does not compile for {language}: {message}")]
    Query {
        id: String,
        language: &'static str,
        message: String,
    },
    #[error("rule {id}: {problem}")]
    Invalid { id: String, problem: String },
    #[error("rule id {0} appears twice")]
    Duplicate(String),
    #[error("{0} has no grammar compiled in")]
    NoGrammar(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    rule: Vec<Spec>,
}

/// One `[[rule]]` of a table, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    /// Kebab-case, unique in the table.
    id: String,
    /// `CWE-<number>`.
    cwe: String,
    severity: Severity,
    confidence: Confidence,
    /// What is wrong, for a person; `{capture}` is replaced by the capture's text.
    message: String,
    /// What to write instead.
    fix: String,
    /// A tree-sitter query: one or more patterns, each capturing `@finding`. `#eq?`, `#match?`,
    /// `#any-of?` and their `not-` forms are tree-sitter's; `#file-matches? "regex"` is ours.
    query: String,
    /// Language names the rule applies to (default: every language the table serves).
    #[serde(default)]
    only: Vec<String>,
    /// The file must contain one of these strings.
    #[serde(default)]
    requires: Vec<String>,
    /// The file must contain none of these strings.
    #[serde(default)]
    unless: Vec<String>,
    /// Captures that must not be constants.
    #[serde(default)]
    dynamic: Vec<String>,
    /// Captures that must be string literals holding no placeholder.
    #[serde(default)]
    literal: Vec<String>,
    /// Node kinds the `@finding` node's parent must not be.
    #[serde(default)]
    not_parent: Vec<String>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Kebab-case, prefixed by the language family (`py-`, `js-`, `go-`, `java-`).
    pub id: String,
    /// `CWE-<n>`.
    pub cwe: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// What is wrong; `{capture}` is replaced by that capture's text.
    pub message: String,
    /// What to write instead.
    pub fix: String,
    /// Capture index of `@finding`: the reported range.
    pub(crate) finding: u32,
    /// Captures whose nodes must all be non-constant (and at least one present).
    pub(crate) dynamic: Vec<u32>,
    /// Captures whose nodes must all be string literals holding a value that is not a
    /// placeholder (the hard-coded credential rules).
    pub(crate) literal: Vec<u32>,
    /// Node kinds the finding's parent must not be (a tagged template is no string building).
    pub(crate) not_parent: Vec<String>,
}

/// The rules that apply to one language, compiled into one query.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) language: Language,
    pub(crate) rules: Vec<Rule>,
    pub(crate) query: Query,
    /// For each pattern of `query`, the rule it belongs to.
    pub(crate) pattern_rule: Vec<usize>,
    /// For each pattern, the `(#file-matches? "regex")` it carries: the file must match it
    /// (a pattern on a bare `loads(...)` holds only where `loads` was imported from pickle).
    pub(crate) pattern_file: Vec<Option<Regex>>,
    /// By kind id, the rules with a pattern that starts at that kind; `None` when some pattern
    /// may start at any node (a wildcard, an alternation, a supertype). A node starts no match
    /// of a rule not listed for its kind, so the cached check need not query at it unless a
    /// listed rule applies to the file.
    pub(crate) root_kinds: Option<Vec<Vec<usize>>>,
    /// Every rule's `requires` and `unless` strings in one automaton: the gates are decided by
    /// one pass over the text, not one search per string.
    pub(crate) gate_strings: AhoCorasick,
    /// Per rule, the indices in `gate_strings` of its `requires` strings (the file must contain
    /// one, an import usually; none: no condition) and of its `unless` strings (the file must
    /// contain none, the safe configuration usually).
    pub(crate) gate_patterns: Vec<(Vec<usize>, Vec<usize>)>,
}

impl RuleSet {
    /// Compiles the rules of `table` that apply to `language` (a rule's `only` list narrows the
    /// languages it applies to: JSX patterns do not compile for plain TypeScript).
    pub fn from_toml(language: Language, table: &str) -> Result<RuleSet, RuleSetError> {
        let grammar =
            syntax::grammar::grammar(language).ok_or(RuleSetError::NoGrammar(language.name()))?;
        let table: Table = toml::from_str(table)?;
        let mut specs: Vec<Spec> = Vec::with_capacity(table.rule.len());
        for spec in table.rule {
            validate(&spec)?;
            if specs.iter().any(|s| s.id == spec.id) {
                return Err(RuleSetError::Duplicate(spec.id));
            }
            if spec.only.is_empty() || spec.only.iter().any(|l| l == language.name()) {
                specs.push(spec);
            }
        }
        // Each rule alone first, so an error names its rule; then all together.
        let mut source = String::new();
        let mut starts = Vec::with_capacity(specs.len());
        for spec in &specs {
            Query::new(&grammar, &spec.query).map_err(|e| RuleSetError::Query {
                id: spec.id.clone(),
                language: language.name(),
                message: e.message.clone(),
            })?;
            starts.push(source.len());
            source.push_str(&spec.query);
            source.push('\n');
        }
        let query = Query::new(&grammar, &source).map_err(|e| RuleSetError::Query {
            id: "(combined)".to_string(),
            language: language.name(),
            message: e.message,
        })?;
        let pattern_rule: Vec<usize> = (0..query.pattern_count())
            .map(|p| starts.partition_point(|&s| s <= query.start_byte_for_pattern(p)) - 1)
            .collect();
        let pattern_file = (0..query.pattern_count())
            .map(|p| file_condition(&query, p, &specs[pattern_rule[p]]))
            .collect::<Result<_, _>>()?;
        let root_kinds = root_kinds(&grammar, &query, &source, &pattern_rule);
        let mut strings: Vec<String> = Vec::new();
        let mut index_of = |s: &String| match strings.iter().position(|known| known == s) {
            Some(at) => at,
            None => {
                strings.push(s.clone());
                strings.len() - 1
            }
        };
        let gate_patterns = specs
            .iter()
            .map(|spec| {
                (
                    spec.requires.iter().map(&mut index_of).collect(),
                    spec.unless.iter().map(&mut index_of).collect(),
                )
            })
            .collect();
        let gate_strings = AhoCorasick::new(&strings).map_err(|e| RuleSetError::Query {
            id: "(requires/unless)".to_string(),
            language: language.name(),
            message: e.to_string(),
        })?;
        let rules = specs
            .into_iter()
            .map(|spec| compile(&query, spec))
            .collect::<Result<_, _>>()?;
        Ok(RuleSet {
            language,
            rules,
            query,
            pattern_rule,
            pattern_file,
            root_kinds,
            gate_strings,
            gate_patterns,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// The pattern's `#file-matches?` regex; any other predicate the tree-sitter runtime does not
/// evaluate itself is refused, so a typo cannot silently match everything.
fn file_condition(
    query: &Query,
    pattern: usize,
    spec: &Spec,
) -> Result<Option<Regex>, RuleSetError> {
    let mut condition = None;
    for predicate in query.general_predicates(pattern) {
        let [QueryPredicateArg::String(pattern)] = &*predicate.args else {
            return Err(invalid(
                spec,
                format!("#{} takes one string", predicate.operator),
            ));
        };
        if &*predicate.operator != "file-matches?" || condition.is_some() {
            return Err(invalid(
                spec,
                format!("unknown or repeated predicate #{}", predicate.operator),
            ));
        }
        let regex =
            Regex::new(pattern).map_err(|e| invalid(spec, format!("#file-matches?: {e}")))?;
        condition = Some(regex);
    }
    Ok(condition)
}

fn invalid(spec: &Spec, problem: impl Into<String>) -> RuleSetError {
    RuleSetError::Invalid {
        id: spec.id.clone(),
        problem: problem.into(),
    }
}

fn validate(spec: &Spec) -> Result<(), RuleSetError> {
    let kebab = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !kebab(&spec.id) {
        return Err(invalid(spec, "ids are kebab-case ASCII"));
    }
    let cwe_number = spec.cwe.strip_prefix("CWE-").unwrap_or_default();
    if cwe_number.is_empty() || !cwe_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(spec, "cwe is CWE-<number>"));
    }
    if spec.message.trim().is_empty() || spec.fix.trim().is_empty() {
        return Err(invalid(spec, "message and fix are required"));
    }
    if let Some(unknown) = spec.only.iter().find(|l| Language::from_name(l).is_none()) {
        return Err(invalid(
            spec,
            format!("unknown language {unknown:?} in only"),
        ));
    }
    if spec
        .requires
        .iter()
        .chain(&spec.unless)
        .any(String::is_empty)
    {
        return Err(invalid(spec, "requires and unless hold non-empty strings"));
    }
    Ok(())
}

/// By kind id, the rules (per `pattern_rule`) whose patterns in `query` (compiled from
/// `source`) start at that kind: the node name after each pattern's opening parentheses. `None`
/// when a pattern does not name one concrete kind there (`(_ ...)`, `[...]`, a supertype,
/// `ERROR`), so any node may start a match.
fn root_kinds(
    grammar: &tree_sitter::Language,
    query: &Query,
    source: &str,
    pattern_rule: &[usize],
) -> Option<Vec<Vec<usize>>> {
    let mut kinds = vec![Vec::new(); grammar.node_kind_count()];
    for pattern in 0..query.pattern_count() {
        // `((call ...) @x (#eq? ...))` groups a pattern with its predicates, and a group of
        // siblings starts at its first: the innermost opening parenthesis names the kind.
        let rest = source[query.start_byte_for_pattern(pattern)..].strip_prefix('(')?;
        let rest = rest.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || name == "_" || name == "ERROR" || name == "MISSING" {
            return None;
        }
        let id = grammar.id_for_node_kind(&name, true);
        if id == 0 || grammar.node_kind_is_supertype(id) {
            return None;
        }
        // Aliased kinds can share a name under several ids: list the rule under each.
        for other in 0..grammar.node_kind_count() as u16 {
            if grammar.node_kind_is_named(other) && grammar.node_kind_for_id(other) == Some(&name) {
                kinds[other as usize].push(pattern_rule[pattern]);
            }
        }
    }
    Some(kinds)
}

fn compile(query: &Query, spec: Spec) -> Result<Rule, RuleSetError> {
    // The combined query knows every rule's captures; a name must be one of this rule's own.
    let index = |name: &str| {
        query
            .capture_index_for_name(name)
            .filter(|_| spec.query.contains(&format!("@{name}")))
            .ok_or_else(|| invalid(&spec, format!("no capture @{name} in the query")))
    };
    let finding = index("finding")?;
    let dynamic = spec
        .dynamic
        .iter()
        .map(|n| index(n))
        .collect::<Result<_, _>>()?;
    let literal = spec
        .literal
        .iter()
        .map(|n| index(n))
        .collect::<Result<_, _>>()?;
    // Placeholders must name captures of this rule's own query, not another rule's.
    for name in placeholders(&spec.message) {
        if !spec.query.contains(&format!("@{name}")) {
            return Err(invalid(
                &spec,
                format!("message names {{{name}}}, not a capture"),
            ));
        }
    }
    Ok(Rule {
        id: spec.id,
        cwe: spec.cwe,
        severity: spec.severity,
        confidence: spec.confidence,
        message: spec.message,
        fix: spec.fix,
        finding,
        dynamic,
        literal,
        not_parent: spec.not_parent,
    })
}

/// The `{name}` placeholders of a message.
pub(crate) fn placeholders(message: &str) -> impl Iterator<Item = &str> {
    message.split('{').skip(1).filter_map(|part| {
        let name = part.split_once('}')?.0;
        (!name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
        .then_some(name)
    })
}
