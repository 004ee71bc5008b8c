//! Runs the built `pilotfish index` then `pilotfish prompt` on a small project: the prompt for a
//! cursor holds the definition the file imports (not a same-named decoy elsewhere), is built from
//! the file as it is on disk now, never exceeds its budget, and every bad input is a one-line
//! error with a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `app/main.py` imports `load_config` from `app/config.py`; `other/config.py` defines a decoy of
/// the same name that the import does not reach.
fn project(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pilotfish-prompt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["app", "other"] {
        std::fs::create_dir_all(root.join(dir)).expect("temp dir");
    }
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write(
        "app/config.py",
        "import json\n\n\ndef load_config(path):\n    \"\"\"Read the settings file the service starts with.\"\"\"\n    with open(path) as handle:\n        return json.load(handle)\n",
    );
    write(
        "other/config.py",
        "def load_config(name):\n    return {\"decoy\": name}\n",
    );
    write(
        "app/main.py",
        "from app.config import load_config\n\n\ndef start(path):\n    settings = load_config(path)\n    return settings\n",
    );
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

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn indexed(name: &str) -> PathBuf {
    let root = project(name);
    let out = pilotfish(
        &root,
        &[
            "index",
            ".",
            "--out",
            "index.pf",
            "--quiet",
            "--embedder",
            "hashed",
        ],
    );
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    root
}

fn prompt_json(root: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["prompt", "--index", "index.pf", "--json"];
    args.extend_from_slice(extra);
    let out = pilotfish(root, &args);
    assert!(out.status.success(), "prompt failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn parts_of_kind<'a>(prompt: &'a Value, kind: &str) -> Vec<&'a Value> {
    prompt["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .filter(|part| part["kind"] == kind)
        .collect()
}

#[test]
fn the_fim_prompt_holds_the_imported_definition_within_its_budget() {
    let root = indexed("fim");
    // The cursor at the end of `    return settings`: line 6, after 19 characters.
    let prompt = prompt_json(&root, &["--file", "app/main.py", "--at", "6:20"]);
    assert_eq!(prompt["mode"], "fim");
    assert_eq!(prompt["path"], "app/main.py");
    let tokens = prompt["tokens"].as_u64().expect("tokens");
    assert!(tokens > 0 && tokens <= 2048, "{tokens} tokens");
    assert_eq!(prompt["exact_tokens"], false);

    let definitions = parts_of_kind(&prompt, "definition");
    assert!(
        definitions
            .iter()
            .any(|part| part["path"] == "app/config.py"),
        "no definition from app/config.py: {:#}",
        prompt["parts"]
    );
    // The decoy may come back as a weak search hit, never as the definition the import reaches.
    assert!(
        definitions
            .iter()
            .all(|part| part["path"] != "other/config.py"),
        "the decoy was taken for the definition: {:#}",
        prompt["parts"]
    );
    let text = prompt["prompt"].as_str().expect("prompt text");
    let definition = text
        .find("Read the settings file the service starts with.")
        .expect("the imported definition's text");
    if let Some(decoy) = text.find("\"decoy\"") {
        assert!(definition < decoy, "the decoy ranks above the definition");
    }
    // Qwen2.5-Coder's FIM template, with the cursor between prefix and suffix.
    let (before, after) = text.split_once("<|fim_suffix|>").expect("FIM template");
    assert!(before.contains("<|fim_prefix|>"));
    assert!(before.ends_with("    return settings"), "{before}");
    assert!(after.contains("<|fim_middle|>"));
}

#[test]
fn the_prompt_is_built_from_the_file_as_it_is_on_disk_now() {
    let root = indexed("edited");
    std::fs::write(
        root.join("app/main.py"),
        "from app.config import load_config\n\n\ndef start(path):\n    freshly_typed = load_config(path)\n    return freshly_typed\n",
    )
    .expect("edit");
    let prompt = prompt_json(&root, &["--file", "app/main.py", "--at", "6:5"]);
    let text = prompt["prompt"].as_str().expect("prompt text");
    assert!(text.contains("freshly_typed = load_config(path)"), "{text}");
    assert!(!text.contains("settings = load_config"), "{text}");
}

#[test]
fn a_small_budget_drops_context_and_the_prompt_still_fits() {
    let root = indexed("small");
    let prompt = prompt_json(
        &root,
        &["--file", "app/main.py", "--at", "5:5", "--budget", "40"],
    );
    let tokens = prompt["tokens"].as_u64().expect("tokens");
    assert!(tokens <= 40, "{tokens} tokens over a budget of 40");
    assert!(
        !prompt["dropped"].as_array().expect("dropped").is_empty(),
        "nothing was dropped at 40 tokens: {prompt:#}"
    );
}

#[test]
fn chat_mode_asks_the_question_with_the_code_at_the_cursor() {
    let root = indexed("chat");
    let prompt = prompt_json(
        &root,
        &[
            "--file",
            "app/main.py",
            "--at",
            "5:5",
            "--mode",
            "chat",
            "--question",
            "Where does the configuration come from?",
        ],
    );
    assert_eq!(prompt["mode"], "chat");
    let messages = prompt["messages"].as_array().expect("messages");
    let last = messages.last().expect("a message");
    assert_eq!(last["role"], "user");
    let all: String = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(all.contains("Where does the configuration come from?"));
    assert!(all.contains("settings = load_config(path)"));
    assert!(prompt["tokens"].as_u64().expect("tokens") <= 2048);
}

/// Each bad input exits non-zero with one line on stderr that names the problem.
#[test]
fn bad_input_is_a_one_line_error() {
    let root = indexed("errors");
    std::fs::write(root.join("blob.py"), b"x = 1\n\0\0\0binary").expect("write");
    std::fs::write(root.join("notes.unknownext"), "just words\n").expect("write");
    std::fs::write(root.join("latin1.py"), b"name = '\xe9t\xe9'\n").expect("write");
    let cases: [(&[&str], &str); 7] = [
        (&["--file", "app/missing.py", "--at", "1:1"], "cannot read"),
        (&["--file", "blob.py", "--at", "1:1"], "binary"),
        (&["--file", "latin1.py", "--at", "1:1"], "not UTF-8"),
        (
            &["--file", "notes.unknownext", "--at", "1:1"],
            "unknown language",
        ),
        (
            &["--file", "app/main.py", "--at", "40:1"],
            "outside the file",
        ),
        (
            &["--file", "app/main.py", "--at", "1:200"],
            "outside the line",
        ),
        (
            &["--file", "app/main.py", "--at", "5:5", "--budget", "3"],
            "budget",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["prompt", "--index", "index.pf"];
        all.extend_from_slice(args);
        let out = pilotfish(&root, &all);
        let message = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed a prompt");
        assert!(
            message.contains(expected),
            "{args:?}: expected {expected:?} in {message:?}"
        );
        assert_eq!(message.trim_end().lines().count(), 1, "{args:?}: {message}");
    }

    let out = pilotfish(
        &root,
        &[
            "prompt",
            "--index",
            "nowhere.pf",
            "--file",
            "app/main.py",
            "--at",
            "1:1",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nowhere.pf"), "{}", stderr(&out));
}

#[test]
fn secrets_are_redacted_and_env_files_never_enter_the_prompt() {
    // FAKE credentials shaped like a GitHub token and an .env file's settings.
    // A fake token, assembled so this file never looks like it holds one.
    let token = concat!("gh", "p_R7kQ2mZx9LpW4vNc8T", "bY3hJd6FsA1eGu5oKi");
    let root =
        std::env::temp_dir().join(format!("pilotfish-prompt-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("app")).expect("temp dir");
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).expect("write");
    write(
        "app/github.py",
        &format!(
            "GITHUB_TOKEN = \"{token}\"\n\n\ndef client(token):\n    \"\"\"A GitHub client for the token.\"\"\"\n    return {{\"token\": token}}\n"
        ),
    );
    write(
        "app/main.py",
        &format!(
            "from app.github import client\n\nFALLBACK = \"{token}\"\n\n\ndef start():\n    api = client(FALLBACK)\n    return api\n"
        ),
    );
    write(
        ".env",
        "DATABASE_PASSWORD=envfile-Zq8vR2mK9tLw\nPILOTFISH_ENV_MARKER=envfile-marker\n",
    );
    let out = pilotfish(
        &root,
        &[
            "index",
            ".",
            "--out",
            "index.pf",
            "--quiet",
            "--embedder",
            "hashed",
        ],
    );
    assert!(out.status.success(), "index failed: {}", stderr(&out));
    for mode in ["fim", "chat"] {
        let prompt = prompt_json(
            &root,
            &["--file", "app/main.py", "--at", "8:15", "--mode", mode],
        );
        let json = prompt.to_string();
        assert!(json.contains("[REDACTED:github-pat]"), "{mode}: {json}");
        assert!(
            prompt["redactions"]["github-pat"].as_u64() >= Some(1),
            "{mode}: the redaction is not reported: {json}"
        );
        assert!(!json.contains(token), "{mode}: the token leaked: {json}");
        assert!(!json.contains("envfile"), "{mode}: .env leaked: {json}");
    }
}
