//! Pilotfish's content analysis: what code says about its own safety, and what must not leave
//! the browser tab in a prompt. Security rules of the bandit/semgrep class run as tree-sitter
//! queries held as data ([`rules`]); syntax errors become readable diagnostics
//! ([`diagnostics`]).
//! Secrets in text (provider keys, private keys, tokens, passwords in connection strings and
//! assignments) are found by data-driven rules and replaced by `[REDACTED:rule-id]`
//! ([`secrets`]); files that hold secrets by convention (`.env`, `*.pem`, `id_rsa`, ...) are
//! recognised by path ([`paths`]); invisible Unicode that can hide text from a reader
//! (zero-width, bidi controls, tag characters) is found and stripped ([`unicode`]).
//!
//! The crate is pure: no IO, no clock, no environment, no wasm-bindgen. It stands on `syntax`
//! for languages and grammars and knows nothing of prompts, the engine or the assistant;
//! `assist` calls it through its `Redactor` hook, and the CLI through `scan` and `diagnose`.

pub mod diagnostics;
mod file;
pub mod paths;
pub mod rules;
pub mod secrets;
pub mod unicode;

pub use file::{FileAnalysis, analyze, analyze_tree, analyze_tree_cached};
pub use paths::is_secret_path;
pub use secrets::{
    DocumentSecrets, Finding, Redacted, RuleError, Scanner, SecretCache, redact, scan,
};
pub use unicode::{Invisible, InvisibleKind, find_invisible, strip_invisible};
