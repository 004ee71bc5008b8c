//! The rule tables themselves: every built-in table compiles for each of its grammars, and a
//! table that is wrong says which rule and why. What each rule finds is tested on the fixtures
//! (`tests/rules.rs`).

use super::*;

const FAMILIES: [(&str, Language); 4] = [
    ("py-", Language::Python),
    ("js-", Language::JavaScript),
    ("go-", Language::Go),
    ("java-", Language::Java),
];

#[test]
fn builtin_tables_compile_for_every_grammar_they_serve() {
    let mut total = 0;
    for (prefix, language) in FAMILIES {
        let set = RuleSet::builtin(language).expect("has rules");
        assert!(
            set.rules().len() >= 10,
            "{language:?}: {}",
            set.rules().len()
        );
        for rule in set.rules() {
            assert!(rule.id.starts_with(prefix), "{} in {language:?}", rule.id);
        }
        total += set.rules().len();
    }
    assert!(total >= 40, "{total} rules");
    let js = RuleSet::builtin(Language::JavaScript)
        .expect("js")
        .rules()
        .len();
    let tsx = RuleSet::builtin(Language::Tsx).expect("tsx").rules().len();
    let ts = RuleSet::builtin(Language::TypeScript)
        .expect("ts")
        .rules()
        .len();
    assert_eq!(js, tsx);
    // Plain TypeScript has no JSX, so the JSX rule is left out of its set.
    assert_eq!(ts, js - 1);
    assert!(RuleSet::builtin(Language::Rust).is_none());
    assert!(check(Language::Rust, "fn main() {}").is_empty());
}

#[test]
fn every_builtin_pattern_names_the_kind_it_starts_at() {
    // What lets a cached check skip querying at big nodes no pattern starts at.
    for language in Language::ALL {
        if let Some(rules) = RuleSet::builtin(language) {
            let kinds = rules.root_kinds.as_ref();
            assert!(
                kinds.is_some(),
                "{}: a pattern starts at any kind",
                language.name()
            );
            assert!(kinds.is_some_and(|k| k.iter().any(|rules| !rules.is_empty())));
        }
    }
}

fn table(query: &str, extra: &str) -> String {
    format!(
        "[[rule]]\nid = \"t-one\"\ncwe = \"CWE-1\"\nseverity = \"low\"\nconfidence = \"low\"\n\
         message = \"m\"\nfix = \"f\"\n{extra}\nquery = '''{query}'''\n"
    )
}

#[test]
fn a_wrong_table_names_the_rule_and_the_problem() {
    let error = |text: &str| {
        RuleSet::from_toml(Language::Python, text)
            .expect_err("refused")
            .to_string()
    };
    let bad_query = error(&table("(call (nonsense_kind)) @finding", ""));
    assert!(
        bad_query.contains("t-one") && bad_query.contains("python"),
        "{bad_query}"
    );
    let no_finding = error(&table("(call) @x", ""));
    assert!(no_finding.contains("@finding"), "{no_finding}");
    let unknown_capture = error(&table("(call) @finding", "dynamic = [\"arg\"]"));
    assert!(unknown_capture.contains("@arg"), "{unknown_capture}");
    let bad_cwe = error(&table("(call) @finding", "").replace("CWE-1", "79"));
    assert!(bad_cwe.contains("cwe"), "{bad_cwe}");
    let twice = table("(call) @finding", "");
    assert!(error(&format!("{twice}{twice}")).contains("twice"));
    let typo = error(&table("((call) @finding (#file-matchs? \"x\"))", ""));
    assert!(typo.contains("#file-matchs?"), "{typo}");
    let bad_regex = error(&table("((call) @finding (#file-matches? \"(\"))", ""));
    assert!(bad_regex.contains("#file-matches?"), "{bad_regex}");
    let placeholder = error(&table("(call) @finding", "").replace("\"m\"", "\"{nope}\""));
    assert!(placeholder.contains("{nope}"), "{placeholder}");
}

#[test]
fn findings_carry_positions_and_a_filled_message() {
    let text = "import os\n\ndef f(d):\n    os.system('ls ' + d)\n";
    let findings = check(Language::Python, text);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!((f.rule_id, f.cwe), ("py-os-system", "CWE-78"));
    assert_eq!((f.line, f.column, f.end_line), (4, 5, 4));
    assert_eq!(&text[f.range.clone()], "os.system('ls ' + d)");
    assert_eq!(f.end_column, 5 + "os.system('ls ' + d)".len());
    assert!(f.message.contains("`os.system`"), "{}", f.message);
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn nosec_silences_a_line() {
    let text = "import os\nos.system(cmd)  # nosec\nos.system(cmd)\n";
    let lines: Vec<usize> = check(Language::Python, text)
        .iter()
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [3]);
}

#[test]
fn a_custom_table_with_conditions() {
    let text = table(
        "(call function: (identifier) @fn (#eq? @fn \"run\") arguments: (argument_list . (_) @arg)) @finding",
        "dynamic = [\"arg\"]\nrequires = [\"import runner\"]\nmessage = \"{fn} ran\"",
    )
    .replace("message = \"m\"\n", "");
    let set = RuleSet::from_toml(Language::Python, &text).expect("compiles");
    assert!(set.check("run(x)\n").is_empty(), "requires not met");
    let found = set.check("import runner\nrun('a')\nrun(x)\n");
    let found: Vec<(usize, &str)> = found.iter().map(|f| (f.line, f.message.as_str())).collect();
    assert_eq!(found, [(3, "run ran")]);
}

#[test]
fn file_matches_gates_one_pattern() {
    let text = table(
        "((call function: (identifier) @fn (#eq? @fn \"loads\")) @finding \
         (#file-matches? \"from pickle import [^\\\\n]*loads\"))\n\
         ((call function: (identifier) @fn (#eq? @fn \"unpickle\")) @finding)",
        "",
    );
    let set = RuleSet::from_toml(Language::Python, &text).expect("compiles");
    let lines = |src: &str| -> Vec<usize> { set.check(src).iter().map(|f| f.line).collect() };
    assert_eq!(
        lines("from json import loads\nloads(a)\nunpickle(b)\n"),
        [3]
    );
    assert_eq!(
        lines("from pickle import dumps, loads\nloads(a)\nunpickle(b)\n"),
        [2, 3]
    );
}

#[test]
fn a_credential_finding_never_repeats_the_secret() {
    let cases = [
        (
            Language::JavaScript,
            "jwt.sign(payload, \"jwt-signing-k3y\");\n",
        ),
        (
            Language::Java,
            "class A { void f() { DriverManager.getConnection(u, \"app\", \"s3cret-pass\"); } }",
        ),
        (Language::Python, "DB_PASSWORD = \"hunter2-prod\"\n"),
    ];
    for (language, text) in cases {
        let found = check(language, text);
        assert_eq!(found.len(), 1, "{language:?}: {found:?}");
        for secret in ["jwt-signing-k3y", "s3cret-pass", "hunter2-prod"] {
            assert!(!found[0].message.contains(secret), "{}", found[0].message);
        }
    }
}
