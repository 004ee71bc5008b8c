//! Runs the built `pilotfish index` and `search` with each local embedder choice: the MiniLM
//! transformer (weights from `PILOTFISH_MODEL_DIR`, as `cargo xtask test` exports, else the
//! workspace's `.cache/models/all-MiniLM-L6-v2`), the hashed fallback when no model is found, and
//! the clear errors when a search cannot embed its query the way the index did.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn model_dir() -> PathBuf {
    let dir = std::env::var_os("PILOTFISH_MODEL_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/models/all-MiniLM-L6-v2"),
        PathBuf::from,
    );
    assert!(
        dir.join("model.safetensors").is_file(),
        "no model in {}: run `cargo xtask test` or set PILOTFISH_MODEL_DIR",
        dir.display()
    );
    dir
}

/// A scratch folder with a tiny project in `src/` and nothing else (no default model folder).
fn project(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pilotfish-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let src = root.join("src");
    std::fs::create_dir_all(&src).expect("temp dir");
    std::fs::write(
        src.join("files.py"),
        "def read_json_file(path):\n    \"\"\"Load a JSON document from disk.\"\"\"\n    import json\n    with open(path) as f:\n        return json.load(f)\n",
    )
    .expect("write");
    std::fs::write(
        src.join("maths.py"),
        "def add_numbers(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n",
    )
    .expect("write");
    root
}

fn pilotfish(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pilotfish"))
        .current_dir(cwd)
        .env_remove("PILOTFISH_MODEL_DIR")
        .args(args)
        .output()
        .expect("run pilotfish")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn local_embedder_indexes_with_minilm_and_searches_with_the_same_model() {
    let root = project("minilm");
    let model = model_dir();
    let model = model.to_str().expect("UTF-8 path");
    let out = pilotfish(
        &root,
        &[
            "index",
            "src",
            "--out",
            "index.pf",
            "--quiet",
            "--embedder",
            "local",
            "--model",
            model,
        ],
    );
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    assert!(
        stderr(&out).contains("embedder minilm:6x384"),
        "{}",
        stderr(&out)
    );

    // A natural-language query with no word in common with the target: only the vectors find it.
    let out = pilotfish(
        &root,
        &[
            "search",
            "--index",
            "index.pf",
            "--mode",
            "vector",
            "--json",
            "-k",
            "1",
            "--model",
            model,
            "parse a configuration document stored on disk",
        ],
    );
    assert!(out.status.success(), "search failed: {}", stderr(&out));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(hits[0]["path"], "files.py", "{hits}");

    // Without the model the vector search cannot embed the query: a clear error, no panic.
    let out = pilotfish(&root, &["search", "--index", "index.pf", "json"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pass --model DIR"),
        "{}",
        stderr(&out)
    );
    // Keyword search needs no model.
    let out = pilotfish(
        &root,
        &[
            "search", "--index", "index.pf", "--mode", "keyword", "multiply",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("maths.py"));
}

#[test]
fn local_embedder_without_a_model_falls_back_to_hashed_with_one_warning() {
    let root = project("fallback");
    let out = pilotfish(&root, &["index", "src", "--out", "index.pf", "--quiet"]);
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("warning:")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("using the hashed embedder"), "{err}");
    assert!(err.contains("embedder hashed"), "{err}");
    let out = pilotfish(&root, &["search", "--index", "index.pf", "add numbers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("maths.py"));
}

#[test]
fn a_model_folder_that_cannot_be_loaded_is_an_error() {
    let root = project("badmodel");
    let out = pilotfish(
        &root,
        &[
            "index",
            "src",
            "--out",
            "index.pf",
            "--quiet",
            "--model",
            "no-such-model",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no-such-model"), "{}", stderr(&out));
}
