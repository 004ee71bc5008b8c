//! The shipped [`Redactor`]: invisible Unicode stripped, then secrets replaced by
//! `[REDACTED:rule-id]` with the `analysis` crate's built-in rules; and the secret-file
//! denylist the builders apply to snippets whatever the redactor, since a pattern can miss a
//! secret and a denylist cannot.

use std::borrow::Cow;
use std::collections::BTreeMap;

use analysis::secrets::count_markers;
use analysis::{Scanner, strip_invisible};

use super::Redactor;

/// Secrets and invisible Unicode out of everything a prompt holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretRedactor;

impl Redactor for SecretRedactor {
    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        // Invisible characters first: one inside a key would otherwise split it from its rule.
        let scanner = Scanner::builtin();
        match strip_invisible(text) {
            Cow::Borrowed(visible) => scanner.redact(visible).text,
            Cow::Owned(visible) => Cow::Owned(scanner.redact(&visible).text.into_owned()),
        }
    }

    fn redactions(&self, prompt_text: &str) -> BTreeMap<String, usize> {
        count_markers(prompt_text)
    }
}

/// The `dropped` reason for a snippet from a file on the secret-path denylist (`.env`,
/// `*.pem`, `id_rsa`, ...), or `None` when the file may be sent.
pub fn secret_path_drop(path: &str) -> Option<String> {
    analysis::paths::secret_path_reason(path)
        .map(|what| format!("{what}: secret files never enter a prompt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_invisible_then_redacts() {
        let token = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A");
        // A zero-width space inside the token must not hide it from the rule.
        let hidden = format!("t = \"{}\u{200B}{}\"", &token[..10], &token[10..]);
        let out = SecretRedactor.redact(&hidden);
        assert_eq!(out, "t = \"[REDACTED:github-pat]\"");
        assert_eq!(
            SecretRedactor.redactions(&out),
            BTreeMap::from([("github-pat".to_string(), 1)])
        );
        assert!(matches!(
            SecretRedactor.redact("fn f() {}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn secret_paths_are_dropped() {
        assert!(secret_path_drop("app/.env").is_some());
        assert!(secret_path_drop("app/.env.example").is_none());
        assert!(secret_path_drop("src/main.rs").is_none());
    }
}
