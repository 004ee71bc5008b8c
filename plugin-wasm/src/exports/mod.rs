//! The exported `#[wasm_bindgen]` methods of `Engine`, grouped by what a host does with them, each
//! beside the TypeScript declarations of its types. Every method has the same shape: arguments
//! from `JsValue` (`js.rs`) → one native entry point (`project.rs`) → wire type → `js_call`,
//! which turns any failure into a JS `Error` naming the method.

#[cfg(feature = "assistant")]
mod analysis;
#[cfg(feature = "assistant")]
pub(crate) mod assistant;
mod embed;
mod files;
#[cfg(feature = "assistant")]
mod prompt;
mod search;
