//! The rule table: `rules.toml` (or a caller's own table in the same format) parsed and
//! compiled once. A rule is data: an id, a description, a pattern, the keywords that gate it,
//! the capture group that is the secret, and an optional entropy minimum.

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

/// The built-in rules.
pub const BUILTIN_RULES: &str = include_str!("rules.toml");

/// Why a rule table was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule table is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rule {id}: bad pattern: {source}")]
    Pattern {
        id: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("rule {id}: secret_group {group} but the pattern has {groups} groups")]
    Group {
        id: String,
        group: usize,
        groups: usize,
    },
    #[error("rule {id}: {problem}")]
    Invalid { id: String, problem: &'static str },
    #[error("rule id {0} appears twice")]
    Duplicate(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    rule: Vec<Spec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    id: String,
    description: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    secret_group: usize,
    entropy: Option<f64>,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    multiline: bool,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// What `[REDACTED:id]` says, kebab-case.
    pub id: String,
    pub description: String,
    pub(crate) regex: Regex,
    /// Lower-case ASCII; empty: the rule runs on every text.
    pub(crate) keywords: Vec<String>,
    pub(crate) secret_group: usize,
    pub(crate) entropy: Option<f64>,
    /// The rule guesses from a name, not a provider's format (see `filter::looks_like_code`).
    pub(crate) generic: bool,
    /// The pattern repeats a group across lines: a scan by changed lines searches it in the
    /// whole text (see `incremental`).
    pub(crate) multiline: bool,
}

/// Parses and compiles a rule table.
pub fn parse_rules(toml_text: &str) -> Result<Vec<Rule>, RuleError> {
    let table: Table = toml::from_str(toml_text)?;
    let mut rules: Vec<Rule> = Vec::with_capacity(table.rule.len());
    for spec in table.rule {
        let id = spec.id;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(RuleError::Invalid {
                id,
                problem: "ids are kebab-case ASCII",
            });
        }
        if rules.iter().any(|r| r.id == id) {
            return Err(RuleError::Duplicate(id));
        }
        if spec.keywords.iter().any(|k| k.is_empty() || !k.is_ascii()) {
            return Err(RuleError::Invalid {
                id,
                problem: "keywords are non-empty ASCII",
            });
        }
        // Unicode off: ASCII classes and word boundaries keep every rule on the lazy DFA.
        let regex = RegexBuilder::new(&spec.regex)
            .unicode(false)
            .build()
            .map_err(|e| RuleError::Pattern {
                id: id.clone(),
                source: Box::new(e),
            })?;
        let groups = regex.captures_len() - 1;
        if spec.secret_group > groups {
            return Err(RuleError::Group {
                id,
                group: spec.secret_group,
                groups,
            });
        }
        rules.push(Rule {
            id,
            description: spec.description,
            regex,
            keywords: spec
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect(),
            secret_group: spec.secret_group,
            entropy: spec.entropy,
            generic: spec.generic,
            multiline: spec.multiline,
        });
    }
    Ok(rules)
}
