//! Runs the built `pilotfish diagnose` on a small folder: syntax errors are
//! `path:line:column: message` lines (or JSON objects with `--json`) and exit 1; valid files print
//! nothing and exit 0; a named file of unknown language or a binary one is one error line while
//! the others are still checked.

use std::path::PathBuf;
use std::process::{Command, Output};

fn folder(name: &str) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("pilotfish-diagnose-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src")).expect("temp dir");
    root
}

fn pilotfish(root: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pilotfish"))
        .current_dir(root)
        .args(args)
        .output()
        .expect("run pilotfish")
}

#[test]
fn syntax_errors_are_listed_and_exit_1() {
    let root = folder("broken");
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write("src/a.py", "def f(x)\n    return x\n\nprint(\"a\"\n");
    write("src/b.js", "const x = [1, 2;\n");
    write("src/ok.go", "package main\n\nfunc main() {}\n");
    write("src/notes.txt", "not code (\n");
    let out = pilotfish(&root, &["diagnose", "src"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "src/a.py:1:9: missing `:`",
            "src/a.py:4:6: unclosed `(`",
            "src/b.js:1:16: missing `]`",
        ],
        "{stdout}"
    );
    // Files of unknown language in a walked folder are skipped quietly.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = pilotfish(&root, &["diagnose", "--json", "src/b.js"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(record["path"], "src/b.js");
    assert_eq!(record["language"], "javascript");
    assert_eq!(record["message"], "missing `]`");
    assert_eq!(
        (&record["line"], &record["column"]),
        (&1.into(), &16.into())
    );
    assert_eq!(record["end_line"], 1);
}

#[test]
fn valid_files_exit_0_and_refused_files_are_one_line_each() {
    let root = folder("refused");
    let write = |path: &str, text: &[u8]| std::fs::write(root.join(path), text).expect("write");
    write("src/ok.go", b"package main\n\nfunc main() {}\n");
    write("src/notes.txt", b"plain text\n");
    write("src/blob.py", b"\x00\x01\x02");
    let out = pilotfish(&root, &["diagnose", "src/ok.go"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());

    let out = pilotfish(
        &root,
        &["diagnose", "src/notes.txt", "src/blob.py", "src/ok.go"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        errors,
        [
            "error: src/notes.txt: unknown language",
            "error: src/blob.py: binary file",
        ],
        "{stderr}"
    );
}
