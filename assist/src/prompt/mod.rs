//! Prompt building under a token budget: a pure function of (cursor text, snippets, budget,
//! counter, template, redactor). Context gathering ([`crate::context`]) decides what is worth
//! sending; this module decides what fits, renders it in the model family's format, and says
//! what it included, why, and what it dropped (`explain`).
//!
//! Rules, in order: the prefix and suffix get their shares first (lines nearest the cursor,
//! trimmed at line boundaries), then snippets by priority (kind, then score), de-duplicated
//! against each other and against the prefix/suffix window; whatever the snippets leave unused
//! extends the prefix, then the suffix. The assembled text is then counted whole, and parts are
//! dropped until it fits: **a built prompt never exceeds its budget**, template tokens included.

mod chat;
mod fence;
mod fim;
mod redact;
mod template;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::snippet::SnippetKind;

pub use chat::{ChatConfig, ChatMessage, ChatPrompt, ChatRequest, Role, build_chat};
pub use fim::{FimConfig, FimRequest, build_fim};
pub use redact::{SecretRedactor, secret_path_drop};
pub use template::ModelFamily;

/// Every text that leaves for a model passes through here first (prefix, suffix, snippets,
/// chat messages, paths). [`SecretRedactor`] is the one the engine ships (secrets become
/// `[REDACTED:rule-id]`, invisible Unicode is stripped); [`NoRedaction`] is the identity.
pub trait Redactor {
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str>;

    /// What this redactor removed from a built prompt's whole text, counted by rule id (the
    /// builders report it in `redactions`). The default: nothing.
    fn redactions(&self, prompt_text: &str) -> BTreeMap<String, usize> {
        let _ = prompt_text;
        BTreeMap::new()
    }
}

/// The identity redactor.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRedaction;

impl Redactor for NoRedaction {
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(text)
    }
}

/// What a part of a prompt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// Code before the cursor in the current file.
    Prefix,
    /// Code after the cursor in the current file.
    Suffix,
    /// An earlier chat message.
    History,
    Definition,
    RecentEdit,
    SearchHit,
    OpenFile,
    RepoMap,
}

impl From<SnippetKind> for PartKind {
    fn from(kind: SnippetKind) -> Self {
        match kind {
            SnippetKind::Definition => PartKind::Definition,
            SnippetKind::RecentEdit => PartKind::RecentEdit,
            SnippetKind::SearchHit => PartKind::SearchHit,
            SnippetKind::OpenFile => PartKind::OpenFile,
            SnippetKind::RepoMap => PartKind::RepoMap,
        }
    }
}

/// A part included in a prompt, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub kind: PartKind,
    pub path: String,
    /// 1-based, inclusive.
    pub start_line: usize,
    pub end_line: usize,
    /// What the part costs as rendered (labels and fences included), alone.
    pub tokens: usize,
    pub score: f32,
    pub why: String,
}

/// A part left out, and the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    pub kind: PartKind,
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    /// What it would have cost (0 when it was dropped before being counted).
    pub tokens: usize,
    pub score: f32,
    pub reason: String,
}

/// A built FIM prompt and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    /// The whole text the model receives (`prompt` in JSON, as `pilotfish prompt --json` prints).
    #[serde(rename = "prompt")]
    pub text: String,
    /// `text` counted whole by the builder's counter; never above `budget`.
    pub tokens: usize,
    pub budget: usize,
    pub parts: Vec<Part>,
    pub dropped: Vec<Dropped>,
    /// Strings the model may emit to end its answer (the family's end and separator tokens).
    pub stop: Vec<String>,
    /// Secrets redacted in `text`, by rule id (absent from JSON when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub redactions: BTreeMap<String, usize>,
}

/// Why no prompt could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("a budget of {budget} tokens is too small: the template alone needs {needed}")]
    BudgetTooSmall { budget: usize, needed: usize },
}

/// The human-readable explanation: the count against the budget, then every part included
/// (`+`) with its cost and reason, then every part dropped (`-`) with the reason.
pub fn explain(tokens: usize, budget: usize, parts: &[Part], dropped: &[Dropped]) -> String {
    let mut out = format!("tokens {tokens} / budget {budget}\n");
    for p in parts {
        out.push_str(&format!(
            "+ {:?} {}:{}-{} {} tokens: {}\n",
            p.kind, p.path, p.start_line, p.end_line, p.tokens, p.why
        ));
    }
    for d in dropped {
        out.push_str(&format!(
            "- {:?} {}:{}-{}: {}\n",
            d.kind, d.path, d.start_line, d.end_line, d.reason
        ));
    }
    out
}

/// The explanation's redaction line (`redacted 2 secrets: github-pat 1, jwt 1`), empty when
/// nothing was redacted.
pub fn explain_redactions(redactions: &BTreeMap<String, usize>) -> String {
    if redactions.is_empty() {
        return String::new();
    }
    let total: usize = redactions.values().sum();
    let rules: Vec<String> = redactions
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    let noun = if total == 1 { "secret" } else { "secrets" };
    format!("redacted {total} {noun}: {}\n", rules.join(", "))
}

impl Prompt {
    /// See [`explain`]; the redaction count follows when there is one.
    pub fn explain(&self) -> String {
        explain(self.tokens, self.budget, &self.parts, &self.dropped)
            + &explain_redactions(&self.redactions)
    }
}

impl ChatPrompt {
    /// See [`explain`]; the redaction count follows when there is one.
    pub fn explain(&self) -> String {
        explain(self.tokens, self.budget, &self.parts, &self.dropped)
            + &explain_redactions(&self.redactions)
    }
}
