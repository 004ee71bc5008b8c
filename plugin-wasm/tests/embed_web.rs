//! Browser tests of the embedders in the tab: a static table loaded from bytes embeds exactly
//! (bit for bit) as the native build does — the native test `native.rs` writes the expected
//! vectors to `expected/tiny-table-embeddings.txt` — and bulk indexing reports progress to a JS
//! callback that can cancel it. The table is tiny and built in the test, so this takes
//! milliseconds.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown --test embed_web`.
#![cfg(target_arch = "wasm32")]

mod embed_common;

use js_sys::{Array, Function, Reflect};
use plugin_wasm::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const EXPECTED: &str = include_str!("expected/tiny-table-embeddings.txt");

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn error_message(result: Result<impl Sized, wasm_bindgen::JsError>) -> String {
    let Err(error) = result else {
        panic!("expected an error")
    };
    let value = JsValue::from(error);
    assert!(value.is_instance_of::<js_sys::Error>(), "not a JS Error");
    String::from(value.unchecked_into::<js_sys::Error>().message())
}

fn table_engine() -> Engine {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    engine
        .load_static_table(&embed_common::table_bytes())
        .unwrap();
    engine
}

fn texts(items: &[&str]) -> JsValue {
    items
        .iter()
        .map(|t| JsValue::from_str(t))
        .collect::<Array>()
        .into()
}

#[wasm_bindgen_test]
fn static_table_embeds_bit_for_bit_as_natively() {
    let engine = table_engine();
    let info = engine.embedder().unwrap();
    assert_eq!(get(&info, "kind").as_string().as_deref(), Some("static"));
    assert_eq!(get(&info, "dimensions").as_f64(), Some(8.0));
    let flat = engine.embed(texts(&embed_common::TEXTS)).unwrap();
    let flat: js_sys::Float32Array = flat.dyn_into().expect("embed returns a Float32Array");
    assert_eq!(
        embed_common::render(&flat.to_vec()),
        EXPECTED,
        "browser vectors differ from the native snapshot (run the native test first)"
    );
}

#[wasm_bindgen_test]
fn corrupt_tables_and_late_loads_are_errors() {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    assert_eq!(
        get(&engine.embedder().unwrap(), "kind")
            .as_string()
            .as_deref(),
        Some("hashed")
    );
    let mut bytes = embed_common::table_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    let message = error_message(engine.load_static_table(&bytes));
    assert!(message.contains("checksum"), "{message}");
    engine
        .index_file("a.py".into(), "def f():\n    return 1\n".into())
        .unwrap();
    let message = error_message(engine.load_static_table(&embed_common::table_bytes()));
    assert!(message.contains("before indexing"), "{message}");
}

fn files(n: usize) -> JsValue {
    let files = Array::new();
    for i in 0..n {
        let file = js_sys::Object::new();
        Reflect::set(&file, &"path".into(), &format!("src/m{i}.py").into()).unwrap();
        let text = format!("def handler_{i}(request):\n    return request.json()\n");
        Reflect::set(&file, &"text".into(), &text.into()).unwrap();
        files.push(&file);
    }
    files.into()
}

#[wasm_bindgen_test]
fn index_files_reports_progress_and_cancels_from_js() {
    let mut engine = table_engine();
    // Records every call in `globalThis.seen` and returns false (cancel) after the second file.
    let callback = Function::new_with_args(
        "done, total",
        "(globalThis.seen ||= []).push([done, total]); return done < 2;",
    );
    let report = engine.index_files(files(4), callback.into()).unwrap();
    assert_eq!(get(&report, "cancelled").as_bool(), Some(true));
    assert_eq!(get(&report, "files").as_f64(), Some(2.0));
    assert_eq!(get(&report, "embedded").as_f64(), Some(2.0));
    let seen = get(&js_sys::global(), "seen");
    assert_eq!(
        js_sys::JSON::stringify(&seen)
            .unwrap()
            .as_string()
            .as_deref(),
        Some("[[1,4],[2,4]]")
    );
    // No callback: runs to the end; the first two files are unchanged.
    let report = engine.index_files(files(4), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&report, "cancelled").as_bool(), Some(false));
    assert_eq!(get(&report, "unchanged").as_f64(), Some(2.0));
    let thrower = Function::new_with_args("", "throw new Error('boom')");
    let message = error_message(engine.index_files(files(5), thrower.into()));
    assert!(message.contains("boom"), "{message}");
    let message = error_message(engine.index_files(files(1), JsValue::from(3)));
    assert!(message.contains("expected a function"), "{message}");
}

#[wasm_bindgen_test]
fn restore_with_a_table_brings_chunks_back() {
    let mut engine = table_engine();
    engine.index_files(files(3), JsValue::UNDEFINED).unwrap();
    let bytes = engine.snapshot().to_vec();
    let mut restored = table_engine();
    restored.restore(&bytes).unwrap();
    for i in 0..3 {
        let path = format!("src/m{i}.py");
        let before = js_sys::JSON::stringify(&engine.chunks(path.clone().into()).unwrap()).unwrap();
        let after = js_sys::JSON::stringify(&restored.chunks(path.into()).unwrap()).unwrap();
        assert_eq!(after.as_string(), before.as_string());
        assert_ne!(after.as_string().as_deref(), Some("null"));
    }
    let mut hashed = Engine::new(JsValue::UNDEFINED).unwrap();
    let message = error_message(hashed.restore(&bytes));
    assert!(message.contains("static:tiny-test"), "{message}");
}
