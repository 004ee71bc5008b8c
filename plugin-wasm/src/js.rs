//! Values across the boundary: arguments from `JsValue` into Rust types and results back, with
//! every failure an [`Error`] naming the argument. Arguments are deserialized rather than typed
//! in the signatures so that a wrong type is a clear `Error` instead of a trap in the glue.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;

/// Deserializes one argument (serde-wasm-bindgen: one crossing per field, fine off the hot path).
pub(crate) fn arg<T: DeserializeOwned>(argument: &'static str, value: JsValue) -> Result<T, Error> {
    serde_wasm_bindgen::from_value(value).map_err(|error| Error::Argument {
        argument,
        message: error.to_string(),
    })
}

/// Rejects object keys outside `known`, so a typo such as `maxChunkByte` is an error rather than
/// silently ignored. Checked here because serde-wasm-bindgen reads only the fields a struct
/// declares, so serde's `deny_unknown_fields` never sees the extra keys.
pub(crate) fn reject_unknown_fields(
    argument: &'static str,
    value: &JsValue,
    known: &[&str],
) -> Result<(), Error> {
    let Some(object) = value.dyn_ref::<js_sys::Object>() else {
        return Ok(());
    };
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(Error::Argument {
                argument,
                message: format!(
                    "unknown field `{key}`, expected one of {}",
                    known.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// Like [`arg`], for the hot path (`search`): one `JSON.stringify` crossing and serde_json in
/// wasm, instead of serde-wasm-bindgen's crossing per field. `deny_unknown_fields` works here, so
/// an unknown key is an error. `undefined` reads as JSON `null`.
pub(crate) fn json_arg<T: DeserializeOwned>(
    argument: &'static str,
    value: &JsValue,
) -> Result<T, Error> {
    let invalid = |message: String| Error::Argument { argument, message };
    let text = if value.is_undefined() || value.is_null() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| invalid("not JSON data".into()))?
    };
    serde_json::from_str(&text).map_err(|error| invalid(error.to_string()))
}

/// A string argument, read without serde (the hot path's query).
pub(crate) fn string_arg(argument: &'static str, value: &JsValue) -> Result<String, Error> {
    value.as_string().ok_or_else(|| Error::Argument {
        argument,
        message: "expected a string".into(),
    })
}

/// Serializes a result as plain JS objects and arrays (`None` becomes `null`).
pub(crate) fn output<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| Error::Output(error.to_string()))
}

/// The message of a value a JS callback threw (an `Error`, a string, or anything else).
pub(crate) fn thrown_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "a non-Error value".into())
}

/// Refuses `NaN` and `±Infinity` among an options object's values. The options cross as JSON
/// (`json_arg`), where `JSON.stringify` writes these as `null`, which reads as "unset": a page
/// that computed `limit: NaN` would silently get the default instead of hearing about its bug.
pub(crate) fn reject_non_finite(argument: &'static str, options: &JsValue) -> Result<(), Error> {
    let Some(object) = options.dyn_ref::<js_sys::Object>() else {
        return Ok(());
    };
    for entry in js_sys::Object::entries(object).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let Some(number) = entry.get(1).as_f64() else {
            continue;
        };
        if !number.is_finite() {
            let key = entry.get(0).as_string().unwrap_or_default();
            let shown = if number.is_nan() {
                "NaN"
            } else if number > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            return Err(Error::Argument {
                argument,
                message: format!("`{key}` must be a finite number, got {shown}"),
            });
        }
    }
    Ok(())
}
