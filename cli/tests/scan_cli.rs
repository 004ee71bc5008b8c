//! Runs the built `pilotfish scan` and `pilotfish redact` on a small folder: findings (security
//! rules, secrets, invisible Unicode, secret files) are `path:line: rule-id` lines and exit 1, a
//! clean folder exits 0, `--json` prints one object per finding, a file that cannot be read is
//! one error line while the others are still scanned, and redact prints the file with
//! `[REDACTED:rule-id]` in place of each secret (or, with `--json`, the secrets). Every
//! credential here is FAKE.

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
            "./src/client.py:3: py-hardcoded-credential (CWE-798, medium): a credential written in the source: `TOKEN`",
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

#[test]
fn scan_reports_security_rules_and_not_constants() {
    let root = folder("rules");
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write(
        "src/jobs.py",
        "import os\n\ndef clean(path):\n    os.system(\"ls\")\n    os.system(\"rm -rf \" + path)\n",
    );
    write(
        "src/Users.java",
        "class Users {\n  void find(Statement s, String id) throws Exception {\n    s.executeQuery(\"SELECT * FROM users WHERE id = \" + id);\n  }\n}\n",
    );
    write(
        "src/view.ts",
        "export function show(el: HTMLElement, html: string) {\n  el.innerHTML = \"\";\n  el.innerHTML = html;\n}\n",
    );
    let out = pilotfish(&root, &["scan", "src"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "src/Users.java:3: java-sql-injection (CWE-89, high): SQL built by concatenation or `String.format`: input in it can change the query",
            "src/jobs.py:5: py-os-system (CWE-78, high): `os.system` runs a shell command line built at run time",
            "src/view.ts:3: js-inner-html (CWE-79, high): `innerHTML` set from a value built at run time: markup in it runs as the page",
        ],
        "{stdout}"
    );

    let out = pilotfish(&root, &["scan", "--json", "src/jobs.py"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(records.len(), 1, "{stdout}");
    let r = &records[0];
    assert_eq!(r["path"], "src/jobs.py");
    assert_eq!(r["kind"], "security");
    assert_eq!(r["rule"], "py-os-system");
    assert_eq!(r["cwe"], "CWE-78");
    assert_eq!(r["severity"], "high");
    assert_eq!(r["confidence"], "high");
    assert_eq!(
        (&r["line"], &r["column"], &r["end_line"]),
        (&5.into(), &5.into(), &5.into())
    );
    assert!(
        r["message"]
            .as_str()
            .is_some_and(|m| m.contains("os.system"))
    );
    assert!(r["fix"].as_str().is_some_and(|f| !f.is_empty()));
}

#[test]
fn unreadable_files_are_one_line_each_and_the_rest_is_scanned() {
    let root = folder("refused");
    std::fs::write(root.join("src/blob.py"), b"\x00\x01binary").expect("write");
    std::fs::write(root.join("src/run.py"), "import os\nos.system(cmd)\n").expect("write");
    let out = pilotfish(
        &root,
        &["scan", "src/blob.py", "src/missing.py", "src/run.py"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("src/run.py:2: py-os-system"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        errors,
        [
            "error: src/missing.py: no such file or folder",
            "error: src/blob.py: binary file",
        ],
        "{stderr}"
    );
    // A binary file found by walking a folder is skipped without a word.
    let out = pilotfish(&root, &["scan", "src"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn redact_json_lists_the_secrets() {
    let root = folder("redact-json");
    std::fs::write(
        root.join("src/client.py"),
        format!("import os\n\nTOKEN = \"{TOKEN}\"\n"),
    )
    .expect("write");
    let out = pilotfish(&root, &["redact", "--json", "src/client.py"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(TOKEN),
        "the secret itself is never printed"
    );
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 1, "{stdout}");
    assert_eq!(records[0]["rule"], "github-pat");
    assert_eq!(
        (&records[0]["line"], &records[0]["column"]),
        (&3.into(), &10.into())
    );
}
