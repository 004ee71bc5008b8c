//! Data-driven secret rules: `fixtures/secrets.txt` holds one or more positive cases per rule
//! (`# ruleid: <id>`) and hard negatives (`# ok: <why>`), each checked both ways; a redacted
//! file is snapshotted.

use analysis::secrets::{Scanner, count_markers};
use analysis::{redact, scan};
use expect_test::expect_file;

struct Case {
    /// `Some(rule id)` for a positive case, `None` for a negative one.
    rule: Option<String>,
    label: String,
    line: usize,
    text: String,
}

/// The fixtures' text as scanned: the `%%` marks that keep the files from looking like they hold
/// keys removed.
fn unmark(fixture: &str) -> String {
    fixture.replace("%%", "")
}

fn cases() -> Vec<Case> {
    let fixture = unmark(include_str!("fixtures/secrets.txt"));
    let mut cases: Vec<Case> = Vec::new();
    let mut open: Option<Case> = None;
    for (i, line) in fixture.lines().enumerate() {
        let header = line
            .strip_prefix("# ruleid: ")
            .map(|id| (Some(id.trim().to_string()), id))
            .or_else(|| line.strip_prefix("# ok: ").map(|why| (None, why)));
        if let Some((rule, label)) = header {
            cases.extend(open.take());
            open = Some(Case {
                rule,
                label: label.trim().to_string(),
                line: i + 2,
                text: String::new(),
            });
        } else if line.is_empty() {
            cases.extend(open.take());
        } else if let Some(case) = &mut open {
            if !case.text.is_empty() {
                case.text.push('\n');
            }
            case.text.push_str(line);
        }
    }
    cases.extend(open);
    cases
}

#[test]
fn positives_match_their_rule_and_only_it() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.rule.is_some()) {
        let expected = case.rule.as_deref().unwrap_or_default();
        let ids: Vec<&str> = scan(&case.text).iter().map(|f| f.rule_id).collect();
        if ids.is_empty() || ids.iter().any(|id| *id != expected) {
            failures.push(format!(
                "line {}: expected {expected}, found {ids:?}",
                case.line
            ));
        }
        let redacted = redact(&case.text);
        if !redacted.text.contains(&format!("[REDACTED:{expected}]")) {
            failures.push(format!(
                "line {}: not redacted: {}",
                case.line, redacted.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn negatives_match_nothing() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.rule.is_none()) {
        let findings = scan(&case.text);
        if !findings.is_empty() {
            let found: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {:?}", f.rule_id, &case.text[f.range.clone()]))
                .collect();
            failures.push(format!("line {} ({}): {found:?}", case.line, case.label));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_positive_fixture() {
    let cases = cases();
    let missing: Vec<&str> = Scanner::builtin()
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !cases.iter().any(|c| c.rule.as_deref() == Some(*id)))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
    for case in &cases {
        if let Some(id) = &case.rule {
            assert!(
                Scanner::builtin().rules().iter().any(|r| &r.id == id),
                "line {}: unknown rule {id}",
                case.line
            );
        }
    }
}

#[test]
fn only_the_secret_part_is_replaced_and_counted() {
    let text = concat!(
        "url = \"postgres://app:Zq8vR2mK9tLw@db:5432/app\"\nkey = 'AKIA",
        "QX7ZK2M4PNB5RT6Y'\n"
    );
    let redacted = redact(text);
    assert_eq!(
        redacted.text,
        "url = \"postgres://app:[REDACTED:connection-string-password]@db:5432/app\"\nkey = '[REDACTED:aws-access-key-id]'\n"
    );
    assert_eq!(redacted.count(), 2);
    let findings = scan(text);
    assert_eq!(findings.iter().map(|f| f.line).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(count_markers(&redacted.text).values().sum::<usize>(), 2);
    // Nothing found: the text is borrowed as it is.
    assert!(matches!(
        redact("fn main() {}").text,
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn non_ascii_text_keeps_char_boundaries() {
    let text = "пароль: password = \"é€𝄞ü漢字ñ9x\" // ключ";
    let redacted = redact(text);
    assert_eq!(
        redacted.text,
        "пароль: password = \"[REDACTED:generic-password]\" // ключ"
    );
}

#[test]
fn a_custom_rule_table_is_data() {
    let scanner = Scanner::from_toml(
        r#"
[[rule]]
id = "acme-key"
description = "ACME internal key"
regex = 'acme_([a-z0-9]{12})'
keywords = ["acme_"]
secret_group = 1
"#,
    )
    .expect("valid table");
    let redacted = scanner.redact("k = acme_a1b2c3d4e5f6");
    assert_eq!(redacted.text, "k = acme_[REDACTED:acme-key]");
    assert!(
        Scanner::from_toml("[[rule]]\nid = \"Bad Id\"\ndescription = \"\"\nregex = \"x\"").is_err()
    );
    assert!(Scanner::from_toml("[[rule]]\nid = \"x\"\ndescription = \"\"\nregex = \"(\"").is_err());
}

#[test]
fn redacted_config_file_snapshot() {
    let text = unmark(include_str!("fixtures/settings.py"));
    let text = text.as_str();
    expect_file!["fixtures/settings.redacted.py"].assert_eq(&redact(text).text);
}
