//! `analyze` natively: a syntax error worded for a person, a security finding and a secret in one
//! file, with ranges in the host's encoding; an unknown language still gets its secrets looked for.
#![cfg(all(not(target_arch = "wasm32"), feature = "assistant"))]

use plugin_wasm::Engine;
use plugin_wasm::options::EngineOptions;

#[test]
fn a_file_gets_its_syntax_errors_findings_and_secrets() {
    let engine = Engine::with_options(&EngineOptions::default()).unwrap();
    // "é" makes UTF-16 offsets differ from UTF-8 ones before the findings.
    let key = concat!("AKIA", "QX7Z", "K2M4", "PNB5", "RT6Y");
    let text = format!(
        "# café\nimport os\n\ndef run(cmd):\n    os.system(cmd)\n\nAWS = \"{key}\"\n\ndef broken(:\n    pass\n"
    );
    let report = engine.analyze_native("tools/run.py", &text);
    assert_eq!(report.language, Some("python"));
    let finding = report
        .findings
        .iter()
        .find(|f| {
            f.rule.contains("shell") || f.rule.contains("system") || f.rule.contains("command")
        })
        .unwrap_or_else(|| panic!("os.system(cmd) is a finding: {:?}", report.findings));
    assert_eq!(finding.range.line, 5);
    let utf16_start = text[..text.find("os.system(cmd)").unwrap()]
        .encode_utf16()
        .count();
    assert_eq!(
        finding.range.start, utf16_start,
        "offsets are UTF-16 code units"
    );
    assert!(
        !report.syntax.is_empty(),
        "`def broken(:` is a syntax error"
    );
    assert!(
        report.syntax.iter().all(|d| d.range.line >= 9),
        "{:?}",
        report.syntax
    );
    assert_eq!(report.secrets.len(), 1, "{:?}", report.secrets);
    assert_eq!(report.secrets[0].range.line, 7);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(key), "a secret's text never crosses back");

    let unknown = engine.analyze_native("notes.unknownext", &format!("key = {key}\n"));
    assert_eq!(unknown.language, None);
    assert_eq!(unknown.secrets.len(), 1);
    assert!(unknown.syntax.is_empty() && unknown.findings.is_empty());
}

#[test]
fn analyzing_a_file_just_indexed_reuses_the_indexing_parse() {
    // Monaco's worker indexes the edited document and then analyses it: one parse for both,
    // and after an edit that one is incremental (the tree kept with the document).
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    let text = "import os\n\ndef run(cmd):\n    os.system(cmd)\n".repeat(20);
    for edited in [
        text.clone(),
        format!("{text}\ndef added():\n    eval(input())\n"),
    ] {
        let before = syntax::parses_on_this_thread();
        engine.index_text("tools/run.py", &edited).unwrap();
        let report = engine.analyze_native("tools/run.py", &edited);
        assert_eq!(syntax::parses_on_this_thread() - before, 1);
        let fresh = Engine::with_options(&EngineOptions::default())
            .unwrap()
            .analyze_native("tools/run.py", &edited);
        assert_eq!(
            report, fresh,
            "the same analysis as from a parse of its own"
        );
        assert!(report.findings.len() >= 20);
    }
}
