//! The wasm-bindgen facade over the engine: the only crate that names wasm-bindgen or js-sys.
