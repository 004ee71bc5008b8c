//! Creating an `Engine` and keeping its files: `new Engine(options)`, `indexFile`, `removeFile`,
//! `chunks`, `paths`, `stats`, `positionEncoding`.

use wasm_bindgen::prelude::*;

use crate::error::js_call;
use crate::js::{arg, output, reject_unknown_fields};
use crate::options::EngineOptions;
use crate::project::Engine;

#[wasm_bindgen(typescript_custom_section)]
const FILES_TS: &'static str = r#"
/** How offsets cross the boundary: UTF-16 code units (JavaScript string indices, Monaco, VS Code) or UTF-8 bytes. */
export type PositionEncoding = "utf16" | "utf8";

export interface EngineOptions {
  /** Default "utf16". */
  positionEncoding?: PositionEncoding;
  /** Units larger than this are split; tiny neighbours are merged up to it. Default 1500. */
  maxChunkBytes?: number;
  /** Files larger than this (UTF-8 bytes) are not parsed but cut into line windows. */
  maxParseBytes?: number;
  /** Lines per window when a file's language is unknown. */
  fallbackWindowLines?: number;
}

export type Language =
  | "python" | "javascript" | "typescript" | "tsx" | "rust"
  | "go" | "java" | "c" | "cpp" | "csharp";

export type ChunkKind = "function" | "method" | "class" | "module" | "imports" | "lines";

/** A chunk exactly as search indexes it: every search hit's lines are one chunk's lines. */
export interface Chunk {
  path: string;
  language: Language | null;
  kind: ChunkKind;
  name: string | null;
  qualifiedName: string | null;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Offset of the chunk's first character in the indexed text, in the engine's PositionEncoding. */
  start: number;
  /** Offset just past the chunk's last character, in the engine's PositionEncoding. */
  end: number;
  docstring: string | null;
  /** The chunk's source; pieces of a split unit are prefixed by their enclosing signature. */
  text: string;
}

export type DiagnosticKind = "syntaxError" | "invalidUtf8" | "binary" | "unknownLanguage" | "tooLarge";

export interface Diagnostic {
  kind: DiagnosticKind;
  message: string;
  startLine: number | null;
  endLine: number | null;
}

export interface IndexedFile {
  path: string;
  language: Language | null;
  chunks: Chunk[];
  diagnostics: Diagnostic[];
}

export interface IndexStats {
  files: number;
  chunks: number;
  /** UTF-8 bytes covered by chunks. */
  bytes: number;
  diagnostics: number;
}
"#;

#[wasm_bindgen]
impl Engine {
    /// Throws an `Error` naming the bad option (unknown field, wrong type, zero size).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions | undefined")] options: JsValue,
    ) -> Result<Engine, JsError> {
        js_call("new Engine", || {
            reject_unknown_fields("options", &options, EngineOptions::FIELDS)?;
            let options: Option<EngineOptions> = arg("options", options)?;
            Engine::with_options(&options.unwrap_or_default())
        })
    }

    /// (Re)indexes one file with the engine's chunk options and returns its chunks and
    /// diagnostics: the very chunks that search returns.
    #[wasm_bindgen(js_name = indexFile, unchecked_return_type = "IndexedFile")]
    pub fn index_file(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> Result<JsValue, JsError> {
        js_call("indexFile", || {
            let path: String = arg("path", path)?;
            let text: String = arg("text", text)?;
            output(&self.index_text(&path, &text)?)
        })
    }

    /// Forgets a file; returns whether it was indexed.
    #[wasm_bindgen(js_name = removeFile)]
    pub fn remove_file(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<bool, JsError> {
        js_call("removeFile", || {
            let path: String = arg("path", path)?;
            Ok(self.forget_file(&path))
        })
    }

    /// The chunks of an indexed file, or `null` when the path is not indexed.
    #[wasm_bindgen(unchecked_return_type = "Chunk[] | null")]
    pub fn chunks(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<JsValue, JsError> {
        js_call("chunks", || {
            let path: String = arg("path", path)?;
            output(&self.file_chunks(&path))
        })
    }

    /// Indexed paths in sorted order.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn paths(&self) -> Result<JsValue, JsError> {
        js_call("paths", || output(&self.indexed_paths()))
    }

    #[wasm_bindgen(unchecked_return_type = "IndexStats")]
    pub fn stats(&self) -> Result<JsValue, JsError> {
        js_call("stats", || output(&self.index_stats()))
    }

    /// The encoding `start`/`end` offsets are reported in.
    #[wasm_bindgen(js_name = positionEncoding, getter, unchecked_return_type = "PositionEncoding")]
    pub fn position_encoding(&self) -> String {
        self.encoding.name().to_string()
    }
}
