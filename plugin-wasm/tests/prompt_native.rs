//! Native checks of `buildPrompt`'s entry point (`Engine::build_prompt_native`): the request as
//! the host's JSON, the result as the JSON the host receives. The browser test
//! (`prompt_web.rs`) runs the same project through the exported method.
#![cfg(all(not(target_arch = "wasm32"), feature = "assistant"))]

mod prompt_common;

use plugin_wasm::options::{EngineOptions, PromptRequest};
use plugin_wasm::{Engine, Error};
use serde_json::{Value, json};

fn engine() -> Engine {
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    for (path, text) in prompt_common::FILES {
        engine.index_text(path, text).unwrap();
    }
    engine
}

/// A request at the cursor of the edited `app/main.py`, with `extra` fields merged in.
fn request(extra: Value) -> PromptRequest {
    let (text, offset) = prompt_common::cursor();
    let mut request = json!({ "path": "app/main.py", "text": text, "offset": offset });
    for (key, value) in extra.as_object().unwrap() {
        request[key] = value.clone();
    }
    serde_json::from_value(request).unwrap()
}

fn build(engine: &Engine, extra: Value) -> Result<Value, Error> {
    let built = engine.build_prompt_native(&request(extra))?;
    Ok(serde_json::to_value(built).unwrap())
}

/// `(kind, path)` of every included part.
fn parts(built: &Value) -> Vec<(String, String)> {
    built["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().into(),
                p["path"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn has_definition(built: &Value, path: &str) -> bool {
    parts(built).contains(&("definition".into(), path.into()))
}

#[test]
fn fim_prompt_follows_the_import_and_the_edited_text() {
    let built = build(&engine(), json!({ "budget": 512 })).unwrap();
    assert!(built["tokens"].as_u64().unwrap() <= 512, "{built}");
    assert_eq!(built["budget"], 512);
    assert_eq!(built["mode"], "fim");
    assert_eq!(built["exact_tokens"], false);
    assert_eq!(
        (built["line"].as_u64(), built["col"].as_u64()),
        (Some(8), Some(12))
    );
    assert!(has_definition(&built, "app/config.py"), "{built:#}");
    assert!(!has_definition(&built, "other/config.py"), "{built:#}");
    let prompt = built["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("settings.get(\"edited_port\", 8080)"),
        "{prompt}"
    );
    assert!(
        prompt.contains("<|fim_prefix|>"),
        "qwen2.5-coder by default: {prompt}"
    );
    assert!(!built["stop"].as_array().unwrap().is_empty());
    assert!(built.get("messages").is_none());
}

#[test]
fn chat_prompt_has_messages_with_the_question() {
    let built = build(
        &engine(),
        json!({ "mode": "chat", "question": "What does main return?" }),
    )
    .unwrap();
    let messages = built["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("What does main return?")
    );
    assert!(built.get("stop").is_none());
    assert!(built["tokens"].as_u64().unwrap() <= 2048);
}

#[test]
fn host_state_reaches_gathering() {
    let built = build(
        &engine(),
        json!({
            "openFiles": [{ "path": "other/config.py", "visible": [1, 3] }],
            "recentEdits": [{ "path": "app/config.py", "startLine": 4, "endLine": 7, "atMs": 1000 }],
            "nowMs": 61000,
        }),
    )
    .unwrap();
    // Both were gathered; each may then be dropped as a duplicate of a definition or hit with
    // the same lines, so they are looked for among the parts and the dropped ones alike.
    let offered: Vec<(&str, &str)> = ["parts", "dropped"]
        .iter()
        .flat_map(|list| built[list].as_array().unwrap())
        .map(|p| (p["kind"].as_str().unwrap(), p["path"].as_str().unwrap()))
        .collect();
    assert!(
        offered.contains(&("open_file", "other/config.py")),
        "{offered:?}"
    );
    assert!(
        offered.contains(&("recent_edit", "app/config.py")),
        "{offered:?}"
    );
}

#[test]
fn a_restored_engine_builds_the_same_prompt() {
    let original = engine();
    let mut restored = Engine::with_options(&EngineOptions::default()).unwrap();
    restored.restore_bytes(&original.snapshot_bytes()).unwrap();
    // Restoring leaves the tags for later (search works at once): until they are built the
    // imported definition is not found.
    assert!(!has_definition(
        &build(&restored, json!({})).unwrap(),
        "app/config.py"
    ));
    assert_eq!(restored.tag_pending(1), 2, "three files, one tagged");
    // The tags are rebuilt from the snapshot's chunks (what `buildPrompt` does first), so the
    // definition is found as in the engine that indexed the files.
    assert_eq!(restored.tag_pending(usize::MAX), 0);
    assert_eq!(
        build(&restored, json!({})).unwrap(),
        build(&original, json!({})).unwrap()
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let engine = engine();
    let (text, _) = prompt_common::cursor();
    let len = text.encode_utf16().count();
    for (extra, message) in [
        (
            json!({ "family": "gpt-2" }),
            "unknown family \"gpt-2\", expected one of starcoder, starcoder2, qwen2.5-coder",
        ),
        (
            json!({ "mode": "edit" }),
            "unknown mode \"edit\", expected \"fim\" or \"chat\"",
        ),
        (json!({ "offset": len + 1 }), "is past the end of the text"),
        (
            json!({ "offset": prompt_common::inside_surrogate_pair() }),
            "is inside a surrogate pair",
        ),
        (json!({ "budget": 3 }), "too small"),
    ] {
        let error = build(&engine, extra.clone()).unwrap_err().to_string();
        assert!(error.contains(message), "{extra}: {error}");
    }
    let unknown = serde_json::from_value::<PromptRequest>(json!({
        "path": "a.py", "text": "", "offset": 0, "openFiles": [{ "path": "b.py", "text": "x" }],
    }));
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `text`")
    );
}

#[test]
fn a_loaded_tokenizer_counts_exactly() {
    let mut engine = engine();
    let error = engine.load_tokenizer_bytes(b"not json").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("tokenizer.json could not be read"),
        "{error}"
    );
    engine
        .load_tokenizer_bytes(include_bytes!("fixtures/tiny-tokenizer.json"))
        .unwrap();
    let built = build(&engine, json!({ "budget": 400 })).unwrap();
    assert_eq!(built["exact_tokens"], true);
    assert!(built["tokens"].as_u64().unwrap() <= 400, "{built}");
}

#[test]
fn secrets_never_reach_the_prompt() {
    // Built at run time so the source holds no token-shaped literal.
    let token = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A");
    let text = format!("TOKEN = \"{token}\"\n\n\ndef main():\n    return ");
    let request = json!({ "path": "app/run.py", "text": text, "offset": text.len() });
    let built = engine()
        .build_prompt_native(&serde_json::from_value(request).unwrap())
        .unwrap();
    let built = serde_json::to_value(built).unwrap();
    let prompt = built["prompt"].as_str().unwrap();
    assert!(!prompt.contains(&token), "{prompt}");
    assert!(prompt.contains("[REDACTED:github-pat]"), "{prompt}");
    assert_eq!(built["redactions"], json!({ "github-pat": 1 }));
}

/// The engine keeps the cursor file's tree between requests and re-parses only the keystroke's
/// change: typing on must build the prompt a fresh engine builds for the same text, including
/// after an edit that changes what the file imports.
#[test]
fn prompts_while_typing_equal_a_fresh_engines() {
    let typing = engine();
    let (text, offset) = prompt_common::cursor();
    // The cursor's UTF-16 offset as a byte offset in `text`.
    let at = text
        .char_indices()
        .scan(0, |units, (i, c)| {
            let here = *units;
            *units += c.len_utf16();
            Some((i, here))
        })
        .find(|&(_, units)| units == offset)
        .map_or(text.len(), |(i, _)| i);
    let typed = |s: &str| {
        (
            format!("{}{s}{}", &text[..at], &text[at..]),
            offset + s.encode_utf16().count(),
        )
    };
    let import = "from other.config import load_config as other_load\n";
    let (last, last_cursor) = typed("other_load(\"x\")");
    let steps = [
        typed("load_config("),
        typed("load_config(\"x\")"),
        typed("other_load(\"x\")"),
        // An import added at the top: the prompt must now follow it.
        (format!("{import}{last}"), last_cursor + import.len()),
    ];
    for (step, (now, cursor)) in steps.iter().enumerate() {
        let build = |engine: &Engine| {
            let request: PromptRequest = serde_json::from_value(
                json!({ "path": "app/main.py", "text": now, "offset": cursor, "budget": 1024 }),
            )
            .unwrap();
            serde_json::to_value(engine.build_prompt_native(&request).unwrap()).unwrap()
        };
        let built = build(&typing);
        assert_eq!(built, build(&engine()), "after edit {step}");
        if step == 3 {
            assert!(has_definition(&built, "other/config.py"), "{built:#}");
        }
    }
}
