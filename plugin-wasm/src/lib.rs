//! The wasm-bindgen facade over the engine and the assistant: the only crate that names
//! wasm-bindgen or js-sys. It is deliberately thin and keeps no state of its own: the assistant's
//! `Workspace` owns every indexed file (the engine's `Project`: chunks, diagnostics, position
//! map; and the file's tags), and the facade converts. Every exported
//! method has the same shape: arguments are deserialized from `JsValue` (so wrong types become
//! clear JS `Error`s instead of traps), one engine call runs, the result is converted to wire
//! types with positions in the encoding the host asked for, and every failure becomes a JS
//! `Error` in one place (`error::js_call`). The crate also builds natively so the conversion is
//! tested by plain `cargo test`.
//!
//! Modules read bottom-up: `error` → `js`, `options`, `wire` → `hits`, `embedder` → `project`
//! (the `Engine` class and its native entry points; `prompt` adds `buildPrompt`'s) → `exports`
//! (its `#[wasm_bindgen]` methods); `vectors` (the `VectorIndex` class) stands beside them, and
//! `llm` (feature `llm`: the `LocalModel` class, a language model in the tab) apart from them.

#[cfg(feature = "assistant")]
pub mod analysis;
#[cfg(feature = "assistant")]
pub mod assistant;
pub mod embedder;
pub mod error;
mod exports;
pub mod hits;
mod js;
#[cfg(feature = "llm")]
pub mod llm;
#[cfg(feature = "assistant")]
pub mod net;
pub mod options;
pub mod project;
#[cfg(feature = "assistant")]
pub mod prompt;
#[cfg(feature = "assistant")]
pub mod refiner;
pub mod vectors;
pub mod wire;

pub use error::Error;
pub use project::Engine;
pub use vectors::VectorIndex;
