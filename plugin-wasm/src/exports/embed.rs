//! Embedders and bulk indexing: `loadStaticTable`, `loadMiniLm` (feature `local-model`),
//! `embedder`, `embed`, and `indexFiles` with a progress callback that can cancel.

use engine::project::Control;
use wasm_bindgen::prelude::*;

use crate::error::{Error, js_call};
use crate::js::{arg, output, thrown_message};
use crate::options::FileInput;
use crate::project::Engine;

#[wasm_bindgen(typescript_custom_section)]
const EMBED_TS: &str = r#"
/** Which embedder turns chunks and queries into vectors. */
export type EmbedderKind = "hashed" | "static" | "minilm";
export interface EmbedderInfo {
  kind: EmbedderKind;
  /** Stable id of the model and settings (snapshots record it). */
  id: string;
  dimensions: number;
}
/** One file for `indexFiles`. */
export interface FileInput { path: string; text: string; }
/** Called after each file; return `false` to stop (files indexed so far stay indexed). */
export type IndexProgress = (done: number, total: number) => boolean | void;
export interface BulkReport {
  files: number;
  /** Files whose bytes were unchanged (nothing to do). */
  unchanged: number;
  chunks: number;
  /** Chunks that had to be embedded (embedding-cache misses). */
  embedded: number;
  /** True when the callback stopped the job before the last file. */
  cancelled: boolean;
}
"#;

#[wasm_bindgen]
impl Engine {
    /// Switches to a static token table (the bytes of a `.pfst` file). Call it before indexing;
    /// throws on corrupt or foreign bytes.
    #[wasm_bindgen(js_name = loadStaticTable)]
    pub fn load_static_table(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        js_call("loadStaticTable", || self.load_static_table_bytes(bytes))
    }

    /// Switches to the MiniLM transformer (only in the `pkg-model` package), from the bytes of
    /// `model.safetensors`, `config.json` and `tokenizer.json`. Call it before indexing.
    #[cfg(feature = "local-model")]
    #[wasm_bindgen(js_name = loadMiniLm)]
    pub fn load_minilm(
        &mut self,
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<(), JsError> {
        js_call("loadMiniLm", || {
            self.load_minilm_bytes(safetensors, config_json, tokenizer_json)
        })
    }

    /// The active embedder.
    #[wasm_bindgen(getter, unchecked_return_type = "EmbedderInfo")]
    pub fn embedder(&self) -> Result<JsValue, JsError> {
        js_call("embedder", || output(&self.embedder_info()))
    }

    /// Embeds texts with the active embedder: `texts.length × dimensions` floats, row-major.
    #[wasm_bindgen(unchecked_return_type = "Float32Array")]
    pub fn embed(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] texts: JsValue,
    ) -> Result<JsValue, JsError> {
        js_call("embed", || {
            let texts: Vec<String> = arg("texts", texts)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let flat = self.embed_flat(&refs)?;
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        })
    }

    /// Indexes many files; `onProgress(done, total)` runs after each and may return `false` to
    /// cancel. An exception thrown by the callback stops the job and is rethrown.
    #[wasm_bindgen(js_name = indexFiles, unchecked_return_type = "BulkReport")]
    pub fn index_files(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "FileInput[]")] files: JsValue,
        #[wasm_bindgen(unchecked_param_type = "IndexProgress | undefined")] on_progress: JsValue,
    ) -> Result<JsValue, JsError> {
        js_call("indexFiles", || {
            let files: Vec<FileInput> = arg("files", files)?;
            let callback = progress_callback(on_progress)?;
            let report = self.index_files_with_progress(&files, |done, total| {
                let Some(f) = &callback else {
                    return Ok(Control::Continue);
                };
                let result = f
                    .call2(&JsValue::NULL, &done.into(), &total.into())
                    .map_err(|thrown| Error::Callback(thrown_message(&thrown)))?;
                // Only an explicit `false` cancels, so callbacks that return nothing go on.
                Ok(if result.as_bool() == Some(false) {
                    Control::Stop
                } else {
                    Control::Continue
                })
            })?;
            output(&report)
        })
    }
}

/// `onProgress`: a function, or nothing.
fn progress_callback(value: JsValue) -> Result<Option<js_sys::Function>, Error> {
    match value.dyn_into::<js_sys::Function>() {
        Ok(f) => Ok(Some(f)),
        Err(v) if v.is_undefined() || v.is_null() => Ok(None),
        Err(_) => Err(Error::Argument {
            argument: "onProgress",
            message: "expected a function".into(),
        }),
    }
}
