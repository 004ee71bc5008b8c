//! Property tests of the chunker and the project on hostile text: random bytes (invalid UTF-8,
//! NULs, lone surrogates' bytes), and random UTF-8 that nests brackets, blocks and indentation
//! thousands deep, for every language's extension and small random chunk options. Chunking never
//! panics and keeps its promises (chunks inside the text, 1-based lines in order), and what it
//! produced indexes, searches and survives a snapshot that restore accepts.
//!
//! CI runs the proptest default of 256 cases per property; `PROPTEST_CASES` raises it, which
//! `cargo xtask fuzz` does.

use engine::ChunkConfig;
use engine::project::{Project, ProjectConfig, SearchOptions};
use engine::snapshot;
use proptest::prelude::*;

/// One path per language the chunker knows, plus a fallback and no extension at all.
const PATHS: &[&str] = &[
    "a.py", "a.js", "a.ts", "a.tsx", "a.rs", "a.go", "a.java", "a.c", "a.cpp", "a.cs", "a.txt",
    "Makefile",
];

fn config() -> impl Strategy<Value = ChunkConfig> {
    (1..3000usize, 1..20_000usize, 1..80usize).prop_map(
        |(max_chunk_bytes, max_parse_bytes, fallback_window_lines)| ChunkConfig {
            max_chunk_bytes,
            max_parse_bytes,
            fallback_window_lines,
        },
    )
}

/// Text that opens `depth` scopes of one kind, fills them with code-ish tokens, and closes some.
fn nested() -> impl Strategy<Value = String> {
    let open = prop_oneof![
        Just("("),
        Just("["),
        Just("{"),
        Just("if x:\n    "),
        Just("def f():\n "),
        Just("fn f() {\n"),
        Just("class C {\n"),
        Just("/*"),
        Just("\""),
        Just("<div>"),
        Just("`${"),
    ];
    let close = prop_oneof![
        Just(")"),
        Just("]"),
        Just("}"),
        Just("\n"),
        Just("*/"),
        Just("\""),
        Just("</div>"),
        Just(""),
    ];
    let filler = proptest::collection::vec(
        prop_oneof![
            "[a-z_]{1,8}",
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            Just(";".to_string()),
            Just("=".to_string()),
            Just("😀".to_string()),
            Just("中".to_string()),
            Just("\u{0}".to_string()),
            Just("\u{feff}".to_string()),
            any::<char>().prop_map(String::from),
        ],
        0..40,
    );
    (open, close, 0..3000usize, 0..3000usize, filler).prop_map(
        |(open, close, depth, closed, filler)| {
            let mut text = open.repeat(depth);
            text.push_str(&filler.concat());
            text.push_str(&close.repeat(closed.min(depth + 10)));
            text
        },
    )
}

/// Chunks `bytes` as `path`, checks the chunks, and indexes, searches and snapshots them.
fn check(path: &str, bytes: &[u8], config: ChunkConfig) -> Result<(), TestCaseError> {
    let file = syntax::chunk_file(path, bytes, &config);
    let text = String::from_utf8_lossy(bytes);
    let lines = engine::LineIndex::new(&text);
    for c in &file.chunks {
        prop_assert!(
            c.start_byte <= c.end_byte && c.end_byte <= text.len(),
            "{c:?}"
        );
        prop_assert!(
            1 <= c.start_line && c.start_line <= c.end_line && c.end_line <= lines.lines(),
            "lines {}..={} of {}",
            c.start_line,
            c.end_line,
            lines.lines()
        );
    }
    let mut project = Project::new(ProjectConfig {
        chunk: config,
        ..ProjectConfig::default()
    });
    project.index_file(path, bytes, None).unwrap();
    let _ = project.search("f x div", None, &SearchOptions::default());
    let restored = snapshot::read(&snapshot::write(&project));
    prop_assert!(restored.is_ok(), "{:?}", restored.err());
    Ok(())
}

proptest! {
    // No regression files beside the sources: a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_chunk_without_panicking(
        path in proptest::sample::select(PATHS),
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        config in config(),
    ) {
        check(path, &bytes, config)?;
    }

    #[test]
    fn deeply_nested_text_chunks_without_panicking(
        path in proptest::sample::select(PATHS),
        text in nested(),
        config in config(),
    ) {
        check(path, text.as_bytes(), config)?;
    }
}
