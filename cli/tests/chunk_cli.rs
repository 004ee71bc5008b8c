//! Runs the built `pilotfish chunk` binary: JSON Lines on stdout, diagnostics on stderr, exit
//! code 1 for an unreadable path after the other files were processed.

use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../syntax/tests/fixtures/hand")
        .join(name);
    path.to_string_lossy().to_string()
}

#[test]
fn prints_one_json_object_per_chunk_and_reports_unreadable_paths() {
    let dir = std::env::temp_dir().join(format!("pilotfish-chunk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let broken = dir.join("broken.py");
    std::fs::write(
        &broken,
        "def ok():\n    return 1\n\ndef broken(:\n    pass\n",
    )
    .expect("write");
    let missing = dir.join("does-not-exist.rs");

    let output = Command::new(env!("CARGO_BIN_EXE_pilotfish"))
        .arg("chunk")
        .arg(fixture("sample.py"))
        .arg(&missing)
        .arg(&broken)
        .output()
        .expect("run pilotfish");
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unreadable path exits with 1"
    );

    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    let fields = [
        "path",
        "language",
        "kind",
        "name",
        "qualified_name",
        "start_line",
        "end_line",
        "start_byte",
        "end_byte",
        "docstring",
        "text",
    ];
    for line in &lines {
        for field in fields {
            assert!(line.get(field).is_some(), "missing {field} in {line}");
        }
    }
    let report = lines
        .iter()
        .find(|l| l["qualified_name"] == "Inventory.__init__")
        .expect("method chunk present");
    assert_eq!(report["kind"], "method");
    assert_eq!(report["language"], "python");
    assert_eq!(report["docstring"], "Create an empty inventory.");
    // The file after the unreadable one was still processed.
    assert!(
        lines
            .iter()
            .any(|l| l["path"].as_str().is_some_and(|p| p.ends_with("broken.py")))
    );

    let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("does-not-exist.rs"))
        .collect();
    assert_eq!(errors.len(), 1, "one line for the missing file: {stderr}");
    assert!(errors[0].starts_with("error: "), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("SyntaxError: ") && l.contains("broken.py:4")),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn all_readable_files_exit_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_pilotfish"))
        .args(["chunk", &fixture("sample.rs"), &fixture("sample.go")])
        .output()
        .expect("run pilotfish");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    assert!(stdout.contains(r#""qualified_name":"Circle.Area""#));
    assert!(stdout.contains(r#""qualified_name":"Store::put""#));
}
