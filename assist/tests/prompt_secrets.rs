//! Secrets never reach a prompt: with `SecretRedactor`, keys in the prefix, the suffix,
//! snippets and chat messages become `[REDACTED:rule-id]`, the count is in `redactions`, the
//! explanation and the JSON, and snippets from secret files (`.env`) are dropped whatever the
//! redactor.

use assist::prompt::{
    ChatConfig, ChatRequest, FimConfig, FimRequest, NoRedaction, SecretRedactor, build_chat,
    build_fim,
};
use assist::snippet::{Snippet, SnippetKind};
use assist::tokens::EstimatedTokens;
use syntax::Language;

// FAKE credentials shaped like the real formats.
// Fake tokens, assembled so this file never looks like it holds one.
const GITHUB: &str = concat!("gh", "p_R7kQ2mZx9LpW4vNc8T", "bY3hJd6FsA1eGu5oKi");
const STRIPE: &str = concat!("sk", "_live_Q8mZ2kR7xL", "p9W4vNc3TbY6hJ");

fn snippet(path: &str, text: &str) -> Snippet {
    Snippet {
        kind: SnippetKind::Definition,
        path: path.into(),
        start_line: 1,
        end_line: text.lines().count(),
        text: text.into(),
        score: 0.9,
        tokens: 20,
        why: "defined here".into(),
    }
}

fn snippets() -> Vec<Snippet> {
    vec![
        snippet(
            "app/billing.py",
            &format!(
                "STRIPE_KEY = \"{STRIPE}\"\n\ndef charge(amount):\n    return stripe.charge(amount)\n"
            ),
        ),
        snippet(".env", "DATABASE_PASSWORD=plainpass\nFEATURE_FLAG=on\n"),
    ]
}

#[test]
fn fim_redacts_and_reports() {
    let prefix = format!("import os\n\nTOKEN = \"{GITHUB}\"\n\ndef fetch():\n    return get(");
    let snippets = snippets();
    let request = FimRequest {
        path: "app/client.py",
        language: Some(Language::Python),
        prefix: &prefix,
        suffix: ")\n",
        cursor_line: 6,
        snippets: &snippets,
        repo_name: "acme",
    };
    let prompt = build_fim(
        &request,
        &FimConfig::default(),
        &EstimatedTokens::default(),
        &SecretRedactor,
    )
    .expect("fits");
    assert!(!prompt.text.contains(GITHUB) && !prompt.text.contains(STRIPE));
    assert!(!prompt.text.contains("plainpass") && !prompt.text.contains("FEATURE_FLAG"));
    assert!(
        prompt.text.contains("[REDACTED:github-pat]"),
        "{}",
        prompt.text
    );
    assert!(prompt.text.contains("[REDACTED:stripe-secret-key]"));
    assert_eq!(prompt.redactions.values().sum::<usize>(), 2);
    let explanation = prompt.explain();
    assert!(
        explanation.contains("redacted 2 secrets: github-pat 1, stripe-secret-key 1"),
        "{explanation}"
    );
    assert!(
        explanation.contains(
            "- Definition .env:1-2: an environment file: secret files never enter a prompt"
        ),
        "{explanation}"
    );
    let json = serde_json::to_value(&prompt).expect("serializes");
    assert_eq!(json["redactions"]["github-pat"], 1);

    // Without redaction the key goes through, but the .env snippet still does not.
    let plain = build_fim(
        &request,
        &FimConfig::default(),
        &EstimatedTokens::default(),
        &NoRedaction,
    )
    .expect("fits");
    assert!(plain.text.contains(GITHUB));
    assert!(!plain.text.contains("plainpass"));
    assert!(plain.redactions.is_empty());
    assert!(serde_json::to_value(&plain).expect("serializes")["redactions"].is_null());
}

#[test]
fn chat_redacts_messages_and_snippets() {
    let snippets = snippets();
    let question = format!("why does {GITHUB} fail?\u{202E} hidden");
    let chat = build_chat(
        &ChatRequest {
            system: "You explain code.",
            history: &[],
            question: &question,
            snippets: &snippets,
        },
        &ChatConfig::default(),
        &EstimatedTokens::default(),
        &SecretRedactor,
    )
    .expect("fits");
    assert!(!chat.text.contains(GITHUB) && !chat.text.contains(STRIPE));
    assert!(!chat.text.contains('\u{202E}'));
    assert!(!chat.text.contains("plainpass"));
    assert_eq!(chat.redactions.values().sum::<usize>(), 2, "{}", chat.text);
    assert!(chat.explain().contains("redacted 2 secrets"));
}
