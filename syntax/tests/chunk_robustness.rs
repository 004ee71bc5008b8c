//! Bad input never fails or panics: syntax errors, invalid UTF-8, binary data, unknown
//! extensions, empty files and a 10 MB single-line minified script all produce chunks and/or
//! diagnostics, and chunks stay within the size budget.

use syntax::{ChunkConfig, ChunkKind, DiagnosticKind, Language, chunk_file};

fn kinds(diagnostics: &[syntax::Diagnostic]) -> Vec<DiagnosticKind> {
    diagnostics.iter().map(|d| d.kind).collect()
}

#[test]
fn syntax_errors_are_reported_and_the_rest_is_chunked() {
    let source = "def ok():\n    return 1\n\n\ndef broken(:\n    pass\n\n\nclass Fine:\n    def m(self):\n        return 2\n";
    let file = chunk_file("broken.py", source.as_bytes(), &ChunkConfig::default());
    let errors: Vec<_> = file
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::SyntaxError)
        .collect();
    assert!(!errors.is_empty(), "{:?}", file.diagnostics);
    assert!(
        errors.iter().all(|d| d.lines.is_some_and(|(s, _)| s >= 5)),
        "{errors:?}"
    );
    let names: Vec<_> = file
        .chunks
        .iter()
        .filter_map(|c| c.qualified_name.as_deref())
        .collect();
    assert!(names.contains(&"ok"), "{names:?}");
    assert!(names.contains(&"Fine.m"), "{names:?}");
    let covered: usize = file
        .chunks
        .iter()
        .map(|c| c.end_line - c.start_line + 1)
        .sum();
    assert!(covered >= source.lines().filter(|l| !l.trim().is_empty()).count());
}

#[test]
fn invalid_utf8_is_replaced_and_reported() {
    let mut bytes = b"fn main() {\n    let s = \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    bytes.extend_from_slice(b"\";\n}\n");
    let file = chunk_file("bad.rs", &bytes, &ChunkConfig::default());
    assert_eq!(kinds(&file.diagnostics), vec![DiagnosticKind::InvalidUtf8]);
    assert_eq!(file.chunks.len(), 1);
    assert_eq!(file.chunks[0].kind, ChunkKind::Function);
    assert!(file.chunks[0].text.contains('\u{FFFD}'));
}

#[test]
fn binary_files_are_skipped_with_a_reason() {
    let bytes = [0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3];
    let file = chunk_file("a.out.c", &bytes, &ChunkConfig::default());
    assert!(file.chunks.is_empty());
    assert_eq!(kinds(&file.diagnostics), vec![DiagnosticKind::Binary]);
    assert!(file.diagnostics[0].message.contains("binary"));
}

#[test]
fn unknown_extensions_fall_back_to_line_windows() {
    let text = (1..=100).map(|i| format!("line {i}\n")).collect::<String>();
    let file = chunk_file("notes.txt", text.as_bytes(), &ChunkConfig::default());
    assert_eq!(
        kinds(&file.diagnostics),
        vec![DiagnosticKind::UnknownLanguage]
    );
    assert!(file.chunks.iter().all(|c| c.kind == ChunkKind::Lines));
    assert_eq!(file.chunks.first().map(|c| c.start_line), Some(1));
    assert_eq!(file.chunks.last().map(|c| c.end_line), Some(100));
}

#[test]
fn empty_and_blank_files_give_no_chunks_and_no_errors() {
    for (path, text) in [
        ("empty.py", ""),
        ("blank.ts", "\n\n   \n\t\n"),
        ("empty.txt", ""),
    ] {
        let file = chunk_file(path, text.as_bytes(), &ChunkConfig::default());
        assert!(file.chunks.is_empty(), "{path}: {:?}", file.chunks);
        assert!(
            file.diagnostics
                .iter()
                .all(|d| d.kind == DiagnosticKind::UnknownLanguage),
            "{path}: {:?}",
            file.diagnostics
        );
    }
}

/// One minified statement repeated to `bytes` bytes, on a single line.
fn minified_js(bytes: usize) -> String {
    let unit =
        "function a(b){return b.map(function(c){return c*2+1}).filter(Boolean)};var x=a([1,2,3]);";
    let mut text = String::with_capacity(bytes + unit.len());
    while text.len() < bytes {
        text.push_str(unit);
    }
    text
}

#[test]
fn a_ten_megabyte_minified_line_is_bounded() {
    let config = ChunkConfig::default();
    let text = minified_js(10 * 1024 * 1024);
    let file = chunk_file("bundle.min.js", text.as_bytes(), &config);
    assert_eq!(file.language, Some(Language::JavaScript));
    assert!(kinds(&file.diagnostics).contains(&DiagnosticKind::TooLarge));
    assert!(!file.chunks.is_empty());
    let mut next = 0;
    for chunk in &file.chunks {
        assert!(chunk.end_byte - chunk.start_byte <= config.max_chunk_bytes);
        assert!(chunk.text.len() <= config.max_chunk_bytes);
        assert!(
            text[next..chunk.start_byte].trim().is_empty(),
            "only blanks between pieces"
        );
        next = chunk.end_byte;
    }
    assert_eq!(next, text.len());
}

#[test]
fn a_parsed_minified_line_is_cut_within_the_budget() {
    // Under the parse limit, the syntax-tree path must still respect the budget on one huge line.
    let config = ChunkConfig::default();
    let text = minified_js(300 * 1024);
    let file = chunk_file("app.min.js", text.as_bytes(), &config);
    assert!(file.diagnostics.is_empty(), "{:?}", file.diagnostics);
    assert!(file.chunks.len() >= text.len() / config.max_chunk_bytes);
    for chunk in &file.chunks {
        assert!(
            chunk.end_byte - chunk.start_byte <= config.max_chunk_bytes,
            "{}",
            chunk.end_byte - chunk.start_byte
        );
    }
}

#[test]
fn deeply_nested_input_does_not_overflow() {
    let depth = 5000;
    let text = "class A:\n".to_string()
        + &(0..depth)
            .map(|i| format!("{}class C{i}:\n", " ".repeat(i + 1)))
            .collect::<String>()
        + &format!("{}pass\n", " ".repeat(depth + 1));
    let file = chunk_file("deep.py", text.as_bytes(), &ChunkConfig::default());
    let lines: usize = file
        .chunks
        .iter()
        .map(|c| c.end_line - c.start_line + 1)
        .sum();
    assert_eq!(lines, text.lines().count(), "every line covered once");
    let braces = "{".repeat(20_000) + &"}".repeat(20_000);
    let file = chunk_file(
        "deep.js",
        format!("function f() {braces}\n").as_bytes(),
        &ChunkConfig::default(),
    );
    assert!(!file.chunks.is_empty());
}

#[test]
fn definitions_of_deeply_nested_functions_are_bounded() {
    // Each level is a named function, so the definition scan (not only the walk) must stay
    // iterative and stop at the nesting limit.
    let depth = 3000;
    let text = (0..depth)
        .map(|i| format!("function f{i}() {{\n"))
        .collect::<String>()
        + &"}\n".repeat(depth);
    let (file, definitions) = syntax::chunk::chunk_file_with_definitions(
        "deep.js",
        text.as_bytes(),
        &ChunkConfig::default(),
    );
    assert!(!file.chunks.is_empty());
    assert!(
        definitions.len() >= 2 && definitions.len() < 100,
        "{}",
        definitions.len()
    );
    assert_eq!(definitions[1].qualified_name, "f0.f1");
    let python = "class A:\n".to_string()
        + &(0..depth)
            .map(|i| format!("{}def f{i}():\n", " ".repeat(i + 1)))
            .collect::<String>()
        + &format!("{}pass\n", " ".repeat(depth + 1));
    let (_, definitions) = syntax::chunk::chunk_file_with_definitions(
        "deep.py",
        python.as_bytes(),
        &ChunkConfig::default(),
    );
    assert!(definitions.len() < 100, "{}", definitions.len());
}

#[test]
fn a_reused_chunker_matches_the_free_function() {
    let mut chunker = syntax::chunk::Chunker::default();
    let sources = [
        ("a.py", "import os\n\ndef f():\n    return os.sep\n"),
        ("b.go", "package b\n\nfunc G() int {\n\treturn 1\n}\n"),
        ("c.py", "class C:\n    def m(self):\n        pass\n"),
    ];
    for (path, text) in sources {
        let config = ChunkConfig::default();
        let reused = chunker.chunk(path, text.as_bytes(), &config);
        assert_eq!(reused, chunk_file(path, text.as_bytes(), &config), "{path}");
        let with_definitions = chunker.chunk_with_definitions(path, text.as_bytes(), &config);
        assert_eq!(
            with_definitions,
            syntax::chunk::chunk_file_with_definitions(path, text.as_bytes(), &config),
            "{path}"
        );
        assert_eq!(with_definitions.0, reused, "{path}");
        assert!(!reused.chunks.is_empty());
    }
}

/// A broken C++ class (an error-recovered member list, a long comment run over the budget)
/// used to send the splitter round in circles: its cut lines came in tree order, not line order.
/// Reduced from a real header of ujson's vendored double-conversion.
#[test]
fn an_error_recovered_class_with_a_long_comment_run_terminates_and_covers_every_line() {
    let mut lines = vec![
        "class Converter {".to_owned(),
        "  enum Mode {".to_owned(),
        "  };".to_owned(),
    ];
    lines.extend((0..21).map(|i| {
        format!(
            "  // note {i}: the converter writes digits into the caller's buffer and rounds halfway cases away from zero"
        )
    }));
    lines.extend(
        [
            "                                   int point,",
            "                                   int after,",
            "  DISALLOW_COPY(Converter);",
            "};",
        ]
        .map(str::to_owned),
    );
    let source = lines.join("\n") + "\n";
    let file = chunk_file("converter.h", source.as_bytes(), &ChunkConfig::default());
    let mut covered = vec![false; lines.len()];
    for chunk in &file.chunks {
        for line in chunk.start_line..=chunk.end_line {
            assert!(!covered[line - 1], "line {line} is in two chunks");
            covered[line - 1] = true;
        }
    }
    assert!(covered.iter().all(|&c| c), "{:?}", file.chunks);
}
