//! Browser tests of `buildPrompt` through the exported method, in headless Chromium: gathering
//! (tags, import resolution, search) and prompt building run in the tab's wasm build, and the
//! request and result cross as the host sends and reads them.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown --test prompt_web`.
#![cfg(all(target_arch = "wasm32", feature = "assistant"))]

mod prompt_common;

use js_sys::{Array, Reflect};
use plugin_wasm::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn engine() -> Engine {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    for (path, text) in prompt_common::FILES {
        engine
            .index_file(JsValue::from_str(path), JsValue::from_str(text))
            .unwrap();
    }
    engine
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

/// A request object at the cursor of the edited `app/main.py`, with `extra`'s keys (JSON) set
/// on it, as a host would build it.
fn request(extra: &str) -> JsValue {
    let (text, offset) = prompt_common::cursor();
    let request = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        Reflect::set(&request, &JsValue::from_str(key), &value).unwrap();
    };
    set("path", JsValue::from_str("app/main.py"));
    set("text", JsValue::from_str(&text));
    set("offset", JsValue::from_f64(offset as f64));
    if !extra.is_empty() {
        js_sys::Object::assign(
            &request,
            &js_sys::JSON::parse(extra).unwrap().unchecked_into(),
        );
    }
    request.into()
}

/// `(kind, path)` of every included part.
fn parts(built: &JsValue) -> Vec<(String, String)> {
    get(built, "parts")
        .unchecked_into::<Array>()
        .iter()
        .map(|p| {
            let field = |key| get(&p, key).as_string().unwrap();
            (field("kind"), field("path"))
        })
        .collect()
}

fn error_message(result: Result<impl Sized, wasm_bindgen::JsError>) -> String {
    let Err(error) = result else {
        panic!("expected an error")
    };
    let value = JsValue::from(error);
    assert!(value.is_instance_of::<js_sys::Error>());
    String::from(value.unchecked_into::<js_sys::Error>().message())
}

#[wasm_bindgen_test]
fn fim_prompt_follows_the_import_and_the_edited_text() {
    let built = engine()
        .build_prompt(request(r#"{"budget": 512}"#))
        .unwrap();
    assert!(get(&built, "tokens").as_f64().unwrap() <= 512.0);
    assert_eq!(get(&built, "budget").as_f64(), Some(512.0));
    assert_eq!(get(&built, "mode").as_string().as_deref(), Some("fim"));
    assert_eq!(get(&built, "exact_tokens").as_bool(), Some(false));
    assert_eq!(get(&built, "line").as_f64(), Some(8.0));
    let parts = parts(&built);
    let definition = |path: &str| parts.contains(&("definition".into(), path.into()));
    assert!(definition("app/config.py"), "{parts:?}");
    assert!(!definition("other/config.py"), "{parts:?}");
    let prompt = get(&built, "prompt").as_string().unwrap();
    assert!(
        prompt.contains("settings.get(\"edited_port\", 8080)"),
        "{prompt}"
    );
    assert!(prompt.contains("banner = \"ready 😀\""), "{prompt}");
    assert!(Array::is_array(&get(&built, "stop")));
    assert!(get(&built, "messages").is_undefined());
}

#[wasm_bindgen_test]
fn chat_prompt_returns_messages() {
    let built = engine()
        .build_prompt(request(
            r#"{"mode": "chat", "question": "What does main return?"}"#,
        ))
        .unwrap();
    let messages: Array = get(&built, "messages").unchecked_into();
    assert!(messages.length() >= 2);
    assert_eq!(
        get(&messages.get(0), "role").as_string().as_deref(),
        Some("system")
    );
    let question = get(&messages.get(messages.length() - 1), "content")
        .as_string()
        .unwrap();
    assert!(question.contains("What does main return?"), "{question}");
    assert!(get(&built, "tokens").as_f64().unwrap() <= 2048.0);
    assert!(get(&built, "stop").is_undefined());
}

#[wasm_bindgen_test]
fn bad_requests_throw_errors_that_say_why() {
    let mut engine = engine();
    let (text, _) = prompt_common::cursor();
    let past_end = text.encode_utf16().count() + 1;
    let inside = prompt_common::inside_surrogate_pair();
    for (extra, message) in [
        (
            r#"{"family": "gpt-2"}"#.to_string(),
            "pilotfish: buildPrompt: unknown family \"gpt-2\", expected one of starcoder",
        ),
        (
            format!(r#"{{"offset": {past_end}}}"#),
            "is past the end of the text",
        ),
        (
            format!(r#"{{"offset": {inside}}}"#),
            "is inside a surrogate pair",
        ),
        (r#"{"mode": "edit"}"#.to_string(), "unknown mode \"edit\""),
        (
            r#"{"openFiles": [{"path": "app/config.py", "text": "x"}]}"#.to_string(),
            "unknown field `text`",
        ),
    ] {
        let error = error_message(engine.build_prompt(request(&extra)));
        assert!(error.contains(message), "{extra}: {error}");
    }
    let error = error_message(engine.build_prompt(JsValue::UNDEFINED));
    assert!(
        error.starts_with("pilotfish: buildPrompt: invalid `request`"),
        "{error}"
    );
}

#[wasm_bindgen_test]
fn a_restored_engine_still_resolves_the_import() {
    let snapshot = engine().snapshot();
    let mut restored = Engine::new(JsValue::UNDEFINED).unwrap();
    restored.restore(&snapshot.to_vec()).unwrap();
    let built = restored.build_prompt(request("")).unwrap();
    assert!(parts(&built).contains(&("definition".into(), "app/config.py".into())));
}

#[wasm_bindgen_test]
fn a_loaded_tokenizer_counts_exactly() {
    let mut engine = engine();
    let error = error_message(engine.load_tokenizer(b"not json"));
    assert!(
        error.starts_with("pilotfish: loadTokenizer: tokenizer.json could not be read"),
        "{error}"
    );
    // The fixture is a tiny WordPiece vocabulary: any tokenizer.json counts the same way.
    engine
        .load_tokenizer(include_bytes!("fixtures/tiny-tokenizer.json"))
        .unwrap();
    let built = engine.build_prompt(request(r#"{"budget": 400}"#)).unwrap();
    assert_eq!(get(&built, "exact_tokens").as_bool(), Some(true));
    assert!(get(&built, "tokens").as_f64().unwrap() <= 400.0);
}
