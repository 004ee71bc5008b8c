//! Runs the built `pilotfish scan` and `pilotfish redact` on a small folder: findings are
//! `path:line: rule-id` lines and exit 1, a clean folder exits 0, and redact prints the file
//! with `[REDACTED:rule-id]` in place of each secret. Every credential here is FAKE.

use std::path::PathBuf;
use std::process::{Command, Output};

// A fake token, assembled so this file never looks like it holds one.
const TOKEN: &str = concat!("gh", "p_R7kQ2mZx9LpW4vNc8T", "bY3hJd6FsA1eGu5oKi");

fn folder(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pilotfish-scan-{name}-{}", std::process::id()));
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
fn scan_lists_findings_and_exits_1() {
    let root = folder("dirty");
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write(
        "src/client.py",
        &format!("import os\n\nTOKEN = \"{TOKEN}\"\nPASSWORD = os.environ[\"PW\"]\n"),
    );
    write(
        "src/check.js",
        "if (role === \"admin\u{202E} \u{2066}// user\") {}\n",
    );
    write("src/clean.rs", "fn main() {}\n");
    write(".env", "FLAG=on\n");
    let out = pilotfish(&root, &["scan", "."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "./.env:1: secret-file (an environment file)",
            "./src/check.js:1: invisible-unicode (U+202E)",
            "./src/check.js:1: invisible-unicode (U+2066)",
            "./src/client.py:3: github-pat",
        ],
        "{stdout}"
    );

    let out = pilotfish(&root, &["redact", "src/client.py"]);
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("TOKEN = \"[REDACTED:github-pat]\""),
        "{printed}"
    );
    assert!(!printed.contains(TOKEN));
    assert!(String::from_utf8_lossy(&out.stderr).contains("redacted 1 secret: github-pat 1"));
}

#[test]
fn a_clean_folder_exits_0() {
    let root = folder("clean");
    std::fs::write(
        root.join("src/lib.rs"),
        "pub fn add(a: u32, b: u32) -> u32 { a + b }\n",
    )
    .expect("write");
    let out = pilotfish(&root, &["scan", "src"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}
