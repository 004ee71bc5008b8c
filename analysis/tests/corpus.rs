//! Precision on real code: the evaluation corpus (`xtask/src/corpus.rs`: requests, ujson and
//! boltons from PyPI, lodash and rxjs from npm, testify from Debian; code written with care, not
//! vulnerable by design) is scanned with the security rules and checked for syntax errors, and
//! both must stay under a small bound. The bounds are today's counts with a little room: every
//! finding counted here was read and is a real instance of its pattern (`exec` of generated
//! source, `pickle.loads` in tests, `verify=False` in tests, MD5 for HTTP digest auth), and the
//! few syntax diagnostics are grammar gaps (C++ macros, TypeScript declaration files).
//!
//! `cargo xtask test` fetches the corpus and exports `PILOTFISH_CORPUS_DIR`; without it the test
//! reads the workspace's `.cache/corpus/` and fails when that is missing too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use analysis::diagnostics::diagnose;
use analysis::rules::check;
use syntax::Language;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("PILOTFISH_CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/corpus"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "no corpus at {}: run `cargo xtask test` (it fetches the corpus and exports \
         PILOTFISH_CORPUS_DIR)",
        dir.display()
    );
    dir
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable corpus folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The language family a rule table serves.
fn family(language: Language) -> &'static str {
    match language {
        Language::Python => "python",
        Language::JavaScript | Language::TypeScript | Language::Tsx => "javascript",
        Language::Go => "go",
        Language::Java => "java",
        _ => "other",
    }
}

#[test]
fn real_code_has_few_findings_and_few_syntax_errors() {
    let mut all = Vec::new();
    files(&corpus_dir(), &mut all);
    all.sort();
    let mut scanned: BTreeMap<&str, usize> = BTreeMap::new();
    let mut findings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let (mut parsed, mut with_errors) = (0, Vec::new());
    for path in &all {
        let shown = path.display().to_string();
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        if bytes[..bytes.len().min(8192)].contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let Some(language) = Language::detect(&shown, &text) else {
            continue;
        };
        parsed += 1;
        if !diagnose(language, &text).is_empty() {
            with_errors.push(shown.clone());
        }
        let family = family(language);
        *scanned.entry(family).or_default() += 1;
        for f in check(language, &text) {
            findings
                .entry(family)
                .or_default()
                .push(format!("{shown}:{}: {}", f.line, f.rule_id));
        }
    }
    eprintln!("files scanned per family: {scanned:?}");
    for (family, list) in &findings {
        eprintln!("{family}: {} findings\n  {}", list.len(), list.join("\n  "));
    }
    eprintln!(
        "{} of {parsed} files with syntax diagnostics: {with_errors:?}",
        with_errors.len()
    );

    // The corpus really was there and read.
    assert!(
        scanned.get("python").is_some_and(|&n| n >= 50),
        "{scanned:?}"
    );
    assert!(
        scanned.get("javascript").is_some_and(|&n| n >= 500),
        "{scanned:?}"
    );
    assert!(scanned.get("go").is_some_and(|&n| n >= 20), "{scanned:?}");

    let count = |family: &str| findings.get(family).map_or(0, Vec::len);
    assert!(count("python") <= 30, "{:?}", findings.get("python"));
    assert!(count("javascript") <= 3, "{:?}", findings.get("javascript"));
    assert!(count("go") <= 3, "{:?}", findings.get("go"));
    // At most 1% of real files have a syntax diagnostic.
    assert!(with_errors.len() * 100 <= parsed, "{with_errors:?}");
}
