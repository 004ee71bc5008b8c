//! Timing of the security rules over about 100 KB of each language family: the rule fixtures of
//! that family repeated, so every rule's query has matches to check. Run with
//! `cargo run --release -p pilotfish-analysis --example rules_timing`.

use std::time::Instant;

use syntax::Language;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    for (family, language, extension) in [
        ("python", Language::Python, "py"),
        ("javascript", Language::JavaScript, "js"),
        ("go", Language::Go, "go"),
        ("java", Language::Java, "java"),
    ] {
        let mut parts = Vec::new();
        for entry in std::fs::read_dir(root.join(family)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == extension) {
                parts.push(std::fs::read_to_string(&path).expect("fixture"));
            }
        }
        let mut text = String::new();
        while text.len() < 100 * 1024 {
            for p in &parts {
                text.push_str(p);
                text.push('\n');
            }
        }
        let start = Instant::now();
        let first = analysis::rules::check(language, &text).len();
        let compile = start.elapsed();
        let rounds = 20;
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(analysis::rules::check(
                language,
                std::hint::black_box(&text),
            ));
        }
        let each = start.elapsed() / rounds;
        let grammar = syntax::grammar::grammar(language).expect("grammar");
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar).expect("loads");
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(parser.parse(std::hint::black_box(&text), None));
        }
        let parse = start.elapsed() / rounds;
        println!(
            "{family}: {} KB, {first} findings, first call {compile:?} (compiles the rules), \
             then {each:?} per scan, of which {parse:?} parsing",
            text.len() / 1024
        );
    }
}
