//! Pilotfish's content analysis: what must not leave the browser tab in a prompt. Secrets in
//! text (provider keys, private keys, tokens, passwords in connection strings and assignments)
//! are found by data-driven rules and replaced by `[REDACTED:rule-id]` ([`secrets`]); files
//! that hold secrets by convention (`.env`, `*.pem`, `id_rsa`, ...) are recognised by path
//! ([`paths`]); invisible Unicode that can hide text from a reader (zero-width, bidi controls,
//! tag characters) is found and stripped ([`unicode`]).
//!
//! The crate is pure: no IO, no clock, no environment, no wasm-bindgen. It knows nothing of
//! prompts, the engine or the assistant; `assist` calls it through its `Redactor` hook.

pub mod paths;
pub mod secrets;
pub mod unicode;

pub use paths::is_secret_path;
pub use secrets::{Finding, Redacted, RuleError, Scanner, redact, scan};
pub use unicode::{Invisible, InvisibleKind, find_invisible, strip_invisible};
