//! The wasm-bindgen facade over the engine: the only crate that names wasm-bindgen or js-sys.
//! It is deliberately thin. Every exported method has the same shape: arguments are
//! deserialized from `JsValue` (so wrong types become clear JS `Error`s instead of traps), the
//! engine is called, the result is converted to wire types ([`wire`]) with positions in the
//! encoding the host asked for, and serialized back; every failure goes through [`into_error`].
//! The crate also builds natively so the conversion is tested by plain `cargo test`.

pub mod embed;
pub mod hits;
pub mod search;
pub mod vectors;
pub mod wire;

use std::collections::BTreeMap;
use std::fmt::Display;

use engine::snapshot::ListedFile;
use engine::{ChunkConfig, chunk_file};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::wire::{
    EngineOptions, OptionsError, PositionEncoding, WireChunk, WireIndexedFile, WireStats,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
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

/// An in-memory project index living in the page. Construct it with `new Engine(options)`.
#[wasm_bindgen]
pub struct Engine {
    pub(crate) chunk_config: ChunkConfig,
    pub(crate) encoding: PositionEncoding,
    /// Each indexed file's chunks with their offsets in `encoding`, in chunk order. Kept here
    /// because the search index keeps no chunk text, and the UTF-16 offsets can only be counted
    /// in the source text; snapshots carry this listing so `chunks()` works after `restore`.
    pub(crate) files: BTreeMap<String, ListedFile>,
    /// The search index (see `search.rs`), fed by `index_text` and `forget_file`.
    pub(crate) search: search::SearchState,
}

/// Native (and test) entry points: the same work as the exported methods, minus `JsValue`.
impl Engine {
    pub fn with_options(options: &EngineOptions) -> Result<Engine, OptionsError> {
        Ok(Engine {
            chunk_config: options.chunk_config()?,
            encoding: options.position_encoding,
            files: BTreeMap::new(),
            search: search::SearchState::default(),
        })
    }

    /// Chunks and embeds one file. An embedding failure leaves the file's previous entry in
    /// place in both the listing and the search index.
    pub fn index_text(&mut self, path: &str, text: &str) -> Result<WireIndexedFile, String> {
        self.index_text_checked(path, text).map(|(file, _)| file)
    }

    pub(crate) fn index_text_checked(
        &mut self,
        path: &str,
        text: &str,
    ) -> Result<(WireIndexedFile, engine::project::FileReport), String> {
        let report = self
            .search
            .project
            .index_file(path, text.as_bytes(), Some(&self.search.embedder))
            .map_err(|e| e.to_string())?;
        let file = chunk_file(path, text.as_bytes(), &self.chunk_config);
        let offsets = wire::chunk_spans(text, &file.chunks, self.encoding);
        let result = wire::wire_indexed_file(path, &file, &offsets);
        self.files
            .insert(path.to_string(), ListedFile { file, offsets });
        Ok((result, report))
    }

    pub fn file_chunks(&self, path: &str) -> Option<Vec<WireChunk>> {
        let listed = self.files.get(path)?;
        Some(wire::wire_chunks(&listed.file.chunks, &listed.offsets))
    }

    pub fn forget_file(&mut self, path: &str) -> bool {
        self.search.on_remove(path);
        self.files.remove(path).is_some()
    }

    pub fn index_stats(&self) -> WireStats {
        let mut stats = WireStats {
            files: self.files.len(),
            chunks: 0,
            bytes: 0,
            diagnostics: 0,
        };
        for listed in self.files.values() {
            let chunks = &listed.file.chunks;
            stats.chunks += chunks.len();
            stats.bytes += chunks
                .iter()
                .map(|c| c.end_byte - c.start_byte)
                .sum::<usize>();
            stats.diagnostics += listed.file.diagnostics.len();
        }
        stats
    }

    /// The search index and the chunk listing as one snapshot (see `engine::snapshot`).
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        engine::snapshot::write_with_listing(
            &self.search.project,
            &self.files,
            wire::encoding_name(self.encoding),
        )
    }

    /// Replaces the search index and the chunk listing with a snapshot's. The snapshot's vectors
    /// must come from the active embedder (load the same table first), and its offsets must be
    /// in this engine's position encoding.
    pub fn restore_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        use engine::embed::Embedder;
        let (project, files, encoding) =
            engine::snapshot::read_with_listing(bytes).map_err(|e| e.to_string())?;
        if let Some(id) = project.embedder_id()
            && id != self.search.embedder.id()
        {
            return Err(format!(
                "snapshot vectors come from {id:?}, this engine embeds with {:?}",
                self.search.embedder.id()
            ));
        }
        let ours = wire::encoding_name(self.encoding);
        if !files.is_empty() && encoding != ours {
            return Err(format!(
                "snapshot offsets are {encoding}, this engine reports {ours}"
            ));
        }
        self.search.project = project;
        self.files = files;
        Ok(())
    }
}

#[wasm_bindgen]
impl Engine {
    /// Throws an `Error` naming the bad option (unknown field, wrong type, zero size).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions | undefined")] options: JsValue,
    ) -> Result<Engine, JsError> {
        reject_unknown_fields("new Engine", "options", &options, EngineOptions::FIELDS)?;
        let options: Option<EngineOptions> = arg("new Engine", "options", options)?;
        Engine::with_options(&options.unwrap_or_default()).map_err(into_error)
    }

    /// (Re)indexes one file and returns its chunks and diagnostics.
    #[wasm_bindgen(js_name = indexFile, unchecked_return_type = "IndexedFile")]
    pub fn index_file(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> Result<JsValue, JsError> {
        let path: String = arg("indexFile", "path", path)?;
        let text: String = arg("indexFile", "text", text)?;
        let file = self
            .index_text(&path, &text)
            .map_err(|e| into_error(format!("indexFile: {e}")))?;
        output(&file)
    }

    /// Forgets a file; returns whether it was indexed.
    #[wasm_bindgen(js_name = removeFile)]
    pub fn remove_file(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<bool, JsError> {
        let path: String = arg("removeFile", "path", path)?;
        Ok(self.forget_file(&path))
    }

    /// The chunks of an indexed file, or `null` when the path is not indexed.
    #[wasm_bindgen(unchecked_return_type = "Chunk[] | null")]
    pub fn chunks(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    ) -> Result<JsValue, JsError> {
        let path: String = arg("chunks", "path", path)?;
        output(&self.file_chunks(&path))
    }

    /// Indexed paths in sorted order.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn paths(&self) -> Result<JsValue, JsError> {
        output(&self.files.keys().collect::<Vec<_>>())
    }

    #[wasm_bindgen(unchecked_return_type = "IndexStats")]
    pub fn stats(&self) -> Result<JsValue, JsError> {
        output(&self.index_stats())
    }

    /// The encoding `start`/`end` offsets are reported in.
    #[wasm_bindgen(js_name = positionEncoding, getter, unchecked_return_type = "PositionEncoding")]
    pub fn position_encoding(&self) -> String {
        wire::encoding_name(self.encoding).to_string()
    }
}

/// Deserializes one argument, naming the method and argument in the error.
pub(crate) fn arg<T: DeserializeOwned>(
    method: &str,
    argument: &str,
    value: JsValue,
) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|error| into_error(format!("{method}: invalid `{argument}`: {error}")))
}

/// Rejects object keys outside `known`, so a typo such as `maxChunkByte` is an error rather than
/// silently ignored. Checked here because serde-wasm-bindgen reads only the fields a struct
/// declares, so serde's `deny_unknown_fields` never sees the extra keys.
pub(crate) fn reject_unknown_fields(
    method: &str,
    argument: &str,
    value: &JsValue,
    known: &[&str],
) -> Result<(), JsError> {
    let Some(object) = value.dyn_ref::<js_sys::Object>() else {
        return Ok(());
    };
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(into_error(format!(
                "{method}: invalid `{argument}`: unknown field `{key}`, expected one of {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Like [`arg`], for the hot path (`search`): one `JSON.stringify` crossing and serde_json in wasm,
/// instead of serde-wasm-bindgen's crossing per field. `deny_unknown_fields` works here, so an
/// unknown key is an error. `undefined` reads as JSON `null`.
pub(crate) fn json_arg<T: DeserializeOwned>(
    method: &str,
    argument: &str,
    value: &JsValue,
) -> Result<T, JsError> {
    let text = if value.is_undefined() || value.is_null() {
        "null".to_string()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| into_error(format!("{method}: `{argument}` is not JSON data")))?
    };
    serde_json::from_str(&text)
        .map_err(|error| into_error(format!("{method}: invalid `{argument}`: {error}")))
}

/// Serializes a result as plain JS objects and arrays (`None` becomes `null`).
pub(crate) fn output<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(into_error)
}

/// The one way a failure crosses the boundary: a JS `Error` whose message says what was wrong.
pub(crate) fn into_error(error: impl Display) -> JsError {
    JsError::new(&format!("pilotfish: {error}"))
}
