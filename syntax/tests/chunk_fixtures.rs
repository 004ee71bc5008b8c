//! Data-driven chunker tests: every file under `tests/fixtures/{hand,real,names}` is chunked,
//! checked for the coverage invariant (every non-blank line in exactly one chunk) and for
//! definitions that agree with the chunks, and snapshotted as a compact YAML list (kind, name,
//! qualified name, lines, docstring head), followed by the definitions no chunk is named after
//! (nested ones, and the further names of a chained assignment), each marked `+`. `hand` holds one
//! fixture per language, `real` real-world files, `names` the ways a definition gets its name.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syntax::chunk::{Definition, chunk_file_with_definitions};
use syntax::{Chunk, ChunkConfig, ChunkKind, ChunkedFile, chunk_file};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// Asserts the coverage invariant and that byte/line ranges agree with the text.
fn assert_covers(name: &str, text: &str, file: &ChunkedFile) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut owners = vec![0usize; lines.len()];
    for chunk in &file.chunks {
        assert!(
            chunk.start_line >= 1 && chunk.start_line <= chunk.end_line,
            "{name}: {chunk:?}"
        );
        let slice = &text[chunk.start_byte..chunk.end_byte];
        assert!(
            chunk.text.ends_with(slice),
            "{name}: text does not end with its range: {chunk:?}"
        );
        let first_line = text[..chunk.start_byte].matches('\n').count() + 1;
        let last_line = first_line + slice.matches('\n').count();
        assert_eq!(
            (chunk.start_line, chunk.end_line),
            (first_line, last_line),
            "{name}"
        );
        for owner in &mut owners[chunk.start_line - 1..chunk.end_line] {
            *owner += 1;
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if !line.trim().is_empty() {
            assert_eq!(
                owners[i],
                1,
                "{name}: line {} ({line:?}) is in {} chunks",
                i + 1,
                owners[i]
            );
        }
        assert!(
            owners[i] <= 1,
            "{name}: line {} is in {} chunks",
            i + 1,
            owners[i]
        );
    }
}

/// Every named chunk has its definition (same name, qualified name and kind, overlapping lines),
/// and every definition's byte and line ranges agree with the text, in source order.
fn assert_definitions(name: &str, text: &str, file: &ChunkedFile, definitions: &[Definition]) {
    for chunk in &file.chunks {
        let (Some(unit), Some(qualified)) = (&chunk.name, &chunk.qualified_name) else {
            continue;
        };
        assert!(
            definitions.iter().any(|d| &d.name == unit
                && &d.qualified_name == qualified
                && d.kind == chunk.kind
                && d.start_line <= chunk.end_line
                && d.end_line >= chunk.start_line),
            "{name}: no definition for {chunk:?}"
        );
    }
    for d in definitions {
        assert!(
            matches!(
                d.kind,
                ChunkKind::Function | ChunkKind::Method | ChunkKind::Class
            ),
            "{name}: {d:?}"
        );
        assert!(
            d.start_byte < d.end_byte && d.end_byte <= text.len(),
            "{name}: {d:?}"
        );
        let first_line = text[..d.start_byte].matches('\n').count() + 1;
        let last_line = first_line + text[d.start_byte..d.end_byte].matches('\n').count();
        assert_eq!(
            (d.start_line, d.end_line),
            (first_line, last_line),
            "{name}: {d:?}"
        );
        // A Rust trait impl is `<Type as Trait>`; every other qualified name ends with the name.
        assert!(
            !d.name.is_empty() && d.qualified_name.contains(&d.name),
            "{name}: {d:?}"
        );
    }
    assert!(
        definitions.is_sorted_by_key(|d| d.start_byte),
        "{name}: definitions in source order"
    );
}

fn render(file: &ChunkedFile, definitions: &[Definition]) -> String {
    let mut out = String::new();
    for c in &file.chunks {
        let doc = c
            .docstring
            .as_deref()
            .and_then(|d| d.lines().next())
            .map(|d| d.chars().take(50).collect::<String>());
        writeln!(
            out,
            "- {{kind: {}, name: {}, qualified: {}, lines: {}-{}, doc: {}}}",
            c.kind.name(),
            yaml(c.name.as_deref()),
            yaml(c.qualified_name.as_deref()),
            c.start_line,
            c.end_line,
            yaml(doc.as_deref()),
        )
        .expect("write to string");
    }
    let named_by_chunk = |d: &Definition| {
        file.chunks.iter().any(|c| {
            c.qualified_name.as_deref() == Some(d.qualified_name.as_str())
                && c.name.as_deref() == Some(d.name.as_str())
                && c.kind == d.kind
        })
    };
    for d in definitions.iter().filter(|d| !named_by_chunk(d)) {
        writeln!(
            out,
            "+ {{kind: {}, name: {}, qualified: {}, lines: {}-{}}}",
            d.kind.name(),
            yaml(Some(&d.name)),
            yaml(Some(&d.qualified_name)),
            d.start_line,
            d.end_line,
        )
        .expect("write to string");
    }
    for d in &file.diagnostics {
        writeln!(out, "# {:?} {:?}", d.kind, d.lines).expect("write to string");
    }
    out
}

fn yaml(value: Option<&str>) -> String {
    match value {
        None => "~".to_string(),
        Some(v) => format!("{v:?}"),
    }
}

/// Chunks a fixture with its definitions, checking both invariants on the way.
fn chunk_fixture(path: &Path) -> (String, String, ChunkedFile, String) {
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .to_string();
    let bytes = std::fs::read(path).expect("read fixture");
    let text = String::from_utf8(bytes.clone()).expect("fixtures are UTF-8");
    let config = ChunkConfig::default();
    let (file, definitions) = chunk_file_with_definitions(&name, &bytes, &config);
    assert_eq!(
        file,
        chunk_file(&name, &bytes, &config),
        "{name}: same chunks"
    );
    assert_covers(&name, &text, &file);
    assert_definitions(&name, &text, &file, &definitions);
    let rendered = render(&file, &definitions);
    (name, text, file, rendered)
}

#[test]
fn hand_written_fixtures() {
    let files = fixtures("hand");
    assert_eq!(files.len(), 10, "one fixture per language");
    for path in files {
        let (name, _, file, rendered) = chunk_fixture(&path);
        insta::assert_snapshot!(format!("hand__{name}"), rendered);
        assert!(file.language.is_some(), "{name}: language detected");
        assert!(
            file.diagnostics.is_empty(),
            "{name}: {:?}",
            file.diagnostics
        );
        let kinds = |k: ChunkKind| file.chunks.iter().filter(|c| c.kind == k).count();
        assert!(
            kinds(ChunkKind::Function) + kinds(ChunkKind::Method) >= 2,
            "{name}"
        );
        assert!(kinds(ChunkKind::Class) >= 1, "{name}");
        assert!(kinds(ChunkKind::Imports) >= 1, "{name}: an import block");
        // Each fixture has one function over the budget; its pieces carry the signature.
        let split: Vec<&Chunk> = file
            .chunks
            .iter()
            .filter(|c| c.text.len() > c.end_byte - c.start_byte)
            .collect();
        assert!(!split.is_empty(), "{name}: the big function was split");
        for piece in &split {
            // The context prepended to a later piece is the enclosing signature, naming the unit.
            let context = &piece.text[..piece.text.len() - (piece.end_byte - piece.start_byte)];
            let unit = piece.name.as_deref().expect("split units are named");
            assert!(
                context.contains(unit),
                "{name}: context {context:?} lacks {unit}"
            );
        }
        for c in &file.chunks {
            assert!(
                c.end_byte - c.start_byte <= ChunkConfig::default().max_chunk_bytes,
                "{name}: {c:?}"
            );
        }
    }
}

#[test]
fn real_world_fixtures() {
    let files = fixtures("real");
    assert!(files.len() >= 8, "real-world files for most languages");
    for path in files {
        let (name, _, file, rendered) = chunk_fixture(&path);
        insta::assert_snapshot!(format!("real__{name}"), rendered);
        assert!(file.language.is_some(), "{name}: language detected");
        assert!(
            file.diagnostics
                .iter()
                .all(|d| d.kind == syntax::DiagnosticKind::SyntaxError),
            "{name}: parsed, not degraded: {:?}",
            file.diagnostics
        );
        let units = file
            .chunks
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    ChunkKind::Function | ChunkKind::Method | ChunkKind::Class
                )
            })
            .count();
        assert!(units >= 3, "{name}: only {units} functions/classes found");
    }
}

#[test]
fn naming_fixtures() {
    let files = fixtures("names");
    assert!(files.len() >= 7, "JS, TS, Python, Rust, C#, Java, C++");
    for path in files {
        let (name, _, file, rendered) = chunk_fixture(&path);
        insta::assert_snapshot!(format!("names__{name}"), rendered);
        assert!(
            file.diagnostics.is_empty(),
            "{name}: {:?}",
            file.diagnostics
        );
        assert!(
            rendered.contains("\n+ "),
            "{name}: a nested definition is listed"
        );
    }
}

#[test]
fn file_scoped_namespaces_and_header_guards() {
    let cs = "namespace A.B;\n\nusing System;\n\npublic class C\n{\n    public void M() { }\n\n    public int N()\n    {\n        return 1;\n    }\n}\n";
    let file = chunk_file("t.cs", cs.as_bytes(), &ChunkConfig::default());
    assert_covers("t.cs", cs, &file);
    let names: Vec<_> = file
        .chunks
        .iter()
        .filter_map(|c| c.qualified_name.as_deref())
        .collect();
    assert_eq!(names, ["A.B.C", "A.B.C.M", "A.B.C.N"]);

    let h = "#ifndef RING_H\n#define RING_H\n#include <stddef.h>\n\n/* Push. */\nint ring_push(int *r, int v) {\n  return v;\n}\n#endif\n";
    let file = chunk_file("ring.h", h.as_bytes(), &ChunkConfig::default());
    assert_covers("ring.h", h, &file);
    let push = file
        .chunks
        .iter()
        .find(|c| c.name.as_deref() == Some("ring_push"))
        .expect("function inside the guard");
    assert_eq!(
        (push.start_line, push.end_line, push.docstring.as_deref()),
        (5, 8, Some("Push."))
    );
}

/// The naming rules for assigned functions, checked directly rather than through a snapshot.
#[test]
fn assigned_functions_are_named_by_their_targets() {
    let source = "res.set = res.header = function header(field, val) {\n  return this;\n};\n\n\
                  module.exports = function createApplication() {\n  return {};\n};\n\n\
                  Foo.prototype.bar = (x) => x;\n";
    for path in ["response.js", "response.ts"] {
        let config = ChunkConfig::default();
        let (file, definitions) = chunk_file_with_definitions(path, source.as_bytes(), &config);
        let chunks: Vec<_> = file
            .chunks
            .iter()
            .map(|c| (c.kind, c.name.as_deref(), c.qualified_name.as_deref()))
            .collect();
        assert_eq!(
            chunks,
            [
                (ChunkKind::Function, Some("set"), Some("res.set")),
                (
                    ChunkKind::Function,
                    Some("createApplication"),
                    Some("createApplication")
                ),
                (ChunkKind::Method, Some("bar"), Some("Foo.bar")),
            ],
            "{path}"
        );
        let names: Vec<_> = definitions
            .iter()
            .map(|d| (d.qualified_name.as_str(), d.start_line, d.end_line))
            .collect();
        assert_eq!(
            names,
            [
                ("res.set", 1, 3),
                ("res.header", 1, 3),
                ("createApplication", 5, 7),
                ("Foo.bar", 9, 9)
            ],
            "{path}"
        );
    }
}
