//! Data-driven tag tests: every file under `tests/fixtures/tags` is tagged and snapshotted as a
//! compact listing (imports, definitions indented under their parents with their signature lines,
//! references by line with their kind and enclosing definition), so a query change shows up as a
//! reviewable diff per language. The structural checks below the snapshot hold for every file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syntax::Language;
use syntax::tags::{FileTags, ReferenceKind, tags};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tags");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn render(text: &str, tags: &FileTags) -> String {
    let mut out = String::from("imports:\n");
    for i in &tags.imports {
        let _ = write!(out, "  {}: {} `{}`", i.line, i.kind.name(), i.module);
        if let Some(name) = &i.name {
            let _ = write!(out, " name `{name}`");
        }
        if let Some(alias) = &i.alias {
            let _ = write!(out, " as `{alias}`");
        }
        let _ = writeln!(out, " binds {:?}", i.local_name());
    }
    out.push_str("definitions:\n");
    for d in &tags.definitions {
        let mut depth = 0;
        let mut parent = d.parent;
        while let Some(p) = parent {
            depth += 1;
            parent = tags.definitions[p].parent;
        }
        let _ = writeln!(
            out,
            "  {}{} {} {}-{} (signature to {}): {}",
            "  ".repeat(depth),
            d.kind.name(),
            d.name,
            d.start_line,
            d.end_line,
            d.signature_end_line,
            text.lines().nth(d.start_line - 1).unwrap_or("").trim(),
        );
    }
    out.push_str("references:\n");
    let mut line = 0;
    for r in &tags.references {
        if r.line != line {
            line = r.line;
            let _ = write!(out, "\n  {line}:");
        }
        let kind = match r.kind {
            ReferenceKind::Identifier => String::new(),
            other => format!("{}:", other.name()),
        };
        let within = r
            .enclosing
            .map(|e| format!("@{}", tags.definitions[e].name))
            .unwrap_or_default();
        let _ = write!(out, " {kind}{}{within}", r.name);
    }
    out.push('\n');
    out
}

/// Ranges agree with the text, parents hold their children, references lie in their enclosing
/// definition and never sit on a definition's own name.
fn check_structure(name: &str, text: &str, tags: &FileTags) {
    for (i, d) in tags.definitions.iter().enumerate() {
        assert!(
            d.start_line <= d.signature_end_line && d.signature_end_line <= d.end_line,
            "{name}: {d:?}"
        );
        assert!(
            text[d.start_byte..d.end_byte].contains(&d.name),
            "{name}: {d:?}"
        );
        if let Some(p) = d.parent {
            let p = &tags.definitions[p];
            assert!(
                p.start_byte <= d.start_byte && d.end_byte <= p.end_byte,
                "{name}: {d:?} in {p:?}"
            );
        }
        assert!(
            tags.definitions[..i]
                .iter()
                .all(|e| e.start_byte <= d.start_byte),
            "{name}: order"
        );
    }
    for r in &tags.references {
        assert_eq!(&text[r.start_byte..r.end_byte], r.name, "{name}");
        if let Some(e) = r.enclosing {
            let e = &tags.definitions[e];
            assert!(
                e.start_byte <= r.start_byte && r.end_byte <= e.end_byte,
                "{name}: {r:?}"
            );
        }
    }
}

#[test]
fn tags_per_language() {
    let files = fixtures();
    assert!(files.len() >= 10, "fixtures missing: {files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let language = Language::detect(&name, &text).unwrap_or_else(|| panic!("{name}: language"));
        let tags = tags(language, &text);
        check_structure(&name, &text, &tags);
        assert!(!tags.imports.is_empty(), "{name}: no imports");
        assert!(!tags.definitions.is_empty(), "{name}: no definitions");
        insta::assert_snapshot!(format!("tags_{name}"), render(&text, &tags));
    }
}

/// Broken and empty input never panics and keeps what the parser recovered.
#[test]
fn broken_input_keeps_what_parses() {
    let text = "from a import b\n\ndef ok():\n    return b()\n\ndef broken(:\n";
    let tags = tags(Language::Python, text);
    assert_eq!(tags.imports.len(), 1);
    assert!(tags.definitions.iter().any(|d| d.name == "ok"));
    assert_eq!(syntax::tags::tags(Language::Rust, ""), FileTags::default());
}
