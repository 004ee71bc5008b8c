//! The security rules on their fixtures, semgrep's way: in `fixtures/rules/<family>/`, a comment
//! `ruleid: <id>` says the next line must be flagged by that rule and `ok: <id>` that it must not
//! be; any other finding in a fixture is a false positive and fails too. Every rule has a
//! fixture with both kinds of line. Fixture text carries `%%` marks where a value would otherwise
//! look like a real key; they are removed before checking.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use analysis::rules::{RuleSet, check};
use syntax::Language;

struct Annotation {
    positive: bool,
    rule: String,
    /// 1-based line the annotation speaks about (the one after it).
    line: usize,
}

fn annotations(text: &str) -> Vec<Annotation> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let comment = line.trim_start();
        let Some(body) = comment
            .strip_prefix('#')
            .or_else(|| comment.strip_prefix("//"))
            .map(str::trim)
        else {
            continue;
        };
        let (positive, ids) = if let Some(ids) = body.strip_prefix("ruleid:") {
            (true, ids)
        } else if let Some(ids) = body.strip_prefix("ok:") {
            (false, ids)
        } else {
            continue;
        };
        for rule in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.push(Annotation {
                positive,
                rule: rule.to_string(),
                line: i + 2,
            });
        }
    }
    out
}

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_ruleid_line_is_found_and_nothing_else_is() {
    let mut failures = Vec::new();
    let mut covered: BTreeSet<(bool, String)> = BTreeSet::new();
    let files = fixture_files();
    assert!(files.len() >= 40, "{} fixture files", files.len());
    for path in &files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .expect("fixture is UTF-8")
            .replace("%%", "");
        let language = Language::detect(&name, &text).expect("fixture language");
        let findings = check(language, &text);
        let notes = annotations(&text);
        if notes.is_empty() {
            failures.push(format!("{name}: no annotations"));
        }
        for note in &notes {
            covered.insert((note.positive, note.rule.clone()));
            let hit = findings
                .iter()
                .any(|f| f.rule_id == note.rule && f.line == note.line);
            if note.positive && !hit {
                failures.push(format!("{name}:{}: {} not found", note.line, note.rule));
            }
            if !note.positive && hit {
                failures.push(format!(
                    "{name}:{}: {} flagged an ok line",
                    note.line, note.rule
                ));
            }
        }
        for f in &findings {
            let expected = notes
                .iter()
                .any(|n| n.positive && n.rule == f.rule_id && n.line == f.line);
            let ok_line = notes
                .iter()
                .any(|n| !n.positive && n.rule == f.rule_id && n.line == f.line);
            if !expected && !ok_line {
                failures.push(format!("{name}:{}: unexpected {}", f.line, f.rule_id));
            }
        }
    }
    for language in [
        Language::Python,
        Language::JavaScript,
        Language::Go,
        Language::Java,
    ] {
        for rule in RuleSet::builtin(language).expect("rules").rules() {
            for positive in [true, false] {
                if !covered.contains(&(positive, rule.id.clone())) {
                    let kind = if positive { "ruleid" } else { "ok" };
                    failures.push(format!("{}: no `{kind}` fixture line", rule.id));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
