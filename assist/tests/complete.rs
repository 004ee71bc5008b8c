//! Completion postprocessing on `$0` fixtures per language (`fixtures/complete/`): each file is
//! the code with a cursor marker, a `==== completion ====` line, then what a model streamed.
//! Snapshots show the line mode, where streaming stopped and why, and the parse check.

use std::path::Path;

use assist::complete::{
    CursorContext, LineMode, StopReason, StreamStop, Verdict, finish, line_mode, parse_check,
    syntax_errors,
};
use syntax::Language;

const SEPARATOR: &str = "==== completion ====\n";

struct Fixture {
    prefix: String,
    suffix: String,
    completion: String,
    language: Option<Language>,
}

fn load(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path).expect("read fixture");
    let (code, completion) = text
        .split_once(SEPARATOR)
        .unwrap_or_else(|| panic!("{}: no `{SEPARATOR}` line", path.display()));
    let at = code
        .find("$0")
        .unwrap_or_else(|| panic!("{}: no $0 cursor marker", path.display()));
    Fixture {
        prefix: code[..at].to_string(),
        suffix: code[at + 2..].to_string(),
        // The fixture file's own final newline is not part of the model's output.
        completion: completion
            .strip_suffix('\n')
            .unwrap_or(completion)
            .to_string(),
        language: Language::detect(&path.to_string_lossy(), ""),
    }
}

/// A small deterministic generator for chunk sizes.
fn chunks(text: &str, seed: u64) -> Vec<&str> {
    let mut state = seed | 1;
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut take = 1 + (state % 9) as usize;
        while take < rest.len() && !rest.is_char_boundary(take) {
            take += 1;
        }
        let take = take.min(rest.len());
        out.push(&rest[..take]);
        rest = &rest[take..];
    }
    out
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/complete");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/complete")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "fixtures missing in {}", dir.display());
    for path in paths {
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('.', "_");
        let fixture = load(&path);
        let context = CursorContext {
            prefix: &fixture.prefix,
            suffix: &fixture.suffix,
            language: fixture.language,
            baseline: None,
        };
        let suggestion = finish(&fixture.completion, &context);

        // With the caller's tree of the text (as the tab keeps it), the parse check re-parses
        // incrementally and must decide exactly as from scratch.
        if let Some(language) = fixture.language {
            let mut trees = syntax::documents::DocumentTrees::new(1);
            let text = format!("{}{}", fixture.prefix, fixture.suffix);
            if let Some((tree, _)) = trees.tree("fixture", language, &text) {
                let with_tree = CursorContext {
                    baseline: Some(&tree),
                    ..context
                };
                assert_eq!(
                    finish(&fixture.completion, &with_tree),
                    suggestion,
                    "{name}: with the document's tree"
                );
            }
        }

        // Chunking never changes where the stream stops.
        let mode = line_mode(&context);
        let mut whole = StreamStop::new(&context, mode);
        whole.push(&fixture.completion);
        let whole = whole.finish();
        for seed in 1..20 {
            let mut stream = StreamStop::new(&context, mode);
            for chunk in chunks(&fixture.completion, seed) {
                if stream.push(chunk).is_some() {
                    break;
                }
            }
            assert_eq!(stream.finish(), whole, "{name}, chunk seed {seed}");
        }

        // A shown suggestion never adds syntax errors.
        if let (Some(language), false) = (fixture.language, suggestion.text.is_empty()) {
            let before = syntax_errors(language, &format!("{}{}", fixture.prefix, fixture.suffix));
            let after = syntax_errors(
                language,
                &format!("{}{}{}", fixture.prefix, suggestion.text, fixture.suffix),
            );
            assert!(after <= before, "{name}: {before:?} -> {after:?}");
        }

        insta::assert_snapshot!(
            name,
            format!(
                "mode: {:?}\nstop: {:?}\nverdict: {:?}\n--- suggestion\n{}\n--- in place\n{}{}{}",
                suggestion.mode,
                suggestion.stop,
                suggestion.verdict,
                suggestion.text,
                fixture.prefix,
                suggestion.text,
                fixture.suffix
            )
        );
    }
}

fn context<'a>(prefix: &'a str, suffix: &'a str, language: Language) -> CursorContext<'a> {
    CursorContext {
        prefix,
        suffix,
        language: Some(language),
        baseline: None,
    }
}

#[test]
fn line_mode_follows_the_cursor() {
    let cases = [
        ("x = foo(", ")\n", Language::Python, LineMode::Single),
        ("x = foo(", "\n", Language::Python, LineMode::Multi),
        ("x = foo", "\n", Language::Python, LineMode::Single),
        ("x = ", " + 1\n", Language::Python, LineMode::Single),
        ("def f():", "\n", Language::Python, LineMode::Multi),
        ("def f():\n    ", "\n", Language::Python, LineMode::Multi),
        ("fn f() {", "}\n", Language::Rust, LineMode::Multi),
        ("let x = ", ";\n", Language::Rust, LineMode::Single),
        ("if (a) {\n  ", "\n}", Language::TypeScript, LineMode::Multi),
        ("xs.map(x =>", ")", Language::JavaScript, LineMode::Multi),
    ];
    for (prefix, suffix, language, expected) in cases {
        assert_eq!(
            line_mode(&context(prefix, suffix, language)),
            expected,
            "{prefix:?}$0{suffix:?}"
        );
    }
}

#[test]
fn single_line_stops_at_the_first_newline_while_streaming() {
    let ctx = context("let x = ", ";\n", Language::Rust);
    let mut stream = StreamStop::new(&ctx, LineMode::Single);
    assert_eq!(stream.push("compute("), None);
    assert_eq!(stream.push("1);\nlet y"), Some(StopReason::EndOfLine));
    assert_eq!(stream.text(), "compute(1);");
    assert_eq!(stream.push("more"), Some(StopReason::EndOfLine));
}

#[test]
fn no_grammar_means_unchecked_and_empty_means_dropped() {
    let plain = CursorContext {
        prefix: "a ",
        suffix: "",
        language: None,
        baseline: None,
    };
    assert_eq!(parse_check(&plain, "b").verdict, Verdict::Unchecked);
    assert_eq!(
        parse_check(&context("x = ", "\n", Language::Python), "  \n").verdict,
        Verdict::Dropped
    );
}

#[test]
fn invisible_characters_in_model_output_never_reach_the_suggestion() {
    // A bidi override could make `is_admin` read as something else in the editor; a zero-width
    // space splits an identifier invisibly; tag characters hide text altogether.
    let ctx = context("let allowed = ", ";\n", Language::Rust);
    let suggestion = finish("is_\u{200B}admin(\u{202E}user\u{202C}) \u{E0041}", &ctx);
    assert_eq!(suggestion.text, "is_admin(user) ");
    assert!(suggestion.text.is_ascii());
}
